//! `connect-apps`: list and audit the Connect Apps authorized on a Twilio account.
//!
//! `connect-apps --help` says everything: the commands, every flag, the credential variables,
//! when the built-in emulator is used, and the exit codes.

mod args;
mod output;
mod progress;
mod resume;
mod setup;
mod transport;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use twilio_connect_apps::{Error, ListParams, SweepParams};

use crate::args::{Cli, Command, FetchArgs, Format, ListArgs};
use crate::output::{Printer, Summary};
use crate::setup::Setup;

/// What ended the program, and so its exit code.
pub(crate) enum Failure {
    /// Bad input: nothing was sent. Exit 2.
    Usage(String),
    /// The API, the network or a body failed while doing something, somewhere. Exit 1.
    Run {
        /// What was being done, and where.
        doing: String,
        /// The error.
        error: Box<Error>,
        /// For a listing that failed part-way: the command line that goes on from there.
        resume: Option<String>,
    },
    /// Writing to stdout failed (not a network error). Exit 1.
    Output(io::Error),
    /// stdout was closed (e.g. piped into `head`): stop quietly. Exit 0.
    Closed,
    /// `--fail-on-post-all` and a shown app holds post-all. Exit 3.
    PostAll(u64),
    /// With --all-accounts, some accounts failed (each already reported). Exit 1.
    Partial,
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Output(e)
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn twilio_vars_set() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("TWILIO_"))
        .collect();
    names.sort();
    names
}

/// `list --all-accounts`: every account's apps, printed in account order as they complete.
fn list_all_accounts(
    setup: &Setup,
    args: &ListArgs,
    counts: Option<std::sync::Arc<progress::Counts>>,
) -> Result<(), Failure> {
    let usage = |e: Error| Failure::Usage(e.to_string());
    if setup.account.is_some() {
        // clap cannot see a subcommand's flag conflict with a global one.
        return Err(Failure::Usage(
            "--all-accounts lists every account: it does not go with --account-sid".into(),
        ));
    }
    let mut apps = ListParams::new();
    if let Some(s) = args.page_size {
        apps = apps.page_size(s);
    }
    let mut params = SweepParams::new().apps(apps).concurrency(args.concurrency);
    if let Some(status) = args.status {
        params = params.status(status.into());
    }
    let sweep = setup.client.sweep(params).map_err(usage)?;
    let stdout = io::stdout();
    let mut printer = Printer::new(
        io::BufWriter::with_capacity(64 * 1024, stdout.lock()),
        args.output.format(),
    )
    .with_account();
    let progress = progress::Progress::new(counts);
    let mut summary = Summary {
        post_all_only: args.post_all_only,
        sample: setup.sample_data(),
        accounts: Some((0, Vec::new())),
        ..Summary::default()
    };
    // Results come as accounts complete; print them in the accounts listing's order.
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0u64;
    for result in sweep {
        let result = result.map_err(|error| Failure::Run {
            doing: format!("listing the accounts at {}", setup.place()),
            error: Box::new(error),
            resume: None,
        })?;
        waiting.insert(result.index, result);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            printer.set_account(&done.account);
            for app in &done.apps {
                if summary.count(app.can_write()) {
                    printer.app(app)?;
                }
            }
            let sid = done
                .account
                .sid
                .clone()
                .unwrap_or_else(|| "(no SID)".into());
            if let Some((read, failed)) = summary.accounts.as_mut() {
                *read += 1;
                if let Some(error) = &done.error {
                    let name = done.account.friendly_name.as_deref().unwrap_or("");
                    eprintln!(
                        "error: {}",
                        error_line(
                            &format!("listing the Connect Apps of {sid} ({name})"),
                            error
                        )
                    );
                    failed.push(sid);
                }
            }
            printer.flush()?;
            progress.update(summary.listed);
        }
    }
    progress.done();
    printer.finish(&summary)?;
    let failed = summary.accounts.as_ref().map_or(0, |(_, f)| f.len());
    if args.output.format() != Format::Table
        && failed > 0
        && let Some(line) = summary.accounts_line()
    {
        eprintln!("connect-apps: {line}");
    }
    if failed > 0 {
        return Err(Failure::Partial);
    }
    fail_on_post_all(args.output.fail_on_post_all, summary.writers)
}

