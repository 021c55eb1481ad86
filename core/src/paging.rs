//! The paging state machine: which request to send next, and which records to hand out.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use http::{Request, Response};
use serde::{Deserialize, Serialize};

use crate::account::{Account, AccountStatus};
use crate::config::Config;
use crate::error::ParseError;
use crate::error::{Error, PagingError};
use crate::model::AuthorizedConnectApp;
use crate::request::{MAX_PAGE_SIZE, PageQuery, check_page_size};
use crate::resource::{Resource, scope_of};
use crate::response::parse_page_with_limit;
use crate::sid::AccountSid;
use crate::view::{AppView, PageView, PageViewError};

/// What to list: how many records at most, how many per page, and whose.
///
/// With neither `limit` nor `page_size`, pages of 1000 (the API's maximum: fewest round trips);
/// with a limit only, pages of `min(limit, 1000)`; with both, `min(page_size, limit)`. The
/// bounds are checked when the listing starts, before anything is sent.
///
/// ```
/// use twilio_connect_apps::ListParams;
/// let params = ListParams::new()
///     .limit(250)
///     .account("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".parse()?);
/// assert_eq!(params.effective_page_size()?, 250);
/// assert!(ListParams::new().page_size(1001).effective_page_size().is_err());
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListParams {
    limit: Option<u64>,
    page_size: Option<u32>,
    account: Option<AccountSid>,
}

impl ListParams {
    /// Everything, in pages of 1000, from the configured account.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stop after this many records (at least 1).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Ask for this many records per page (1..=1000).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// List a subaccount's apps (with the parent's credentials).
    pub fn account(mut self, account: AccountSid) -> Self {
        self.account = Some(account);
        self
    }

    /// The limit, if any.
    pub fn limit_value(&self) -> Option<u64> {
        self.limit
    }

    /// The page size asked for, if any.
    pub fn page_size_value(&self) -> Option<u32> {
        self.page_size
    }

    /// The account listed, when it is not the configured one.
    pub fn account_sid(&self) -> Option<&AccountSid> {
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
/// use twilio_connect_apps::{AccountListParams, AccountStatus};
/// let params = AccountListParams::new().status(AccountStatus::Active).page_size(100);
/// # let _ = params;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AccountListParams {
    pages: ListParams,
    status: Option<AccountStatus>,
    friendly_name: Option<String>,
}

impl AccountListParams {
    /// Every account the credentials can see, in pages of 1000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only accounts with this status (`Status`).
    pub fn status(mut self, status: AccountStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only accounts with exactly this friendly name (`FriendlyName`).
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Stop after this many accounts (at least 1).
    pub fn limit(mut self, limit: u64) -> Self {
        self.pages = self.pages.limit(limit);
        self
    }

    /// Ask for this many accounts per page (1..=1000).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.pages = self.pages.page_size(page_size);
        self
    }
}

/// Where a listing stands: the page to fetch next, how many of its records were already handed
/// out, and how many records the limit still allows.
///
/// Save it (it is serde-serializable) when a listing fails and give it to
/// [`Paginator::resume`] (or a client's `resume`) later: the new listing goes on with nothing
/// lost and nothing twice.
///
/// ```
/// use twilio_connect_apps::{Config, Credentials, Cursor, Paginator, Secret, Step};
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("token")));
/// let saved = r#"{"next": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?PageSize=50&Page=3&PageToken=PT3",
///     "skip": 7, "remaining": null}"#;
/// let cursor: Cursor = serde_json::from_str(saved).unwrap();
/// let mut pages = Paginator::resume(&config, cursor)?;
/// let Step::Send(request) = pages.step()? else { unreachable!() };
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
}

impl Cursor {
    /// Whether nothing is left to list.
    pub fn is_finished(&self) -> bool {
        self.next.is_none() || self.remaining == Some(0)
    }
}

