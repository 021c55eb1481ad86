//! `audit`: reads the apps authorized now (one account, or every account), compares them with
//! a baseline and a policy, reports the findings, and keeps the evidence (`--snapshot`).
//!
//! Exit codes: 0 no finding at or above `--fail-on`; 3 at least one; 1 the run itself failed
//! (the accounts listing, or the only account, could not be read); 2 usage. With
//! `--all-accounts` a subaccount that fails is an `account-not-audited` finding.
//!
//! A sweep that stops part-way keeps what it read in `FILE.partial` (`FILE` itself, perhaps
//! the next run's baseline, is left as it was) and prints the command that goes on; accounts
//! that failed are read again from where each stopped, and accounts already read are not.

pub(crate) mod catalog;
pub(crate) mod exceptions;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod ocsf;
pub(crate) mod policy;
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod run;
pub(crate) mod sarif;
pub(crate) mod snapshot;
pub(crate) mod table;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use twilio_connect_apps::{AccountApps, AccountSid, Error, SweepCursor};

use crate::args::{AuditArgs, AuditFormat, FailOn};
use crate::failure::{Failure, error_text};
use crate::output::Style;
use crate::progress::{Counts, Progress};
use crate::reading::{self, list_params, start_sweep, sweep_params};
use crate::resume::{self, SweepToken};
use crate::setup::{Setup, usage};
use crate::sink::{AtomicFile, Sink};

use self::policy::Policy;
use self::report::{Report, fail_on_name, fails};
use self::snapshot::{
    AccountRecord, AppRecord, Baseline, CredentialInfo, FORMAT, Snapshot, Status, Tool,
};

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Where a sweep that stopped part-way keeps what it read.
fn partial_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// What reading the current state came to.
struct Reading {
    accounts: Vec<AccountRecord>,
    /// The accounts listing failed (what was being done, the error): the run failed.
    stopped: Option<(String, Error)>,
    /// Where the sweep stands (to go on with it).
    position: Option<SweepCursor>,
}

/// What the audit is judged by, read and checked before any request.
struct Inputs {
    policy: Option<Policy>,
    baseline: Option<Baseline>,
    /// `--resume` with the snapshot it goes on with.
    resumed: Option<(SweepToken, Snapshot)>,
}

/// Reads and checks `--policy`, `--baseline` and `--resume` (exit 2 on any mistake).
fn inputs(args: &AuditArgs, parent: &str) -> Result<Inputs, Failure> {
    let policy = args
        .policy
        .as_deref()
        .map(Policy::load)
        .transpose()
        .map_err(Failure::Usage)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()
        .map_err(Failure::Usage)?;
    if args.resume.is_some() && !args.accounts.all_accounts {
        return Err(Failure::Usage(
            "--resume goes on with an --all-accounts audit: add --all-accounts".into(),
        ));
    }
    let resumed = match (&args.resume, &args.snapshot) {
        (Some(token), Some(path)) => {
            let token = resume::decode_sweep(token).map_err(Failure::Usage)?;
            let partial = partial_path(path);
            let from = if partial.exists() {
                partial
            } else {
                path.clone()
            };
            let snapshot = Snapshot::load(&from, "--snapshot").map_err(Failure::Usage)?;
            if token.parent != parent || snapshot.credentials.account_sid != parent {
                return Err(Failure::Usage(format!(
                    "--resume: this token and --snapshot {} go on with an audit of {}'s accounts, but the account in effect is {parent}",
                    from.display(),
                    twilio_connect_apps::text::display_text(&snapshot.credentials.account_sid, 40)
                )));
            }
            Some((token, snapshot))
        }
        _ => None,
    };
    Ok(Inputs {
        policy,
        baseline,
        resumed,
    })
}

