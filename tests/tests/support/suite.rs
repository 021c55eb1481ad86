//! The end-to-end tests, generic over the transport.

use std::time::{Duration, Instant};

use twilio_connect_apps::{Error, ListParams, PageQuery, PagingError, TransportErrorKind};
use twilio_connect_apps_testbed::{
    Account, App, DEFAULT_ACCOUNT_SID, Dataset, Emulator, ErrorBody, Fault, FaultRule, FaultScript,
    RetryAfter, Trigger,
};

use crate::support::*;

fn emulator(tls: bool) -> Emulator {
    Emulator::builder().tls(tls).start().unwrap()
}

fn emulator_with_apps(n: usize, tls: bool) -> Emulator {
    Emulator::builder()
        .generated_apps(n)
        .tls(tls)
        .start()
        .unwrap()
}

pub fn fetch_and_errors<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator(tls);
    let c: T = client(&emu);
    let app = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap();
    assert_eq!(app.connect_app_friendly_name.as_deref(), Some("aaa"));
    assert_eq!(app.account_sid.as_deref(), Some(DEFAULT_ACCOUNT_SID));
    assert_eq!(
        app.permissions,
        Some(vec![twilio_connect_apps::Permission::GetAll])
    );
    let req = &emu.requests()[0];
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("accept-charset"), Some("utf-8"));
    assert!(
        req.header("user-agent")
            .unwrap()
            .starts_with("twilio-connect-apps/"),
        "{:?}",
        req.header("user-agent")
    );
    assert_eq!(req.tls, tls);

    let e = c
        .fetch(&"CN0000000000000000000000000000dead".parse().unwrap())
        .unwrap_err();
    let Error::Api(api) = &e else {
        panic!("{T}: {e:?}", T = T::NAME)
    };
    assert_eq!(
        (api.http_status.as_u16(), api.code, api.status),
        (404, Some(20404), Some(404))
    );
    assert_eq!(
        api.more_info.as_deref(),
        Some("https://www.twilio.com/docs/errors/20404")
    );
    assert_no_secret(&e);

    let bad: T = T::new(
        config_for(&emu, DEFAULT_ACCOUNT_SID, "wrong-token"),
        &emu,
        &Opts::default(),
    )
    .unwrap();
    let e = bad.list(ListParams::new()).unwrap().error.unwrap();
    assert_eq!(
        (e.status().map(|s| s.as_u16()), e.api_code()),
        (Some(401), Some(20003)),
        "{e}"
    );
    assert!(
        e.to_string().contains("20003") && e.to_string().contains("401"),
        "{e}"
    );
    // 4xx is not retried
    assert_eq!(emu.request_count(), 3);
}

pub fn api_key_and_subaccount<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let sub_sid = "AC00000000000000000000000000000002";
    let mut sub = Account::new(sub_sid, "sub-token");
    sub.parent = Some(DEFAULT_ACCOUNT_SID.into());
    sub.apps
        .push(App::new("CN00000000000000000000000000000009", "Sub app"));
    let key = "SK00000000000000000000000000000001";
    let emu = Emulator::builder()
        .tls(tls)
        .account(sub)
        .api_key(key, "key-secret", DEFAULT_ACCOUNT_SID)
        .start()
        .unwrap();
    let by_key: T = T::new(config_for(&emu, key, "key-secret"), &emu, &Opts::default()).unwrap();
    let listed = by_key.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none());
    assert_eq!(listed.apps.len(), 4);
    let auth = emu.requests()[0]
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(auth.starts_with("Basic "));

    let parent: T = client(&emu);
    let sub_sid: twilio_connect_apps::AccountSid = sub_sid.parse().unwrap();
    let app = parent
        .fetch_in(
            &sub_sid,
            &"CN00000000000000000000000000000009".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(app.connect_app_friendly_name.as_deref(), Some("Sub app"));
    let listed = parent
        .list(ListParams::new().account(sub_sid.clone()))
        .unwrap();
    assert_eq!(listed.sids(), ["CN00000000000000000000000000000009"]);
    let page = parent.page(&PageQuery::new(), Some(&sub_sid)).unwrap();
    assert_eq!(page.records.len(), 1);
    // the sample account's apps are not visible in the subaccount
    let e = parent
        .fetch_in(
            &sub_sid,
            &"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        )
        .unwrap_err();
    assert_eq!(e.api_code(), Some(20404));
}

pub fn connection_reuse<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator_with_apps(2345, tls);
    let c: T = client(&emu);
    let listed = c.list(ListParams::new().page_size(100)).unwrap();
    assert!(listed.error.is_none());
    assert_eq!(listed.sids(), generated_sids(2345));
    assert_eq!(emu.request_count(), 24);
    if let Some(most) = T::LISTING_CONNECTIONS {
        assert!(
            emu.connection_count() <= most,
            "{}: a sequential listing of 24 pages used {} connections",
            T::NAME,
            emu.connection_count()
        );
    }
}

