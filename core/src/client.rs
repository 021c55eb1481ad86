//! What the blocking and async clients share: the builder, and one call's attempts (the
//! body cap, the retry decision). Each client is then a short loop over its transport.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tracing::Level;

use http::{Request, Response};

use crate::config::Config;
use crate::error::{Error, TransportError};
use crate::proxy::ProxyChoice;
use crate::retry::{Outcome, RetryDecision, RetryState};
use crate::secret::Secret;
use crate::transport::{Clock, SystemClock, TransportSettings};

/// Marks a [`ClientBuilder`] that makes a [`blocking::Client`](crate::blocking::Client).
#[derive(Debug)]
pub enum Blocking {}

/// Marks a [`ClientBuilder`] that makes an [`asynchronous::Client`](crate::asynchronous::Client).
#[derive(Debug)]
pub enum Async {}

/// Configures a client: the [`Config`], the transport's [`TransportSettings`] and the clock.
///
/// `T` is the transport; `M` is [`Blocking`] or [`Async`]. Users of the ureq and hyper crates
/// name it through their `ClientBuilder` alias:
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps::{Config, Credentials, Secret, blocking};
/// # use twilio_connect_apps::{BuildTransport, Transport, TransportError, TransportSettings};
/// # struct MyTransport;
/// # impl Transport for MyTransport {
/// #     fn send(&self, _: http::Request<()>) -> Result<http::Response<Vec<u8>>, TransportError> { unimplemented!() }
/// # }
/// # impl BuildTransport for MyTransport {
/// #     fn build(_: &TransportSettings) -> Result<Self, twilio_connect_apps::Error> { Ok(MyTransport) }
/// # }
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// ));
/// let client = blocking::Client::<MyTransport>::builder(config)
///     .request_timeout(Duration::from_secs(5))
///     .max_body_size(4 << 20)
///     .proxy_from_env(false)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub struct ClientBuilder<T, M> {
    config: Config,
    settings: TransportSettings,
    proxy: ProxyChoice,
    clock: Arc<dyn Clock>,
    marker: PhantomData<fn() -> (T, M)>,
}

impl<T, M> fmt::Debug for ClientBuilder<T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<T, M> ClientBuilder<T, M> {
    /// Defaults for everything but the configuration.
    pub fn new(config: Config) -> Self {
        ClientBuilder {
            config,
            settings: TransportSettings::default(),
            proxy: ProxyChoice::default(),
            clock: Arc::new(SystemClock),
            marker: PhantomData,
        }
    }

