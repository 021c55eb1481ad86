//! How a transport connects: timeouts, the body cap, the pool, TLS roots and the proxy. The
//! client builder fills these in; every transport is built from them.

use std::time::Duration;

use crate::config::proxy::HttpProxy;
use crate::error::TransportError;

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
    usize::try_from(declared_length(headers).unwrap_or(0).min(cap)).unwrap_or(0)
}

/// The body length a response declares (`Content-Length`), if it does.
pub fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
}

/// The buffer a transport reads a body into, with the body cap's rules on memory: a declared
/// length over the cap is [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) before a
/// byte is read; otherwise room for the declared length at once (or a small start). Grow it
/// with [`reserve_body`], never by more.
pub fn body_buffer(headers: &http::HeaderMap, cap: u64) -> Result<Vec<u8>, TransportError> {
    match declared_length(headers) {
        Some(n) if n > cap => Err(TransportError::body_too_large(cap)),
        Some(n) => Ok(Vec::with_capacity(usize::try_from(n).unwrap_or(0))),
        None => Ok(Vec::with_capacity(
            START.min(usize::try_from(cap).unwrap_or(START)),
        )),
    }
}

/// A body buffer's first size when no length is declared.
const START: usize = 16 * 1024;

/// Makes room in a body buffer for `wanted` more bytes, growing it by at most doubling and
/// never past `cap + 1` bytes (one more than the cap, to see that a body passes it): a body
/// within the cap never makes a transport hold more than about twice the cap. Returns the
/// room there is now (0: the cap is reached).
///
/// ```
/// use twilio_connect_apps::reserve_body;
/// let mut buf = Vec::with_capacity(10);
/// buf.extend_from_slice(&[0; 10]);
/// assert_eq!(reserve_body(&mut buf, 15, 100), 6);
/// assert_eq!(buf.capacity(), 16);
/// ```
pub fn reserve_body(buf: &mut Vec<u8>, cap: u64, wanted: usize) -> usize {
    let limit = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
    let spare = buf.capacity() - buf.len();
    if spare >= wanted || buf.capacity() >= limit {
        return spare.min(limit.saturating_sub(buf.len()));
    }
    let target = buf
        .len()
        .saturating_mul(2)
        .max(buf.len().saturating_add(wanted))
        .min(limit);
    buf.reserve_exact(target - buf.len());
    (buf.capacity() - buf.len()).min(limit - buf.len())
}