/// The next thing a transport must do for a listing: hand out a record, send a request, or
/// stop. See [`Paginator`] for the loop that drives it:
///
/// ```
/// # use twilio_connect_apps::{Config, Credentials, ListParams, Paginator, Secret, Step};
/// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
/// let mut pages = Paginator::new(&config, ListParams::new().limit(1))?;
/// match pages.step()? {
///     Step::Record(app) => println!("{:?}", app.connect_app_sid),
///     Step::Send(request) => println!("send {}", request.uri()),
///     Step::Done => println!("done"),
/// }
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a step is either a record to hand out or a request to send"]
// Steps are matched and moved out at once; boxing the request would cost an allocation a page.
#[allow(clippy::large_enum_variant)]
pub enum Step<R = AuthorizedConnectApp> {
    /// Hand this record to the caller.
    Record(R),
    /// Send this request (retrying per the policy), then pass the response to
    /// [`Paginator::handle_response`].
    Send(Request<()>),
    /// The listing is complete.
    Done,
}

#[derive(Debug)]
enum State {
    /// The page at this path and query is to be fetched.
    Fetch(String),
    /// No more pages.
    Done,
    /// The server broke the protocol; stays failed.
    Failed(PagingError),
}

/// Pages in a row with no new records that may name a next page; the next one is an error.
pub const MAX_EMPTY_PAGES_IN_ROW: u32 = 3;
/// How many recent pages' record SIDs a listing remembers, to drop records a server repeats.
const RECENT_PAGES: usize = 4;

/// The paging state machine.
///
/// Drive it with [`Paginator::step`]: it hands out records one by one and, when its buffer is
/// empty, the next request to send. A transport sends that request and gives the response to
/// [`Paginator::handle_response`]. An error leaves the state as it was, so the same step can be
/// retried, or the [`Paginator::cursor`] saved for later.
///
/// What it will not do, whatever the server says:
/// - follow a next-page URI to another origin, to another resource, or to another account's
///   listing (directly or through `..`): a [`PagingError`], nothing sent;
/// - fetch a page twice in one listing: URIs are compared normalized (parameters in any order,
///   `Page` ignored next to a `PageToken`);
/// - hand out a record twice: records whose SID appeared on one of the last 4 pages (or earlier
///   on the same page) are dropped;
/// - go on forever on empty pages: after [`MAX_EMPTY_PAGES_IN_ROW`] pages in a row with no
///   new records, a next URI is [`PagingError::EmptyPages`];
/// - allocate more records than the page size asked for: one more is a parse error.
///
/// ```
/// use twilio_connect_apps::{Config, Credentials, ListParams, Paginator, Secret, Step};
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("token")));
/// let mut pages = Paginator::new(&config, ListParams::new().limit(3))?;
/// let Step::Send(request) = pages.step()? else { unreachable!() };
/// assert_eq!(request.uri().query(), Some("PageSize=3"));
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Debug)]
pub struct Paginator<R = AuthorizedConnectApp> {
    config: Config,
    state: State,
    remaining: Option<u64>,
    /// The current page's records still to hand out, with their position in the page as served.
    buffer: std::vec::IntoIter<(u64, R)>,
    /// The page the buffer came from, and how many records it held as served.
    current: Option<String>,
    page_len: u64,
    /// Records to drop from the start of the next page (set by `resume`).
    pending_skip: u64,
    /// The account the listing is of (apps), or `""` (accounts); next pages must stay in it.
    scope: Option<String>,
    /// Normalized fingerprints of every page fetched.
    seen: HashSet<u64>,
    /// Hashed record SIDs of the last pages.
    recent: VecDeque<HashSet<u64>>,
    empty_in_row: u32,
}

impl Paginator {
    /// A listing of apps from the first page.
    pub fn new(config: &Config, params: ListParams) -> Result<Self, Error> {
        let size = params.effective_page_size()?;
        let target = config.list_target::<AuthorizedConnectApp>(
            &PageQuery::new().page_size(size),
            params.account.as_ref(),
        )?;
        Ok(Self::at(config, State::Fetch(target), 0, params.limit))
    }

    /// A listing of apps that goes on from `cursor`. The cursor's URI is checked like any
    /// next-page URI: it must be this resource on the configured origin.
    pub fn resume(config: &Config, cursor: Cursor) -> Result<Self, Error> {
        Self::resuming(config, cursor)
    }
}

/// Why [`Paginator::handle_response_with`] stopped.
#[derive(Debug)]
pub enum ViewStop<E> {
    /// The response was an error, or not a page; the listing fails with it.
    Failed(Error),
    /// The callback returned this error.
    Stopped(E),
}

