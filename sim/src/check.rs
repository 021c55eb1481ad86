//! The invariants a run's request log must keep, whatever the faults: the 429 gate, attempts
//! within the retry policy, token requests no more than the expiries call for, and no secret
//! in a request to an origin it does not belong to.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine as _;
use twilio_connect_apps::RetryPolicy;

use crate::api::{API_HOST, OAUTH_HOST, Twilio};
use crate::world::Sent;

/// Every violation of the log's invariants, one line each.
pub fn log_invariants(log: &[Sent], twilio: &Twilio, policy: &RetryPolicy) -> Vec<String> {
    let mut found = Vec::new();
    found.extend(gate(log));
    found.extend(attempts(log, policy));
    found.extend(secrets(log, twilio));
    found.extend(tokens(log, twilio));
    found
}

/// Whether the entry at `i` was retried: its task's next API request asks for the same thing.
fn retried(log: &[Sent], i: usize) -> bool {
    let Some(sent) = log.get(i) else {
        return false;
    };
    log.iter()
        .skip(i + 1)
        .find(|s| s.task == sent.task && s.session == sent.session && s.is_api())
        .is_some_and(|next| next.target == sent.target)
}

/// After a 429 that is retried, no API request of the same session goes out before its
/// `Retry-After` has passed (counted from when the 429 was handed to the machine).
fn gate(log: &[Sent]) -> Vec<String> {
    let mut found = Vec::new();
    let sessions: BTreeSet<usize> = log.iter().map(|s| s.session).collect();
    for session in sessions {
        // (handled order, gate open at) of every retried 429, in handled order.
        let mut closes: Vec<(u64, Duration, &str)> = log
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                s.session == session && s.is_api() && s.status == Some(429) && retried(log, *i)
            })
            .filter_map(|(_, s)| {
                Some((
                    s.handled_order,
                    s.answered_at.saturating_add(s.retry_after?),
                    s.target.as_str(),
                ))
            })
            .collect();
        closes.sort();
        let mut sends: Vec<&Sent> = log
            .iter()
            .filter(|s| s.session == session && s.is_api())
            .collect();
        sends.sort_by_key(|s| s.sent_order);
        let mut open_at = Duration::ZERO;
        let mut next = closes.iter().peekable();
        for s in sends {
            while let Some((order, at, _)) = next.peek() {
                if *order >= s.sent_order {
                    break;
                }
                open_at = open_at.max(*at);
                next.next();
            }
            if s.at < open_at {
                found.push(format!(
                    "429 gate: {} sent at {:?}, before the gate opened at {open_at:?}",
                    s.target, s.at
                ));
            }
        }
    }
    found
}

/// A request is tried no more often than the retry policy allows: at most `max_attempts`
/// answers that are not 429 (plus a retry after each refused token, two at most), at most
/// `max_rate_limited_attempts` answered 429.
fn attempts(log: &[Sent], policy: &RetryPolicy) -> Vec<String> {
    let mut found = Vec::new();
    // (session, task) -> the request being tried, and its answers so far.
    type Run = (String, Vec<Option<u16>>);
    let mut runs: BTreeMap<(usize, usize), Run> = BTreeMap::new();
    let mut check = |target: &str, answers: &[Option<u16>]| {
        let limited = answers.iter().filter(|a| **a == Some(429)).count() as u32;
        let refused = answers.iter().filter(|a| **a == Some(401)).count().min(2) as u32;
        let others = answers.len() as u32 - limited;
        if limited > policy.max_rate_limited_attempts() || others > policy.max_attempts() + refused
        {
            found.push(format!(
                "retry policy: {target} tried {} times ({limited} answered 429): {answers:?}",
                answers.len()
            ));
        }
    };
    for s in log.iter().filter(|s| s.is_api()) {
        let key = (s.session, s.task);
        let run = runs
            .entry(key)
            .or_insert_with(|| (s.target.clone(), Vec::new()));
        let went_well = run.1.last().is_some_and(|a| matches!(a, Some(200..=299)));
        if run.0 != s.target || went_well {
            check(&run.0, &run.1);
            *run = (s.target.clone(), Vec::new());
        }
        run.1.push(s.status);
    }
    for (target, answers) in runs.values() {
        check(target, answers);
    }
    found
}

/// No secret goes where it does not belong: the auth token (and its Basic form) and bearer
/// tokens only to the API, the client secret only in the body of a token request.
fn secrets(log: &[Sent], twilio: &Twilio) -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let api_only: Vec<String> = [
        twilio.auth_token.clone(),
        b64(&format!("{}:{}", twilio.parent, twilio.auth_token)),
    ]
    .into_iter()
    .chain(twilio.tokens.iter().map(|(t, _)| t.clone()))
    .collect();
    let mut found = Vec::new();
    for s in log {
        let leaked: Vec<&str> = match s.host.as_str() {
            API_HOST => contains(&s.bytes, [twilio.client_secret.as_str()]),
            OAUTH_HOST => {
                let mut l = contains(&s.bytes, api_only.iter().map(String::as_str));
                let outside_body = s.bytes.len().saturating_sub(s.body.len());
                let head = s.bytes.get(..outside_body).unwrap_or_default();
                l.extend(contains(head, [twilio.client_secret.as_str()]));
                l
            }
            _ => contains(
                &s.bytes,
                api_only
                    .iter()
                    .map(String::as_str)
                    .chain([twilio.client_secret.as_str()]),
            ),
        };
        if !leaked.is_empty() {
            found.push(format!(
                "secret leaked to {}: {} carried {} secret(s)",
                s.host,
                s.target,
                leaked.len()
            ));
        }
    }
    found
}

fn contains<'a>(hay: &[u8], needles: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    needles
        .into_iter()
        .filter(|n| !n.is_empty() && hay.windows(n.len()).any(|w| w == n.as_bytes()))
        .collect()
}

/// A session asks for no more tokens than its expiries call for: one to start, one per
/// refusal (401) and per failed token request, and one per lifetime less the refresh margin
/// (a tenth, at most a minute) that the session lasted.
fn tokens(log: &[Sent], twilio: &Twilio) -> Vec<String> {
    let lifetime = twilio.token_lifetime();
    let margin = Duration::from_secs(60).min(lifetime / 10);
    let useful = lifetime
        .saturating_sub(margin)
        .max(Duration::from_millis(1));
    let sessions: BTreeSet<usize> = log.iter().map(|s| s.session).collect();
    let mut found = Vec::new();
    for session in sessions {
        let of = || log.iter().filter(move |s| s.session == session);
        let requested = of().filter(|s| s.host == OAUTH_HOST).count() as u128;
        if requested == 0 {
            continue;
        }
        let refused = of().filter(|s| s.is_api() && s.status == Some(401)).count() as u128;
        let failed = of()
            .filter(|s| s.host == OAUTH_HOST && s.status != Some(200))
            .count() as u128;
        let first = of().map(|s| s.at).min().unwrap_or_default();
        let last = of().map(|s| s.at).max().unwrap_or_default();
        let lifetimes = (last.saturating_sub(first)).as_nanos() / useful.as_nanos();
        let allowed = 1 + refused + failed + lifetimes;
        if requested > allowed {
            found.push(format!(
                "tokens: session {session} asked for {requested} tokens; its expiries call for {allowed}"
            ));
        }
    }
    found
}
