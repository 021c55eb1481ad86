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
//! A driver runs the plan and up to `concurrency` jobs at once (threads, tasks, or one after
//! the other); they all share one session, so a 429 anywhere slows the whole sweep.

use http::Response;

use crate::error::{Error, TransportError};
use crate::model::account::Account;
use crate::model::app::AuthorizedConnectApp;
use crate::model::listing::{AccountApps, PageRead, PartialAccount, SweepCursor, SweepParams};
use crate::proto::action::{Action, Machine};
use crate::proto::listing::ListingMachine;
use crate::proto::session::{Context, Session};

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
}

impl SweepPlan {
    /// How many jobs may run at once.
    pub fn concurrency(&self) -> usize {
        self.params.concurrency_value()
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
                .and_then(|params| cx.session().list(params)),
            Some(cursor) => result
                .account
                .account_sid()
                .ok_or_else(|| Error::input("cursor", "the partial account has no valid SID"))
                .and_then(|sid| cx.session().resume_in(&sid, cursor)),
        };
        let listing = match listing {
            Ok(listing) => Some(listing),
            Err(e) => {
                result.error = Some(e);
                None
            }
        };
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

impl Session {
    /// The plan of a sweep: the accounts (per `params`), each one's apps listed as `params`
    /// says. Inputs are checked before anything is sent.
    pub fn sweep(&self, params: SweepParams) -> Result<SweepPlan, Error> {
        params.apps.effective_page_size()?;
        let accounts = self.accounts(params.accounts.clone())?;
        let span = tracing::debug_span!("sweep", concurrency = params.concurrency_value());
        Ok(SweepPlan {
            accounts,
            params,
            next_index: 0,
            span,
            partial: None,
        })
    }

    /// A sweep that goes on from a saved [`SweepCursor`]: the partly listed account first
    /// (from its apps cursor), then the accounts listing from its cursor. The cursors are
    /// checked like any: the accounts listing's and each app cursor's account.
    pub fn sweep_resuming(
        &self,
        params: SweepParams,
        cursor: SweepCursor,
    ) -> Result<SweepPlan, Error> {
        params.apps.effective_page_size()?;
        let accounts = self.resuming::<Account>(cursor.accounts)?;
        if let Some(p) = &cursor.partial {
            let sid = p
                .sid
                .parse::<crate::base::sid::AccountSid>()
                .map_err(|e| Error::input("cursor", e.to_string()))?;
            crate::proto::paging::Paginator::<AuthorizedConnectApp>::resuming_in(
                self.config(),
                Some(&sid),
                p.cursor.clone(),
            )?;
        }
        let span = tracing::debug_span!("sweep", concurrency = params.concurrency_value());
        Ok(SweepPlan {
            accounts,
            params,
            next_index: cursor.index,
            span,
            partial: cursor.partial,
        })
    }
}
