//! The transport contract: what an HTTP client must do for the [`blocking`](crate::blocking)
//! and [`asynchronous`](crate::asynchronous) clients.
//!
//! A transport sends one `http::Request` the core built and returns the whole response, or a
//! [`TransportError`] of a known [`TransportErrorKind`](twilio_connect_apps::error::TransportErrorKind). The client
//! on top of it does everything else: retries (it calls the transport again, after
//! [`Transport::pause`]), paging, parsing, decompression, the body cap check and tracing.
//!
//! A transport **must**:
//! - send the request as it is (method, URI, headers, body: empty for every GET; the OAuth
//!   token request is a form POST) to the URI's authority, with a `Host` header;
//! - apply the timeouts it was built with, and never block forever;
//! - stop reading a body at [`TransportSettings::max_body_size`] and return
//!   [`TransportErrorKind::BodyTooLarge`](twilio_connect_apps::error::TransportErrorKind::BodyTooLarge);
//! - return every status as a response (4xx, 5xx and 3xx included).
//!
//! A transport **must not**: follow redirects (credentials would leave the origin), retry on
//! its own (the core decides), decompress (the core does, with the body cap on the decoded
//! size), or log headers.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::settings::TransportSettings;
use twilio_connect_apps::{Error, error::TransportError};

/// A blocking transport: sends one request, returns the whole response.
///
/// Closures implement it, which makes a fake server one line in a test:
///
/// ```
/// use twilio_connect_apps_client::Transport;
/// use twilio_connect_apps::error::TransportError;
/// fn takes(_: impl Transport) {}
/// takes(|_req: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     Ok(http::Response::new(b"{}".to_vec()))
/// });
/// ```
pub trait Transport {
    /// Sends `request` (absolute URI, headers set by the core) and reads the whole response.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;

    /// Waits before the next attempt. The default sleeps the thread; tests replace it to
    /// record the waits the retry policy asked for instead.
    fn pause(&self, wait: Duration) {
        crate::runtime::sleep(wait);
    }
}

/// Closures are transports that pause by sleeping the thread.
impl<F> Transport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>,
{
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// An async transport: the same contract as [`Transport`], with futures that are `Send`, so
/// clients can be shared across tasks.
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps_client::AsyncTransport;
/// use twilio_connect_apps::error::TransportError;
///
/// struct Fake;
/// impl AsyncTransport for Fake {
///     async fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
///         Ok(http::Response::new(b"{}".to_vec()))
///     }
///     async fn pause(&self, _wait: Duration) {} // a real one calls its runtime's sleep
/// }
/// ```
pub trait AsyncTransport: Send + Sync + 'static {
    /// Sends `request` (absolute URI, headers set by the core) and reads the whole response.
    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;

    /// Waits before the next attempt, with the runtime's timer.
    fn pause(&self, wait: Duration) -> impl Future<Output = ()> + Send;
}

/// A transport that can be made from [`TransportSettings`] alone: what `Client::new`,
/// `Client::from_env` and `ClientBuilder::build` need.
pub trait BuildTransport: Sized {
    /// Builds the transport.
    fn build(settings: &TransportSettings) -> Result<Self, Error>;
}
