#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! `connect-apps audit` end to end: every rule on both transports through the program, with
//! the state changed between two runs in the emulator; SARIF validated against the OASIS
//! schema; JUnit parsed; baselines from a snapshot and from `list --json`; policies checked
//! before any request; long sweeps that stop part-way and go on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use twilio_connect_apps_testbed::{
    AUDIT_FAILING_SUBACCOUNT, App, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, ErrorBody,
    Fault, FaultScript, SAMPLE_SUBACCOUNTS, Trigger,
};

mod common;
use common::*;

const TRANSPORTS: [&str; 2] = ["ureq", "hyper"];
const SUPPORT: &str = SAMPLE_SUBACCOUNTS[0];
const MARKETING: &str = SAMPLE_SUBACCOUNTS[1];
const SPEC_APP: &str = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const INSIGHTS: &str = "CN0000000000000000000000000000b001";
const BLASTER: &str = "CN0000000000000000000000000000b002";
const VAULT: &str = "CN0000000000000000000000000000b003";
const HELPDESK: &str = "CN0000000000000000000000000000b101";
const SURVEY: &str = "CN0000000000000000000000000000b102";
const NEWCOMER: &str = "CN0000000000000000000000000000c001";

fn set_permissions(emu: &Emulator, account: &str, sid: &str, name: &str, perms: &[&str]) {
    let mut app = App::new(sid, name);
    app.permissions = Some(perms.iter().map(|p| p.to_string()).collect());
    emu.upsert_app(account, &app).unwrap();
}

