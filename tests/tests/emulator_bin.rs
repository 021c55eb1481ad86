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
