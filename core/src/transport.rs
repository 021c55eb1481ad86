//! The transport contract: what an HTTP client must do for the [`blocking`](crate::blocking)
//! and [`asynchronous`](crate::asynchronous) clients, and the settings it is built from.
//!
//! A transport sends one `http::Request` the core built and returns the whole response, or a
//! [`TransportError`] of a known [`TransportErrorKind`](crate::TransportErrorKind). The client
//! on top of it does everything else: retries (it calls the transport again, after
//! [`Transport::pause`]), paging, parsing, decompression, the body cap check and tracing.
//!
//! A transport **must**:
//! - send the request to the URI's authority, with a `Host` header (HTTP/1.1 requires it);
//! - apply the timeouts it was built with, and never block forever;
//! - stop reading a body at [`TransportSettings::max_body_size`] and return
//!   [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge);
//! - return every status as a response (4xx, 5xx and 3xx included).
//!
//! A transport **must not**: follow redirects (credentials would leave the origin), retry on
//! its own (the core decides), decompress (the core does, with the body cap on the decoded
//! size), or log headers.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Request, Response};

use crate::error::{Error, TransportError};
use crate::proxy::HttpProxy;

/// A blocking transport: sends one request, returns the whole response.
///
/// Closures implement it, which makes a fake server one line in a test:
///
/// ```
/// use twilio_connect_apps::{Transport, TransportError};
/// fn takes(_: impl Transport) {}
/// takes(|_req: http::Request<()>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     Ok(http::Response::new(b"{}".to_vec()))
/// });
/// ```
pub trait Transport {
    /// Sends `request` (absolute URI, headers set by the core) and reads the whole response.
    fn send(&self, request: Request<()>) -> Result<Response<Vec<u8>>, TransportError>;

    /// Waits before the next attempt. The default sleeps the thread; tests replace it to record
    /// the waits the retry policy asked for instead of sleeping.
    fn pause(&self, wait: Duration) {
        std::thread::sleep(wait);
    }
}

impl<F> Transport for F
where
    F: Fn(Request<()>) -> Result<Response<Vec<u8>>, TransportError>,
{
    fn send(&self, request: Request<()>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// An async transport: the same contract as [`Transport`], with futures that are `Send`, so
/// clients can be shared across tasks.
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps::{AsyncTransport, TransportError};
///
/// struct Fake;
/// impl AsyncTransport for Fake {
///     async fn send(&self, _: http::Request<()>) -> Result<http::Response<Vec<u8>>, TransportError> {
///         Ok(http::Response::new(b"{}".to_vec()))
///     }
///     async fn pause(&self, _wait: Duration) {} // a real one calls its runtime's sleep
/// }
/// ```
pub trait AsyncTransport: Send + Sync + 'static {
    /// Sends `request` (absolute URI, headers set by the core) and reads the whole response.
    fn send(
        &self,
        request: Request<()>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;

    /// Waits before the next attempt, with the runtime's timer.
    fn pause(&self, wait: Duration) -> impl Future<Output = ()> + Send;
}

/// Time and randomness for retry decisions: the wall clock (for `Retry-After` dates and
/// durations in traces) and a random number (for backoff jitter). Replace it in tests to make
/// every decision deterministic.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// A uniformly distributed random number.
    fn random(&self) -> u64;
}

/// The real clock and a random number from std's randomly keyed hasher (no extra crate).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn random(&self) -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
    fn random(&self) -> u64 {
        (**self).random()
    }
}

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default timeout of one attempt (headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on a response body (after decompression).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;
/// The default number of connections a client keeps (and, on the async transport, requests in
/// flight at once).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;
/// How long an idle pooled connection is kept by default.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// What a transport is built from: timeouts, body cap, pool, TLS roots and the proxy (already
/// decided for the configured origin). Set through the client builder.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body_size: u64,
    pub(crate) max_connections: usize,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    pub(crate) proxy: Option<HttpProxy>,
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            root_certificates: Vec::new(),
            proxy: None,
        }
    }
}

impl TransportSettings {
    /// How long to wait for a TCP connection.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// How long one attempt may take in all, from sending to the last body byte. Waiting for a
    /// free connection does not count.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The most body bytes to read.
    pub fn max_body_size(&self) -> u64 {
        self.max_body_size
    }

    /// The most connections to keep (and, where the transport limits it, to use at once).
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// How long an idle connection is kept for reuse.
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }

    /// Root certificates (DER) to trust *instead of* the built-in webpki roots; empty: the
    /// built-in roots.
    pub fn root_certificates(&self) -> &[Vec<u8>] {
        &self.root_certificates
    }

    /// The HTTP proxy to tunnel through, decided for the configured origin (see the
    /// [`proxy` rules](crate::ClientBuilder::proxy)); `None`: connect directly.
    pub fn proxy(&self) -> Option<&HttpProxy> {
        self.proxy.as_ref()
    }
}

/// How many bytes to reserve for a body: its `Content-Length`, never more than `cap`, so a
/// transport reads it without growing its buffer and a lying header cannot make it allocate
/// past the cap.
pub fn body_capacity(headers: &http::HeaderMap, cap: u64) -> usize {
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .unwrap_or(0);
    usize::try_from(announced.min(cap)).unwrap_or(0)
}

/// A transport that can be made from [`TransportSettings`] alone: what `Client::new`,
/// `Client::from_env` and `ClientBuilder::build` need.
pub trait BuildTransport: Sized {
    /// Builds the transport.
    fn build(settings: &TransportSettings) -> Result<Self, Error>;
}
