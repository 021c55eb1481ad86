//! What the blocking and the async client share, written once over the flavour: the client
//! handle, the listing handle, and the constructors and builders (none of which does IO).
//! Each driver ([`blocking`](crate::blocking), [`asynchronous`](crate::asynchronous)) adds
//! one `drive` loop and one-line methods.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use http::Response;

use crate::builder::ClientBuilder;
use crate::runtime::Clock;
use crate::transport::BuildTransport;
use twilio_connect_apps::{
    Account, AccountSid, AuthorizedConnectApp, Config, Context, Error, Session,
    config::HttpProxy,
    error::TransportError,
    machine::ListingMachine,
    model::{AccountListParams, Cursor, ListParams},
};

/// Marks the blocking flavour: [`blocking::Client`](crate::blocking::Client).
#[derive(Debug)]
pub enum Blocking {}

/// Marks the async flavour: [`asynchronous::Client`](crate::asynchronous::Client).
#[derive(Debug)]
pub enum Async {}

/// A request the async driver has in flight (or a wait it is in): the response, or `None`
/// after a wait.
pub(crate) type Pending =
    Pin<Box<dyn Future<Output = Option<Result<Response<Vec<u8>>, TransportError>>> + Send>>;

/// What the async driver keeps between polls: the request in flight or the wait, if any.
pub(crate) type InFlight = Option<Pending>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Blocking {}
    impl Sealed for super::Async {}
}

/// A client's flavour, [`Blocking`] or [`Async`]: what a listing keeps between calls.
pub trait Flavour: sealed::Sealed {
    /// What a listing keeps while a request is in flight (nothing, for the blocking flavour).
    #[doc(hidden)]
    type Pending: Default + Send;
}

impl Flavour for Blocking {
    type Pending = ();
}

impl Flavour for Async {
    type Pending = InFlight;
}

/// A client over the transport `T`: blocking (`M` = [`Blocking`], see
/// [`blocking::Client`](crate::blocking::Client)) or async (`M` = [`Async`], see
/// [`asynchronous::Client`](crate::asynchronous::Client)). Cheap to clone: the transport, its
/// connections and the [`Session`] are shared. `Send + Sync` when `T` is.
///
/// Blocking, over a closure standing in for a transport:
///
/// ```
/// use twilio_connect_apps_client::blocking::Client;
/// use twilio_connect_apps::{Config, Credentials, ListParams, Secret};
/// use twilio_connect_apps::error::TransportError;
///
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// ));
/// // A closure is a transport: here, a server with one app.
/// let client = Client::with_transport(config, |_req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
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
///
/// Async, over a transport of your own:
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps_client::{asynchronous::Client, AsyncTransport};
/// use twilio_connect_apps::{Config, Credentials, Secret};
/// use twilio_connect_apps::error::TransportError;
///
/// struct OneApp;
/// impl AsyncTransport for OneApp {
///     async fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
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
/// let app = block_on(client.fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?))?.app;
/// assert_eq!(app.connect_app_friendly_name(), Some("Zap"));
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub struct Client<T, M> {
    pub(crate) inner: Arc<Inner<T>>,
    marker: PhantomData<fn() -> M>,
}

pub(crate) struct Inner<T> {
    pub(crate) session: Session,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) proxy: Option<HttpProxy>,
    pub(crate) transport: T,
}

impl<T, M> Clone for Client<T, M> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            marker: PhantomData,
        }
    }
}

impl<T, M> fmt::Debug for Client<T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.inner.session)
            .finish_non_exhaustive()
    }
}

impl<T, M> Client<T, M> {
    /// A builder for timeouts, body cap, pool, TLS roots, proxies and the clock.
    pub fn builder(config: Config) -> ClientBuilder<T, M> {
        ClientBuilder::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.session.config()
    }

    /// The session every request of this client shares (the machines' context).
    pub fn session(&self) -> &Session {
        &self.inner.session
    }

    /// The proxy API requests go through, as the proxy rule decided for the API's origin when
    /// the client was built (`None`: direct; always `None` for a client made with
    /// `with_transport`). The OAuth token service's origin has a decision of its own (see
    /// [`TransportSettings::proxy_for`](crate::TransportSettings::proxy_for)).
    pub fn proxy(&self) -> Option<&HttpProxy> {
        self.inner.proxy.as_ref()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// A client of these parts.
    pub fn with_parts(session: Session, clock: impl Clock, transport: T) -> Self {
        Self::assemble(session, Arc::new(clock), None, transport)
    }

    /// A client over `transport`, with the default body cap (16 MiB), the system clock and a
    /// random jitter seed.
    pub fn with_transport(config: Config, transport: T) -> Self {
        let session = Session::new(config).with_seed(crate::runtime::random_seed());
        Self::with_parts(session, crate::runtime::SystemClock, transport)
    }

    fn assemble(
        session: Session,
        clock: Arc<dyn Clock>,
        proxy: Option<HttpProxy>,
        transport: T,
    ) -> Self {
        Client {
            inner: Arc::new(Inner {
                session,
                clock,
                proxy,
                transport,
            }),
            marker: PhantomData,
        }
    }

    /// The context of the next machine call: the session and now.
    pub(crate) fn context(&self) -> Context<'_> {
        self.inner.session.context(self.inner.clock.now())
    }
}

