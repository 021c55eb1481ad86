//! Faults the client rides out or reports: random faults, retry waits, timeouts, interim
//! responses, gzip.

use std::time::{Duration, Instant};

use twilio_connect_apps::config::Jitter;
use twilio_connect_apps::error::{PagingError, TransportErrorKind};
use twilio_connect_apps::{Error, ListParams, RetryPolicy};
use twilio_connect_apps_testbed::{
    Emulator, ErrorBody, Fault, FaultRule, FaultScript, RetryAfter, Trigger,
};

use super::listings::list_resuming;
use super::{emulator, emulator_with_apps};
use crate::support::*;
use twilio_connect_apps_testbed::DEFAULT_ACCOUNT_SID;

pub fn listing_under_random_faults<T: Harness>() {
    let faults = FaultScript::new()
        .on(
            Trigger::Random {
                fraction: 0.04,
                seed: 11,
            },
            Fault::TooManyRequests(RetryAfter::Seconds(1)),
        )
        .on(
            Trigger::Random {
                fraction: 0.035,
                seed: 12,
            },
            Fault::Status(503, ErrorBody::Html),
        )
        .on(
            Trigger::Random {
                fraction: 0.035,
                seed: 13,
            },
            Fault::ResetMidBody,
        );
    let emu = Emulator::builder()
        .generated_apps(5000)
        .faults(faults)
        .start()
        .unwrap();
    let c: T = client(&emu);
    let (sids, errors) = list_resuming(&c, ListParams::new().with_page_size(50));
    assert_eq!(
        sids,
        generated_sids(5000),
        "every app exactly once, in order"
    );
    let log = emu.requests();
    assert!(
        log.len() > 100,
        "faults were injected and retried: {} requests",
        log.len()
    );
    assert!(
        errors.len() <= 2,
        "retries absorb almost all faults: {errors:?}"
    );
}

/// The waits the policy asked for, with the sleep and the clock injected: nothing here sleeps.
pub fn retry_waits<T: Harness>() {
    let emu = emulator(false);
    let now = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let opts = Opts {
        clock: Some(std::sync::Arc::new(FixedClock { now })),
        // The middle of each jitter window.
        retry: RetryPolicy::default().with_fixed_jitter(Jitter::at(0.5)),
        ..Opts::default()
    };
    let c: T = client_with(&emu, &opts);

    // Retry-After in seconds: exactly that wait.
    emu.set_faults(FaultScript::new().rule(FaultRule::new(
        Trigger::Nth(1),
        Fault::TooManyRequests(RetryAfter::Seconds(2)),
    )));
    let listed = c.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none(), "{:?}", listed.error);
    assert_eq!(listed.apps.len(), 4);
    assert_eq!(emu.request_count(), 2);
    assert_eq!(c.waits(), [Duration::from_secs(2)], "{}", T::NAME);

    // Retry-After as an HTTP date, read against the injected clock.
    emu.set_faults(
        FaultScript::new().rule(
            FaultRule::new(
                Trigger::Always,
                Fault::TooManyRequests(RetryAfter::At(now + Duration::from_secs(7))),
            )
            .times(1),
        ),
    );
    assert!(c.list(ListParams::new()).unwrap().error.is_none());
    assert_eq!(c.waits(), [Duration::from_secs(7)], "{}", T::NAME);

    // A Retry-After past the policy's cap waits the cap (30 s by default).
    emu.set_faults(
        FaultScript::new().rule(
            FaultRule::new(
                Trigger::Always,
                Fault::TooManyRequests(RetryAfter::Seconds(3600)),
            )
            .times(1),
        ),
    );
    assert!(c.list(ListParams::new()).unwrap().error.is_none());
    assert_eq!(c.waits(), [Duration::from_secs(30)]);

    // No Retry-After: full jitter over 500 ms, 1 s, 2 s windows; the fixed random number picks
    // the middle of each; the budget (4 attempts) then runs out.
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Status(503, ErrorBody::Html)));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        c.waits(),
        [250, 500, 1000].map(Duration::from_millis),
        "{}",
        T::NAME
    );
    emu.set_faults(FaultScript::new());
}

