#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Building requests and making retry decisions, in nanoseconds.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use twilio_connect_apps::config::{Jitter, Outcome, RetryState};
use twilio_connect_apps::wire::{PageQuery, fetch_request, list_request, page_at_request};
use twilio_connect_apps::{
    Action, Config, Credentials, ListParams, Machine, RetryPolicy, Secret, Session,
};

fn requests(c: &mut Criterion) {
    let config = Config::new(Credentials::auth_token(
        "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        Secret::new("token"),
    ));
    let app = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
    let next = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?Page=1&PageSize=1000&PageToken=PA3e8-1234abcd";
    let mut g = c.benchmark_group("requests");
    g.bench_function("fetch", |b| {
        b.iter(|| fetch_request(&config, black_box(&app), None).unwrap())
    });
    g.bench_function("first_page", |b| {
        b.iter(|| {
            list_request(
                &config,
                black_box(&PageQuery::new().with_page_size(1000)),
                None,
            )
            .unwrap()
        })
    });
    let session = Session::new(config.clone());
    g.bench_function("first_page_via_listing", |b| {
        b.iter(|| {
            let mut p = session.list(ListParams::new()).unwrap();
            match p.next(&session.context(SystemTime::UNIX_EPOCH)) {
                Action::Send(r) => r,
                _ => unreachable!(),
            }
        })
    });
    g.bench_function("next_page", |b| {
        b.iter(|| page_at_request(&config, black_box(next)).unwrap())
    });
    let policy = RetryPolicy::default();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
    );
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_700);
    let empty = http::HeaderMap::new();
    for (name, status, headers) in [
        (
            "retry_decision_backoff",
            http::StatusCode::SERVICE_UNAVAILABLE,
            &empty,
        ),
        (
            "retry_decision_http_date",
            http::StatusCode::TOO_MANY_REQUESTS,
            &headers,
        ),
    ] {
        let outcome = Outcome::Response { status, headers };
        g.bench_function(name, |b| {
            b.iter(|| {
                let jitter = Jitter::from_seed(12345);
                policy.decide(&mut RetryState::new(), black_box(&outcome), now, jitter)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
