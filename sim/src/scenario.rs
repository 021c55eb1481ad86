//! One seeded run: a Twilio of a random shape with a random fault script, one machine driven
//! against it (resumed from its cursor after each error), and every invariant checked.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use twilio_connect_apps::machine::ListingMachine;
use twilio_connect_apps::model::{AccountApps, AccountListParams};
use twilio_connect_apps::wire::Resource;
use twilio_connect_apps::{
    AccountSid, Action, Config, ConnectAppSid, Credentials, Cursor, Error, ListParams, Machine,
    Secret, Session, SweepCursor, SweepParams,
};

use crate::api::{Shape, Twilio};
use crate::drive::{drive, sweep};
use crate::faults::{Fault, Script};
use crate::rng::Rng;
use crate::world::{Sent, World};

/// How many times a run resumes a listing from its cursor before it accepts the error.
pub const MAX_RESUMES: u32 = 12;

/// The machines a run can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Fetching one app.
    Fetch,
    /// A listing handing out owned records.
    OwnedListing,
    /// A listing handing out borrowed views, page by page.
    BorrowedListing,
    /// A listing stopped at a random record, its cursor saved and resumed.
    ResumedListing,
    /// The accounts listing.
    AccountsListing,
    /// A sweep of every subaccount at a fixed concurrency.
    Sweep,
    /// A sweep that finds its concurrency itself.
    AdaptiveSweep,
}

impl Kind {
    /// Every machine, in the order seeds take them.
    pub const ALL: [Kind; 7] = [
        Kind::Fetch,
        Kind::OwnedListing,
        Kind::BorrowedListing,
        Kind::ResumedListing,
        Kind::AccountsListing,
        Kind::Sweep,
        Kind::AdaptiveSweep,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fetch => "fetch",
            Kind::OwnedListing => "listing (owned records)",
            Kind::BorrowedListing => "listing (borrowed views)",
            Kind::ResumedListing => "listing resumed from a saved cursor",
            Kind::AccountsListing => "accounts listing",
            Kind::Sweep => "sweep (fixed concurrency)",
            Kind::AdaptiveSweep => "sweep (adaptive concurrency)",
        }
    }
}

/// What one seed's run did, and what it broke.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The machine driven.
    pub kind: Kind,
    /// Whether the credentials were OAuth client credentials (tokens, refreshes).
    pub oauth: bool,
    /// Resumes from a saved cursor.
    pub resumes: u32,
    /// Errors the machines returned (each followed by a resume, up to [`MAX_RESUMES`]).
    pub errors: u32,
    /// The first few of those errors, as they read.
    pub error_messages: Vec<String>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<Fault, u64>,
    /// API requests answered.
    pub api_requests: u64,
    /// Token requests answered.
    pub token_requests: u64,
    /// Answers 429.
    pub answered_429: u64,
    /// How long the run took in virtual time.
    pub virtual_time: Duration,
    /// Every invariant broken, one line each (empty: the run passed).
    pub violations: Vec<String>,
}

/// The state of a run.
struct Run {
    world: World,
    config: Config,
    session: Session,
    session_id: usize,
    next_task: usize,
    rng: Rng,
    report: Report,
}

/// Runs seed `seed`.
pub fn run(seed: u64) -> Report {
    replay(seed).0
}

/// Runs seed `seed`, and returns the log of every request sent with the report.
pub fn replay(seed: u64) -> (Report, Vec<Sent>) {
    let mut rng = Rng::new(seed);
    let kind = Kind::ALL
        .get((seed % Kind::ALL.len() as u64) as usize)
        .copied()
        .unwrap_or(Kind::Fetch);
    let oauth = rng.chance(500);
    let sweeping = matches!(kind, Kind::Sweep | Kind::AdaptiveSweep);
    let subaccounts = rng.below(if sweeping { 13 } else { 4 }) as usize;
    let apps = (0..4).map(|_| rng.below(121) as usize).collect();
    let shape = Shape {
        subaccounts,
        apps,
        latency: Duration::from_millis(rng.between(20, 300)),
        limit: (sweeping && rng.chance(600)).then(|| rng.between(1, 6) as usize),
        retry_after_secs: 1,
        token_lifetime: Duration::from_secs(*rng.pick(&[5, 60, 600]).unwrap_or(&60)),
    };
    let twilio = Twilio::new(shape, Script::from_seed(seed), seed);
    let parent: Result<AccountSid, _> = twilio.parent.parse();
    let Ok(parent) = parent else {
        return (
            failed(seed, kind, "the simulation's parent SID does not parse"),
            Vec::new(),
        );
    };
    let credentials = if oauth {
        Credentials::oauth_client(
            parent,
            twilio.client_id.clone(),
            Secret::new(twilio.client_secret.clone()),
        )
    } else {
        Credentials::auth_token(parent, Secret::new(twilio.auth_token.clone()))
    };
    let config = Config::new(credentials);
    let mut run = Run {
        world: World::new(twilio),
        session: Session::new(config.clone()).with_seed(seed),
        config,
        session_id: 0,
        next_task: 0,
        rng,
        report: Report::new(seed, kind, oauth),
    };
    if let Err(e) = run.go(kind) {
        run.report.violations.push(e);
    }
    run.finish()
}

