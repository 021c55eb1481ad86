//! The command line, parsed with clap. Values are checked by the core's own types and rules
//! (SIDs, page sizes, limits); the CLI restates no bound, but it names the flag or variable a
//! rejected value came from.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Printed after `--help`: where credentials come from, the emulator rule, exit codes.
const ENVIRONMENT: &str = "\
Credentials (environment only, never flags), the first kind whose variables are set is used:
  TWILIO_CLIENT_ID + TWILIO_CLIENT_SECRET + TWILIO_ACCOUNT_SID   OAuth client credentials
  TWILIO_API_KEY + TWILIO_API_SECRET + TWILIO_ACCOUNT_SID        an API key
  TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN                         the account's auth token
  (stderr says which kind is used when more than one is set)
Other variables:
  TWILIO_BASE_URL        API origin, as --base-url (https://, or http:// for loopback only)
  TWILIO_OAUTH_BASE_URL  OAuth token service (default https://oauth.twilio.com)
  TWILIO_CA_CERT         PEM file of roots to trust, as --ca-cert
  TWILIO_EDGE            Twilio edge (e.g. sydney): api.{edge}.{region}.twilio.com
  TWILIO_REGION          Twilio region (e.g. au1); an edge alone gets us1
  HTTPS_PROXY, ALL_PROXY, NO_PROXY
                         an http:// proxy for https origins (CONNECT); loopback is never proxied
  NO_COLOR               no colour anywhere (as --color never)
  RUST_LOG               log filter for -v output (e.g. twilio_connect_apps=debug)

Sample data is shown only with --emulator (the built-in emulator; the output then says
SAMPLE DATA). With no credentials and no --emulator, nothing is sent and the exit code is 2.

Output: every string the server sent is shown with control and format characters replaced
and cut short (table, CSV, summaries, errors); CSV and TSV cells that a spreadsheet would run
as formulas (starting with = + - @, a tab or CR) are prefixed with '. --format json is the
lossless form.

Exit codes:
  0  success
  1  the run failed: an API, network or parse error (one `error:` line on stderr; when going
     on could succeed, the command that goes on from there)
  2  a usage error: bad arguments, missing credentials; nothing was sent
  3  findings: --fail-on-post-all found post-all, or audit found something at --fail-on";

/// List and audit the Connect Apps authorized on a Twilio account: which third-party apps
/// may read it (get-all) and which may act on it (post-all).
#[derive(Debug, Parser)]
#[command(name = "connect-apps", version = crate::VERSION, after_long_help = ENVIRONMENT, max_term_width = 100)]
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

    /// Errors only: no progress, no summary line, no notes.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Colour in the table and the logs: auto (a terminal, and NO_COLOR unset), always or
    /// never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub(crate) color: ColorChoice,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Connection {
    /// Account whose apps to read (a subaccount, with the parent's credentials); default: the
    /// credentials' account.
    #[arg(long, value_name = "AC…", global = true)]
    pub(crate) account_sid: Option<String>,

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

    /// Run on the built-in emulator with sample data instead of a Twilio account (the output
    /// says SAMPLE DATA).
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
    /// Compare the apps authorized now with an approved baseline and a policy: findings as a
    /// table, JSON, SARIF, JUnit or Markdown, and a snapshot of the evidence.
    Audit(AuditArgs),
    /// Print a shell completion script, e.g. `connect-apps completions bash >
    /// ~/.local/share/bash-completion/completions/connect-apps`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), or write every page into a folder, e.g. `connect-apps man
    /// --dir ~/.local/share/man/man1` (then `man connect-apps`, `man connect-apps-audit`).
    Man {
        /// The subcommand whose page to print (`connect-apps-audit(1)`); the program's own page
        /// when absent.
        subcommand: Option<String>,
        /// Write every page (`connect-apps.1`, `connect-apps-list.1`, …) into this folder,
        /// created when missing, instead of one page on stdout.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
}

/// How to print apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Aligned columns; `!` marks post-all; a summary line.
    #[default]
    Table,
    /// One JSON object per line (NDJSON), the API's field names, nulls kept: lossless.
    Json,
    /// RFC 4180 CSV with a header row; permissions joined by `;`; formula cells prefixed.
    Csv,
    /// Tab-separated values with a header row; tabs and line breaks in values as spaces.
    Tsv,
}

/// The columns of the table, CSV and TSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Field {
    /// The Connect App's SID (connect_app_sid).
    Sid,
    /// Its friendly name (connect_app_friendly_name).
    Name,
    /// The company (connect_app_company_name).
    Company,
    /// Its permissions (permissions).
    Permissions,
    /// Its homepage (connect_app_homepage_url).
    Homepage,
    /// Its description (connect_app_description).
    Description,
    /// The account that authorized it (account_sid).
    Account,
    /// The account's name (with --all-accounts).
    AccountName,
    /// Its URI (uri).
    Uri,
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

    /// The columns of the table, CSV and TSV, in order (default: sid,name,company,permissions,
    /// homepage for the table, every field for CSV and TSV; the account's first with
    /// --all-accounts).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FIELD,…")]
    pub(crate) fields: Option<Vec<Field>>,

    /// No header row (table, CSV, TSV).
    #[arg(long)]
    pub(crate) no_header: bool,

    /// Write to FILE instead of stdout, atomically: a temporary file in the same folder,
    /// renamed at the end, so a failed or interrupted run leaves the previous FILE as it was.
    /// A device or FIFO (/dev/null, /dev/stdout) is written into, never replaced.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

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

/// How many accounts a sweep reads at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concurrency {
    /// Found by the sweep itself: grows while answers come back fast, backs off on 429.
    Auto,
    /// This many.
    Fixed(usize),
}

