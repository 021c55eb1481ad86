//! The plan of a sweep over every account: which account comes next (from the accounts
//! listing), and, for each, a job that lists its apps and collects them.
//!
//! ```text
//!  SweepPlan::next ──► accounts listing (Send / Wait …) ──► Done(Some(Ok(AccountJob)))  one per account
//!                                                      ├──► Done(Some(Err(e)))  the accounts listing failed
//!                                                      └──► Done(None)          every account handed out
//!  AccountJob::next ──► its apps listing (Send / Wait …) ──► Done(AccountApps)  apps, or the error that stopped them
//! ```
//!
//! A driver runs the plan and as many jobs at once as the plan has room for
//! ([`SweepPlan::has_room`]; threads, tasks, or one after the other), and tells the plan when
//! each job is done ([`SweepPlan::finished`]). They all share one session, so a 429 anywhere
//! slows the whole sweep. An adaptive plan ([`SweepParams::adaptive`]) moves its room with
//! what Twilio says: until the first 429, one more for every account answered (the room
//! doubles every round trip, as TCP's slow start); as soon as a 429 is seen, one below the
//! fewest requests Twilio counted in flight on a 429 (`Twilio-Concurrent-Requests`), never
//! above that again (half, when a 429 carries no count); after that, one more for every
//! `room` accounts answered unthrottled (about one more per round trip).

use http::Response;

use crate::base::sid::AccountSid;
use crate::error::{Error, TransportError};
use crate::model::account::Account;
use crate::model::app::AuthorizedConnectApp;
use crate::model::listing::{AccountApps, PageRead, PartialAccount, SweepCursor, SweepParams};
use crate::proto::action::{Action, Machine};
use crate::proto::context::{Context, Shared};
use crate::proto::listing;
use crate::proto::listing::ListingMachine;

/// The plan of a sweep: a [`Machine`] whose outputs are the accounts to audit, each as an
/// [`AccountJob`], in the accounts listing's order; `Done(None)` when every account was handed
/// out, `Done(Some(Err(..)))` when the accounts listing itself failed.
#[derive(Debug)]
pub struct SweepPlan {
    accounts: ListingMachine<Account>,
    params: SweepParams,
    next_index: u64,
    span: tracing::Span,
    /// An account to go on with first (a resumed sweep's partly listed one).
    partial: Option<PartialAccount>,
    pace: Pace,
}

/// How many jobs may run at once: fixed, or found by the rule in the module docs.
#[derive(Debug)]
struct Pace {
    adaptive: bool,
    limit: usize,
    max: usize,
    /// Accounts answered unthrottled since the limit last grew.
    credit: usize,
    /// One below what Twilio counted in flight when it last said 429: the account's limit.
    ceiling: Option<usize>,
    in_flight: usize,
    /// The session's 429 count last seen.
    throttled_seen: u64,
    /// No 429 seen yet: the room grows by one per account answered.
    slow_start: bool,
}

impl Pace {
    /// The pace `params` asks for, within the session's connections.
    fn new(shared: &Shared, params: &SweepParams) -> Self {
        let max = if params.is_adaptive() {
            params.max_concurrency().min(shared.max_connections)
        } else {
            params.concurrency()
        };
        Pace {
            adaptive: params.is_adaptive(),
            limit: params.concurrency().min(max),
            max,
            credit: 0,
            ceiling: None,
            in_flight: 0,
            throttled_seen: shared.gate().throttled,
            slow_start: true,
        }
    }

    fn limit(&self) -> usize {
        self.limit.clamp(1, self.max)
    }

