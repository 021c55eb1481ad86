//! The paging state machine: which request to send next, and which records to hand out.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use http::{Request, Response};

use crate::api::param;
use crate::base::sid::AccountSid;
use crate::config::settings::Config;
use crate::error::{Error, PagingError};
use crate::model::account::Account;
use crate::model::app::AuthorizedConnectApp;
use crate::model::listing::{AccountListParams, Cursor, ListParams};
use crate::model::page::PageViewError;
use crate::model::view::AppView;
use crate::proto::window::Window;
use crate::wire::envelope::view_page;
use crate::wire::request::{PageQuery, get, list_target, page_target};
use crate::wire::resource::{Resource, scope_of};
use crate::wire::response::{page_size_in_query, parse_error, parse_page_with_limit};

/// The next thing a transport must do for a listing: hand out a record, send a request, or
/// stop. The listing machine ([`ListingMachine`](crate::machine::ListingMachine)) drives it.
#[derive(Debug)]
#[must_use = "a step is either a record to hand out or a request to send"]
// Steps are matched and moved out at once; boxing the request would cost an allocation a page.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step<R = AuthorizedConnectApp> {
    /// Hand this record to the caller.
    Record(R),
    /// Send this request (retrying per the policy), then pass the response to
    /// [`Paginator::handle_response`].
    Send(Request<Vec<u8>>),
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
///   `Page` ignored next to a `PageToken`). One exception: a page that gave nothing new and
///   names itself as the next page (a page served twice: the answer to the request before,
///   from a cache or a proxy) is read again, at most [`MAX_EMPTY_PAGES_IN_ROW`] times;
/// - hand out a record twice: records whose SID appeared on one of the last 4 pages (or earlier
///   on the same page) are dropped;
/// - go on forever on empty pages: after [`MAX_EMPTY_PAGES_IN_ROW`] pages in a row with no
///   new records, a next URI is [`PagingError::EmptyPages`];
/// - allocate more records than the page size asked for: one more is a parse error.
///
/// Its own tests are in `proto/tests`; through the public API it is a
/// [`ListingMachine`](crate::machine::ListingMachine).
#[derive(Debug)]
pub(crate) struct Paginator<R = AuthorizedConnectApp> {
    config: Config,
    state: State,
    remaining: Option<u64>,
    /// The current page's records still to hand out, with their position in the page as served.
    buffer: std::vec::IntoIter<(u64, R)>,
    /// The page the buffer came from, and how many records it held as served.
    current: Option<String>,
    page_len: u64,
    /// How many of its records were new (not repeats, not skipped).
    page_new: usize,
    /// Records to drop from the start of the next page (set by `resume`).
    pending_skip: u64,
    /// The SID of the last record handed out (empty: none yet); kept in one buffer.
    last: String,
    /// Set by `resume` until a page hands something out: on such a page, everything up to
    /// `last` (the cursor's, at first) is dropped, if the page holds it.
    resuming: bool,
    /// The account the listing is of (apps), or `""` (accounts); next pages must stay in it.
    scope: Option<String>,
    /// Normalized fingerprints of every page fetched.
    seen: HashSet<u64>,
    /// The record SIDs of the page being read and of the last pages.
    window: Window,
    empty_in_row: u32,
}

impl Paginator {
    /// A listing of apps from the first page.
    pub(crate) fn new(config: &Config, params: ListParams) -> Result<Self, Error> {
        let size = params.effective_page_size()?;
        let target = list_target::<AuthorizedConnectApp>(
            config,
            &PageQuery::new().with_page_size(size),
            params.account.as_ref(),
        )?;
        Ok(Self::at(config, State::Fetch(target), 0, params.limit))
    }
}

