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

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Request, Response};
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

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_size: u64,
    roots: Vec<Vec<u8>>,
    platform_verifier: bool,
    proxy_from_env: bool,
    proxy: Option<Secret>,
}

impl ClientBuilder {
    /// Defaults for everything but the configuration.
    pub fn new(config: Config) -> Self {
        ClientBuilder {
            config,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            roots: Vec::new(),
            platform_verifier: false,
            proxy_from_env: true,
            proxy: None,
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

    /// Trusts this root certificate (DER). Once any root is given, only the given roots are
    /// trusted (not the webpki set): for emulators and private CAs.
    pub fn root_certificate_der(mut self, der: &[u8]) -> Self {
        self.roots.push(der.to_vec());
        self
    }

    /// Trusts the root certificates in this PEM text; see [`ClientBuilder::root_certificate_der`].
    pub fn root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let mut found = 0;
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => {
                    self.roots.push(c.der().to_vec());
                    found += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(transport(
                        TransportErrorKind::Tls,
                        "reading the PEM root certificate",
                        e,
                    ));
                }
            }
        }
        if found == 0 {
            return Err(Error::Transport(TransportError::new(
                TransportErrorKind::Tls,
                "the PEM text holds no certificate",
                None,
            )));
        }
        Ok(self)
    }

    /// Verifies server certificates with the operating system's verifier instead of webpki roots.
    #[cfg(feature = "platform-verifier")]
    pub fn platform_verifier(mut self) -> Self {
        self.platform_verifier = true;
        self
    }

    /// Whether to use a proxy named in the environment (on by default).
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy_from_env = on;
        self
    }

    /// Sends every request through this proxy (`http://[user:password@]host:port`; ureq also
    /// takes `socks5://`), instead of one from the environment.
    pub fn proxy(mut self, url: &str) -> Result<Self, Error> {
        ureq::Proxy::new(url).map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                format!("invalid proxy URL: {e}"),
                None,
            ))
        })?;
        self.proxy = Some(Secret::new(url));
        Ok(self)
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
        let roots = if self.platform_verifier {
            RootCerts::PlatformVerifier
        } else if self.roots.is_empty() {
            RootCerts::WebPki
        } else {
            RootCerts::Specific(Arc::new(
                self.roots
                    .iter()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect(),
            ))
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let proxy = match &self.proxy {
            Some(url) => Some(
                ureq::Proxy::new(url.expose())
                    .map_err(|e| transport(TransportErrorKind::Other, "invalid proxy URL", e))?,
            ),
            None if self.proxy_from_env => ureq::Proxy::try_from_env(),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Twilio's error bodies must reach the core.
            .http_status_as_error(false)
            // Never follow redirects: a 3xx comes back as a response and the core reports it,
            // so credentials are never sent to another host.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(Some(self.request_timeout))
            .tls_config(tls)
            .proxy(proxy)
            .build()
            .into();
        Ok(Client {
            inner: Arc::new(Inner {
                config: self.config,
                agent,
                max_body_size: self.max_body_size,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    config: Config,
    agent: ureq::Agent,
    max_body_size: u64,
}

/// A blocking client. Cheap to clone (the connection pool is shared).
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

    /// A builder for timeouts, body cap, TLS roots and proxies.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Fetches one app of the configured account.
    pub fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        let request = self.config().fetch_request(app, None)?;
        twilio_connect_apps::parse_app(&self.send(request)?)
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        let request = self.config().fetch_request(app, Some(account))?;
        twilio_connect_apps::parse_app(&self.send(request)?)
    }

    /// Lists apps lazily, page by page, as an iterator of results.
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
    pub fn page(&self, query: &PageQuery, account: Option<&AccountSid>) -> Result<Page, Error> {
        let request = self.config().list_request(query, account)?;
        twilio_connect_apps::parse_page(&self.send(request)?)
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub fn page_at(&self, uri: &str) -> Result<Page, Error> {
        let request = self.config().page_at_request(uri)?;
        twilio_connect_apps::parse_page(&self.send(request)?)
    }

    /// Sends a request built by the core, retrying as its policy decides.
    pub fn send(&self, request: Request<()>) -> Result<Response<Vec<u8>>, Error> {
        let mut call = Call::new(request, self.config().retry_policy().clone());
        loop {
            let result = self.send_once(call.request());
            let decision = call.after_attempt(&result, SystemTime::now(), jitter());
            match decision {
                RetryDecision::Retry(wait) => std::thread::sleep(wait),
                RetryDecision::Stop => return result,
            }
        }
    }

    fn send_once(&self, request: Request<()>) -> Result<Response<Vec<u8>>, Error> {
        let response = self
            .inner
            .agent
            .run(request)
            .map_err(|e| map_error(e, self.inner.max_body_size))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.inner.max_body_size)
            .read_to_vec()
            .map_err(|e| map_error(e, self.inner.max_body_size))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// A listing in progress: an iterator of apps, fetching pages as it goes.
///
/// After an error, the iterator ends; [`Listing::cursor`] says where, and
/// [`Client::resume`] goes on from there with nothing lost and nothing twice.
#[derive(Debug)]
pub struct Listing {
    client: Client,
    paginator: Paginator,
    finished: bool,
}

impl Listing {
    fn new(client: Client, paginator: Paginator) -> Self {
        Listing {
            client,
            paginator,
            finished: false,
        }
    }

    /// Where the listing stands: save it to resume later.
    pub fn cursor(&self) -> Cursor {
        self.paginator.cursor()
    }
}

impl Iterator for Listing {
    type Item = Result<AuthorizedConnectApp, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
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

impl std::iter::FusedIterator for Listing {}

/// A random `u64` for retry jitter: std's randomly keyed hasher (new keys per call), so no
/// extra crate.
fn jitter() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

fn transport(
    kind: TransportErrorKind,
    what: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Transport(TransportError::new(
        kind,
        format!("{what}: {source}"),
        Some(Box::new(source)),
    ))
}

fn io_kind(e: &io::Error) -> TransportErrorKind {
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return TransportErrorKind::Tls;
    }
    // ureq reports a DNS failure as NotFound; a would-block read is its read timeout.
    match e.kind() {
        io::ErrorKind::NotFound => TransportErrorKind::Connect,
        io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
        kind => TransportErrorKind::of_io(kind).unwrap_or(TransportErrorKind::Other),
    }
}

fn map_error(e: ureq::Error, cap: u64) -> Error {
    use ureq::Error as U;
    let kind = match &e {
        U::Timeout(_) => TransportErrorKind::Timeout,
        U::ConnectionFailed | U::HostNotFound => TransportErrorKind::Connect,
        U::Io(io) => io_kind(io),
        U::BodyExceedsLimit(_) => {
            return Error::Transport(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the response body is larger than the {cap}-byte cap; not read further"),
                Some(Box::new(e)),
            ));
        }
        U::Tls(_) | U::Rustls(_) => TransportErrorKind::Tls,
        // A body that ends before its Content-Length, or a malformed chunk: the connection was
        // cut mid-response.
        U::Protocol(_) => TransportErrorKind::Reset,
        _ => TransportErrorKind::Other,
    };
    let message = e.to_string();
    Error::Transport(TransportError::new(kind, message, Some(Box::new(e))))
}
