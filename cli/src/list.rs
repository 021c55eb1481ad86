//! `list` (one account, page by page as the pages arrive, or every account with
//! `--all-accounts`) and `fetch`.

use std::collections::BTreeMap;
use std::io::Write;

use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{ConnectAppSid, Cursor, Error, ListParams, SweepCursor, SweepParams};

use crate::args::{Accounts, Concurrency, FetchArgs, Format, ListArgs, Output};
use crate::failure::{Failure, error_line};
use crate::output::{self, Layout, Printer, SHORT, Summary};
use crate::progress::{Counts, Progress};
use crate::resume::{self, SweepToken};
use crate::setup::{Setup, usage, usage_from};
use crate::sink::Sink;

/// What shapes a command's output, besides its flags.
pub(crate) struct Style {
    /// Colour the table.
    pub(crate) color: bool,
    /// `--quiet`: no summary line, no notes.
    pub(crate) quiet: bool,
}

/// The printer's layout for these output options.
fn layout(output: &Output, with_account: bool, resumed: bool, style: &Style) -> Layout {
    let mut layout = Layout::new(output.format(), output.fields.as_deref(), with_account);
    // A resumed CSV or TSV goes on without a second header, so the two outputs concatenate.
    let goes_on = resumed && matches!(layout.format, Format::Csv | Format::Tsv);
    layout.header = !output.no_header && !goes_on;
    layout.color = style.color && output.output.is_none();
    layout.summary = !style.quiet;
    layout
}

/// Why a page's hand-out stopped: printing failed (a closed pipe), or the listing did.
enum Stop {
    Output(std::io::Error),
    Listing(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Listing(e)
    }
}

fn post_all(on: bool, writers: u64) -> Result<(), Failure> {
    if on && writers > 0 {
        let apps = if writers == 1 {
            "app holds"
        } else {
            "apps hold"
        };
        Err(Failure::Findings(format!(
            "{writers} {apps} post-all (--fail-on-post-all)"
        )))
    } else {
        Ok(())
    }
}

/// `list`.
pub(crate) fn list(
    setup: &Setup,
    args: &ListArgs,
    argv: &[String],
    counts: Option<std::sync::Arc<Counts>>,
    style: &Style,
) -> Result<(), Failure> {
    if args.accounts.all_accounts {
        return list_all_accounts(setup, args, argv, counts, style);
    }
    let client = &setup.client;
    let account = setup.account_in_effect().clone();
    let mut listing = match &args.resume {
        Some(value) => {
            let cursor = resume::decode_listing(value).map_err(Failure::Usage)?;
            client.resume_in(&account, cursor).map_err(usage)?
        }
        None => {
            let mut params = ListParams::new().with_account(account.clone());
            if let Some(l) = args.limit {
                params = params.with_limit(l);
            }
            if let Some(s) = args.page_size {
                params = params.with_page_size(s);
            }
            client.list(params).map_err(usage)?
        }
    };
    let mut sink = Sink::open(args.output.output.as_deref())?;
    let mut printer = Printer::new(
        &mut sink,
        layout(&args.output, false, args.resume.is_some(), style),
    );
    let progress = Progress::new(counts);
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
                // Going on helps only when some apps were printed (to stdout: a file is not
                // kept after a failure) and trying again could succeed.
                let cursor = listing.cursor();
                let worth = summary.listed > 0
                    && args.output.output.is_none()
                    && error.is_retryable()
                    && cursor.next.is_some();
                return Err(Failure::run(
                    &setup.context,
                    &format!("listing the Connect Apps of {account} at {}", setup.place()),
                    &error,
                    worth.then(|| resume::command_line(argv, &resume::encode_listing(&cursor))),
                ));
            }
        }
    }
    progress.done();
    summary.limit_reached = args.limit.is_some_and(|l| summary.listed >= l);
    printer.finish(&summary)?;
    drop(printer);
    sink.commit()?;
    post_all(args.output.fail_on_post_all, summary.writers)
}

