//! `connect-apps`: list and inspect the Connect Apps authorized on a Twilio account.
//!
//! ```text
//! connect-apps [GLOBAL] list [--limit N] [--page-size N] [--json]
//! connect-apps [GLOBAL] fetch <CONNECT_APP_SID> [--json]
//! GLOBAL:
//!   --account-sid <AC...>       account whose apps to read (default: the credentials' account)
//!   --base-url <URL>            API origin (env TWILIO_BASE_URL; default https://api.twilio.com,
//!                               with TWILIO_EDGE/TWILIO_REGION applied)
//!   --ca-cert <PEM file>        extra root certificate to trust (env TWILIO_CA_CERT)
//!   --transport <ureq|hyper>    default ureq
//!   --emulator                  use the built-in emulator with sample data
//! ```
//!
//! Credentials come from `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN`, or `TWILIO_API_KEY` +
//! `TWILIO_API_SECRET` + `TWILIO_ACCOUNT_SID`. With none set and no base URL, it runs against the
//! built-in emulator. Exit codes: 0 success, 1 API/network/parse error, 2 usage error.

use std::io::{self, Write};
use std::process::ExitCode;

use twilio_connect_apps::{
    AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Credentials, Error, ListParams,
    Permission, Secret,
};
use twilio_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

const USAGE: &str = "\
usage: connect-apps [GLOBAL] list [--limit N] [--page-size N] [--json]
       connect-apps [GLOBAL] fetch <CONNECT_APP_SID> [--json]
GLOBAL:
  --account-sid <AC...>       account whose apps to read (default: the credentials' account)
  --base-url <URL>            API origin (env TWILIO_BASE_URL; default https://api.twilio.com,
                              with TWILIO_EDGE/TWILIO_REGION applied)
  --ca-cert <PEM file>        extra root certificate to trust (env TWILIO_CA_CERT)
  --transport <ureq|hyper>    default ureq
  --emulator                  use the built-in emulator with sample data";

#[derive(Clone, Copy, PartialEq)]
enum TransportKind {
    Ureq,
    Hyper,
}

enum Command {
    List {
        limit: Option<u64>,
        page_size: Option<u32>,
    },
    Fetch {
        sid: ConnectAppSid,
    },
}

struct Args {
    account: Option<AccountSid>,
    base_url: Option<String>,
    ca_cert: Option<String>,
    transport: TransportKind,
    emulator: bool,
    json: bool,
    command: Command,
}

/// What ended the program.
enum Failure {
    /// Bad input: nothing was sent. Exit 2.
    Usage(String),
    /// The API, the network or the body failed. Exit 1.
    Run(Error),
    /// stdout was closed (e.g. piped into `head`): stop quietly.
    Closed,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Run(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Run(Error::Transport(twilio_connect_apps::TransportError::new(
                twilio_connect_apps::TransportErrorKind::Other,
                format!("writing output: {e}"),
                None,
            )))
        }
    }
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut account = None;
    let mut base_url = None;
    let mut ca_cert = None;
    let mut transport = TransportKind::Ureq;
    let mut emulator = false;
    let mut json = false;
    let mut limit = None;
    let mut page_size = None;
    let mut command: Option<&str> = None;
    let mut positional: Vec<&str> = Vec::new();
    let mut it = argv.iter().map(String::as_str);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--account-sid" => {
                let v = value(flag)?;
                account = Some(
                    v.parse::<AccountSid>()
                        .map_err(|e| format!("--account-sid: {e}"))?,
                );
            }
            "--base-url" => base_url = Some(value(flag)?),
            "--ca-cert" => ca_cert = Some(value(flag)?),
            "--transport" => {
                transport = match value(flag)?.as_str() {
                    "ureq" => TransportKind::Ureq,
                    "hyper" => TransportKind::Hyper,
                    other => return Err(format!("--transport: `{other}` is not ureq or hyper")),
                }
            }
            "--emulator" => emulator = true,
            "--json" => json = true,
            "--limit" => {
                let v = value(flag)?;
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("--limit: `{v}` is not a positive number"))?;
                if n == 0 {
                    return Err("--limit: must be at least 1".into());
                }
                limit = Some(n);
            }
            "--page-size" => {
                let v = value(flag)?;
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("--page-size: `{v}` is not a number"))?;
                if !(1..=1000).contains(&n) {
                    return Err(format!("--page-size: {n} is outside 1..=1000"));
                }
                page_size = Some(n);
            }
            f if f.starts_with('-') && f.len() > 1 => return Err(format!("unknown option `{f}`")),
            word if command.is_none() => command = Some(word),
            word => positional.push(word),
        }
    }
    let command = match (command, positional.as_slice()) {
        (Some("list"), []) => Command::List { limit, page_size },
        (Some("list"), [extra, ..]) => return Err(format!("list: unexpected argument `{extra}`")),
        (Some("fetch"), [sid]) => {
            if limit.is_some() || page_size.is_some() {
                return Err("fetch takes no --limit or --page-size".into());
            }
            Command::Fetch {
                sid: sid.parse().map_err(|e| format!("fetch: {e}"))?,
            }
        }
        (Some("fetch"), []) => return Err("fetch needs a CONNECT_APP_SID".into()),
        (Some("fetch"), [_, extra, ..]) => {
            return Err(format!("fetch: unexpected argument `{extra}`"));
        }
        (Some(other), _) => return Err(format!("unknown command `{other}`")),
        (None, _) => return Err("missing command: list or fetch".into()),
    };
    if emulator && base_url.is_some() {
        return Err("--emulator and --base-url cannot go together".into());
    }
    Ok(Some(Args {
        account,
        base_url,
        ca_cert,
        transport,
        emulator,
        json,
        command,
    }))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The configuration, the emulator it points at (kept alive while it runs), and extra roots.
