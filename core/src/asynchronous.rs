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

use crate::client::{Async, Exchange, Next, fetch_span, listing_span, page_span, resume_span};
use crate::config::Config;
use crate::error::Error;
use crate::model::AuthorizedConnectApp;
use crate::page::Page;
use crate::paging::{Cursor, ListParams, Paginator, Step};
use crate::request::PageQuery;
use crate::response::{page_size_asked, parse_app, parse_page_with_limit};
use crate::sid::{AccountSid, ConnectAppSid};
use crate::transport::{AsyncTransport, BuildTransport};
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
pub struct Listing<T> {
    client: Client<T>,
    paginator: Paginator,
    in_flight: Option<InFlight>,
    finished: bool,
    span: tracing::Span,
}

impl<T> fmt::Debug for Listing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("paginator", &self.paginator)
            .field("in_flight", &self.in_flight.is_some())
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T> Listing<T> {
    fn new(client: Client<T>, paginator: Paginator, span: tracing::Span) -> Self {
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

impl<T: AsyncTransport> Listing<T> {
    /// The next app, or `None` at the end (or after an error).
    #[allow(clippy::should_implement_trait)]
    pub async fn next(&mut self) -> Option<Result<AuthorizedConnectApp, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<AuthorizedConnectApp, Error>>> {
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

impl<T: AsyncTransport> futures_core::Stream for Listing<T> {
    type Item = Result<AuthorizedConnectApp, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<T: AsyncTransport> futures_core::FusedStream for Listing<T> {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}
