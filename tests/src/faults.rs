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
    /// An RFC 9457 problem details body (`application/problem+json`: `type`, `title`,
    /// `status`, `code`, `detail`, `instance`, `errors`), the shape Twilio's APIs may answer
    /// errors in since January 2026.
    Problem,
}

/// One thing that can go wrong with a response.
///
/// ```
/// use std::time::Duration;
/// use twilio_connect_apps_testbed::{Emulator, ErrorBody, Fault, FaultRule, FaultScript, RetryAfter, Trigger};
/// let emu = Emulator::builder()
///     .faults(
///         FaultScript::new()
///             // the first request: 429 with Retry-After: 1
///             .on(Trigger::Nth(1), Fault::TooManyRequests(RetryAfter::Seconds(1)))
///             // every fifth request: a 503 with an HTML body, three times at most
///             .rule(FaultRule::new(Trigger::EveryNth(5), Fault::Status(503, ErrorBody::Html)).times(3))
///             // the second page: cut mid-body with a TCP reset
///             .on(Trigger::PathContains("Page=1&".into()), Fault::ResetMidBody),
///     )
///     .start()?;
/// // The same rules from a command line: `twilio-emulator --fault every=5:status=503/html:times=3`.
/// assert_eq!("nth=2:delay=1500".parse::<FaultRule>()?, FaultRule::new(Trigger::Nth(2), Fault::Delay(Duration::from_millis(1500))));
/// # drop(emu);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// A hostile server that reflects what it received: this status, in Twilio's envelope,
    /// whose message quotes the request's `Authorization` header, the decoded Basic
    /// `user:secret` and the token request's form (client secret included), with the Basic
    /// password or bearer token as the `Twilio-Request-Id`. What a client shows of it must
    /// hold no secret.
    Reflect(u16),
    /// A 200 page of this many empty `{}` records, whatever page size was asked for.
    EmptyRecords(usize),
    /// A 400 in Twilio's envelope whose `details` holds a string of this many bytes.
    HugeErrorDetails(usize),
    /// A page of one app whose `permissions` array holds this many bytes of one-letter
    /// strings (`["a","a",…]`): what a parser keeping every element would blow up on.
    ManyPermissions(usize),
    /// The normal answer, gzipped (asked for or not) with bytes in its middle flipped.
    CorruptGzip,
    /// A small gzip body that inflates to a valid JSON page of this many bytes.
    GzipBomb(usize),
}

