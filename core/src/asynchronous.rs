//! The async client, written once on the [`AsyncTransport`] contract.
//!
//! `twilio-connect-apps-hyper` names it `Client` with its hyper transport; give it any other
//! [`AsyncTransport`] with [`Client::with_transport`]. It needs no particular runtime: the
//! transport brings the timer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};

use crate::account::Account;
use crate::client::{Async, Exchange, Next, fetch_span, listing_span, page_span, resume_span};
use crate::config::Config;
use crate::error::Error;
use crate::model::AuthorizedConnectApp;
use crate::page::Page;
use crate::paging::{AccountListParams, Cursor, ListParams, Paginator, Step, ViewStop};
use crate::request::PageQuery;
use crate::resource::Resource;
use crate::response::{page_size_asked, parse_app, parse_page_with_limit};
use crate::sid::{AccountSid, ConnectAppSid};
use crate::sweep::{AccountApps, SweepParams};
use crate::transport::{AsyncTransport, BuildTransport};
use crate::view::AppView;
use tracing::Instrument as _;

/// A [`ClientBuilder`](crate::ClientBuilder) that makes an async [`Client`].
pub type ClientBuilder<T> = crate::ClientBuilder<T, Async>;

/// An async client over the transport `T`. Cheap to clone and `Send + Sync`: share one across
/// tasks.
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps::{asynchronous::Client, AsyncTransport, Config, Credentials, Secret, TransportError};
///
/// struct OneApp;
/// impl AsyncTransport for OneApp {
///     async fn send(&self, _: http::Request<()>) -> Result<http::Response<Vec<u8>>, TransportError> {
///         Ok(http::Response::new(br#"{"connect_app_friendly_name": "Zap"}"#.to_vec()))
///     }
///     async fn pause(&self, _: Duration) {}
/// }
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let waker = std::task::Waker::noop();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// ));
/// let client = Client::with_transport(config, OneApp);
/// let app = block_on(client.fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?))?;
/// assert_eq!(app.connect_app_friendly_name.as_deref(), Some("Zap"));
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub type Client<T> = crate::client::Client<T, Async>;

impl<T: AsyncTransport + BuildTransport> Client<T> {
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

impl<T: AsyncTransport> Client<T> {
    /// Fetches one app of the configured account.
    pub async fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        let span = fetch_span(self.config(), None, app);
        async {
            let request = self.config().fetch_request(app, None)?;
            parse_app(&self.send(request).await?)
        }
        .instrument(span)
        .await
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub async fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        let span = fetch_span(self.config(), Some(account), app);
        async {
            let request = self.config().fetch_request(app, Some(account))?;
            parse_app(&self.send(request).await?)
        }
        .instrument(span)
        .await
    }

    /// Lists apps lazily, page by page, as a stream of results.
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
    /// most `params.concurrency` accounts in flight, as concurrent futures inside the returned
    /// stream (no runtime is assumed, so nothing is spawned; poll it from one task). Results come
    /// as accounts complete (see [`AccountApps::index`]); an account whose listing fails is
    /// reported with its error and the sweep goes on; an `Err` item means the accounts listing
    /// itself failed. A 429 anywhere slows the whole sweep: every request holds off until its
    /// `Retry-After` has passed.
    pub fn sweep(&self, params: SweepParams) -> Result<Sweep<T>, Error> {
        let accounts = self.accounts(params.accounts.clone())?;
        params.apps.effective_page_size()?;
        Ok(Sweep {
            client: self.clone(),
            accounts: Some(accounts),
            next_index: 0,
            in_flight: Vec::with_capacity(params.concurrency),
            params,
        })
    }