pub fn pages<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator_with_apps(25, tls);
    let c: T = client(&emu);
    let first = c.page(&PageQuery::new().page_size(10), None).unwrap();
    assert_eq!(first.records.len(), 10);
    assert_eq!(
        (first.page, first.page_size, first.start, first.end),
        (Some(0), Some(10), Some(0), Some(9))
    );
    let next = first.next_page_uri.clone().unwrap();
    let second = c.page_at(&next).unwrap();
    assert_eq!(second.page, Some(1));
    assert_eq!(
        second.records[0].connect_app_sid.as_deref(),
        Some(generated_sids(25)[10].as_str())
    );
    let back = c
        .page_at(second.previous_page_uri.as_deref().unwrap())
        .unwrap();
    assert_eq!(back.records, first.records);
    let e = c.page(&PageQuery::new().page_size(1001), None).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    let before = emu.request_count();
    let e = c.page_at("https://example.com/2010-04-01/Accounts/AC00000000000000000000000000000001/AuthorizedConnectApps.json").unwrap_err();
    assert!(
        matches!(e, Error::Paging(PagingError::ForeignOrigin { .. })),
        "{e}"
    );
    assert_eq!(emu.request_count(), before, "nothing sent for a bad input");
}

pub fn tls_untrusted<T: Harness>() {
    if !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator(true);
    let opts = Opts {
        trust_emulator: false,
        ..Opts::default()
    };
    let c: T = client_with(&emu, &opts);
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Tls),
        "{}: {e:?}",
        T::NAME
    );
    assert_eq!(emu.request_count(), 0);
    assert_eq!(emu.connection_count(), 1, "a TLS failure is not retried");
}

pub fn listing_counts<T: Harness>() {
    // (apps, page_size, limit, records, requests, first PageSize)
    type Case = (usize, Option<u32>, Option<u64>, usize, u64, u32);
    let cases: &[Case] = &[
        (0, None, None, 0, 1, 1000),
        (1, None, None, 1, 1, 1000),
        (50, None, None, 50, 1, 1000),
        (50, Some(50), None, 50, 1, 50),
        (1000, None, None, 1000, 1, 1000),
        (1000, Some(1000), Some(1000), 1000, 1, 1000),
        (1001, None, None, 1001, 2, 1000),
        (1001, Some(500), Some(1001), 1001, 3, 500),
        (2345, None, None, 2345, 3, 1000),
        (2345, Some(50), None, 2345, 47, 50),
        (2345, None, Some(10), 10, 1, 10),
        (2345, Some(100), Some(250), 250, 3, 100),
        (2345, Some(7), Some(3), 3, 1, 3),
    ];
    for &(n, size, limit, records, requests, first_size) in cases {
        let emu = emulator_with_apps(n, false);
        let c: T = client(&emu);
        let mut params = ListParams::new();
        if let Some(s) = size {
            params = params.page_size(s);
        }
        if let Some(l) = limit {
            params = params.limit(l);
        }
        let listed = c.list(params).unwrap();
        assert!(listed.error.is_none(), "{:?}", listed.error);
        let want: Vec<String> = generated_sids(n).into_iter().take(records).collect();
        assert_eq!(listed.sids(), want, "{n} {size:?} {limit:?}");
        assert_eq!(
            emu.request_count(),
            requests,
            "{} requests for {n} apps, size {size:?}, limit {limit:?}",
            T::NAME
        );
        assert_eq!(
            emu.requests()[0].query_param("PageSize"),
            Some(first_size.to_string())
        );
        assert!(listed.cursor.is_finished());
    }
}

