//! Auditing every account: list the accounts, then each one's apps, a few accounts at a time.

use crate::account::Account;
use crate::error::Error;
use crate::model::AuthorizedConnectApp;
use crate::paging::{AccountListParams, ListParams};

/// What a sweep lists: which accounts, how apps are paged, how many accounts at once.
///
/// ```
/// use twilio_connect_apps::{AccountStatus, SweepParams};
/// let params = SweepParams::new().status(AccountStatus::Active).concurrency(8);
/// assert_eq!(params.concurrency_value(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepParams {
    pub(crate) accounts: AccountListParams,
    pub(crate) apps: ListParams,
    pub(crate) concurrency: usize,
}

/// Accounts in flight by default: polite to the API, and already ~4x a one-by-one sweep.
pub const DEFAULT_SWEEP_CONCURRENCY: usize = 4;

impl Default for SweepParams {
    fn default() -> Self {
        SweepParams {
            accounts: AccountListParams::new(),
            apps: ListParams::new(),
            concurrency: DEFAULT_SWEEP_CONCURRENCY,
        }
    }
}

impl SweepParams {
    /// Every account the credentials see, 4 at a time, apps in pages of 1000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which accounts (filters, page size of the accounts listing).
    pub fn accounts(mut self, accounts: AccountListParams) -> Self {
        self.accounts = accounts;
        self
    }

    /// Only accounts with this status (e.g. active).
    pub fn status(mut self, status: crate::AccountStatus) -> Self {
        self.accounts = self.accounts.status(status);
        self
    }

    /// How each account's apps are listed (page size, a limit per account); the account is
    /// set by the sweep.
    pub fn apps(mut self, apps: ListParams) -> Self {
        self.apps = apps;
        self
    }

    /// At most this many accounts' listings in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The concurrency.
    pub fn concurrency_value(&self) -> usize {
        self.concurrency
    }

    /// The apps listing of one account.
    pub(crate) fn apps_of(&self, account: &Account) -> Result<ListParams, Error> {
        let sid = account.account_sid().ok_or_else(|| {
            Error::input(
                "account",
                "the accounts listing gave an account without a valid SID",
            )
        })?;
        Ok(self.apps.clone().account(sid))
    }
}

/// One account's part of a sweep: the apps listed, and the error that stopped its listing, if
/// any (one account's 403 does not stop the sweep).
#[derive(Debug)]
#[non_exhaustive]
pub struct AccountApps {
    /// The account's position in the accounts listing (results come as they complete; sort by
    /// this for a stable order).
    pub index: u64,
    /// The account (its `auth_token` was never kept).
    pub account: Account,
    /// Its apps, in listing order (all of them when `error` is `None`).
    pub apps: Vec<AuthorizedConnectApp>,
    /// Why its listing stopped early.
    pub error: Option<Error>,
}

impl AccountApps {
    pub(crate) fn new(index: u64, account: Account) -> Self {
        AccountApps {
            index,
            account,
            apps: Vec::new(),
            error: None,
        }
    }
}