/// Which requests a fault applies to. A rule counts the API requests (not the `/_emulator/`
/// admin requests) from when it was armed: from the start for rules given at start, and from
/// the moment it was added for rules added later (`nth=1` is then the next request). Counts
/// start at 1 and include every API request, faulted or not.
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
///
/// Also read from text, as `twilio-emulator --fault` takes it: `TRIGGER:FAULT[:times=N]`.
///
/// | trigger | requests |
/// |---|---|
/// | `always` | every one |
/// | `nth=N` | the N-th (1-based, counting every request) |
/// | `every=N` | N, 2N, 3N, ... |
/// | `random=F[/SEED]` | each with probability F (0..=1), from a seeded generator |
/// | `path=TEXT` | those whose path and query contain TEXT (no `:` in it) |
///
/// | fault | answer |
/// |---|---|
/// | `status=CODE[/html\|/empty\|/twilio\|/problem]` | that status (5xx...) with that body (default html; `problem`: RFC 9457) |
/// | `429[=SECS\|=date+SECS\|=none]` | 429 with `Retry-After` in seconds (default 1), a date, or none |
/// | `close`, `reset`, `truncate` | close before answering; reset mid-body; a short body under a full `Content-Length` |
/// | `delay=MS`, `trickle=BYTES/MS` | wait before the headers; send the body BYTES at a time |
/// | `oversized=BYTES`, `malformed` | a huge valid body; a body that is not JSON |
/// | `redirect=CODE/URL` | a redirect |
/// | `foreign-next=ORIGIN`, `repeat-next`, `reordered-next`, `next=URI`, `empty-next` | a page whose next URI is on ORIGIN, itself, itself reordered, URI, or a new empty page |
/// | `empty-records=N`, `huge-details=BYTES` | a page of N `{}` records; a 400 with a huge `details` |
/// | `permissions=BYTES` | a page of one app with a `permissions` array of that many bytes |
/// | `corrupt-gzip`, `gzip-bomb=BYTES` | a broken gzip body; a small gzip body inflating to BYTES |
/// | `reflect=CODE` | CODE in Twilio's envelope, quoting the credentials received |
///
/// ```
/// use twilio_connect_apps_testbed::{ErrorBody, Fault, FaultRule, Trigger};
/// let rule: FaultRule = "every=5:status=503/html:times=3".parse()?;
/// assert_eq!(rule, FaultRule::new(Trigger::EveryNth(5), Fault::Status(503, ErrorBody::Html)).times(3));
/// assert!("sometimes:reset".parse::<FaultRule>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub(crate) trigger: Trigger,
    pub(crate) fault: Fault,
    pub(crate) remaining: Option<u64>,
    pub(crate) rng: SplitMix,
    /// How many times it fired.
    pub(crate) fired: u64,
    /// The API requests the emulator had read when the rule was armed.
    pub(crate) armed_after: u64,
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
            fired: 0,
            armed_after: 0,
        }
    }

    /// How many times the rule fired so far.
    pub fn fired(&self) -> u64 {
        self.fired
    }

    /// How many more times it may fire (`None`: without limit).
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// Fire at most `n` times.
    pub fn times(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Whether this rule fires for API request number `n` (counted since the emulator
    /// started) at `target`; consumes one firing if so.
    pub(crate) fn fires(&mut self, n: u64, target: &str, consume: bool) -> bool {
        if self.remaining == Some(0) {
            return false;
        }
        let n = n.saturating_sub(self.armed_after);
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
        if hit && consume {
            self.fired += 1;
            if let Some(r) = self.remaining.as_mut() {
                *r = r.saturating_sub(1);
            }
        }
        hit && consume
    }
}

impl PartialEq for FaultRule {
    fn eq(&self, other: &Self) -> bool {
        self.trigger == other.trigger
            && self.fault == other.fault
            && self.remaining == other.remaining
    }
}

fn number<T: std::str::FromStr>(what: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{what}: `{v}` is not a number"))
}

impl std::str::FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Trigger, String> {
        let (name, value) = s.split_once('=').unwrap_or((s, ""));
        Ok(match name {
            "always" => Trigger::Always,
            "nth" => Trigger::Nth(number("nth", value)?),
            "every" => Trigger::EveryNth(number("every", value)?),
            "random" => {
                let (f, seed) = value.split_once('/').unwrap_or((value, "1"));
                let fraction: f64 = number("random", f)?;
                if !(0.0..=1.0).contains(&fraction) {
                    return Err(format!("random: {fraction} is not in 0..=1"));
                }
                Trigger::Random {
                    fraction,
                    seed: number("random seed", seed)?,
                }
            }
            "path" if !value.is_empty() => Trigger::PathContains(value.to_owned()),
            _ => {
                return Err(format!(
                    "unknown trigger `{s}` (always, nth=N, every=N, random=F[/SEED], path=TEXT)"
                ));
            }
        })
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let (name, value) = s.split_once('=').unwrap_or((s, ""));
        let ms = |v: &str| number::<u64>(name, v).map(Duration::from_millis);
        Ok(match name {
            "status" => {
                let (code, body) = value.split_once('/').unwrap_or((value, "html"));
                let body = match body {
                    "html" => ErrorBody::Html,
                    "empty" => ErrorBody::Empty,
                    "twilio" => ErrorBody::Twilio,
                    "problem" => ErrorBody::Problem,
                    other => {
                        return Err(format!(
                            "status: body `{other}` is not html, empty, twilio or problem"
                        ));
                    }
                };
                Fault::Status(number("status", code)?, body)
            }
            "429" => Fault::TooManyRequests(match value {
                "" => RetryAfter::Seconds(1),
                "none" => RetryAfter::None,
                v => match v.strip_prefix("date+") {
                    Some(secs) => RetryAfter::Date(Duration::from_secs(number("429 date", secs)?)),
                    None => RetryAfter::Seconds(number("429", v)?),
                },
            }),
            "close" => Fault::CloseBeforeResponse,
            "reset" => Fault::ResetMidBody,
            "truncate" => Fault::TruncatedBody,
            "delay" => Fault::Delay(ms(value)?),
            "trickle" => {
                let (chunk, every) = value.split_once('/').ok_or("trickle=BYTES/MS".to_owned())?;
                Fault::Trickle {
                    chunk: number("trickle", chunk)?,
                    interval: ms(every)?,
                }
            }
            "oversized" => Fault::Oversized(number(name, value)?),
            "malformed" => Fault::MalformedJson,
            "redirect" => {
                let (code, url) = value
                    .split_once('/')
                    .ok_or("redirect=CODE/URL".to_owned())?;
                Fault::Redirect(number("redirect", code)?, url.to_owned())
            }
            "foreign-next" if !value.is_empty() => Fault::ForeignNextPage(value.to_owned()),
            "repeat-next" => Fault::RepeatNextPage,
            "reordered-next" => Fault::ReorderedNextPage,
            "next" if !value.is_empty() => Fault::NextPage(value.to_owned()),
            "empty-next" => Fault::EmptyPageWithNext,
            "reflect" => Fault::Reflect(number(name, value)?),
            "empty-records" => Fault::EmptyRecords(number(name, value)?),
            "huge-details" => Fault::HugeErrorDetails(number(name, value)?),
            "permissions" => Fault::ManyPermissions(number(name, value)?),
            "corrupt-gzip" => Fault::CorruptGzip,
            "gzip-bomb" => Fault::GzipBomb(number(name, value)?),
            _ => {
                return Err(format!(
                    "unknown fault `{s}` (see `twilio-emulator --help`)"
                ));
            }
        })
    }
}