    /// [`Config::from_env`], and the root certificate in the PEM file named by
    /// `TWILIO_CA_CERT` (as [`ClientBuilder::root_certificate_pem_file`]), if set.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`ClientBuilder::from_env`], reading variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let builder = Self::new(Config::from_env_with(&lookup)?);
        match lookup("TWILIO_CA_CERT").filter(|v| !v.trim().is_empty()) {
            Some(path) => builder.root_certificate_pem_file(path.trim()),
            None => Ok(builder),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The transport settings so far (the proxy is decided when the client is built).
    pub fn settings(&self) -> &TransportSettings {
        &self.settings
    }

    /// How long to wait for a TCP connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take in all, headers and body (default 30 s). Waiting for a
    /// free connection does not count. A failed listing takes at most about
    /// `attempts × (this + connect timeout) + the policy's total wait`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// The largest response body read, after decompression (default 16 MiB); a larger one is
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) and is read no further.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.settings.max_body_size = bytes;
        self
    }

    /// The most connections kept open (default 16); on the async transport also the most
    /// requests in flight at once (more wait their turn, and the wait is not timed).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.settings.max_connections = n.max(1);
        self
    }

    /// How long an idle connection stays open for reuse (default 90 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.pool_idle_timeout = timeout;
        self
    }

    /// Trusts this root certificate (DER). **One rule everywhere** (library, `TWILIO_CA_CERT`,
    /// the CLI's `--ca-cert`): once any root is given, only the given roots are trusted, not
    /// the built-in webpki set. For emulators and private CAs.
    pub fn root_certificate_der(mut self, der: &[u8]) -> Self {
        self.settings.root_certificates.push(der.to_vec());
        self
    }

    /// Trusts the certificates in this PEM text; see [`ClientBuilder::root_certificate_der`].
    pub fn root_certificate_pem(self, pem: &[u8]) -> Result<Self, Error> {
        self.add_pem(pem, "the PEM text")
    }

    /// Trusts the certificates in this PEM file; see [`ClientBuilder::root_certificate_der`].
    /// Errors name the file.
    pub fn root_certificate_pem_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let pem = std::fs::read(path)
            .map_err(|e| Error::input("ca_cert", format!("cannot read {shown}: {e}")))?;
        self.add_pem(&pem, &shown)
    }

    fn add_pem(mut self, pem: &[u8], what: &str) -> Result<Self, Error> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|e| Error::input("ca_cert", format!("{what}: not valid PEM: {e}")))?;
            self.settings.root_certificates.push(cert.to_vec());
            found += 1;
        }
        if found == 0 {
            return Err(Error::input(
                "ca_cert",
                format!("{what} holds no PEM certificate"),
            ));
        }
        Ok(self)
    }

    /// Tunnels every request through this HTTP proxy (`http://[user:password@]host:port`)
    /// instead of one from the environment.
    ///
    /// The proxy rule, the same for every transport: a loopback origin is never proxied;
    /// otherwise requests go through a `CONNECT` tunnel, so the Twilio credentials are never
    /// in cleartext on the proxy's side. From the environment: `https_proxy`, `HTTPS_PROXY`,
    /// `all_proxy`, `ALL_PROXY`, with `no_proxy`/`NO_PROXY` (`*`, domains, IPs, CIDR blocks);
    /// `HTTP_PROXY` is never read. Only `http://` proxies are supported; any other scheme is an
    /// error that names the variable.
    pub fn proxy(mut self, url: &str) -> Result<Self, Error> {
        crate::proxy::HttpProxy::parse(url, "proxy URL")?;
        self.proxy = ProxyChoice::Url(Secret::new(url));
        Ok(self)
    }

    /// Whether to read the proxy from the environment (on by default); `false` connects
    /// directly unless [`ClientBuilder::proxy`] names one.
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy = match (on, &self.proxy) {
            (_, ProxyChoice::Url(_)) => return self,
            (true, _) => ProxyChoice::FromEnv,
            (false, _) => ProxyChoice::Off,
        };
        self
    }

    /// The same settings for another transport: they do not depend on it, only `build` does
    /// (a program that picks its transport at run time sets them once).
    pub fn for_transport<U>(self) -> ClientBuilder<U, M> {
        ClientBuilder {
            config: self.config,
            settings: self.settings,
            proxy: self.proxy,
            clock: self.clock,
            marker: PhantomData,
        }
    }

    /// Replaces the clock and random source used for retry decisions (default
    /// [`SystemClock`]); for deterministic tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The shared half of a client, and the transport settings with the proxy decided.
    pub(crate) fn finish(self) -> Result<(Shared, TransportSettings), Error> {
        self.finish_with(|name| std::env::var(name).ok())
    }

    pub(crate) fn finish_with(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Shared, TransportSettings), Error> {
        if self.config.credentials().secret().is_empty() {
            return Err(Error::input("credentials", "the secret is empty"));
        }
        self.settings.proxy = self.proxy.resolve(self.config.origin(), lookup)?;
        let shared = Shared {
            config: self.config,
            max_body_size: self.settings.max_body_size,
            clock: self.clock,
            proxy: self.settings.proxy.clone(),
            gate: Default::default(),
        };
        Ok((shared, self.settings))
    }
}

/// A client over the transport `T`: blocking (`M` = [`Blocking`], see
/// [`blocking::Client`](crate::blocking::Client)) or async (`M` = [`Async`], see
/// [`asynchronous::Client`](crate::asynchronous::Client)). Cheap to clone: the transport and
/// its connections are shared. `Send + Sync` when `T` is.
pub struct Client<T, M> {
    inner: Arc<Inner<T>>,
    marker: PhantomData<fn() -> M>,
}

struct Inner<T> {
    shared: Shared,
    transport: T,
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
            .field("config", &self.inner.shared.config)
            .field("max_body_size", &self.inner.shared.max_body_size)
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
        &self.inner.shared.config
    }

    /// The proxy requests go through, as the proxy rule decided when the client was built
    /// (`None`: direct; always `None` for a client made with [`Client::with_transport`]).
    pub fn proxy(&self) -> Option<&crate::proxy::HttpProxy> {
        self.inner.shared.proxy.as_ref()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub(crate) fn assemble(shared: Shared, transport: T) -> Self {
        Client {
            inner: Arc::new(Inner { shared, transport }),
            marker: PhantomData,
        }
    }

    /// A client over `transport`, with the default body cap (16 MiB) and clock.
    pub fn with_transport(config: Config, transport: T) -> Self {
        Self::assemble(Shared::new(config), transport)
    }
}

/// The span of a fetch: the account and the app.
pub(crate) fn fetch_span(
    config: &Config,
    account: Option<&crate::sid::AccountSid>,
    app: &crate::sid::ConnectAppSid,
) -> tracing::Span {
    let account = account.unwrap_or(config.account_sid());
    tracing::debug_span!("fetch", operation = "fetch", account = %account, app = %app)
}

