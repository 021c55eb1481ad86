//! Retry decisions: a pure function of the attempt, the outcome, the time and a [`Jitter`]
//! draw.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::base::meta::RetryAfter;
use crate::error::{Error, TransportErrorKind, status_is_retryable};

/// How many attempts and how much waiting a call may spend on retries.
///
/// GET is idempotent, so 429, 500, 502, 503, 504 and connect/reset/timeout/decode failures are
/// retried. A 429 has a budget of its own ([`RetryPolicy::max_rate_limited_attempts`], 10 by
/// default): Twilio asks clients to back off and come back, not to give up, so a burst of 429s
/// in a long sweep does not fail an account the way a broken server would.
/// A `Retry-After` header (seconds or an HTTP date) is honoured, capped at
/// [`RetryPolicy::max_retry_after`]; otherwise the wait is capped exponential backoff with full
/// jitter: a uniform draw from `0..=min(max_delay, base_delay * 2^(retry-1))`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use twilio_connect_apps::RetryPolicy;
/// use twilio_connect_apps::config::{Jitter, Outcome, RetryDecision, RetryState};
/// let policy = RetryPolicy::default();
/// let mut state = RetryState::new();
/// let headers = http::HeaderMap::new();
/// let busy = Outcome::Response { status: http::StatusCode::SERVICE_UNAVAILABLE, headers: &headers };
/// // The jitter is injected: the middle of the window.
/// let d = policy.decide(&mut state, &busy, UNIX_EPOCH, Jitter::at(0.5));
/// assert_eq!(d, RetryDecision::Retry(Duration::from_millis(250)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_rate_limited_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    max_total_wait: Duration,
    /// A fixed point of every backoff window instead of a random one (tests).
    fixed_jitter: Option<Jitter>,
}

/// Where in its window a backoff wait falls: a uniform draw, or a fixed point.
///
/// There is no way to hand over a raw number that the policy would read as a fraction of
/// 2^64 (where a small "random" number would mean no wait at all): a draw is made from a seed
/// that is mixed first (SplitMix64), so any seed gives a uniformly spread point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Jitter(u64);

impl Jitter {
    /// A uniformly spread point, mixed from any `seed` (SplitMix64's step from state `seed`:
    /// every seed, even `0` or `7`, lands anywhere in the window; its output function alone
    /// would keep `0` at the window's start).
    pub fn from_seed(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Jitter(z ^ (z >> 31))
    }

    /// The point `fraction` of the way through the window (clamped to `0.0..=1.0`; `0.5`: the
    /// middle), for tests that assert exact waits.
    pub fn at(fraction: f64) -> Self {
        // 2^64 as f64; the cast saturates at u64::MAX.
        let scaled = fraction.clamp(0.0, 1.0) * 18_446_744_073_709_551_616.0;
        Jitter(scaled as u64)
    }
}

impl Default for RetryPolicy {
    /// 4 attempts (and 10 answered 429), 500 ms base, 8 s per-wait cap, `Retry-After` capped
    /// at 30 s, 60 s of waiting in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            max_rate_limited_attempts: 10,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(60),
            fixed_jitter: None,
        }
    }
}

impl RetryPolicy {
    /// No retries: every outcome goes straight to the caller.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_rate_limited_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts that did not end in a 429, including the first (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Attempts that may end in a 429 (at least 1); the total wait still bounds them.
    pub fn with_max_rate_limited_attempts(mut self, attempts: u32) -> Self {
        self.max_rate_limited_attempts = attempts.max(1);
        self
    }

