//! Runs the emulator standalone.
//!
//! ```text
//! cargo run --bin twilio-emulator -- --port 4010 [--tls] [--apps N] [--seed-file F]
//! ```
//!
//! Prints `TWILIO_BASE_URL=…`, `TWILIO_ACCOUNT_SID=…`, `TWILIO_AUTH_TOKEN=…` (and with `--tls`,
//! `TWILIO_CA_CERT=<PEM path>`) on stdout, one per line, so a shell can `eval` them; logs
//! requests on stderr; stops on Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use twilio_connect_apps_testbed::{Dataset, Emulator};

const USAGE: &str = "usage: twilio-emulator [--port N] [--tls] [--apps N] [--seed-file FILE]";

struct Args {
    port: u16,
    tls: bool,
    apps: Option<usize>,
    seed_file: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 4010,
        tls: false,
        apps: None,
        seed_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port"))?;
            }
            "--tls" => args.tls = true,
            "--apps" => {
                let v = value("--apps")?;
                args.apps = Some(
                    v.parse()
                        .map_err(|_| format!("--apps: `{v}` is not a count"))?,
                );
            }
            "--seed-file" => args.seed_file = Some(value("--seed-file")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let data = match (&args.seed_file, args.apps) {
        (Some(f), _) => match std::fs::read_to_string(f)
            .map_err(|e| format!("{f}: {e}"))
            .and_then(|s| Dataset::from_json(&s))
        {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, Some(n)) => Dataset::generated(n),
        (None, None) => Dataset::sample(),
    };
    let Some(first) = data.accounts.first().cloned() else {
        eprintln!("error: the data holds no account");
        return ExitCode::from(2);
    };
    let emu = match Emulator::builder()
        .dataset(data)
        .tls(args.tls)
        .port(args.port)
        .log_to_stderr(true)
        .start()
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "error: cannot start the emulator on port {}: {e}",
                args.port
            );
            return ExitCode::from(1);
        }
    };
    let mut out = String::new();
    out.push_str(&format!("TWILIO_BASE_URL={}\n", emu.base_url()));
    out.push_str(&format!("TWILIO_ACCOUNT_SID={}\n", first.sid));
    out.push_str(&format!("TWILIO_AUTH_TOKEN={}\n", first.auth_token));
    let mut ca_path = None;
    if let Some(pem) = emu.ca_cert_pem() {
        let path =
            std::env::temp_dir().join(format!("twilio-emulator-{}-ca.pem", emu.addr().port()));
        if let Err(e) = std::fs::write(&path, pem) {
            eprintln!(
                "error: cannot write the CA certificate to {}: {e}",
                path.display()
            );
            return ExitCode::from(1);
        }
        out.push_str(&format!("TWILIO_CA_CERT={}\n", path.display()));
        ca_path = Some(path);
    }
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    eprintln!(
        "twilio-emulator: listening on {} (Ctrl-C to stop)",
        emu.base_url()
    );

    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    });
    eprintln!("twilio-emulator: stopping");
    drop(emu);
    if let Some(p) = ca_path {
        let _ = std::fs::remove_file(p);
    }
    ExitCode::SUCCESS
}
