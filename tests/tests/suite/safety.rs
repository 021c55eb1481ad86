//! What the client refuses: untrusted TLS, foreign next pages, redirects, oversized bodies,
//! hostile pages; and the proxy tunnel.

use std::time::{Duration, Instant};

use twilio_connect_apps::error::{PagingError, TransportErrorKind};
use twilio_connect_apps::{Error, ListParams};
use twilio_connect_apps_testbed::{
    DEFAULT_ACCOUNT_SID, Dataset, Emulator, Fault, FaultRule, FaultScript, Trigger,
};

use super::oauth::oauth_emulator;
use super::{emulator, emulator_with_apps};
use crate::support::*;

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

pub fn foreign_next<T: Harness>() {
    let foreign = Emulator::start();
    let emu = emulator_with_apps(120, false);
    emu.set_faults(FaultScript::new().on(
        Trigger::Nth(1),
        Fault::ForeignNextPage(foreign.base_url().to_owned()),
    ));
    let c: T = client(&emu);
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
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
        .list(ListParams::new().with_page_size(50))
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
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
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

/// A server that breaks the paging protocol or sends bodies built to exhaust memory: each case
/// ends with the right error, after the fewest requests, and nothing is handed out twice.
pub fn hostile_pages<T: Harness>() {
    let emu = emulator_with_apps(120, false);
    let c: T = client(&emu);

    // Empty pages forever, each naming a new next page: `--limit 1` must not run on.
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::EmptyPageWithNext));
    let listed = c.list(ListParams::new().with_limit(1)).unwrap();
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
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
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
        let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
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

/// A server that quotes back the credentials it received (the `Authorization` header, the
/// decoded Basic pair, the token request's form, the secret as a request id): no error, `Debug`
/// or request id shows any of them.
pub fn reflected_secrets<T: Harness>() {
    let emu = emulator_with_apps(3, false);
    emu.add_fault(FaultRule::new(Trigger::Always, Fault::Reflect(401)));
    let c: T = client(&emu);
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    assert_no_secret(&e);
    let shown = e.to_string();
    assert!(shown.contains("[redacted]"), "{}: {shown}", T::NAME);
    assert_eq!(e.request_id(), None, "the reflected token is no request id");
    emu.set_faults(FaultScript::new().on(Trigger::Always, Fault::Reflect(400)));
    let listed = c.list(ListParams::new()).unwrap();
    assert_no_secret(listed.error.as_ref().unwrap());

    // OAuth: the token request's form (client secret) and the bearer token on API requests.
    let emu = oauth_emulator(Duration::from_secs(3600), 3);
    emu.add_fault(FaultRule::new(
        Trigger::PathContains("/v2/token".into()),
        Fault::Reflect(400),
    ));
    let c: T = T::new(oauth_config(&emu), &emu, &Opts::default()).unwrap();
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(matches!(e, Error::Auth(_)), "{shown}");
    assert!(!shown.contains(OAUTH_CLIENT_SECRET), "{}: {shown}", T::NAME);
    assert!(shown.contains("client_secret=[redacted]"), "{shown}");

    let emu = oauth_emulator(Duration::from_secs(3600), 3);
    emu.add_fault(FaultRule::new(
        Trigger::PathContains("AuthorizedConnectApps".into()),
        Fault::Reflect(403),
    ));
    let c: T = T::new(oauth_config(&emu), &emu, &Opts::default()).unwrap();
    let e = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("Bearer [redacted]"), "{}: {shown}", T::NAME);
    assert!(!shown.contains("eyJ"), "no part of the JWT: {shown}");
}
