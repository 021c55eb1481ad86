#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! `connect-apps`, run as the program just built (`CARGO_BIN_EXE_connect-apps`) against the
//! emulator over real sockets.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use twilio_connect_apps_testbed::{
    Account, App, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, ErrorBody, Fault, FaultRule,
    FaultScript, Trigger,
};
use unicode_width::UnicodeWidthStr;

mod common;
use common::*;

#[test]
fn readme_first_command_runs_against_the_built_in_emulator() {
    let mut c = Command::new(env!("CARGO"));
    c.args([
        "run",
        "-q",
        "--bin",
        "connect-apps",
        "--",
        "list",
        "--emulator",
    ])
    .current_dir(workspace_root());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TWILIO_") {
            c.env_remove(k);
        }
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("4 apps, 1 with post-all") && last.contains("SAMPLE DATA"),
        "{out}"
    );
    assert!(
        text(&o.stderr).contains("built-in emulator"),
        "{}",
        text(&o.stderr)
    );
    // The README's first two set-up commands are exactly these.
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let commands: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take(2)
        .collect();
    assert_eq!(
        commands,
        [
            "cargo run --bin connect-apps -- list --emulator   # the main job, on the built-in emulator (sample data)",
            "cargo test --workspace                            # all tests",
        ]
    );
}

#[test]
fn help_version_and_completions() {
    let o = run(cli(), &["--help"]);
    assert!(o.status.success());
    let help = text(&o.stdout);
    for needle in [
        "Usage: connect-apps [OPTIONS] <COMMAND>",
        "--account-sid",
        "--base-url",
        "--ca-cert",
        "--transport",
        "--emulator",
        "--timeout",
        "--no-compression",
        "--verbose",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
        "TWILIO_EDGE",
        "TWILIO_REGION",
        "TWILIO_BASE_URL",
        "TWILIO_CA_CERT",
        "Sample data is shown only with --emulator",
        "--quiet",
        "--color",
        "NO_COLOR",
        "audit",
        "man",
        "Exit codes:",
        "--fail-on-post-all",
    ] {
        assert!(help.contains(needle), "--help lacks `{needle}`:\n{help}");
    }
    let list_help = text(&run(cli(), &["list", "--help"]).stdout);
    for needle in [
        "--limit",
        "--page-size",
        "--post-all-only",
        "--resume",
        "--format",
        "--json",
        "--fail-on-post-all",
        "--fields",
        "--no-header",
        "--output",
        "tsv",
        "--all-accounts",
        "--concurrency",
    ] {
        assert!(list_help.contains(needle), "list --help lacks `{needle}`");
    }
    let audit_help = text(&run(cli(), &["audit", "--help"]).stdout);
    for needle in [
        "--baseline",
        "--policy",
        "--snapshot",
        "--fail-on",
        "sarif",
        "junit",
        "markdown",
        "--resume",
    ] {
        assert!(audit_help.contains(needle), "audit --help lacks `{needle}`");
    }
    let o = run(cli(), &["--version"]);
    let version = text(&o.stdout);
    let prefix = format!("connect-apps {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&prefix), "{version}");
    assert!(
        version.contains("; transports: ureq 3, hyper 1; built-in emulator: yes)"),
        "{version}"
    );
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(cli(), &["completions", shell]);
        assert!(o.status.success(), "{shell}");
        assert!(
            text(&o.stdout).contains("connect-apps") && o.stdout.len() > 500,
            "{shell}"
        );
    }
}