    /// Takes in the 429s the session met since last looked; whether there were any.
    fn observe(&mut self, cx: &Context<'_>) -> bool {
        if !self.adaptive {
            return false;
        }
        let (throttled, counted) = {
            let mut gate = cx.shared().gate();
            if gate.throttled == self.throttled_seen {
                return false;
            }
            (gate.throttled, gate.concurrency_at_429.take())
        };
        self.throttled_seen = throttled;
        self.slow_start = false;
        self.credit = 0;
        self.limit = match counted.map(|c| c as usize).filter(|c| *c > 1) {
            Some(c) => {
                let ceiling = (c - 1).min(self.ceiling.unwrap_or(usize::MAX));
                self.ceiling = Some(ceiling);
                ceiling.min(self.limit())
            }
            None => (self.limit() / 2).max(1),
        };
        tracing::info!(
            concurrency = self.limit(),
            twilio_counted = counted,
            "throttled: fewer accounts at once"
        );
        true
    }

    fn finished(&mut self, cx: &Context<'_>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if !self.adaptive || self.observe(cx) {
            return;
        }
        // Before the first 429 (slow start, as TCP's): one more per account answered
        // unthrottled, so the room doubles every round trip until Twilio says where its limit
        // is. After it: one more for every `limit` accounts, about one per round trip.
        self.credit += 1;
        let step = if self.slow_start { 1 } else { self.limit() };
        if self.credit >= step {
            self.credit = 0;
            let cap = self.ceiling.unwrap_or(self.max).min(self.max);
            self.limit = (self.limit() + 1).min(cap);
        }
    }
}

impl SweepPlan {
    fn new(
        shared: &Shared,
        accounts: ListingMachine<Account>,
        params: SweepParams,
        next_index: u64,
        partial: Option<PartialAccount>,
    ) -> Self {
        SweepPlan {
            accounts,
            span: tracing::debug_span!("sweep", concurrency = params.concurrency()),
            pace: Pace::new(shared, &params),
            params,
            next_index,
            partial,
        }
    }

    /// How many jobs may run at once now (an adaptive plan moves it).
    pub fn concurrency(&self) -> usize {
        self.pace.limit()
    }

    /// The most jobs that may ever run at once (how many workers a driver needs).
    pub fn max_concurrency(&self) -> usize {
        if self.pace.adaptive {
            self.pace.max
        } else {
            self.pace.limit()
        }
    }

    /// Whether another job may start now (an adaptive plan first takes in any 429 the
    /// session met).
    pub fn has_room(&mut self, cx: &Context<'_>) -> bool {
        self.pace.observe(cx);
        self.pace.in_flight < self.pace.limit()
    }

    /// A job the plan handed out is done: it frees its room, and tells an adaptive plan how
    /// the account's answers went.
    pub fn finished(&mut self, cx: &Context<'_>, _result: &AccountApps) {
        self.pace.finished(cx);
    }

    /// Whether every account was handed out (or the accounts listing failed).
    pub fn is_finished(&self) -> bool {
        self.accounts.is_finished()
    }
}

impl Machine for SweepPlan {
    type Output = Option<Result<AccountJob, Error>>;

    fn next(&mut self, cx: &Context<'_>) -> Action<Self::Output> {
        let _span = self.span.clone().entered();
        let (account, resume) = match self.partial.take() {
            Some(p) => {
                let account = Account {
                    sid: Some(p.sid),
                    friendly_name: p.friendly_name,
                    ..Account::default()
                };
                (account, Some(p.cursor))
            }
            None => match self.accounts.next(cx) {
                Action::Done(Some(Ok(account))) => (account, None),
                Action::Done(Some(Err(e))) => return Action::Done(Some(Err(e))),
                other => return other.map(|_| None),
            },
        };
        let index = self.next_index;
        self.next_index += 1;
        let mut result = AccountApps::new(index, account);
        result.accounts_cursor = Some(self.accounts.cursor());
        let listing = match resume {
            None => self
                .params
                .apps_of(&result.account)
                .and_then(|params| listing::list(cx.config(), params)),
            Some(cursor) => result
                .account
                .account_sid()
                .ok_or_else(|| Error::input("cursor", "the partial account has no valid SID"))
                .and_then(|sid| listing::resume_in(cx.config(), &sid, cursor)),
        };
        let listing = match listing {
            Ok(listing) => Some(listing),
            Err(e) => {
                result.error = Some(e);
                None
            }
        };
        self.pace.in_flight += 1;
        Action::Done(Some(Ok(AccountJob {
            result,
            listing,
            pages_noted: 0,
        })))
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        self.accounts.handle(cx, response);
    }
}