/// `first_seen` from the baseline snapshot when it knew the app, else `at`; `last_seen`: `at`.
fn stamp_seen(accounts: &mut [AccountRecord], baseline: Option<&Baseline>, at: &str) {
    for account in accounts {
        for record in &mut account.apps {
            record.last_seen = at.to_owned();
            if !record.first_seen.is_empty() {
                continue;
            }
            let known = record.app.connect_app_sid().and_then(|sid| {
                baseline?
                    .apps
                    .get(&(account.account_sid.clone(), sid.to_owned()))?
                    .first_seen
                    .clone()
            });
            record.first_seen = known.unwrap_or_else(|| at.to_owned());
        }
    }
}

/// The evidence of a run that read `accounts`, with its run record.
fn evidence(
    setup: &Setup,
    inputs: &Inputs,
    started: String,
    accounts: Vec<AccountRecord>,
    complete: bool,
) -> Snapshot {
    let config = setup.client.config();
    let snapshot = Snapshot {
        format: FORMAT.into(),
        tool: Tool::this(),
        started_at: started,
        finished_at: now(),
        origin: config.origin().to_string(),
        credentials: CredentialInfo {
            kind: config.credentials().kind().into(),
            account_sid: config.account_sid().to_string(),
        },
        sample_data: setup.sample_data(),
        complete: complete && accounts.iter().all(|a| a.status == Status::Read),
        accounts,
        run: None,
    };
    let count = |s: Status| snapshot.accounts.iter().filter(|a| a.status == s).count() as u64;
    let accounts = (
        snapshot.accounts.len() as u64,
        count(Status::Read),
        count(Status::Failed),
    );
    let record = run::RunRecord::of(
        accounts,
        crate::progress::totals(),
        inputs.policy.as_ref().and_then(|p| p.sha256.clone()),
        inputs.baseline.as_ref().and_then(|b| b.sha256.clone()),
    );
    Snapshot {
        run: Some(record),
        ..snapshot
    }
}

/// The findings: the rules, then the policy's exceptions as of today (UTC).
fn judge(snapshot: &Snapshot, inputs: &Inputs, parent: &str) -> Vec<rules::Finding> {
    let (policy, baseline) = (inputs.policy.as_ref(), inputs.baseline.as_ref());
    let findings = rules::findings(&snapshot.accounts, baseline, policy);
    match policy {
        Some(p) => rules::apply(
            findings,
            &p.exceptions,
            &exceptions::date_of(SystemTime::now()),
            parent,
            baseline.is_some(),
        ),
        None => findings,
    }
}

/// Writes the report in its format, then the snapshot; the report is kept only when both
/// were written.
fn write_outputs(report: &Report<'_>, args: &AuditArgs) -> Result<(), Failure> {
    let mut sink = Sink::open(args.output.as_deref())?;
    match args.format {
        AuditFormat::Table => table::write(report, &mut sink)?,
        AuditFormat::Json => json::write(report, &mut sink)?,
        AuditFormat::Sarif => sarif::write(report, &mut sink)?,
        AuditFormat::Junit => junit::write(report, &mut sink)?,
        AuditFormat::Markdown => markdown::write(report, &mut sink)?,
        AuditFormat::Ocsf => ocsf::write(report, &mut sink)?,
    }
    sink.flush()?;
    if let Some(path) = &args.snapshot {
        write_snapshot(path, report.snapshot)?;
        let partial = partial_path(path);
        if partial.exists() {
            std::fs::remove_file(&partial)?;
        }
    }
    sink.commit()?;
    Ok(())
}

/// The exit: 3 with a line when an unsuppressed finding is at `--fail-on` or above.
fn verdict(findings: &[rules::Finding], fail_on: FailOn, quiet: bool) -> Result<(), Failure> {
    let failing = findings
        .iter()
        .filter(|f| f.suppression.is_none() && fails(f.level, fail_on))
        .count();
    if failing == 0 {
        return Ok(());
    }
    let message = if quiet {
        String::new()
    } else {
        format!(
            "{failing} finding{} at --fail-on {} or above ({})",
            if failing == 1 { "" } else { "s" },
            fail_on_name(fail_on),
            rules::counts_line(findings)
        )
    };
    Err(Failure::Findings(message))
}