impl Paginator {
    /// Takes the response to the last [`Step::Send`] and hands the page's records to `f` as
    /// borrowed [`AppView`]s, as they are read (no allocation per record), instead of
    /// buffering owned records for [`Paginator::step`]: the fast path for programs that stream
    /// records out. The same rules as [`Paginator::handle_response`]: records handed out before
    /// (a resume's skip) or seen on recent pages are not handed again; the limit stops the
    /// hand-out; the next page is checked.
    ///
    /// If `f` fails, or the page turns out malformed part-way, the records already handed out
    /// are remembered: [`Paginator::cursor`] then resumes after them, nothing twice.
    pub fn handle_response_with<B: AsRef<[u8]>, E>(
        &mut self,
        response: &Response<B>,
        mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<(), ViewStop<E>> {
        let target = self.outstanding().map_err(ViewStop::Failed)?;
        if self.buffer.len() > 0 {
            return Err(ViewStop::Failed(Error::input(
                "response",
                "records of the last page are still buffered: step() through them first",
            )));
        }
        let status = response.status();
        if !status.is_success() {
            return Err(ViewStop::Failed(crate::response::error_from_response(
                response,
            )));
        }
        let mut position = 0u64;
        let mut handed_upto = self.pending_skip;
        let mut new = 0usize;
        let mut sids = HashSet::new();
        let (recent, skip, remaining) = (&self.recent, self.pending_skip, &mut self.remaining);
        let parsed = PageView::parse(response.body().as_ref(), page_size_of(&target), |view| {
            let p = position;
            position += 1;
            if let Some(sid) = &view.connect_app_sid
                && repeated(&mut sids, recent, sid.to_str().as_ref())
            {
                return Ok(());
            }
            if p < skip || *remaining == Some(0) {
                return Ok(());
            }
            f(view)?;
            handed_upto = p + 1;
            new += 1;
            if let Some(r) = remaining.as_mut() {
                *r -= 1;
            }
            Ok(())
        });
        match parsed {
            Ok(page) => {
                if self.remaining == Some(0) {
                    self.finish();
                    return Ok(());
                }
                self.finish_page(target, page.records, new, sids, page.next_page_uri);
                Ok(())
            }
            Err(e) => {
                // The page will be fetched again: skip what was handed out of it.
                self.pending_skip = handed_upto;
                Err(match e {
                    PageViewError::Stopped(e) => ViewStop::Stopped(e),
                    PageViewError::Parse(p) => ViewStop::Failed(Error::Parse(ParseError {
                        status,
                        path: p.path,
                        message: p.message,
                    })),
                })
            }
        }
    }
}

impl Paginator<Account> {
    /// A listing of the accounts the credentials see: the parent first, then its subaccounts.
    pub fn accounts(config: &Config, params: AccountListParams) -> Result<Self, Error> {
        let size = params.pages.effective_page_size()?;
        let mut query = PageQuery::new();
        if let Some(status) = &params.status {
            query = query.filter("Status", status.as_str());
        }
        if let Some(name) = &params.friendly_name {
            query = query.filter("FriendlyName", name.as_str());
        }
        let target = config.list_target::<Account>(&query.page_size(size), None)?;
        Ok(Self::at(
            config,
            State::Fetch(target),
            0,
            params.pages.limit,
        ))
    }
}

impl<R: Resource> Paginator<R> {
    /// A listing of `R` that goes on from `cursor` (what [`Paginator::resume`] does for apps).
    pub fn resuming(config: &Config, cursor: Cursor) -> Result<Self, Error> {
        if cursor.remaining == Some(0) {
            return Ok(Self::at(config, State::Done, 0, Some(0)));
        }
        let state = match &cursor.next {
            Some(uri) => State::Fetch(config.page_target::<R>(uri)?),
            None => State::Done,
        };
        Ok(Self::at(config, state, cursor.skip, cursor.remaining))
    }

    fn at(config: &Config, state: State, skip: u64, remaining: Option<u64>) -> Self {
        let scope = match &state {
            State::Fetch(target) => scope_of::<R>(target),
            _ => None,
        };
        Paginator {
            config: config.clone(),
            state,
            remaining,
            buffer: Vec::new().into_iter(),
            current: None,
            page_len: 0,
            pending_skip: skip,
            scope,
            seen: HashSet::new(),
            recent: VecDeque::with_capacity(RECENT_PAGES),
            empty_in_row: 0,
        }
    }