/// Why [`Paginator::handle_response_with`] stopped.
#[derive(Debug)]
pub(crate) enum ViewStop<E> {
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
    pub(crate) fn handle_response_with<B: AsRef<[u8]>, E>(
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
            return Err(ViewStop::Failed(
                crate::wire::response::error_from_response(response),
            ));
        }
        let max = page_size_of(&target);
        let skip = match self.resuming && !self.last.is_empty() {
            // The first page of a resume: where the last record handed out is on it, if it is.
            true => position_of(response.body().as_ref(), max, &self.last)
                .map_or(self.pending_skip, |at| at + 1),
            false => self.pending_skip,
        };
        let mut position = 0u64;
        let mut handed_upto = skip;
        let mut new = 0usize;
        self.window.begin(max);
        let (window, remaining, last) = (&mut self.window, &mut self.remaining, &mut self.last);
        let parsed = view_page(response.body().as_ref(), max, |view| {
            let p = position;
            position += 1;
            if let Some(sid) = &view.connect_app_sid
                && window.repeated(&sid.to_str())
            {
                return Ok(());
            }
            if p < skip || *remaining == Some(0) {
                return Ok(());
            }
            let sid = view.connect_app_sid;
            f(view)?;
            last.clear();
            if let Some(sid) = sid {
                last.push_str(&sid.to_str());
            }
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
                self.finish_page(target, page.records, new, page.envelope.next_page_uri);
                Ok(())
            }
            Err(e) => {
                // The page will be fetched again: skip what was handed out of it.
                self.window.abandon();
                self.pending_skip = handed_upto;
                Err(match e {
                    PageViewError::Stopped(e) => ViewStop::Stopped(e),
                    PageViewError::Parse(p) => {
                        ViewStop::Failed(parse_error(response, p.path, p.message))
                    }
                })
            }
        }
    }
}

impl Paginator<Account> {
    /// A listing of the accounts the credentials see: the parent first, then its subaccounts.
    pub(crate) fn accounts(config: &Config, params: AccountListParams) -> Result<Self, Error> {
        let size = params.pages.effective_page_size()?;
        let mut query = PageQuery::new();
        if let Some(status) = &params.status {
            query = query.filter(param::STATUS, status.as_str());
        }
        if let Some(name) = &params.friendly_name {
            query = query.filter(param::FRIENDLY_NAME, name.as_str());
        }
        let target = list_target::<Account>(config, &query.with_page_size(size), None)?;
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
    ///
    /// A cursor of apps resumes only in the configured account: one that names another
    /// account's listing (directly, or through `..` or `%2e%2e`) is refused before anything is
    /// sent; see [`Paginator::resuming_in`] for a subaccount's.
    pub(crate) fn resuming(config: &Config, cursor: Cursor) -> Result<Self, Error> {
        Self::resuming_in(config, None, cursor)
    }

    /// Like [`Paginator::resuming`], in `account` (a subaccount, with the parent's
    /// credentials) instead of the configured one.
    pub(crate) fn resuming_in(
        config: &Config,
        account: Option<&AccountSid>,
        cursor: Cursor,
    ) -> Result<Self, Error> {
        if cursor.remaining == Some(0) {
            return Ok(Self::at(config, State::Done, 0, Some(0)));
        }
        let state = match &cursor.next {
            Some(uri) => State::Fetch(page_target::<R>(config, uri)?),
            None => State::Done,
        };
        if let State::Fetch(target) = &state {
            let expected = account.unwrap_or(config.account_sid()).as_str();
            if let Some(theirs) = scope_of::<R>(target).filter(|s| !s.is_empty())
                && theirs != expected
            {
                return Err(Error::input(
                    "cursor",
                    format!(
                        "it goes on with the listing of {theirs}, but the account in effect is {expected}: a cursor resumes only in its own account"
                    ),
                ));
            }
        }
        let mut paginator = Self::at(config, state, cursor.skip, cursor.remaining);
        paginator.last = cursor.last.unwrap_or_default();
        paginator.resuming = true;
        Ok(paginator)
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
            page_new: 0,
            pending_skip: skip,
            last: String::new(),
            resuming: false,
            scope,
            seen: HashSet::new(),
            window: Window::new(RECENT_PAGES),
            empty_in_row: 0,
        }
    }

    /// The next record, or the next request to send, or the end.
    ///
    /// Calling it again after [`Step::Send`] without a response builds the same request again
    /// (that is how a transport retries).
    pub(crate) fn step(&mut self) -> Result<Step<R>, Error> {
        if self.remaining == Some(0) {
            self.finish();
            return Ok(Step::Done);
        }
        if let Some((_, app)) = self.buffer.next() {
            if let Some(r) = self.remaining.as_mut() {
                *r -= 1;
            }
            self.last.clear();
            self.last.push_str(app.identity().unwrap_or_default());
            return Ok(Step::Record(app));
        }
        match &self.state {
            State::Fetch(target) => get(&self.config, target).map(Step::Send),
            State::Done => Ok(Step::Done),
            State::Failed(e) => Err(Error::Paging(e.clone())),
        }
    }

