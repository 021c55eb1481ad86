//! The blocking client, written once on the [`Transport`] contract.
//!
//! `twilio-connect-apps-ureq` names it `Client` with its ureq transport; give it any other
//! [`Transport`] (a closure will do) with [`Client::with_transport`].

use std::fmt;

use http::{Request, Response};

use crate::client::{Blocking, Exchange, Next, fetch_span, listing_span, page_span, resume_span};
use crate::config::Config;
use crate::error::Error;
use crate::model::AuthorizedConnectApp;
use crate::page::Page;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::account::Account;
use crate::paging::{AccountListParams, Cursor, ListParams, Paginator, Step, ViewStop};
use crate::request::PageQuery;
use crate::resource::Resource;
use crate::response::{page_size_asked, parse_app, parse_page_with_limit};
use crate::sid::{AccountSid, ConnectAppSid};
use crate::sweep::{AccountApps, SweepParams};
use crate::transport::{BuildTransport, Transport};
use crate::view::AppView;

/// A [`ClientBuilder`](crate::ClientBuilder) that makes a blocking [`Client`].
pub type ClientBuilder<T> = crate::ClientBuilder<T, Blocking>;

/// A blocking client over the transport `T`. Cheap to clone (the transport and its
/// connections are shared); `Send + Sync` when `T` is.
///
/// ```
/// use twilio_connect_apps::{blocking::Client, Config, Credentials, ListParams, Secret, TransportError};
///
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// ));
/// // A closure is a transport: here, a server with one app.
/// let client = Client::with_transport(config, |_req: http::Request<()>| -> Result<_, TransportError> {
///     Ok(http::Response::new(
///         br#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
///              "permissions": ["get-all", "post-all"]}], "next_page_uri": null}"#.to_vec(),
///     ))
/// });
/// let writers: Vec<_> = client
///     .list(ListParams::new())?
///     .filter(|app| app.as_ref().map_or(true, |a| a.can_write()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(writers.len(), 1);
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub type Client<T> = crate::client::Client<T, Blocking>;

impl<T: Transport + BuildTransport> Client<T> {
    /// A client with the default settings.
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new(config).build()
    }

    /// A client configured from the environment: [`Config::from_env`] and `TWILIO_CA_CERT`
    /// (see [`ClientBuilder::from_env`](crate::ClientBuilder::from_env)).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }
}

