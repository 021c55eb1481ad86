//! Connections kept between requests, on hyper's own connection types.
//!
//! An HTTP/1.1 connection carries one exchange at a time; once its response body has been read
//! to the end it goes back to its origin's idle list before `send` returns, and the next request
//! waits for hyper to say it is ready (which it is as soon as the connection has seen that end)
//! instead of opening another. An HTTP/2 connection (TLS chose it by ALPN) is shared by every
//! request to its origin.
//!
//! Why not hyper-util's pooled client: it races a new connection against the return of the last
//! one (hyperium/hyper#4134), and on a fast network the new one often wins; a sequential listing
//! of 100 pages opened up to 20 connections with it, where this pool opens 1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service as _;
use twilio_connect_apps::error::{TransportError, TransportErrorKind};

use crate::connector::{self, Connector};

type Body = Full<Bytes>;
type Key = (Scheme, Authority);

/// Idle HTTP/1.1 connections and shared HTTP/2 ones, by origin.
#[derive(Clone)]
pub(crate) struct Pool {
    connector: Connector,
    idle_timeout: Duration,
    max_idle_per_origin: usize,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    idle: HashMap<Key, Vec<(http1::SendRequest<Body>, Instant)>>,
    /// With the time each was last handed out.
    shared: HashMap<Key, (http2::SendRequest<Body>, Instant)>,
    /// Whether the task that closes connections idle past the timeout is running.
    reaping: bool,
}

impl State {
    /// Drops what is closed or has been idle for `timeout`; says whether anything is left.
    fn expire(&mut self, timeout: Duration) -> bool {
        for idle in self.idle.values_mut() {
            idle.retain(|(sender, since)| usable(sender.is_closed(), *since, timeout));
        }
        self.idle.retain(|_, idle| !idle.is_empty());
        self.shared
            .retain(|_, (sender, since)| usable(sender.is_closed(), *since, timeout));
        !(self.idle.is_empty() && self.shared.is_empty())
    }
}

/// An HTTP/1.1 connection whose response is being read: [`Pool::put`] it back once the body
/// has been read to its end (dropped instead, the connection closes).
pub(crate) struct InUse {
    key: Key,
    sender: http1::SendRequest<Body>,
}

impl Pool {
    pub(crate) fn new(connector: Connector, idle_timeout: Duration, max_idle: usize) -> Pool {
        Pool {
            connector,
            idle_timeout,
            max_idle_per_origin: max_idle,
            state: Arc::default(),
        }
    }