pub fn faults<T: Harness>() {
    let emu = emulator_with_apps(120, false);
    let c: T = client(&emu);
    let want = generated_sids(120);
    let recovered = [
        Fault::TooManyRequests(RetryAfter::Seconds(1)),
        Fault::TooManyRequests(RetryAfter::None),
        Fault::Status(500, ErrorBody::Empty),
        Fault::Status(502, ErrorBody::Html),
        Fault::Status(503, ErrorBody::Html),
        Fault::Status(504, ErrorBody::Twilio),
        Fault::CloseBeforeResponse,
        Fault::ResetMidBody,
        Fault::TruncatedBody,
        Fault::Trickle {
            chunk: 4096,
            interval: Duration::from_millis(1),
        },
        Fault::Delay(Duration::from_millis(50)),
    ];
    for fault in recovered {
        let before = emu.request_count();
        // the fault hits the second page's first attempt
        emu.set_faults(
            FaultScript::new().rule(
                FaultRule::new(Trigger::PathContains("Page=1&".into()), fault.clone()).times(1),
            ),
        );
        let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
        assert!(
            listed.error.is_none(),
            "{}: {fault:?}: {:?}",
            T::NAME,
            listed.error
        );
        assert_eq!(listed.sids(), want, "{fault:?}");
        let extra = matches!(fault, Fault::Trickle { .. } | Fault::Delay(_));
        assert_eq!(
            emu.request_count() - before,
            if extra { 3 } else { 4 },
            "{}: {fault:?}",
            T::NAME
        );
    }

    // persistent 503: the budget (4 attempts) runs out, the error says why
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Status(503, ErrorBody::Html)));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(emu.request_count() - before, 4);

    // malformed JSON: a parse error naming the place, not retried
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::MalformedJson));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    let Error::Parse(p) = &e else { panic!("{e:?}") };
    assert!(
        p.path.starts_with("$.authorized_connect_apps[0]"),
        "{}",
        p.path
    );
    assert_eq!(emu.request_count() - before, 1);

    // a loop in next URIs stops the listing after the page's records
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::RepeatNextPage,
    ));
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
    assert_eq!(listed.apps.len(), 100);
    assert!(
        matches!(
            listed.error,
            Some(Error::Paging(PagingError::RepeatedUri { .. }))
        ),
        "{:?}",
        listed.error
    );
    emu.set_faults(FaultScript::new());
}

pub fn timeouts<T: Harness>() {
    let emu = emulator(false);
    let opts = Opts {
        request_timeout: Duration::from_millis(300),
        ..Opts::default()
    };
    let c: T = client_with(&emu, &opts);
    // once slow: timed out, retried, recovered
    emu.set_faults(FaultScript::new().rule(FaultRule::new(
        Trigger::Nth(1),
        Fault::Delay(Duration::from_secs(3)),
    )));
    let listed = c.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none(), "{:?}", listed.error);
    assert_eq!(emu.request_count(), 2);
    // always slow (a body trickling at 1 byte a second): a timeout error, never a hang
    emu.set_faults(FaultScript::new().on(
        Trigger::Always,
        Fault::Trickle {
            chunk: 1,
            interval: Duration::from_secs(1),
        },
    ));
    let t = Instant::now();
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
        "{}: {e:?}",
        T::NAME
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(emu.request_count(), 6, "4 attempts");
}

/// `100 Continue` (with a header) and `103 Early Hints` before the real response: skipped.
pub fn interim_responses<T: Harness>() {
    let emu = emulator(false);
    let server = crate::support::InterimServer::start();
    let config = default_config(&emu)
        .with_base_url(&server.base_url)
        .unwrap();
    let c = T::new(config, &emu, &Opts::default()).unwrap();
    let app = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", T::NAME));
    assert_eq!(app.connect_app_friendly_name(), Some("Interim"));
    assert_eq!(server.requests(), 1, "{}: not retried", T::NAME);
}

/// gzip is asked for and decoded (by the core, whatever the transport); the bytes on the wire
/// drop to a fraction; a corrupt body is retried; a bomb stops at the cap.
pub fn compression<T: Harness>() {
    let emu = emulator_with_apps(2345, false);
    let c: T = client(&emu);
    let listed = c.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none(), "{}: {:?}", T::NAME, listed.error);
    assert_eq!(listed.sids(), generated_sids(2345));
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.header("accept-encoding") == Some("gzip"))
    );
    let zipped = emu.body_bytes_sent();
    let plain: T = T::new(
        default_config(&emu).with_compression(false),
        &emu,
        &Opts::default(),
    )
    .unwrap();
    let again = plain.list(ListParams::new()).unwrap();
    assert_eq!(again.apps, listed.apps, "the same records either way");
    let identity = emu.body_bytes_sent() - zipped;
    assert!(
        zipped * 5 < identity,
        "{}: gzip {zipped} bytes, identity {identity}",
        T::NAME
    );

    // A corrupt gzip body once: retried like a truncated body, and recovered.
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().rule(
        FaultRule::new(Trigger::PathContains("Page=1&".into()), Fault::CorruptGzip).times(1),
    ));
    let listed = c.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none(), "{}: {:?}", T::NAME, listed.error);
    assert_eq!(listed.apps.len(), 2345);
    assert_eq!(emu.request_count() - before, 4);

    // Always corrupt: the error says so, after the budget of attempts.
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::CorruptGzip));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Decode),
        "{e:?}"
    );
    assert_eq!(emu.request_count() - before, 4);

    // A gzip bomb: 64 KiB on the wire, 64 MiB inflated; stopped at the 1 MiB cap, not retried.
    let opts = Opts {
        max_body_size: 1 << 20,
        ..Opts::default()
    };
    let small: T = client_with(&emu, &opts);
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::GzipBomb(64 << 20)));
    let e = small.list(ListParams::new()).unwrap().error.unwrap();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::BodyTooLarge),
        "{}: {e:?}",
        T::NAME
    );
    assert_eq!(emu.request_count() - before, 1);
    emu.set_faults(FaultScript::new());
}