impl std::str::FromStr for FaultRule {
    type Err = String;

    /// `TRIGGER:FAULT[:times=N]`.
    fn from_str(s: &str) -> Result<FaultRule, String> {
        let (trigger, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}`: a rule is TRIGGER:FAULT[:times=N]"))?;
        let (fault, times) = match rest.rsplit_once(":times=") {
            Some((fault, n)) => (fault, Some(number::<u64>("times", n)?)),
            None => (rest, None),
        };
        let rule = FaultRule::new(trigger.parse()?, fault.parse()?);
        Ok(match times {
            Some(n) => rule.times(n),
            None => rule,
        })
    }
}

impl std::fmt::Display for Trigger {
    /// The rule grammar's form (what `--fault` reads back).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Always => write!(f, "always"),
            Trigger::Nth(n) => write!(f, "nth={n}"),
            Trigger::EveryNth(n) => write!(f, "every={n}"),
            Trigger::Random { fraction, seed } => write!(f, "random={fraction}/{seed}"),
            Trigger::PathContains(text) => write!(f, "path={text}"),
        }
    }
}

impl std::fmt::Display for Fault {
    /// The rule grammar's form. `RetryAfter::At` (an exact date, for in-process tests) has none
    /// and shows as `429=at+UNIX_SECONDS`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::TooManyRequests(after) => match after {
                RetryAfter::Seconds(s) => write!(f, "429={s}"),
                RetryAfter::Date(d) => write!(f, "429=date+{}", d.as_secs()),
                RetryAfter::At(t) => write!(
                    f,
                    "429=at+{}",
                    t.duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs()
                ),
                RetryAfter::None => write!(f, "429=none"),
            },
            Fault::Status(code, body) => {
                let body = match body {
                    ErrorBody::Html => "html",
                    ErrorBody::Empty => "empty",
                    ErrorBody::Twilio => "twilio",
                    ErrorBody::Problem => "problem",
                };
                write!(f, "status={code}/{body}")
            }
            Fault::CloseBeforeResponse => write!(f, "close"),
            Fault::ResetMidBody => write!(f, "reset"),
            Fault::TruncatedBody => write!(f, "truncate"),
            Fault::Delay(d) => write!(f, "delay={}", d.as_millis()),
            Fault::Trickle { chunk, interval } => {
                write!(f, "trickle={chunk}/{}", interval.as_millis())
            }
            Fault::Oversized(n) => write!(f, "oversized={n}"),
            Fault::MalformedJson => write!(f, "malformed"),
            Fault::Redirect(code, url) => write!(f, "redirect={code}/{url}"),
            Fault::ForeignNextPage(origin) => write!(f, "foreign-next={origin}"),
            Fault::RepeatNextPage => write!(f, "repeat-next"),
            Fault::ReorderedNextPage => write!(f, "reordered-next"),
            Fault::NextPage(uri) => write!(f, "next={uri}"),
            Fault::EmptyPageWithNext => write!(f, "empty-next"),
            Fault::Reflect(code) => write!(f, "reflect={code}"),
            Fault::EmptyRecords(n) => write!(f, "empty-records={n}"),
            Fault::HugeErrorDetails(n) => write!(f, "huge-details={n}"),
            Fault::ManyPermissions(n) => write!(f, "permissions={n}"),
            Fault::CorruptGzip => write!(f, "corrupt-gzip"),
            Fault::GzipBomb(n) => write!(f, "gzip-bomb={n}"),
        }
    }
}

impl std::fmt::Display for FaultRule {
    /// `TRIGGER:FAULT[:times=N]`, with the limit the rule was given (not what is left of it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.trigger, self.fault)?;
        match self.remaining {
            Some(left) => write!(f, ":times={}", left.saturating_add(self.fired)),
            None => Ok(()),
        }
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

    /// The fault for API request `n` at `target`, with the rule that fired (its index and
    /// its text, for the request log).
    pub(crate) fn pick(&mut self, n: u64, target: &str) -> Option<(Fault, String)> {
        // Every random rule draws on every request, so each rule's sequence stays the same
        // whatever the other rules do.
        let mut chosen = None;
        for (i, rule) in self.rules.iter_mut().enumerate() {
            if rule.fires(n, target, chosen.is_none()) {
                chosen = Some((rule.fault.clone(), format!("#{} {rule}", i + 1)));
            }
        }
        chosen
    }

    /// The rules, in order, with how often each fired.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Arms every rule after `requests` API requests (their counts start from there).
    pub(crate) fn armed_after(mut self, requests: u64) -> Self {
        for rule in &mut self.rules {
            rule.armed_after = requests;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_show_as_the_text_they_are_read_from() {
        for text in [
            "always:429=3:times=2",
            "nth=2:reset",
            "every=5:status=503/twilio",
            "random=0.25/7:delay=1500",
            "path=Page=1&:trickle=64/50",
            "always:redirect=302/http://127.0.0.1:1/x",
            "always:gzip-bomb=1000000:times=1",
        ] {
            let rule: FaultRule = text.parse().unwrap();
            assert_eq!(rule.to_string(), text);
            assert_eq!(rule.to_string().parse::<FaultRule>().unwrap(), rule);
        }
    }

    #[test]
    fn a_rule_counts_from_when_it_was_armed_and_its_firings() {
        let mut script = FaultScript::new()
            .rule("nth=2:status=503/twilio:times=1".parse().unwrap())
            .armed_after(10);
        let fired: Vec<bool> = (11..=14).map(|n| script.pick(n, "/").is_some()).collect();
        assert_eq!(fired, [false, true, false, false]);
        assert_eq!(script.rules()[0].fired(), 1);
        assert_eq!(script.rules()[0].remaining(), Some(0));
        assert_eq!(
            script.rules()[0].to_string(),
            "nth=2:status=503/twilio:times=1"
        );
    }

    #[test]
    fn rules_read_from_text() {
        let cases: Vec<(&str, FaultRule)> = vec![
            (
                "nth=2:reset",
                FaultRule::new(Trigger::Nth(2), Fault::ResetMidBody),
            ),
            (
                "always:429=3:times=2",
                FaultRule::new(
                    Trigger::Always,
                    Fault::TooManyRequests(RetryAfter::Seconds(3)),
                )
                .times(2),
            ),
            (
                "always:429",
                FaultRule::new(
                    Trigger::Always,
                    Fault::TooManyRequests(RetryAfter::Seconds(1)),
                ),
            ),
            (
                "every=5:status=503",
                FaultRule::new(Trigger::EveryNth(5), Fault::Status(503, ErrorBody::Html)),
            ),
            (
                "path=Page=1&:trickle=64/50",
                FaultRule::new(
                    Trigger::PathContains("Page=1&".into()),
                    Fault::Trickle {
                        chunk: 64,
                        interval: Duration::from_millis(50),
                    },
                ),
            ),
            (
                "random=0.1/7:status=500/twilio",
                FaultRule::new(
                    Trigger::Random {
                        fraction: 0.1,
                        seed: 7,
                    },
                    Fault::Status(500, ErrorBody::Twilio),
                ),
            ),
            (
                "nth=1:redirect=302/https://evil.example/x",
                FaultRule::new(
                    Trigger::Nth(1),
                    Fault::Redirect(302, "https://evil.example/x".into()),
                ),
            ),
            (
                "nth=1:foreign-next=http://127.0.0.1:9",
                FaultRule::new(
                    Trigger::Nth(1),
                    Fault::ForeignNextPage("http://127.0.0.1:9".into()),
                ),
            ),
            (
                "path=/v2/token:reflect=401",
                FaultRule::new(
                    Trigger::PathContains("/v2/token".into()),
                    Fault::Reflect(401),
                ),
            ),
            (
                "nth=2:status=503/problem",
                FaultRule::new(Trigger::Nth(2), Fault::Status(503, ErrorBody::Problem)),
            ),
            (
                "always:gzip-bomb=1000000",
                FaultRule::new(Trigger::Always, Fault::GzipBomb(1_000_000)),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<FaultRule>().unwrap(), want, "{text}");
        }
        for bad in [
            "",
            "nth=x:reset",
            "nth=1",
            "nth=1:explode",
            "random=2:reset",
            "always:status=503/xml",
            "always:429=soon",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad}");
        }
    }
}