    /// The next record, or the next request to send, or the end.
    ///
    /// Calling it again after [`Step::Send`] without a response builds the same request again
    /// (that is how a transport retries).
    pub fn step(&mut self) -> Result<Step<R>, Error> {
        if self.remaining == Some(0) {
            self.finish();
            return Ok(Step::Done);
        }
        if let Some((_, app)) = self.buffer.next() {
            if let Some(r) = self.remaining.as_mut() {
                *r -= 1;
            }
            return Ok(Step::Record(app));
        }
        match &self.state {
            State::Fetch(target) => self.config.get(target).map(Step::Send),
            State::Done => Ok(Step::Done),
            State::Failed(e) => Err(Error::Paging(e.clone())),
        }
    }

    /// Takes the response to the last [`Step::Send`]. On success the page's records are
    /// buffered for [`Paginator::step`]; on error nothing changes.
    pub fn handle_response<B: AsRef<[u8]>>(&mut self, response: &Response<B>) -> Result<(), Error> {
        let target = self.outstanding()?;
        let page = parse_page_with_limit::<R, B>(response, page_size_of(&target))?;
        let served = page.records.len();
        let mut fresh = Vec::with_capacity(served);
        let mut sids = HashSet::with_capacity(served);
        for (position, app) in (0u64..).zip(page.records) {
            if let Some(sid) = app.identity()
                && repeated(&mut sids, &self.recent, sid)
            {
                continue;
            }
            if position >= self.pending_skip {
                fresh.push((position, app));
            }
        }
        let new = fresh.len();
        self.buffer = fresh.into_iter();
        self.finish_page(target, served, new, sids, page.next_page_uri);
        Ok(())
    }

    /// The target of the request outstanding, which a response answers.
    fn outstanding(&self) -> Result<String, Error> {
        match &self.state {
            State::Fetch(target) => Ok(target.clone()),
            _ => Err(Error::input(
                "response",
                "the paginator has no request outstanding",
            )),
        }
    }

    /// What both ways of taking a page do once it was read: the empty-page rule, the window
    /// of recent SIDs, the loop guard, and where to go next.
    fn finish_page(
        &mut self,
        target: String,
        served: usize,
        new: usize,
        sids: HashSet<u64>,
        next_page_uri: Option<String>,
    ) {
        tracing::debug!(
            records = served,
            new,
            next = next_page_uri.is_some(),
            "page"
        );
        self.empty_in_row = if new == 0 && next_page_uri.is_some() {
            self.empty_in_row + 1
        } else {
            0
        };
        if self.recent.len() == RECENT_PAGES {
            self.recent.pop_front();
        }
        self.recent.push_back(sids);
        self.pending_skip = 0;
        self.page_len = served as u64;
        self.seen.insert(fingerprint(&target));
        self.current = Some(target);
        self.state = match next_page_uri {
            None => State::Done,
            Some(_) if self.empty_in_row >= MAX_EMPTY_PAGES_IN_ROW => {
                State::Failed(PagingError::EmptyPages {
                    count: self.empty_in_row,
                })
            }
            Some(uri) => self.next_state(&uri),
        };
    }

    /// Where a next-page URI leads: the next fetch, or why not.
    fn next_state(&self, uri: &str) -> State {
        match self.config.page_target::<R>(uri) {
            Ok(next) => match (&self.scope, scope_of::<R>(&next)) {
                (Some(mine), Some(theirs)) if *mine != theirs => {
                    State::Failed(PagingError::account_changed(uri, mine))
                }
                _ if self.seen.contains(&fingerprint(&next)) => {
                    State::Failed(PagingError::repeated(uri))
                }
                _ => State::Fetch(next),
            },
            Err(Error::Paging(e)) => State::Failed(e),
            Err(other) => State::Failed(PagingError::invalid(uri, other)),
        }
    }

