//! One request and its attempts: the body cap, gzip decoding, the retry decision and the
//! shared 429 gate ([`Gate`]); with OAuth, the session's token ([`Bearer`]). Every other
//! machine sends through one of these.
//!
//! ```text
//!            ┌──────────── Wait(gate) ───────────┐
//!            ▼                                   │
//!  new ──► Ready ──next──► Send ──handle──► decide ──retry──► Wait(backoff) ──► Ready
//!            │                                   └──stop───► Done(response or error)
//!            └─ OAuth: the session's token (use it │ claim the refresh: token exchange │ wait)
//! ```
//!
//! The token comes before the gate: the token request does not wait for the API's gate, and
//! a 429 answered while it was out holds the request that follows it.
//!
//! With OAuth client credentials, each attempt carries the session's access token; a 401 on
//! it makes the token stale, and the request is sent once more with a fresh one.

use std::time::{Duration, SystemTime};

use http::{HeaderValue, Request, Response, StatusCode, header};
use tracing::Level;

use crate::base::meta::Attempts;
use crate::base::redact::REDACTED;
use crate::config::retry::{Outcome, RetryDecision, RetryState};
use crate::error::{Error, TransportError};
use crate::proto::action::{Action, Machine};
use crate::proto::bearer::{Authorized, Bearer};
use crate::proto::context::Context;
use crate::proto::gate::Pass;
use crate::wire::response::request_id;

/// One request sent until it succeeds or the retry policy gives up: a [`Machine`] whose output
/// is the whole response (any status) or the last failure.
///
/// Before each attempt it holds off while the shared 429 gate is closed (once per 429, however
/// many calls share the session); after each attempt it checks the body cap, decodes gzip and
/// asks the configuration's [`RetryPolicy`](crate::RetryPolicy).
pub(crate) struct Exchange {
    request: Request<Vec<u8>>,
    retry: RetryState,
    attempt: u32,
    started: Option<SystemTime>,
    pass: Pass,
    state: State,
    bearer: Bearer<Exchange>,
}

impl std::fmt::Debug for Exchange {
    // Never the request body: the token request's holds the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("attempt", &self.attempt)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

enum State {
    /// The next attempt may go (after the gate).
    Ready,
    /// An attempt is out; `handle` takes its answer.
    Sent,
    /// The policy asked to wait this long before the next attempt.
    Backoff(Duration),
    /// The call is over.
    Done(Result<Response<Vec<u8>>, Error>),
    /// The output was taken.
    Finished,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Ready => "Ready",
            State::Sent => "Sent",
            State::Backoff(_) => "Backoff",
            State::Done(_) => "Done",
            State::Finished => "Finished",
        })
    }
}

impl Exchange {
    /// An exchange for `request` (a request the core built: absolute URI, headers set).
    pub(crate) fn new(request: Request<Vec<u8>>) -> Self {
        Exchange {
            request,
            retry: RetryState::new(),
            attempt: 0,
            started: None,
            pass: Pass::default(),
            state: State::Ready,
            bearer: Bearer::new(true),
        }
    }

    /// The exchange of the token request: it carries no token of its own.
    fn token_request(request: Request<Vec<u8>>) -> Self {
        Exchange {
            bearer: Bearer::new(false),
            ..Exchange::new(request)
        }
    }

    /// Attempts made so far.
    #[cfg(test)]
    fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Takes what the transport made of the last attempt and decides what comes next: the
    /// token's refusal, the body cap and gzip, the retry decision, the gate.
    fn finish(&mut self, cx: &Context<'_>, result: Result<Response<Vec<u8>>, TransportError>) {
        if self.bearer.refused(cx, &result, self.attempt) {
            self.state = State::Ready;
            return;
        }
        let cap = cx.shared().max_body_size;
        let wire = result.as_ref().map_or(0, |r| r.body().len());
        let result = result
            .and_then(|r| check_body(r, cap))
            .and_then(|r| crate::wire::decode::decode(r, cap));
        let result = self.scrub(cx, result);
        let outcome = match &result {
            Ok(response) => Outcome::of_response(response),
            Err(e) => Outcome::Failure(e.kind),
        };
        let now = cx.now();
        self.trace_attempt(&result, wire, now);
        let policy = cx.config().retry_policy();
        let decision = policy.decide(&mut self.retry, &outcome, now, cx.shared().jitter());
        cx.shared()
            .gate()
            .record(&mut self.pass, &result, &decision, now);
        let retryable = outcome.is_retryable();
        self.state = self.conclude(result, retryable, decision);
    }