    /// Fetches one page (`account` defaults to the configured one).
    pub async fn page(
        &self,
        query: &PageQuery,
        account: Option<&AccountSid>,
    ) -> Result<Page, Error> {
        let span = page_span(self.config(), account);
        async {
            let request = self.config().list_request(query, account)?;
            let limit = page_size_asked(request.uri());
            parse_page_with_limit(&self.send(request).await?, limit)
        }
        .instrument(span)
        .await
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub async fn page_at(&self, uri: &str) -> Result<Page, Error> {
        let span = tracing::debug_span!("page", operation = "page_at");
        async {
            let request = self.config().page_at_request(uri)?;
            let limit = page_size_asked(request.uri());
            parse_page_with_limit(&self.send(request).await?, limit)
        }
        .instrument(span)
        .await
    }

    /// Sends a request built by the core, retrying as the policy decides; any status comes
    /// back as a response.
    pub async fn send(&self, request: Request<()>) -> Result<Response<Vec<u8>>, Error> {
        let transport = self.transport();
        let mut exchange = Exchange::new(self.shared(), request);
        loop {
            if let Some(wait) = exchange.gate_wait() {
                transport.pause(wait).await;
            }
            let result = transport.send(exchange.attempt()).await;
            match exchange.finish(result) {
                Next::Again(wait) => transport.pause(wait).await,
                Next::Done(result) => return result,
            }
        }
    }
}

impl<T: AsyncTransport + BuildTransport> ClientBuilder<T> {
    /// Builds the transport from the settings, and the client on it.
    pub fn build(self) -> Result<Client<T>, Error> {
        let (shared, settings) = self.finish()?;
        Ok(Client::assemble(shared, T::build(&settings)?))
    }

