#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The proxy variables, read from the real process environment by both transports, follow the
//! one rule of the core. One test in its own binary: the environment is process-wide.

#[allow(unreachable_pub)] // shared with the e2e suite, not an API
#[path = "support/proxy.rs"]
mod proxy;

use twilio_connect_apps::error::TransportErrorKind;
use twilio_connect_apps::{Config, Credentials, Error, ListParams, Secret};
use twilio_connect_apps_testbed::{
    DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, TLS_TEST_HOST,
};

const VARS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
    "TWILIO_CA_CERT",
];

fn set(pairs: &[(&str, &str)]) {
    for v in VARS {
        // SAFETY: this binary runs one test, on one thread; nothing else reads the environment.
        unsafe { std::env::remove_var(v) };
    }
    for (k, v) in pairs {
        unsafe { std::env::set_var(k, v) };
    }
}

fn config(base: &str) -> Config {
    Config::new(Credentials::auth_token(
        DEFAULT_ACCOUNT_SID.parse().unwrap(),
        Secret::new(DEFAULT_AUTH_TOKEN),
    ))
    .with_base_url(base)
    .unwrap()
    // A failed name lookup is retried otherwise; one attempt says enough here.
    .with_retry_policy(twilio_connect_apps::RetryPolicy::disabled())
}

/// Lists through both transports, built with the environment's proxy; returns their results.
fn list_both(base: &str, ca: Option<&[u8]>) -> Vec<Result<usize, Error>> {
    list_both_with(&config(base), ca)
}