/// The sweep's parameters from the flags.
pub(crate) fn sweep_params(accounts: &Accounts, page_size: Option<u32>) -> SweepParams {
    let mut apps = ListParams::new();
    if let Some(s) = page_size {
        apps = apps.with_page_size(s);
    }
    let mut params = match accounts.concurrency {
        Some(Concurrency::Fixed(n)) => SweepParams::new().with_concurrency(n),
        Some(Concurrency::Auto) | None => SweepParams::adaptive(),
    }
    .with_apps(apps);
    if let Some(status) = accounts.status {
        params = params.with_status(status.into());
    }
    params
}

/// A sweep's start: fresh, or from a `--resume` token (bound to the parent account).
pub(crate) fn start_sweep(
    setup: &Setup,
    params: SweepParams,
    resume: Option<SweepToken>,
) -> Result<
    (
        twilio_connect_apps_client::blocking::Sweep<crate::transport::Chosen>,
        SweepCursor,
    ),
    Failure,
> {
    if setup.account.is_some() {
        // clap cannot see a subcommand's flag conflict with a global one.
        return Err(Failure::Usage(
            "--all-accounts reads every account: it does not go with --account-sid".into(),
        ));
    }
    let client = &setup.client;
    let parent = client.config().account_sid().to_string();
    match resume {
        Some(token) => {
            if token.parent != parent {
                return Err(Failure::Usage(format!(
                    "--resume: this token goes on with the sweep of {}'s accounts, but the account in effect is {parent}",
                    display_text(&token.parent, 40)
                )));
            }
            let start = token.sweep.clone();
            let sweep = client
                .resume_sweep(params, token.sweep)
                .map_err(|e| usage_from(&e, "--resume"))?;
            Ok((sweep, start))
        }
        None => {
            let accounts = params.accounts().clone();
            let start = SweepCursor {
                accounts: client.session().accounts(accounts).map_err(usage)?.cursor(),
                partial: None,
                index: 0,
            };
            Ok((client.sweep(params).map_err(usage)?, start))
        }
    }
}

