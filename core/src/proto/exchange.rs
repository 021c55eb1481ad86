//! One request and its attempts: the body cap, gzip decoding, the retry decision and the
//! shared 429 gate. Every other machine sends through one of these.
//!
//! ```text
//!            ┌──────────── Wait(gate) ───────────┐
//!            ▼                                   │
//!  new ──► Ready ──next──► Send ──handle──► decide ──retry──► Wait(backoff) ──► Ready
//!                                                └──stop───► Done(response or error)
//! ```

use std::time::{Duration, SystemTime};

use http::{Request, Response, StatusCode};
use tracing::Level;

use crate::config::retry::{Outcome, RetryDecision, RetryState};
use crate::error::{Error, TransportError};
use crate::proto::action::{Action, Machine};
use crate::proto::session::Context;

/// One request sent until it succeeds or the retry policy gives up: a [`Machine`] whose output
/// is the whole response (any status) or the last failure.
///
/// Before each attempt it holds off while the shared 429 gate is closed (once per 429, however
/// many calls share the session); after each attempt it checks the body cap, decodes gzip and
/// asks the configuration's [`RetryPolicy`](crate::RetryPolicy).
#[derive(Debug)]
pub struct Exchange {
    request: Request<()>,
    retry: RetryState,
    attempt: u32,
    started: Option<SystemTime>,
    /// The gate generation this call already waited for (or set): it waits once per 429.
    covered: u64,
    /// The gate generation when the last attempt started.
    sent_under: u64,
    state: State,
}

#[derive(Debug)]
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

impl Exchange {
    /// An exchange for `request` (a request the core built: absolute URI, headers set).
    pub fn new(request: Request<()>) -> Self {
        Exchange {
            request,
            retry: RetryState::new(),
            attempt: 0,
            started: None,
            covered: 0,
            sent_under: 0,
            state: State::Ready,
        }
    }

    /// The request this exchange sends.
    pub fn request(&self) -> &Request<()> {
        &self.request
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// How long to hold off before the next attempt because a 429 on this session (from this
    /// call or any other sharing it, e.g. a sweep's) asked to: shared back-pressure.
    fn gate_wait(&mut self, cx: &Context<'_>) -> Option<Duration> {
        let gate = cx.session().gate();
        let until = gate.until?;
        if gate.generation == self.covered {
            return None;
        }
        self.covered = gate.generation;
        let wait = until.duration_since(cx.now()).ok()?;
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "holding off: the server asked this client to slow down"
        );
        Some(wait)
    }

    /// Takes what the transport made of the last attempt and decides what comes next.
    fn finish(&mut self, cx: &Context<'_>, result: Result<Response<Vec<u8>>, TransportError>) {
        let session = cx.session();
        let cap = session.max_body_size();
        let wire = result.as_ref().map_or(0, |r| r.body().len());
        let result = result
            .and_then(|r| check_body(r, cap))
            .and_then(|r| crate::wire::decode::decode(r, cap));
        let outcome = match &result {
            Ok(response) => Outcome::of_response(response),
            Err(e) => Outcome::Failure(e.kind),
        };
        let now = cx.now();
        self.trace_attempt(&result, wire, now);
        let decision =
            cx.config()
                .retry_policy()
                .decide(&mut self.retry, &outcome, now, cx.random());
        let rate_limited = matches!(&result, Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS);
        {
            let mut gate = session.gate();
            match decision {
                RetryDecision::Retry(wait) if rate_limited => {
                    // Everyone sharing this session holds off as long as this call waits.
                    let until = now + wait;
                    gate.until = Some(gate.until.map_or(until, |u| u.max(until)));
                    gate.generation += 1;
                    self.covered = gate.generation;
                }
                _ if !rate_limited && result.is_ok() && self.sent_under == gate.generation => {
                    // Sent after the last 429 and answered: the server takes requests again.
                    gate.until = None;
                }
                _ => {}
            }
        }
        self.state = match decision {
            RetryDecision::Retry(wait) => {
                self.trace_retry(&result, wait);
                State::Backoff(wait)
            }
            RetryDecision::Stop => {
                if outcome.is_retryable() {
                    tracing::debug!(
                        attempts = self.attempt,
                        "giving up: the retry budget is spent"
                    );
                }
                State::Done(result.map_err(Error::Transport))
            }
        };
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
        if let Some(wait) = self.gate_wait(cx) {
            return Action::Wait(wait);
        }
        self.attempt += 1;
        self.sent_under = cx.session().gate().generation;
        // Durations are measured only when someone listens.
        if tracing::enabled!(Level::DEBUG) {
            self.started = Some(cx.now());
        }
        self.state = State::Sent;
        Action::Send(self.request.clone())
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        if matches!(self.state, State::Sent) {
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

    fn sent(action: Action<Result<Response<Vec<u8>>, Error>>) -> bool {
        matches!(action, Action::Send(_))
    }

    #[test]
    fn a_429_holds_off_every_call_sharing_the_session_once() {
        let session = Session::new(Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            crate::Secret::new("t"),
        )));
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000), 0);
        let request = || Request::get("https://api.twilio.com/x").body(()).unwrap();
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
}
