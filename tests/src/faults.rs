//! Fault injection: what goes wrong, and for which requests.

use std::time::Duration;

use crate::data::SplitMix;

/// How a 429 says when to come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>`, this far in the future.
    Date(Duration),
    /// `Retry-After: <HTTP date>` of exactly this time (for clients with an injected clock).
    At(std::time::SystemTime),
    /// No `Retry-After` header.
    None,
}

/// The body of an injected 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBody {
    /// An HTML page, as a proxy or load balancer sends.
    Html,
    /// No body at all.
    Empty,
    /// Twilio's JSON error envelope.
    Twilio,
}

/// One thing that can go wrong with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 Too Many Requests (code 20429) with a `Retry-After`.
    TooManyRequests(RetryAfter),
    /// A 5xx status (500, 502, 503, 504, ...) with the given body.
    Status(u16, ErrorBody),
    /// The connection is closed after the request is read, before any response.
    CloseBeforeResponse,
    /// Headers and half the body are sent, then the connection is reset (TCP RST).
    ResetMidBody,
    /// A correct-looking `Content-Length`, half the body, then the connection is closed.
    TruncatedBody,
    /// The answer waits this long before its headers.
    Delay(Duration),
    /// The body trickles out: `chunk` bytes every `interval`.
    Trickle {
        /// Bytes per chunk.
        chunk: usize,
        /// Pause between chunks.
        interval: Duration,
    },
    /// A 200 whose body is this many bytes (valid JSON padded with a long string).
    Oversized(usize),
    /// A 200 whose body is not valid JSON.
    MalformedJson,
    /// A redirect (301, 302, 307, ...) to this absolute URL.
    Redirect(u16, String),
    /// A normal page whose `next_page_uri` is the same path on this other origin
    /// (e.g. `http://127.0.0.1:5555`, or `https://` of this emulator's own host).
    ForeignNextPage(String),
    /// A normal page whose `next_page_uri` is the page just served (a server loop).
    RepeatNextPage,
    /// A normal page whose `next_page_uri` is the page just served with its query parameters
    /// in another order (a loop that exact string comparison misses).
    ReorderedNextPage,
    /// A normal page whose `next_page_uri` is this text, verbatim (another account's listing,
    /// a `..` path, a huge query, ...).
    NextPage(String),
    /// A page with no records whose `next_page_uri` names a new page every time: a listing
    /// that never ends.
    EmptyPageWithNext,
    /// A 200 page of this many empty `{}` records, whatever page size was asked for.
    EmptyRecords(usize),
    /// A 400 in Twilio's envelope whose `details` holds a string of this many bytes.
    HugeErrorDetails(usize),
    /// The normal answer, gzipped (asked for or not) with bytes in its middle flipped.
    CorruptGzip,
    /// A small gzip body that inflates to a valid JSON page of this many bytes.
    GzipBomb(usize),
}

/// Which requests a fault applies to. Request numbers start at 1 and count every request the
/// emulator reads, faulted or not.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Every request.
    Always,
    /// Only the request with this number.
    Nth(u64),
    /// Requests n, 2n, 3n, ...
    EveryNth(u64),
    /// Each request with this probability, from a seeded generator (deterministic for a given
    /// order of requests).
    Random {
        /// Probability in 0.0..=1.0.
        fraction: f64,
        /// The generator's seed.
        seed: u64,
    },
    /// Requests whose path and query contain this text.
    PathContains(String),
}

/// A fault with its trigger, and how many times it may fire.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub(crate) trigger: Trigger,
    pub(crate) fault: Fault,
    pub(crate) remaining: Option<u64>,
    pub(crate) rng: SplitMix,
}

impl FaultRule {
    /// `fault` on the requests `trigger` selects, without limit.
    pub fn new(trigger: Trigger, fault: Fault) -> Self {
        let seed = match &trigger {
            Trigger::Random { seed, .. } => *seed,
            _ => 0,
        };
        FaultRule {
            trigger,
            fault,
            remaining: None,
            rng: SplitMix(seed),
        }
    }

    /// Fire at most `n` times.
    pub fn times(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Whether this rule fires for request number `n` at `target`; consumes one firing if so.
    pub(crate) fn fires(&mut self, n: u64, target: &str, consume: bool) -> bool {
        if self.remaining == Some(0) {
            return false;
        }
        let hit = match &self.trigger {
            Trigger::Always => true,
            Trigger::Nth(k) => n == *k,
            Trigger::EveryNth(k) => *k > 0 && n.is_multiple_of(*k),
            Trigger::Random { fraction, .. } => {
                let draw = (self.rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                draw < *fraction
            }
            Trigger::PathContains(s) => target.contains(s.as_str()),
        };
        if hit
            && consume
            && let Some(r) = self.remaining.as_mut()
        {
            *r -= 1;
        }
        hit && consume
    }
}

/// A list of rules; the first that fires decides the request's fault.
#[derive(Debug, Clone, Default)]
pub struct FaultScript {
    pub(crate) rules: Vec<FaultRule>,
}

impl FaultScript {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds `fault` for the requests `trigger` selects.
    pub fn on(self, trigger: Trigger, fault: Fault) -> Self {
        self.rule(FaultRule::new(trigger, fault))
    }

    pub(crate) fn pick(&mut self, n: u64, target: &str) -> Option<Fault> {
        // Every random rule draws on every request, so each rule's sequence stays the same
        // whatever the other rules do.
        let mut chosen = None;
        for rule in &mut self.rules {
            if rule.fires(n, target, chosen.is_none()) {
                chosen = Some(rule.fault.clone());
            }
        }
        chosen
    }
}
