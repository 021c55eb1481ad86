#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The CLI's conventions: sample data only with `--emulator`, error lines that say what to
//! do, `--output` written atomically, `-q`, `--color` and `NO_COLOR`, `--fields`,
//! `--no-header`, TSV, safe spreadsheet cells, resume tokens bound to their account, the man
//! page. Run as the program just built, against the emulator over real sockets.

use std::process::Stdio;
use std::time::Duration;

use twilio_connect_apps_testbed::{
    Account, App, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, ErrorBody, Fault, FaultScript,
    SAMPLE_SUBACCOUNTS, Trigger,
};

mod common;
use common::*;

const TRANSPORTS: [&str; 2] = ["ureq", "hyper"];

#[test]
fn an_empty_environment_is_a_usage_error_and_sample_data_needs_emulator() {
    let o = run(cli(), &["list", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "no sample data without --emulator");
    let err = text(&o.stderr);
    for name in ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "--emulator"] {
        assert!(err.contains(name), "{err}");
    }
    let o = run(sample(), &["list", "--json"]);
    assert!(o.status.success());
    assert_eq!(json_lines(&o).len(), 4);
    assert!(
        text(&o.stderr).contains("SAMPLE DATA"),
        "{}",
        text(&o.stderr)
    );
    let o = run(sample(), &["list"]);
    assert!(
        text(&o.stdout)
            .lines()
            .last()
            .unwrap()
            .contains("SAMPLE DATA")
    );
}

/// The error line for `args` against `emu`-like settings, with the credentials given.
fn error_of(c: std::process::Command, args: &[&str]) -> String {
    let o = run(c, args);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{args:?}: nothing printed");
    assert_clean(&o);
    let err = text(&o.stderr);
    assert!(
        !err.contains("to go on from where it stopped"),
        "no resume hint where resuming cannot help: {err}"
    );
    err
}

fn with_credentials() -> std::process::Command {
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN);
    c
}