/// The same, with this configuration.
fn list_both_with(config: &Config, ca: Option<&[u8]>) -> Vec<Result<usize, Error>> {
    let mut out = Vec::new();
    let mut b = twilio_connect_apps_ureq::Client::builder(config.clone());
    if let Some(der) = ca {
        b = b.root_certificate_der(der);
    }
    out.push(
        b.build()
            .and_then(|c| c.list(ListParams::new())?.collect::<Result<Vec<_>, _>>())
            .map(|v| v.len()),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let mut b = twilio_connect_apps_hyper::Client::builder(config.clone());
    if let Some(der) = ca {
        b = b.root_certificate_der(der);
    }
    out.push(b.build().and_then(|c| {
        rt.block_on(async {
            let mut apps = c.list(ListParams::new())?;
            let mut n = 0;
            while let Some(app) = apps.next().await {
                app?;
                n += 1;
            }
            Ok(n)
        })
    }));
    out
}

#[test]
fn proxy_variables_follow_one_rule_in_both_transports() {
    let proxy = proxy::TestProxy::start();
    let url = proxy.url("pu", "pp");
    let plain = Emulator::start();
    let tls = Emulator::builder().tls(true).start().unwrap();
    let tls_base = format!("https://{TLS_TEST_HOST}:{}", tls.addr().port());
    let ca = tls.ca_cert_der().map(<[u8]>::to_vec);

    // Every proxy variable set, a loopback origin: never proxied (plain http would carry the
    // credentials to the proxy in cleartext).
    set(&[
        ("HTTP_PROXY", &url),
        ("http_proxy", &url),
        ("ALL_PROXY", &url),
        ("HTTPS_PROXY", &url),
    ]);
    for r in list_both(plain.base_url(), None) {
        assert_eq!(r.unwrap(), 4);
    }
    assert!(proxy.log().is_empty(), "{:?}", proxy.log());
    assert_eq!(plain.request_count(), 2);

    // An https origin that only the proxy reaches: both tunnel through HTTPS_PROXY.
    set(&[("HTTPS_PROXY", &url)]);
    for r in list_both(&tls_base, ca.as_deref()) {
        assert_eq!(r.unwrap(), 4);
    }
    let seen = proxy.log();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|(line, auth)| line.starts_with("CONNECT emulator.test:") && auth.is_some())
    );

    // ALL_PROXY (lower case too) when HTTPS_PROXY is not set.
    set(&[("all_proxy", &url)]);
    for r in list_both(&tls_base, ca.as_deref()) {
        assert_eq!(r.unwrap(), 4);
    }
    assert_eq!(proxy.log().len(), 4);

    // NO_PROXY names the host: direct, so the unresolvable name fails to connect, and the
    // proxy sees nothing.
    for no in ["emulator.test", ".test", "*"] {
        set(&[("HTTPS_PROXY", &url), ("NO_PROXY", no)]);
        for r in list_both(&tls_base, ca.as_deref()) {
            let e = r.unwrap_err();
            assert!(
                matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Connect),
                "{no}: {e:?}"
            );
        }
    }
    assert_eq!(proxy.log().len(), 4);

    // HTTP_PROXY is never read, so a CGI request's `Proxy:` header (httpoxy) steers nothing.
    set(&[("HTTP_PROXY", &url), ("REQUEST_METHOD", "GET")]);
    for r in list_both(&tls_base, ca.as_deref()) {
        assert!(r.is_err());
    }
    assert_eq!(proxy.log().len(), 4);

    // OAuth: the token request decides its proxy from its own origin. A loopback token service
    // is reached directly while the API goes through the proxy: the proxy never sees the
    // token request (its form holds the client secret).
    let oauth = |api: &str, token: &str| {
        Config::new(Credentials::oauth_client(
            DEFAULT_ACCOUNT_SID.parse().unwrap(),
            "OQ00000000000000000000000000000001",
            Secret::new("oauth-client-SECRET-42"),
        ))
        .with_base_url(api)
        .unwrap()
        .with_oauth_base_url(token)
        .unwrap()
        .with_retry_policy(twilio_connect_apps::RetryPolicy::disabled())
    };
    let posts = |emu: &Emulator| {
        emu.requests()
            .iter()
            .filter(|r| r.path == "/v2/token")
            .count()
    };
    let token_service_on = |tls: bool| {
        Emulator::builder()
            .tls(tls)
            .oauth_client(
                "OQ00000000000000000000000000000001",
                "oauth-client-SECRET-42",
                DEFAULT_ACCOUNT_SID,
            )
            .start()
            .unwrap()
    };
    let token_service = token_service_on(false);
    set(&[("HTTPS_PROXY", &url)]);
    let before = proxy.log().len();
    // The API emulator does not know the other one's tokens: the listings end in 401s,
    // which is not what this is about.
    let _ = list_both_with(&oauth(&tls_base, token_service.base_url()), ca.as_deref());
    // Per transport: the token, and one refresh after the API's 401.
    assert!(
        (2..=4).contains(&posts(&token_service)),
        "direct token requests"
    );
    let seen = proxy.log().split_off(before);
    assert!(!seen.is_empty(), "the API went through the proxy");
    assert!(
        seen.iter()
            .all(|(line, _)| line.starts_with("CONNECT emulator.test:")),
        "{seen:?}"
    );

    // And the other way round: the API on loopback (direct), the token service only the
    // proxy reaches (tunnelled).
    let tls_oauth = token_service_on(true);
    let tls_oauth_base = format!("https://{TLS_TEST_HOST}:{}", tls_oauth.addr().port());
    let before = proxy.log().len();
    let _ = list_both_with(
        &oauth(plain.base_url(), &tls_oauth_base),
        tls_oauth.ca_cert_der(),
    );
    assert!(
        (2..=4).contains(&posts(&tls_oauth)),
        "the token requests arrived, tunnelled"
    );
    let seen = proxy.log().split_off(before);
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|(line, _)| line.starts_with(&format!(
            "CONNECT {TLS_TEST_HOST}:{}",
            tls_oauth.addr().port()
        ))),
        "{seen:?}"
    );

    // An unsupported scheme is an error that names the variable, in both; never ignored.
    set(&[("ALL_PROXY", "socks5://127.0.0.1:1080")]);
    for r in list_both(&tls_base, ca.as_deref()) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("ALL_PROXY") && e.contains("socks5"), "{e}");
    }
    set(&[]);
}