fn list(
    setup: &Setup,
    args: &ListArgs,
    argv: &[String],
    counts: Option<std::sync::Arc<progress::Counts>>,
) -> Result<(), Failure> {
    if args.all_accounts {
        return list_all_accounts(setup, args, counts);
    }
    let client = &setup.client;
    let account = client.config().account_sid().clone();
    let usage = |e: Error| Failure::Usage(e.to_string());
    let (mut listing, account) = match &args.resume {
        Some(value) => {
            let cursor = resume::decode(value).map_err(Failure::Usage)?;
            (client.resume(cursor).map_err(usage)?, account)
        }
        None => {
            let mut params = ListParams::new();
            if let Some(l) = args.limit {
                params = params.limit(l);
            }
            if let Some(s) = args.page_size {
                params = params.page_size(s);
            }
            let account = setup_account(setup, &mut params);
            (client.list(params).map_err(usage)?, account)
        }
    };
    let format = args.output.format();
    let stdout = io::stdout();
    let mut printer = Printer::new(
        io::BufWriter::with_capacity(64 * 1024, stdout.lock()),
        format,
    );
    let progress = progress::Progress::new(counts);
    let mut summary = Summary {
        post_all_only: args.post_all_only,
        sample: setup.sample_data(),
        ..Summary::default()
    };
    // Each page's apps are printed straight from the body as it is read (no owned record per
    // app); the page is flushed before the listing may wait on the network again.
    loop {
        let more = listing.next_page_with(|app| {
            if summary.count(app.can_write()) {
                printer.view(&app).map_err(Stop::Output)?;
            }
            Ok::<(), Stop>(())
        });
        printer.flush()?;
        progress.update(summary.listed);
        match more {
            Ok(true) => {}
            Ok(false) => break,
            Err(Stop::Output(e)) => return Err(e.into()),
            Err(Stop::Listing(error)) => {
                progress.done();
                let cursor = listing.cursor();
                return Err(Failure::Run {
                    doing: format!("listing the Connect Apps of {account} at {}", setup.place()),
                    error: Box::new(error),
                    resume: cursor
                        .next
                        .is_some()
                        .then(|| resume::command_line(argv, &cursor)),
                });
            }
        }
    }
    progress.done();
    summary.limit_reached = args.limit.is_some_and(|l| summary.listed >= l);
    printer.finish(&summary)?;
    fail_on_post_all(args.output.fail_on_post_all, summary.writers)
}

/// Why a page's hand-out stopped: printing failed (a closed pipe), or the listing did.
enum Stop {
    Output(io::Error),
    Listing(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Listing(e)
    }
}

/// The account to list: `--account-sid`, or the credentials' own.
fn setup_account(setup: &Setup, params: &mut ListParams) -> twilio_connect_apps::AccountSid {
    match &setup.account {
        Some(a) => {
            *params = params.clone().account(a.clone());
            a.clone()
        }
        None => setup.client.config().account_sid().clone(),
    }
}

fn fail_on_post_all(on: bool, writers: u64) -> Result<(), Failure> {
    if on && writers > 0 {
        Err(Failure::PostAll(writers))
    } else {
        Ok(())
    }
}

fn fetch(setup: &Setup, args: &FetchArgs) -> Result<(), Failure> {
    let client = &setup.client;
    let result = match &setup.account {
        Some(a) => client.fetch_in(a, &args.sid),
        None => client.fetch(&args.sid),
    };
    let app = result.map_err(|error| Failure::Run {
        doing: format!("fetching {} at {}", args.sid, setup.place()),
        error: Box::new(error),
        resume: None,
    })?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format() {
        Format::Table => output::details(&mut out, &app)?,
        format => {
            let mut printer = Printer::new(&mut out, format);
            printer.app(&app)?;
            printer.flush()?;
        }
    }
    out.flush()?;
    fail_on_post_all(args.output.fail_on_post_all, u64::from(app.can_write()))
}

fn run(
    cli: Cli,
    argv: &[String],
    counts: Option<std::sync::Arc<progress::Counts>>,
) -> Result<(), Failure> {
    let setup = match &cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "connect-apps", &mut io::stdout());
            return Ok(());
        }
        _ => setup::setup(&cli.connection, env, &twilio_vars_set())?,
    };
    match &cli.command {
        Command::List(args) => list(&setup, args, argv, counts),
        Command::Fetch(args) => fetch(&setup, args),
        Command::Completions { .. } => Ok(()),
    }
}

/// One line: the error, with Twilio's code, HTTP status and link when there are, and no
/// control characters.
fn error_line(doing: &str, e: &Error) -> String {
    let mut line = format!("{doing}: {e}");
    if let (Some(status), false) = (e.status(), line.contains("HTTP")) {
        line.push_str(&format!(" (HTTP {})", status.as_u16()));
    }
    if let Some(id) = e.request_id() {
        line.push_str(&format!(" (request {id})"));
    }
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = Cli::parse();
    let counts = progress::init(cli.verbose);
    match run(cli, &argv, counts) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Run {
            doing,
            error,
            resume,
        }) => {
            eprintln!("error: {}", error_line(&doing, &error));
            if let Some(line) = resume {
                eprintln!("connect-apps: to go on from where it stopped, run: {line}");
            }
            ExitCode::from(1)
        }
        Err(Failure::Output(e)) => {
            eprintln!("error: writing the output: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Partial) => ExitCode::from(1),
        Err(Failure::PostAll(n)) => {
            let apps = if n == 1 { "app holds" } else { "apps hold" };
            eprintln!("connect-apps: {n} {apps} post-all (--fail-on-post-all)");
            ExitCode::from(3)
        }
    }
}
