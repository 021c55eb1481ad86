//! What each response says (request ids, concurrency, attempts), and OAuth client
//! credentials: tokens fetched once, refreshed before they expire, refused clearly.

use std::sync::Arc;
use std::time::Duration;

use twilio_connect_apps::model::RetryAfter;
use twilio_connect_apps::wire::PageQuery;
use twilio_connect_apps::{Error, ListParams, RetryPolicy};
use twilio_connect_apps_testbed::{
    DEFAULT_ACCOUNT_SID, Emulator, ErrorBody, Fault, FaultRule, RetryAfter as EmuRetryAfter,
    Trigger,
};

use crate::support::*;

const APP: &str = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn is_request_id(id: Option<&str>) -> bool {
    id.is_some_and(|id| id.len() == 34 && id.starts_with("RQ"))
}

/// Every fetched app, page and error from a response carries the request id, Twilio's
/// duration and concurrency, and how many attempts it took.
pub fn metadata<T: Harness>() {
    let emu = Emulator::builder().generated_apps(30).start().unwrap();
    let c: T = client(&emu);
    let (app, meta) = c
        .fetch_with_meta(&generated_sids(1)[0].parse().unwrap())
        .unwrap();
    assert!(app.connect_app_sid().is_some());
    assert!(is_request_id(meta.request_id.as_deref()), "{meta:?}");
    assert_eq!(meta.concurrent_requests, Some(1));
    assert!(meta.duration.is_some());
    assert_eq!((meta.status.as_u16(), meta.attempts), (200, 1));
    let page = c.page(&PageQuery::new().with_page_size(10)).unwrap();
    let page_id = page.meta.as_ref().and_then(|m| m.request_id.clone());
    assert!(is_request_id(page_id.as_deref()));
    assert_ne!(page_id, meta.request_id, "a new id for every response");

    let e = c
        .fetch(&"CN0000000000000000000000000000dead".parse().unwrap())
        .unwrap_err();
    assert!(is_request_id(e.request_id()), "{e:?}");
    assert_eq!(e.attempts(), Some(1));

    // 429 with Retry-After on every attempt: the error says how many were made and what the
    // server asked for.
    emu.add_fault(FaultRule::new(
        Trigger::Always,
        Fault::TooManyRequests(EmuRetryAfter::Seconds(0)),
    ));
    let e = c.fetch(&APP.parse().unwrap()).unwrap_err();
    assert_eq!(e.attempts(), Some(10), "a 429 has 10 attempts: {e}");
    assert_eq!(e.retry_after(), Some(RetryAfter::Delay(Duration::ZERO)));
    assert!(is_request_id(e.request_id()));
    assert_eq!(e.api_code(), Some(20429));

    // Transport failures count their attempts too.
    emu.set_faults(Default::default());
    emu.add_fault(FaultRule::new(Trigger::Always, Fault::CloseBeforeResponse));
    let e = c.fetch(&APP.parse().unwrap()).unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(e.attempts(), Some(4));
    assert_eq!(e.request_id(), None);
}

pub(crate) fn oauth_emulator(ttl: Duration, apps: usize) -> Emulator {
    Emulator::builder()
        .generated_apps(apps)
        .oauth_client(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, DEFAULT_ACCOUNT_SID)
        .oauth_token_ttl(ttl)
        .latency(Duration::from_millis(40))
        .start()
        .unwrap()
}

fn token_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path == "/v2/token")
        .count()
}

/// A listing that spans several token lifetimes: one token request per expiry (never one
/// while the token in hand was good), every app once, and no secret in the request log.
pub fn oauth_listing_spans_expiries<T: Harness>() {
    let ttl = Duration::from_secs(2);
    let emu = oauth_emulator(ttl, 5_000);
    let c: T = T::new(oauth_config(&emu), &emu, &Opts::default()).unwrap();
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
    assert!(listed.error.is_none(), "{:?}", listed.error);
    assert_eq!(listed.sids(), generated_sids(5_000));
    let issued = emu.issued_tokens();
    assert!(
        issued.len() >= 2,
        "only {} token(s): no expiry spanned",
        issued.len()
    );
    assert_eq!(
        token_requests(&emu),
        issued.len(),
        "no token request was refused"
    );
    // Refreshed within the margin before expiry (200 ms for 2 s tokens), never sooner.
    let margin = Duration::from_millis(200) + Duration::from_millis(150);
    for pair in issued.windows(2) {
        assert!(
            pair[1].issued_at + margin >= pair[0].expires_at,
            "a token was refreshed {:?} before its expiry",
            pair[0].expires_at - pair[1].issued_at
        );
    }
    for r in emu.requests() {
        let auth = r.header("authorization").unwrap_or("");
        assert!(
            r.path == "/v2/token" || auth == "Bearer [redacted]",
            "{auth}"
        );
        let shown = format!("{r:?}");
        assert!(
            !shown.contains(OAUTH_CLIENT_SECRET) && !shown.contains("eyJ"),
            "{shown}"
        );
    }
}