    /// Where the listing stands; see [`Cursor`].
    ///
    /// After a paging error, it points at the last page fetched with all of its records
    /// skipped: a resume fetches that page again, hands out nothing twice, and meets the same
    /// server answer.
    pub fn cursor(&self) -> Cursor {
        if self.remaining == Some(0) {
            return Cursor {
                next: None,
                skip: 0,
                remaining: Some(0),
            };
        }
        if let Some((position, _)) = self.buffer.as_slice().first() {
            return Cursor {
                next: self.current.clone(),
                skip: *position,
                remaining: self.remaining,
            };
        }
        match &self.state {
            State::Fetch(t) => Cursor {
                next: Some(t.clone()),
                skip: self.pending_skip,
                remaining: self.remaining,
            },
            State::Done => Cursor {
                next: None,
                skip: 0,
                remaining: self.remaining,
            },
            State::Failed(_) => Cursor {
                next: self.current.clone(),
                skip: self.page_len,
                remaining: self.remaining,
            },
        }
    }

    /// Records of the current page not handed out yet; at 0 the next [`Paginator::step`] may
    /// ask for a request (a consumer streaming output flushes then).
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Whether the listing has nothing more to hand out.
    pub fn is_done(&self) -> bool {
        self.remaining == Some(0) || (self.buffer.len() == 0 && matches!(self.state, State::Done))
    }

    /// The configuration requests are built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn finish(&mut self) {
        self.state = State::Done;
        self.buffer = Vec::new().into_iter();
    }
}

/// The most records the page at `target` may hold: the `PageSize` it asks for.
fn page_size_of(target: &str) -> usize {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "PageSize")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .filter(|n| (1..=MAX_PAGE_SIZE as usize).contains(n))
        .unwrap_or(MAX_PAGE_SIZE as usize)
}