/// `audit`.
pub(crate) fn audit(
    setup: &Setup,
    args: &AuditArgs,
    argv: &[String],
    counts: Option<Arc<Counts>>,
    style: &Style,
) -> Result<(), Failure> {
    let parent = setup.client.config().account_sid().to_string();
    // Everything given is checked before any request.
    let mut inputs = inputs(args, &parent)?;
    let started = inputs
        .resumed
        .as_ref()
        .map_or_else(now, |(_, s)| s.started_at.clone());
    let progress = Progress::new(counts);
    let reading = if args.accounts.all_accounts {
        read_all(setup, args, inputs.resumed.take(), &progress)?
    } else {
        read_one(setup, args, &progress)?
    };
    progress.done();
    let mut accounts = reading.accounts;
    stamp_seen(&mut accounts, inputs.baseline.as_ref(), &now());
    let snapshot = evidence(setup, &inputs, started, accounts, reading.stopped.is_none());
    let token = |position: SweepCursor| resume::sweep_command_line(argv, &parent, position);
    if let Some((doing, error)) = reading.stopped {
        // The run failed: no report; what was read is kept for --resume.
        let resume = match (&args.snapshot, reading.position) {
            (Some(path), Some(position)) if error.is_retryable() => {
                write_snapshot(&partial_path(path), &snapshot)?;
                Some(token(position))
            }
            _ => None,
        };
        return Err(Failure::run(&setup.context, &doing, &error, resume));
    }
    let findings = judge(&snapshot, &inputs, &parent);
    let report = Report {
        findings: &findings,
        snapshot: &snapshot,
        policy: inputs.policy.as_ref(),
        fail_on: args.fail_on,
        account: setup.account_in_effect().to_string(),
        baseline: inputs.baseline.as_ref(),
        summary: !style.quiet,
    };
    write_outputs(&report, args)?;
    // Accounts that failed in a way that may pass: say how to read just those again.
    let unfinished = snapshot
        .accounts
        .iter()
        .filter(|a| a.status == Status::Failed && a.cursor.is_some())
        .count();
    if unfinished > 0
        && args.snapshot.is_some()
        && let Some(position) = reading.position
    {
        eprintln!(
            "connect-apps: {unfinished} account{} could not be read; to read {} again (the others are not), run: {}",
            if unfinished == 1 { "" } else { "s" },
            if unfinished == 1 { "it" } else { "them" },
            token(position)
        );
    }
    verdict(&findings, args.fail_on, style.quiet)
}

fn write_snapshot(path: &Path, snapshot: &Snapshot) -> Result<(), Failure> {
    let mut file = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut file, snapshot).map_err(std::io::Error::from)?;
    file.write_all(b"\n")?;
    file.commit()?;
    Ok(())
}

/// One account's apps, each with the request id of its page.
fn read_one(setup: &Setup, args: &AuditArgs, progress: &Progress) -> Result<Reading, Failure> {
    let account = setup.account_in_effect().clone();
    let mut listing = setup
        .client
        .list(list_params(Some(&account), args.page_size, None))
        .map_err(usage)?;
    let (apps, error) = collect(&mut listing, progress);
    if let Some(error) = error {
        return Err(Failure::run(
            &setup.context,
            &format!("listing the Connect Apps of {account} at {}", setup.place()),
            &error,
            None,
        ));
    }
    Ok(Reading {
        accounts: vec![AccountRecord {
            account_sid: account.to_string(),
            friendly_name: None,
            status: Status::Read,
            error: None,
            cursor: None,
            apps,
        }],
        stopped: None,
        position: None,
    })
}