/// One account's part of a sweep: a [`Machine`] that lists the account's apps to the end and
/// gives them, with the error that stopped the listing if any.
#[derive(Debug)]
pub struct AccountJob {
    result: AccountApps,
    listing: Option<ListingMachine<AuthorizedConnectApp>>,
    /// Pages of the listing already noted in `result.pages`.
    pages_noted: u64,
}

impl AccountJob {
    /// The account this job lists.
    pub fn account(&self) -> &Account {
        &self.result.account
    }

    /// The account's position in the accounts listing.
    pub fn index(&self) -> u64 {
        self.result.index
    }
}

impl Machine for AccountJob {
    type Output = AccountApps;

    fn next(&mut self, cx: &Context<'_>) -> Action<AccountApps> {
        while let Some(listing) = self.listing.as_mut() {
            let next = listing.next(cx);
            if listing.pages_read() > self.pages_noted
                && let Some(meta) = listing.last_meta()
            {
                self.pages_noted = listing.pages_read();
                self.result.pages.push(PageRead {
                    first: self.result.apps.len(),
                    meta: meta.clone(),
                });
            }
            match next {
                Action::Done(Some(Ok(app))) => self.result.apps.push(app),
                Action::Done(Some(Err(e))) => {
                    self.result.error = Some(e);
                    self.result.cursor = Some(listing.cursor());
                }
                Action::Done(None) => self.listing = None,
                other => return other.map(|_| AccountApps::new(0, Account::default())),
            }
        }
        Action::Done(std::mem::replace(
            &mut self.result,
            AccountApps::new(0, Account::default()),
        ))
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        if let Some(listing) = self.listing.as_mut() {
            listing.handle(cx, response);
        }
    }
}

/// The plan of a sweep: the accounts (per `params`), each one's apps listed as `params` says.
/// Inputs are checked before anything is sent.
pub(crate) fn plan(shared: &Shared, params: SweepParams) -> Result<SweepPlan, Error> {
    params.apps.effective_page_size()?;
    let accounts = listing::accounts(&shared.config, params.accounts.clone())?;
    Ok(SweepPlan::new(shared, accounts, params, 0, None))
}

