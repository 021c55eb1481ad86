#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The standalone `twilio-emulator`: its help, and faults injected from the command line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use base64::Engine as _;

const BIN: &str = env!("CARGO_BIN_EXE_twilio-emulator");

/// Starts the binary with `args`; its printed variables, and the child.
fn start(
    args: &[&str],
) -> (
    std::collections::HashMap<String, String>,
    std::process::Child,
) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut vars = std::collections::HashMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while vars.len() < 3 {
        let line = lines.next().unwrap().unwrap();
        let (k, v) = line.split_once('=').unwrap();
        vars.insert(k.to_owned(), v.to_owned());
    }
    (vars, child)
}

/// The `Authorization` header of the account the binary printed.
fn basic(vars: &std::collections::HashMap<String, String>) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            vars["TWILIO_ACCOUNT_SID"], vars["TWILIO_AUTH_TOKEN"]
        ))
    )
}

/// An agent that hands back every status.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn help_documents_every_flag_and_the_seed_file() {
    let o = Command::new(BIN).arg("--help").output().unwrap();
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "--port",
        "--tls",
        "--apps",
        "--seed-file",
        "--no-gzip",
        "--meta-envelope",
        "--fault",
        "TRIGGER:FAULT[:times=N]",
        "every=N",
        "status=CODE",
        "Seed file",
        "\"generate\"",
        "\"parent\"",
        "\"api_keys\"",
        "--scenario audit",
        "PUT    /_emulator/Accounts/",
        "PATCH  /_emulator/Accounts/",
        "POST   /_emulator/faults",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "--help lacks `{needle}`");
    }
    let o = Command::new(BIN)
        .args(["--fault", "sometimes:reset"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown trigger"));
}

#[test]
fn faults_from_the_command_line() {
    let (vars, mut child) = start(&[
        "--port",
        "0",
        "--apps",
        "3",
        "--fault",
        "nth=1:status=503/twilio",
        "--fault",
        "nth=2:429=7",
    ]);
    let url = format!(
        "{}/2010-04-01/Accounts/{}/AuthorizedConnectApps.json",
        vars["TWILIO_BASE_URL"], vars["TWILIO_ACCOUNT_SID"]
    );
    let auth = basic(&vars);
    let agent = agent();
    let get = || {
        agent
            .get(&url)
            .header("Authorization", &auth)
            .call()
            .unwrap()
    };
    let first = get();
    assert_eq!(first.status(), 503);
    let second = get();
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["retry-after"], "7");
    let mut third = get();
    assert_eq!(third.status(), 200);
    let body = third.body_mut().read_to_string().unwrap();
    assert_eq!(body.matches("connect_app_sid").count(), 3);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `--scenario audit`: the sample accounts, a subaccount whose listing fails, and the admin
/// routes that change an app between two runs.
#[test]
fn audit_scenario_and_changing_an_app_over_http() {
    let (vars, mut child) = start(&["--port", "0", "--scenario", "audit"]);
    let base = &vars["TWILIO_BASE_URL"];
    let auth = basic(&vars);
    let agent = agent();
    let list = |account: &str| {
        let mut r = agent
            .get(format!(
                "{base}/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json"
            ))
            .header("Authorization", &auth)
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let mut accounts = agent
        .get(format!("{base}/2010-04-01/Accounts.json"))
        .header("Authorization", &auth)
        .call()
        .unwrap();
    let accounts = accounts.body_mut().read_to_string().unwrap();
    assert_eq!(accounts.matches("\"owner_account_sid\"").count(), 4);
    let failing = twilio_connect_apps_testbed::AUDIT_FAILING_SUBACCOUNT;
    assert_eq!(list(failing).0, 403);
    let marketing = twilio_connect_apps_testbed::SAMPLE_SUBACCOUNTS[1];
    assert!(list(marketing).1.contains("post-all"));

    // The parent's credentials change a subaccount's app, then add one, then remove one.
    let app_url = |account: &str, sid: &str| {
        format!("{base}/_emulator/Accounts/{account}/AuthorizedConnectApps/{sid}.json")
    };
    let support = twilio_connect_apps_testbed::SAMPLE_SUBACCOUNTS[0];
    let helpdesk = "CN0000000000000000000000000000b101";
    let put = |url: String, body: &str| {
        agent
            .put(url)
            .header("Authorization", &auth)
            .send(body.as_bytes())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        put(
            app_url(support, helpdesk),
            r#"{"connect_app_friendly_name": "Helpdesk Sync", "permissions": ["get-all", "post-all"]}"#
        ),
        200
    );
    let (_, body) = list(support);
    assert!(body.contains("post-all"), "{body}");
    let new = "CN0000000000000000000000000000c001";
    assert_eq!(
        put(app_url(support, new), r#"{"permissions": ["get-all"]}"#),
        201
    );
    assert!(list(support).1.contains(new));
    assert_eq!(put(app_url(support, "CNnope"), "{}"), 400);
    let delete = |url: String| {
        agent
            .delete(url)
            .header("Authorization", &auth)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(delete(app_url(support, new)), 204);
    assert_eq!(delete(app_url(support, new)), 404);
    assert!(!list(support).1.contains(new));
    // Without credentials nothing changes.
    let anonymous = agent
        .put(app_url(support, helpdesk))
        .send(&b"{}"[..])
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(anonymous, 401);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Faults armed, listed and cleared on a running emulator, with no restart: `POST`, `GET`
/// and `DELETE /_emulator/faults`.
#[test]
fn faults_armed_at_run_time_fire_as_often_as_asked_and_are_listed_and_cleared() {
    let (vars, mut child) = start(&["--port", "0", "--apps", "3"]);
    let base = &vars["TWILIO_BASE_URL"];
    let sid = &vars["TWILIO_ACCOUNT_SID"];
    let auth = basic(&vars);
    let agent = agent();
    let faults = format!("{base}/_emulator/faults");
    let list_status = || {
        agent
            .get(format!(
                "{base}/2010-04-01/Accounts/{sid}/AuthorizedConnectApps.json"
            ))
            .header("Authorization", &auth)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    let arm = |body: &str| {
        let mut r = agent
            .post(&faults)
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(body.as_bytes())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let listed = || -> serde_json::Value {
        let mut r = agent
            .get(&faults)
            .header("Authorization", &auth)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    };

    assert_eq!(list_status(), 200);
    let (status, body) = arm(r#"{"rule": "always:status=503/twilio:times=2"}"#);
    assert_eq!(status, 201, "{body}");
    let armed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(armed["rule"], "always:status=503/twilio:times=2");
    assert_eq!(
        (armed["index"].as_u64(), armed["fired"].as_u64()),
        (Some(1), Some(0))
    );
    // A rule counts from when it was armed: nth=4 is the fourth request from now.
    assert_eq!(arm(r#"{"rule": "nth=4:429=3"}"#).0, 201);
    let seen: Vec<u16> = (0..5).map(|_| list_status()).collect();
    assert_eq!(seen, [503, 503, 200, 429, 200]);
    let rules = listed();
    let rules = rules["faults"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        (rules[0]["fired"].as_u64(), rules[0]["remaining"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(
        (rules[1]["fired"].as_u64(), rules[1]["remaining"].as_u64()),
        (Some(1), None)
    );
    assert_eq!(rules[1]["rule"], "nth=4:429=3");

    // A rule that does not parse says why; no credentials, no change.
    let (status, body) = arm(r#"{"rule": "sometimes:reset"}"#);
    assert_eq!(status, 400);
    assert!(body.contains("unknown trigger"), "{body}");
    assert_eq!(arm("not json").0, 400);
    let anonymous = agent
        .post(&faults)
        .send(&br#"{"rule": "always:reset"}"#[..])
        .unwrap()
        .status();
    assert_eq!(anonymous, 401);

    // An `always` fault never blocks the admin routes, so a test can always clear it.
    assert_eq!(arm(r#"{"rule": "always:status=500/empty"}"#).0, 201);
    assert_eq!(list_status(), 500);
    let cleared = agent
        .delete(&faults)
        .header("Authorization", &auth)
        .call()
        .unwrap()
        .status();
    assert_eq!(cleared, 204);
    assert_eq!(listed()["faults"].as_array().map(Vec::len), Some(0));
    assert_eq!(list_status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `PATCH` changes only the fields given; `PUT` replaces the whole app.
#[test]
fn patch_changes_the_fields_given_and_put_replaces_the_app() {
    let (vars, mut child) = start(&["--port", "0", "--scenario", "audit"]);
    let base = &vars["TWILIO_BASE_URL"];
    let sid = &vars["TWILIO_ACCOUNT_SID"];
    let auth = basic(&vars);
    let agent = agent();
    let app = "CN0000000000000000000000000000b001";
    let admin_url = format!("{base}/_emulator/Accounts/{sid}/AuthorizedConnectApps/{app}.json");
    let fetch = || -> serde_json::Value {
        let mut r = agent
            .get(format!(
                "{base}/2010-04-01/Accounts/{sid}/AuthorizedConnectApps/{app}.json"
            ))
            .header("Authorization", &auth)
            .call()
            .unwrap();
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    };
    let before = fetch();
    assert!(before["connect_app_friendly_name"].is_string(), "{before}");

    let mut r = agent
        .patch(&admin_url)
        .header("Authorization", &auth)
        .send(&br#"{"permissions": ["get-all", "post-all"]}"#[..])
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
    let after = fetch();
    assert_eq!(
        after["permissions"],
        serde_json::json!(["get-all", "post-all"])
    );
    for field in [
        "connect_app_friendly_name",
        "connect_app_company_name",
        "connect_app_description",
        "connect_app_homepage_url",
    ] {
        assert_eq!(after[field], before[field], "PATCH kept {field}");
    }

    let put = agent
        .put(&admin_url)
        .header("Authorization", &auth)
        .send(&br#"{"permissions": ["get-all"]}"#[..])
        .unwrap()
        .status();
    assert_eq!(put, 200);
    let replaced = fetch();
    assert_eq!(replaced["permissions"], serde_json::json!(["get-all"]));
    assert!(
        replaced["connect_app_friendly_name"].is_null(),
        "PUT replaces: {replaced}"
    );

    let missing = agent
        .patch(format!(
            "{base}/_emulator/Accounts/{sid}/AuthorizedConnectApps/CN0000000000000000000000000000ffff.json"
        ))
        .header("Authorization", &auth)
        .send(&b"{}"[..])
        .unwrap()
        .status();
    assert_eq!(missing, 404);
    child.kill().unwrap();
    child.wait().unwrap();
}
