//! What a caller asks to list (apps, accounts, a sweep of every account), where a listing
//! stands (its [`Cursor`]), and what a sweep gives back: plain data.

use serde::{Deserialize, Serialize};

use crate::api::{MAX_PAGE_SIZE, check_page_size};
use crate::base::meta::ResponseMeta;
use crate::base::sid::AccountSid;
use crate::error::Error;
use crate::model::account::{Account, AccountStatus};
use crate::model::app::AuthorizedConnectApp;

/// What to list: how many records at most, how many per page, and whose.
///
/// With neither `limit` nor `page_size`, pages of 1000 (the API's maximum: fewest round trips);
/// with a limit only, pages of `min(limit, 1000)`; with both, `min(page_size, limit)`. The
/// bounds are checked when the listing starts, before anything is sent.
///
/// ```
/// use twilio_connect_apps::ListParams;
/// let params = ListParams::new()
///     .with_limit(250)
///     .with_account("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".parse()?);
/// assert_eq!(params.effective_page_size()?, 250);
/// assert!(ListParams::new().with_page_size(1001).effective_page_size().is_err());
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListParams {
    pub(crate) limit: Option<u64>,
    pub(crate) page_size: Option<u32>,
    pub(crate) account: Option<AccountSid>,
}

impl ListParams {
    /// Everything, in pages of 1000, from the configured account.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stop after this many records (at least 1).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Ask for this many records per page (1..=1000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// List a subaccount's apps (with the parent's credentials).
    pub fn with_account(mut self, account: AccountSid) -> Self {
        self.account = Some(account);
        self
    }

    /// The limit, if any.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The page size asked for, if any.
    pub fn page_size(&self) -> Option<u32> {
        self.page_size
    }

    /// The account listed, when it is not the configured one.
    pub fn account(&self) -> Option<&AccountSid> {
        self.account.as_ref()
    }

    /// The page size the first request asks for, after checking the inputs.
    pub fn effective_page_size(&self) -> Result<u32, Error> {
        if self.limit == Some(0) {
            return Err(Error::input("limit", "must be at least 1"));
        }
        if let Some(size) = self.page_size {
            check_page_size(size)?;
        }
        let size = self.page_size.unwrap_or(MAX_PAGE_SIZE);
        let size = match self.limit {
            Some(limit) => u64::from(size).min(limit),
            None => u64::from(size),
        };
        // size <= 1000 here, so the conversion cannot fail; fall back to the maximum anyway.
        Ok(u32::try_from(size).unwrap_or(MAX_PAGE_SIZE))
    }
}

/// What accounts to list: the parent and its subaccounts, optionally only those with a status
/// or a friendly name; at most `limit`, `page_size` per page (the same rules as [`ListParams`]).
///
/// ```
/// use twilio_connect_apps::AccountListParams;
/// use twilio_connect_apps::model::AccountStatus;
/// let params = AccountListParams::new().with_status(AccountStatus::Active).with_page_size(100);
/// # let _ = params;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AccountListParams {
    pub(crate) pages: ListParams,
    pub(crate) status: Option<AccountStatus>,
    pub(crate) friendly_name: Option<String>,
}

impl AccountListParams {
    /// Every account the credentials can see, in pages of 1000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only accounts with this status (`Status`).
    pub fn with_status(mut self, status: AccountStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only accounts with exactly this friendly name (`FriendlyName`).
    pub fn with_friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Stop after this many accounts (at least 1).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.pages = self.pages.with_limit(limit);
        self
    }

    /// Ask for this many accounts per page (1..=1000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.pages = self.pages.with_page_size(page_size);
        self
    }

    /// The status asked for, if any.
    pub fn status(&self) -> Option<&AccountStatus> {
        self.status.as_ref()
    }

    /// The friendly name asked for, if any.
    pub fn friendly_name(&self) -> Option<&str> {
        self.friendly_name.as_deref()
    }

    /// The limit, if any.
    pub fn limit(&self) -> Option<u64> {
        self.pages.limit
    }

    /// The page size asked for, if any.
    pub fn page_size(&self) -> Option<u32> {
        self.pages.page_size
    }
}

