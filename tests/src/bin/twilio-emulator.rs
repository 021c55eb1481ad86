//! Runs the emulator standalone.
//!
//! ```text
//! cargo run --bin twilio-emulator -- --port 4010 [--tls] [--apps N] [--seed-file F] [--fault RULE]...
//! ```
//!
//! Prints `TWILIO_BASE_URL=…`, `TWILIO_ACCOUNT_SID=…`, `TWILIO_AUTH_TOKEN=…` (and with `--tls`,
//! `TWILIO_CA_CERT=<PEM path>`) on stdout, one per line, so a shell can `eval` them; logs
//! requests on stderr; stops on Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use twilio_connect_apps_testbed::{
    AUDIT_FAILING_SUBACCOUNT, Dataset, Emulator, ErrorBody, Fault, FaultRule, FaultScript, Trigger,
};

const HELP: &str = r#"twilio-emulator: Twilio's Authorized Connect Apps API on loopback, for tests in any language

Usage: twilio-emulator [OPTIONS]

Prints TWILIO_BASE_URL=..., TWILIO_ACCOUNT_SID=..., TWILIO_AUTH_TOKEN=... (and with --tls,
TWILIO_CA_CERT=<PEM path>) on stdout, one per line, for a shell to source; logs every request on
stderr; serves until Ctrl-C or SIGTERM.