pub fn resume_mid_page<T: Harness>() {
    let emu = emulator_with_apps(30, false);
    let c: T = client(&emu);
    let (first, cursor) = c.take(ListParams::new().page_size(10), 13).unwrap();
    assert_eq!(first.len(), 13);
    assert_eq!(cursor.skip, 3);
    let json = serde_json::to_string(&cursor).unwrap();
    let rest = c.resume(serde_json::from_str(&json).unwrap()).unwrap();
    let mut all: Vec<String> = first
        .iter()
        .map(|a| a.connect_app_sid.clone().unwrap())
        .collect();
    all.extend(rest.sids());
    assert_eq!(all, generated_sids(30));
}

/// Lists to the end, resuming from the cursor after each error; returns the records and errors.
fn list_resuming<T: Harness>(c: &T, params: ListParams) -> (Vec<String>, Vec<Error>) {
    let mut listed = c.list(params).unwrap();
    let mut sids = listed.sids();
    let mut errors = Vec::new();
    while let Some(e) = listed.error.take() {
        assert_no_secret(&e);
        errors.push(e);
        assert!(errors.len() < 50, "too many errors: {:?}", errors.last());
        listed = c.resume(listed.cursor).unwrap();
        sids.extend(listed.sids());
    }
    (sids, errors)
}

/// The views path (`next_page_with`) over real sockets: under retried faults, refused by its
/// callback part-way and resumed, and with a limit, it hands out every record exactly once,
/// in order, each written byte for byte as serde_json writes the owned record.
pub fn views<T: Harness>() {
    let faults = FaultScript::new()
        .on(Trigger::EveryNth(4), Fault::Status(503, ErrorBody::Html))
        .on(Trigger::EveryNth(7), Fault::ResetMidBody);
    let emu = Emulator::builder()
        .generated_apps(2_500)
        .faults(faults)
        .start()
        .unwrap();
    let c: T = client(&emu);
    let owned = c.list(ListParams::new().page_size(300)).unwrap();
    assert!(owned.error.is_none(), "{:?}", owned.error);
    let want: Vec<String> = owned
        .apps
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    assert_eq!(want.len(), 2_500);

    // Refused at record 1,234 (mid-page), then resumed from the cursor twice over.
    let first = c
        .views(Start::New(ListParams::new().page_size(300)), Some(1_234))
        .unwrap();
    let e = first
        .error
        .expect("the callback's refusal ends the listing");
    assert!(e.to_string().contains("refused"), "{e}");
    assert_eq!(first.lines.len(), 1_234);
    let rest = c.views(Start::Resume(first.cursor), None).unwrap();
    assert!(rest.error.is_none(), "{:?}", rest.error);
    let mut got = first.lines;
    got.extend(rest.lines);
    assert_eq!(
        got, want,
        "every record once, in order, as serde_json writes it"
    );

    let limited = c
        .views(
            Start::New(ListParams::new().page_size(300).limit(777)),
            None,
        )
        .unwrap();
    assert!(limited.error.is_none());
    assert_eq!(limited.lines, want[..777]);
    assert!(!c.waits().is_empty(), "faults were injected and retried");
}

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
    let (sids, errors) = list_resuming(&c, ListParams::new().page_size(50));
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
        clock: Some(std::sync::Arc::new(FixedClock {
            now,
            random: 1 << 63, // the middle of each jitter window
        })),
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
        let listed = c.list(ListParams::new().page_size(50)).unwrap();
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
    let listed = c.list(ListParams::new().page_size(50)).unwrap();
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

