#![doc = include_str!("../README.md")]
//!
//! ## Features
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod interim;
mod resolver;

use std::sync::Arc;

use http::{Request, Response};

/// The sans-IO core, whole (its modules: `error`, `model`, `config`, `machine`, `wire`,
/// `limits`, `text`, and `http`), so that this one dependency is enough.
pub use twilio_connect_apps as api;
use twilio_connect_apps::config::{HttpProxy, Origin};
use twilio_connect_apps::error::{TransportError, TransportErrorKind};
use twilio_connect_apps::wire::BodyBuffer;
use twilio_connect_apps_client::{BuildTransport, Transport, TransportSettings, blocking};
pub use twilio_connect_apps_client::{Config, Credentials, Error, ListParams, Secret, SweepParams};

/// The blocking client on ureq: [`blocking::Client`] over [`UreqTransport`].
///
/// ```no_run
/// use twilio_connect_apps_ureq::{Client, Config, Credentials, ListParams, Secret};
/// # fn main() -> Result<(), twilio_connect_apps_ureq::Error> {
/// let client = Client::from_env()?; // or:
/// let client = Client::new(Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("auth token"),
/// )))?;
/// for app in client.list(ListParams::new().with_limit(10))? {
///     println!("{:?}", app?.connect_app_friendly_name());
/// }
/// # Ok(()) }
/// ```
pub type Client = blocking::Client<UreqTransport>;
/// Configures a [`Client`]: timeouts, body cap, TLS roots, proxy.
///
/// ```no_run
/// use std::time::Duration;
/// use twilio_connect_apps_ureq::{Client, Config};
/// # fn main() -> Result<(), twilio_connect_apps_ureq::Error> {
/// let client = Client::builder(Config::from_env()?)
///     .request_timeout(Duration::from_secs(10))
///     .root_certificate_pem_file("emulator-ca.pem")?
///     .proxy_from_env(false)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub type ClientBuilder = blocking::ClientBuilder<UreqTransport>;
/// A listing in progress: an `Iterator` of apps.
///
/// ```no_run
/// # fn main() -> Result<(), twilio_connect_apps_ureq::Error> {
/// use twilio_connect_apps_ureq::{Client, ListParams};
/// let client = Client::from_env()?;
/// let mut listing = client.list(ListParams::new())?;
/// for app in listing.by_ref() {
///     if let Err(e) = app {
///         eprintln!("stopped: {e}; resume from {:?}", listing.cursor());
///         break;
///     }
/// }
/// # Ok(()) }
/// ```
pub type Listing = blocking::Listing<UreqTransport>;
/// A sweep of every account in progress: an `Iterator` of each account's apps, as accounts
/// complete (see `Client::sweep`).
pub type Sweep = blocking::Sweep<UreqTransport>;

/// The [`Transport`] on one [`ureq::Agent`]: connection reuse,
/// rustls with ring, timeouts, the body cap, the proxy tunnel; no redirects, no retries.
/// Built from the [`ClientBuilder`]'s settings; wrap it to observe what the client sends:
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps_ureq::{Client, Config, Credentials, Secret};
///
/// let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
/// let client: Client = Client::builder(config)
///     .request_timeout(Duration::from_secs(5))
///     .max_body_size(4 << 20)
///     .build()?;
/// # Ok::<(), twilio_connect_apps_ureq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    /// For origins reached directly.
    direct: ureq::Agent,
    /// The agent of each configured origin (its proxy decided).
    routes: Arc<[(Origin, ureq::Agent)]>,
    max_body_size: u64,
    request_timeout: std::time::Duration,
    connect_timeout: std::time::Duration,
}

