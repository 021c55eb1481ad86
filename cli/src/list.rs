//! `list`: one account, page by page as the pages arrive, or every account with
//! `--all-accounts`.

use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{Account, Cursor, Error};

use crate::args::{Format, ListArgs};
use crate::failure::{Failure, error_line};
use crate::output::{Printer, SHORT, Style, Summary, layout, post_all};
use crate::progress::{Counts, Progress};
use crate::reading::{self, list_params, start_sweep, sweep_params};
use crate::resume;
use crate::setup::{Setup, usage};
use crate::sink::Sink;

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
        None => client
            .list(list_params(Some(&account), args.page_size, args.limit))
            .map_err(usage)?,
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
    // The accounts that failed, and where each stopped: read again by the commands printed.
    let mut again: Vec<(String, Option<Cursor>)> = Vec::new();
    // Printed in the accounts listing's order: a run that stops part-way has printed exactly
    // the accounts before its position, so a resumed run's output concatenates to one run's.
    let ended = reading::in_order(setup, sweep, start, |done| {
        printer.set_account(&done.account);
        for app in &done.apps {
            if summary.count(app.can_write()) {
                printer.app(app)?;
            }
        }
        printer.flush()?;
        progress.update(summary.listed);
        if let Some((read, _)) = summary.accounts.as_mut() {
            *read += 1;
        }
        if let Some(error) = &done.error {
            // Reported, and the sweep goes on with the others; the account is read again by
            // the command printed at the end (from where it stopped).
            let sid = report_failed(setup, &done.account, error);
            if let Some((_, failed)) = summary.accounts.as_mut() {
                failed.push(sid.clone());
            }
            again.push((sid, done.cursor));
        }
        Ok(())
    })?;
    let (position, stopped) = (ended.position, ended.stopped);
    progress.done();
    if let Some((doing, error)) = stopped {
        let worth = args.output.output.is_none() && error.is_retryable();
        printer.flush()?;
        read_again(argv, &again);
        return Err(Failure::run(
            &setup.context,
            &doing,
            &error,
            worth.then(|| resume::sweep_command_line(argv, &parent, position)),
        ));
    }
    printer.finish(&summary)?;
    drop(printer);
    sink.commit()?;
    verdict(args, style, &summary, argv, &again)
}

/// How a sweep that was read to its end exits: accounts failed (exit 1, with the commands
/// that read them again), else `--fail-on-post-all`'s say.
fn verdict(
    args: &ListArgs,
    style: &Style,
    summary: &Summary,
    argv: &[String],
    again: &[(String, Option<Cursor>)],
) -> Result<(), Failure> {
    let failed = summary.accounts.as_ref().map_or(0, |(_, f)| f.len());
    if failed > 0 {
        if (args.output.format() != Format::Table || style.quiet)
            && let Some(line) = summary.accounts_line()
        {
            eprintln!("connect-apps: {line}");
        }
        read_again(argv, again);
        return Err(Failure::Partial { resume: None });
    }
    post_all(args.output.fail_on_post_all, summary.writers)
}

/// Says on stderr that an account's listing failed; gives its SID.
fn report_failed(setup: &Setup, account: &Account, error: &Error) -> String {
    let sid = account.sid.clone().unwrap_or_else(|| "(no SID)".into());
    let name = display_text(account.friendly_name.as_deref().unwrap_or(""), SHORT);
    let doing = format!(
        "listing the Connect Apps of {} ({name})",
        display_text(&sid, 40)
    );
    eprintln!("error: {}", error_line(&doing, error, &setup.context));
    sid
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