/// Where a listing stands: the page to fetch next, how many of its records were already handed
/// out, and how many records the limit still allows.
///
/// Save it (it is serde-serializable) when a listing fails and give it to
/// [`Session::resume`](crate::Session::resume) (or a client's `resume`) later: the new listing
/// goes on with nothing lost and nothing twice.
///
/// ```
/// use twilio_connect_apps::{Action, Config, Credentials, Cursor, Machine, Secret, Session};
/// let session = Session::new(Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("token"))));
/// let saved = r#"{"next": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?PageSize=50&Page=3&PageToken=PT3",
///     "skip": 7, "remaining": null}"#;
/// let cursor: Cursor = serde_json::from_str(saved).unwrap();
/// let mut listing = session.resume(cursor)?;
/// let Action::Send(request) = listing.next(&session.context(std::time::UNIX_EPOCH)) else { unreachable!() };
/// assert!(request.uri().query().unwrap().ends_with("PageToken=PT3")); // its first 7 records are skipped
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The path and query of the page to fetch; `None` when the listing is finished.
    pub next: Option<String>,
    /// How many records at the start of that page were already handed out.
    pub skip: u64,
    /// How many records the limit still allows (`None`: no limit).
    pub remaining: Option<u64>,
    /// The SID of the last record handed out, when one was. If the first page a resume
    /// fetches holds it, everything up to it is dropped (whatever `skip` says): a server that
    /// serves the page before again, or a page whose records moved, hands out nothing twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

impl Cursor {
    /// Whether nothing is left to list.
    pub fn is_finished(&self) -> bool {
        self.next.is_none() || self.remaining == Some(0)
    }
}

/// What a sweep lists: which accounts, how apps are paged, how many accounts at once.
///
/// ```
/// use twilio_connect_apps::model::AccountStatus;
/// use twilio_connect_apps::SweepParams;
/// let params = SweepParams::new().with_status(AccountStatus::Active).with_concurrency(8);
/// assert_eq!(params.concurrency(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepParams {
    pub(crate) accounts: AccountListParams,
    pub(crate) apps: ListParams,
    pub(crate) concurrency: usize,
    /// Found by the sweep itself (the concurrency is then where it starts).
    pub(crate) adaptive: Option<usize>,
}

/// Where an adaptive sweep starts.
pub const ADAPTIVE_START: usize = 4;
/// The most accounts an adaptive sweep reads at once (and never more than the client's
/// `max_connections`, 16 by default).
pub const ADAPTIVE_MAX: usize = 64;

/// Accounts in flight by default: polite to the API, and already ~4x a one-by-one sweep.
pub const DEFAULT_SWEEP_CONCURRENCY: usize = 4;

impl Default for SweepParams {
    fn default() -> Self {
        SweepParams {
            accounts: AccountListParams::new(),
            apps: ListParams::new(),
            concurrency: DEFAULT_SWEEP_CONCURRENCY,
            adaptive: None,
        }
    }
}

impl SweepParams {
    /// Every account the credentials see, 4 at a time, apps in pages of 1000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which accounts (filters, page size of the accounts listing).
    pub fn with_accounts(mut self, accounts: AccountListParams) -> Self {
        self.accounts = accounts;
        self
    }

    /// Only accounts with this status (e.g. active).
    pub fn with_status(mut self, status: AccountStatus) -> Self {
        self.accounts = self.accounts.with_status(status);
        self
    }

    /// How each account's apps are listed (page size, a limit per account); the account is
    /// set by the sweep.
    pub fn with_apps(mut self, apps: ListParams) -> Self {
        self.apps = apps;
        self
    }