fn failed(seed: u64, kind: Kind, why: &str) -> Report {
    let mut report = Report::new(seed, kind, false);
    report.violations.push(why.to_owned());
    report
}

impl Report {
    /// A run that has done nothing yet.
    fn new(seed: u64, kind: Kind, oauth: bool) -> Self {
        Report {
            seed,
            kind,
            oauth,
            resumes: 0,
            errors: 0,
            error_messages: Vec::new(),
            faults: BTreeMap::new(),
            api_requests: 0,
            token_requests: 0,
            answered_429: 0,
            virtual_time: Duration::ZERO,
            violations: Vec::new(),
        }
    }
}

/// A listing's outcome: the keys handed out, and whether it reached its end.
struct Listed {
    keys: Vec<String>,
    finished: bool,
}

impl Run {
    fn go(&mut self, kind: Kind) -> Result<(), String> {
        match kind {
            Kind::Fetch => self.fetch(),
            Kind::OwnedListing | Kind::ResumedListing => {
                let (account, params, expected) = self.apps_listing();
                let stop_at = (kind == Kind::ResumedListing)
                    .then(|| self.rng.below(expected.len() as u64 + 1) as usize);
                let m = self.list(&account, params)?;
                let listed = self.records(m, &account, stop_at)?;
                self.compare(&format!("apps of {account}"), &listed, &expected);
                Ok(())
            }
            Kind::BorrowedListing => {
                let (account, params, expected) = self.apps_listing();
                let refuse_at = self
                    .rng
                    .chance(300)
                    .then(|| self.rng.below(expected.len() as u64 + 1) as usize);
                let listed = self.views(&account, params, refuse_at)?;
                self.compare(&format!("views of {account}"), &listed, &expected);
                Ok(())
            }
            Kind::AccountsListing => {
                let size = self.rng.between(1, 5) as u32;
                let params = AccountListParams::new().with_page_size(size);
                let m = self.session.accounts(params).map_err(|e| e.to_string())?;
                let expected = self.world.twilio.accounts.clone();
                let listed = self.listing(
                    m,
                    |a| a.sid.clone().unwrap_or_default(),
                    |session, cursor| session.resume_accounts(cursor),
                    None,
                )?;
                self.compare("accounts", &listed, &expected);
                Ok(())
            }
            Kind::Sweep | Kind::AdaptiveSweep => self.sweep(kind == Kind::AdaptiveSweep),
        }
    }

    fn task(&mut self) -> usize {
        self.next_task += 1;
        self.next_task
    }

    /// An account, list parameters for its apps, and the records they must give.
    fn apps_listing(&mut self) -> (String, ListParams, Vec<String>) {
        let accounts = &self.world.twilio.accounts;
        let account = self
            .rng
            .pick(accounts)
            .cloned()
            .unwrap_or_else(|| self.world.twilio.parent.clone());
        let mut params = ListParams::new().with_page_size(self.rng.between(1, 40) as u32);
        let mut expected = self.world.twilio.apps_of(&account).to_vec();
        if self.rng.chance(300) {
            let limit = self.rng.between(1, 150);
            params = params.with_limit(limit);
            expected.truncate(limit as usize);
        }
        (account, params, expected)
    }