    /// The response (headers, and the body of an error or a token answer) or failure with
    /// every secret in use replaced: nothing a server reflects reaches an error, a log line or
    /// a report. The token request's answer keeps access tokens (it may hand out the same one
    /// again).
    fn scrub(
        &self,
        cx: &Context<'_>,
        result: Result<Response<Vec<u8>>, TransportError>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let redactor = cx.shared().redactor(self.bearer.enabled());
        if redactor.is_empty() {
            return result;
        }
        let response = match result {
            Ok(response) => response,
            Err(e) => return Err(e.scrubbed(&redactor)),
        };
        let (mut parts, mut body) = response.into_parts();
        for value in parts.headers.values_mut() {
            if redactor.finds(value.as_bytes()) {
                let clean = redactor.scrub_vec(value.as_bytes().to_vec());
                *value = HeaderValue::from_bytes(&clean)
                    .unwrap_or_else(|_| HeaderValue::from_static(REDACTED));
            }
        }
        // A success body is data, read field by field (scanning every page would cost a tenth
        // of a listing); the errors made from it are scrubbed where they are made.
        if !parts.status.is_success() || !self.bearer.enabled() {
            body = redactor.scrub_vec(body);
        }
        Ok(Response::from_parts(parts, body))
    }

    /// The state a decision leads to: a backoff, or the output (with its attempt count).
    fn conclude(
        &self,
        result: Result<Response<Vec<u8>>, TransportError>,
        retryable: bool,
        decision: RetryDecision,
    ) -> State {
        let attempts = self.attempt;
        match decision {
            RetryDecision::Retry(wait) => {
                self.trace_retry(&result, wait);
                State::Backoff(wait)
            }
            RetryDecision::Stop => {
                if retryable {
                    tracing::debug!(attempts, "giving up: the retry budget is spent");
                }
                State::Done(match result {
                    Ok(mut response) => {
                        response.extensions_mut().insert(Attempts(attempts));
                        Ok(response)
                    }
                    Err(e) => Err(Error::Transport(e.with_attempts(attempts))),
                })
            }
        }
    }
    /// One event per attempt, at `debug`: what was sent and what came of it. Never headers.
    fn trace_attempt(
        &self,
        result: &Result<Response<Vec<u8>>, TransportError>,
        wire: usize,
        now: SystemTime,
    ) {
        if !tracing::enabled!(Level::DEBUG) {
            return;
        }
        let ms = self
            .started
            .and_then(|s| now.duration_since(s).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let method = self.request.method().as_str();
        let target = self
            .request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str());
        match result {
            Ok(r) => tracing::debug!(
                attempt = self.attempt,
                method,
                target,
                status = r.status().as_u16(),
                request_id = request_id(r.headers()).unwrap_or(""),
                bytes = wire,
                decoded = r.body().len(),
                ms,
                "response"
            ),
            Err(e) => tracing::debug!(
                attempt = self.attempt,
                method,
                target,
                error = ?e.kind,
                ms,
                "attempt failed: {e}"
            ),
        }
    }

    /// A retry, at `info` for a 429 (the server asked to slow down) and `warn` otherwise.
    fn trace_retry(&self, result: &Result<Response<Vec<u8>>, TransportError>, wait: Duration) {
        let wait_ms = wait.as_millis() as u64;
        let attempt = self.attempt;
        match result {
            Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                tracing::info!(
                    attempt,
                    wait_ms,
                    reason = "HTTP 429",
                    "rate limited; retrying"
                )
            }
            Ok(r) => tracing::warn!(
                attempt,
                wait_ms,
                reason = %format_args!("HTTP {}", r.status().as_u16()),
                "retrying"
            ),
            Err(e) => tracing::warn!(attempt, wait_ms, reason = %e, "retrying"),
        }
    }
}

/// Checks a transport's response against the body cap (a transport that ignored it is caught
/// here).
fn check_body(response: Response<Vec<u8>>, cap: u64) -> Result<Response<Vec<u8>>, TransportError> {
    if response.body().len() as u64 > cap {
        return Err(TransportError::body_too_large(cap));
    }
    Ok(response)
}

impl Machine for Exchange {
    type Output = Result<Response<Vec<u8>>, Error>;