#[test]
fn error_lines_say_what_to_do_and_resume_only_when_it_can_help() {
    let plain = Emulator::start();
    let tls = Emulator::start_tls();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for transport in TRANSPORTS {
        let t = ["--transport", transport];
        // 401: which variables the credentials came from, never their values.
        let mut c = cli();
        c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", "wrong-token-value");
        let err = error_of(
            c,
            &[&t[..], &["--base-url", plain.base_url(), "list"]].concat(),
        );
        assert!(
            err.contains("check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
                && err.contains("20003")
                && !err.contains("wrong-token-value"),
            "{transport}: {err}"
        );
        // TLS with a root this program does not trust.
        let err = error_of(
            with_credentials(),
            &[&t[..], &["--base-url", tls.base_url(), "list"]].concat(),
        );
        assert!(
            err.contains("--ca-cert") && err.contains("TWILIO_CA_CERT"),
            "{transport}: {err}"
        );
        // https:// to a plain-HTTP port, and http:// to a TLS port.
        let https_to_plain = plain.base_url().replace("http://", "https://");
        let err = error_of(
            with_credentials(),
            &[&t[..], &["--base-url", &https_to_plain, "list"]].concat(),
        );
        assert!(err.contains("does not answer in TLS"), "{transport}: {err}");
        let http_to_tls = tls.base_url().replace("https://", "http://");
        let err = error_of(
            with_credentials(),
            &[&t[..], &["--base-url", &http_to_tls, "list"]].concat(),
        );
        assert!(
            err.contains("does not answer in plain HTTP"),
            "{transport}: {err}"
        );
        // Nothing listening.
        let err = error_of(
            with_credentials(),
            &[
                &t[..],
                &["--base-url", &format!("http://127.0.0.1:{closed}"), "list"],
            ]
            .concat(),
        );
        assert!(
            err.contains("nothing listens") && err.contains("(after 4 attempts)"),
            "{transport}: {err}"
        );
        // A host that does not resolve.
        let err = error_of(
            with_credentials(),
            &[
                &t[..],
                &["--base-url", "https://nonexistent.invalid", "list"],
            ]
            .concat(),
        );
        assert!(
            err.contains("the host name nonexistent.invalid could not be resolved"),
            "{transport}: {err}"
        );
    }
}

#[test]
fn timeouts_and_retries_are_said_in_the_cores_words() {
    let emu = Emulator::builder()
        .faults(FaultScript::new().on(Trigger::Always, Fault::Delay(Duration::from_secs(20))))
        .start()
        .unwrap();
    for transport in TRANSPORTS {
        let err = error_of(
            against(&emu),
            &["--transport", transport, "--timeout", "0.3", "list"],
        );
        assert!(
            err.contains("each attempt may take 0.3 s (--timeout)")
                && err.contains("(after 4 attempts)")
                && !err.contains("timeout: global"),
            "{transport}: {err}"
        );
    }
    // A server error after retries: how many attempts, and Twilio's request id.
    let emu = Emulator::builder()
        .faults(FaultScript::new().on(Trigger::Always, Fault::Status(503, ErrorBody::Twilio)))
        .start()
        .unwrap();
    let err = error_of(against(&emu), &["list"]);
    assert!(
        err.contains("(after 4 attempts)") && err.contains("(request RQ"),
        "{err}"
    );
}

#[test]
fn with_two_kinds_of_credentials_stderr_says_which_is_used() {
    let key = "SK00000000000000000000000000000001";
    let emu = Emulator::builder()
        .api_key(key, "key-secret-value", DEFAULT_ACCOUNT_SID)
        .start()
        .unwrap();
    let mut c = against(&emu);
    c.env("TWILIO_API_KEY", key)
        .env("TWILIO_API_SECRET", "key-secret-value");
    let o = run(c, &["list", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("using the API key (TWILIO_API_KEY + TWILIO_API_SECRET + TWILIO_ACCOUNT_SID); TWILIO_AUTH_TOKEN set too, and not used"),
        "{err}"
    );
    assert!(!err.contains("key-secret-value"));
    // -q: errors only.
    let mut c = against(&emu);
    c.env("TWILIO_API_KEY", key)
        .env("TWILIO_API_SECRET", "key-secret-value");
    let o = run(c, &["-q", "list", "--json"]);
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn output_is_written_atomically_and_never_half() {
    let dir = temp_dir("output");
    let file = dir.join("apps.ndjson");
    let emu = Emulator::start();
    // Success: the file holds what stdout would have, and nothing is left beside it.
    let o = run(
        against(&emu),
        &["list", "--json", "--output", file.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let stdout_run = run(against(&emu), &["list", "--json"]);
    assert_eq!(std::fs::read(&file).unwrap(), stdout_run.stdout);
    assert!(leftovers(&dir).is_empty());
    // Findings still write the file (exit 3 as without --output).
    let o = run(
        against(&emu),
        &[
            "list",
            "--fail-on-post-all",
            "--format",
            "csv",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("connect_app_sid,")
    );
    // A run that fails part-way leaves the previous file as it was, with the same exit code.
    std::fs::write(&file, "previous\n").unwrap();
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::Status(400, ErrorBody::Twilio),
    ));
    for transport in TRANSPORTS {
        let args = [
            "--transport",
            transport,
            "list",
            "--json",
            "--page-size",
            "2",
        ];
        let without = run(against(&emu), &args);
        assert_eq!(without.status.code(), Some(1));
        assert_eq!(
            json_lines(&without).len(),
            2,
            "two printed before the failure"
        );
        let with = run(
            against(&emu),
            &[&args[..], &["--output", file.to_str().unwrap()]].concat(),
        );
        assert_eq!(with.status.code(), Some(1), "{}", text(&with.stderr));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        assert!(
            !text(&with.stderr).contains("--resume"),
            "no file was kept, so nothing to go on with"
        );
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file_and_the_previous_file_intact() {
    let dir = temp_dir("interrupted");
    let file = dir.join("apps.csv");
    std::fs::write(&file, "previous\n").unwrap();
    let emu = Emulator::builder().generated_apps(120).start().unwrap();
    // The second page never comes: the run is mid-way when it is stopped.
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::Delay(Duration::from_secs(120)),
    ));
    let mut child = against(&emu)
        .args([
            "list",
            "--format",
            "csv",
            "--page-size",
            "50",
            "--output",
            file.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the state to be reached: the temporary file exists and the first page is in.
    let mut waited = 0;
    while (leftovers(&dir).is_empty() || emu.request_count() < 2) && waited < 60_000 {
        std::thread::sleep(Duration::from_millis(20));
        waited += 20;
    }
    assert_eq!(
        leftovers(&dir).len(),
        1,
        "the temporary file is there mid-run"
    );
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n");
}

#[test]
fn quiet_color_and_no_color() {
    let o = run(sample(), &["-q", "list"]);
    let out = text(&o.stdout);
    assert_eq!(
        out.lines().count(),
        5,
        "the header and 4 rows, no summary: {out}"
    );
    assert!(!out.contains("SAMPLE DATA"));
    // stderr still says the data is not an account's.
    assert_eq!(text(&o.stderr).lines().count(), 1);
    assert!(text(&o.stderr).contains("SAMPLE DATA"));
    let mark = "\u{1b}[1;31m!\u{1b}[0m";
    let o = run(sample(), &["--color", "always", "list"]);
    assert!(text(&o.stdout).contains(mark));
    let o = run(sample(), &["list"]);
    assert!(
        !text(&o.stdout).contains('\u{1b}'),
        "not a terminal: no colour"
    );
    let mut c = sample();
    c.env("NO_COLOR", "1");
    let o = run(c, &["--color", "always", "list"]);
    assert!(text(&o.stdout).contains(mark), "an explicit flag wins");
    // The -v logs: coloured only when asked, never with NO_COLOR.
    let mut c = sample();
    c.env("NO_COLOR", "1");
    let o = run(c, &["-v", "list", "--json"]);
    let err = text(&o.stderr);
    assert!(err.contains("attempt") || err.contains("response"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    let o = run(sample(), &["--color", "always", "-v", "list", "--json"]);
    assert!(text(&o.stderr).contains('\u{1b}'));
    assert!(
        !text(&o.stdout).contains('\u{1b}'),
        "JSON is never coloured"
    );
    let o = run(sample(), &["-q", "-v", "list"]);
    assert_eq!(o.status.code(), Some(2), "--quiet and --verbose conflict");
}

#[test]
fn fields_no_header_and_tsv() {
    let o = run(
        sample(),
        &[
            "-q",
            "list",
            "--format",
            "csv",
            "--fields",
            "permissions,sid,account",
            "--no-header",
        ],
    );
    let out = text(&o.stdout);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!("get-all,CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,{DEFAULT_ACCOUNT_SID}")
    );
    assert_eq!(out.lines().count(), 4);
    let o = run(
        sample(),
        &["-q", "list", "--format", "tsv", "--fields", "sid,name"],
    );
    let out = text(&o.stdout);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "connect_app_sid\tconnect_app_friendly_name"
    );
    assert_eq!(
        lines.nth(2).unwrap(),
        "CN0000000000000000000000000000b002\tCampaign Blaster"
    );
    let o = run(sample(), &["-q", "list", "--fields", "name,sid"]);
    let header = text(&o.stdout).lines().next().unwrap().to_owned();
    assert!(
        header.trim_start().starts_with("FRIENDLY NAME") && header.trim_end().ends_with("SID"),
        "{header}"
    );
    let o = run(sample(), &["-q", "list", "--no-header"]);
    assert_eq!(text(&o.stdout).lines().count(), 4);
}

#[test]
fn spreadsheet_cells_and_terminal_text_are_safe_and_json_is_lossless() {
    let mut hostile = App::new(
        "CN0000000000000000000000000000f001",
        "=HYPERLINK(\"http://evil\",\"x\")",
    );
    hostile.connect_app_company_name = Some("+1-555".into());
    hostile.connect_app_description = Some("\u{202e}gnp.exe \u{1b}]52;c;x\u{7} -2".into());
    hostile.connect_app_homepage_url = Some("@SUM(A1)".into());
    let mut account = Account::new(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN);
    account.apps = vec![hostile];
    let emu = Emulator::builder()
        .dataset(twilio_connect_apps_testbed::Dataset {
            accounts: vec![account],
            api_keys: Vec::new(),
        })
        .start()
        .unwrap();
    let csv = text(&run(against(&emu), &["list", "--format", "csv"]).stdout);
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#),
        "{row}"
    );
    assert!(
        row.contains(",'+1-555,") && row.contains(",'@SUM(A1),"),
        "{row}"
    );
    assert!(
        !row.contains('\u{202e}') && !row.contains('\u{1b}'),
        "{row:?}"
    );
    let tsv = text(&run(against(&emu), &["list", "--format", "tsv"]).stdout);
    let row = tsv.lines().nth(1).unwrap();
    assert!(
        row.contains("\t'=HYPERLINK(") && row.contains("\t'+1-555\t"),
        "{row}"
    );
    let table = text(&run(against(&emu), &["list", "--fields", "sid,description"]).stdout);
    assert!(
        !table.contains('\u{202e}') && !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    let json = text(&run(against(&emu), &["list", "--json"]).stdout);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        v["connect_app_description"], "\u{202e}gnp.exe \u{1b}]52;c;x\u{7} -2",
        "JSON keeps what the API sent"
    );
}

#[test]
fn a_resumed_csv_or_tsv_goes_on_without_a_second_header() {
    let emu = Emulator::builder().generated_apps(150).start().unwrap();
    for format in ["csv", "tsv"] {
        let whole = run(
            against(&emu),
            &["list", "--format", format, "--page-size", "50"],
        );
        assert!(whole.status.success());
        emu.set_faults(FaultScript::new().on(
            Trigger::PathContains("Page=2&".into()),
            Fault::Status(503, ErrorBody::Html),
        ));
        let first = run(
            against(&emu),
            &["list", "--format", format, "--page-size", "50"],
        );
        assert_eq!(first.status.code(), Some(1));
        let err = text(&first.stderr);
        let cursor = err.split("--resume ").nth(1).unwrap().trim();
        emu.set_faults(FaultScript::new());
        let second = run(
            against(&emu),
            &["list", "--format", format, "--resume", cursor],
        );
        assert!(second.status.success(), "{}", text(&second.stderr));
        let joined = [first.stdout, second.stdout].concat();
        assert_eq!(text(&joined), text(&whole.stdout), "{format}");
    }
}

#[test]
fn a_cursor_resumes_only_in_its_own_account_and_is_bounded() {
    let emu = Emulator::builder().generated_apps(120).start().unwrap();
    // Use the sample's subaccount too.
    let sub = SAMPLE_SUBACCOUNTS[0];
    let mut child = Account::new(sub, "token-sub");
    child.parent = Some(DEFAULT_ACCOUNT_SID.into());
    let emu2 = Emulator::builder()
        .generated_apps(120)
        .account(child)
        .start()
        .unwrap();
    drop(emu);
    emu2.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::Status(503, ErrorBody::Html),
    ));
    let o = run(against(&emu2), &["list", "--json", "--page-size", "50"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let cursor = err.split("--resume ").nth(1).unwrap().trim().to_owned();
    emu2.set_faults(FaultScript::new());
    let before = emu2.request_count();
    let o = run(
        against(&emu2),
        &["--account-sid", sub, "list", "--resume", &cursor],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("--resume") && err.contains(DEFAULT_ACCOUNT_SID) && err.contains(sub),
        "{err}"
    );
    assert_eq!(emu2.request_count(), before, "nothing was sent");
    // An over-long value is refused without being repeated.
    let long = format!("c1.{}", "A".repeat(50_000));
    let o = run(against(&emu2), &["list", "--resume", &long]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.len() < 300 && !err.contains("AAAAAAAA"), "{err}");
}

#[test]
fn all_accounts_json_lines_say_their_account() {
    for transport in TRANSPORTS {
        let o = run(
            sample(),
            &["--transport", transport, "list", "--all-accounts", "--json"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 7);
        let names: Vec<&str> = lines
            .iter()
            .map(|l| l["account_friendly_name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "Sample parent account");
        assert_eq!(names[4], "Support team");
        assert_eq!(names[6], "Marketing");
        assert_eq!(lines[6]["account_sid"], SAMPLE_SUBACCOUNTS[1]);
        // The object's first key is the account's name, then the API's fields as they came.
        let first = text(&o.stdout).lines().next().unwrap().to_owned();
        assert!(
            first.starts_with(
                "{\"account_friendly_name\":\"Sample parent account\",\"account_sid\":"
            ),
            "{first}"
        );
    }
}

#[test]
fn the_man_page_is_roff_from_the_same_definitions_as_help() {
    let o = run(cli(), &["man"]);
    assert!(o.status.success());
    let page = text(&o.stdout);
    assert!(
        page.contains(".TH connect-apps"),
        "{}",
        &page[..200.min(page.len())]
    );
    for needle in ["audit", "\\-\\-emulator", "\\-\\-quiet"] {
        assert!(page.contains(needle), "{needle}");
    }
}

/// A sequential listing keeps to one connection with either transport (hyper's pool used to
/// open a second one when the next page's request started before the connection was back).
#[test]
fn a_listing_keeps_to_one_connection() {
    let emu = Emulator::builder().generated_apps(5000).start().unwrap();
    for transport in TRANSPORTS {
        let before = emu.connection_count();
        for _ in 0..3 {
            let o = run(
                against(&emu),
                &[
                    "-q",
                    "--transport",
                    transport,
                    "list",
                    "--json",
                    "--page-size",
                    "250",
                ],
            );
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
        assert_eq!(
            emu.connection_count() - before,
            3,
            "{transport}: 20 pages a run, one connection a run"
        );
    }
}