pub fn foreign_next<T: Harness>() {
    let foreign = Emulator::start();
    let emu = emulator_with_apps(120, false);
    emu.set_faults(FaultScript::new().on(
        Trigger::Nth(1),
        Fault::ForeignNextPage(foreign.base_url().to_owned()),
    ));
    let c: T = client(&emu);
    let listed = c.list(ListParams::new().page_size(50)).unwrap();
    assert_eq!(
        listed.apps.len(),
        50,
        "the first page's records still arrive"
    );
    let e = listed.error.unwrap();
    assert!(
        matches!(&e, Error::Paging(PagingError::ForeignOrigin { .. })),
        "{e:?}"
    );
    assert_eq!(foreign.request_count(), 0);
    assert!(
        foreign
            .requests()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
    // another scheme on the same host and port is foreign too
    emu.set_faults(FaultScript::new().on(
        Trigger::Always,
        Fault::ForeignNextPage(emu.base_url().replace("http://", "https://")),
    ));
    let e = c
        .list(ListParams::new().page_size(50))
        .unwrap()
        .error
        .unwrap();
    assert!(
        matches!(&e, Error::Paging(PagingError::ForeignOrigin { .. })),
        "{e:?}"
    );
}

pub fn redirect<T: Harness>() {
    let foreign = Emulator::start();
    let emu = emulator(false);
    let target = format!(
        "{}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/AuthorizedConnectApps.json",
        foreign.base_url()
    );
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Redirect(302, target.clone())));
    let c: T = client(&emu);
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    let Error::Http(h) = &e else { panic!("{e:?}") };
    assert_eq!(h.status.as_u16(), 302);
    assert_eq!(h.location.as_deref(), Some(target.as_str()));
    assert_eq!(foreign.request_count(), 0);
    assert_eq!(emu.request_count(), 1, "a redirect is not retried either");
}

pub fn oversized<T: Harness>() {
    let emu = emulator(false);
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Oversized(64 << 20)));
    let opts = Opts {
        max_body_size: 1 << 20,
        ..Opts::default()
    };
    let c: T = client_with(&emu, &opts);
    let t = Instant::now();
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::BodyTooLarge),
        "{}: {e:?}",
        T::NAME
    );
    assert_eq!(emu.request_count(), 1, "not retried");
    assert!(t.elapsed() < Duration::from_secs(5));
    let _ = Dataset::default();
}

pub fn through_proxy<T: Harness>() {
    if !T::TLS_AND_PROXY {
        return;
    }
    use base64::Engine as _;
    let proxy = crate::support::proxy::TestProxy::start();
    let opts = Opts {
        proxy: Some(proxy.url("proxy-user", "proxy-pass")),
        ..Opts::default()
    };
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("proxy-user:proxy-pass")
    );

    // https on a name only the proxy can reach: a CONNECT tunnel, TLS inside it end to end.
    let emu = emulator_with_apps(120, true);
    let host = format!(
        "{}:{}",
        twilio_connect_apps_testbed::TLS_TEST_HOST,
        emu.addr().port()
    );
    let config = default_config(&emu)
        .with_base_url(&format!("https://{host}"))
        .unwrap();
    let c = T::new(config, &emu, &opts).unwrap();
    let listed = c.list(ListParams::new().page_size(50)).unwrap();
    assert!(listed.error.is_none(), "{}: {:?}", T::NAME, listed.error);
    assert_eq!(listed.sids(), generated_sids(120));
    let seen = proxy.log();
    assert!(
        !seen.is_empty() && seen.len() as u64 <= T::LISTING_CONNECTIONS.unwrap_or(3),
        "{}: one tunnel per connection: {seen:?}",
        T::NAME
    );
    assert!(
        seen.iter().all(|s| *s
            == (
                format!("CONNECT {host} HTTP/1.1"),
                Some(expected_auth.clone())
            )),
        "{seen:?}"
    );
    assert_eq!(emu.request_count(), 3);
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.header("proxy-authorization").is_none()),
        "proxy credentials stay with the proxy"
    );

    // A loopback origin is never proxied, not even through an explicit proxy: plain http
    // would carry the credentials to the proxy in cleartext.
    let plain = emulator(false);
    let c: T = client_with(&plain, &opts);
    assert_eq!(c.list(ListParams::new()).unwrap().apps.len(), 4);
    assert_eq!(
        proxy.log().len(),
        seen.len(),
        "{}: the proxy saw nothing more",
        T::NAME
    );
    assert_eq!(plain.request_count(), 1);
}