/// Whether a record with this SID was already seen on this page (`sids`, which it joins) or
/// on one of the recent pages: a repeat, not handed out again.
fn repeated(sids: &mut HashSet<u64>, recent: &VecDeque<HashSet<u64>>, sid: &str) -> bool {
    let h = hash_of(sid);
    !sids.insert(h) || recent.iter().any(|page| page.contains(&h))
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A page's identity: its path and its decoded query parameters in sorted order; next to a
/// `PageToken`, the `Page` number says nothing and is left out.
fn fingerprint(target: &str) -> u64 {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if pairs.iter().any(|(k, _)| k == "PageToken") {
        pairs.retain(|(k, _)| k != "Page");
    }
    pairs.sort();
    hash_of((path, pairs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Secret};

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn config() -> Config {
        Config::new(Credentials::auth_token(
            AC.parse().unwrap(),
            Secret::new("t"),
        ))
    }

    #[test]
    fn page_size_and_limit_table() {
        // (limit, page_size, expected first PageSize, or error field)
        type Case = (Option<u64>, Option<u32>, Result<u32, &'static str>);
        let cases: &[Case] = &[
            (None, None, Ok(1000)),
            (Some(1), None, Ok(1)),
            (Some(50), None, Ok(50)),
            (Some(1000), None, Ok(1000)),
            (Some(5000), None, Ok(1000)),
            (None, Some(20), Ok(20)),
            (Some(5), Some(20), Ok(5)),
            (Some(20), Some(5), Ok(5)),
            (Some(2345), Some(1000), Ok(1000)),
            (Some(0), None, Err("limit")),
            (None, Some(0), Err("page_size")),
            (None, Some(1001), Err("page_size")),
            (Some(10), Some(5000), Err("page_size")),
        ];
        for (limit, size, want) in cases {
            let mut p = ListParams::new();
            if let Some(l) = limit {
                p = p.limit(*l);
            }
            if let Some(s) = size {
                p = p.page_size(*s);
            }
            match (Paginator::new(&config(), p), want) {
                (Ok(mut pg), Ok(n)) => {
                    let Step::Send(req) = pg.step().unwrap() else {
                        panic!()
                    };
                    assert_eq!(req.uri().query(), Some(format!("PageSize={n}").as_str()));
                }
                (Err(e), Err(field)) => {
                    assert!(
                        matches!(&e, Error::InvalidInput(i) if i.field == *field),
                        "{e}"
                    )
                }
                (got, _) => panic!("{limit:?} {size:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn handle_response_without_request_is_an_error() {
        let mut p = Paginator::resume(
            &config(),
            Cursor {
                next: None,
                skip: 0,
                remaining: None,
            },
        )
        .unwrap();
        assert!(matches!(p.step().unwrap(), Step::Done));
        let r = Response::new(b"{}".to_vec());
        assert!(p.handle_response(&r).is_err());
    }

    const OTHER: &str = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn list_path(account: &str, query: &str) -> String {
        format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json?{query}")
    }

    fn page(sids: &[&str], next: Option<&str>) -> Response<Vec<u8>> {
        let apps: Vec<serde_json::Value> = sids
            .iter()
            .map(|s| serde_json::json!({"connect_app_sid": s}))
            .collect();
        Response::new(
            serde_json::to_vec(
                &serde_json::json!({"authorized_connect_apps": apps, "next_page_uri": next}),
            )
            .unwrap(),
        )
    }

    /// Runs a listing against `serve` (request path+query -> response); returns the SIDs handed
    /// out, the requests sent and the final error.
    fn run(
        p: &mut Paginator,
        mut serve: impl FnMut(&str, usize) -> Response<Vec<u8>>,
    ) -> (Vec<String>, usize, Option<Error>) {
        let (mut out, mut sent) = (Vec::new(), 0);
        loop {
            match p.step() {
                Ok(Step::Record(app)) => out.push(app.connect_app_sid.unwrap_or_default()),
                Ok(Step::Send(req)) => {
                    sent += 1;
                    assert!(sent < 100, "runaway listing");
                    let target = req.uri().path_and_query().unwrap().as_str().to_owned();
                    p.handle_response(&serve(&target, sent)).unwrap();
                }
                Ok(Step::Done) => return (out, sent, None),
                Err(e) => return (out, sent, Some(e)),
            }
        }
    }

    fn sid(n: u32) -> String {
        format!("CN{n:032x}")
    }

    #[test]
    fn a_next_uri_into_another_account_is_refused() {
        let others = [
            list_path(OTHER, "PageSize=2&PageToken=X"),
            format!("/2010-04-01/Accounts/{AC}/../{OTHER}/AuthorizedConnectApps.json?PageToken=X"),
            format!(
                "/2010-04-01/Accounts/{AC}/%2e%2e/{OTHER}/AuthorizedConnectApps.json?PageToken=X"
            ),
            format!("https://api.twilio.com{}", list_path(OTHER, "PageToken=X")),
        ];
        for next in others {
            let mut p = Paginator::new(&config(), ListParams::new().page_size(2)).unwrap();
            let (a, b) = (sid(1), sid(2));
            let (out, sent, err) = run(&mut p, |_, _| page(&[&a, &b], Some(&next)));
            assert_eq!(out, [a.clone(), b.clone()], "{next}");
            assert_eq!(sent, 1, "{next}: nothing sent to the other account");
            assert!(
                matches!(err, Some(Error::Paging(PagingError::AccountChanged { .. }))),
                "{next}: {err:?}"
            );
        }
    }

    #[test]
    fn the_same_page_with_its_query_reordered_is_a_loop() {
        let mut p = Paginator::new(&config(), ListParams::new().page_size(2)).unwrap();
        let first = list_path(AC, "PageSize=2&Page=1&PageToken=T1");
        let again = list_path(AC, "PageToken=T1&Page=7&PageSize=2");
        let (out, sent, err) = run(&mut p, |target, n| match n {
            1 => page(&[&sid(1), &sid(2)], Some(&first)),
            _ => {
                assert!(target.contains("PageToken=T1"));
                page(&[&sid(3), &sid(4)], Some(&again))
            }
        });
        assert_eq!(out, [sid(1), sid(2), sid(3), sid(4)]);
        assert_eq!(sent, 2);
        assert!(
            matches!(err, Some(Error::Paging(PagingError::RepeatedUri { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn empty_pages_that_go_on_end_the_listing() {
        let mut p = Paginator::new(&config(), ListParams::new().limit(1)).unwrap();
        let (out, sent, err) = run(&mut p, |_, n| {
            page(
                &[],
                Some(&list_path(AC, &format!("PageSize=1&PageToken=E{n}"))),
            )
        });
        assert!(out.is_empty());
        assert_eq!(sent, MAX_EMPTY_PAGES_IN_ROW as usize);
        assert!(
            matches!(
                err,
                Some(Error::Paging(PagingError::EmptyPages { count: 3 }))
            ),
            "{err:?}"
        );
        // A non-empty page in between resets the count: 2 empty, 1 full, then 3 empty.
        let mut p = Paginator::new(&config(), ListParams::new().page_size(1)).unwrap();
        let (out, sent, err) = run(&mut p, |_, n| {
            let next = list_path(AC, &format!("PageSize=1&PageToken=P{n}"));
            match n {
                3 => page(&[&sid(3)], Some(&next)),
                8 => page(&[], None),
                _ => page(&[], Some(&next)),
            }
        });
        assert_eq!((out, sent), (vec![sid(3)], 6));
        assert!(matches!(
            err,
            Some(Error::Paging(PagingError::EmptyPages { count: 3 }))
        ));
    }

    #[test]
    fn records_a_server_repeats_are_handed_out_once() {
        let mut p = Paginator::new(&config(), ListParams::new().page_size(3)).unwrap();
        let (out, _, err) = run(&mut p, |_, n| {
            let next = list_path(AC, &format!("PageSize=3&PageToken=R{n}"));
            match n {
                1 => page(&[&sid(1), &sid(2), &sid(2)], Some(&next)),
                2 => page(&[&sid(2), &sid(3), &sid(1)], Some(&next)),
                3 => page(&[&sid(4)], None),
                _ => unreachable!(),
            }
        });
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, [sid(1), sid(2), sid(3), sid(4)]);
        // The same page served again and again under new tokens: nothing new, then the
        // empty-page rule stops it.
        let mut p = Paginator::new(&config(), ListParams::new().page_size(2)).unwrap();
        let (out, sent, err) = run(&mut p, |_, n| {
            page(
                &[&sid(1), &sid(2)],
                Some(&list_path(AC, &format!("PageSize=2&PageToken=S{n}"))),
            )
        });
        assert_eq!(out, [sid(1), sid(2)]);
        assert_eq!(sent, 1 + MAX_EMPTY_PAGES_IN_ROW as usize);
        assert!(matches!(
            err,
            Some(Error::Paging(PagingError::EmptyPages { .. }))
        ));
    }

    #[test]
    fn a_page_with_more_records_than_asked_for_is_an_error() {
        let mut p = Paginator::new(&config(), ListParams::new().page_size(2)).unwrap();
        let Step::Send(_) = p.step().unwrap() else {
            panic!()
        };
        let e = p
            .handle_response(&page(&[&sid(1), &sid(2), &sid(3)], None))
            .unwrap_err();
        let Error::Parse(pe) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(pe.path, "$.authorized_connect_apps[2]");
        assert!(pe.message.contains("more records"), "{e}");
    }

    #[test]
    fn after_a_paging_error_a_resume_hands_out_nothing_twice() {
        let foreign = format!("https://evil.example{}", list_path(AC, "PageToken=Z"));
        let mut p = Paginator::new(&config(), ListParams::new().page_size(2)).unwrap();
        let (out, _, err) = run(&mut p, |_, _| page(&[&sid(1), &sid(2)], Some(&foreign)));
        assert_eq!(out, [sid(1), sid(2)]);
        assert!(err.is_some());
        let cursor = p.cursor();
        assert_eq!(cursor.skip, 2);
        let mut again = Paginator::resume(&config(), cursor).unwrap();
        let (out, sent, err) = run(&mut again, |_, _| page(&[&sid(1), &sid(2)], Some(&foreign)));
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(sent, 1);
        assert!(matches!(
            err,
            Some(Error::Paging(PagingError::ForeignOrigin { .. }))
        ));
    }

    #[test]
    fn server_text_in_paging_errors_is_cut_short() {
        let next = format!(
            "https://evil.example/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json?x={}",
            "a".repeat(1 << 20)
        );
        let mut p = Paginator::new(&config(), ListParams::new()).unwrap();
        let (_, _, err) = run(&mut p, |_, _| page(&[], Some(&next)));
        let shown = err.unwrap().to_string();
        assert!(shown.len() < 500, "{} bytes", shown.len());
    }
}