/// Takes a listing to its end (or its error): the apps, each with its page's request id.
fn collect<T: twilio_connect_apps_client::Transport>(
    listing: &mut twilio_connect_apps_client::blocking::Listing<T>,
    progress: &Progress,
) -> (Vec<AppRecord>, Option<Error>) {
    let mut apps = Vec::new();
    while let Some(item) = listing.next() {
        match item {
            Ok(app) => {
                let request_id = listing.last_meta().and_then(|m| m.request_id.clone());
                apps.push(AppRecord {
                    app,
                    first_seen: String::new(),
                    last_seen: String::new(),
                    request_id,
                });
                if apps.len() % 1000 == 0 {
                    progress.update(apps.len() as u64);
                }
            }
            Err(e) => return (apps, Some(e)),
        }
    }
    (apps, None)
}

/// An account the sweep handed back, as a snapshot record.
fn record_of(setup: &Setup, done: AccountApps) -> AccountRecord {
    let sid = done.account.sid.clone().unwrap_or_default();
    let request_ids: Vec<Option<String>> = (0..done.apps.len())
        .map(|i| done.meta_of(i).and_then(|m| m.request_id.clone()))
        .collect();
    let apps = done
        .apps
        .into_iter()
        .zip(request_ids)
        .map(|(app, request_id)| AppRecord {
            app,
            first_seen: String::new(),
            last_seen: String::new(),
            request_id,
        })
        .collect();
    let (status, error, cursor) = match &done.error {
        None => (Status::Read, None, None),
        Some(e) => (
            Status::Failed,
            Some(error_text(e, &setup.context)),
            done.cursor.clone().filter(|_| e.is_retryable()),
        ),
    };
    AccountRecord {
        account_sid: sid,
        friendly_name: done.account.friendly_name.clone(),
        status,
        error,
        cursor,
        apps,
    }
}

/// Every account: the sweep (fresh, or going on from a token), and, when resuming, the
/// accounts the snapshot has (those that failed are read again from where they stopped).
fn read_all(
    setup: &Setup,
    args: &AuditArgs,
    resumed: Option<(SweepToken, Snapshot)>,
    progress: &Progress,
) -> Result<Reading, Failure> {
    let params = sweep_params(&args.accounts, args.page_size);
    let (carried, token) = match resumed {
        Some((token, snapshot)) => (snapshot.accounts, Some(token)),
        None => (Vec::new(), None),
    };
    let mut accounts = Vec::with_capacity(carried.len());
    for mut account in carried {
        if account.status == Status::Read {
            accounts.push(account);
            continue;
        }
        // Failed before: from its cursor when it has one, else from the start.
        let sid: AccountSid = account
            .account_sid
            .parse()
            .map_err(|e| Failure::Usage(format!("--snapshot: an account SID: {e}")))?;
        let mut listing = match account.cursor.take() {
            Some(cursor) => setup.client.resume_in(&sid, cursor),
            None => {
                account.apps.clear();
                setup
                    .client
                    .list(list_params(Some(&sid), args.page_size, None))
            }
        }
        .map_err(usage)?;
        let (apps, error) = collect(&mut listing, progress);
        account.apps.extend(apps);
        match error {
            None => {
                account.status = Status::Read;
                account.error = None;
            }
            Some(e) => {
                account.error = Some(error_text(&e, &setup.context));
                account.cursor = e.is_retryable().then(|| listing.cursor());
            }
        }
        accounts.push(account);
    }
    let (sweep, start) = start_sweep(setup, params, token)?;
    let mut apps = accounts.iter().map(|a| a.apps.len() as u64).sum::<u64>();
    let ended = reading::in_order(setup, sweep, start, |done| {
        apps += done.apps.len() as u64;
        accounts.push(record_of(setup, done));
        progress.update(apps);
        Ok(())
    })?;
    let (position, stopped) = (ended.position, ended.stopped);
    Ok(Reading {
        accounts,
        stopped,
        position: Some(position),
    })
}