struct Setup {
    config: Config,
    _emulator: Option<Emulator>,
    ca_pem: Option<Vec<u8>>,
}

fn configure(args: &Args) -> Result<Setup, Failure> {
    let base_url = args.base_url.clone().or_else(|| env("TWILIO_BASE_URL"));
    let has_credentials = [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
    ]
    .iter()
    .any(|v| env(v).is_some());
    let use_emulator = args.emulator || (!has_credentials && base_url.is_none());
    if use_emulator {
        let emu = Emulator::builder()
            .start()
            .map_err(|e| Failure::Usage(format!("cannot start the built-in emulator: {e}")))?;
        let reason = if args.emulator {
            "--emulator given"
        } else {
            "no Twilio credentials set"
        };
        eprintln!(
            "connect-apps: {reason}; using the built-in emulator at {} with sample data",
            emu.base_url()
        );
        let creds = Credentials::auth_token(
            DEFAULT_ACCOUNT_SID
                .parse()
                .map_err(|e: twilio_connect_apps::SidError| Failure::Usage(e.to_string()))?,
            Secret::new(DEFAULT_AUTH_TOKEN),
        );
        let config = Config::new(creds)
            .with_base_url(emu.base_url())
            .map_err(|e| Failure::Usage(e.to_string()))?;
        return Ok(Setup {
            config,
            _emulator: Some(emu),
            ca_pem: None,
        });
    }
    let usage = |e: Error| Failure::Usage(e.to_string());
    let mut config = Config::from_env_with(|name| {
        if name == "TWILIO_BASE_URL" {
            None
        } else {
            env(name)
        }
    })
    .map_err(usage)?;
    if let Some(url) = base_url {
        config = config.with_base_url(&url).map_err(usage)?;
    }
    let ca = match args.ca_cert.clone().or_else(|| env("TWILIO_CA_CERT")) {
        Some(path) => Some(
            std::fs::read(&path).map_err(|e| Failure::Usage(format!("--ca-cert {path}: {e}")))?,
        ),
        None => None,
    };
    Ok(Setup {
        config,
        _emulator: None,
        ca_pem: ca,
    })
}

/// Turns a string into one table cell: control characters as spaces, cut to `width`.
fn cell(s: Option<&str>, width: usize) -> String {
    let text: String = s
        .unwrap_or("-")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = if text.trim().is_empty() {
        "-".to_owned()
    } else {
        text
    };
    if text.chars().count() > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text:<width$}")
    }
}

fn permissions(app: &AuthorizedConnectApp) -> String {
    match &app.permissions {
        None => "-".into(),
        Some(p) if p.is_empty() => "(none)".into(),
        Some(p) => p
            .iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(","),
    }
}

struct Table {
    rows: u64,
    writers: u64,
}

impl Table {
    fn header(out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "   {:<34}  {:<28}  {:<24}  {:<18}  HOMEPAGE",
            "SID", "FRIENDLY NAME", "COMPANY", "PERMISSIONS"
        )
    }

    fn row(&mut self, out: &mut impl Write, app: &AuthorizedConnectApp) -> io::Result<()> {
        self.rows += 1;
        let mark = if app.can_write() {
            self.writers += 1;
            "!"
        } else {
            " "
        };
        writeln!(
            out,
            "{mark}  {}  {}  {}  {}  {}",
            cell(app.connect_app_sid.as_deref(), 34),
            cell(app.connect_app_friendly_name.as_deref(), 28),
            cell(app.connect_app_company_name.as_deref(), 24),
            cell(Some(&permissions(app)), 18),
            cell(app.connect_app_homepage_url.as_deref(), 60).trim_end(),
        )
    }

    fn summary(&self, out: &mut impl Write) -> io::Result<()> {
        let apps = if self.rows == 1 { "app" } else { "apps" };
        writeln!(
            out,
            "{} {apps}, {} with post-all (marked !: may create and change resources on the account)",
            self.rows, self.writers
        )
    }
}

