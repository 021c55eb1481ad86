//! Whole listings: counts, resuming, borrowed views, the meta envelope.

use twilio_connect_apps::error::PagingError;
use twilio_connect_apps::wire::PageQuery;
use twilio_connect_apps::{Error, ListParams};
use twilio_connect_apps_testbed::{Emulator, ErrorBody, Fault, FaultScript, Trigger};

use super::emulator_with_apps;
use crate::support::*;

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
            params = params.with_page_size(s);
        }
        if let Some(l) = limit {
            params = params.with_limit(l);
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

/// A sequential listing of 100 pages goes over pooled keep-alive connections (for the
/// transports that pool: ureq and hyper), gzip or not: at most `max` of them. ureq: 1.
/// hyper on a multi-threaded runtime: a few, because hyper-util hands a connection back to
/// its pool from a task of its own after the body ends, and the next request can start before
/// that task ran (seen: 1 to 3 of 100; on a current-thread runtime, as the CLI runs it, 1).
pub fn pooled_connections_for_100_pages<T: Harness>(max: u64) {
    for gzip in [true, false] {
        let emu = Emulator::builder()
            .generated_apps(1_000)
            .gzip(gzip)
            .start()
            .unwrap();
        let c: T = client(&emu);
        let listed = c.list(ListParams::new().with_page_size(10)).unwrap();
        assert!(listed.error.is_none(), "{:?}", listed.error);
        assert_eq!(listed.apps.len(), 1_000);
        assert_eq!(emu.request_count(), 100);
        assert!(
            emu.connection_count() <= max,
            "{}: {} connections for 100 pages (gzip {gzip})",
            T::NAME,
            emu.connection_count()
        );
    }
}

pub fn resume_mid_page<T: Harness>() {
    let emu = emulator_with_apps(30, false);
    let c: T = client(&emu);
    let (first, cursor) = c.take(ListParams::new().with_page_size(10), 13).unwrap();
    assert_eq!(first.len(), 13);
    assert_eq!(cursor.skip, 3);
    let json = serde_json::to_string(&cursor).unwrap();
    let rest = c.resume(serde_json::from_str(&json).unwrap()).unwrap();
    let mut all: Vec<String> = first
        .iter()
        .map(|a| a.connect_app_sid().map(str::to_owned).unwrap())
        .collect();
    all.extend(rest.sids());
    assert_eq!(all, generated_sids(30));
}

/// Lists to the end, resuming from the cursor after each error; returns the records and errors.
pub(crate) fn list_resuming<T: Harness>(c: &T, params: ListParams) -> (Vec<String>, Vec<Error>) {
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
    let owned = c.list(ListParams::new().with_page_size(300)).unwrap();
    assert!(owned.error.is_none(), "{:?}", owned.error);
    let want: Vec<String> = owned
        .apps
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    assert_eq!(want.len(), 2_500);

    // Refused at record 1,234 (mid-page), then resumed from the cursor twice over.
    let first = c
        .views(
            Start::New(ListParams::new().with_page_size(300)),
            Some(1_234),
        )
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
            Start::New(ListParams::new().with_page_size(300).with_limit(777)),
            None,
        )
        .unwrap();
    assert!(limited.error.is_none());
    assert_eq!(limited.lines, want[..777]);
    assert!(!c.waits().is_empty(), "faults were injected and retried");
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
        let listed = c.list(ListParams::new().with_page_size(500)).unwrap();
        assert!(listed.error.is_none(), "{}: {:?}", T::NAME, listed.error);
        assert_eq!(listed.sids(), generated_sids(2345));
        assert_eq!(emu.request_count(), 5);
        if let Some(most) = T::LISTING_CONNECTIONS {
            assert!(emu.connection_count() <= most, "{}", emu.connection_count());
        }
        let page = c.page(&PageQuery::new().with_page_size(10)).unwrap();
        assert_eq!(
            page.envelope.key.as_deref(),
            Some("authorized_connect_apps")
        );
        let next = page.next_page_uri().unwrap().to_owned();
        assert!(next.starts_with(emu.base_url()), "absolute: {next}");
        assert_eq!(c.page_at(&next).unwrap().envelope.page, Some(1));
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
    let listed = c.list(ListParams::new().with_page_size(50)).unwrap();
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