    /// The first backoff window; it doubles with each retry.
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff window.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` that is honoured; longer ones wait this long.
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The most time one call may spend waiting between attempts.
    pub fn with_max_total_wait(mut self, wait: Duration) -> Self {
        self.max_total_wait = wait;
        self
    }

    /// Every backoff waits this point of its window (see [`Jitter::at`]) instead of a random
    /// one: for tests that assert the exact waits. Never against a real server: clients
    /// started together would retry in step.
    pub fn with_fixed_jitter(mut self, jitter: Jitter) -> Self {
        self.fixed_jitter = Some(jitter);
        self
    }

    /// Attempts that did not end in a 429, including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Attempts that may end in a 429.
    pub fn max_rate_limited_attempts(&self) -> u32 {
        self.max_rate_limited_attempts
    }

    /// The first backoff window.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The largest backoff window.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The most waiting one call may do.
    pub fn max_total_wait(&self) -> Duration {
        self.max_total_wait
    }

    /// Decides what to do after an attempt, and records the wait in `state` when it says retry.
    ///
    /// Call it after every attempt, success included (a success always gets
    /// [`RetryDecision::Stop`]). `now` is used only for `Retry-After` dates; `jitter` picks
    /// the point of the backoff window (the policy's fixed jitter, if set, wins).
    #[must_use = "the decision says whether to wait and send again"]
    pub fn decide(
        &self,
        state: &mut RetryState,
        outcome: &Outcome<'_>,
        now: SystemTime,
        jitter: Jitter,
    ) -> RetryDecision {
        let random = self.fixed_jitter.unwrap_or(jitter).0;
        state.attempts = state.attempts.saturating_add(1);
        let spent = if outcome.is_rate_limited() {
            state.rate_limited = state.rate_limited.saturating_add(1);
            state.rate_limited >= self.max_rate_limited_attempts
        } else {
            state.attempts.saturating_sub(state.rate_limited) >= self.max_attempts
        };
        if !outcome.is_retryable() || spent {
            return RetryDecision::Stop;
        }
        let wait = match outcome.retry_after(now) {
            Some(asked) => asked.min(self.max_retry_after),
            None => self.backoff(state.attempts, random),
        };
        let total = state.waited.saturating_add(wait);
        if total > self.max_total_wait {
            return RetryDecision::Stop;
        }
        state.waited = total;
        RetryDecision::Retry(wait)
    }

    /// Full jitter over the capped exponential window for the `retry`-th retry (1-based).
    fn backoff(&self, retry: u32, random: u64) -> Duration {
        let shift = retry.saturating_sub(1).min(32);
        let window = self
            .base_delay
            .saturating_mul(1u32 << shift.min(31))
            .min(self.max_delay);
        let nanos = window.as_nanos();
        let picked = (nanos.saturating_mul(u128::from(random))) >> 64;
        Duration::from_nanos(u64::try_from(picked).unwrap_or(u64::MAX))
    }
}

/// What a call has spent so far: attempts made and time waited. Start a new one per call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryState {
    attempts: u32,
    /// Of those, the ones answered 429.
    rate_limited: u32,
    waited: Duration,
}

impl RetryState {
    /// Nothing spent yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attempts decided on so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time waited so far.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

/// What an attempt came to.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response arrived (any status).
    Response {
        /// Its status.
        status: StatusCode,
        /// Its headers (for `Retry-After`).
        headers: &'a HeaderMap,
    },
    /// The transport failed before a whole response arrived.
    Failure(TransportErrorKind),
}

impl<'a> Outcome<'a> {
    /// The outcome of a response that arrived.
    pub fn of_response<B>(response: &'a http::Response<B>) -> Outcome<'a> {
        Outcome::Response {
            status: response.status(),
            headers: response.headers(),
        }
    }

    /// The outcome a finished call's error stands for, for errors that came from a response or
    /// from the transport (other errors are never retried).
    pub fn of_error(error: &Error) -> Option<Outcome<'static>> {
        match error {
            Error::Transport(t) => Some(Outcome::Failure(t.kind)),
            _ => None,
        }
    }

    /// Whether the server said 429 (Too Many Requests).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Outcome::Response { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether this outcome may be retried at all.
    pub fn is_retryable(&self) -> bool {
        match self {
            Outcome::Response { status, .. } => status_is_retryable(*status),
            Outcome::Failure(kind) => kind.is_retryable(),
        }
    }

    fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        let Outcome::Response { headers, .. } = self else {
            return None;
        };
        RetryAfter::of(headers).map(|r| r.wait_from(now))
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum RetryDecision {
    /// Sleep this long, then send the same request again.
    Retry(Duration),
    /// Hand the outcome to the caller (success, a final error, or the budget is spent).
    Stop,
}

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime), as RFC 9110 asks recipients to.
#[cfg(test)]
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};
    use std::time::UNIX_EPOCH;

    fn response(status: u16, retry_after: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        }
        let _ = status;
        h
    }

    fn decide_once(
        policy: &RetryPolicy,
        status: u16,
        headers: &HeaderMap,
        random: u64,
    ) -> RetryDecision {
        let mut state = RetryState::new();
        let outcome = Outcome::Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
        };
        policy.decide(
            &mut state,
            &outcome,
            UNIX_EPOCH + Duration::from_secs(784_111_777),
            Jitter(random),
        )
    }

    #[test]
    fn which_statuses_and_failures_retry() {
        let p = RetryPolicy::default();
        let h = HeaderMap::new();
        for s in [429, 500, 502, 503, 504] {
            assert!(
                matches!(decide_once(&p, s, &h, 0), RetryDecision::Retry(_)),
                "{s}"
            );
        }
        for s in [200, 301, 400, 401, 403, 404, 405, 501, 505] {
            assert_eq!(decide_once(&p, s, &h, 0), RetryDecision::Stop, "{s}");
        }
        for (kind, retry) in [
            (TransportErrorKind::Connect, true),
            (TransportErrorKind::Reset, true),
            (TransportErrorKind::Timeout, true),
            (TransportErrorKind::Decode, true),
            (TransportErrorKind::Tls, false),
            (TransportErrorKind::BodyTooLarge, false),
            (TransportErrorKind::Other, false),
        ] {
            let d = p.decide(
                &mut RetryState::new(),
                &Outcome::Failure(kind),
                UNIX_EPOCH,
                Jitter(0),
            );
            assert_eq!(matches!(d, RetryDecision::Retry(_)), retry, "{kind:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates_are_honoured_and_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide_once(&p, 429, &response(429, Some("7")), 0),
            RetryDecision::Retry(Duration::from_secs(7))
        );
        assert_eq!(
            decide_once(&p, 429, &response(429, Some("0")), 0),
            RetryDecision::Retry(Duration::ZERO)
        );
        assert_eq!(
            decide_once(&p, 503, &response(503, Some("3600")), 0),
            RetryDecision::Retry(Duration::from_secs(30))
        );
        // now = Sun, 06 Nov 1994 08:49:37 GMT (784111777)
        assert_eq!(
            decide_once(
                &p,
                503,
                &response(503, Some("Sun, 06 Nov 1994 08:49:49 GMT")),
                0
            ),
            RetryDecision::Retry(Duration::from_secs(12))
        );
        assert_eq!(
            decide_once(
                &p,
                503,
                &response(503, Some("Sunday, 06-Nov-94 08:49:40 GMT")),
                0
            ),
            RetryDecision::Retry(Duration::from_secs(3))
        );
        // a date in the past: retry now
        assert_eq!(
            decide_once(
                &p,
                503,
                &response(503, Some("Sat, 05 Nov 1994 08:49:37 GMT")),
                0
            ),
            RetryDecision::Retry(Duration::ZERO)
        );
        // garbage falls back to backoff (random 0 -> 0 ms)
        assert_eq!(
            decide_once(&p, 503, &response(503, Some("soon")), 0),
            RetryDecision::Retry(Duration::ZERO)
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_481_599))
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_is_capped_exponential_full_jitter() {
        let p = RetryPolicy::default()
            .with_max_attempts(10)
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(1000))
            .with_max_total_wait(Duration::from_secs(3600));
        let h = HeaderMap::new();
        let busy = Outcome::Response {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers: &h,
        };
        let mut state = RetryState::new();
        let windows: Vec<Duration> = (0..6)
            .map(
                |_| match p.decide(&mut state, &busy, UNIX_EPOCH, Jitter(u64::MAX)) {
                    RetryDecision::Retry(d) => d,
                    RetryDecision::Stop => panic!("stopped early"),
                },
            )
            .collect();
        let ms: Vec<u128> = windows
            .iter()
            .map(|d| (d.as_nanos() + 500_000) / 1_000_000)
            .collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        // random 0 waits nothing; the middle waits half the window
        let mut s = RetryState::new();
        assert_eq!(
            p.decide(&mut s, &busy, UNIX_EPOCH, Jitter(0)),
            RetryDecision::Retry(Duration::ZERO)
        );
        let mut s = RetryState::new();
        assert_eq!(
            p.decide(&mut s, &busy, UNIX_EPOCH, Jitter(1 << 63)),
            RetryDecision::Retry(Duration::from_millis(50))
        );
    }

    #[test]
    fn attempts_and_total_wait_are_bounded() {
        let h = HeaderMap::new();
        let busy = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: &h,
        };
        let p = RetryPolicy::default().with_max_total_wait(Duration::from_secs(3600));
        let mut s = RetryState::new();
        let mut retries = 0;
        while let RetryDecision::Retry(_) = p.decide(&mut s, &busy, UNIX_EPOCH, Jitter(u64::MAX)) {
            retries += 1;
        }
        assert_eq!(retries, 9, "10 attempts answered 429 by default");
        assert_eq!(s.attempts(), 10);
        // Other failures: 4 attempts in all, whatever 429s came before them.
        let h503 = HeaderMap::new();
        let down = Outcome::Response {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers: &h503,
        };
        let mut s = RetryState::new();
        for _ in 0..5 {
            assert!(matches!(
                p.decide(&mut s, &busy, UNIX_EPOCH, Jitter(0)),
                RetryDecision::Retry(_)
            ));
        }
        let mut retries = 0;
        while let RetryDecision::Retry(_) = p.decide(&mut s, &down, UNIX_EPOCH, Jitter(0)) {
            retries += 1;
        }
        assert_eq!(
            (retries, s.attempts()),
            (3, 9),
            "4 attempts that were not 429s"
        );
        let one = RetryPolicy::default().with_max_rate_limited_attempts(1);
        assert_eq!(
            one.decide(&mut RetryState::new(), &busy, UNIX_EPOCH, Jitter(0)),
            RetryDecision::Stop
        );
        assert_eq!(
            (
                p.max_rate_limited_attempts(),
                one.max_rate_limited_attempts()
            ),
            (10, 1)
        );

        let p = RetryPolicy::default()
            .with_max_attempts(100)
            .with_max_total_wait(Duration::from_secs(10));
        let h = response(429, Some("4"));
        let slow = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: &h,
        };
        let mut s = RetryState::new();
        let mut n = 0;
        while let RetryDecision::Retry(_) = p.decide(&mut s, &slow, UNIX_EPOCH, Jitter(0)) {
            n += 1;
        }
        assert_eq!(n, 2, "4 s + 4 s fits in 10 s, a third 4 s does not");
        assert_eq!(s.waited(), Duration::from_secs(8));

        let off = RetryPolicy::disabled();
        assert_eq!(
            off.decide(&mut RetryState::new(), &busy, UNIX_EPOCH, Jitter(0)),
            RetryDecision::Stop
        );
    }

    #[test]
    fn getters_say_what_was_set() {
        let p = RetryPolicy::default()
            .with_max_attempts(7)
            .with_max_rate_limited_attempts(12)
            .with_base_delay(Duration::from_millis(30))
            .with_max_delay(Duration::from_secs(3))
            .with_max_retry_after(Duration::from_secs(9))
            .with_max_total_wait(Duration::from_secs(40));
        assert_eq!((p.max_attempts(), p.max_rate_limited_attempts()), (7, 12));
        assert_eq!(p.base_delay(), Duration::from_millis(30));
        assert_eq!(p.max_delay(), Duration::from_secs(3));
        assert_eq!(p.max_retry_after(), Duration::from_secs(9));
        assert_eq!(p.max_total_wait(), Duration::from_secs(40));
        let d = RetryPolicy::default();
        assert_eq!((d.max_attempts(), d.max_rate_limited_attempts()), (4, 10));
        assert_eq!(
            (
                d.base_delay(),
                d.max_delay(),
                d.max_retry_after(),
                d.max_total_wait()
            ),
            (
                Duration::from_millis(500),
                Duration::from_secs(8),
                Duration::from_secs(30),
                Duration::from_secs(60)
            )
        );
        let off = RetryPolicy::disabled();
        assert_eq!(
            (off.max_attempts(), off.max_rate_limited_attempts()),
            (1, 1)
        );
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
    }

    #[test]
    fn a_wait_that_fills_the_total_exactly_is_still_waited() {
        let h = response(503, Some("4"));
        let busy = Outcome::Response {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers: &h,
        };
        let p = RetryPolicy::default().with_max_total_wait(Duration::from_secs(8));
        let mut s = RetryState::new();
        let mut waits = Vec::new();
        while let RetryDecision::Retry(d) = p.decide(&mut s, &busy, UNIX_EPOCH, Jitter(0)) {
            waits.push(d);
        }
        assert_eq!(
            waits,
            [Duration::from_secs(4); 2],
            "4 s + 4 s = 8 s, the whole budget"
        );
        assert_eq!(s.waited(), Duration::from_secs(8));
    }

    #[test]
    fn the_outcome_of_a_finished_error() {
        let reset = Error::Transport(crate::error::TransportError::new(
            TransportErrorKind::Reset,
            "reset",
            None,
        ));
        let outcome = Outcome::of_error(&reset).unwrap();
        assert!(matches!(
            outcome,
            Outcome::Failure(TransportErrorKind::Reset)
        ));
        assert!(outcome.is_retryable() && !outcome.is_rate_limited());
        let tls = Error::Transport(crate::error::TransportError::new(
            TransportErrorKind::Tls,
            "bad certificate",
            None,
        ));
        assert!(!Outcome::of_error(&tls).unwrap().is_retryable());
        assert!(Outcome::of_error(&Error::input("x", "y")).is_none());
    }

    #[test]
    fn a_seed_is_mixed_by_splitmix64() {
        // SplitMix64's published first outputs from state 0 (a seed is never used as the
        // point itself).
        let golden = 0x9e37_79b9_7f4a_7c15_u64;
        let outputs: Vec<u64> = (0..3u64)
            .map(|k| Jitter::from_seed(golden.wrapping_mul(k)).0)
            .collect();
        assert_eq!(
            outputs,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
        assert_ne!(
            Jitter::from_seed(0).0,
            0,
            "seed 0 is not the window's start"
        );
    }

    #[test]
    fn a_fixed_jitter_wins_over_the_one_passed_and_keeps_the_other_settings() {
        let p = RetryPolicy::default()
            .with_max_attempts(7)
            .with_fixed_jitter(Jitter::at(0.0));
        assert_eq!(p.max_attempts(), 7);
        let h = HeaderMap::new();
        let mut state = RetryState::new();
        let busy = Outcome::Response {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers: &h,
        };
        for _ in 0..6 {
            assert_eq!(
                p.decide(&mut state, &busy, UNIX_EPOCH, Jitter(u64::MAX)),
                RetryDecision::Retry(Duration::ZERO)
            );
        }
        assert_eq!(
            p.decide(&mut state, &busy, UNIX_EPOCH, Jitter(u64::MAX)),
            RetryDecision::Stop,
            "the 7th attempt is the last"
        );
    }
}
