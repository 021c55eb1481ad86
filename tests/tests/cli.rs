//! The `connect-apps` example, run as a program against the emulator.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use twilio_testbed::{
    DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, ErrorBody, Fault, FaultRule, FaultScript,
    Trigger,
};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The example binary that `cargo test` built next to this test's own binary.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(format!("connect-apps{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "twilio-connect-apps-testbed",
                "--example",
                "connect-apps",
            ])
            .current_dir(workspace_root())
            .status()
            .unwrap();
        assert!(status.success());
    }
    path
}

/// Every variable the CLI reads; tests start from none of them.
const TWILIO_VARS: [&str; 8] = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_BASE_URL",
    "TWILIO_CA_CERT",
    "TWILIO_EDGE",
    "TWILIO_REGION",
];

/// A command with no Twilio variables from the outside world.
fn cli() -> Command {
    let mut c = Command::new(binary());
    for v in TWILIO_VARS {
        c.env_remove(v);
    }
    c.env_remove("RUST_BACKTRACE");
    c
}

fn against(emu: &Emulator) -> Command {
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
        .arg("--base-url")
        .arg(emu.base_url());
    if let Some(pem) = emu.ca_cert_pem() {
        let path =
            std::env::temp_dir().join(format!("connect-apps-test-ca-{}.pem", emu.addr().port()));
        std::fs::write(&path, pem).unwrap();
        c.arg("--ca-cert").arg(path);
    }
    c
}

fn run(mut c: Command, args: &[&str]) -> Output {
    c.args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_clean(o: &Output) {
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!all.contains(DEFAULT_AUTH_TOKEN), "token in output: {all}");
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "panic: {all}"
    );
}

#[test]
fn readme_first_command_runs_against_the_built_in_emulator() {
    let mut c = Command::new(env!("CARGO"));
    c.args(["run", "-q", "--example", "connect-apps", "--", "list"])
        .current_dir(workspace_root());
    for v in TWILIO_VARS {
        c.env_remove(v);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("4 apps, 1 with post-all"),
        "{out}"
    );
    assert!(
        text(&o.stderr).contains("built-in emulator"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn table_marks_post_all_and_summarises() {
    let o = run(cli(), &["list"]);
    assert!(o.status.success());
    assert_clean(&o);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("SID")
            && lines[0].contains("FRIENDLY NAME")
            && lines[0].contains("PERMISSIONS")
            && lines[0].contains("HOMEPAGE")
    );
    let marked: Vec<&&str> = lines.iter().filter(|l| l.starts_with('!')).collect();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].contains("post-all") && marked[0].contains("Campaign Blaster"));
    assert_eq!(lines.len(), 6);
    // stderr says one line about the emulator
    assert_eq!(text(&o.stderr).lines().count(), 1);
}

#[test]
fn both_transports_print_the_same_bytes_plain_and_tls() {
    for tls in [false, true] {
        let emu = Emulator::builder()
            .generated_apps(1234)
            .tls(tls)
            .start()
            .unwrap();
        for args in [
            vec!["list", "--page-size", "100"],
            vec!["list", "--json"],
            vec!["list", "--limit", "5"],
            vec!["fetch", "CN00000000000000050000000000000000"],
        ] {
            let u = run(
                against(&emu),
                &[&["--transport", "ureq"], args.as_slice()].concat(),
            );
            let h = run(
                against(&emu),
                &[&["--transport", "hyper"], args.as_slice()].concat(),
            );
            assert_clean(&u);
            assert_eq!(u.status.code(), h.status.code(), "{args:?}");
            assert_eq!(text(&u.stdout), text(&h.stdout), "{args:?} tls={tls}");
        }
    }
}

#[test]
fn json_is_ndjson_with_api_field_names_and_nulls() {
    let emu = Emulator::builder().generated_apps(250).start().unwrap();
    let o = run(against(&emu), &["list", "--json", "--page-size", "100"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "nothing on stderr when all is well");
    let want = twilio_testbed::generate_apps(250, 1);
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 250);
    for (got, app) in lines.iter().zip(&want) {
        assert_eq!(
            got,
            &app.to_json(DEFAULT_ACCOUNT_SID),
            "round trip of {}",
            app.connect_app_sid
        );
        assert_eq!(
            got.as_object().unwrap().len(),
            8,
            "all 8 fields, nulls kept"
        );
    }
    assert_eq!(emu.request_count(), 3);

    let o = run(
        against(&emu),
        &["fetch", &want[3].connect_app_sid, "--json"],
    );
    let v: Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(v, want[3].to_json(DEFAULT_ACCOUNT_SID));
}