impl BuildTransport for UreqTransport {
    fn build(settings: &TransportSettings) -> Result<Self, Error> {
        use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
        let roots = if !settings.root_certificates().is_empty() {
            RootCerts::Specific(Arc::new(
                settings
                    .root_certificates()
                    .iter()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect(),
            ))
        } else if cfg!(feature = "platform-verifier") {
            RootCerts::PlatformVerifier
        } else {
            RootCerts::WebPki
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let agent = |proxy: Option<&HttpProxy>| agent(settings, tls.clone(), proxy);
        let direct = agent(None)?;
        // One agent (and pool) per proxy decision: the token service's origin may be reached
        // directly while the API's goes through the proxy, or the other way round.
        let mut routes = Vec::new();
        for (origin, proxy) in settings.routes() {
            let agent = match proxy {
                Some(proxy) => agent(Some(proxy))?,
                None => direct.clone(),
            };
            routes.push((origin.clone(), agent));
        }
        Ok(UreqTransport {
            direct,
            routes: routes.into(),
            max_body_size: settings.max_body_size(),
            request_timeout: settings.request_timeout(),
            connect_timeout: settings.connect_timeout(),
        })
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let cap = self.max_body_size;
        // A GET goes without a body (ureq would send `Content-Length: 0` for an empty one).
        let (parts, body) = request.into_parts();
        let agent = self
            .routes
            .iter()
            .find(|(origin, _)| origin.contains(&parts.uri))
            .map_or(&self.direct, |(_, agent)| agent);
        let response = if body.is_empty() {
            agent.run(Request::from_parts(parts, ()))
        } else {
            agent.run(Request::from_parts(parts, body))
        }
        .map_err(|e| self.map_error(e))?;
        let (parts, mut body) = response.into_parts();
        let mut bytes = BodyBuffer::for_response(&parts.headers, cap)?;
        // Into the buffer's spare room, grown in bounded steps (never past the cap); a
        // declared length is read into the room made for it, with no growth at all.
        let reader = body.with_config().limit(cap).reader();
        bytes
            .read_from(reader, 64 * 1024)
            .map_err(|e| self.map_error(ureq::Error::from(e)))?;
        Ok(Response::from_parts(parts, bytes.into_vec()))
    }
}

/// An agent with these settings and TLS, through `proxy` (or direct).
fn agent(
    settings: &TransportSettings,
    tls: ureq::tls::TlsConfig,
    proxy: Option<&HttpProxy>,
) -> Result<ureq::Agent, Error> {
    let proxy = match proxy {
        Some(p) => Some(
            ureq::Proxy::new(p.url_with_credentials().expose()).map_err(|e| {
                Error::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    format!("proxy {p}: {e}"),
                    None,
                ))
            })?,
        ),
        None => None,
    };
    let config = ureq::Agent::config_builder()
        // Twilio's error bodies must reach the core.
        .http_status_as_error(false)
        // Never follow redirects: a 3xx comes back as a response and the core reports it,
        // so credentials are never sent to another host.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(settings.connect_timeout()))
        .timeout_global(Some(settings.request_timeout()))
        .max_idle_connections(settings.max_connections())
        .max_idle_connections_per_host(settings.max_connections())
        .max_idle_age(settings.pool_idle_timeout())
        .tls_config(tls)
        // A request head is a few hundred bytes (a token POST's form too): 16 KiB instead of
        // ureq's 128 KiB, which it zero-fills for every request.
        .output_buffer_size(16 * 1024)
        // The proxy was decided by the core's rule; ureq must not read the environment.
        .proxy(proxy)
        .build();
    use ureq::unversioned::transport::{Connector as _, DefaultConnector};
    Ok(ureq::Agent::with_parts(
        config,
        DefaultConnector::new().chain(interim::SkipInterim),
        resolver::CachingResolver::default(),
    ))
}

fn io_kind(e: &std::io::Error) -> TransportErrorKind {
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return TransportErrorKind::Tls;
    }
    // ureq reports a DNS failure as NotFound; a would-block read is its read timeout.
    match e.kind() {
        std::io::ErrorKind::NotFound => TransportErrorKind::Connect,
        std::io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
        kind => TransportErrorKind::of_io(kind).unwrap_or(TransportErrorKind::Other),
    }
}

impl UreqTransport {
    fn map_error(&self, e: ureq::Error) -> TransportError {
        use ureq::Error as U;
        let kind = match &e {
            // In the core's words, with the limit that fired.
            U::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                return TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no connection within {:?}", self.connect_timeout),
                    Some(Box::new(e)),
                );
            }
            U::Timeout(_) => {
                return TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no complete response within {:?}", self.request_timeout),
                    Some(Box::new(e)),
                );
            }
            U::ConnectionFailed | U::HostNotFound => TransportErrorKind::Connect,
            U::Io(io) => io_kind(io),
            U::BodyExceedsLimit(_) => return TransportError::body_too_large(self.max_body_size),
            U::Tls(_) | U::Rustls(_) => TransportErrorKind::Tls,
            // A body that ends before its Content-Length, a malformed chunk, or an answer that
            // is not HTTP: the connection was cut or is not speaking HTTP; send again.
            U::Protocol(_) => TransportErrorKind::Reset,
            _ => TransportErrorKind::Other,
        };
        TransportError::new(kind, e.to_string(), Some(Box::new(e)))
    }
}
