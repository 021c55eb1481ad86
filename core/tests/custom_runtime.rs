#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The custom-runtime loop the crate docs and the README show, with the randomness they show:
//! a retry waits a real, jittered time, whatever seed a runtime hands over.

use std::time::{Duration, UNIX_EPOCH};

use twilio_connect_apps::error::TransportError;
use twilio_connect_apps::{Action, Config, Credentials, ListParams, Machine, Secret, Session};

/// Lists through the documented loop against a server whose first answer is a 503; returns
/// the waits the machine asked for.
fn waits_with_seed(seed: u64) -> Vec<Duration> {
    let config = Config::new(Credentials::auth_token(
        "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        Secret::new("your auth token"),
    ));
    let session = Session::new(config).with_seed(seed);
    let mut served = 0;
    let mut my_send =
        |_: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
            served += 1;
            let (status, body): (u16, &[u8]) = if served == 1 {
                (503, b"busy")
            } else {
                (
                    200,
                    br#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}], "next_page_uri": null}"#,
                )
            };
            Ok(http::Response::builder()
                .status(status)
                .body(body.to_vec())
                .unwrap())
        };
    let my_clock = || UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut waits = Vec::new();
    let mut listing = session.list(ListParams::new()).unwrap();
    let mut apps = Vec::new();
    for step in 0.. {
        // A broken machine fails the test instead of hanging it.
        assert!(step < 1000, "the listing never ended");
        match listing.next(&session.context(my_clock())) {
            Action::Send(request) => {
                let response = my_send(request);
                listing.handle(&session.context(my_clock()), response);
            }
            Action::Wait(wait) => waits.push(wait),
            Action::Done(Some(app)) => apps.push(app.unwrap()),
            Action::Done(None) => break,
        }
    }
    assert_eq!(apps.len(), 1);
    waits
}

#[test]
fn a_retry_waits_a_real_time_with_the_seeds_the_docs_show() {
    // The docs' 7 and 42, zero, and what a JavaScript runtime's `Math.random() * 2 ** 32`
    // gives: all small next to 2^64, none may mean "no wait".
    for seed in [7, 42, 0, 1, 2_654_435_769, u64::from(u32::MAX)] {
        let waits = waits_with_seed(seed);
        assert_eq!(waits.len(), 1, "seed {seed}: {waits:?}");
        // The first backoff window is 0..=500 ms; a uniform draw lands well inside it.
        assert!(
            waits[0] > Duration::from_millis(1) && waits[0] <= Duration::from_millis(500),
            "seed {seed}: {waits:?}"
        );
    }
}

#[test]
fn different_seeds_spread_the_waits() {
    let waits: std::collections::HashSet<Duration> =
        (0..32).map(|seed| waits_with_seed(seed)[0]).collect();
    assert!(waits.len() > 28, "{} distinct waits of 32", waits.len());
}
