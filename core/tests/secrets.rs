#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The token never shows up in `Debug` or `Display` of anything the crate hands out.

use base64::Engine as _;
use twilio_connect_apps::wire::{
    PageQuery, fetch_request, list_request, page_at_request, parse_page,
};
use twilio_connect_apps::{
    Action, Config, Credentials, Error, ListParams, Machine, Secret, Session,
};

const TOKEN: &str = "tok-3f9a-SECRET-value";
const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn assert_clean(what: &str, text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{AC}:{TOKEN}"));
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
    assert!(
        !text.contains(&encoded),
        "{what} leaks the Authorization value: {text}"
    );
}

#[test]
fn no_debug_output_holds_the_token() {
    let creds = Credentials::auth_token(AC.parse().unwrap(), Secret::new(TOKEN));
    assert_clean("credentials", &format!("{creds:?} {creds:#?}"));
    let config = Config::new(creds);
    assert_clean("config", &format!("{config:?} {config:#?}"));

    let req = list_request(&config, &PageQuery::new().with_page_size(5), None).unwrap();
    assert_clean("request", &format!("{req:?} {:?}", req.headers()));
    let req = fetch_request(
        &config,
        &"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        None,
    )
    .unwrap();
    assert_clean("fetch request", &format!("{req:?}"));

    let session = Session::new(config.clone());
    let mut p = session.list(ListParams::new()).unwrap();
    assert_clean("paginator", &format!("{p:?}"));
    let Action::Send(req) = p.next(&session.context(std::time::UNIX_EPOCH)) else {
        panic!()
    };
    assert_clean("step", &format!("{req:?}"));

    // Errors of every phase.
    let errors: Vec<Error> = vec![
        parse_page(&http::Response::builder().status(401).body(br#"{"code":20003,"message":"Authenticate","status":401}"#.to_vec()).unwrap()).unwrap_err(),
        parse_page(&http::Response::builder().status(502).body(b"<html/>".to_vec()).unwrap()).unwrap_err(),
        parse_page(&http::Response::new(b"{".to_vec())).unwrap_err(),
        page_at_request(&config, "https://evil.example/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json").unwrap_err(),
        Config::new(Credentials::auth_token(AC.parse().unwrap(), Secret::new(TOKEN))).with_base_url("http://example.com").unwrap_err(),
        Credentials::from_env_with(|k| (k == "TWILIO_ACCOUNT_SID").then(|| TOKEN.to_owned()).or_else(|| (k == "TWILIO_AUTH_TOKEN").then(|| TOKEN.to_owned()))).unwrap_err(),
    ];
    for e in errors {
        assert_clean("error", &format!("{e:?} {e}"));
    }
}