/// The generated bash script, sourced in bash, completes every subcommand's options (clap's
/// hyphenated-name bug, clap-rs/clap#6421, left only the first word completing).
#[test]
fn bash_completion_completes_the_options_of_every_subcommand() {
    let script = run(cli(), &["completions", "bash"]);
    assert!(script.status.success());
    let dir = temp_dir("bash-completion");
    let path = dir.join("connect-apps.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source \"$SCRIPT\"; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
             COMP_POINT=${{#COMP_LINE}}; _connect__apps connect-apps '{cur}' '{prev}'; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words = words.join(" "),
            cword = words.len() - 1,
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let o = Command::new("bash")
            .args(["--norc", "-c", &program])
            .env("SCRIPT", &path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(complete("connect-apps audit --fo"), ["--format"]);
    assert!(complete("connect-apps audit --fail-on ").contains(&"warning".to_owned()));
    assert!(complete("connect-apps list --li").contains(&"--limit".to_owned()));
    assert_eq!(complete("connect-apps fet"), ["fetch"]);
}

/// A page per subcommand, each listing its own options; the exit codes keep their lines.
#[test]
fn man_pages_for_every_subcommand() {
    let page = |args: &[&str]| {
        let o = run(cli(), args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        // roff escapes every `-`.
        text(&o.stdout).replace("\\-", "-")
    };
    let audit = page(&["man", "audit"]);
    for needle in [
        "connect-apps-audit",
        "--baseline",
        "--policy",
        "--format",
        "--fail-on",
    ] {
        assert!(audit.contains(needle), "man audit lacks {needle}");
    }
    assert!(page(&["man", "list"]).contains("--limit"));
    let top = page(&["man"]);
    assert!(top.contains(".SH \"EXIT STATUS\"\n.nf\n"), "{top}");
    let dir = temp_dir("man-pages");
    let o = run(cli(), &["man", "--dir", dir.join("man1").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(dir.join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "connect-apps-audit.1",
            "connect-apps-completions.1",
            "connect-apps-fetch.1",
            "connect-apps-list.1",
            "connect-apps-man.1",
            "connect-apps.1"
        ]
    );
    let o = run(cli(), &["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("the subcommands are list, fetch, audit"));
}

#[test]
fn table_marks_post_all_and_summarises_sample_data() {
    let o = run(cli(), &["--emulator", "list"]);
    assert!(o.status.success());
    assert_clean(&o);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("SID")
            && lines[0].contains("FRIENDLY NAME")
            && lines[0].contains("HOMEPAGE")
    );
    let marked: Vec<&&str> = lines.iter().filter(|l| l.starts_with('!')).collect();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].contains("post-all") && marked[0].contains("Campaign Blaster"));
    assert_eq!(lines.len(), 6);
    assert!(lines[5].contains("SAMPLE DATA"), "{}", lines[5]);
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("SAMPLE DATA"), "{err}");
}

#[test]
fn no_credentials_exit_2_saying_what_to_set_and_a_near_miss_is_named() {
    let emu = Emulator::start();
    for (vars, must) in [
        (
            vec![],
            vec![
                "no credentials",
                "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN",
                "TWILIO_API_KEY",
                "TWILIO_CLIENT_ID",
                "--emulator",
            ],
        ),
        (
            vec![
                ("TWILIO_ACOUNT_SID", DEFAULT_ACCOUNT_SID),
                ("TWILIO_AUTH_TOKEN", "t"),
            ],
            vec!["TWILIO_ACCOUNT_SID", "did you mean TWILIO_ACCOUNT_SID?"],
        ),
        (
            vec![("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)],
            vec!["TWILIO_AUTH_TOKEN is not"],
        ),
        (vec![("TWILIO_REGION", "ie1")], vec!["TWILIO_ACCOUNT_SID"]),
        (
            vec![
                ("TWILIO_API_KEY", "SK00000000000000000000000000000001"),
                ("TWILIO_API_SECRET", "s"),
            ],
            vec!["TWILIO_ACCOUNT_SID"],
        ),
    ] {
        let mut c = cli();
        for (k, v) in &vars {
            c.env(k, v);
        }
        let o = run(c, &["list", "--json"]);
        assert_eq!(o.status.code(), Some(2), "{vars:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{vars:?}: no sample data printed");
        let err = text(&o.stderr);
        assert!(!err.contains("SAMPLE DATA"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        for m in must {
            assert!(err.contains(m), "{vars:?}: `{m}` not in {err}");
        }
    }
    // A base URL with no credentials is a usage error too, and nothing is sent.
    let o = run(cli(), &["--base-url", emu.base_url(), "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(emu.request_count(), 0);
    // --emulator wins over the environment.
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", "ACnot-a-sid");
    let o = run(c, &["--emulator", "list", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 4);
}

#[test]
fn both_transports_print_the_same_bytes_plain_and_tls() {
    for tls in [false, true] {
        let emu = Emulator::builder()
            .generated_apps(1234)
            .tls(tls)
            .start()
            .unwrap();
        let sid = twilio_connect_apps_testbed::generate_apps(6, 1)[5]
            .connect_app_sid
            .clone();
        for args in [
            vec!["list", "--page-size", "100"],
            vec!["list", "--json"],
            vec!["list", "--format", "csv"],
            vec!["list", "--limit", "5"],
            vec!["fetch", &sid],
            vec!["fetch", &sid, "--format", "csv"],
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
            assert_eq!(u.status.code(), Some(0), "{args:?}: {}", text(&u.stderr));
            assert_eq!(u.status.code(), h.status.code(), "{args:?}");
            assert_eq!(text(&u.stdout), text(&h.stdout), "{args:?} tls={tls}");
        }
    }
}

#[test]
fn json_is_ndjson_identical_with_and_without_gzip() {
    let emu = Emulator::builder().generated_apps(250).start().unwrap();
    let o = run(against(&emu), &["list", "--json", "--page-size", "100"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "nothing on stderr when all is well");
    let want = twilio_connect_apps_testbed::generate_apps(250, 1);
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 250);
    // Printed straight from the page body, each line is byte for byte what serde_json writes
    // for the record (field order, escapes, nulls).
    for line in text(&o.stdout).lines() {
        let app: twilio_connect_apps::AuthorizedConnectApp = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&app).unwrap(), line);
    }
    for (got, app) in lines.iter().zip(&want) {
        assert_eq!(got, &app.to_json(DEFAULT_ACCOUNT_SID));
        assert_eq!(
            got.as_object().unwrap().len(),
            8,
            "all 8 fields, nulls kept"
        );
    }
    let zipped = emu.body_bytes_sent();
    let plain = run(
        against(&emu),
        &["list", "--json", "--page-size", "100", "--no-compression"],
    );
    assert_eq!(plain.stdout, o.stdout, "byte-identical without compression");
    assert!(
        zipped * 5 < emu.body_bytes_sent() - zipped,
        "gzip moved fewer bytes"
    );
    let f = run(
        against(&emu),
        &["fetch", &want[3].connect_app_sid, "--format", "json"],
    );
    let v: Value = serde_json::from_str(text(&f.stdout).trim()).unwrap();
    assert_eq!(v, want[3].to_json(DEFAULT_ACCOUNT_SID));
}

#[test]
fn csv_has_a_header_rfc_4180_quoting_and_semicolon_permissions() {
    let emu = Emulator::builder().generated_apps(40).start().unwrap();
    let o = run(against(&emu), &["list", "--format", "csv"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "connect_app_sid,connect_app_friendly_name,connect_app_company_name,permissions,connect_app_homepage_url,connect_app_description,account_sid,uri"
    );
    // App 2's name is `Quote "2" and back\slash / tab<TAB>`; app 4's holds a line break.
    assert!(
        out.contains("\"Quote \"\"2\"\" and back\\slash / tab\t\""),
        "{out}"
    );
    assert!(out.contains("get-all;post-all"));
    assert!(out.contains("\"Line\nbreak 4 "));
}

#[test]
fn post_all_only_and_fail_on_post_all() {
    let sample = || {
        let mut c = cli();
        c.arg("--emulator");
        c
    };
    let o = run(sample(), &["list", "--post-all-only"]);
    let out = text(&o.stdout);
    assert!(o.status.success());
    assert_eq!(out.lines().filter(|l| l.starts_with('!')).count(), 1);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("1 app with post-all (of 4 listed"),
        "{out}"
    );
    let o = run(sample(), &["list", "--json", "--fail-on-post-all"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(text(&o.stdout).lines().count(), 4, "printed first");
    assert!(text(&o.stderr).contains("1 app holds post-all"));
    let o = run(
        sample(),
        &[
            "fetch",
            "CN0000000000000000000000000000b002",
            "--fail-on-post-all",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let o = run(
        sample(),
        &[
            "fetch",
            "CN0000000000000000000000000000b001",
            "--fail-on-post-all",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn api_errors_exit_1_with_code_status_link_and_where() {
    let emu = Emulator::start();
    let o = run(
        against(&emu),
        &["fetch", "CN0000000000000000000000000000dead"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: fetching CN0000000000000000000000000000dead at http://127.0.0.1:")
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
    assert!(o.stdout.is_empty(), "no lone header on stdout");
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
    assert!(text(&o.stderr).contains("HTTP 502"), "{}", text(&o.stderr));
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::ResetMidBody));
    let o = run(against(&emu), &["--transport", "hyper", "list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("connection reset"),
        "{}",
        text(&o.stderr)
    );
    assert_clean(&o);
}

/// The README's example error line is what a 503 from the emulator (Twilio's code and
/// message for it) gives, word for word but the origin and the request id.
#[test]
fn the_readmes_503_error_line_is_what_the_emulator_gives() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let example = readme
        .lines()
        .find(|l| l.starts_with("error: listing the Connect Apps") && l.contains("HTTP 503"))
        .expect("the README shows a 503 error line");
    let emu = Emulator::builder().generated_apps(3).start().unwrap();
    emu.add_fault(FaultRule::new(
        Trigger::Always,
        Fault::Status(503, ErrorBody::Twilio),
    ));
    let o = run(against(&emu), &["list", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let line = err.lines().next().unwrap();
    let want = example
        .replace("https://api.twilio.com", emu.base_url())
        .replace(" (request RQ…)", "");
    let got = line.split(" (request RQ").next().unwrap();
    assert_eq!(got, want, "{err}");
}

#[test]
fn a_failed_listing_resumes_with_nothing_lost_and_nothing_twice() {
    let emu = Emulator::builder().generated_apps(250).start().unwrap();
    // The third page fails, retries and all.
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=2&".into()),
        Fault::Status(503, ErrorBody::Html),
    ));
    for transport in ["ureq", "hyper"] {
        for format in ["json", "table"] {
            let o = run(
                against(&emu),
                &[
                    "--transport",
                    transport,
                    "list",
                    "--page-size",
                    "50",
                    "--limit",
                    "220",
                    "--format",
                    format,
                ],
            );
            assert_eq!(o.status.code(), Some(1));
            let err = text(&o.stderr);
            let last = err.lines().last().unwrap();
            assert!(last.contains("--resume c1."), "{err}");
            let resume = last.split_once("run: ").unwrap().1;
            assert!(
                resume.starts_with(BIN) || resume.contains("connect-apps"),
                "{last}"
            );
            assert!(
                !resume.contains("--limit") && !resume.contains("--page-size"),
                "{resume}"
            );
            let cursor = resume.split("--resume ").nth(1).unwrap();
            let first = text(&o.stdout);
            emu.set_faults(FaultScript::new());
            let o = run(
                against(&emu),
                &[
                    "--transport",
                    transport,
                    "list",
                    "--format",
                    format,
                    "--resume",
                    cursor,
                ],
            );
            assert!(o.status.success(), "{}", text(&o.stderr));
            let second = text(&o.stdout);
            if format == "json" {
                let sids = |s: &str| -> Vec<String> {
                    s.lines()
                        .map(|l| {
                            serde_json::from_str::<Value>(l).unwrap()["connect_app_sid"]
                                .as_str()
                                .unwrap()
                                .to_owned()
                        })
                        .collect()
                };
                let mut all = sids(&first);
                assert_eq!(all.len(), 100);
                all.extend(sids(&second));
                let want: Vec<String> = twilio_connect_apps_testbed::generate_apps(220, 1)
                    .into_iter()
                    .map(|a| a.connect_app_sid)
                    .collect();
                assert_eq!(all, want, "{transport}: every app once, the limit kept");
            } else {
                assert!(
                    second.lines().last().unwrap().starts_with("120 apps"),
                    "{second}"
                );
            }
            emu.set_faults(FaultScript::new().on(
                Trigger::PathContains("Page=2&".into()),
                Fault::Status(503, ErrorBody::Html),
            ));
        }
    }
}

#[test]
fn table_columns_stay_aligned_with_wide_characters_and_a_limit_says_more_may_exist() {
    let emu = Emulator::builder().generated_apps(30).start().unwrap();
    let o = run(against(&emu), &["list", "--limit", "14"]);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    // Every row's HOMEPAGE column starts at the same display column as the header's.
    let col = |l: &str| {
        let at = l
            .find("https://")
            .or_else(|| l.find("not a url"))
            .or_else(|| l.rfind("  -").map(|i| i + 2))
            .or_else(|| l.find("HOMEPAGE"))
            .unwrap();
        l[..at].width()
    };
    let header = col(lines[0]);
    for l in &lines[1..lines.len() - 1] {
        assert_eq!(col(l), header, "misaligned: {l}");
    }
    assert!(
        lines.iter().any(|l| l.contains("应用")),
        "a CJK name is there"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .contains("--limit reached: more apps may exist"),
        "{out}"
    );
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
        &["list", "--page-size", "0"],
        &["list", "--frobnicate"],
        &["--transport", "curl", "list"],
        &["--account-sid", "AC-not-a-sid", "list"],
        &["--timeout", "0", "list"],
        &["list", "--resume", "not-a-cursor"],
        &["list", "--json", "--format", "csv"],
        &["list", "--resume", "c1.e30", "--limit", "3"],
        &["delete", "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        &["list", "--all-accounts", "--concurrency", "0"],
        &["list", "--concurrency", "4"],
        &["list", "--fields", "sid,nonsense"],
        &["--color", "sometimes", "list"],
        &["audit", "--policy", "/nonexistent/policy.toml"],
        &["audit", "--baseline", "/nonexistent/baseline.ndjson"],
        &["audit", "--resume", "s1.e30"],
        &["audit", "--format", "pdf"],
        &[],
    ];
    for args in cases {
        let o = run(against(&emu), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert_clean(&o);
    }
    assert_eq!(emu.request_count(), 0, "nothing was sent");
    // The core says what is wrong with a value; the CLI does not restate its bounds.
    let o = run(against(&emu), &["list", "--page-size", "1001"]);
    assert!(
        text(&o.stderr).contains("error: --page-size: 1001 is outside 1..=1000"),
        "{}",
        text(&o.stderr)
    );
    // Flags and variables are named, not internal field names; a secret where a SID belongs
    // is not echoed.
    for (args, want) in [
        (
            &["list", "--all-accounts", "--concurrency", "0"][..],
            "--concurrency",
        ),
        (
            &["--account-sid", "ACsecret-token-value", "list"][..],
            "--account-sid",
        ),
        (&["fetch", "CNsecret-token-value"][..], "CONNECT_APP_SID"),
        (&["list", "--limit", "0"][..], "--limit"),
    ] {
        let o = run(against(&emu), args);
        let err = text(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("secret-token-value"), "{args:?}: {err}");
        assert!(
            !err.contains("invalid page_size") && !err.contains("base_url"),
            "{err}"
        );
    }
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", "ACsecret-token-value")
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN);
    let o = run(c, &["list"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("TWILIO_ACCOUNT_SID") && !err.contains("secret-token-value"),
        "{err}"
    );
    // A token in a base URL is refused, and not repeated.
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN);
    let o = run(
        c,
        &[
            "--base-url",
            &format!("https://{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}@api.twilio.com"),
            "list",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("user info"), "{}", text(&o.stderr));
    assert_clean(&o);
}

#[test]
fn error_lines_say_where_and_what() {
    // A bad --ca-cert names the file.
    let emu = Emulator::builder().tls(true).start().unwrap();
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN);
    let o = run(
        c,
        &[
            "--base-url",
            emu.base_url(),
            "--ca-cert",
            "/nonexistent/ca.pem",
            "list",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/nonexistent/ca.pem"),
        "{}",
        text(&o.stderr)
    );
    // A connect failure through a proxy says which proxy.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
        .env(
            "HTTPS_PROXY",
            format!("http://u:proxy-secret@127.0.0.1:{port}"),
        );
    let o = run(c, &["--timeout", "2", "list"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "at https://api.twilio.com via proxy 127.0.0.1:{port} (from HTTPS_PROXY)"
        )),
        "{err}"
    );
    assert!(!err.contains("proxy-secret"), "{err}");
    // An unsupported proxy scheme is a usage error naming the variable.
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
        .env("ALL_PROXY", "socks5://127.0.0.1:1080");
    let o = run(c, &["list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("ALL_PROXY"), "{}", text(&o.stderr));
    // A write failure on stdout is not a network error.
    let emu = Emulator::start();
    let devnull_full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = against(&emu)
        .args(["list", "--json"])
        .stdout(devnull_full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error: writing the output:"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_loopback_origin_is_never_proxied_whatever_the_environment_says() {
    let emu = Emulator::start();
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", proxy.local_addr().unwrap());
    proxy.set_nonblocking(true).unwrap();
    for transport in ["ureq", "hyper"] {
        let mut c = against(&emu);
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "all_proxy",
        ] {
            c.env(var, &url);
        }
        let o = run(c, &["--transport", transport, "list", "--json"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout).lines().count(), 4);
    }
    assert!(proxy.accept().is_err(), "the proxy saw a connection");
}

#[test]
fn verbose_shows_attempts_and_retries_and_never_the_credentials() {
    let emu = Emulator::start();
    emu.set_faults(FaultScript::new().rule(FaultRule::new(
        Trigger::Nth(1),
        Fault::TooManyRequests(twilio_connect_apps_testbed::RetryAfter::Seconds(0)),
    )));
    let o = run(against(&emu), &["-v", "list", "--json"]);
    assert!(o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("response") && err.contains("attempt=1") && err.contains("status=429"),
        "{err}"
    );
    assert!(
        err.contains("rate limited; retrying") && err.contains("attempt=2"),
        "{err}"
    );
    assert_eq!(text(&o.stdout).lines().count(), 4, "logs stay off stdout");
    // Everything, ureq's own logs included, at trace: still no credentials.
    for transport in ["ureq", "hyper"] {
        let mut c = against(&emu);
        c.env("RUST_LOG", "trace");
        let o = run(c, &["-vv", "--transport", transport, "list"]);
        assert!(o.status.success());
        let err = text(&o.stderr).to_ascii_lowercase();
        assert!(err.lines().count() > 3, "{transport}: {err}");
        assert!(
            !err.contains("authorization") && !err.contains("basic "),
            "{transport}"
        );
        assert_clean(&o);
    }
}

#[test]
fn subaccount_by_account_sid() {
    let sub = "AC00000000000000000000000000000002";
    let mut account = Account::new(sub, "sub-token");
    account.parent = Some(DEFAULT_ACCOUNT_SID.into());
    account
        .apps
        .push(App::new("CN00000000000000000000000000000009", "Sub app"));
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
        let mut first_page = 0;
        for line in lines.by_ref().take(1000) {
            assert!(line.unwrap().contains("CN0000000000000"));
            first_page += 1;
        }
        assert_eq!(first_page, 1000);
        assert!(
            !emu.requests()
                .iter()
                .any(|r| r.query.as_deref().unwrap_or("").contains("Page=2&")),
            "{transport}: the whole first page came before the last page was asked for"
        );
        assert_eq!(lines.count(), 2000 + 1, "rows and the summary");
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

#[test]
fn twilio_ca_cert_is_the_same_rule_as_ca_cert() {
    let emu = Emulator::start_tls();
    let path = ca_file(&emu).unwrap();
    for transport in ["ureq", "hyper"] {
        let mut c = cli();
        c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
            .env("TWILIO_BASE_URL", emu.base_url())
            .env("TWILIO_CA_CERT", &path);
        let o = run(c, &["--transport", transport, "list", "--json"]);
        assert!(o.status.success(), "{transport}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout).lines().count(), 4);
        // Without the root, the emulator is not trusted.
        let mut c = cli();
        c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
            .env("TWILIO_BASE_URL", emu.base_url());
        let o = run(c, &["--transport", transport, "list"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(text(&o.stderr).contains("TLS"), "{}", text(&o.stderr));
    }
}

#[test]
fn all_accounts_lists_every_subaccount_and_reports_the_failing_one() {
    let emu = Emulator::builder().subaccounts(12, 2).start().unwrap();
    let broken = "AC00000000000000000000000000000005";
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains(broken.into()),
        Fault::Status(403, ErrorBody::Twilio),
    ));
    let mut outputs = Vec::new();
    for transport in ["ureq", "hyper"] {
        let o = run(
            against(&emu),
            &[
                "--transport",
                transport,
                "list",
                "--all-accounts",
                "--concurrency",
                "3",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].contains("ACCOUNT SID") && lines[0].contains("ACCOUNT "),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines.len(),
            1 + 12 * 2 + 1,
            "header, 2 apps of 12 readable accounts, summary"
        );
        assert!(
            lines[1].contains("AC00000000000000000000000000000001")
                && lines[1].contains("Parent account")
        );
        assert!(!out.contains(broken) || out.lines().last().unwrap().contains(broken));
        let last = lines.last().unwrap();
        assert!(
            last.contains(&format!("13 accounts read, 1 failed: {broken}")),
            "{last}"
        );
        let err = text(&o.stderr);
        assert!(
            err.contains(broken) && err.contains("20003") && err.contains("403"),
            "{err}"
        );
        assert_clean(&o);
        assert!(!out.contains("token-"), "no subaccount token printed");
        outputs.push(out);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "both transports print the same bytes"
    );

    // JSON carries each app's account; the summary goes to stderr when something failed.
    let o = run(against(&emu), &["list", "--all-accounts", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 24);
    assert!(
        lines
            .iter()
            .all(|l| l["account_sid"].as_str().is_some_and(|s| s != broken))
    );
    assert!(text(&o.stderr).contains("1 failed"));

    // Audit flags apply across all accounts: only post-all, and exit 3 when all else is well.
    emu.set_faults(FaultScript::new());
    let o = run(
        against(&emu),
        &[
            "list",
            "--all-accounts",
            "--post-all-only",
            "--format",
            "csv",
            "--fail-on-post-all",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let csv = text(&o.stdout);
    assert!(csv.starts_with("account_sid,account_friendly_name,connect_app_sid,"));
    assert!(csv.lines().skip(1).all(|l| l.contains("post-all")), "{csv}");
    assert!(csv.lines().count() > 1);
    // Only active accounts: the suspended one (the 10th subaccount) is left out.
    let o = run(
        against(&emu),
        &["list", "--all-accounts", "--status", "active", "--json"],
    );
    assert!(o.status.success());
    let suspended = "AC0000000000000000000000000000000b";
    assert!(!text(&o.stdout).contains(suspended));
    assert_eq!(text(&o.stdout).lines().count(), 12 * 2);
    // --all-accounts does not go with --account-sid or --resume.
    let o = run(
        against(&emu),
        &["--account-sid", broken, "list", "--all-accounts"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `--output` into a FIFO, `/dev/null` and a link to a file: the FIFO and the device are
/// written into (never replaced by a regular file), the link is kept and its file replaced.
#[cfg(unix)]
#[test]
fn special_output_paths_are_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let emu = Emulator::start();
    let dir = temp_dir("special-outputs");
    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = run(
        against(&emu),
        &["list", "--json", "--output", fifo.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(reader.join().unwrap().lines().count(), 4);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    let o = run(against(&emu), &["list", "--json", "--output", "/dev/null"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    let real = dir.join("real.ndjson");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.ndjson");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = run(
        against(&emu),
        &["list", "--json", "--output", link.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap().lines().count(), 4);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 3, "no temporary file left: {left:?}");
}

/// Two options naming one file, a directory, a missing folder: exit 2 before any request, and
/// the approved baseline untouched.
#[test]
fn colliding_or_unusable_output_paths_exit_2_before_any_request() {
    let emu = Emulator::start();
    let dir = temp_dir("colliding-outputs");
    let base = dir.join("base.json");
    let o = run(
        against(&emu),
        &["audit", "--snapshot", base.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(3), "a finding: {}", text(&o.stderr));
    let approved = std::fs::read(&base).unwrap();
    let requests = emu.request_count();
    let b = base.to_str().unwrap();
    let same_via_dots = format!(
        "{}/../{}/base.json",
        dir.display(),
        dir.file_name().unwrap().to_str().unwrap()
    );
    let missing = dir.join("no-such-folder/report.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["audit", "--baseline", b, "--output", b],
            "--output and --baseline",
        ),
        (
            vec!["audit", "--baseline", b, "--output", &same_via_dots],
            "--output and --baseline",
        ),
        (
            vec!["audit", "--output", "x.json", "--snapshot", "./x.json"],
            "--output and --snapshot",
        ),
        (
            vec!["audit", "--output", dir.to_str().unwrap()],
            "is a directory",
        ),
        (
            vec!["audit", "--snapshot", dir.to_str().unwrap()],
            "is a directory",
        ),
        (
            vec!["list", "--output", dir.to_str().unwrap()],
            "is a directory",
        ),
        (
            vec!["list", "--output", missing.to_str().unwrap()],
            "does not exist",
        ),
    ];
    for (args, says) in cases {
        let mut c = against(&emu);
        c.current_dir(&dir);
        let o = run(c, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(says),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
    assert_eq!(emu.request_count(), requests, "no request was sent");
    assert_eq!(
        std::fs::read(&base).unwrap(),
        approved,
        "the baseline is untouched"
    );
    // A snapshot over its own baseline is a rolling baseline: allowed.
    let o = run(against(&emu), &["audit", "--baseline", b, "--snapshot", b]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(emu.request_count() > requests);
}