/// Answers that are not well-formed HTTP (not a status line, a body shorter than its length, a
/// bad chunk, a bad header): every transport reads them as a connection cut short, and retries
/// them the same number of times.
pub fn malformed_answers<T: Harness>() {
    if !T::TLS_AND_PROXY {
        return; // the test bed's minimal transport reads HTTP/1.0 only
    }
    use crate::support::raw::{Malformed, MalformedServer};
    for kind in [
        Malformed::Garbage,
        Malformed::ShortBody,
        Malformed::BadChunk,
        Malformed::BadHeader,
    ] {
        let server = MalformedServer::start(kind);
        let emu = emulator(false);
        let config = twilio_connect_apps::Config::new(
            twilio_connect_apps::Credentials::auth_token(
                DEFAULT_ACCOUNT_SID.parse().unwrap(),
                twilio_connect_apps::Secret::new("t"),
            ),
        )
        .with_base_url(&server.base_url)
        .unwrap()
        .with_retry_policy(
            twilio_connect_apps::RetryPolicy::default().with_base_delay(Duration::from_millis(1)),
        );
        let c = T::new(config, &emu, &Opts::default()).unwrap();
        let e = c
            .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
            .unwrap_err();
        assert!(
            matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Reset),
            "{}: {kind:?}: {e:?}",
            T::NAME
        );
        assert_eq!(server.requests(), 4, "{}: {kind:?}: every attempt", T::NAME);
        assert_eq!(e.attempts(), Some(4));
    }
}

/// A response with both `Content-Length` and `Transfer-Encoding`: refused by every transport
/// alike, at once (not retried: it would come again), with an error that says what was wrong.
pub fn length_and_chunked<T: Harness>() {
    if !T::TLS_AND_PROXY {
        return; // the test bed's minimal transport reads HTTP/1.0 only
    }
    use crate::support::raw::{Malformed, MalformedServer};
    let server = MalformedServer::start(Malformed::LengthAndChunked);
    let emu = emulator(false);
    let config = twilio_connect_apps::Config::new(twilio_connect_apps::Credentials::auth_token(
        DEFAULT_ACCOUNT_SID.parse().unwrap(),
        twilio_connect_apps::Secret::new("t"),
    ))
    .with_base_url(&server.base_url)
    .unwrap();
    let c = T::new(config, &emu, &Opts::default()).unwrap();
    let listed = c.list(ListParams::new()).unwrap();
    let e = listed.error.unwrap();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Other),
        "{}: {e:?}",
        T::NAME
    );
    let shown = e.to_string();
    assert!(
        shown.contains("Content-Length") && shown.contains("Transfer-Encoding"),
        "{}: {shown}",
        T::NAME
    );
    assert_eq!(server.requests(), 1, "{}: not retried", T::NAME);
}

/// Errors in RFC 9457 problem details (`application/problem+json`) are typed API errors like
/// the legacy envelope: code, message, status, link and details; a 503 one is retried.
pub fn problem_details<T: Harness>() {
    let emu = emulator_with_apps(3, false);
    let c: T = client(&emu);
    emu.add_fault(FaultRule::new(Trigger::Always, Fault::Status(404, ErrorBody::Problem)).times(1));
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    let Error::Api(api) = &e else {
        panic!("{}: {e:?}", T::NAME)
    };
    assert_eq!(
        (api.code, api.status, api.http_status.as_u16()),
        (Some(20404), Some(404), 404)
    );
    assert!(api.message.contains("not found"), "{}", api.message);
    assert_eq!(
        api.more_info.as_deref(),
        Some("https://www.twilio.com/docs/errors/20404")
    );
    let details = api.details.as_ref().unwrap();
    assert!(
        details["instance"]
            .as_str()
            .unwrap()
            .contains("AuthorizedConnectApps")
    );
    assert!(e.is_not_found());
    emu.add_fault(FaultRule::new(Trigger::Always, Fault::Status(503, ErrorBody::Problem)).times(1));
    let listed = c.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none(), "{:?}", listed.error);
    assert_eq!(listed.apps.len(), 3);
}