impl<T, M: Flavour> Client<T, M> {
    /// Lists apps lazily, page by page: an `Iterator` of results (blocking) or a `Stream`
    /// (async).
    pub fn list(&self, params: ListParams) -> Result<Listing<T, M>, Error> {
        Ok(Listing::new(self.clone(), self.session().list(params)?))
    }

    /// Goes on with a listing from a saved [`Cursor`].
    pub fn resume(&self, cursor: Cursor) -> Result<Listing<T, M>, Error> {
        Ok(Listing::new(self.clone(), self.session().resume(cursor)?))
    }

    /// Goes on with a listing of `account`'s apps (a subaccount) from a saved [`Cursor`]; a
    /// cursor of another account's listing is refused before anything is sent.
    pub fn resume_in(&self, account: &AccountSid, cursor: Cursor) -> Result<Listing<T, M>, Error> {
        Ok(Listing::new(
            self.clone(),
            self.session().resume_in(account, cursor)?,
        ))
    }

    /// Lists the accounts the credentials see (the parent first, then its subaccounts) lazily,
    /// page by page. Each account's `auth_token`, which the API sends along, is never kept.
    pub fn accounts(&self, params: AccountListParams) -> Result<Listing<T, M, Account>, Error> {
        Ok(Listing::new(self.clone(), self.session().accounts(params)?))
    }

    /// Goes on with an accounts listing from a saved [`Cursor`].
    pub fn resume_accounts(&self, cursor: Cursor) -> Result<Listing<T, M, Account>, Error> {
        Ok(Listing::new(
            self.clone(),
            self.session().resume_accounts(cursor)?,
        ))
    }
}

impl<T: BuildTransport, M> Client<T, M> {
    /// A client with the default settings.
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new(config).build()
    }

    /// A client configured from the environment: [`Config::from_env`] and `TWILIO_CA_CERT`
    /// (see [`ClientBuilder::from_env`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }
}

impl<T: BuildTransport, M> ClientBuilder<T, M> {
    /// Builds the transport from the settings, and the client on it.
    pub fn build(self) -> Result<Client<T, M>, Error> {
        self.build_wrapped(|t| t)
    }

    /// Builds the transport from the settings, wraps it (e.g. to record the waits the retry
    /// policy asks for in a test), and builds the client on the wrapper.
    pub fn build_wrapped<U>(self, wrap: impl FnOnce(T) -> U) -> Result<Client<U, M>, Error> {
        let (session, clock, settings) = self.finish()?;
        let proxy = settings
            .routes()
            .next()
            .and_then(|(_, proxy)| proxy.cloned());
        let transport = wrap(T::build(&settings)?);
        Ok(Client::assemble(session, clock, proxy, transport))
    }
}

impl<T, M> ClientBuilder<T, M> {
    /// Builds the client on a transport made elsewhere; the builder's body cap and clock
    /// apply (its transport settings do not).
    pub fn build_with(self, transport: T) -> Result<Client<T, M>, Error> {
        let (session, clock, _) = self.finish()?;
        Ok(Client::assemble(session, clock, None, transport))
    }
}

/// A listing in progress over a client of either flavour: an `Iterator` (blocking) or a
/// `Stream` (async) of records, fetching pages as it goes.
///
/// After an error it ends; [`Listing::cursor`] says where, and the client's `resume` goes on
/// from there with nothing lost and nothing twice. See
/// [`blocking::Listing`](crate::blocking::Listing) and
/// [`asynchronous::Listing`](crate::asynchronous::Listing).
///
/// ```
/// # use twilio_connect_apps_client::blocking::Client;
/// # use twilio_connect_apps::{Config, Credentials, ListParams, Secret};
/// # use twilio_connect_apps::error::{TransportError, TransportErrorKind};
/// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")))
/// #     .with_retry_policy(twilio_connect_apps::RetryPolicy::disabled());
/// # let client = Client::with_transport(config, |_: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, _> {
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
pub struct Listing<T, M: Flavour, R = AuthorizedConnectApp> {
    pub(crate) client: Client<T, M>,
    pub(crate) machine: ListingMachine<R>,
    pub(crate) pending: M::Pending,
}

impl<T, M: Flavour, R: fmt::Debug> fmt::Debug for Listing<T, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("machine", &self.machine)
            .finish_non_exhaustive()
    }
}

impl<T, M: Flavour, R: twilio_connect_apps::wire::Resource> Listing<T, M, R> {
    pub(crate) fn new(client: Client<T, M>, machine: ListingMachine<R>) -> Self {
        Listing {
            client,
            machine,
            pending: M::Pending::default(),
        }
    }

    /// Where the listing stands: save it to resume later.
    pub fn cursor(&self) -> Cursor {
        self.machine.cursor()
    }

    /// Records of the current page not handed out yet: at 0, the next call may wait on the
    /// network, so a program streaming its output should flush it then.
    pub fn buffered(&self) -> usize {
        self.machine.buffered()
    }

    /// What the response of the last page read said about itself (`Twilio-Request-Id`,
    /// concurrency, headers).
    pub fn last_meta(&self) -> Option<&twilio_connect_apps::model::ResponseMeta> {
        self.machine.last_meta()
    }

    /// The machine underneath.
    pub fn machine(&self) -> &ListingMachine<R> {
        &self.machine
    }
}