/// The policy of the scenario: Campaign Blaster may hold post-all in the parent only; the
/// others are listed with get-all; anything unlisted is a finding.
fn policy(dir: &Path) -> String {
    let path = dir.join("policy.toml");
    std::fs::write(
        &path,
        format!(
            r#"# Connect Apps approved for our accounts
[[allow]]
connect_app_sid = "{BLASTER}"
permissions = ["get-all", "post-all"]
accounts = ["{DEFAULT_ACCOUNT_SID}"]
note = "campaigns, approved 2026-10 by the security team"

[[allow]]
connect_app_sid = "{SPEC_APP}"

[[allow]]
connect_app_sid = "{INSIGHTS}"

[[allow]]
connect_app_sid = "{VAULT}"

[[allow]]
connect_app_sid = "{SURVEY}"

[settings]
deny_unlisted = true
"#
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// Runs 1 and 2 of the scenario: the baseline snapshot, then the state changed so that every
/// rule has something to say. Returns the folder and the arguments of run 2.
fn scenario(emu: &Emulator, transport: &str, name: &str) -> (std::path::PathBuf, Vec<String>) {
    let dir = temp_dir(name);
    // Before run 1 the spec's example app holds nothing, so that it gains get-all after.
    set_permissions(emu, DEFAULT_ACCOUNT_SID, SPEC_APP, "aaa", &[]);
    let base = dir.join("base.json");
    let o = run(
        against(emu),
        &[
            "--transport",
            transport,
            "audit",
            "--all-accounts",
            "--snapshot",
            base.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_clean(&o);
    // The changes between the two runs.
    set_permissions(emu, DEFAULT_ACCOUNT_SID, SPEC_APP, "aaa", &["get-all"]);
    set_permissions(
        emu,
        DEFAULT_ACCOUNT_SID,
        INSIGHTS,
        "Call Insights",
        &["get-all", "post-all"],
    );
    set_permissions(emu, DEFAULT_ACCOUNT_SID, VAULT, "Recording Vault", &[]);
    assert!(emu.remove_app(SUPPORT, HELPDESK));
    set_permissions(emu, SUPPORT, NEWCOMER, "Newcomer", &["get-all"]);
    let args = vec![
        "--transport".to_owned(),
        transport.to_owned(),
        "audit".to_owned(),
        "--all-accounts".to_owned(),
        "--baseline".to_owned(),
        base.to_str().unwrap().to_owned(),
        "--policy".to_owned(),
        policy(&dir),
    ];
    (dir, args)
}

fn findings_of(doc: &Value) -> BTreeSet<(String, String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["level"].as_str().unwrap().to_owned(),
                f["account_sid"].as_str().unwrap().to_owned(),
                f["connect_app_sid"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn expected() -> BTreeSet<(String, String, String, String)> {
    [
        (
            "permission-gained",
            "warning",
            DEFAULT_ACCOUNT_SID,
            SPEC_APP,
        ),
        ("permission-gained", "error", DEFAULT_ACCOUNT_SID, INSIGHTS),
        (
            "post-all-not-allowed",
            "error",
            DEFAULT_ACCOUNT_SID,
            INSIGHTS,
        ),
        ("permission-lost", "note", DEFAULT_ACCOUNT_SID, VAULT),
        ("new-app", "warning", SUPPORT, NEWCOMER),
        ("app-not-allowed", "warning", SUPPORT, NEWCOMER),
        ("removed-app", "note", SUPPORT, HELPDESK),
        // The allow entry is scoped to the parent: it does not name the app here.
        ("app-not-allowed", "warning", MARKETING, BLASTER),
        ("post-all-not-allowed", "error", MARKETING, BLASTER),
        (
            "account-not-audited",
            "error",
            AUDIT_FAILING_SUBACCOUNT,
            "-",
        ),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()))
    .collect()
}

fn arg_refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn every_rule_fires_on_both_transports_and_the_snapshot_is_evidence() {
    for transport in TRANSPORTS {
        let emu = Emulator::builder().audit_scenario().start().unwrap();
        let (dir, args) = scenario(&emu, transport, &format!("rules-{transport}"));
        let now = dir.join("now.json");
        let mut json_args = args.clone();
        json_args
            .extend(["--format", "json", "--snapshot", now.to_str().unwrap()].map(String::from));
        let o = run(against(&emu), &arg_refs(&json_args));
        assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
        assert_clean(&o);
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(findings_of(&doc), expected(), "{transport}");
        assert_eq!(
            doc["summary"],
            serde_json::json!({"errors": 4, "warnings": 4, "notes": 2})
        );
        let gained = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "permission-gained" && f["connect_app_sid"] == INSIGHTS)
            .unwrap();
        assert_eq!(
            gained["message"],
            format!("{INSIGHTS} (Call Insights) gained post-all since the baseline")
        );
        let scoped = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "post-all-not-allowed" && f["account_sid"] == MARKETING)
            .unwrap();
        assert_eq!(
            scoped["policy_note"],
            Value::Null,
            "no entry names it in this account"
        );
        assert!(
            text(&o.stderr).contains("10 findings")
                || text(&o.stderr).contains("8 findings at --fail-on warning"),
            "{}",
            text(&o.stderr)
        );
        // The snapshot: how the evidence was obtained, never a secret.
        let snapshot: Value = serde_json::from_slice(&std::fs::read(&now).unwrap()).unwrap();
        assert_eq!(
            doc["snapshot"], snapshot,
            "the JSON report carries the same snapshot"
        );
        assert_eq!(snapshot["format"], "connect-apps-snapshot/1");
        assert_eq!(snapshot["tool"]["name"], "connect-apps");
        assert_eq!(snapshot["tool"]["version"], env!("CARGO_PKG_VERSION"));
        for key in ["started_at", "finished_at"] {
            let t = snapshot[key].as_str().unwrap();
            assert!(
                t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
                "{t}"
            );
        }
        assert_eq!(snapshot["origin"], emu.base_url());
        assert_eq!(snapshot["credentials"]["kind"], "auth token");
        assert_eq!(snapshot["credentials"]["account_sid"], DEFAULT_ACCOUNT_SID);
        assert_eq!(snapshot["complete"], false, "one account could not be read");
        let accounts = snapshot["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 4);
        assert_eq!(accounts[3]["status"], "failed");
        assert!(accounts[3]["error"].as_str().unwrap().contains("HTTP 403"));
        let shown = std::fs::read_to_string(&now).unwrap();
        for secret in ["emulator-auth-token-000", "auth_token"] {
            assert!(!shown.contains(secret), "{secret} in the snapshot");
        }
        // first_seen is carried over from the baseline for apps it knew; request ids recorded.
        let base: Value =
            serde_json::from_slice(&std::fs::read(dir.join("base.json")).unwrap()).unwrap();
        let app_in = |doc: &Value, account: usize, sid: &str| -> Value {
            doc["accounts"][account]["apps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["connect_app_sid"] == sid)
                .unwrap()
                .clone()
        };
        assert_eq!(
            app_in(&snapshot, 2, BLASTER)["first_seen"],
            app_in(&base, 2, BLASTER)["first_seen"]
        );
        let newcomer = app_in(&snapshot, 1, NEWCOMER);
        assert!(
            newcomer["first_seen"].as_str().unwrap() >= snapshot["started_at"].as_str().unwrap(),
            "a new app is first seen in this run"
        );
        let blaster = app_in(&snapshot, 2, BLASTER);
        assert!(blaster["request_id"].as_str().unwrap().starts_with("RQ"));
        assert_eq!(
            blaster["permissions"],
            serde_json::json!(["get-all", "post-all"])
        );
        assert_eq!(blaster["account_sid"], MARKETING);

        // The table: one line per finding, then the counts.
        let o = run(against(&emu), &arg_refs(&args));
        assert_eq!(o.status.code(), Some(3));
        let table = text(&o.stdout);
        assert_eq!(table.lines().count(), 1 + 10 + 1, "{table}");
        assert!(
            table
                .lines()
                .last()
                .unwrap()
                .starts_with("4 errors, 4 warnings, 2 notes (4 accounts read, 7 apps)"),
            "{table}"
        );
        if transport == "ureq" {
            std::fs::write(
                std::env::temp_dir().join("connect-apps-audit-transcript.txt"),
                &o.stdout,
            )
            .unwrap();
        }
        // --fail-on decides the exit code.
        for (fail_on, code) in [("never", 0), ("error", 3), ("note", 3)] {
            let mut a = args.clone();
            a.extend(["--fail-on".to_owned(), fail_on.to_owned(), "-q".to_owned()]);
            let o = run(against(&emu), &arg_refs(&a));
            assert_eq!(o.status.code(), Some(code), "{fail_on}");
        }
    }
}

/// The OASIS SARIF 2.1.0 schema (vendored in the test bed), as a validator.
fn sarif_validator() -> jsonschema::Validator {
    let mut schema: Value =
        serde_json::from_str(twilio_connect_apps_testbed::SARIF_SCHEMA).unwrap();
    // The official schema's `pattern` of the two `language` properties (which these logs do
    // not use) is not a valid ECMA-262 regex (`…{2}]?$`), so a validator that checks the
    // schema itself refuses it; the vendored file stays as published and the pattern is
    // corrected here, in memory, to what it means.
    let mut corrected = 0;
    for at in [
        "/definitions/run/properties/language/pattern",
        "/definitions/toolComponent/properties/language/pattern",
    ] {
        let pattern = schema.pointer_mut(at).unwrap();
        assert_eq!(pattern, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *pattern = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
        corrected += 1;
    }
    assert_eq!(
        corrected,
        twilio_connect_apps_testbed::SARIF_SCHEMA
            .matches("{2}]?$")
            .count()
    );
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[test]
fn sarif_validates_against_the_oasis_schema_and_names_each_finding() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let (dir, mut args) = scenario(&emu, "ureq", "sarif");
    let out = dir.join("audit.sarif");
    args.extend(["--format", "sarif", "--output", out.to_str().unwrap()].map(String::from));
    let o = run(against(&emu), &arg_refs(&args));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let log: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // A log that breaks the schema is caught (the validator is not a no-op).
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
    let run0 = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run0["tool"]["driver"]["name"], "connect-apps");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 9);
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(r["message"]["text"].as_str().unwrap().len() > 10);
        let location = &r["locations"][0];
        let name = location["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(name.starts_with("AC"), "{name}");
        assert!(
            location["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
        assert!(r["partialFingerprints"]["primaryLocationLineHash"].is_string());
    }
    let scoped = results
        .iter()
        .find(|r| {
            r["ruleId"] == "post-all-not-allowed"
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    == format!("{MARKETING}/{BLASTER}")
        })
        .unwrap();
    assert_eq!(scoped["level"], "error");
    // The policy entry that speaks of the app is its physical location (line 3 of the file).
    assert_eq!(
        scoped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        args[args.iter().position(|a| a == "--policy").unwrap() + 1]
    );
}

#[test]
fn junit_has_a_case_per_account_and_app_and_fails_at_fail_on() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let (_dir, mut args) = scenario(&emu, "hyper", "junit");
    args.extend(["--format", "junit"].map(String::from));
    let o = run(against(&emu), &arg_refs(&args));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let xml = text(&o.stdout);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 4);
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // Parent: itself and 4 apps; Support: itself, the new app and the removed one; Marketing:
    // itself and 2 apps; the failing account: itself.
    assert_eq!(cases.len(), 5 + 3 + 3 + 1, "{xml}");
    assert_eq!(root.attribute("tests"), Some("12"));
    let failing: Vec<String> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap().to_owned())
        .collect();
    // Notes (removed-app, permission-lost) do not fail at --fail-on warning.
    assert_eq!(failing.len(), 5, "{failing:?}");
    assert_eq!(root.attribute("failures"), Some("5"));
    assert!(failing.iter().any(|n| n.contains(NEWCOMER)));
    assert!(failing.iter().any(|n| n.contains(AUDIT_FAILING_SUBACCOUNT)));
    assert!(
        !failing
            .iter()
            .any(|n| n.contains(HELPDESK) || n.contains(VAULT))
    );
    let newcomer = cases
        .iter()
        .find(|c| c.attribute("name").unwrap().contains(NEWCOMER))
        .unwrap();
    let failure = newcomer
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("new-app,app-not-allowed"));
    assert!(failure.text().unwrap().contains("not in the baseline"));
    // Markdown: the counts and a row per finding.
    let mut md = args.clone();
    md.pop();
    md.push("markdown".into());
    let o = run(against(&emu), &arg_refs(&md));
    let page = text(&o.stdout);
    assert!(page.contains("**4 errors, 4 warnings, 2 notes**"), "{page}");
    assert_eq!(page.lines().filter(|l| l.starts_with("| ")).count(), 2 + 10);
}

#[test]
fn a_baseline_from_list_json_says_the_same_as_one_from_a_snapshot() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let dir = temp_dir("ndjson");
    set_permissions(&emu, DEFAULT_ACCOUNT_SID, SPEC_APP, "aaa", &[]);
    let listed = run(against(&emu), &["list", "--all-accounts", "--json"]);
    assert_eq!(
        listed.status.code(),
        Some(1),
        "the failing account is reported"
    );
    let base = dir.join("base.ndjson");
    std::fs::write(&base, &listed.stdout).unwrap();
    let (_, args) = scenario(&emu, "ureq", "ndjson-run");
    let mut args: Vec<String> = args;
    let at = args.iter().position(|a| a == "--baseline").unwrap();
    args[at + 1] = base.to_str().unwrap().to_owned();
    args.extend(["--format", "json"].map(String::from));
    let o = run(against(&emu), &arg_refs(&args));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings_of(&doc), expected());
}

#[test]
fn without_a_policy_every_post_all_app_is_an_error_and_a_clean_account_exits_0() {
    let o = run(sample(), &["audit", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["rule_id"], "post-all-not-allowed");
    assert_eq!(doc["snapshot"]["sample_data"], true);
    let o = run(sample(), &["audit"]);
    assert!(text(&o.stdout).contains("SAMPLE DATA"));
    // A policy that allows what is there: nothing to say.
    let dir = temp_dir("clean");
    let policy = dir.join("p.toml");
    std::fs::write(
        &policy,
        format!("[[allow]]\nconnect_app_sid = \"{BLASTER}\"\npermissions = [\"get-all\", \"post-all\"]\n"),
    )
    .unwrap();
    let o = run(
        sample(),
        &[
            "audit",
            "--all-accounts",
            "--policy",
            policy.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).starts_with("0 errors, 0 warnings, 0 notes (3 accounts read, 7 apps)"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_bad_policy_or_baseline_is_a_usage_error_before_any_request() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let dir = temp_dir("bad-policy");
    for (body, want) in [
        (
            format!("[[allow]]\nconnect_app_sid = \"{BLASTER}\"\npermisions = []\n"),
            ":3:",
        ),
        (
            "[[allow]]\nconnect_app_sid = \"CN-secret-value\"\n".to_owned(),
            ":2: connect_app_sid:",
        ),
        (
            format!("[[allow]]\nconnect_app_sid = \"{BLASTER}\"\npermissions = [\"delete-all\"]\n"),
            ":3: permissions:",
        ),
        ("[settings]\nstrict = true\n".to_owned(), ":2:"),
    ] {
        let path = dir.join("policy.toml");
        std::fs::write(&path, &body).unwrap();
        let o = run(
            against(&emu),
            &["audit", "--policy", path.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(2), "{body}");
        let err = text(&o.stderr);
        let (line, key) = want.trim_start_matches(':').split_once(':').unwrap();
        let want = format!("--policy {}: line {line}:{key}", path.display());
        assert!(err.contains(want.trim_end()), "{body}: {err}");
        assert!(!err.contains("secret-value"), "{err}");
    }
    let bad = dir.join("baseline.ndjson");
    std::fs::write(
        &bad,
        "{\"account_sid\": \"AC1\", \"connect_app_sid\": \"CN1\"}\nnot json\n",
    )
    .unwrap();
    let o = run(
        against(&emu),
        &["audit", "--baseline", bad.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("line 2:"), "{}", text(&o.stderr));
    assert_eq!(emu.request_count(), 0, "nothing was sent");
}

/// `AC…` of generated subaccount `i` (0-based), as `Dataset::with_subaccounts` names them.
fn subaccount(i: u64) -> String {
    format!("AC{:032x}", i + 2)
}

/// (account, app) of every NDJSON line.
fn pairs(stdout: &[u8]) -> Vec<(String, String)> {
    text(stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["account_sid"].as_str().unwrap().to_owned(),
                v["connect_app_sid"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs `list --all-accounts --json` once with `faults`, then goes on from the token it
/// printed without them; checks that the two outputs concatenate to `whole`'s. Returns the
/// requests of each run and the apps the first printed.
fn stop_and_go_on(emu: &Emulator, faults: FaultScript, whole: &[u8]) -> (u64, u64, usize) {
    emu.set_faults(faults);
    let before = emu.request_count();
    let first = run(against(emu), &["-q", "list", "--all-accounts", "--json"]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let requests_first = emu.request_count() - before;
    let err = text(&first.stderr);
    let token = err.split("--resume ").nth(1).unwrap().trim().to_owned();
    assert!(token.starts_with("s1."), "{err}");
    emu.set_faults(FaultScript::new());
    let before = emu.request_count();
    let second = run(
        against(emu),
        &["-q", "list", "--all-accounts", "--json", "--resume", &token],
    );
    assert!(second.status.success(), "{}", text(&second.stderr));
    let requests_second = emu.request_count() - before;
    let printed = pairs(&first.stdout).len();
    let mut joined = pairs(&first.stdout);
    joined.extend(pairs(&second.stdout));
    assert_eq!(joined, pairs(whole), "every app once, in order");
    assert_eq!(
        [first.stdout, second.stdout].concat(),
        whole,
        "the two outputs concatenate to one run's"
    );
    // The token is bound to its parent account.
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", subaccount(0))
        .env("TWILIO_AUTH_TOKEN", "token-2")
        .args(["--base-url", emu.base_url()]);
    let o = run(c, &["list", "--all-accounts", "--resume", &token]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(DEFAULT_ACCOUNT_SID),
        "{}",
        text(&o.stderr)
    );
    (requests_first, requests_second, printed)
}

#[test]
fn a_1000_account_listing_reads_past_failing_accounts_and_says_how_to_read_them_again() {
    let emu = Emulator::builder().subaccounts(999, 2).start().unwrap();
    let whole = run(against(&emu), &["-q", "list", "--all-accounts", "--json"]);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    assert_eq!(pairs(&whole.stdout).len(), 2000);
    // Three subaccounts that never answer well: 503 whatever the retries, 429 on every
    // attempt, and one that hangs past the timeout.
    let (broken, storming, hanging) = (subaccount(500), subaccount(600), subaccount(700));
    let path = |sid: &str| Trigger::PathContains(format!("{sid}/AuthorizedConnectApps"));
    emu.set_faults(
        FaultScript::new()
            .on(path(&broken), Fault::Status(503, ErrorBody::Twilio))
            .on(
                path(&storming),
                Fault::TooManyRequests(twilio_connect_apps_testbed::RetryAfter::Seconds(0)),
            )
            .on(
                path(&hanging),
                Fault::Delay(std::time::Duration::from_secs(3)),
            ),
    );
    let first = run(
        against(&emu),
        &["-q", "--timeout", "1", "list", "--all-accounts", "--json"],
    );
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let err = text(&first.stderr);
    let listed = pairs(&first.stdout);
    assert_eq!(listed.len(), 2000 - 6, "every other account's apps: {err}");
    let commands: Vec<&str> = err
        .lines()
        .filter_map(|l| l.split(" again, run: ").nth(1))
        .collect();
    assert_eq!(commands.len(), 3, "{err}");
    for sid in [&broken, &storming, &hanging] {
        assert!(listed.iter().all(|(a, _)| a != sid), "{sid} printed");
        assert!(
            commands.iter().any(|c| c.contains(sid.as_str())),
            "{sid}: {err}"
        );
    }
    // Each command reads its account alone; together with the first run: every app once.
    emu.set_faults(FaultScript::new());
    let mut all = listed;
    for command in commands {
        let mut words = command.split_whitespace();
        let mut c = Command::new(words.next().unwrap());
        c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
            .env(
                "TWILIO_AUTH_TOKEN",
                twilio_connect_apps_testbed::DEFAULT_AUTH_TOKEN,
            )
            .args(words);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{command}: {}", text(&o.stderr));
        all.extend(pairs(&o.stdout));
    }
    let mut want = pairs(&whole.stdout);
    want.sort();
    all.sort();
    assert_eq!(all, want);
}

#[test]
fn a_1500_account_listing_whose_accounts_listing_fails_goes_on_from_there() {
    let emu = Emulator::builder().subaccounts(1499, 1).start().unwrap();
    let whole = run(against(&emu), &["-q", "list", "--all-accounts", "--json"]);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let requests_whole = emu.request_count();
    // The second page of the accounts listing (accounts 1000..) fails, retries and all.
    let faults = FaultScript::new().on(
        Trigger::PathContains("Accounts.json?Page=1&".into()),
        Fault::Status(503, ErrorBody::Twilio),
    );
    let (first, second, printed) = stop_and_go_on(&emu, faults, &whole.stdout);
    eprintln!(
        "list, 1,500 accounts: one run {requests_whole} requests; accounts page 2 failing: {first} requests ({printed} apps printed); resumed: {second} requests"
    );
    assert_eq!(printed, 1000);
    assert_eq!(
        second,
        1 + 500,
        "the accounts page that failed, and its 500 accounts"
    );
}

#[test]
fn a_1000_account_audit_reads_again_only_what_failed() {
    let emu = Emulator::builder().subaccounts(999, 2).start().unwrap();
    let dir = temp_dir("audit-resume");
    let snapshot = dir.join("s.json");
    let snap = snapshot.to_str().unwrap();
    // One subaccount's listing fails (after retries); later the accounts listing does.
    let flaky = subaccount(700);
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains(format!("{flaky}/AuthorizedConnectApps")),
        Fault::Status(503, ErrorBody::Twilio),
    ));
    let before = emu.request_count();
    let o = run(
        against(&emu),
        &[
            "audit",
            "--all-accounts",
            "--snapshot",
            snap,
            "--fail-on",
            "never",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let requests_first = emu.request_count() - before;
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let not_audited: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "account-not-audited")
        .collect();
    assert_eq!(not_audited.len(), 1);
    assert_eq!(not_audited[0]["account_sid"], flaky.as_str());
    let err = text(&o.stderr);
    assert!(err.contains("1 account could not be read"), "{err}");
    let token = err.split("--resume ").nth(1).unwrap().trim().to_owned();
    emu.set_faults(FaultScript::new());
    let before = emu.request_count();
    let o = run(
        against(&emu),
        &[
            "audit",
            "--all-accounts",
            "--snapshot",
            snap,
            "--fail-on",
            "never",
            "--format",
            "json",
            "--resume",
            &token,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let requests_second = emu.request_count() - before;
    assert_eq!(
        requests_second, 1,
        "only the account that failed is read again"
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule_id"] != "account-not-audited")
    );
    let accounts = doc["snapshot"]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1000);
    assert_eq!(doc["snapshot"]["complete"], true);
    let mut seen = BTreeSet::new();
    for a in accounts {
        assert_eq!(a["status"], "read");
        for app in a["apps"].as_array().unwrap() {
            assert!(seen.insert((
                a["account_sid"].clone().to_string(),
                app["connect_app_sid"].to_string()
            )));
        }
    }
    assert_eq!(seen.len(), 2000, "every app once");
    eprintln!(
        "1,000-account audit: first run {requests_first} requests, resumed run {requests_second}"
    );
}

#[test]
fn an_audit_whose_accounts_listing_fails_keeps_what_it_read_and_goes_on() {
    let emu = Emulator::builder().subaccounts(1499, 1).start().unwrap();
    let dir = temp_dir("audit-accounts-fail");
    let snapshot = dir.join("s.json");
    let snap = snapshot.to_str().unwrap();
    std::fs::write(&snapshot, "the previous snapshot\n").unwrap();
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Accounts.json?Page=1&".into()),
        Fault::Status(503, ErrorBody::Twilio),
    ));
    let o = run(
        against(&emu),
        &[
            "audit",
            "--all-accounts",
            "--snapshot",
            snap,
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "no report from a run that failed");
    assert_eq!(
        std::fs::read_to_string(&snapshot).unwrap(),
        "the previous snapshot\n",
        "the snapshot (perhaps the next baseline) is left as it was"
    );
    let partial = dir.join("s.json.partial");
    let held: Value = serde_json::from_slice(&std::fs::read(&partial).unwrap()).unwrap();
    assert_eq!(held["complete"], false);
    assert_eq!(held["accounts"].as_array().unwrap().len(), 1000);
    let err = text(&o.stderr);
    let token = err.split("--resume ").nth(1).unwrap().trim().to_owned();
    emu.set_faults(FaultScript::new());
    let before = emu.request_count();
    let o = run(
        against(&emu),
        &[
            "audit",
            "--all-accounts",
            "--snapshot",
            snap,
            "--fail-on",
            "never",
            "--resume",
            &token,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(emu.request_count() - before, 1 + 500);
    assert!(!partial.exists());
    let done: Value = serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    assert_eq!(done["accounts"].as_array().unwrap().len(), 1500);
    assert_eq!(done["complete"], true);
}

#[test]
fn the_readmes_policy_example_is_a_valid_policy() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let toml = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let dir = temp_dir("readme-policy");
    let path = dir.join("policy.toml");
    std::fs::write(&path, toml).unwrap();
    let o = run(
        sample(),
        &[
            "audit",
            "--all-accounts",
            "--policy",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    // It allows Campaign Blaster's post-all in the parent only: the Marketing one is a finding,
    // which its exception accepts through 2027-01-31 (UTC) and no longer after.
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let active = today.get(..10).unwrap() <= "2027-01-31";
    assert_eq!(
        o.status.code(),
        Some(if active { 0 } else { 3 }),
        "{}",
        text(&o.stderr)
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut want = vec![(
        "post-all-not-allowed".to_owned(),
        "error".to_owned(),
        MARKETING.to_owned(),
        BLASTER.to_owned(),
    )];
    if !active {
        want.push((
            "exception-expired".to_owned(),
            "warning".to_owned(),
            MARKETING.to_owned(),
            BLASTER.to_owned(),
        ));
    }
    assert_eq!(findings_of(&doc), want.into_iter().collect());
    let blaster = &doc["findings"][0];
    assert_eq!(blaster["suppressed"], active);
    if active {
        assert_eq!(
            blaster["suppression"]["owner"],
            "marketing-lead@example.com"
        );
        assert_eq!(blaster["suppression"]["expires"], "2027-01-31");
    }
}

/// A subaccount whose server quotes back the credentials it received (header, decoded Basic
/// pair, the token as a request id): no report format, snapshot, stderr or `-v` line holds
/// the auth token or its Basic form.
#[test]
fn reflected_secrets_reach_no_report_snapshot_or_log() {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}"));
    for transport in TRANSPORTS {
        let emu = Emulator::builder().audit_scenario().start().unwrap();
        emu.add_fault(twilio_connect_apps_testbed::FaultRule::new(
            Trigger::PathContains(MARKETING.into()),
            Fault::Reflect(401),
        ));
        let dir = temp_dir(&format!("reflect-{transport}"));
        for format in ["table", "json", "sarif", "markdown", "junit"] {
            let out = dir.join(format!("report.{format}"));
            let snap = dir.join(format!("snap-{format}.json"));
            let o = run(
                against(&emu),
                &[
                    "-v",
                    "--transport",
                    transport,
                    "audit",
                    "--all-accounts",
                    "--format",
                    format,
                    "--output",
                    out.to_str().unwrap(),
                    "--snapshot",
                    snap.to_str().unwrap(),
                ],
            );
            assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
            let mut all = format!("{}{}", text(&o.stdout), text(&o.stderr));
            all.push_str(&std::fs::read_to_string(&out).unwrap());
            all.push_str(&std::fs::read_to_string(&snap).unwrap());
            assert!(all.contains(MARKETING), "{all}");
            assert!(all.contains("[redacted]"), "{format}: {all}");
            for secret in [DEFAULT_AUTH_TOKEN, basic.trim_end_matches('=')] {
                assert!(!all.contains(secret), "{transport} {format}: {all}");
            }
        }
    }
}

/// 10% of all requests answered 429 at random: Twilio's guidance (back off, come back) absorbs
/// them, and a sweep of 1,000 subaccounts reads every app.
#[test]
fn a_1000_account_sweep_under_random_429s_reads_every_app() {
    let emu = Emulator::builder().subaccounts(999, 2).start().unwrap();
    for seed in [1, 2] {
        emu.set_faults(FaultScript::new().on(
            Trigger::Random {
                fraction: 0.1,
                seed,
            },
            Fault::TooManyRequests(twilio_connect_apps_testbed::RetryAfter::Seconds(0)),
        ));
        let o = run(against(&emu), &["-q", "list", "--all-accounts", "--json"]);
        assert!(o.status.success(), "seed {seed}: {}", text(&o.stderr));
        assert_eq!(pairs(&o.stdout).len(), 2000, "seed {seed}");
    }
}

/// The scenario's policy with exceptions appended: `entries` are `[[exception]]` tables.
fn policy_with_exceptions(dir: &Path, entries: &str) -> String {
    let path = policy(dir);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(entries);
    std::fs::write(&path, text).unwrap();
    path
}

/// Exceptions for every error-level finding of the scenario (active until 2099), one expired
/// and one that matches nothing.
fn exceptions(account_not_audited_until: &str) -> String {
    format!(
        r#"
[[exception]]
rule = "post-all-not-allowed"
connect_app_sid = "{BLASTER}"
account_sid = "{MARKETING}"
owner = "marketing-lead@example.com"
reason = "campaign tool, review pending"
ticket = "SEC-101"
expires = 2099-12-31

[[exception]]
connect_app_sid = "{INSIGHTS}"
account_sid = "{DEFAULT_ACCOUNT_SID}"
owner = "ops@example.com"
reason = "call analytics writes tags back"
expires = 2099-12-31

[[exception]]
rule = "account-not-audited"
account_sid = "{AUDIT_FAILING_SUBACCOUNT}"
owner = "it@example.com"
reason = "account being closed"
ticket = "IT-7"
expires = {account_not_audited_until}

[[exception]]
connect_app_sid = "{NEWCOMER}"
owner = "support-lead@example.com"
reason = "trial, ended"
expires = 2020-01-31

[[exception]]
connect_app_sid = "CN0000000000000000000000000000dead"
owner = "someone@example.com"
reason = "an app long gone"
expires = 2099-12-31
"#
    )
}

/// Issue 29: exceptions with owner, reason, ticket and expiry; SARIF that GitHub ranks and
/// tracks (severity, help, fingerprints, baseline state, suppressions, failed accounts).
#[test]
fn exceptions_expire_and_sarif_ranks_tracks_and_suppresses() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let (dir, args) = scenario(&emu, "ureq", "exceptions");
    let policy_at = args.iter().position(|a| a == "--policy").unwrap() + 1;
    let mut args = args;
    args[policy_at] = policy_with_exceptions(&dir, &exceptions("2099-12-31"));
    let run_sarif = |args: &[String], name: &str| {
        let out = dir.join(name);
        let mut a = args.to_vec();
        a.extend(["--format", "sarif", "--fail-on", "error", "--output"].map(String::from));
        a.push(out.to_str().unwrap().to_owned());
        let o = run(against(&emu), &arg_refs(&a));
        let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
        (o, serde_json::from_slice::<Value>(&bytes).unwrap())
    };
    // Every error-level finding is excepted: --fail-on error passes.
    let (o, log) = run_sarif(&args, "one.sarif");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run0 = &log["runs"][0];
    for rule in run0["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("What to do")
        );
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&Value::from("security"))
        );
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(severity > 0.0 && severity <= 10.0, "{rule}");
        assert!(rule["properties"]["precision"].is_string());
    }
    let results = run0["results"].as_array().unwrap();
    let by_key = |results: &[Value]| -> BTreeMap<String, (Value, Value)> {
        results
            .iter()
            .map(|r| {
                let name = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].clone();
                (
                    format!("{} {}", r["ruleId"], name),
                    (
                        r["locations"][0]["physicalLocation"].clone(),
                        r["partialFingerprints"]["primaryLocationLineHash"].clone(),
                    ),
                )
            })
            .collect()
    };
    let first = by_key(results);
    for r in results {
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(r["partialFingerprints"]["primaryLocationLineHash"].is_string());
        assert!(r["baselineState"].is_string(), "{r}");
    }
    let rule_of = |id: &'static str| results.iter().filter(move |r| r["ruleId"] == id);
    // The active exception's finding is suppressed, with its justification.
    let blaster = rule_of("post-all-not-allowed")
        .find(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                == format!("{MARKETING}/{BLASTER}")
        })
        .unwrap();
    assert_eq!(blaster["suppressions"][0]["kind"], "external");
    assert!(
        blaster["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("campaign tool, review pending")
    );
    assert_eq!(blaster["baselineState"], "unchanged");
    assert_eq!(rule_of("new-app").next().unwrap()["baselineState"], "new");
    assert_eq!(
        rule_of("removed-app").next().unwrap()["baselineState"],
        "absent"
    );
    assert_eq!(
        rule_of("permission-lost").next().unwrap()["baselineState"],
        "updated"
    );
    // The expired exception is a warning and suppresses nothing; the stale one a note.
    let expired = rule_of("exception-expired").collect::<Vec<_>>();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["level"], "warning");
    assert!(
        rule_of("new-app")
            .next()
            .unwrap()
            .get("suppressions")
            .is_none()
    );
    let stale = rule_of("exception-stale").collect::<Vec<_>>();
    assert_eq!((stale.len(), &stale[0]["level"]), (1, &Value::from("note")));
    // The account that could not be read makes the run unsuccessful, and is named.
    let invocation = &run0["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains(AUDIT_FAILING_SUBACCOUNT)
    );

    // The same apps in another order: every result keeps its location and fingerprint.
    for (account, sid, name, perms) in [
        (DEFAULT_ACCOUNT_SID, VAULT, "Recording Vault", &[][..]),
        (
            MARKETING,
            BLASTER,
            "Campaign Blaster",
            &["get-all", "post-all"][..],
        ),
    ] {
        assert!(emu.remove_app(account, sid));
        set_permissions(&emu, account, sid, name, perms);
    }
    let (_, again) = run_sarif(&args, "two.sarif");
    assert_eq!(
        by_key(again["runs"][0]["results"].as_array().unwrap()),
        first
    );

    // Another parent account is another category in code scanning.
    let mut other = args.clone();
    other.splice(0..0, ["--account-sid".to_owned(), MARKETING.to_owned()]);
    let mut other: Vec<String> = other
        .into_iter()
        .filter(|a| a != "--all-accounts")
        .collect();
    other.retain(|_| true);
    let (_, theirs) = run_sarif(&other, "other.sarif");
    assert_ne!(
        theirs["runs"][0]["automationDetails"]["id"],
        run0["automationDetails"]["id"]
    );

    // One error-level exception expired: exit 3, and the finding it held back counts again.
    args[policy_at] = policy_with_exceptions(&dir, &exceptions("2021-06-30"));
    let (o, log) = run_sarif(&args, "three.sarif");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .filter(|r| r["ruleId"] == "exception-expired")
            .count(),
        2
    );
    let unread = results
        .iter()
        .find(|r| r["ruleId"] == "account-not-audited")
        .unwrap();
    assert!(unread.get("suppressions").is_none());
}

/// A malformed exception is a usage error naming the file and line, before any request.
#[test]
fn a_malformed_exception_is_exit_2_before_any_request() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let dir = temp_dir("bad-exception");
    for (body, want) in [
        (
            format!("[[exception]]\nconnect_app_sid = \"{BLASTER}\"\nowner = \"a\"\nreason = \"b\"\nexpires = \"soon\"\n"),
            "line 5",
        ),
        (
            format!("[[exception]]\nconnect_app_sid = \"{BLASTER}\"\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-13-01\n"),
            "line 5",
        ),
        (
            format!("[[exception]]\nconnect_app_sid = \"{BLASTER}\"\nreason = \"b\"\nexpires = 2027-01-31\n"),
            "owner",
        ),
        (
            "[[exception]]\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-01-31\n".to_owned(),
            "line 2: exception: name at least one of",
        ),
        (
            "[[exception]]\nrule = \"no-such-rule\"\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-01-31\n".to_owned(),
            "line 2: rule:",
        ),
    ] {
        let path = dir.join("policy.toml");
        std::fs::write(&path, &body).unwrap();
        let o = run(against(&emu), &["audit", "--policy", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{body}");
        let err = text(&o.stderr);
        assert!(err.contains(&format!("--policy {}: ", path.display())), "{err}");
        assert!(err.contains(want), "{body}: {err}");
    }
    assert_eq!(emu.request_count(), 0, "nothing was sent");
}

/// The run record: the digests of what judged the apps, and what the run covered, as the
/// emulator saw it (the failing subaccount included); in every format.
#[test]
fn the_run_record_says_what_judged_the_apps_and_what_was_read() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let (dir, mut args) = scenario(&emu, "hyper", "run-record");
    let policy_at = args.iter().position(|a| a == "--policy").unwrap() + 1;
    args[policy_at] = policy_with_exceptions(&dir, &exceptions("2099-12-31"));
    let baseline_at = args.iter().position(|a| a == "--baseline").unwrap() + 1;
    let sha256 = |path: &str| -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(std::fs::read(path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let before = emu.request_count();
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"].map(String::from));
    let o = run(against(&emu), &arg_refs(&json_args));
    let served = emu.request_count() - before;
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let run_record = &doc["run"];
    assert_eq!(run_record["policy_sha256"], sha256(&args[policy_at]));
    assert_eq!(run_record["baseline_sha256"], sha256(&args[baseline_at]));
    // The parent, two subaccounts and the one that fails.
    assert_eq!(
        (
            &run_record["accounts_planned"],
            &run_record["accounts_read"],
            &run_record["accounts_failed"]
        ),
        (&Value::from(4), &Value::from(3), &Value::from(1))
    );
    assert_eq!(run_record["requests"], served, "{run_record}");
    assert!(run_record["pages"].as_u64().unwrap() >= 4, "{run_record}");
    assert_eq!(run_record["credential_kind"], "auth token");
    assert_eq!(
        doc["snapshot"]["run"]["policy_sha256"],
        run_record["policy_sha256"]
    );
    assert!(
        doc["snapshot"]["accounts"][0]["apps"][0]["last_seen"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // The other formats carry it too.
    for (format, needle) in [
        ("table", "; run: 3 of 4 accounts read, 1 failed;"),
        ("markdown", "3 of 4 accounts read, 1 failed;"),
        ("junit", "connect-apps.run.policy_sha256"),
        ("sarif", "\"policy_sha256\""),
    ] {
        let mut a = args.clone();
        a.extend(["--format", format].map(String::from));
        let o = run(against(&emu), &arg_refs(&a));
        let out = text(&o.stdout);
        assert!(out.contains(needle), "{format}: {out}");
        assert!(out.contains(&sha256(&args[policy_at])[..12]), "{format}");
        assert!(!out.contains(DEFAULT_AUTH_TOKEN), "{format}");
    }
    // An exception's finding about an app no case names goes with its account's own case.
    let mut a = args.clone();
    a.extend(["--format", "junit", "--fail-on", "note"].map(String::from));
    let junit = text(&run(against(&emu), &arg_refs(&a)).stdout);
    assert!(junit.contains("note: exception-stale: the exception for every rule for CN0000000000000000000000000000dead"), "{junit}");
}

/// `--format ocsf`: every line a valid OCSF 1.3.0 Detection Finding (checked against the
/// schema's definition files vendored in the test bed), with a `finding_info.uid` that stays
/// the same from run to run.
#[test]
fn ocsf_lines_are_valid_detection_findings_with_stable_uids() {
    let emu = Emulator::builder().audit_scenario().start().unwrap();
    let (dir, mut args) = scenario(&emu, "ureq", "ocsf");
    let policy_at = args.iter().position(|a| a == "--policy").unwrap() + 1;
    args[policy_at] = policy_with_exceptions(&dir, &exceptions("2099-12-31"));
    args.extend(["--format", "ocsf"].map(String::from));
    let schema = common::ocsf::Ocsf::load(&workspace_root());
    assert_eq!(schema.version(), "1.3.0");
    let lines = |o: &std::process::Output| -> Vec<Value> {
        text(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let o = run(against(&emu), &arg_refs(&args));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let first = lines(&o);
    // 10 findings, 1 expired exception, 1 stale.
    assert_eq!(first.len(), 12);
    for event in &first {
        let problems = schema.check_detection_finding(event);
        assert!(problems.is_empty(), "{problems:#?}\n{event:#}");
        assert_eq!(event["metadata"]["product"]["name"], "connect-apps");
        assert_eq!(
            event["metadata"]["product"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(event["metadata"]["version"], "1.3.0");
    }
    // The validator is not a no-op.
    let mut broken = first[0].clone();
    broken["severity_id"] = Value::from(42);
    broken["finding_info"]
        .as_object_mut()
        .unwrap()
        .remove("uid");
    broken["surprise"] = Value::from(true);
    assert_eq!(schema.check_detection_finding(&broken).len(), 3);
    let status = |rule: &str, app: &str| {
        first
            .iter()
            .find(|e| e["unmapped"]["rule_id"] == rule && e["resources"][0]["uid"] == app)
            .map(|e| {
                (
                    e["status"].as_str().unwrap().to_owned(),
                    e["activity_name"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        status("post-all-not-allowed", BLASTER),
        ("Suppressed".into(), "Update".into())
    );
    assert_eq!(status("new-app", NEWCOMER), ("New".into(), "Create".into()));
    assert_eq!(
        status("removed-app", HELPDESK),
        ("Resolved".into(), "Close".into())
    );
    let critical = first
        .iter()
        .find(|e| e["unmapped"]["rule_id"] == "post-all-not-allowed")
        .unwrap();
    assert_eq!(critical["severity"], "Critical");
    // Run again, the apps in another order: the same uids.
    assert!(emu.remove_app(DEFAULT_ACCOUNT_SID, VAULT));
    set_permissions(&emu, DEFAULT_ACCOUNT_SID, VAULT, "Recording Vault", &[]);
    let uids = |events: &[Value]| -> BTreeSet<String> {
        events
            .iter()
            .map(|e| e["finding_info"]["uid"].as_str().unwrap().to_owned())
            .collect()
    };
    let second = lines(&run(against(&emu), &arg_refs(&args)));
    assert_eq!(uids(&second), uids(&first));
    assert_eq!(uids(&first).len(), first.len(), "every finding its own uid");
}