pub fn meta_envelope<T: Harness>() {
    for tls in [false, true] {
        if tls && !T::TLS_AND_PROXY {
            continue;
        }
        let emu = Emulator::builder()
            .generated_apps(2345)
            .meta_envelope(true)
            .tls(tls)
            .start()
            .unwrap();
        let c: T = client(&emu);
        let listed = c.list(ListParams::new().page_size(500)).unwrap();
        assert!(listed.error.is_none(), "{}: {:?}", T::NAME, listed.error);
        assert_eq!(listed.sids(), generated_sids(2345));
        assert_eq!(emu.request_count(), 5);
        if let Some(most) = T::LISTING_CONNECTIONS {
            assert!(emu.connection_count() <= most, "{}", emu.connection_count());
        }
        let page = c.page(&PageQuery::new().page_size(10), None).unwrap();
        assert_eq!(page.key.as_deref(), Some("authorized_connect_apps"));
        let next = page.next_page_uri.unwrap();
        assert!(next.starts_with(emu.base_url()), "absolute: {next}");
        assert_eq!(c.page_at(&next).unwrap().page, Some(1));
    }
    // an absolute next URL on another origin is refused just the same
    let foreign = Emulator::start();
    let emu = Emulator::builder()
        .generated_apps(100)
        .meta_envelope(true)
        .start()
        .unwrap();
    emu.set_faults(FaultScript::new().on(
        Trigger::Always,
        Fault::ForeignNextPage(foreign.base_url().to_owned()),
    ));
    let c: T = client(&emu);
    let listed = c.list(ListParams::new().page_size(50)).unwrap();
    assert_eq!(listed.apps.len(), 50);
    assert!(
        matches!(
            listed.error,
            Some(Error::Paging(PagingError::ForeignOrigin { .. }))
        ),
        "{:?}",
        listed.error
    );
    assert_eq!(foreign.request_count(), 0);
}

/// A server that breaks the paging protocol or sends bodies built to exhaust memory: each case
/// ends with the right error, after the fewest requests, and nothing is handed out twice.
pub fn hostile_pages<T: Harness>() {
    let emu = emulator_with_apps(120, false);
    let c: T = client(&emu);

    // Empty pages forever, each naming a new next page: `--limit 1` must not run on.
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::EmptyPageWithNext));
    let listed = c.list(ListParams::new().limit(1)).unwrap();
    assert!(listed.apps.is_empty());
    assert!(
        matches!(
            listed.error,
            Some(Error::Paging(PagingError::EmptyPages { count: 3 }))
        ),
        "{}: {:?}",
        T::NAME,
        listed.error
    );
    assert_eq!(emu.request_count(), 3, "{}", T::NAME);

    // The same page with its query reordered: a loop, and its records come once.
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("Page=1&".into()),
        Fault::ReorderedNextPage,
    ));
    let listed = c.list(ListParams::new().page_size(50)).unwrap();
    assert_eq!(listed.sids(), generated_sids(100));
    assert!(
        matches!(
            listed.error,
            Some(Error::Paging(PagingError::RepeatedUri { .. }))
        ),
        "{:?}",
        listed.error
    );
    assert_eq!(emu.request_count() - before, 2);

    // A next page in another account (directly, and through `..`): refused, nothing sent.
    let other = "AC00000000000000000000000000000002";
    for next in [
        format!("/2010-04-01/Accounts/{other}/AuthorizedConnectApps.json?PageSize=50"),
        format!(
            "/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/../{other}/AuthorizedConnectApps.json?PageSize=50"
        ),
    ] {
        let before = emu.request_count();
        emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::NextPage(next.clone())));
        let listed = c.list(ListParams::new().page_size(50)).unwrap();
        assert_eq!(listed.apps.len(), 50);
        assert!(
            matches!(
                listed.error,
                Some(Error::Paging(PagingError::AccountChanged { .. }))
            ),
            "{next}: {:?}",
            listed.error
        );
        assert_eq!(emu.request_count() - before, 1);
    }

    // A foreign next URI with a 1 MiB query: the error repeats a short excerpt of it.
    emu.set_faults(FaultScript::new().on(
        Trigger::Always,
        Fault::NextPage(format!(
            "https://evil.example/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/AuthorizedConnectApps.json?x={}",
            "y".repeat(1 << 20)
        )),
    ));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    assert!(e.to_string().len() < 600, "{} bytes", e.to_string().len());

    // 5,000 records where 1,000 were asked for: a parse error, not retried.
    let before = emu.request_count();
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::EmptyRecords(5000)));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    let Error::Parse(p) = &e else { panic!("{e:?}") };
    assert_eq!(p.path, "$.authorized_connect_apps[1000]");
    assert_eq!(emu.request_count() - before, 1);

    // An error body with 15 MiB of details: the API error, without the details.
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::HugeErrorDetails(15 << 20)));
    let e = c.list(ListParams::new()).unwrap().error.unwrap();
    let Error::Api(api) = &e else { panic!("{e:?}") };
    assert_eq!((api.code, api.details.is_none()), (Some(20001), true));
    assert!(e.to_string().len() < 400);
    emu.set_faults(FaultScript::new());
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
    assert_eq!(app.connect_app_friendly_name.as_deref(), Some("Interim"));
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

