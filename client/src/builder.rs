//! The builder both clients share: the configuration, the transport's settings, the proxy
//! rule and the clock.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Clock;
use crate::settings::TransportSettings;
use twilio_connect_apps::{
    Config, Error, Secret, Session,
    config::{HttpProxy, ProxyChoice},
};

/// Configures a client: the [`Config`], the transport's [`TransportSettings`] and the clock.
///
/// `T` is the transport; `M` is [`Blocking`](crate::Blocking) or [`Async`](crate::Async). Users of the ureq and hyper crates
/// name it through their `ClientBuilder` alias:
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps::{Config, Credentials, Secret};
/// use twilio_connect_apps_client::blocking;
/// # use twilio_connect_apps_client::{BuildTransport, Transport, TransportSettings};
/// # use twilio_connect_apps::error::TransportError;
/// # struct MyTransport;
/// # impl Transport for MyTransport {
/// #     fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> { unimplemented!() }
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
    seed: Option<u64>,
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
            clock: Arc::new(crate::runtime::SystemClock),
            seed: None,
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
    /// [`TransportErrorKind::BodyTooLarge`](twilio_connect_apps::error::TransportErrorKind::BodyTooLarge) and is read no further.
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
    pub fn root_certificate_pem_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let pem = crate::runtime::read_file(path)
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
        HttpProxy::parse(url, "proxy URL")?;
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
            seed: self.seed,
            marker: PhantomData,
        }
    }

    /// Replaces the clock the machines are handed (default: the system clock); for
    /// deterministic tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Seeds the backoff jitter (default: a random seed per client; see
    /// [`Session::with_seed`]): for tests that replay the same waits.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// What a client is made of: the session, the clock, and the transport settings with the
    /// proxy decided.
    pub(crate) fn finish(mut self) -> Result<(Session, Arc<dyn Clock>, TransportSettings), Error> {
        if self.config.credentials().secret().is_empty() {
            return Err(Error::input("credentials", "the secret is empty"));
        }
        let clock = self.clock;
        // Every origin decides its own proxy by the one rule: the token request to a loopback
        // token service is never proxied, whatever the API's origin is, and the other way round.
        let mut origins = vec![self.config.origin().clone()];
        if self.config.credentials().is_oauth() {
            origins.push(self.config.oauth_origin().clone());
        }
        self.settings.routes = origins
            .into_iter()
            .map(|origin| {
                let proxy = self
                    .proxy
                    .resolve(&origin, |name| std::env::var(name).ok())?;
                Ok((origin, proxy))
            })
            .collect::<Result<_, Error>>()?;
        let seed = self.seed.unwrap_or_else(crate::runtime::random_seed);
        let session = Session::new(self.config)
            .with_seed(seed)
            .with_max_body_size(self.settings.max_body_size)
            .with_max_connections(self.settings.max_connections);
        Ok((session, clock, self.settings))
    }
}