#[test]
fn api_errors_exit_1_with_code_status_and_link() {
    let emu = Emulator::start();
    let o = run(
        against(&emu),
        &["fetch", "CN0000000000000000000000000000dead"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error:")
            && err.contains("20404")
            && err.contains("404")
            && err.contains("https://www.twilio.com/docs/errors/20404"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert_clean(&o);

    let mut c = against(&emu);
    c.env("TWILIO_AUTH_TOKEN", "wrong-token-value");
    let o = run(c, &["list"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("20003") && err.contains("401"), "{err}");
    assert!(!err.contains("wrong-token-value"));
}

#[test]
fn faults_recover_or_exit_1() {
    let emu = Emulator::builder().generated_apps(120).start().unwrap();
    emu.set_faults(FaultScript::new().rule(FaultRule::new(
        Trigger::Nth(2),
        Fault::Status(503, ErrorBody::Html),
    )));
    for transport in ["ureq", "hyper"] {
        let o = run(
            against(&emu),
            &[
                "--transport",
                transport,
                "list",
                "--page-size",
                "50",
                "--json",
            ],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout).lines().count(), 120);
    }
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Status(502, ErrorBody::Html)));
    let o = run(against(&emu), &["list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error: HTTP 502"),
        "{}",
        text(&o.stderr)
    );
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::ResetMidBody));
    let o = run(against(&emu), &["--transport", "hyper", "list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error: connection reset"),
        "{}",
        text(&o.stderr)
    );
    assert_clean(&o);
}

#[test]
fn usage_errors_exit_2_before_any_request() {
    let emu = Emulator::start();
    let cases: &[&[&str]] = &[
        &["fetch", "CN123"],
        &["fetch"],
        &["list", "--limit", "abc"],
        &["list", "--limit", "0"],
        &["list", "--page-size", "1001"],
        &["list", "--frobnicate"],
        &["--transport", "curl", "list"],
        &["--account-sid", "AC-not-a-sid", "list"],
        &["delete", "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        &[],
    ];
    for args in cases {
        let o = run(against(&emu), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).starts_with("error:"), "{args:?}");
        assert_clean(&o);
    }
    let o = run(cli(), &["--base-url", "http://example.com", "list"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(cli(), &["--base-url", emu.base_url(), "list"]);
    assert_eq!(o.status.code(), Some(2), "a base URL without credentials");
    assert!(
        text(&o.stderr).contains("TWILIO_ACCOUNT_SID"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(emu.request_count(), 0, "nothing was sent");
    let o = run(cli(), &["--help"]);
    assert!(o.status.success() && text(&o.stdout).contains("connect-apps [GLOBAL] list"));
}

#[test]
fn subaccount_by_account_sid() {
    let sub = "AC00000000000000000000000000000002";
    let mut account = twilio_testbed::Account::new(sub, "sub-token");
    account.parent = Some(DEFAULT_ACCOUNT_SID.into());
    account.apps.push(twilio_testbed::App::new(
        "CN00000000000000000000000000000009",
        "Sub app",
    ));
    let emu = Emulator::builder().account(account).start().unwrap();
    let o = run(against(&emu), &["--account-sid", sub, "list", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 1);
    assert!(emu.requests()[0].path.contains(sub));
}

#[test]
fn listing_streams_rows_before_the_last_page() {
    let emu = Emulator::builder().generated_apps(3000).start().unwrap();
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::Delay(Duration::from_millis(1500)),
    ));
    for transport in ["ureq", "hyper"] {
        let mut child = against(&emu)
            .args(["--transport", transport, "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let _header = lines.next().unwrap().unwrap();
        let first = lines.next().unwrap().unwrap();
        assert!(first.contains("CN0000000000000000"), "{first}");
        let seen = emu.requests();
        assert!(
            !seen
                .iter()
                .any(|r| r.query.as_deref().unwrap_or("").contains("Page=2&")),
            "{transport}: the first row came before the last page was asked for"
        );
        let rest = lines.count();
        assert_eq!(rest, 3000 - 1 + 1, "rows and the summary");
        assert!(child.wait().unwrap().success());
        emu.clear_log();
    }
}

#[test]
fn closed_stdout_is_not_a_panic() {
    let emu = Emulator::builder().generated_apps(5000).start().unwrap();
    let mut child = against(&emu)
        .args(["list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 16];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(!err.contains("panicked"), "{err}");
}