    /// Builds the transport from the settings, wraps it (e.g. to record the waits the retry
    /// policy asks for in a test), and builds the client on the wrapper.
    pub fn build_wrapped<U: AsyncTransport>(
        self,
        wrap: impl FnOnce(T) -> U,
    ) -> Result<Client<U>, Error> {
        let (shared, settings) = self.finish()?;
        Ok(Client::assemble(shared, wrap(T::build(&settings)?)))
    }
}

impl<T: AsyncTransport> ClientBuilder<T> {
    /// Builds the client on a transport made elsewhere; the builder's body cap and clock
    /// apply (its transport settings do not).
    pub fn build_with(self, transport: T) -> Result<Client<T>, Error> {
        let (shared, _) = self.finish()?;
        Ok(Client::assemble(shared, transport))
    }
}

type InFlight = Pin<Box<dyn Future<Output = Result<Response<Vec<u8>>, Error>> + Send>>;

/// A sweep in progress: a stream of each account's apps (or its error), as accounts complete;
/// see [`Client::sweep`]. Use [`Sweep::next`] or the `Stream` impl.
pub struct Sweep<T> {
    client: Client<T>,
    accounts: Option<Listing<T, Account>>,
    next_index: u64,
    in_flight: Vec<Pin<Box<dyn Future<Output = AccountApps> + Send>>>,
    params: SweepParams,
}

impl<T> fmt::Debug for Sweep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sweep")
            .field("in_flight", &self.in_flight.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl<T: AsyncTransport> Sweep<T> {
    /// The next account's result, or `None` when every account is done.
    #[allow(clippy::should_implement_trait)]
    pub async fn next(&mut self) -> Option<Result<AccountApps, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn start(&mut self, account: Account) {
        let index = self.next_index;
        self.next_index += 1;
        let client = self.client.clone();
        let params = self.params.apps_of(&account);
        self.in_flight.push(Box::pin(async move {
            let mut result = AccountApps::new(index, account);
            match params.and_then(|p| client.list(p)) {
                Err(e) => result.error = Some(e),
                Ok(mut listing) => {
                    while let Some(app) = listing.next().await {
                        match app {
                            Ok(app) => result.apps.push(app),
                            Err(e) => result.error = Some(e),
                        }
                    }
                }
            }
            result
        }));
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<AccountApps, Error>>> {
        // Keep `concurrency` accounts in flight while the accounts listing has more.
        while self.in_flight.len() < self.params.concurrency {
            let Some(accounts) = self.accounts.as_mut() else {
                break;
            };
            match accounts.poll_item(cx) {
                Poll::Ready(Some(Ok(account))) => self.start(account),
                Poll::Ready(Some(Err(e))) => {
                    self.accounts = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => self.accounts = None,
                Poll::Pending => break,
            }
        }
        let done =
            self.in_flight
                .iter_mut()
                .enumerate()
                .find_map(|(i, f)| match f.as_mut().poll(cx) {
                    Poll::Ready(r) => Some((i, r)),
                    Poll::Pending => None,
                });
        if let Some((i, result)) = done {
            drop(self.in_flight.swap_remove(i));
            // Wake again at once: the freed slot can take the next account.
            cx.waker().wake_by_ref();
            return Poll::Ready(Some(Ok(result)));
        }
        if self.in_flight.is_empty() && self.accounts.is_none() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<T: AsyncTransport> Listing<T> {
    /// The fast path for programs that stream records out: fetches the next page and hands
    /// each of its records to `f` as a borrowed [`AppView`], with no allocation per record; see
    /// the blocking `Listing::next_page_with`. Returns whether more pages may follow.
    pub async fn next_page_with<E: From<Error>>(
        &mut self,
        mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        if self.finished {
            return Ok(false);
        }
        let result = loop {
            let step = {
                let _span = self.span.clone().entered();
                self.paginator.step()
            };
            match step {
                Ok(Step::Record(app)) => {
                    if let Err(e) = f(AppView::of(&app)) {
                        break Err(e);
                    }
                }
                Ok(Step::Done) => break Ok(false),
                Ok(Step::Send(request)) => {
                    let response = self
                        .client
                        .send(request)
                        .instrument(self.span.clone())
                        .await;
                    break match response {
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

impl<T: AsyncTransport> futures_core::Stream for Sweep<T> {
    type Item = Result<AccountApps, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

/// A listing in progress: a stream of apps, fetching pages as it goes.
///
/// Use [`Listing::next`] (no extra crate needed) or the [`futures_core::Stream`] impl. After
/// an error the stream ends; [`Listing::cursor`] says where, and [`Client::resume`] goes on
/// from there with nothing lost and nothing twice. Dropping it cancels any request in flight.
///
/// ```no_run
/// # async fn run(client: twilio_connect_apps::asynchronous::Client<impl twilio_connect_apps::AsyncTransport>) -> Result<(), twilio_connect_apps::Error> {
/// use twilio_connect_apps::ListParams;
/// let mut apps = client.list(ListParams::new().limit(100))?;
/// while let Some(app) = apps.next().await {
///     println!("{:?}", app?.connect_app_friendly_name);
/// }
/// # Ok(()) }
/// ```
pub struct Listing<T, R = AuthorizedConnectApp> {
    client: Client<T>,
    paginator: Paginator<R>,
    in_flight: Option<InFlight>,
    finished: bool,
    span: tracing::Span,
}

impl<T, R: fmt::Debug> fmt::Debug for Listing<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("paginator", &self.paginator)
            .field("in_flight", &self.in_flight.is_some())
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T, R: Resource> Listing<T, R> {
    fn new(client: Client<T>, paginator: Paginator<R>, span: tracing::Span) -> Self {
        Listing {
            client,
            paginator,
            in_flight: None,
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

impl<T: AsyncTransport, R: Resource> Listing<T, R> {
    /// The next record, or `None` at the end (or after an error).
    #[allow(clippy::should_implement_trait)]
    pub async fn next(&mut self) -> Option<Result<R, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<R, Error>>> {
        let _span = self.span.clone().entered();
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(in_flight) = self.in_flight.as_mut() {
                let result = match in_flight.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                self.in_flight = None;
                if let Err(e) =
                    result.and_then(|response| self.paginator.handle_response(&response))
                {
                    self.finished = true;
                    return Poll::Ready(Some(Err(e)));
                }
                continue;
            }
            match self.paginator.step() {
                Ok(Step::Record(app)) => return Poll::Ready(Some(Ok(app))),
                Ok(Step::Done) => {
                    self.finished = true;
                    return Poll::Ready(None);
                }
                Ok(Step::Send(request)) => {
                    let client = self.client.clone();
                    self.in_flight = Some(Box::pin(
                        async move { client.send(request).await }.instrument(self.span.clone()),
                    ));
                }
                Err(e) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

impl<T: AsyncTransport, R: Resource> futures_core::Stream for Listing<T, R> {
    type Item = Result<R, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<T: AsyncTransport, R: Resource> futures_core::FusedStream for Listing<T, R> {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}
