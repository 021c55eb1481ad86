//! What a response says besides its body: Twilio's request id, how long Twilio took, how many
//! requests the credentials had in flight, the status and every header; and how many attempts
//! the client made to get it.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode, header};

/// What Twilio said about one response, besides its body.
///
/// Twilio sends `Twilio-Request-Id` (`RQ…`, what support asks for), `Twilio-Request-Duration`
/// (seconds, as a decimal) and `Twilio-Concurrent-Requests` (the requests these credentials
/// had in flight, which Twilio limits per account) on every response. Every fetched app and
/// page, and every error that came from a response, carries one.
///
/// ```
/// use twilio_connect_apps::http;
/// use twilio_connect_apps::wire::response_meta;
/// let response = http::Response::builder()
///     .status(404)
///     .header("Twilio-Request-Id", "RQ0123456789abcdef0123456789abcdef")
///     .header("Twilio-Request-Duration", "0.042")
///     .header("Twilio-Concurrent-Requests", "3")
///     .body(Vec::<u8>::new())?;
/// let meta = response_meta(&response);
/// assert_eq!(meta.request_id.as_deref(), Some("RQ0123456789abcdef0123456789abcdef"));
/// assert_eq!(meta.duration, Some(std::time::Duration::from_millis(42)));
/// assert_eq!((meta.concurrent_requests, meta.status.as_u16()), (Some(3), 404));
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: StatusCode,
    /// `Twilio-Request-Id`: quote it to Twilio's support.
    pub request_id: Option<String>,
    /// `Twilio-Request-Duration`: how long Twilio took.
    pub duration: Option<Duration>,
    /// `Twilio-Concurrent-Requests`: requests these credentials had in flight.
    pub concurrent_requests: Option<u32>,
    /// How many attempts the client made before this response (1 when the first one was it).
    pub attempts: u32,
    /// Every header, for anything else.
    pub headers: HeaderMap,
}

/// The attempt a response answered, put in its extensions by the exchange that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempts(pub(crate) u32);

impl ResponseMeta {
    /// The `Retry-After` the response carried, if any.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        RetryAfter::of(&self.headers)
    }
}

/// When a server asked to be tried again (`Retry-After`): after a delay, or at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Delay(Duration),
    /// `Retry-After: <HTTP date>`.
    At(SystemTime),
}

impl RetryAfter {
    /// The `Retry-After` of these headers (seconds, or an HTTP date in any of the three forms
    /// RFC 9110 asks recipients to read).
    pub fn of(headers: &HeaderMap) -> Option<RetryAfter> {
        let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }

    /// How long from `now` (a date in the past: no wait).
    pub fn wait_from(self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        assert_eq!(RetryAfter::of(&headers), None);
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(
            RetryAfter::of(&headers),
            Some(RetryAfter::Delay(Duration::from_secs(7)))
        );
        headers.insert(
            header::RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(RetryAfter::of(&headers), Some(RetryAfter::At(at)));
        assert_eq!(
            RetryAfter::At(at).wait_from(at + Duration::from_secs(5)),
            Duration::ZERO
        );
        headers.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(RetryAfter::of(&headers), None);
    }
}
