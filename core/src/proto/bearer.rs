//! One request's side of OAuth client credentials: the session's access token on each
//! attempt (fetching one, or waiting for another request's refresh), and the one
//! re-authorization after a 401 on a token.
//!
//! ```text
//!  authorize ──► session's token ──use──► With(Some(Bearer …))
//!                    │ ──wait──► Not(Wait)        └─ not OAuth / the token request: With(None)
//!                    └─claim──► the token request (a machine of its own, sent first) ──► store │ fail
//!  refused(401 on token g) ──► invalidate g, one more attempt (once)
//! ```

use http::{HeaderValue, Response, StatusCode};

use crate::error::{Error, TransportError};
use crate::proto::action::{Action, Machine};
use crate::proto::context::Context;
use crate::proto::token::{Refusal, TokenDecision};
use crate::wire::request::token_request;
use crate::wire::token::read_token;

/// What an exchange's response is: the whole response (any status) or the last failure.
type Output = Result<Response<Vec<u8>>, Error>;

/// The OAuth state of one exchange; `M` is the machine that sends the token request (an
/// exchange, which itself carries no token).
#[derive(Debug)]
pub(crate) struct Bearer<M> {
    /// Whether attempts carry the session's token (not so for the token request itself).
    enabled: bool,
    /// The generation of the token the last attempt carried.
    generation: Option<u64>,
    /// A 401 on a token was answered by one refresh and one more attempt already.
    reauthorized: bool,
    /// The token request this exchange sends for the whole session, when it claimed it.
    refresh: Option<Box<M>>,
}

/// What an attempt's `Authorization` comes to: a value to carry (or none needed), or first
/// something else to do (the token request, a wait for another's, the refusal).
// Short-lived and matched at once; boxing would cost an allocation an attempt.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Authorized {
    With(Option<HeaderValue>),
    Not(Action<Output>),
}

impl<M: Machine<Output = Output>> Bearer<M> {
    /// For an API request (`true`), or for the token request itself (`false`).
    pub(crate) fn new(enabled: bool) -> Self {
        Bearer {
            enabled,
            generation: None,
            reauthorized: false,
            refresh: None,
        }
    }

    /// Whether attempts carry the session's token (an API request, not the token request).
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the token request is out: responses are its own.
    pub(crate) fn refreshing(&self) -> bool {
        self.refresh.is_some()
    }

    /// Hands the token request its response.
    pub(crate) fn handle(
        &mut self,
        cx: &Context<'_>,
        response: Result<Response<Vec<u8>>, TransportError>,
    ) {
        if let Some(refresh) = self.refresh.as_mut() {
            refresh.handle(cx, response);
        }
    }

    /// The `Authorization` this attempt carries: the session's token, after fetching one
    /// (this exchange claimed the refresh, `token` makes its machine) or waiting for another's.
    pub(crate) fn authorize(
        &mut self,
        cx: &Context<'_>,
        token: impl Fn(http::Request<Vec<u8>>) -> M,
    ) -> Authorized {
        if !self.enabled || !cx.config().credentials().is_oauth() {
            return Authorized::With(None);
        }
        loop {
            if let Some(refresh) = self.refresh.as_mut() {
                let result = match refresh.next(cx) {
                    Action::Done(result) => result,
                    Action::Send(request) => {
                        cx.shared().tokens().heartbeat(cx.now());
                        return Authorized::Not(Action::Send(request));
                    }
                    wait => return Authorized::Not(wait),
                };
                self.refresh = None;
                let origin = cx.config().oauth_origin().as_str();
                let mut tokens = cx.shared().tokens();
                match read_token(result, origin, cx.now()) {
                    Ok(token) => tokens.store(token, cx.now()),
                    Err(e) => tokens.fail(e, cx.now()),
                }
            }
            let decision = cx.shared().tokens().decide(cx.now());
            match decision {
                TokenDecision::Use(value, generation) => {
                    self.generation = Some(generation);
                    return Authorized::With(Some(value));
                }
                TokenDecision::Wait(wait) => return Authorized::Not(Action::Wait(wait)),
                TokenDecision::Fail(e) => {
                    return Authorized::Not(Action::Done(Err(Error::Auth(e))));
                }
                TokenDecision::Refresh => match token_request(cx.config()) {
                    Ok(Some(request)) => self.refresh = Some(Box::new(token(request))),
                    Ok(None) => return Authorized::With(None),
                    Err(e) => return Authorized::Not(Action::Done(Err(e))),
                },
            }
        }
    }

    /// Whether `result` is a 401 on the token the attempt carried, the first one, that the
    /// request should answer by going once more with a new token (see
    /// [`Tokens::invalidate`](crate::proto::token::Tokens::invalidate): one refresh per token
    /// generation, none for a fresh replacement of a refused token).
    pub(crate) fn refused(
        &mut self,
        cx: &Context<'_>,
        result: &Result<Response<Vec<u8>>, TransportError>,
        attempt: u32,
    ) -> bool {
        let Some(generation) = self.generation else {
            return false;
        };
        if self.reauthorized || !matches!(result, Ok(r) if r.status() == StatusCode::UNAUTHORIZED) {
            return false;
        }
        self.reauthorized = true;
        let refusal = cx.shared().tokens().invalidate(generation, cx.now());
        if refusal == Refusal::Final {
            tracing::info!(
                attempt,
                "access token refused, and it is a fresh one: final"
            );
            return false;
        }
        tracing::info!(attempt, "access token refused; retrying with a new one");
        true
    }
}