fn details(out: &mut impl Write, app: &AuthorizedConnectApp) -> io::Result<()> {
    let line = |out: &mut dyn Write, k: &str, v: Option<&str>| {
        writeln!(out, "{k:<13}{}", cell(v, 200).trim_end())
    };
    line(out, "SID", app.connect_app_sid.as_deref())?;
    line(out, "Name", app.connect_app_friendly_name.as_deref())?;
    line(out, "Company", app.connect_app_company_name.as_deref())?;
    line(out, "Description", app.connect_app_description.as_deref())?;
    line(out, "Homepage", app.connect_app_homepage_url.as_deref())?;
    let mut perms = permissions(app);
    if app.can_write() {
        perms.push_str("  ! post-all: may create and change resources on the account");
    }
    line(out, "Permissions", Some(&perms))?;
    line(out, "Account", app.account_sid.as_deref())?;
    line(out, "URI", app.uri.as_deref())
}

fn json_line(out: &mut impl Write, app: &AuthorizedConnectApp) -> Result<(), Failure> {
    let text =
        serde_json::to_string(app).map_err(|e| Failure::Usage(format!("encoding JSON: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// Where apps come from: the same calls through either transport.
enum Source {
    Ureq(twilio_connect_apps_ureq::Client),
    Hyper(twilio_connect_apps_hyper::Client, tokio::runtime::Runtime),
}

impl Source {
    fn new(kind: TransportKind, config: Config, ca: Option<&[u8]>) -> Result<Source, Failure> {
        let usage = |e: Error| Failure::Usage(e.to_string());
        Ok(match kind {
            TransportKind::Ureq => {
                let mut b = twilio_connect_apps_ureq::Client::builder(config);
                if let Some(pem) = ca {
                    b = b.root_certificate_pem(pem).map_err(usage)?;
                }
                Source::Ureq(b.build().map_err(usage)?)
            }
            TransportKind::Hyper => {
                let mut b = twilio_connect_apps_hyper::Client::builder(config);
                if let Some(pem) = ca {
                    b = b.root_certificate_pem(pem).map_err(usage)?;
                }
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))?;
                Source::Hyper(b.build().map_err(usage)?, rt)
            }
        })
    }

    fn fetch(
        &self,
        account: Option<&AccountSid>,
        sid: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        match (self, account) {
            (Source::Ureq(c), Some(a)) => c.fetch_in(a, sid),
            (Source::Ureq(c), None) => c.fetch(sid),
            (Source::Hyper(c, rt), Some(a)) => rt.block_on(c.fetch_in(a, sid)),
            (Source::Hyper(c, rt), None) => rt.block_on(c.fetch(sid)),
        }
    }

    /// Streams the listing into `each`, one app at a time.
    fn list(
        &self,
        params: ListParams,
        mut each: impl FnMut(AuthorizedConnectApp) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        match self {
            Source::Ureq(c) => {
                for app in c.list(params)? {
                    each(app?)?;
                }
            }
            Source::Hyper(c, rt) => {
                let mut listing = c.list(params)?;
                while let Some(app) = rt.block_on(listing.next()) {
                    each(app?)?;
                }
            }
        }
        Ok(())
    }
}

fn run(args: Args) -> Result<(), Failure> {
    let setup = configure(&args)?;
    let source = Source::new(
        args.transport,
        setup.config.clone(),
        setup.ca_pem.as_deref(),
    )?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match &args.command {
        Command::Fetch { sid } => {
            let app = source.fetch(args.account.as_ref(), sid)?;
            if args.json {
                json_line(&mut out, &app)?;
            } else {
                details(&mut out, &app)?;
            }
        }
        Command::List { limit, page_size } => {
            let mut params = ListParams::new();
            if let Some(l) = limit {
                params = params.limit(*l);
            }
            if let Some(s) = page_size {
                params = params.page_size(*s);
            }
            if let Some(a) = &args.account {
                params = params.account(a.clone());
            }
            let mut table = Table {
                rows: 0,
                writers: 0,
            };
            if !args.json {
                Table::header(&mut out)?;
            }
            let mut written: u64 = 0;
            let result = source.list(params, |app| {
                if args.json {
                    json_line(&mut out, &app)?;
                } else {
                    table.row(&mut out, &app)?;
                }
                // Rows appear as they arrive, not when the listing ends.
                written += 1;
                if written % 64 == 1 {
                    out.flush()?;
                }
                Ok(())
            });
            // What arrived before an error is still shown.
            out.flush()?;
            result?;
            if !args.json {
                table.summary(&mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// One line: the error, with Twilio's code, HTTP status and link when there are.
fn error_line(e: &Error) -> String {
    let mut line = e.to_string();
    if let (Some(status), false) = (e.status(), line.contains("HTTP")) {
        line.push_str(&format!(" (HTTP {})", status.as_u16()));
    }
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::from(1)
        }
    }
}
