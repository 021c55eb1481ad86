//! How a transport connects: timeouts, the body cap, the pool, TLS roots and the proxy. The
//! client builder fills these in; every transport is built from them.

use std::time::Duration;

use twilio_connect_apps::{
    config::HttpProxy,
    limits::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS},
};

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default timeout of one attempt (headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
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
