//! The one "what now" enum every machine answers with, and the trait the drivers drive.

use std::time::Duration;

use http::{Request, Response};

use crate::error::TransportError;
use crate::proto::context::Context;

/// What a machine wants next: send a request, wait, or take its output.
///
/// A driver loops: on `Send` it sends the request and gives the machine what came back
/// ([`Machine::handle`]); on `Wait` it waits that long; on `Done` it is finished.
///
/// `Debug` shows a request's method and URI only: never its body (the OAuth token request's
/// holds the client secret) nor its headers.
#[must_use = "an action says what the driver must do next"]
// Actions are matched and moved out at once; boxing the request would cost an allocation a
// request.
#[allow(clippy::large_enum_variant)]
pub enum Action<O> {
    /// Send this request (absolute URI, every header set), then call [`Machine::handle`] with
    /// the response or the transport's failure.
    Send(Request<Vec<u8>>),
    /// Wait this long (a retry's backoff, a `Retry-After`, the shared 429 gate), then ask
    /// again.
    Wait(Duration),
    /// The machine is done: here is its output.
    Done(O),
}

impl<O: std::fmt::Debug> std::fmt::Debug for Action<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Send(request) => f
                .debug_tuple("Send")
                .field(request.method())
                .field(request.uri())
                .finish(),
            Action::Wait(wait) => f.debug_tuple("Wait").field(wait).finish(),
            Action::Done(output) => f.debug_tuple("Done").field(output).finish(),
        }
    }
}

impl<O> Action<O> {
    /// The same action with the output mapped.
    pub fn map<P>(self, f: impl FnOnce(O) -> P) -> Action<P> {
        match self {
            Action::Send(request) => Action::Send(request),
            Action::Wait(wait) => Action::Wait(wait),
            Action::Done(output) => Action::Done(f(output)),
        }
    }
}

/// A state machine for one operation. It owns no reference: the [`Context`] (the session, the
/// time and a random number) is handed to it on every call, so any driver (blocking, async, a
/// custom runtime, a test) can run it.
///
/// ```
/// use twilio_connect_apps::{Action, Config, Credentials, Machine, Secret, Session};
///
/// let session = Session::new(Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// )));
/// let mut fetch = session.fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?)?;
/// let now = std::time::UNIX_EPOCH; // a real driver passes the time
/// let app = loop {
///     match fetch.next(&session.context(now)) {
///         Action::Send(_request) => {
///             // A real driver sends the request; here, a canned answer.
///             let response = http::Response::new(br#"{"connect_app_friendly_name": "Zap"}"#.to_vec());
///             fetch.handle(&session.context(now), Ok(response));
///         }
///         Action::Wait(_wait) => {} // a real driver sleeps
///         Action::Done(result) => break result?.app,
///     }
/// };
/// assert_eq!(app.connect_app_friendly_name(), Some("Zap"));
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
pub trait Machine {
    /// What the machine gives when it is done.
    type Output;

    /// What to do next. Call it first, after every [`Machine::handle`], and after every wait.
    /// Calling it again after `Send` without a response sends the request again (a driver
    /// whose request was cancelled may do so).
    #[must_use = "the action says what to do next"]
    fn next(&mut self, cx: &Context<'_>) -> Action<Self::Output>;

    /// Takes what the transport made of the last `Send`: the whole response (any status), or
    /// its failure.
    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>);
}

impl<M: Machine + ?Sized> Machine for &mut M {
    type Output = M::Output;
    fn next(&mut self, cx: &Context<'_>) -> Action<M::Output> {
        (**self).next(cx)
    }
    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        (**self).handle(cx, response)
    }
}
