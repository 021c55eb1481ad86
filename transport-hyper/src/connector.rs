//! Connections: TCP (with the connect timeout), through the proxy tunnel when the core chose
//! one, then TLS (rustls, ring) with ALPN for HTTP/2 and HTTP/1.1.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;
use twilio_connect_apps::Error;
use twilio_connect_apps::config::Origin;
use twilio_connect_apps::error::{TransportError, TransportErrorKind};
use twilio_connect_apps_client::TransportSettings;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// TLS over the route; `https_or_http` because `Config` allows `http://` for loopback only.
pub(crate) type Connector = HttpsConnector<Route>;

impl Route {
    fn direct(settings: &TransportSettings) -> HttpConnector {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.connect_timeout()));
        http
    }
}

/// How a TCP stream to an origin is made: directly, or through the `CONNECT` tunnel the
/// proxy rule chose for that origin (the API's and the token service's decide apart).
#[derive(Clone)]
pub(crate) struct Route {
    direct: HttpConnector,
    tunnels: Arc<[(Origin, Tunnel<HttpConnector>)]>,
}

impl Service<Uri> for Route {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Both connectors are always ready (a tunnel is ready when its inner connector is).
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let tunnel = self
            .tunnels
            .iter()
            .find(|(origin, _)| origin.contains(&uri))
            .map(|(_, tunnel)| tunnel.clone());
        match tunnel {
            Some(mut tunnel) => {
                let f = tunnel.call(uri);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            None => {
                let f = self.direct.call(uri);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
        }
    }
}

pub(crate) fn tls_error(message: String) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::Tls, message, None))
}

impl Route {
    pub(crate) fn new(settings: &TransportSettings) -> Result<Route, Error> {
        let direct = Route::direct(settings);
        let mut tunnels = Vec::new();
        for (origin, proxy) in settings.routes() {
            let Some(proxy) = proxy else { continue };
            let uri: Uri = proxy.uri().parse().map_err(|e| {
                Error::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    format!("proxy {proxy}: {e}"),
                    None,
                ))
            })?;
            let mut tunnel = Tunnel::new(uri, direct.clone());
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth);
            }
            tunnels.push((origin.clone(), tunnel));
        }
        Ok(Route {
            direct,
            tunnels: tunnels.into(),
        })
    }
}

/// The connector the pooled client uses.
pub(crate) fn connector(settings: &TransportSettings) -> Result<Connector, Error> {
    Ok(HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(settings)?)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(Route::new(settings)?))
}

fn tls_config(settings: &TransportSettings) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?;
    let builder = if !settings.root_certificates().is_empty() {
        let mut store = rustls::RootCertStore::empty();
        for der in settings.root_certificates() {
            store
                .add(rustls_pki_types::CertificateDer::from(der.clone()))
                .map_err(|e| tls_error(format!("adding a root certificate: {e}")))?;
        }
        builder.with_root_certificates(store)
    } else {
        default_roots(builder)?
    };
    Ok(builder.with_no_client_auth())
}

type TlsBuilder = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;
type TlsWithRoots = rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>;

#[cfg(feature = "native-roots")]
fn default_roots(b: TlsBuilder) -> Result<TlsWithRoots, Error> {
    use hyper_rustls::ConfigBuilderExt as _;
    b.with_native_roots()
        .map_err(|e| tls_error(format!("loading the system's root certificates: {e}")))
}

#[cfg(not(feature = "native-roots"))]
fn default_roots(b: TlsBuilder) -> Result<TlsWithRoots, Error> {
    use hyper_rustls::ConfigBuilderExt as _;
    Ok(b.with_webpki_roots())
}

/// Classifies an error by walking its source chain.
pub(crate) fn classify(e: &(dyn std::error::Error + 'static)) -> Option<TransportErrorKind> {
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
            } else if !h.is_user() {
                // The connection or stream broke (closed, cut short, an HTTP/2 stream reset),
                // or what came back was not HTTP (as ureq reads it too): a GET is safe to
                // send again, on a new connection.
                found = found.or(Some(TransportErrorKind::Reset));
            }
        }
        current = err.source();
    }
    found
}
