#![doc = include_str!("../README.md")]
//!
//! ## Features
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod connector;
mod pool;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tokio::sync::Semaphore;

/// The sans-IO core, whole (its modules: `error`, `model`, `config`, `machine`, `wire`,
/// `limits`, `text`, and `http`), so that this one dependency is enough.
pub use twilio_connect_apps as api;
use twilio_connect_apps::error::{TransportError, TransportErrorKind};
use twilio_connect_apps::wire::BodyBuffer;
use twilio_connect_apps_client::{AsyncTransport, BuildTransport, TransportSettings, asynchronous};
pub use twilio_connect_apps_client::{Config, Credentials, Error, ListParams, Secret, SweepParams};

/// The async client on hyper: [`asynchronous::Client`] over [`HyperTransport`].
///
/// ```no_run
/// use twilio_connect_apps_hyper::{Client, ListParams};
/// # async fn run() -> Result<(), twilio_connect_apps_hyper::Error> {
/// let client = Client::from_env()?;
/// let mut apps = client.list(ListParams::new().with_limit(10))?;
/// while let Some(app) = apps.next().await {
///     println!("{:?}", app?.connect_app_friendly_name());
/// }
/// # Ok(()) }
/// ```
pub type Client = asynchronous::Client<HyperTransport>;
/// Configures a [`Client`]: timeouts, body cap, pool, TLS roots, proxy.
///
/// ```no_run
/// use std::time::Duration;
/// use twilio_connect_apps_hyper::{Client, Config};
/// # fn main() -> Result<(), twilio_connect_apps_hyper::Error> {
/// let client = Client::builder(Config::from_env()?)
///     .max_connections(8)
///     .request_timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub type ClientBuilder = asynchronous::ClientBuilder<HyperTransport>;
/// A listing in progress: a `Stream` of apps (and [`Listing::next`](asynchronous::Listing::next)).
///
/// ```no_run
/// # async fn run() -> Result<(), twilio_connect_apps_hyper::Error> {
/// use twilio_connect_apps_hyper::{Client, ListParams};
/// let client = Client::from_env()?;
/// let mut listing = client.list(ListParams::new())?;
/// while let Some(app) = listing.next().await {
///     if let Err(e) = app {
///         eprintln!("stopped: {e}; resume from {:?}", listing.cursor());
///     }
/// }
/// # Ok(()) }
/// ```
pub type Listing = asynchronous::Listing<HyperTransport>;
/// A sweep of every account in progress: a `Stream` of each account's apps, as accounts
/// complete (see `Client::sweep`).
pub type Sweep = asynchronous::Sweep<HyperTransport>;

/// The [`AsyncTransport`] on hyper's connections, with a pool that reuses a finished HTTP/1.1
/// connection for the next request (a sequential listing uses one connection):
/// HTTP/1.1, or HTTP/2 when TLS negotiates it (ALPN); rustls with an explicit ring provider;
/// at most `max_connections` requests in flight (waiting for a slot is not timed); timeouts,
/// the body cap and the proxy tunnel; no redirects, no retries. Built (inside a tokio
/// runtime) from the [`ClientBuilder`]'s settings:
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps_hyper::{Client, Config, Credentials, Secret};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), twilio_connect_apps_hyper::Error> {
/// let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
/// let client: Client = Client::builder(config)
///     .max_connections(8)
///     .request_timeout(Duration::from_secs(5))
///     .build()?;
/// # drop(client); Ok(()) }
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    pool: pool::Pool,
    slots: Arc<Semaphore>,
    request_timeout: Duration,
    max_body_size: u64,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("request_timeout", &self.request_timeout)
            .field("max_body_size", &self.max_body_size)
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

impl BuildTransport for HyperTransport {
    fn build(settings: &TransportSettings) -> Result<Self, Error> {
        let pool = pool::Pool::new(
            connector::connector(settings)?,
            settings.pool_idle_timeout(),
            settings.max_connections(),
        );
        Ok(HyperTransport {
            pool,
            slots: Arc::new(Semaphore::new(settings.max_connections())),
            request_timeout: settings.request_timeout(),
            max_body_size: settings.max_body_size(),
        })
    }
}

impl AsyncTransport for HyperTransport {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        // A free slot first: the timeout below counts only the exchange itself.
        let _slot = self.slots.acquire().await.map_err(|_| {
            TransportError::new(TransportErrorKind::Other, "the client was shut down", None)
        })?;
        let exchange = async {
            let (parts, body) = request.into_parts();
            let request = Request::from_parts(parts, Full::new(Bytes::from(body)));
            let (response, conn) = self.pool.send(request).await?;
            let response = read_body(response, self.max_body_size).await?;
            // Read to its end: the connection is ready for the next request.
            if let Some(conn) = conn {
                self.pool.put(conn);
            }
            Ok(response)
        };
        match tokio::time::timeout(self.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::new(
                TransportErrorKind::Timeout,
                format!("no complete response within {:?}", self.request_timeout),
                None,
            )),
        }
    }

    async fn pause(&self, wait: Duration) {
        tokio::time::sleep(wait).await;
    }
}

/// Reads the body into one buffer sized from `Content-Length`, stopping at the cap.
async fn read_body(
    response: Response<hyper::body::Incoming>,
    cap: u64,
) -> Result<Response<Vec<u8>>, TransportError> {
    let (parts, mut body) = response.into_parts();
    let mut bytes = BodyBuffer::for_response(&parts.headers, cap)?;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let kind = connector::classify(&e).unwrap_or(TransportErrorKind::Reset);
            TransportError::caused_by(kind, e)
        })?;
        if let Ok(data) = frame.into_data() {
            bytes.push(&data)?;
        }
    }
    // A stream that ended before its declared length (an HTTP/2 connection closed by GOAWAY
    // mid-body, a proxy that gave up): cut short, so sent again on a new connection.
    bytes.check_length()?;
    Ok(Response::from_parts(parts, bytes.into_vec()))
}