/// Every account (the parent and its subaccounts) read once, each with its own apps; a
/// subaccount that answers 403 is reported and the sweep goes on; no more than the
/// concurrency asked for at once; no auth token anywhere.
pub fn sweep<T: Harness>() {
    use twilio_connect_apps::{AccountStatus, SweepParams};
    let emu = Emulator::builder().subaccounts(30, 3).start().unwrap();
    let broken = "AC0000000000000000000000000000000c"; // subaccount 12
    emu.set_faults(
        FaultScript::new()
            .on(
                Trigger::PathContains(broken.into()),
                Fault::Status(403, ErrorBody::Twilio),
            )
            .on(Trigger::EveryNth(7), Fault::Status(503, ErrorBody::Html)),
    );
    let c: T = client(&emu);
    let results = c
        .sweep(
            SweepParams::new()
                .concurrency(3)
                .accounts(twilio_connect_apps::AccountListParams::new().page_size(10)),
        )
        .unwrap();
    let mut accounts: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    accounts.sort_by_key(|a| a.index);
    assert_eq!(
        accounts.len(),
        31,
        "{}: the parent and 30 subaccounts",
        T::NAME
    );
    for (i, a) in accounts.iter().enumerate() {
        assert_eq!(a.index, i as u64);
        let sid = a.account.sid.clone().unwrap();
        assert_eq!(sid, format!("AC{:032x}", i + 1));
        if sid == broken {
            let e = a.error.as_ref().unwrap();
            assert!(e.is_auth(), "{}: {e}", T::NAME);
            assert!(a.apps.is_empty());
        } else {
            assert!(a.error.is_none(), "{}: {sid}: {:?}", T::NAME, a.error);
            let want: Vec<String> = twilio_connect_apps_testbed::generate_apps(3, seed_of(&sid, i))
                .into_iter()
                .map(|x| x.connect_app_sid)
                .collect();
            let got: Vec<String> = a
                .apps
                .iter()
                .map(|x| x.connect_app_sid.clone().unwrap())
                .collect();
            assert_eq!(got, want, "{sid}");
            assert!(
                a.apps
                    .iter()
                    .all(|x| x.account_sid.as_deref() == Some(sid.as_str()))
            );
        }
    }
    let shown = format!("{accounts:?}");
    assert!(
        !shown.contains("token-")
            && !shown.contains(twilio_connect_apps_testbed::DEFAULT_AUTH_TOKEN)
    );
    if let Some(most) = T::LISTING_CONNECTIONS {
        // the workers' connections, and the accounts listing's
        assert!(
            emu.peak_connections() <= 3 + most,
            "{}: {} connections at once",
            T::NAME,
            emu.peak_connections()
        );
    }
    // Only active accounts.
    let active = c
        .sweep(SweepParams::new().status(AccountStatus::Active))
        .unwrap();
    assert!(
        active
            .iter()
            .all(|r| r.as_ref().unwrap().account.is_active())
    );
    assert_eq!(
        active.len(),
        31 - 3,
        "every 10th subaccount is suspended (3 of 30)"
    );
    emu.set_faults(FaultScript::new());
}

/// The seed the emulator's data uses for an account's generated apps.
fn seed_of(sid: &str, index: usize) -> u64 {
    if index == 0 {
        return 1;
    }
    sid.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