    fn next(&mut self, cx: &Context<'_>) -> Action<Self::Output> {
        match std::mem::replace(&mut self.state, State::Ready) {
            State::Done(result) => {
                self.state = State::Finished;
                return Action::Done(result);
            }
            State::Finished => {
                self.state = State::Finished;
                return Action::Done(Err(Error::input(
                    "exchange",
                    "this exchange is finished: its output was taken",
                )));
            }
            State::Backoff(wait) => return Action::Wait(wait),
            State::Ready | State::Sent => {}
        }
        // The token first (its request does not wait for the API's gate), then the gate: a
        // 429 that arrived while the token was fetched holds this request too.
        let authorization = match self.bearer.authorize(cx, Exchange::token_request) {
            Authorized::With(authorization) => authorization,
            Authorized::Not(Action::Done(result)) => {
                self.state = State::Finished;
                return Action::Done(result);
            }
            Authorized::Not(action) => return action,
        };
        if let Some(wait) = cx.shared().gate().wait(&mut self.pass, cx.now()) {
            return Action::Wait(wait);
        }
        self.attempt += 1;
        cx.shared().gate().sending(&mut self.pass);
        // Durations are measured only when someone listens.
        if tracing::enabled!(Level::DEBUG) {
            self.started = Some(cx.now());
        }
        self.state = State::Sent;
        let mut request = self.request.clone();
        if let Some(value) = authorization {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        Action::Send(request)
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        if self.bearer.refreshing() {
            self.bearer.handle(cx, response);
        } else if matches!(self.state, State::Sent) {
            self.finish(cx, response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::credentials::Credentials;
    use crate::config::settings::Config;
    use crate::proto::session::Session;
    use std::time::UNIX_EPOCH;

    fn response(
        status: u16,
        retry_after: Option<&str>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let mut r = Response::builder().status(status);
        if let Some(v) = retry_after {
            r = r.header(http::header::RETRY_AFTER, v);
        }
        Ok(r.body(Vec::new()).unwrap())
    }

    /// A session with OAuth client credentials (secret `client-SECRET`).
    fn oauth_session() -> Session {
        Session::new(
            Config::new(Credentials::oauth_client(
                "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
                "OQ1",
                crate::Secret::new("client-SECRET"),
            ))
            .with_oauth_base_url("http://127.0.0.1:9")
            .unwrap(),
        )
    }

    /// A token service's answer with this token, living 10 minutes.
    fn token(value: &str) -> Result<Response<Vec<u8>>, TransportError> {
        Ok(Response::new(
            format!(r#"{{"access_token": "{value}", "token_type": "Bearer", "expires_in": 600}}"#)
                .into_bytes(),
        ))
    }

    fn sent(action: Action<Result<Response<Vec<u8>>, Error>>) -> bool {
        matches!(action, Action::Send(_))
    }

    #[test]
    fn a_429_holds_off_every_call_sharing_the_session_once() {
        let session = Session::new(Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            crate::Secret::new("t"),
        )));
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000));
        let request = || {
            Request::get("https://api.twilio.com/x")
                .body(Vec::new())
                .unwrap()
        };
        let (mut a, mut b, mut c) = (
            Exchange::new(request()),
            Exchange::new(request()),
            Exchange::new(request()),
        );
        // B is in flight when A meets a 429 asking for 5 s.
        assert!(sent(a.next(&cx)) && sent(b.next(&cx)));
        a.handle(&cx, response(429, Some("5")));
        let Action::Wait(wait) = a.next(&cx) else {
            panic!()
        };
        assert_eq!(wait, Duration::from_secs(5));
        // A waits its own 5 s, not twice; B's next attempt and C hold off too.
        assert!(sent(a.next(&cx)));
        b.handle(&cx, response(503, None));
        let Action::Wait(_) = b.next(&cx) else {
            panic!()
        };
        let Action::Wait(gate) = b.next(&cx) else {
            panic!()
        };
        assert_eq!(gate, Duration::from_secs(5));
        assert!(sent(b.next(&cx)), "once per 429");
        let Action::Wait(gate) = c.next(&cx) else {
            panic!()
        };
        assert_eq!(gate, Duration::from_secs(5));
        // A's retry, sent after the 429, succeeds: the gate lifts for calls that come later.
        a.handle(&cx, response(200, None));
        let Action::Done(Ok(_)) = a.next(&cx) else {
            panic!()
        };
        let mut d = Exchange::new(request());
        assert!(sent(d.next(&cx)));
        assert_eq!(a.attempts(), 2);
    }

    #[test]
    fn oauth_fetches_a_token_then_refreshes_once_on_a_401() {
        let session = oauth_session();
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000));