impl<T: Transport> Client<T> {
    /// Fetches one app of the configured account.
    pub fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        let _span = fetch_span(self.config(), None, app).entered();
        let request = self.config().fetch_request(app, None)?;
        parse_app(&self.send(request)?)
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        let _span = fetch_span(self.config(), Some(account), app).entered();
        let request = self.config().fetch_request(app, Some(account))?;
        parse_app(&self.send(request)?)
    }

    /// Lists apps lazily, page by page, as an iterator of results.
    pub fn list(&self, params: ListParams) -> Result<Listing<T>, Error> {
        let span = listing_span(self.config(), &params);
        let paginator = Paginator::new(self.config(), params)?;
        Ok(Listing::new(self.clone(), paginator, span))
    }

    /// Goes on with a listing from a saved [`Cursor`].
    pub fn resume(&self, cursor: Cursor) -> Result<Listing<T>, Error> {
        let span = resume_span(&cursor);
        let paginator = Paginator::resume(self.config(), cursor)?;
        Ok(Listing::new(self.clone(), paginator, span))
    }

    /// Lists the accounts the credentials see (the parent first, then its subaccounts) lazily,
    /// page by page. Each account's `auth_token`, which the API sends along, is never kept.
    pub fn accounts(&self, params: AccountListParams) -> Result<Listing<T, Account>, Error> {
        let span = tracing::debug_span!("listing", operation = "accounts");
        let paginator = Paginator::accounts(self.config(), params)?;
        Ok(Listing::new(self.clone(), paginator, span))
    }

    /// Goes on with an accounts listing from a saved [`Cursor`].
    pub fn resume_accounts(&self, cursor: Cursor) -> Result<Listing<T, Account>, Error> {
        let span = resume_span(&cursor);
        let paginator = Paginator::<Account>::resuming(self.config(), cursor)?;
        Ok(Listing::new(self.clone(), paginator, span))
    }

    /// Audits every account: lists the accounts (per `params`), then each one's apps with at
    /// most `params.concurrency` accounts in flight, on that many threads. Results come as
    /// accounts complete (see [`AccountApps::index`] for the listing order); an account whose
    /// listing fails is reported with its error and the sweep goes on; an `Err` item means the
    /// accounts listing itself failed. A 429 anywhere slows the whole sweep: every request
    /// holds off until its `Retry-After` has passed.
    ///
    /// Dropping the [`Sweep`] stops it after the requests in flight.
    pub fn sweep(&self, params: SweepParams) -> Result<Sweep, Error>
    where
        T: Send + Sync + 'static,
    {
        let accounts = self.accounts(params.accounts.clone())?;
        params.apps.effective_page_size()?;
        let n = params.concurrency;
        // The workers take turns reading the accounts listing, so no more than `n` threads
        // ever send requests (and no more than `n` connections are needed).
        let accounts = Arc::new(Mutex::new((0u64, accounts)));
        let (out_tx, out_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let span = tracing::debug_span!("sweep", concurrency = n);
        let mut threads = Vec::with_capacity(n);
        for _ in 0..n {
            let (client, accounts, out, stop) =
                (self.clone(), accounts.clone(), out_tx.clone(), stop.clone());
            let (params, span) = (params.clone(), span.clone());
            threads.push(std::thread::spawn(move || {
                let _span = span.entered();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let next = {
                        let mut guard = accounts.lock().unwrap_or_else(|p| p.into_inner());
                        let (index, listing) = &mut *guard;
                        let item = listing.next().map(|r| (*index, r));
                        *index += 1;
                        item
                    };
                    let account = match next {
                        None => return,
                        Some((_, Err(e))) => {
                            let _ = out.send(Err(e));
                            return;
                        }
                        Some((index, Ok(account))) => (index, account),
                    };
                    let mut result = AccountApps::new(account.0, account.1);
                    match params.apps_of(&result.account).and_then(|p| client.list(p)) {
                        Err(e) => result.error = Some(e),
                        Ok(listing) => {
                            for app in listing {
                                match app {
                                    Ok(app) => result.apps.push(app),
                                    Err(e) => result.error = Some(e),
                                }
                            }
                        }
                    }
                    if out.send(Ok(result)).is_err() {
                        return;
                    }
                }
            }));
        }
        Ok(Sweep {
            results: out_rx,
            stop,
            _threads: threads,
        })
    }

    /// Fetches one page (`account` defaults to the configured one).
    pub fn page(&self, query: &PageQuery, account: Option<&AccountSid>) -> Result<Page, Error> {
        let _span = page_span(self.config(), account).entered();
        let request = self.config().list_request(query, account)?;
        let limit = page_size_asked(request.uri());
        parse_page_with_limit(&self.send(request)?, limit)
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub fn page_at(&self, uri: &str) -> Result<Page, Error> {
        let _span = tracing::debug_span!("page", operation = "page_at").entered();
        let request = self.config().page_at_request(uri)?;
        let limit = page_size_asked(request.uri());
        parse_page_with_limit(&self.send(request)?, limit)
    }

    /// Sends a request built by the core, retrying as the policy decides; any status comes
    /// back as a response.
    pub fn send(&self, request: Request<()>) -> Result<Response<Vec<u8>>, Error> {
        let transport = self.transport();
        let mut exchange = Exchange::new(self.shared(), request);
        loop {
            if let Some(wait) = exchange.gate_wait() {
                transport.pause(wait);
            }
            let result = transport.send(exchange.attempt());
            match exchange.finish(result) {
                Next::Again(wait) => transport.pause(wait),
                Next::Done(result) => return result,
            }
        }
    }
}