fn concurrency(s: &str) -> Result<Concurrency, String> {
    if s == "auto" {
        return Ok(Concurrency::Auto);
    }
    match s.parse::<usize>() {
        Ok(0) => Err("give at least 1 (or auto)".to_owned()),
        Ok(n) => Ok(Concurrency::Fixed(n)),
        Err(_) => Err(format!("`{s}` is not a number (or auto)")),
    }
}

/// Which accounts, with --all-accounts.
#[derive(Debug, Args)]
pub(crate) struct Accounts {
    /// Read the credentials' account and every subaccount (from the API's account list), the
    /// account as leading columns; a subaccount that fails is reported and the rest go on.
    #[arg(long)]
    pub(crate) all_accounts: bool,

    /// With --all-accounts: how many accounts to read at once, or auto (the default: grows
    /// while Twilio answers fast, backs off when it says 429).
    #[arg(long, value_name = "N|auto", value_parser = concurrency, requires = "all_accounts")]
    pub(crate) concurrency: Option<Concurrency>,

    /// With --all-accounts: only accounts with this status.
    #[arg(long, value_enum, requires = "all_accounts")]
    pub(crate) status: Option<StatusArg>,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Stop after this many apps.
    #[arg(long, value_name = "N", conflicts_with = "all_accounts")]
    pub(crate) limit: Option<u64>,

    /// Apps per request (the API allows 1 to 1000; default: the fewest requests).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<u32>,

    /// Only apps that hold post-all (may create and change resources on the account).
    #[arg(long)]
    pub(crate) post_all_only: bool,

    /// Which accounts.
    #[command(flatten)]
    pub(crate) accounts: Accounts,

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

impl From<StatusArg> for twilio_connect_apps::model::AccountStatus {
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
    pub(crate) sid: String,

    /// Output options.
    #[command(flatten)]
    pub(crate) output: Output,
}

/// How an audit is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum AuditFormat {
    /// The findings, then `N errors, N warnings, N notes`.
    #[default]
    Table,
    /// One document: the findings and the snapshot.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (GitHub accepts it).
    Sarif,
    /// JUnit XML: a test case per account and per app, failing at --fail-on.
    Junit,
    /// A Markdown summary, for a CI job's summary page.
    Markdown,
    /// OCSF 1.3.0 Detection Findings (class 2004), one per line: for a security lake or SIEM.
    Ocsf,
}

/// The level at and above which findings fail the run (exit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors (the default).
    Warning,
    /// Any finding.
    Note,
    /// Never: report only.
    Never,
}

/// `audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Which accounts.
    #[command(flatten)]
    pub(crate) accounts: Accounts,

    /// The approved state to compare with: a previous --snapshot file, or the NDJSON that
    /// `list --json` writes (with --all-accounts too).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,

    /// What is allowed (TOML: `[[allow]]` entries and `[settings]`; see the README).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: AuditFormat,

    /// Write the report to FILE (atomically; a device or FIFO is written into) instead of
    /// stdout. It must not be the --snapshot, --baseline or --policy file.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Write the evidence of this run to FILE (atomically): how it was obtained, every
    /// account's status and apps; the next run's --baseline (it may be this run's
    /// --baseline: a rolling baseline).
    #[arg(long, value_name = "FILE")]
    pub(crate) snapshot: Option<PathBuf>,

    /// Exit with 3 when a finding is at this level or above.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub(crate) fail_on: FailOn,

    /// Apps per request (the API allows 1 to 1000; default: the fewest requests).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<u32>,

    /// Go on with an --all-accounts audit that failed part-way, from the token its error
    /// printed (it needs the same --snapshot FILE, which holds what was read).
    #[arg(long, value_name = "TOKEN", requires = "snapshot")]
    pub(crate) resume: Option<String>,
}