/// The span of one page request.
pub(crate) fn page_span(
    config: &Config,
    account: Option<&crate::sid::AccountSid>,
) -> tracing::Span {
    let account = account.unwrap_or(config.account_sid());
    tracing::debug_span!("page", operation = "page", account = %account)
}

/// The span of a whole listing.
pub(crate) fn listing_span(config: &Config, params: &crate::paging::ListParams) -> tracing::Span {
    let account = params.account_sid().unwrap_or(config.account_sid());
    tracing::debug_span!(
        "listing",
        operation = "list",
        account = %account,
        limit = params.limit_value(),
        page_size = params.page_size_value()
    )
}

/// The span of a resumed listing.
pub(crate) fn resume_span(cursor: &crate::paging::Cursor) -> tracing::Span {
    tracing::debug_span!(
        "listing",
        operation = "resume",
        next = cursor.next.as_deref(),
        skip = cursor.skip
    )
}

/// What both clients hold besides the transport.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) max_body_size: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) proxy: Option<crate::proxy::HttpProxy>,
    /// Shared back-pressure: after a 429, every request of this client waits until then.
    gate: std::sync::Mutex<Gate>,
}

/// Until when the server asked this client to hold off, and which 429 said so.
#[derive(Default)]
struct Gate {
    until: Option<SystemTime>,
    generation: u64,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Self {
        Shared {
            config,
            max_body_size: crate::transport::DEFAULT_MAX_BODY_SIZE,
            clock: Arc::new(SystemClock),
            proxy: None,
            gate: Default::default(),
        }
    }

    fn gate(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a transport's response against the body cap (a transport that ignored it is
    /// caught here).
    fn check_body(&self, response: Response<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if response.body().len() as u64 > self.max_body_size {
            return Err(TransportError::body_too_large(self.max_body_size));
        }
        Ok(response)
    }
}

/// What to do after an attempt.
pub(crate) enum Next {
    /// Wait this long, then send [`Exchange::attempt`] again.
    Again(Duration),
    /// The call is over.
    Done(Result<Response<Vec<u8>>, Error>),
}

/// One call: a request and its retry budget.
pub(crate) struct Exchange<'a> {
    shared: &'a Shared,
    request: Request<()>,
    retry: RetryState,
    attempt: u32,
    started: Option<SystemTime>,
    /// The gate generation this call already waited for (or set): it waits once per 429.
    covered: u64,
    /// The gate generation when the last attempt started.
    sent_under: u64,
}

impl<'a> Exchange<'a> {
    pub(crate) fn new(shared: &'a Shared, request: Request<()>) -> Self {
        Exchange {
            shared,
            request,
            retry: RetryState::new(),
            attempt: 0,
            started: None,
            covered: 0,
            sent_under: 0,
        }
    }

