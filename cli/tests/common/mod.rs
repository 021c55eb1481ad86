//! What every CLI test file uses: the program with a clean environment, pointed at an
//! emulator, and the checks that no secret or panic reaches the output.
#![allow(dead_code, unreachable_pub)] // each test file uses its own part

pub mod ocsf;

use std::path::PathBuf;
use std::process::{Command, Output};

use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

pub const BIN: &str = env!("CARGO_BIN_EXE_connect-apps");

/// The program with no TWILIO_* variable (nor proxy or log variable) from the outside world.
pub fn cli() -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("TWILIO_") || k.to_ascii_lowercase().ends_with("_proxy") || k == "RUST_LOG"
        {
            c.env_remove(k);
        }
    }
    c.env_remove("RUST_BACKTRACE");
    c
}

pub fn ca_file(emu: &Emulator) -> Option<PathBuf> {
    let pem = emu.ca_cert_pem()?;
    let path = std::env::temp_dir().join(format!("connect-apps-test-ca-{}.pem", emu.addr().port()));
    std::fs::write(&path, pem).unwrap();
    Some(path)
}

/// Credentials for the emulator's default account, and its base URL (and CA).
pub fn against(emu: &Emulator) -> Command {
    let mut c = cli();
    c.env("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
        .arg("--base-url")
        .arg(emu.base_url());
    if let Some(path) = ca_file(emu) {
        c.arg("--ca-cert").arg(path);
    }
    c
}

pub fn run(mut c: Command, args: &[&str]) -> Output {
    c.args(args).output().unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn assert_clean(o: &Output) {
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!all.contains(DEFAULT_AUTH_TOKEN), "token in output: {all}");
    assert!(!all.contains("panicked"), "panic: {all}");
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The program on the built-in emulator (`--emulator`), with a clean environment.
pub fn sample() -> Command {
    let mut c = cli();
    c.arg("--emulator");
    c
}

/// stdout's NDJSON lines.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A fresh folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "connect-apps-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