/// A revoked client: the request with its (still unexpired) token is refused, one refresh is
/// tried and refused, and the error says so; after that nothing more is sent to the token
/// endpoint (no retry storm), and no secret is in the error.
pub fn oauth_revoked_client<T: Harness>() {
    let emu = oauth_emulator(Duration::from_secs(3600), 3);
    let clock = Arc::new(SteppingClock::default());
    let opts = Opts {
        clock: Some(clock.clone()),
        ..Opts::default()
    };
    let c: T = T::new(oauth_config(&emu), &emu, &opts).unwrap();
    c.fetch(&generated_sids(1)[0].parse().unwrap()).unwrap();
    assert_eq!(token_requests(&emu), 1);
    emu.revoke_oauth_client(OAUTH_CLIENT_ID);
    let e = c.fetch(&generated_sids(1)[0].parse().unwrap()).unwrap_err();
    let Error::Auth(auth) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (auth.status.map(|s| s.as_u16()), auth.code),
        (Some(401), Some(20003))
    );
    assert!(e.is_auth() && !e.is_retryable());
    assert!(e.to_string().contains("OAuth"), "{e}");
    assert_eq!(token_requests(&emu), 2, "one refresh after the 401");
    // A refusal stands: later calls fail at once, with no new token request.
    clock.advance(Duration::from_secs(7200));
    for _ in 0..3 {
        let listed = c.list(ListParams::new()).unwrap();
        assert!(matches!(listed.error, Some(Error::Auth(_))));
    }
    assert_eq!(token_requests(&emu), 2);
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(OAUTH_CLIENT_SECRET), "{shown}");
}

/// The token endpoint answering 503: retried under the same policy as API requests, then one
/// clear error naming it.
pub fn oauth_token_endpoint_down<T: Harness>() {
    let emu = oauth_emulator(Duration::from_secs(3600), 3);
    emu.add_fault(FaultRule::new(
        Trigger::PathContains("/v2/token".into()),
        Fault::Status(503, ErrorBody::Twilio),
    ));
    let opts = Opts {
        retry: RetryPolicy::default().with_base_delay(Duration::from_millis(1)),
        ..Opts::default()
    };
    let config = oauth_config(&emu).with_retry_policy(opts.retry.clone());
    let c: T = T::new(config, &emu, &opts).unwrap();
    let e = c.fetch(&APP.parse().unwrap()).unwrap_err();
    let Error::Auth(auth) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(auth.status.map(|s| s.as_u16()), Some(503));
    assert!(e.is_retryable());
    assert_eq!(token_requests(&emu), 4, "the policy's 4 attempts");
    assert_eq!(emu.request_count(), 4, "no API request without a token");
}

/// A token service that hands out tokens with `expires_in: 0`: each would be expired as it
/// arrives. The client refuses them with an error that says why, and asks again only after a
/// pause: a handful of token requests, no API request, and the calls end.
pub fn oauth_zero_lifetime_token<T: Harness>() {
    let emu = oauth_emulator(Duration::ZERO, 3);
    let c: T = T::new(oauth_config(&emu), &emu, &Opts::default()).unwrap();
    for _ in 0..20 {
        let e = c.fetch(&APP.parse().unwrap()).unwrap_err();
        let Error::Auth(auth) = &e else {
            panic!("{e:?}")
        };
        assert!(auth.message.contains("lives 0 s"), "{e}");
    }
    let listed = c.list(ListParams::new()).unwrap();
    assert!(
        matches!(listed.error, Some(Error::Auth(_))),
        "{:?}",
        listed.error
    );
    assert!(
        token_requests(&emu) <= 2,
        "{} token requests for 21 calls within a second",
        token_requests(&emu)
    );
    assert_eq!(
        emu.request_count() as usize,
        token_requests(&emu),
        "no API request"
    );
}