    fn list(&self, account: &str, params: ListParams) -> Result<ListingMachine, String> {
        let result = if *account == self.world.twilio.parent {
            self.session.list(params)
        } else {
            let sid: AccountSid = account.parse().map_err(|e| format!("{e}"))?;
            self.session.list(params.with_account(sid))
        };
        result.map_err(|e| format!("list refused valid parameters: {e}"))
    }

    /// The cursor, as a program saves it (JSON) and reads it back; half the time into a new
    /// session, as a later process would.
    fn saved(&mut self, cursor: &Cursor) -> Result<Cursor, String> {
        self.report.resumes += 1;
        if self.rng.chance(500) {
            self.session_id += 1;
            self.session = Session::new(self.config.clone())
                .with_seed(self.report.seed.wrapping_add(self.session_id as u64));
        }
        let json = serde_json::to_string(cursor).map_err(|e| e.to_string())?;
        serde_json::from_str(&json).map_err(|e| format!("a saved cursor does not read back: {e}"))
    }

    fn records(
        &mut self,
        m: ListingMachine,
        account: &str,
        stop_at: Option<usize>,
    ) -> Result<Listed, String> {
        let parent = self.world.twilio.parent.clone();
        let sid: AccountSid = account.parse().map_err(|e| format!("{e}"))?;
        self.listing(
            m,
            |app| app.connect_app_sid().unwrap_or_default().to_owned(),
            move |session, cursor| {
                if sid.as_str() == parent {
                    session.resume(cursor)
                } else {
                    session.resume_in(&sid, cursor)
                }
            },
            stop_at,
        )
    }

    /// Drives a listing of records to its end, resuming from its cursor after each error (and
    /// once at `stop_at` records, by choice).
    fn listing<R: Resource>(
        &mut self,
        mut m: ListingMachine<R>,
        key: impl Fn(&R) -> String,
        resume: impl Fn(&Session, Cursor) -> Result<ListingMachine<R>, Error>,
        mut stop_at: Option<usize>,
    ) -> Result<Listed, String> {
        let mut keys = Vec::new();
        let mut errors = 0;
        let mut task = self.task();
        loop {
            let out = self.drive(task, &mut m)?;
            let resume_now = match out {
                Some(Ok(record)) => {
                    keys.push(key(&record));
                    stop_at.take_if(|n| *n == keys.len()).is_some()
                }
                Some(Err(e)) => {
                    if self.gives_up(&e, &mut errors) {
                        return Ok(Listed {
                            keys,
                            finished: false,
                        });
                    }
                    true
                }
                None => {
                    self.nothing_after_done(&mut m);
                    return Ok(Listed {
                        keys,
                        finished: true,
                    });
                }
            };
            if resume_now {
                let cursor = self.saved(&m.cursor())?;
                m = resume(&self.session, cursor)
                    .map_err(|e| format!("a saved cursor was refused: {e}"))?;
                task = self.task();
            }
        }
    }

    /// Drives `m` (task `task` of the current session) to its next `Done`.
    fn drive<M: Machine>(&mut self, task: usize, m: &mut M) -> Result<M::Output, String> {
        drive(&mut self.world, &self.session, self.session_id, task, m).map_err(|s| s.0)
    }

    /// A machine returned this error.
    fn error(&mut self, e: &dyn std::fmt::Display) {
        self.report.errors += 1;
        if self.report.error_messages.len() < 5 {
            self.report.error_messages.push(e.to_string());
        }
    }

    /// A listing (or sweep) returned its `errors`-th error, `e`: whether it stops resuming.
    fn gives_up(&mut self, e: &dyn std::fmt::Display, errors: &mut u32) -> bool {
        self.error(e);
        *errors += 1;
        *errors > MAX_RESUMES
    }

    /// A machine that said `Done` sends nothing more.
    fn nothing_after_done<M: Machine>(&mut self, m: &mut M) {
        if let Action::Send(request) = m.next(&self.session.context(self.world.clock())) {
            self.report
                .violations
                .push(format!("a request after Done: {}", request.uri()));
        }
    }