    /// How long to hold off before the next attempt because a 429 on this client (from this
    /// call or any other sharing the client, e.g. a sweep's) asked to: shared back-pressure.
    pub(crate) fn gate_wait(&mut self) -> Option<Duration> {
        let gate = self.shared.gate();
        let until = gate.until?;
        if gate.generation == self.covered {
            return None;
        }
        self.covered = gate.generation;
        let wait = until.duration_since(self.shared.clock.now()).ok()?;
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "holding off: the server asked this client to slow down"
        );
        Some(wait)
    }

    /// The request to send now.
    pub(crate) fn attempt(&mut self) -> Request<()> {
        self.attempt += 1;
        self.sent_under = self.shared.gate().generation;
        // Durations are measured only when someone listens.
        if tracing::enabled!(Level::DEBUG) {
            self.started = Some(self.shared.clock.now());
        }
        self.request.clone()
    }

    /// Takes what the transport made of the last attempt and says what comes next.
    pub(crate) fn finish(&mut self, result: Result<Response<Vec<u8>>, TransportError>) -> Next {
        let cap = self.shared.max_body_size;
        let wire = result.as_ref().map_or(0, |r| r.body().len());
        let result = result
            .and_then(|r| self.shared.check_body(r))
            .and_then(|r| crate::decode::decode(r, cap));
        let outcome = match &result {
            Ok(response) => Outcome::of_response(response),
            Err(e) => Outcome::Failure(e.kind),
        };
        let clock = &self.shared.clock;
        let now = clock.now();
        self.trace_attempt(&result, wire, now);
        let decision = self.shared.config.retry_policy().decide(
            &mut self.retry,
            &outcome,
            now,
            clock.random(),
        );
        let rate_limited =
            matches!(&result, Ok(r) if r.status() == http::StatusCode::TOO_MANY_REQUESTS);
        {
            let mut gate = self.shared.gate();
            match decision {
                RetryDecision::Retry(wait) if rate_limited => {
                    // Everyone sharing this client holds off as long as this call waits.
                    let until = now + wait;
                    gate.until = Some(gate.until.map_or(until, |u| u.max(until)));
                    gate.generation += 1;
                    self.covered = gate.generation;
                }
                _ if !rate_limited && result.is_ok() && self.sent_under == gate.generation => {
                    // Sent after the last 429 and answered: the server takes requests again.
                    gate.until = None;
                }
                _ => {}
            }
        }
        match decision {
            RetryDecision::Retry(wait) => {
                self.trace_retry(&result, wait);
                Next::Again(wait)
            }
            RetryDecision::Stop => {
                if outcome.is_retryable() {
                    tracing::debug!(
                        attempts = self.attempt,
                        "giving up: the retry budget is spent"
                    );
                }
                Next::Done(result.map_err(Error::Transport))
            }
        }
    }

    /// One event per attempt, at `debug`: what was sent and what came of it. Never headers.
    fn trace_attempt(
        &self,
        result: &Result<Response<Vec<u8>>, TransportError>,
        wire: usize,
        now: SystemTime,
    ) {
        if !tracing::enabled!(Level::DEBUG) {
            return;
        }
        let ms = self
            .started
            .and_then(|s| now.duration_since(s).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let method = self.request.method().as_str();
        let target = self
            .request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str());
        match result {
            Ok(r) => tracing::debug!(
                attempt = self.attempt,
                method,
                target,
                status = r.status().as_u16(),
                bytes = wire,
                decoded = r.body().len(),
                ms,
                "response"
            ),
            Err(e) => tracing::debug!(
                attempt = self.attempt,
                method,
                target,
                error = ?e.kind,
                ms,
                "attempt failed: {e}"
            ),
        }
    }

    /// A retry, at `info` for a 429 (the server asked to slow down) and `warn` otherwise.
    fn trace_retry(&self, result: &Result<Response<Vec<u8>>, TransportError>, wait: Duration) {
        let wait_ms = wait.as_millis() as u64;
        let attempt = self.attempt;
        match result {
            Ok(r) if r.status() == http::StatusCode::TOO_MANY_REQUESTS => {
                tracing::info!(
                    attempt,
                    wait_ms,
                    reason = "HTTP 429",
                    "rate limited; retrying"
                )
            }
            Ok(r) => tracing::warn!(
                attempt,
                wait_ms,
                reason = %format_args!("HTTP {}", r.status().as_u16()),
                "retrying"
            ),
            Err(e) => tracing::warn!(attempt, wait_ms, reason = %e, "retrying"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use std::time::UNIX_EPOCH;

    struct Fixed(SystemTime);
    impl Clock for Fixed {
        fn now(&self) -> SystemTime {
            self.0
        }
        fn random(&self) -> u64 {
            0
        }
    }

    fn response(
        status: u16,
        retry_after: Option<&str>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let mut r = Response::builder().status(status);
        if let Some(v) = retry_after {
            r = r.header(http::header::RETRY_AFTER, v);
        }
        Ok(r.body(Vec::new()).unwrap())
    }

    #[test]
    fn a_429_holds_off_every_call_sharing_the_client_once() {
        let config = Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            crate::Secret::new("t"),
        ));
        let mut shared = Shared::new(config);
        shared.clock = Arc::new(Fixed(UNIX_EPOCH + Duration::from_secs(1_000)));
        let request = || Request::get("https://api.twilio.com/x").body(()).unwrap();
        let (mut a, mut b, mut c) = (
            Exchange::new(&shared, request()),
            Exchange::new(&shared, request()),
            Exchange::new(&shared, request()),
        );
        // B is in flight when A meets a 429 asking for 5 s.
        assert_eq!((a.gate_wait(), b.gate_wait()), (None, None));
        let _ = (a.attempt(), b.attempt());
        let Next::Again(wait) = a.finish(response(429, Some("5"))) else {
            panic!()
        };
        assert_eq!(wait, Duration::from_secs(5));
        // A waits its own 5 s (Next::Again), not twice; B's next attempt and C hold off too.
        assert_eq!(a.gate_wait(), None);
        let Next::Again(_) = b.finish(response(503, None)) else {
            panic!()
        };
        assert_eq!(b.gate_wait(), Some(Duration::from_secs(5)));
        assert_eq!(b.gate_wait(), None, "once per 429");
        assert_eq!(c.gate_wait(), Some(Duration::from_secs(5)));
        // A's retry, sent after the 429, succeeds: the gate lifts for calls that come later.
        let _ = a.attempt();
        let Next::Done(Ok(_)) = a.finish(response(200, None)) else {
            panic!()
        };
        let mut d = Exchange::new(&shared, request());
        assert_eq!(d.gate_wait(), None);
    }
}
