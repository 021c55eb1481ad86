#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};

mod pool;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use pool::{Pool, SendError};
use twilio_connect_apps::{Call, RetryDecision, Step, TransportError, TransportErrorKind};

pub use twilio_connect_apps::{
    AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Credentials, Cursor, Error,
    ListParams, Page, PageQuery, Paginator, Permission, RetryPolicy, Secret,
};

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default timeout for a whole request (per attempt).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on a response body.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;
/// The default number of connections (and so of requests in flight).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;
/// How long an idle pooled connection is kept by default.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Where the proxy comes from. An explicit URL may hold credentials: kept as a [`Secret`].
#[derive(Debug, Clone)]
enum ProxySetting {
    FromEnv,
    Explicit(Secret),
    Off,
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_size: u64,
    max_connections: usize,
    pool_idle_timeout: Duration,
    roots: Vec<Vec<u8>>,
    native_roots: bool,
    proxy: ProxySetting,
}

impl ClientBuilder {
    /// Defaults for everything but the configuration.
    pub fn new(config: Config) -> Self {
        ClientBuilder {
            config,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            roots: Vec::new(),
            native_roots: false,
            proxy: ProxySetting::FromEnv,
        }
    }

    /// How long to wait for a TCP connection (the whole attempt, TLS included, is bounded by
    /// the request timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take in all, body included.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest response body read; a larger one is an error and is read no further.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The most connections (and requests in flight) at once; more requests wait their turn.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long an idle connection stays open for reuse before the pool closes it.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Trusts this root certificate (DER). Once any root is given, only the given roots are
    /// trusted (not the webpki set): for emulators and private CAs.
    pub fn root_certificate_der(mut self, der: &[u8]) -> Self {
        self.roots.push(der.to_vec());
        self
    }

    /// Trusts the root certificates in this PEM text; see [`ClientBuilder::root_certificate_der`].
    pub fn root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|e| tls_error(format!("reading the PEM root certificate: {e}")))?;
            self.roots.push(cert.to_vec());
            found += 1;
        }
        if found == 0 {
            return Err(tls_error("the PEM text holds no certificate".into()));
        }
        Ok(self)
    }

    /// Whether to use a proxy named in the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`, as curl reads them); on by default.
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy = if on {
            ProxySetting::FromEnv
        } else {
            ProxySetting::Off
        };
        self
    }

    /// Sends every request through this HTTP proxy (`http://[user:password@]host:port`):
    /// `https://` origins through a `CONNECT` tunnel, `http://` ones forwarded.
    pub fn proxy(mut self, url: &str) -> Result<Self, Error> {
        self.proxy = ProxySetting::Explicit(Secret::new(check_proxy_url(url)?));
        Ok(self)
    }

    /// Trusts the operating system's root certificates instead of webpki roots.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(mut self) -> Self {
        self.native_roots = true;
        self
    }

    /// Builds the client. A tokio runtime is needed only when requests are sent.
    pub fn build(self) -> Result<Client, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(e.to_string()))?;
        let tls = if self.native_roots {
            native(tls)?
        } else if self.roots.is_empty() {
            use hyper_rustls::ConfigBuilderExt as _;
            tls.with_webpki_roots()
        } else {
            let mut store = rustls::RootCertStore::empty();
            for der in &self.roots {
                store
                    .add(rustls_pki_types::CertificateDer::from(der.clone()))
                    .map_err(|e| tls_error(format!("adding a root certificate: {e}")))?;
            }
            tls.with_root_certificates(store)
        }
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let proxy = match &self.proxy {
            ProxySetting::FromEnv => Some(Matcher::from_env()),
            ProxySetting::Explicit(url) => {
                Some(Matcher::builder().all(url.expose().to_owned()).build())
            }
            ProxySetting::Off => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: self.config,
                pool: Arc::new(Pool::new(
                    http,
                    tls,
                    proxy,
                    self.max_connections,
                    self.pool_idle_timeout,
                )),
                request_timeout: self.request_timeout,
                max_body_size: self.max_body_size,
            }),
        })
    }
}