    /// A listing through borrowed views, page by page; the callback refuses the record at
    /// `refuse_at` once.
    fn views(
        &mut self,
        account: &str,
        params: ListParams,
        mut refuse_at: Option<usize>,
    ) -> Result<Listed, String> {
        enum Stop {
            Refused,
            Failed(String),
        }
        impl From<Error> for Stop {
            fn from(e: Error) -> Self {
                Stop::Failed(e.to_string())
            }
        }
        let mut m = self.list(account, params)?;
        let mut keys: Vec<String> = Vec::new();
        let mut errors = 0;
        let mut task = self.task();
        loop {
            let page = self.drive(task, &mut m.next_page())?;
            let handed = m.hand_out(page, |view| {
                if refuse_at.take_if(|n| *n == keys.len()).is_some() {
                    return Err(Stop::Refused);
                }
                let sid = view.connect_app_sid.map(|s| s.to_str().into_owned());
                keys.push(sid.unwrap_or_default());
                Ok(())
            });
            match handed {
                Ok(true) => continue,
                Ok(false) => {
                    self.nothing_after_done(&mut m.next_page());
                    return Ok(Listed {
                        keys,
                        finished: true,
                    });
                }
                Err(Stop::Refused) => {}
                Err(Stop::Failed(e)) => {
                    if self.gives_up(&e, &mut errors) {
                        return Ok(Listed {
                            keys,
                            finished: false,
                        });
                    }
                }
            }
            let cursor = self.saved(&m.cursor())?;
            m = if *account == self.world.twilio.parent {
                self.session.resume(cursor)
            } else {
                let sid: AccountSid = account.parse().map_err(|e| format!("{e}"))?;
                self.session.resume_in(&sid, cursor)
            }
            .map_err(|e| format!("a saved cursor was refused: {e}"))?;
            task = self.task();
        }
    }

    /// Every record exactly once and in order when the listing finished; a prefix, nothing
    /// twice, when it gave up.
    fn compare(&mut self, what: &str, listed: &Listed, expected: &[String]) {
        let ok = if listed.finished {
            listed.keys == expected
        } else {
            expected.starts_with(&listed.keys)
        };
        if !ok {
            let at = listed
                .keys
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or(listed.keys.len().min(expected.len()));
            self.report.violations.push(format!(
                "{what}: {} handed out (finished: {}), {} expected; first difference at {at}: {:?} for {:?}",
                listed.keys.len(),
                listed.finished,
                expected.len(),
                listed.keys.get(at),
                expected.get(at),
            ));
        }
    }

    fn fetch(&mut self) -> Result<(), String> {
        let twilio = &self.world.twilio;
        let account = self.rng.pick(&twilio.accounts).cloned().unwrap_or_default();
        let apps = twilio.apps_of(&account).to_vec();
        let exists = !apps.is_empty() && self.rng.chance(750);
        let cn = match exists {
            true => self.rng.pick(&apps).cloned().unwrap_or_default(),
            false => crate::api::sid("CN", 0xdead_0000_0000),
        };
        let app: ConnectAppSid = cn.parse().map_err(|e| format!("{e}"))?;
        let sid: AccountSid = account.parse().map_err(|e| format!("{e}"))?;
        let mut m = self
            .session
            .fetch_in(&sid, &app)
            .map_err(|e| e.to_string())?;
        let task = self.task();
        let out = self.drive(task, &mut m)?;
        self.nothing_after_done(&mut m);
        match out {
            Ok(fetched) if !exists => self.report.violations.push(format!(
                "fetch of a missing app returned {:?}",
                fetched.app.connect_app_sid()
            )),
            Ok(fetched) if fetched.app.connect_app_sid() != Some(cn.as_str()) => {
                self.report.violations.push(format!(
                    "fetch of {cn} returned {:?}",
                    fetched.app.connect_app_sid()
                ));
            }
            Ok(_) => {}
            Err(_) if !exists => {}
            Err(e) => self.error(&e),
        }
        Ok(())
    }