/// `list --all-accounts`: every account's apps, printed in account order as they complete.
fn list_all_accounts(
    setup: &Setup,
    args: &ListArgs,
    argv: &[String],
    counts: Option<std::sync::Arc<Counts>>,
    style: &Style,
) -> Result<(), Failure> {
    let params = sweep_params(&args.accounts, args.page_size);
    let token = args
        .resume
        .as_deref()
        .map(resume::decode_sweep)
        .transpose()
        .map_err(Failure::Usage)?;
    let (sweep, start) = start_sweep(setup, params, token)?;
    let mut sink = Sink::open(args.output.output.as_deref())?;
    let mut printer = Printer::new(
        &mut sink,
        layout(&args.output, true, args.resume.is_some(), style),
    );
    let progress = Progress::new(counts);
    let mut summary = Summary {
        post_all_only: args.post_all_only,
        sample: setup.sample_data(),
        accounts: Some((0, Vec::new())),
        ..Summary::default()
    };
    let parent = setup.client.config().account_sid().to_string();
    let token = |sweep: SweepCursor| {
        resume::command_line(
            argv,
            &resume::encode_sweep(&SweepToken {
                parent: parent.clone(),
                sweep,
            }),
        )
    };
    // Results come as accounts complete; print them in the accounts listing's order. A run
    // that stops part-way has printed exactly the accounts before `position`, so that a
    // resumed run's output concatenates to one run's.
    let mut waiting = BTreeMap::new();
    let mut next = start.index;
    let mut position = start;
    let mut stopped = None;
    // The accounts that failed, and where each stopped: read again by the commands printed.
    let mut again: Vec<(String, Option<Cursor>)> = Vec::new();
    for result in sweep {
        let result = match result {
            Ok(r) => r,
            Err(error) => {
                // The accounts listing failed: nothing more is handed out, but the accounts
                // in flight still come (and are printed), so that going on reads none twice.
                stopped = Some((format!("listing the accounts at {}", setup.place()), error));
                continue;
            }
        };
        waiting.insert(result.index, result);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            printer.set_account(&done.account);
            for app in &done.apps {
                if summary.count(app.can_write()) {
                    printer.app(app)?;
                }
            }
            printer.flush()?;
            progress.update(summary.listed);
            let sid = done
                .account
                .sid
                .clone()
                .unwrap_or_else(|| "(no SID)".into());
            if let Some((read, _)) = summary.accounts.as_mut() {
                *read += 1;
            }
            if let Some(error) = done.error {
                // Reported, and the sweep goes on with the others; the account is read again
                // by the command printed at the end (from where it stopped).
                let name = display_text(done.account.friendly_name.as_deref().unwrap_or(""), SHORT);
                let doing = format!(
                    "listing the Connect Apps of {} ({name})",
                    display_text(&sid, 40)
                );
                eprintln!("error: {}", error_line(&doing, &error, &setup.context));
                if let Some((_, failed)) = summary.accounts.as_mut() {
                    failed.push(sid.clone());
                }
                again.push((sid, done.cursor));
            }
            if let Some(cursor) = done.accounts_cursor {
                position = SweepCursor {
                    accounts: cursor,
                    partial: None,
                    index: done.index + 1,
                };
            }
        }
    }
    progress.done();
    if let Some((doing, error)) = stopped {
        let worth = args.output.output.is_none() && error.is_retryable();
        printer.flush()?;
        read_again(argv, &again);
        return Err(Failure::run(
            &setup.context,
            &doing,
            &error,
            worth.then(|| token(position)),
        ));
    }
    printer.finish(&summary)?;
    drop(printer);
    sink.commit()?;
    let failed = summary.accounts.as_ref().map_or(0, |(_, f)| f.len());
    if failed > 0 {
        if (args.output.format() != Format::Table || style.quiet)
            && let Some(line) = summary.accounts_line()
        {
            eprintln!("connect-apps: {line}");
        }
        read_again(argv, &again);
        return Err(Failure::Partial { resume: None });
    }
    post_all(args.output.fail_on_post_all, summary.writers)
}

/// Prints, for each account that failed in an `--all-accounts` run, the command that reads it
/// again (from where it stopped).
fn read_again(argv: &[String], again: &[(String, Option<Cursor>)]) {
    for (sid, cursor) in again {
        eprintln!(
            "connect-apps: to read {} again, run: {}",
            display_text(sid, 40),
            resume::account_command_line(argv, sid, cursor.as_ref().map(resume::encode_listing))
        );
    }
}

/// `fetch`.
pub(crate) fn fetch(setup: &Setup, args: &FetchArgs, style: &Style) -> Result<(), Failure> {
    let sid: ConnectAppSid = args
        .sid
        .trim()
        .parse()
        .map_err(|e| Failure::Usage(format!("CONNECT_APP_SID: {e}")))?;
    let client = &setup.client;
    let result = match &setup.account {
        Some(a) => client.fetch_in(a, &sid),
        None => client.fetch(&sid),
    }
    .map(|fetched| fetched.app);
    let app = result.map_err(|error| {
        Failure::run(
            &setup.context,
            &format!("fetching {sid} at {}", setup.place()),
            &error,
            None,
        )
    })?;
    let mut sink = Sink::open(args.output.output.as_deref())?;
    match args.output.format() {
        Format::Table => output::details(&mut sink, &app)?,
        _ => {
            let mut printer = Printer::new(&mut sink, layout(&args.output, false, false, style));
            printer.app(&app)?;
            printer.flush()?;
        }
    }
    sink.flush()?;
    sink.commit()?;
    post_all(args.output.fail_on_post_all, u64::from(app.can_write()))
}