impl<T: Transport + BuildTransport> ClientBuilder<T> {
    /// Builds the transport from the settings, and the client on it.
    pub fn build(self) -> Result<Client<T>, Error> {
        let (shared, settings) = self.finish()?;
        Ok(Client::assemble(shared, T::build(&settings)?))
    }

    /// Builds the transport from the settings, wraps it (e.g. to record the waits the retry
    /// policy asks for in a test), and builds the client on the wrapper.
    pub fn build_wrapped<U: Transport>(
        self,
        wrap: impl FnOnce(T) -> U,
    ) -> Result<Client<U>, Error> {
        let (shared, settings) = self.finish()?;
        Ok(Client::assemble(shared, wrap(T::build(&settings)?)))
    }
}

impl<T: Transport> ClientBuilder<T> {
    /// Builds the client on a transport made elsewhere; the builder's body cap and clock
    /// apply (its transport settings do not).
    pub fn build_with(self, transport: T) -> Result<Client<T>, Error> {
        let (shared, _) = self.finish()?;
        Ok(Client::assemble(shared, transport))
    }
}

/// A sweep in progress: an iterator of each account's apps (or its error), as accounts
/// complete; see [`Client::sweep`].
///
/// ```
/// # use twilio_connect_apps::{blocking::Client, Config, Credentials, Secret, SweepParams, TransportError};
/// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
/// // A stand-in for the API: the parent and one subaccount, one app each.
/// let client = Client::with_transport(config, |req: http::Request<()>| -> Result<_, TransportError> {
///     let body: &[u8] = if req.uri().path().ends_with("/Accounts.json") {
///         br#"{"accounts": [{"sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, {"sid": "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}], "next_page_uri": null}"#
///     } else {
///         br#"{"authorized_connect_apps": [{"connect_app_sid": "CN1", "permissions": ["post-all"]}], "next_page_uri": null}"#
///     };
///     Ok(http::Response::new(body.to_vec()))
/// });
/// let mut writers = 0;
/// for account in client.sweep(SweepParams::new().concurrency(2))? {
///     let account = account?; // Err: the accounts listing itself failed
///     assert!(account.error.is_none());
///     writers += account.apps.iter().filter(|a| a.can_write()).count();
/// }
/// assert_eq!(writers, 2);
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub struct Sweep {
    results: mpsc::Receiver<Result<AccountApps, Error>>,
    stop: Arc<AtomicBool>,
    _threads: Vec<std::thread::JoinHandle<()>>,
}

impl fmt::Debug for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sweep").finish_non_exhaustive()
    }
}

impl Iterator for Sweep {
    type Item = Result<AccountApps, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.results.recv().ok()
    }
}