    fn sweep(&mut self, adaptive: bool) -> Result<(), String> {
        let apps = ListParams::new().with_page_size(self.rng.between(1, 60) as u32);
        let accounts = AccountListParams::new().with_page_size(self.rng.between(1, 6) as u32);
        let params = match adaptive {
            true => SweepParams::adaptive().with_max_concurrency(self.rng.between(1, 12) as usize),
            false => SweepParams::new().with_concurrency(self.rng.between(1, 6) as usize),
        }
        .with_apps(apps)
        .with_accounts(accounts);
        let mut plan = self
            .session
            .sweep(params.clone())
            .map_err(|e| e.to_string())?;
        let mut results: Vec<AccountApps> = Vec::new();
        let mut errors = 0;
        let finished = loop {
            let first = self.task();
            let run = sweep(&mut self.world, &self.session, self.session_id, plan, first);
            self.next_task = run.next_task;
            if let Some(stuck) = run.stuck {
                return Err(stuck.0);
            }
            if run.max_in_flight > run.max_concurrency {
                self.report.violations.push(format!(
                    "sweep: {} requests in flight, {} allowed",
                    run.max_in_flight, run.max_concurrency
                ));
            }
            let base = results.len();
            results.extend(run.results);
            let Some(e) = run.plan_error else {
                break true;
            };
            if self.gives_up(&e, &mut errors) {
                break false;
            }
            // Go on after the last account handed out (every job has finished).
            let last = results
                .get(base..)
                .unwrap_or_default()
                .iter()
                .max_by_key(|r| r.index);
            plan = match last.and_then(|r| Some((r.index, r.accounts_cursor.clone()?))) {
                Some((index, accounts)) => {
                    let cursor = SweepCursor {
                        accounts: self.saved(&accounts)?,
                        partial: None,
                        index: index + 1,
                    };
                    self.session.resume_sweep(params.clone(), cursor)
                }
                None if base == 0 => self.session.sweep(params.clone()),
                None => {
                    // Nothing handed out since the last resume: resume from the same place.
                    let Some(r) = results.iter().max_by_key(|r| r.index) else {
                        return Err("sweep: results vanished".into());
                    };
                    let accounts = r.accounts_cursor.clone().ok_or("no accounts cursor")?;
                    let cursor = SweepCursor {
                        accounts: self.saved(&accounts)?,
                        partial: None,
                        index: r.index + 1,
                    };
                    self.session.resume_sweep(params.clone(), cursor)
                }
            }
            .map_err(|e| format!("a saved sweep cursor was refused: {e}"))?;
        };
        self.sweep_results(results, finished)
    }

    /// Every account once (all of them when the sweep finished), each with every app once.
    fn sweep_results(&mut self, results: Vec<AccountApps>, finished: bool) -> Result<(), String> {
        let all = self.world.twilio.accounts.clone();
        let mut seen = BTreeSet::new();
        for r in results {
            let account = r.account.sid.clone().unwrap_or_default();
            if !seen.insert(account.clone()) {
                self.report
                    .violations
                    .push(format!("sweep: account {account} handed out twice"));
            }
            let mut keys: Vec<String> = r
                .apps
                .iter()
                .map(|a| a.connect_app_sid().unwrap_or_default().to_owned())
                .collect();
            let mut done = r.error.is_none();
            if let Some(e) = &r.error {
                self.error(e);
                if let Some(cursor) = r.cursor {
                    let cursor = self.saved(&cursor)?;
                    let sid: AccountSid = account.parse().map_err(|e| format!("{e}"))?;
                    let m = self
                        .session
                        .resume_in(&sid, cursor)
                        .map_err(|e| format!("an account's cursor was refused: {e}"))?;
                    let rest = self.records(m, &account, None)?;
                    keys.extend(rest.keys);
                    done = rest.finished;
                }
            }
            let expected = self.world.twilio.apps_of(&account).to_vec();
            let listed = Listed {
                keys,
                finished: done,
            };
            self.compare(&format!("sweep, apps of {account}"), &listed, &expected);
        }
        if finished && seen.len() != all.len() {
            self.report.violations.push(format!(
                "sweep: {} of {} accounts handed out",
                seen.len(),
                all.len()
            ));
        }
        Ok(())
    }

    fn finish(mut self) -> (Report, Vec<Sent>) {
        let policy = self.config.retry_policy().clone();
        let twilio = &self.world.twilio;
        let found = crate::check::log_invariants(&self.world.log, twilio, &policy);
        self.report.violations.extend(found);
        let quiet = twilio.stats.faults.is_empty() && twilio.stats.answered_429 == 0;
        if quiet && self.report.errors > 0 {
            self.report.violations.push(format!(
                "{} errors with no fault injected and no 429",
                self.report.errors
            ));
        }
        self.report.faults = twilio.stats.faults.clone();
        self.report.api_requests = twilio.stats.api_requests;
        self.report.token_requests = twilio.stats.token_requests;
        self.report.answered_429 = twilio.stats.answered_429;
        self.report.virtual_time = self.world.now;
        (self.report, self.world.log)
    }
}
