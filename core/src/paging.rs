//! The paging state machine: which request to send next, and which records to hand out.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use http::{Request, Response};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, PagingError};
use crate::model::AuthorizedConnectApp;
use crate::request::{MAX_PAGE_SIZE, PageQuery, check_page_size};
use crate::response::parse_page;
use crate::sid::AccountSid;

/// What to list: how many records at most, how many per page, and whose.
///
/// With neither `limit` nor `page_size`, pages of 1000 (the API's maximum: fewest round trips);
/// with a limit only, pages of `min(limit, 1000)`; with both, `min(page_size, limit)`.
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

/// Where a listing stands: the page to fetch next, how many of its records were already handed
/// out, and how many records the limit still allows.
///
/// Save it (it is serde-serializable) when a listing fails and give it to
/// [`Paginator::resume`] later: the new listing goes on with nothing lost and nothing twice.
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

/// The next thing a transport must do for a listing.
#[derive(Debug)]
#[must_use = "a step is either a record to hand out or a request to send"]
pub enum Step {
    /// Hand this record to the caller.
    Record(AuthorizedConnectApp),
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

/// The paging state machine.
///
/// Drive it with [`Paginator::step`]: it hands out records one by one and, when its buffer is
/// empty, the next request to send. A transport sends that request and gives the response to
/// [`Paginator::handle_response`]. An error leaves the state as it was, so the same step can be
/// retried, or the [`Paginator::cursor`] saved for later.
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
pub struct Paginator {
    config: Config,
    state: State,
    remaining: Option<u64>,
    buffer: std::vec::IntoIter<AuthorizedConnectApp>,
    /// The page the buffer came from, and how many of its records were handed out.
    current: Option<String>,
    consumed: u64,
    /// Records to drop from the start of the next page (set by `resume`).
    pending_skip: u64,
    seen: HashSet<u64>,
}

impl Paginator {
    /// A listing from the first page.
    pub fn new(config: &Config, params: ListParams) -> Result<Self, Error> {
        let size = params.effective_page_size()?;
        let target =
            config.list_target(&PageQuery::new().page_size(size), params.account.as_ref())?;
        Ok(Self::at(config, State::Fetch(target), 0, params.limit))
    }

    /// A listing that goes on from `cursor`. The cursor's URI is checked like any next-page
    /// URI: it must be this resource on the configured origin.
    pub fn resume(config: &Config, cursor: Cursor) -> Result<Self, Error> {
        if cursor.remaining == Some(0) {
            return Ok(Self::at(config, State::Done, 0, Some(0)));
        }
        let state = match &cursor.next {
            Some(uri) => State::Fetch(config.page_target(uri)?),
            None => State::Done,
        };
        Ok(Self::at(config, state, cursor.skip, cursor.remaining))
    }

    fn at(config: &Config, state: State, skip: u64, remaining: Option<u64>) -> Self {
        Paginator {
            config: config.clone(),
            state,
            remaining,
            buffer: Vec::new().into_iter(),
            current: None,
            consumed: 0,
            pending_skip: skip,
            seen: HashSet::new(),
        }
    }

    /// The next record, or the next request to send, or the end.
    ///
    /// Calling it again after [`Step::Send`] without a response builds the same request again
    /// (that is how a transport retries).
    pub fn step(&mut self) -> Result<Step, Error> {
        if self.remaining == Some(0) {
            self.finish();
            return Ok(Step::Done);
        }
        if let Some(app) = self.buffer.next() {
            self.consumed += 1;
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
        let State::Fetch(target) = &self.state else {
            return Err(Error::input(
                "response",
                "the paginator has no request outstanding",
            ));
        };
        let target = target.clone();
        let page = parse_page(response)?;
        let mut records = page.records;
        let skip = usize::try_from(self.pending_skip)
            .unwrap_or(usize::MAX)
            .min(records.len());
        records.drain(..skip);
        self.consumed = self.pending_skip;
        self.pending_skip = 0;
        self.buffer = records.into_iter();
        self.seen.insert(fingerprint(&target));
        self.current = Some(target);
        self.state = match page.next_page_uri {
            None => State::Done,
            Some(uri) => match self.config.page_target(&uri) {
                Ok(next) if self.seen.contains(&fingerprint(&next)) => {
                    State::Failed(PagingError::RepeatedUri { uri })
                }
                Ok(next) => State::Fetch(next),
                Err(Error::Paging(e)) => State::Failed(e),
                Err(other) => State::Failed(PagingError::InvalidUri {
                    uri,
                    reason: other.to_string(),
                }),
            },
        };
        Ok(())
    }

    /// Where the listing stands; see [`Cursor`].
    pub fn cursor(&self) -> Cursor {
        if self.remaining == Some(0) {
            return Cursor {
                next: None,
                skip: 0,
                remaining: Some(0),
            };
        }
        if self.buffer.len() > 0 {
            return Cursor {
                next: self.current.clone(),
                skip: self.consumed,
                remaining: self.remaining,
            };
        }
        let next = match &self.state {
            State::Fetch(t) => Some(t.clone()),
            State::Done => None,
            State::Failed(
                PagingError::ForeignOrigin { uri, .. }
                | PagingError::RepeatedUri { uri }
                | PagingError::InvalidUri { uri, .. },
            ) => Some(uri.clone()),
        };
        Cursor {
            next,
            skip: self.pending_skip,
            remaining: self.remaining,
        }
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

fn fingerprint(target: &str) -> u64 {
    let mut h = DefaultHasher::new();
    target.hash(&mut h);
    h.finish()
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
}