/// Accepts `http://[user:password@]host:port` (the proxies a tunnel can reach).
fn check_proxy_url(url: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Other,
            format!("invalid proxy URL: {why}"),
            None,
        ))
    };
    let uri: http::Uri = url.parse().map_err(|_| bad("not a URI"))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad("only http:// proxies are supported"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(url.to_owned())
}

type TlsBuilder = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;
type TlsWithRoots = rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>;

#[cfg(feature = "native-roots")]
fn native(b: TlsBuilder) -> Result<TlsWithRoots, Error> {
    use hyper_rustls::ConfigBuilderExt as _;
    b.with_native_roots()
        .map_err(|e| tls_error(format!("loading the system's root certificates: {e}")))
}

#[cfg(not(feature = "native-roots"))]
fn native(_: TlsBuilder) -> Result<TlsWithRoots, Error> {
    Err(tls_error(
        "native roots need the `native-roots` feature".into(),
    ))
}

struct Inner {
    config: Config,
    pool: Arc<Pool>,
    request_timeout: Duration,
    max_body_size: u64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

/// An async client. Cheap to clone, `Send + Sync`: share it across tasks (one pool).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A client with the default settings.
    pub fn new(config: Config) -> Result<Client, Error> {
        ClientBuilder::new(config).build()
    }

    /// A client configured from the environment (see [`Config::from_env`]).
    pub fn from_env() -> Result<Client, Error> {
        Self::new(Config::from_env()?)
    }

    /// A builder for timeouts, body cap, pool size and TLS roots.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Fetches one app of the configured account.
    pub async fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        let request = self.config().fetch_request(app, None)?;
        twilio_connect_apps::parse_app(&self.send(request).await?)
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub async fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        let request = self.config().fetch_request(app, Some(account))?;
        twilio_connect_apps::parse_app(&self.send(request).await?)
    }

    /// Lists apps lazily, page by page, as a stream of results.
    pub fn list(&self, params: ListParams) -> Result<Listing, Error> {
        Ok(Listing::new(
            self.clone(),
            Paginator::new(self.config(), params)?,
        ))
    }

    /// Goes on with a listing from a saved [`Cursor`].
    pub fn resume(&self, cursor: Cursor) -> Result<Listing, Error> {
        Ok(Listing::new(
            self.clone(),
            Paginator::resume(self.config(), cursor)?,
        ))
    }

    /// Fetches one page (`account` defaults to the configured one).
    pub async fn page(
        &self,
        query: &PageQuery,
        account: Option<&AccountSid>,
    ) -> Result<Page, Error> {
        let request = self.config().list_request(query, account)?;
        twilio_connect_apps::parse_page(&self.send(request).await?)
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub async fn page_at(&self, uri: &str) -> Result<Page, Error> {
        let request = self.config().page_at_request(uri)?;
        twilio_connect_apps::parse_page(&self.send(request).await?)
    }

    /// Sends a request built by the core, retrying as its policy decides.
    pub async fn send(&self, request: Request<()>) -> Result<Response<Bytes>, Error> {
        let mut call = Call::new(request, self.config().retry_policy().clone());
        loop {
            let result = self.send_once(call.request()).await;
            let decision = call.after_attempt(&result, SystemTime::now(), jitter());
            match decision {
                RetryDecision::Retry(wait) => tokio::time::sleep(wait).await,
                RetryDecision::Stop => return result,
            }
        }
    }

    async fn send_once(&self, request: Request<()>) -> Result<Response<Bytes>, Error> {
        let pool = &self.inner.pool;
        let cap = self.inner.max_body_size;
        let exchange = async {
            let (response, lease) = pool.send(request).await.map_err(map_send_error)?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, usize::try_from(cap).unwrap_or(usize::MAX))
                .collect()
                .await
                .map_err(|e| map_body_error(e, cap))?;
            pool.put(lease).await;
            Ok(Response::from_parts(parts, collected.to_bytes()))
        };
        match tokio::time::timeout(self.inner.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Transport(TransportError::new(
                TransportErrorKind::Timeout,
                format!(
                    "no complete response within {:?}",
                    self.inner.request_timeout
                ),
                None,
            ))),
        }
    }
}