    /// At most this many accounts' listings in flight at once (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self.adaptive = None;
        self
    }

    /// Every account, with the concurrency found by the sweep itself: it starts at
    /// [`ADAPTIVE_START`] accounts at once and, until the first 429, grows by one for every
    /// account answered (doubling every round trip, as TCP's slow start); as soon as a 429 is
    /// seen it falls back to one below the fewest requests Twilio counted in flight on a 429
    /// (`Twilio-Concurrent-Requests`: the account's limit), or to half when Twilio did not
    /// say, and never grows past that limit again; below it, it grows by one for every that
    /// many accounts answered without throttling (about one per round trip). Never more than `max`
    /// ([`ADAPTIVE_MAX`] by default, see [`SweepParams::with_max_concurrency`]) nor the client's
    /// `max_connections`.
    ///
    /// ```
    /// use twilio_connect_apps::SweepParams;
    /// let params = SweepParams::adaptive();
    /// assert!(params.is_adaptive() && params.concurrency() == 4);
    /// ```
    pub fn adaptive() -> Self {
        SweepParams {
            concurrency: ADAPTIVE_START,
            adaptive: Some(ADAPTIVE_MAX),
            ..Self::default()
        }
    }

    /// With [`SweepParams::adaptive`]: the most accounts at once (at least 1).
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        if self.adaptive.is_some() {
            self.adaptive = Some(max.max(1));
            self.concurrency = self.concurrency.min(max.max(1));
        }
        self
    }

    /// The concurrency (where an adaptive sweep starts).
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Whether the sweep finds its concurrency itself.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive.is_some()
    }

    /// The most accounts at once: the fixed concurrency, or an adaptive sweep's maximum.
    pub fn max_concurrency(&self) -> usize {
        self.adaptive.unwrap_or(self.concurrency)
    }

    /// Which accounts are listed.
    pub fn accounts(&self) -> &AccountListParams {
        &self.accounts
    }

    /// How each account's apps are listed.
    pub fn apps(&self) -> &ListParams {
        &self.apps
    }

    /// The apps listing of one account.
    pub(crate) fn apps_of(&self, account: &Account) -> Result<ListParams, Error> {
        let sid = account.account_sid().ok_or_else(|| {
            Error::input(
                "account",
                "the accounts listing gave an account without a valid SID",
            )
        })?;
        Ok(self.apps.clone().with_account(sid))
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
    /// The pages its apps came from, in order: each with what its response said about itself
    /// (the `Twilio-Request-Id`, for an audit trail) and the index in `apps` of its first app.
    pub pages: Vec<PageRead>,
    /// Where its apps listing stopped, when `error` stopped it: resume it from here.
    pub cursor: Option<Cursor>,
    /// Where the accounts listing stood just after this account: a sweep that goes on after
    /// this account resumes the accounts listing from here.
    pub accounts_cursor: Option<Cursor>,
}

/// Where a sweep stands, to go on with it later ([`SweepCursor`] is serde-serializable):
/// the accounts listing's cursor (after the last account handled), the account whose apps
/// were listed part-way (with its apps cursor), and how many accounts came before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepCursor {
    /// The accounts listing, after the last account fully handled (or the one below).
    pub accounts: Cursor,
    /// The account whose apps listing stopped part-way, and where (its SID, its name).
    pub partial: Option<PartialAccount>,
    /// How many accounts came before (the next account's [`AccountApps::index`]).
    pub index: u64,
}

/// An account a sweep listed part-way: who it is and where its apps listing stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialAccount {
    /// The account's SID.
    pub sid: String,
    /// Its friendly name, as the accounts listing gave it.
    pub friendly_name: Option<String>,
    /// Where its apps listing stopped.
    pub cursor: Cursor,
}

/// One page of a listing: where its records start, and what its response said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageRead {
    /// The index of the page's first record among the listing's records.
    pub first: usize,
    /// What the page's response said about itself.
    pub meta: ResponseMeta,
}

impl AccountApps {
    /// What the response of the page that held `apps[index]` said about itself.
    pub fn meta_of(&self, index: usize) -> Option<&ResponseMeta> {
        let page = self.pages.partition_point(|p| p.first <= index);
        self.pages.get(page.checked_sub(1)?).map(|p| &p.meta)
    }
}

impl AccountApps {
    pub(crate) fn new(index: u64, account: Account) -> Self {
        AccountApps {
            index,
            account,
            apps: Vec::new(),
            error: None,
            pages: Vec::new(),
            cursor: None,
            accounts_cursor: None,
        }
    }
}
