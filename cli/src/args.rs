//! The command line, parsed with clap. Values are checked by the core's own types and rules
//! (SIDs, page sizes, limits); the CLI restates no bound.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use twilio_connect_apps::{AccountSid, ConnectAppSid};

/// Printed after `--help`: where credentials come from, the emulator rule, exit codes.
const ENVIRONMENT: &str = "\
Credentials (environment only, never flags):
  TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or
  TWILIO_API_KEY + TWILIO_API_SECRET + TWILIO_ACCOUNT_SID (the account to act on)
Other variables:
  TWILIO_BASE_URL   API origin, as --base-url (https://, or http:// for loopback only)
  TWILIO_CA_CERT    PEM file of roots to trust, as --ca-cert
  TWILIO_EDGE       Twilio edge (e.g. sydney): api.{edge}.{region}.twilio.com
  TWILIO_REGION     Twilio region (e.g. au1); an edge alone gets us1
  HTTPS_PROXY, ALL_PROXY, NO_PROXY
                    an http:// proxy for https origins (CONNECT); loopback is never proxied
  RUST_LOG          log filter for -v output (e.g. twilio_connect_apps=debug)

The built-in emulator (sample data, not your account) is used with --emulator, or when no
variable whose name starts with TWILIO_ is set at all and no --base-url is given; the
output then says \"sample data\". Any TWILIO_* variable set with incomplete credentials is an
error (exit 2) that names what is missing.

Exit codes:
  0  success
  1  an API, network or parse error (one `error:` line on stderr; a listing that failed
     part-way also prints the --resume option that goes on from there)
  2  a usage error: bad arguments, incomplete credentials; nothing was sent
  3  --fail-on-post-all and a listed app holds post-all (printed first)";

/// List and audit the Connect Apps authorized on a Twilio account: which third-party apps
/// may read it (get-all) and which may act on it (post-all).
#[derive(Debug, Parser)]
#[command(name = "connect-apps", version, after_long_help = ENVIRONMENT, max_term_width = 100)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,

    /// Where and how to connect.
    #[command(flatten)]
    pub(crate) connection: Connection,

    /// Logs on stderr: -v one line per attempt and per retry, -vv everything (RUST_LOG, when
    /// set, wins).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Connection {
    /// Account whose apps to read (a subaccount, with the parent's credentials); default: the
    /// credentials' account.
    #[arg(long, value_name = "AC…", global = true)]
    pub(crate) account_sid: Option<AccountSid>,

    /// API origin [env: TWILIO_BASE_URL] (default: Twilio's, api.twilio.com, with TWILIO_EDGE and
    /// TWILIO_REGION applied). https://, or http:// for a loopback host only.
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) base_url: Option<String>,

    /// PEM file of root certificates to trust instead of the built-in webpki roots
    /// [env: TWILIO_CA_CERT] (for an emulator or a private CA).
    #[arg(long, value_name = "PEM FILE", global = true)]
    pub(crate) ca_cert: Option<PathBuf>,

    /// The HTTP client underneath; both print the same bytes.
    #[arg(long, value_enum, default_value_t = TransportKind::Ureq, global = true)]
    pub(crate) transport: TransportKind,

    /// Use the built-in emulator with sample data, whatever the environment says.
    #[arg(long, global = true)]
    pub(crate) emulator: bool,

    /// Seconds one attempt may take, from sending to the last byte (default 30); a failed
    /// request is tried 4 times in all.
    #[arg(long, value_name = "SECS", value_parser = seconds, global = true)]
    pub(crate) timeout: Option<Duration>,

    /// Do not ask for gzip (the output is the same; only the bytes on the wire change).
    #[arg(long, global = true)]
    pub(crate) no_compression: bool,
}

fn seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{s}`: give a positive number of seconds"))
}

/// Which HTTP client moves the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TransportKind {
    /// ureq 3 (blocking).
    Ureq,
    /// hyper 1 on tokio (HTTP/2 when TLS offers it).
    Hyper,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the authorized Connect Apps, page by page, as they arrive.
    List(ListArgs),
    /// Show one authorized Connect App.
    Fetch(FetchArgs),
    /// Print a shell completion script (e.g. `connect-apps completions bash > /etc/bash_completion.d/connect-apps`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Aligned columns; `!` marks post-all; a summary line.
    #[default]
    Table,
    /// One JSON object per line (NDJSON), the API's field names, nulls kept.
    Json,
    /// RFC 4180 CSV with a header row; permissions joined by `;`.
    Csv,
}

/// Output options of `list` and `fetch`.
#[derive(Debug, Args)]
pub(crate) struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,

    /// Short for --format json.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,

    /// Exit with 3 (after printing) when an app shown holds post-all: for CI jobs and cron.
    #[arg(long)]
    pub(crate) fail_on_post_all: bool,
}

impl Output {
    /// The format asked for.
    pub(crate) fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Stop after this many apps.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u64>,

    /// Apps per request (the API allows 1 to 1000; default: the fewest requests).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<u32>,

    /// Only apps that hold post-all (may create and change resources on the account).
    #[arg(long)]
    pub(crate) post_all_only: bool,

    /// List the apps of the credentials' account and of every subaccount (the accounts come
    /// from the API's account list), with the account as leading columns; a subaccount that
    /// fails is reported and the rest go on (exit 1 at the end).
    #[arg(long, conflicts_with_all = ["resume", "limit"])]
    pub(crate) all_accounts: bool,

    /// With --all-accounts: how many accounts to list at once.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "all_accounts")]
    pub(crate) concurrency: usize,

    /// With --all-accounts: only accounts with this status.
    #[arg(long, value_enum, requires = "all_accounts")]
    pub(crate) status: Option<StatusArg>,

    /// Go on with a listing that failed, from the cursor its error printed; nothing is lost
    /// and nothing is printed twice.
    #[arg(long, value_name = "CURSOR", conflicts_with_all = ["limit", "page_size"])]
    pub(crate) resume: Option<String>,

    /// Output options.
    #[command(flatten)]
    pub(crate) output: Output,
}

/// An account status, for --status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    /// Active accounts.
    Active,
    /// Suspended accounts.
    Suspended,
    /// Closed accounts.
    Closed,
}

impl From<StatusArg> for twilio_connect_apps::AccountStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Active => Self::Active,
            StatusArg::Suspended => Self::Suspended,
            StatusArg::Closed => Self::Closed,
        }
    }
}

/// `fetch`.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The Connect App's SID (CN + 32 hex digits).
    #[arg(value_name = "CONNECT_APP_SID")]
    pub(crate) sid: ConnectAppSid,

    /// Output options.
    #[command(flatten)]
    pub(crate) output: Output,
}