    /// Takes the response to the last [`Step::Send`]. On success the page's records are
    /// buffered for [`Paginator::step`]; on error nothing changes.
    pub(crate) fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &Response<B>,
    ) -> Result<(), Error> {
        let target = self.outstanding()?;
        let page = parse_page_with_limit::<R, B>(response, page_size_of(&target))?;
        let served = page.records.len();
        let last = (self.resuming && !self.last.is_empty()).then_some(self.last.as_str());
        let skip = last
            .and_then(|last| page.records.iter().position(|r| r.identity() == Some(last)))
            .map_or(self.pending_skip, |at| at as u64 + 1);
        let mut fresh = Vec::with_capacity(served);
        self.window.begin(served);
        for (position, app) in (0u64..).zip(page.records) {
            if let Some(sid) = app.identity()
                && self.window.repeated(sid)
            {
                continue;
            }
            if position >= skip {
                fresh.push((position, app));
            }
        }
        let new = fresh.len();
        self.buffer = fresh.into_iter();
        self.finish_page(target, served, new, page.envelope.next_page_uri);
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
        self.window.end();
        self.page_len = served as u64;
        self.page_new = new;
        let page = fingerprint(&target);
        self.seen.insert(page);
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
        // A resume's cursor holds until a page at its URI hands something out: while that
        // page gives nothing new (read again because it named itself, or failing), the
        // cursor stays as it was.
        let read_again = matches!(&self.state, State::Fetch(next) if fingerprint(next) == page);
        let failed = matches!(self.state, State::Failed(_));
        if !(new == 0 && (read_again || failed)) {
            self.pending_skip = 0;
            self.resuming = false;
        }
    }

    /// Where a next-page URI leads: the next fetch, or why not.
    fn next_state(&self, uri: &str) -> State {
        match page_target::<R>(&self.config, uri) {
            Ok(next) => match (&self.scope, scope_of::<R>(&next)) {
                (Some(mine), Some(theirs)) if *mine != theirs => {
                    State::Failed(PagingError::account_changed(uri, mine))
                }
                // The page just read, again, after it gave nothing new: a page served
                // twice (a cache, a proxy, a retried request answered with the page before)
                // is read once more; the empty-page rule stops a server that keeps at it.
                _ if self.empty_in_row > 0
                    && self.current.as_deref().map(fingerprint) == Some(fingerprint(&next)) =>
                {
                    State::Fetch(next)
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
    /// server answer. If that page gave nothing new, the cursor points at its start (with the
    /// last record handed out, which a replayed page holds): its records were not read.
    pub(crate) fn cursor(&self) -> Cursor {
        let (next, skip) = if self.remaining == Some(0) {
            (None, 0)
        } else if let Some((position, _)) = self.buffer.as_slice().first() {
            (self.current.clone(), *position)
        } else {
            match &self.state {
                State::Fetch(t) => (Some(t.clone()), self.pending_skip),
                State::Done => (None, 0),
                // A page that gave nothing new (a replay of the page before, say) is no
                // guide to what the page holds: the cursor stays at its start.
                State::Failed(_) if self.page_new == 0 => (self.current.clone(), self.pending_skip),
                State::Failed(_) => (self.current.clone(), self.page_len),
            }
        };
        let last = (!self.last.is_empty()).then(|| self.last.clone());
        Cursor {
            next,
            skip,
            remaining: self.remaining,
            last,
        }
    }

    /// Records of the current page not handed out yet; at 0 the next [`Paginator::step`] may
    /// ask for a request (a consumer streaming output flushes then).
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Whether the listing has nothing more to hand out.
    pub(crate) fn is_done(&self) -> bool {
        self.remaining == Some(0) || (self.buffer.len() == 0 && matches!(self.state, State::Done))
    }

    fn finish(&mut self) {
        self.state = State::Done;
        self.buffer = Vec::new().into_iter();
    }
}

/// The most records the page at `target` may hold: the `PageSize` it asks for.
fn page_size_of(target: &str) -> usize {
    page_size_in_query(target.split_once('?').map_or("", |(_, q)| q))
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A page's identity: its path and its decoded query parameters in sorted order; next to a
/// `PageToken`, the `Page` number says nothing and is left out.
/// Where the record with SID `sid` is on the page `body`, if the page reads and holds it.
fn position_of(body: &[u8], max: usize, sid: &str) -> Option<u64> {
    let mut at = 0u64;
    let found = view_page(body, max, |view| {
        if view.connect_app_sid.is_some_and(|s| s.is(sid)) {
            return Err(());
        }
        at += 1;
        Ok(())
    });
    matches!(found, Err(PageViewError::Stopped(()))).then_some(at)
}

fn fingerprint(target: &str) -> u64 {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if pairs.iter().any(|(k, _)| k == param::PAGE_TOKEN) {
        pairs.retain(|(k, _)| k != param::PAGE);
    }
    pairs.sort();
    hash_of((path, pairs))
}
