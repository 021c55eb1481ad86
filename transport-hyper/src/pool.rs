//! A small HTTP/1.1 connection pool on `hyper::client::conn::http1`.
//!
//! Why not hyper-util's legacy pooled client: it races a new connect against the return of the
//! previous connection, and returns a connection only after a spawned task notices it is idle.
//! A listing that sends its next request right after reading a page then opens a second or
//! third connection (measured: 3 connections for 24 sequential pages). Here a connection goes
//! back to the pool inside the request's own task, as soon as hyper says it is ready again, so
//! sequential requests reuse one connection every time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Request, Response, Uri, header};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Semaphore, SemaphorePermit};
use tower_service::Service;

type Sender = SendRequest<Empty<Bytes>>;

/// Where a connection goes: the origin, and whether through a forwarding proxy.
type Key = (Scheme, Authority, bool);

struct Idle {
    origin: Key,
    sender: Sender,
    since: Instant,
}

/// Connections by origin, at most `max` open at once.
pub(crate) struct Pool {
    connector: HttpsConnector<HttpConnector>,
    http: HttpConnector,
    tls: rustls::ClientConfig,
    proxy: Option<Matcher>,
    idle: Mutex<Vec<Idle>>,
    permits: Semaphore,
    idle_timeout: Duration,
    reaper_started: AtomicBool,
}

/// A connection checked out for one request; it goes back to the pool through [`Pool::put`].
pub(crate) struct Lease<'a> {
    origin: Key,
    sender: Sender,
    _permit: SemaphorePermit<'a>,
}

/// Why a send failed: connecting, or on the connection.
pub(crate) enum SendError {
    Connect(Box<dyn std::error::Error + Send + Sync>),
    Http(hyper::Error),
    Closed,
}

impl Pool {
    pub(crate) fn new(
        http: HttpConnector,
        tls: rustls::ClientConfig,
        proxy: Option<Matcher>,
        max: usize,
        idle_timeout: Duration,
    ) -> Self {
        // http:// is only reachable for loopback origins: `Config` refuses it elsewhere.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http.clone());
        Pool {
            connector,
            http,
            tls,
            proxy,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max),
            idle_timeout,
            reaper_started: AtomicBool::new(false),
        }
    }

    /// Closes connections idle longer than the timeout (dropping a sender ends its connection).
    fn purge(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        idle.retain(|c| !c.sender.is_closed() && now.duration_since(c.since) < self.idle_timeout);
    }

    /// One background task per pool closes idle connections on time; it ends with the pool.
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let pool: Weak<Pool> = Arc::downgrade(self);
        let period = (self.idle_timeout / 2).max(Duration::from_millis(10));
        hyper::rt::Executor::execute(&TokioExecutor::new(), async move {
            loop {
                tokio::time::sleep(period).await;
                match pool.upgrade() {
                    Some(p) => p.purge(),
                    None => return,
                }
            }
        });
    }

    fn take_idle(&self, origin: &Key) -> Option<Sender> {
        self.purge();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let at = idle.iter().rposition(|c| &c.origin == origin)?;
        Some(idle.swap_remove(at).sender)
    }

    async fn connect(&self, uri: &Uri, route: Option<&Intercept>) -> Result<Sender, SendError> {
        let io = match route {
            None => self.connector.clone().call(uri.clone()).await,
            // https through a proxy: a CONNECT tunnel, then TLS to the origin inside it.
            Some(proxy) if uri.scheme() == Some(&Scheme::HTTPS) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), self.http.clone());
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(self.tls.clone())
                    .https_only()
                    .enable_http1()
                    .wrap_connector(tunnel)
                    .call(uri.clone())
                    .await
            }
            // http through a proxy: connect to the proxy and send absolute-form requests.
            Some(proxy) => self.connector.clone().call(proxy.uri().clone()).await,
        }
        .map_err(SendError::Connect)?;
        let (sender, conn) = http1::handshake(io).await.map_err(SendError::Http)?;
        // The connection's driver: ends when the sender is dropped or the peer closes.
        let exec = TokioExecutor::new();
        hyper::rt::Executor::execute(&exec, async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Sends `request` (absolute URI) on a pooled or new connection.
    pub(crate) async fn send(
        &self,
        request: Request<()>,
    ) -> Result<(Response<Incoming>, Lease<'_>), SendError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::Closed)?;
        let uri = request.uri().clone();
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned())
        else {
            return Err(SendError::Closed);
        };
        let route = self.proxy.as_ref().and_then(|m| m.intercept(&uri));
        let forward = route.is_some() && scheme == Scheme::HTTP;
        let (mut parts, ()) = request.into_parts();
        // HTTP/1.1 wants a Host header; hyper's connection sends what it gets.
        if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.entry(header::HOST).or_insert(host);
        }
        if forward {
            // A forwarding proxy takes the absolute URI, and its own credentials.
            if let Some(auth) = route.as_ref().and_then(|r| r.basic_auth()) {
                let mut auth = auth.clone();
                auth.set_sensitive(true);
                parts.headers.insert(header::PROXY_AUTHORIZATION, auth);
            }
        } else {
            parts.uri = match parts.uri.path_and_query() {
                Some(pq) => Uri::from(pq.clone()),
                None => Uri::from_static("/"),
            };
        }
        let origin = (scheme, authority, forward);
        let mut reused = true;
        let mut sender = match self.take_idle(&origin) {
            Some(s) => s,
            None => {
                reused = false;
                self.connect(&uri, route.as_ref()).await?
            }
        };
        let mut req = Request::from_parts(parts, Empty::new());
        loop {
            if sender.ready().await.is_ok() {
                match sender.try_send_request(req).await {
                    Ok(response) => {
                        return Ok((
                            response,
                            Lease {
                                origin,
                                sender,
                                _permit: permit,
                            },
                        ));
                    }
                    Err(mut e) => match e.take_message() {
                        // A pooled connection the server had closed: the request was never
                        // written, so it is safe to send it again on a new connection.
                        Some(back) if reused => req = back,
                        _ => return Err(SendError::Http(e.into_error())),
                    },
                }
            } else if !reused {
                return Err(SendError::Closed);
            }
            reused = false;
            sender = self.connect(&uri, route.as_ref()).await?;
        }
    }

    /// Returns a connection after its response body was read to the end. Waits (briefly) for
    /// hyper to mark it ready, so the next request of this task finds it.
    pub(crate) async fn put(self: &Arc<Self>, mut lease: Lease<'_>) {
        if lease.sender.ready().await.is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Idle {
                    origin: lease.origin,
                    sender: lease.sender,
                    since: Instant::now(),
                });
            self.start_reaper();
        }
    }
}