type InFlight = Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send>>;

/// A listing in progress: a stream of apps, fetching pages as it goes.
///
/// Use [`Listing::next`] (no extra crate needed) or the [`futures_core::Stream`] impl. After an
/// error the stream ends; [`Listing::cursor`] says where, and [`Client::resume`] goes on from
/// there with nothing lost and nothing twice. Dropping it cancels any request in flight.
pub struct Listing {
    client: Client,
    paginator: Paginator,
    in_flight: Option<InFlight>,
    finished: bool,
}

impl std::fmt::Debug for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field("paginator", &self.paginator)
            .field("in_flight", &self.in_flight.is_some())
            .field("finished", &self.finished)
            .finish()
    }
}

impl Listing {
    fn new(client: Client, paginator: Paginator) -> Self {
        Listing {
            client,
            paginator,
            in_flight: None,
            finished: false,
        }
    }

    /// The next app, or `None` at the end (or after an error).
    #[allow(clippy::should_implement_trait)]
    pub async fn next(&mut self) -> Option<Result<AuthorizedConnectApp, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Where the listing stands: save it to resume later.
    pub fn cursor(&self) -> Cursor {
        self.paginator.cursor()
    }

    fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<AuthorizedConnectApp, Error>>> {
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
                    self.in_flight = Some(Box::pin(async move { client.send(request).await }));
                }
                Err(e) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

impl futures_core::Stream for Listing {
    type Item = Result<AuthorizedConnectApp, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl futures_core::FusedStream for Listing {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}

/// A random `u64` for retry jitter: std's randomly keyed hasher (new keys per call), so no
/// extra crate.
fn jitter() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

fn tls_error(message: String) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::Tls, message, None))
}

/// Classifies an error by walking its source chain.
fn classify(e: &(dyn std::error::Error + 'static)) -> Option<TransportErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut found = None;
    while let Some(err) = current {
        if err.is::<rustls::Error>() {
            return Some(TransportErrorKind::Tls);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            // io::Error's source() skips the error it wraps; look at that one too.
            if let Some(inner) = io.get_ref()
                && let Some(kind) = classify(inner)
            {
                return Some(kind);
            }
            found = found.or(TransportErrorKind::of_io(io.kind()));
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                found = found.or(Some(TransportErrorKind::Timeout));
            } else if h.is_incomplete_message()
                || h.is_canceled()
                || h.is_closed()
                || h.is_body_write_aborted()
            {
                found = found.or(Some(TransportErrorKind::Reset));
            }
        }
        current = err.source();
    }
    found
}

fn map_send_error(e: SendError) -> Error {
    let (kind, source): (TransportErrorKind, Box<dyn std::error::Error + Send + Sync>) = match e {
        SendError::Connect(e) => {
            let kind = match classify(e.as_ref()) {
                Some(TransportErrorKind::Tls) => TransportErrorKind::Tls,
                Some(TransportErrorKind::Timeout) => TransportErrorKind::Timeout,
                _ => TransportErrorKind::Connect,
            };
            (kind, e)
        }
        SendError::Http(e) => (
            classify(&e).unwrap_or(TransportErrorKind::Other),
            Box::new(e),
        ),
        SendError::Closed => {
            return Error::Transport(TransportError::new(
                TransportErrorKind::Reset,
                "the connection closed before the request could be sent",
                None,
            ));
        }
    };
    let message = describe(source.as_ref());
    Error::Transport(TransportError::new(kind, message, Some(source)))
}

fn map_body_error(e: Box<dyn std::error::Error + Send + Sync>, cap: u64) -> Error {
    if e.is::<http_body_util::LengthLimitError>() {
        return Error::Transport(TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("the response body is larger than the {cap}-byte cap; not read further"),
            Some(e),
        ));
    }
    let kind = classify(e.as_ref()).unwrap_or(TransportErrorKind::Reset);
    let message = describe(e.as_ref());
    Error::Transport(TransportError::new(kind, message, Some(e)))
}

/// The error and its causes on one line.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut current = e.source();
    while let Some(s) = current {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        current = s.source();
    }
    out
}
