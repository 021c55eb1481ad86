//! The [`Session`]: the configuration and the state that requests share (the 429 gate, the
//! body cap, the OAuth token, the jitter's random stream). Every machine is made here, and is
//! handed the session's [`Context`] with the time on every call.

use std::fmt;
use std::time::SystemTime;

use crate::base::sid::{AccountSid, ConnectAppSid};
use crate::config::settings::Config;
use crate::error::Error;
use crate::model::account::Account;
use crate::model::listing::{AccountListParams, Cursor, ListParams, SweepCursor, SweepParams};
use crate::proto::call::{self, FetchApp, FetchPage};
use crate::proto::context::{Context, Shared};
use crate::proto::listing::{self, ListingMachine};
use crate::proto::sweep::{self, SweepPlan};
use crate::wire::request::PageQuery;

/// The configuration and the state that every request of one client shares: the shared 429
/// gate (after a 429, every request holds off until its `Retry-After` has passed) and the body
/// cap. Machines are made from it (`session.fetch(..)`, `session.list(..)`, ...) and are handed
/// it, with the time, on every call ([`Session::context`]).
///
/// One session per client; share it (it is `Send + Sync`) between every task and thread that
/// uses the client.
///
/// Backoff jitter comes from a stream the session expands from one seed
/// ([`Session::with_seed`]): any seed, even `0` or a small number, gives uniformly spread
/// waits. Seed it from your runtime's randomness so that clients started together do not
/// retry in step.
pub struct Session {
    shared: Shared,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.shared.config)
            .field("max_body_size", &self.shared.max_body_size)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `config`, with the default body cap (16 MiB). Its jitter stream starts
    /// from a seed derived from the account SID; give it a random one with
    /// [`Session::with_seed`].
    pub fn new(config: Config) -> Self {
        Session {
            shared: Shared::new(config),
        }
    }

    /// Seeds the backoff jitter's random stream. Any value will do: the session expands it
    /// (SplitMix64), so `7`, `0` or 32 random bits all give uniformly spread waits. Pass your
    /// runtime's randomness (`getrandom`, `crypto.getRandomValues`, a hash of the process id
    /// and the time) so that clients started together do not retry in step.
    ///
    /// ```
    /// # use twilio_connect_apps::{Config, Credentials, Secret, Session};
    /// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
    /// let session = Session::new(config).with_seed(7);
    /// # Ok::<(), twilio_connect_apps::Error>(())
    /// ```
    pub fn with_seed(self, seed: u64) -> Self {
        self.shared.seed(seed);
        self
    }

    /// The largest response body accepted, after decompression; a larger one is
    /// [`TransportErrorKind::BodyTooLarge`](crate::error::TransportErrorKind::BodyTooLarge).
    pub fn with_max_body_size(mut self, bytes: u64) -> Self {
        self.shared.max_body_size = bytes;
        self
    }

    /// How many requests the client may have in flight at once (its transport's
    /// `max_connections`): an adaptive sweep never goes past it.
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.shared.max_connections = n.max(1);
        self
    }

    /// The most requests in flight at once.
    pub fn max_connections(&self) -> usize {
        self.shared.max_connections
    }

    /// How many requests were answered 429 so far.
    pub fn throttled(&self) -> u64 {
        self.shared.gate().throttled
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The body cap.
    pub fn max_body_size(&self) -> u64 {
        self.shared.max_body_size
    }

    /// The state the machines share.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The context of one call: this session and the current time. A driver makes one for
    /// every call it makes.
    pub fn context(&self, now: SystemTime) -> Context<'_> {
        Context::new(&self.shared, now)
    }

    /// How many OAuth access tokens this session asked for so far (0 for other credentials).
    pub fn token_requests(&self) -> u64 {
        self.shared.tokens().refreshes()
    }

    /// Fetches one app of the configured account.
    pub fn fetch(&self, app: &ConnectAppSid) -> Result<FetchApp, Error> {
        call::fetch(self.config(), app, None)
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub fn fetch_in(&self, account: &AccountSid, app: &ConnectAppSid) -> Result<FetchApp, Error> {
        call::fetch(self.config(), app, Some(account))
    }

    /// Fetches one page of the configured account's apps.
    pub fn page(&self, query: &PageQuery) -> Result<FetchPage, Error> {
        call::page(self.config(), query, None)
    }

    /// Fetches one page of another account's apps (a subaccount, with the parent's
    /// credentials).
    pub fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<FetchPage, Error> {
        call::page(self.config(), query, Some(account))
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub fn page_at(&self, uri: &str) -> Result<FetchPage, Error> {
        call::page_at(self.config(), uri)
    }

    /// Lists apps from the first page (the account in `params`, or the configured one).
    pub fn list(&self, params: ListParams) -> Result<ListingMachine, Error> {
        listing::list(self.config(), params)
    }

    /// Goes on with a listing of apps from a saved [`Cursor`], in the configured account (a
    /// cursor of another account's listing is refused; see [`Session::resume_in`]).
    pub fn resume(&self, cursor: Cursor) -> Result<ListingMachine, Error> {
        listing::resume(self.config(), cursor)
    }

    /// Goes on with a listing of `account`'s apps (a subaccount) from a saved [`Cursor`]; a
    /// cursor of any other account's listing is refused before anything is sent.
    pub fn resume_in(&self, account: &AccountSid, cursor: Cursor) -> Result<ListingMachine, Error> {
        listing::resume_in(self.config(), account, cursor)
    }

    /// Lists the accounts the credentials see (the parent first, then its subaccounts). Each
    /// account's `auth_token`, which the API sends along, is never kept.
    pub fn accounts(&self, params: AccountListParams) -> Result<ListingMachine<Account>, Error> {
        listing::accounts(self.config(), params)
    }

    /// Goes on with an accounts listing from a saved [`Cursor`].
    pub fn resume_accounts(&self, cursor: Cursor) -> Result<ListingMachine<Account>, Error> {
        listing::resume(self.config(), cursor)
    }

    /// The plan of a sweep: the accounts (per `params`), each one's apps listed as `params`
    /// says. Inputs are checked before anything is sent.
    pub fn sweep(&self, params: SweepParams) -> Result<SweepPlan, Error> {
        sweep::plan(self.shared(), params)
    }

    /// A sweep that goes on from a saved [`SweepCursor`]: the partly listed account first
    /// (from its apps cursor), then the accounts listing from its cursor. The cursors are
    /// checked like any: the accounts listing's and each app cursor's account.
    pub fn resume_sweep(
        &self,
        params: SweepParams,
        cursor: SweepCursor,
    ) -> Result<SweepPlan, Error> {
        sweep::resume_plan(self.shared(), params, cursor)
    }
}