        let mut api = Exchange::new(
            crate::wire::request::fetch_request(
                session.config(),
                &"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
                None,
            )
            .unwrap(),
        );
        let sent = |action: Action<Result<Response<Vec<u8>>, Error>>| match action {
            Action::Send(r) => {
                assert!(!format!("{:?}", Action::<()>::Send(r.clone())).contains("SECRET"));
                r
            }
            other => panic!("{other:?}"),
        };
        let first = sent(api.next(&cx));
        assert_eq!(
            (first.method(), first.uri().path()),
            (&http::Method::POST, "/v2/token")
        );
        assert!(String::from_utf8_lossy(first.body()).contains("grant_type=client_credentials"));
        // Its Debug says what it is (the API request, waiting for its token) and never the
        // client secret of the token request it sent.
        let shown = format!("{api:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(
            shown.contains("GET") && shown.contains("CNaaaa") && shown.contains("state: Ready"),
            "{shown}"
        );
        api.handle(&cx, token("T1"));
        let call = sent(api.next(&cx));
        assert_eq!(call.headers()[http::header::AUTHORIZATION], "Bearer T1");
        assert!(call.headers()[http::header::AUTHORIZATION].is_sensitive());
        api.handle(&cx, response(401, None));
        let refresh = sent(api.next(&cx));
        assert_eq!(refresh.uri().path(), "/v2/token");
        api.handle(&cx, token("T2"));
        let again = sent(api.next(&cx));
        assert_eq!(again.headers()[http::header::AUTHORIZATION], "Bearer T2");
        // Only once: a second 401 is the answer.
        api.handle(&cx, response(401, None));
        let Action::Done(Ok(r)) = api.next(&cx) else {
            panic!()
        };
        assert_eq!(r.status(), 401);
        assert_eq!(session.token_requests(), 2);
    }
    #[test]
    fn a_429_answered_while_a_token_is_fetched_holds_the_request_that_waited_for_it() {
        // Found by the seeded simulation (sim/): the request that fetched the token went
        // out past the gate, and its success then lifted the gate for everyone.
        let session = oauth_session();
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000));

        let request = || {
            Request::get("https://api.twilio.com/x")
                .body(Vec::new())
                .unwrap()
        };
        // C fetches the first token and is answered.
        let mut c = Exchange::new(request());
        assert!(sent(c.next(&cx)));
        c.handle(&cx, token("T1"));
        assert!(sent(c.next(&cx)));
        c.handle(&cx, response(200, None));
        let Action::Done(Ok(_)) = c.next(&cx) else {
            panic!()
        };
        // 9 minutes on, inside the refresh margin: A refreshes, B goes with the old token.
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000 + 550));
        let (mut a, mut b) = (Exchange::new(request()), Exchange::new(request()));
        let Action::Send(refresh) = a.next(&cx) else {
            panic!()
        };
        assert_eq!(refresh.uri().path(), "/v2/token");
        assert!(sent(b.next(&cx)));
        // B is answered 429 (5 s) while the token is out; then the token arrives: A holds
        // off as any other request would.
        b.handle(&cx, response(429, Some("5")));
        a.handle(&cx, token("T2"));
        let Action::Wait(gate) = a.next(&cx) else {
            panic!("A went out past the gate")
        };
        assert_eq!(gate, Duration::from_secs(5));
        assert!(sent(a.next(&cx)));
    }
    #[test]
    fn an_answer_that_reflects_the_auth_token_is_handed_on_without_it() {
        let session = Session::new(Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            crate::Secret::new("tok-SECRET-123"),
        )));
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000));
        // An error's body is scrubbed; a success body is data, read field by field (errors
        // made from it are scrubbed where they are made).
        for status in [403, 404] {
            let mut x = Exchange::new(
                Request::get("https://api.twilio.com/x")
                    .body(Vec::new())
                    .unwrap(),
            );
            assert!(sent(x.next(&cx)));
            let answer = Response::builder()
                .status(status)
                .header("x-echo", "tok-SECRET-123")
                .body(br#"{"message": "you sent tok-SECRET-123"}"#.to_vec())
                .unwrap();
            x.handle(&cx, Ok(answer));
            let Action::Done(Ok(r)) = x.next(&cx) else {
                panic!()
            };
            let body = String::from_utf8_lossy(r.body()).into_owned();
            assert!(
                !body.contains("SECRET") && body.contains("you sent"),
                "{status}: {body}"
            );
            assert!(!r.headers()["x-echo"].to_str().unwrap().contains("SECRET"));
        }
    }
}