/// A sweep that goes on from a saved [`SweepCursor`]: the partly listed account first (from
/// its apps cursor), then the accounts listing from its cursor. The cursors are checked like
/// any: the accounts listing's and each app cursor's account.
pub(crate) fn resume_plan(
    shared: &Shared,
    params: SweepParams,
    cursor: SweepCursor,
) -> Result<SweepPlan, Error> {
    params.apps.effective_page_size()?;
    let accounts = listing::resume::<Account>(&shared.config, cursor.accounts)?;
    if let Some(p) = &cursor.partial {
        let sid = p
            .sid
            .parse::<AccountSid>()
            .map_err(|e| Error::input("cursor", e.to_string()))?;
        listing::resume_in(&shared.config, &sid, p.cursor.clone())?;
    }
    Ok(SweepPlan::new(
        shared,
        accounts,
        params,
        cursor.index,
        cursor.partial,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::credentials::Credentials;
    use crate::config::settings::Config;
    use crate::model::listing::ADAPTIVE_START;
    use crate::proto::session::Session;
    use std::time::UNIX_EPOCH;

    fn session() -> Session {
        Session::new(Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            crate::Secret::new("t"),
        )))
        .with_max_connections(32)
    }

    /// One account answered: unthrottled, or after a 429 that counted `counted` in flight.
    fn answered(pace: &mut Pace, session: &Session, counted: Option<Option<u32>>) {
        if let Some(c) = counted {
            let mut gate = session.shared().gate();
            gate.throttled += 1;
            gate.concurrency_at_429 = c;
        }
        pace.in_flight += 1;
        pace.finished(&session.context(UNIX_EPOCH));
    }

    #[test]
    fn a_fixed_pace_never_moves() {
        let session = session();
        let mut pace = Pace::new(session.shared(), &SweepParams::new().with_concurrency(6));
        for _ in 0..10 {
            answered(&mut pace, &session, None);
        }
        answered(&mut pace, &session, Some(Some(3)));
        assert_eq!(pace.limit(), 6);
    }

    #[test]
    fn an_adaptive_pace_grows_to_the_connection_limit_then_settles_below_twilios_count() {
        let session = session();
        let mut pace = Pace::new(session.shared(), &SweepParams::adaptive());
        assert_eq!((pace.limit(), pace.max), (ADAPTIVE_START, 32));
        // Before any 429, one more per answer: a round of 4 answers makes 8, the next 16.
        for (answers, want) in [(1, 5), (3, 8), (8, 16), (16, 32), (100, 32)] {
            for _ in 0..answers {
                answered(&mut pace, &session, None);
            }
            assert_eq!(pace.limit(), want);
        }
        // Twilio counted 17 in flight when it said 429: the account allows 16.
        answered(&mut pace, &session, Some(Some(17)));
        assert_eq!(pace.limit(), 16);
        for _ in 0..1_000 {
            answered(&mut pace, &session, None);
        }
        assert_eq!(pace.limit(), 16, "never above the limit Twilio showed");
        // Below it, one more per round of answers: 16 answers to reach 17 were it allowed.
        answered(&mut pace, &session, Some(Some(40)));
        assert_eq!(pace.limit(), 16, "a higher count never raises the ceiling");
        // A later 429 with no count halves it.
        answered(&mut pace, &session, Some(None));
        assert_eq!(pace.limit(), 8);
        for _ in 0..8 {
            answered(&mut pace, &session, None);
        }
        assert_eq!(pace.limit(), 9, "one more for as many answers as the limit");
    }

    #[test]
    fn throttling_before_the_sweep_started_does_not_count_against_it() {
        let session = session();
        session.shared().gate().throttled = 5;
        let mut pace = Pace::new(session.shared(), &SweepParams::adaptive());
        // Still in slow start: one more per answer.
        for _ in 0..ADAPTIVE_START {
            answered(&mut pace, &session, None);
        }
        assert_eq!(pace.limit(), 2 * ADAPTIVE_START);
    }

    #[test]
    fn after_a_429_the_pace_grows_one_per_round_of_answers() {
        let session = session();
        let mut pace = Pace::new(session.shared(), &SweepParams::adaptive());
        // A 429 with no count at 4: half, then one more per 2 answers, per 3, ...
        answered(&mut pace, &session, Some(None));
        assert_eq!(pace.limit(), 2);
        for (answers, want) in [(1, 2), (1, 3), (2, 3), (1, 4), (4, 5)] {
            for _ in 0..answers {
                answered(&mut pace, &session, None);
            }
            assert_eq!(pace.limit(), want);
        }
    }

    #[test]
    fn a_429_stops_new_jobs_before_any_job_finishes() {
        let session = session();
        let mut plan = session.sweep(SweepParams::adaptive()).unwrap();
        let cx = session.context(UNIX_EPOCH);
        plan.pace.in_flight = 3;
        assert!(plan.has_room(&cx));
        {
            let mut gate = session.shared().gate();
            gate.throttled += 1;
            gate.concurrency_at_429 = Some(3);
        }
        assert!(!plan.has_room(&cx), "room for 2 now, and 3 are in flight");
        assert_eq!(plan.concurrency(), 2);
        assert_eq!(plan.max_concurrency(), 32);
    }
}
