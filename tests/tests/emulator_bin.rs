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
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--apps",
            "3",
            "--fault",
            "nth=1:status=503/twilio",
            "--fault",
            "nth=2:429=7",
        ])
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
    let url = format!(
        "{}/2010-04-01/Accounts/{}/AuthorizedConnectApps.json",
        vars["TWILIO_BASE_URL"], vars["TWILIO_ACCOUNT_SID"]
    );
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            vars["TWILIO_ACCOUNT_SID"], vars["TWILIO_AUTH_TOKEN"]
        ))
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
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
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--scenario", "audit"])
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
    let (base, parent) = (&vars["TWILIO_BASE_URL"], &vars["TWILIO_ACCOUNT_SID"]);
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{parent}:{}", vars["TWILIO_AUTH_TOKEN"]))
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
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