    /// Sends `request` (absolute URI) on a pooled connection or a new one; returns the response
    /// and, on HTTP/1.1, the connection to give back once its body has been read.
    pub(crate) async fn send(
        &self,
        request: Request<Body>,
    ) -> Result<(Response<Incoming>, Option<InUse>), TransportError> {
        let uri = request.uri().clone();
        let key = key_of(&uri)?;
        let mut request = request;
        if let Some(mut shared) = self.shared(&key) {
            if shared.ready().await.is_ok() {
                let response = shared.send_request(request).await.map_err(send_error)?;
                return Ok((response, None));
            }
            self.lock().shared.remove(&key);
        }
        while let Some(mut sender) = self.take_idle(&key) {
            if sender.ready().await.is_err() {
                continue; // closed by the server while idle
            }
            match sender.try_send_request(origin_form(request, &uri)).await {
                Ok(response) => return Ok((response, Some(InUse { key, sender }))),
                // Not written: the connection closed first; the request goes on another.
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(send_error(e.into_error())),
                },
            }
        }
        *request.uri_mut() = uri.clone();
        match self.connect(&uri).await? {
            Connected::Http2(mut shared) => {
                {
                    let mut state = self.lock();
                    state.shared.insert(key, (shared.clone(), Instant::now()));
                    self.reap(state);
                }
                let response = shared.send_request(request).await.map_err(send_error)?;
                Ok((response, None))
            }
            Connected::Http1(mut sender) => {
                let response = sender
                    .send_request(origin_form(request, &uri))
                    .await
                    .map_err(send_error)?;
                Ok((response, Some(InUse { key, sender })))
            }
        }
    }

    /// Gives back a connection whose response body was read to its end.
    pub(crate) fn put(&self, conn: InUse) {
        if conn.sender.is_closed() {
            return;
        }
        let max = self.max_idle_per_origin;
        let mut state = self.lock();
        let idle = state.idle.entry(conn.key).or_default();
        if idle.len() < max {
            idle.push((conn.sender, Instant::now()));
        }
        self.reap(state);
    }

    /// Starts, unless it runs, the task that closes connections idle for the timeout (it ends
    /// when the pool is empty or dropped); takes the lock the caller already holds.
    fn reap(&self, mut state: MutexGuard<'_, State>) {
        if std::mem::replace(&mut state.reaping, true) {
            return;
        }
        drop(state);
        let timeout = self.idle_timeout;
        let state = Arc::downgrade(&self.state);
        // A tick a quarter of the timeout: closed at most 1.25 timeouts after its last use.
        let tick = (timeout / 4).max(Duration::from_millis(10));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(state) = state.upgrade() else { return };
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                if !state.expire(timeout) {
                    state.reaping = false;
                    return;
                }
            }
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is only maps of connections: one left half-updated by a panic is still valid.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn shared(&self, key: &Key) -> Option<http2::SendRequest<Body>> {
        let mut state = self.lock();
        match state.shared.get_mut(key) {
            Some((s, since)) if !s.is_closed() => {
                *since = Instant::now();
                Some(s.clone())
            }
            Some(_) => {
                state.shared.remove(key);
                None
            }
            None => None,
        }
    }

    /// The most recently used idle connection to `key` that is neither closed nor expired.
    fn take_idle(&self, key: &Key) -> Option<http1::SendRequest<Body>> {
        let timeout = self.idle_timeout;
        let mut state = self.lock();
        let idle = state.idle.get_mut(key)?;
        while let Some((sender, since)) = idle.pop() {
            if usable(sender.is_closed(), since, timeout) {
                return Some(sender);
            }
        }
        None
    }

    async fn connect(&self, uri: &Uri) -> Result<Connected, TransportError> {
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| connect_error(std::io::Error::other(e)))?;
        let io = connector
            .call(uri.clone())
            .await
            .map_err(|e| connect_error(std::io::Error::other(e)))?;
        if io.connected().is_negotiated_h2() {
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(connect_error)?;
            // Its errors reach the requests on it; the task ends when the last sender is gone.
            tokio::spawn(connection);
            Ok(Connected::Http2(sender))
        } else {
            let (sender, connection) = http1::handshake(io).await.map_err(connect_error)?;
            tokio::spawn(connection);
            Ok(Connected::Http1(sender))
        }
    }
}

enum Connected {
    Http1(http1::SendRequest<Body>),
    Http2(http2::SendRequest<Body>),
}

/// Whether a connection may carry another request: open, and idle for less than `timeout`.
fn usable(closed: bool, since: Instant, timeout: Duration) -> bool {
    !closed && since.elapsed() < timeout
}

fn key_of(uri: &Uri) -> Result<Key, TransportError> {
    match (uri.scheme(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok((scheme.clone(), authority.clone())),
        _ => Err(TransportError::new(
            TransportErrorKind::Other,
            format!("the request URI {uri} is not absolute (scheme and host)"),
            None,
        )),
    }
}

/// An HTTP/1.1 request: the path and query on the request line, the origin in `Host` (with the
/// port only when it is not the scheme's default, as browsers and curl send it).
fn origin_form(mut request: Request<Body>, absolute: &Uri) -> Request<Body> {
    if !request.headers().contains_key(http::header::HOST)
        && let Some(authority) = absolute.authority()
    {
        let default_port = match absolute.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        };
        let host = match authority.port_u16() {
            Some(port) if Some(port) != default_port => authority.as_str(),
            _ => authority.host(),
        };
        if let Ok(value) = HeaderValue::from_str(host) {
            request.headers_mut().insert(http::header::HOST, value);
        }
    }
    let path = absolute
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    *request.uri_mut() = Uri::from(path);
    request
}

fn connect_error(e: impl std::error::Error + Send + Sync + 'static) -> TransportError {
    let kind = match connector::classify(&e) {
        Some(TransportErrorKind::Tls) => TransportErrorKind::Tls,
        Some(TransportErrorKind::Timeout) => TransportErrorKind::Timeout,
        _ => TransportErrorKind::Connect,
    };
    TransportError::caused_by(kind, e)
}

fn send_error(e: hyper::Error) -> TransportError {
    let kind = connector::classify(&e).unwrap_or(TransportErrorKind::Other);
    TransportError::caused_by(kind, e)
}
