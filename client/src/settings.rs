//! How a transport connects: timeouts, the body cap, the pool, TLS roots and the proxy. The
//! client builder fills these in; every transport is built from them.

use std::time::Duration;

use twilio_connect_apps::{
    config::{HttpProxy, Origin},
    limits::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS},
};

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default timeout of one attempt (headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an idle pooled connection is kept by default.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// What a transport is built from: timeouts, body cap, pool, TLS roots and the proxy, decided
/// for each origin the client talks to (the API's, and the OAuth token service's). Set through
/// the client builder.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body_size: u64,
    pub(crate) max_connections: usize,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    /// The proxy decision of each origin requests go to.
    pub(crate) routes: Vec<(Origin, Option<HttpProxy>)>,
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
            routes: Vec::new(),
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

    /// The HTTP proxy a request to `uri` tunnels through, decided for its origin by the one
    /// rule (see [`proxy`](crate::ClientBuilder::proxy)): the API's origin and the OAuth token
    /// service's each have their own decision. `None`: connect directly (as for an origin
    /// the client was not configured with).
    pub fn proxy_for(&self, uri: &http::Uri) -> Option<&HttpProxy> {
        self.routes
            .iter()
            .find(|(origin, _)| origin.contains(uri))
            .and_then(|(_, proxy)| proxy.as_ref())
    }

    /// Each origin requests go to, with its proxy decision: a transport that fixes its proxy
    /// when it is built (one pool per decision) reads them here.
    pub fn routes(&self) -> impl Iterator<Item = (&Origin, Option<&HttpProxy>)> {
        self.routes.iter().map(|(o, p)| (o, p.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_origin_has_its_own_decision() {
        let proxy = HttpProxy::parse("http://127.0.0.1:3128", "HTTPS_PROXY").unwrap();
        let settings = TransportSettings {
            routes: vec![
                (Origin::twilio(), Some(proxy)),
                (Origin::parse("http://127.0.0.1:4000").unwrap(), None),
            ],
            ..TransportSettings::default()
        };
        let at = |uri: &str| settings.proxy_for(&uri.parse().unwrap()).is_some();
        assert!(at("https://api.twilio.com/2010-04-01/Accounts.json"));
        assert!(at("https://API.twilio.com:443/x"));
        assert!(!at("http://127.0.0.1:4000/v2/token"));
        assert!(!at("https://api.twilio.com:8443/x"), "another port");
        assert!(
            !at("https://oauth.twilio.com/v2/token"),
            "not configured: direct"
        );
        assert_eq!(settings.routes().count(), 2);
    }
}