Options:
  --port N            loopback port to listen on (default 4010; 0 picks a free one)
  --tls               serve HTTPS (HTTP/2 or HTTP/1.1) with a CA and certificate made at start
  --apps N            serve the default account with N generated apps (Unicode, quotes, nulls,
                      unknown permissions, bad URLs; some post-all)
  --seed-file FILE    serve the accounts, subaccounts, API keys and apps in FILE (below)
  --scenario audit    the sample data (an account, two subaccounts, post-all apps) and one
                      more subaccount, AC00000000000000000000000000000004, whose listing
                      always fails with 403: everything `connect-apps audit` can report
  --subaccounts N     serve the default account and N subaccounts (every 10th suspended, every
                      33rd closed), each with --apps-per-account generated apps (default 5);
                      GET /2010-04-01/Accounts.json lists them, auth tokens included
  --apps-per-account M
  --latency MS        every answer waits MS milliseconds first (a network's round trip)
  --oauth-client ID:SECRET
                      register an OAuth client for the first account: POST /v2/token on this
                      origin hands out bearer tokens (also prints TWILIO_CLIENT_ID,
                      TWILIO_CLIENT_SECRET and TWILIO_OAUTH_BASE_URL)
  --oauth-token-ttl SECS
                      how long an access token lives (default 3600); expired ones get 401
  --concurrency-limit N
                      at most N requests of one set of credentials in flight; more get 429
                      with Twilio's 20429 body
  --no-gzip           never gzip (by default, answers are gzipped when a client asks)
  --meta-envelope     answer lists in the newer `meta` envelope with absolute URLs
  --fault RULE        inject a fault (repeatable; the first rule that fires wins):
                      TRIGGER:FAULT[:times=N]
      TRIGGER  always | nth=N | every=N | random=F[/SEED] | path=TEXT
      FAULT    status=CODE[/html|/empty|/twilio|/problem]   429[=SECS|=date+SECS|=none]
               close | reset | truncate | delay=MS | trickle=BYTES/MS | oversized=BYTES
               malformed | redirect=CODE/URL | foreign-next=ORIGIN | repeat-next
               reordered-next | next=URI | empty-next | empty-records=N
               huge-details=BYTES | permissions=BYTES | corrupt-gzip
               gzip-bomb=BYTES | reflect=CODE (quotes the credentials it received back)
      e.g. --fault every=5:status=503 --fault nth=2:reset --fault always:429=2:times=3
  -h, --help          this text

Changing the data while it runs (for "what changed since the last run" tests), with the
credentials that may read the account (its own or its parent's):
  PUT    /_emulator/Accounts/{AC}/AuthorizedConnectApps/{CN}.json   body: the whole app
         (e.g. {"connect_app_friendly_name": "X", "permissions": ["get-all"]}; a field
         left out becomes null): added at the end, or replaced in place
  PATCH  /_emulator/Accounts/{AC}/AuthorizedConnectApps/{CN}.json   body: fields to change
         (the others stay as they are; 404 when there is no such app)
  DELETE /_emulator/Accounts/{AC}/AuthorizedConnectApps/{CN}.json
  e.g. curl -u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN" -X PATCH -d '{"permissions":["get-all","post-all"]}' \
         "$TWILIO_BASE_URL/_emulator/Accounts/$TWILIO_ACCOUNT_SID/AuthorizedConnectApps/CN0000000000000000000000000000b001.json"

Arming faults while it runs (any credentials the emulator knows; never faulted themselves):
  POST   /_emulator/faults   body: {"rule": "TRIGGER:FAULT[:times=N]"}  (201: the rule as armed)
  GET    /_emulator/faults   the rules, each with "fired" and "remaining"
  DELETE /_emulator/faults   removes them all
  A rule armed at run time counts requests from then on (nth=1 is the next request); the
  request log on stderr names the rule that fired.

Seed file (JSON): accounts with their apps, subaccounts (`parent`), API keys. An account's
"generate": N adds N generated apps after the listed ones. The first account's credentials
are printed.
  {
    "accounts": [
      {"sid": "AC00000000000000000000000000000001", "auth_token": "token-1",
       "apps": [{"connect_app_sid": "CN00000000000000000000000000000001",
                 "connect_app_friendly_name": "Call Insights",
                 "connect_app_company_name": "Acme", "connect_app_description": null,
                 "connect_app_homepage_url": "https://acme.example",
                 "permissions": ["get-all", "post-all"]}]},
      {"sid": "AC00000000000000000000000000000002", "auth_token": "token-2",
       "parent": "AC00000000000000000000000000000001", "generate": 250}
    ],
    "api_keys": [{"sid": "SK00000000000000000000000000000001", "secret": "key-secret",
                  "account_sid": "AC00000000000000000000000000000001"}]
  }

Exit codes: 0 stopped by a signal; 1 could not start; 2 bad arguments or seed file."#;

struct Args {
    port: u16,
    tls: bool,
    apps: Option<usize>,
    subaccounts: Option<usize>,
    apps_per_account: usize,
    latency: u64,
    seed_file: Option<String>,
    gzip: bool,
    meta: bool,
    faults: Vec<FaultRule>,
    oauth_client: Option<(String, String)>,
    oauth_token_ttl: Option<f64>,
    concurrency_limit: Option<u32>,
    audit_scenario: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 4010,
        tls: false,
        apps: None,
        subaccounts: None,
        apps_per_account: 5,
        latency: 0,
        seed_file: None,
        gzip: true,
        meta: false,
        faults: Vec::new(),
        oauth_client: None,
        oauth_token_ttl: None,
        concurrency_limit: None,
        audit_scenario: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port"))?;
            }
            "--tls" => args.tls = true,
            "--no-gzip" => args.gzip = false,
            "--meta-envelope" => args.meta = true,
            "--apps" => {
                let v = value("--apps")?;
                args.apps = Some(
                    v.parse()
                        .map_err(|_| format!("--apps: `{v}` is not a count"))?,
                );
            }
            "--seed-file" => args.seed_file = Some(value("--seed-file")?),
            "--subaccounts" => {
                let v = value("--subaccounts")?;
                args.subaccounts = Some(
                    v.parse()
                        .map_err(|_| format!("--subaccounts: `{v}` is not a count"))?,
                );
            }
            "--apps-per-account" => {
                let v = value("--apps-per-account")?;
                args.apps_per_account = v
                    .parse()
                    .map_err(|_| format!("--apps-per-account: `{v}` is not a count"))?;
            }
            "--latency" => {
                let v = value("--latency")?;
                args.latency = v
                    .parse()
                    .map_err(|_| format!("--latency: `{v}` is not a number of milliseconds"))?;
            }
            "--fault" => {
                let rule: FaultRule = value("--fault")?
                    .parse()
                    .map_err(|e| format!("--fault: {e}"))?;
                args.faults.push(rule);
            }
            "--oauth-client" => {
                let v = value("--oauth-client")?;
                let (id, secret) = v
                    .split_once(':')
                    .filter(|(i, s)| !i.is_empty() && !s.is_empty())
                    .ok_or_else(|| "--oauth-client: give ID:SECRET".to_owned())?;
                args.oauth_client = Some((id.to_owned(), secret.to_owned()));
            }
            "--oauth-token-ttl" => {
                let v = value("--oauth-token-ttl")?;
                args.oauth_token_ttl = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0 && s.is_finite())
                        .ok_or_else(|| {
                            format!("--oauth-token-ttl: `{v}` is not a number of seconds")
                        })?,
                );
            }
            "--concurrency-limit" => {
                let v = value("--concurrency-limit")?;
                args.concurrency_limit = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("--concurrency-limit: `{v}` is not a count"))?,
                );
            }
            "--scenario" => match value("--scenario")?.as_str() {
                "audit" => args.audit_scenario = true,
                other => return Err(format!("--scenario: `{other}` is not a scenario (audit)")),
            },
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let data = match (&args.seed_file, args.apps) {
        (None, None) if args.audit_scenario && args.subaccounts.is_none() => {
            Dataset::audit_scenario()
        }
        (_, _) if args.audit_scenario => {
            eprintln!(
                "error: --scenario audit has data of its own: it does not go with --apps, --subaccounts or --seed-file"
            );
            return ExitCode::from(2);
        }
        (None, _) if args.subaccounts.is_some() => {
            Dataset::with_subaccounts(args.subaccounts.unwrap_or_default(), args.apps_per_account)
        }
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
    let mut builder = Emulator::builder();
    let mut faults = FaultScript::new();
    if args.audit_scenario {
        // The scenario's failing subaccount, before the rules given on the command line.
        faults = faults.rule(FaultRule::new(
            Trigger::PathContains(format!("{AUDIT_FAILING_SUBACCOUNT}/AuthorizedConnectApps")),
            Fault::Status(403, ErrorBody::Twilio),
        ));
    }
    for rule in args.faults {
        faults = faults.rule(rule);
    }
    if let Some((id, secret)) = &args.oauth_client {
        builder = builder.oauth_client(id, secret, &first.sid);
    }
    if let Some(ttl) = args.oauth_token_ttl {
        builder = builder.oauth_token_ttl(std::time::Duration::from_secs_f64(ttl));
    }
    if let Some(n) = args.concurrency_limit {
        builder = builder.concurrency_limit(n);
    }
    let emu = match builder
        .dataset(data)
        .tls(args.tls)
        .port(args.port)
        .gzip(args.gzip)
        .meta_envelope(args.meta)
        .latency(std::time::Duration::from_millis(args.latency))
        .faults(faults)
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
    if let Some((id, secret)) = &args.oauth_client {
        out.push_str(&format!("TWILIO_CLIENT_ID={id}\n"));
        out.push_str(&format!("TWILIO_CLIENT_SECRET={secret}\n"));
        out.push_str(&format!("TWILIO_OAUTH_BASE_URL={}\n", emu.base_url()));
    }
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