impl Drop for Sweep {
    fn drop(&mut self) {
        // The threads end after their request in flight; they are not waited for.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A listing in progress: an iterator of apps, fetching pages as it goes.
///
/// After an error the iterator ends; [`Listing::cursor`] says where, and [`Client::resume`]
/// goes on from there with nothing lost and nothing twice.
///
/// ```
/// # use twilio_connect_apps::{blocking::Client, Config, Credentials, ListParams, Secret, TransportError, TransportErrorKind};
/// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")))
/// #     .with_retry_policy(twilio_connect_apps::RetryPolicy::disabled());
/// # let client = Client::with_transport(config, |_: http::Request<()>| -> Result<http::Response<Vec<u8>>, _> {
/// #     Err(TransportError::new(TransportErrorKind::Reset, "reset", None))
/// # });
/// let mut listing = client.list(ListParams::new())?;
/// for app in listing.by_ref() {
///     if let Err(e) = app {
///         eprintln!("stopped: {e}");
///     }
/// }
/// let cursor = listing.cursor(); // save it (serde), then later:
/// let rest = client.resume(cursor)?;
/// # let _ = rest;
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub struct Listing<T, R = AuthorizedConnectApp> {
    client: Client<T>,
    paginator: Paginator<R>,
    finished: bool,
    span: tracing::Span,
}

impl<T, R: fmt::Debug> fmt::Debug for Listing<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("paginator", &self.paginator)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T, R: Resource> Listing<T, R> {
    fn new(client: Client<T>, paginator: Paginator<R>, span: tracing::Span) -> Self {
        Listing {
            client,
            paginator,
            finished: false,
            span,
        }
    }

    /// Where the listing stands: save it to resume later.
    pub fn cursor(&self) -> Cursor {
        self.paginator.cursor()
    }

    /// Records of the current page not handed out yet: at 0, the next call may wait on the
    /// network, so a program streaming its output should flush it then.
    pub fn buffered(&self) -> usize {
        self.paginator.buffered()
    }
}

impl<T: Transport> Listing<T> {
    /// The fast path for programs that stream records out: fetches the next page and hands
    /// each of its records to `f` as a borrowed [`AppView`], with no allocation per record
    /// (records already buffered by [`Iterator::next`] come first). Returns whether more pages
    /// may follow. The listing's rules all hold (limit, resume skip, no record twice, the next
    /// page checked); after an error, [`Listing::cursor`] resumes after the last record `f`
    /// took.
    ///
    /// ```
    /// # use twilio_connect_apps::{blocking::Client, Config, Credentials, Error, ListParams, Secret, TransportError};
    /// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
    /// # let client = Client::with_transport(config, |_: http::Request<()>| -> Result<_, TransportError> {
    /// #     Ok(http::Response::new(br#"{"authorized_connect_apps": [{"connect_app_sid": "CN1"}], "next_page_uri": null}"#.to_vec()))
    /// # });
    /// let mut out = Vec::new();
    /// let mut listing = client.list(ListParams::new())?;
    /// while listing.next_page_with(|app| {
    ///     app.write_json(&mut out).map_err(|e| Error::from(twilio_connect_apps::TransportError::new(
    ///         twilio_connect_apps::TransportErrorKind::Other, e.to_string(), None)))?;
    ///     out.push(b'\n');
    ///     Ok::<(), Error>(())
    /// })? {}
    /// assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn next_page_with<E: From<Error>>(
        &mut self,
        mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        if self.finished {
            return Ok(false);
        }
        let _span = self.span.clone().entered();
        let result = loop {
            match self.paginator.step() {
                Ok(Step::Record(app)) => {
                    if let Err(e) = f(AppView::of(&app)) {
                        break Err(e);
                    }
                }
                Ok(Step::Done) => break Ok(false),
                Ok(Step::Send(request)) => {
                    break match self.client.send(request) {
                        Err(e) => Err(E::from(e)),
                        Ok(response) => {
                            match self.paginator.handle_response_with(&response, &mut f) {
                                Ok(()) => Ok(!self.paginator.is_done()),
                                Err(ViewStop::Failed(e)) => Err(E::from(e)),
                                Err(ViewStop::Stopped(e)) => Err(e),
                            }
                        }
                    };
                }
                Err(e) => break Err(E::from(e)),
            }
        };
        if !matches!(result, Ok(true)) {
            self.finished = true;
        }
        result
    }
}

impl<T: Transport, R: Resource> Iterator for Listing<T, R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let _span = self.span.clone().entered();
        let result = loop {
            match self.paginator.step() {
                Ok(Step::Record(app)) => break Some(Ok(app)),
                Ok(Step::Done) => break None,
                Ok(Step::Send(request)) => {
                    if let Err(e) = self
                        .client
                        .send(request)
                        .and_then(|response| self.paginator.handle_response(&response))
                    {
                        break Some(Err(e));
                    }
                }
                Err(e) => break Some(Err(e)),
            }
        };
        if !matches!(result, Some(Ok(_))) {
            self.finished = true;
        }
        result
    }
}

impl<T: Transport, R: Resource> std::iter::FusedIterator for Listing<T, R> {}
