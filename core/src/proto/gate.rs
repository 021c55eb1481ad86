//! The session's shared 429 gate: after a 429, every request of the session holds off until
//! its `Retry-After` has passed, once per 429 however many requests share the session; and
//! the 429 counts an adaptive sweep reads.

use std::time::{Duration, SystemTime};

use http::{Response, StatusCode};

use crate::api::header as twilio;
use crate::config::retry::RetryDecision;
use crate::error::TransportError;

/// Until when the server asked this session to hold off, and which 429 said so.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    pub(crate) until: Option<SystemTime>,
    pub(crate) generation: u64,
    /// 429s met so far, and the fewest requests in flight any of them counted
    /// (`Twilio-Concurrent-Requests`) since a sweep last looked.
    pub(crate) throttled: u64,
    pub(crate) concurrency_at_429: Option<u32>,
}

/// One request's place at the gate: which 429 it already waited for, and under which it was
/// last sent.
#[derive(Debug, Default)]
pub(crate) struct Pass {
    /// The gate generation this request already waited for (or set): it waits once per 429.
    covered: u64,
    /// The gate generation when the last attempt started.
    sent_under: u64,
}

impl Gate {
    /// How long `pass` holds off before its next attempt because a 429 on this session (from
    /// it or any other request sharing the session) asked to: shared back-pressure.
    pub(crate) fn wait(&self, pass: &mut Pass, now: SystemTime) -> Option<Duration> {
        let until = self.until?;
        if self.generation == pass.covered {
            return None;
        }
        pass.covered = self.generation;
        let wait = until.duration_since(now).ok()?;
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "holding off: the server asked this client to slow down"
        );
        Some(wait)
    }

    /// `pass` sends an attempt now.
    pub(crate) fn sending(&self, pass: &mut Pass) {
        pass.sent_under = self.generation;
    }

    /// Takes in an attempt's result and the retry decision on it: a 429 is counted (with
    /// the concurrency Twilio counted) and, retried, closes the gate for as long as its
    /// request waits; an answer to a request sent after the last 429 opens it again.
    pub(crate) fn record(
        &mut self,
        pass: &mut Pass,
        result: &Result<Response<Vec<u8>>, TransportError>,
        decision: &RetryDecision,
        now: SystemTime,
    ) {
        let rate_limited = matches!(result, Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS);
        if rate_limited {
            self.throttled += 1;
            let counted: Option<u32> = result
                .as_ref()
                .ok()
                .and_then(|r| r.headers().get(twilio::CONCURRENT_REQUESTS))
                .and_then(|v| v.to_str().ok()?.trim().parse().ok());
            // The lowest count any 429 carried is the closest to the account's limit.
            self.concurrency_at_429 = match (self.concurrency_at_429, counted) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        match decision {
            RetryDecision::Retry(wait) if rate_limited => {
                // Everyone sharing this session holds off as long as this request waits.
                let until = now.checked_add(*wait).unwrap_or(now);
                self.until = Some(self.until.map_or(until, |u| u.max(until)));
                self.generation += 1;
                pass.covered = self.generation;
            }
            _ if !rate_limited && result.is_ok() && pass.sent_under == self.generation => {
                // Sent after the last 429 and answered: the server takes requests again.
                self.until = None;
            }
            _ => {}
        }
    }
}
