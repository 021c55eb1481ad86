//! The paging state machine on its own: what it sends, hands out and refuses.

use http::Response;

use crate::error::{Error, PagingError};
use crate::proto::paging::{MAX_EMPTY_PAGES_IN_ROW, Paginator, Step};
use crate::{Config, Credentials, Cursor, ListParams, Secret};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn config() -> Config {
    Config::new(Credentials::auth_token(
        AC.parse().unwrap(),
        Secret::new("t"),
    ))
}

#[test]
fn page_size_and_limit_table() {
    // (limit, page_size, expected first PageSize, or error field)
    type Case = (Option<u64>, Option<u32>, Result<u32, &'static str>);
    let cases: &[Case] = &[
        (None, None, Ok(1000)),
        (Some(1), None, Ok(1)),
        (Some(50), None, Ok(50)),
        (Some(1000), None, Ok(1000)),
        (Some(5000), None, Ok(1000)),
        (None, Some(20), Ok(20)),
        (Some(5), Some(20), Ok(5)),
        (Some(20), Some(5), Ok(5)),
        (Some(2345), Some(1000), Ok(1000)),
        (Some(0), None, Err("limit")),
        (None, Some(0), Err("page_size")),
        (None, Some(1001), Err("page_size")),
        (Some(10), Some(5000), Err("page_size")),
    ];
    for (limit, size, want) in cases {
        let mut p = ListParams::new();
        if let Some(l) = limit {
            p = p.with_limit(*l);
        }
        if let Some(s) = size {
            p = p.with_page_size(*s);
        }
        match (Paginator::new(&config(), p), want) {
            (Ok(mut pg), Ok(n)) => {
                let Step::Send(req) = pg.step().unwrap() else {
                    panic!()
                };
                assert_eq!(req.uri().query(), Some(format!("PageSize={n}").as_str()));
            }
            (Err(e), Err(field)) => {
                assert!(
                    matches!(&e, Error::InvalidInput(i) if i.field == *field),
                    "{e}"
                )
            }
            (got, _) => panic!("{limit:?} {size:?}: {got:?}"),
        }
    }
}

#[test]
fn handle_response_without_request_is_an_error() {
    let mut p = Paginator::<crate::AuthorizedConnectApp>::resuming(
        &config(),
        Cursor {
            next: None,
            skip: 0,
            remaining: None,
            last: None,
        },
    )
    .unwrap();
    assert!(matches!(p.step().unwrap(), Step::Done));
    let r = Response::new(b"{}".to_vec());
    assert!(p.handle_response(&r).is_err());
}

const OTHER: &str = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn list_path(account: &str, query: &str) -> String {
    format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json?{query}")
}

fn page(sids: &[&str], next: Option<&str>) -> Response<Vec<u8>> {
    let apps: Vec<serde_json::Value> = sids
        .iter()
        .map(|s| serde_json::json!({"connect_app_sid": s}))
        .collect();
    Response::new(
        serde_json::to_vec(
            &serde_json::json!({"authorized_connect_apps": apps, "next_page_uri": next}),
        )
        .unwrap(),
    )
}

/// Runs a listing against `serve` (request path+query -> response); returns the SIDs handed
/// out, the requests sent and the final error.
fn run(
    p: &mut Paginator,
    mut serve: impl FnMut(&str, usize) -> Response<Vec<u8>>,
) -> (Vec<String>, usize, Option<Error>) {
    let (mut out, mut sent) = (Vec::new(), 0);
    loop {
        match p.step() {
            Ok(Step::Record(app)) => out.push(app.connect_app_sid().unwrap_or_default().to_owned()),
            Ok(Step::Send(req)) => {
                sent += 1;
                assert!(sent < 100, "runaway listing");
                let target = req.uri().path_and_query().unwrap().as_str().to_owned();
                p.handle_response(&serve(&target, sent)).unwrap();
            }
            Ok(Step::Done) => return (out, sent, None),
            Err(e) => return (out, sent, Some(e)),
        }
    }
}

fn sid(n: u32) -> String {
    format!("CN{n:032x}")
}

#[test]
fn a_next_uri_into_another_account_is_refused() {
    let others = [
        list_path(OTHER, "PageSize=2&PageToken=X"),
        format!("/2010-04-01/Accounts/{AC}/../{OTHER}/AuthorizedConnectApps.json?PageToken=X"),
        format!("/2010-04-01/Accounts/{AC}/%2e%2e/{OTHER}/AuthorizedConnectApps.json?PageToken=X"),
        format!("https://api.twilio.com{}", list_path(OTHER, "PageToken=X")),
    ];
    for next in others {
        let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
        let (a, b) = (sid(1), sid(2));
        let (out, sent, err) = run(&mut p, |_, _| page(&[&a, &b], Some(&next)));
        assert_eq!(out, [a.clone(), b.clone()], "{next}");
        assert_eq!(sent, 1, "{next}: nothing sent to the other account");
        assert!(
            matches!(err, Some(Error::Paging(PagingError::AccountChanged { .. }))),
            "{next}: {err:?}"
        );
    }
}

#[test]
fn the_same_page_with_its_query_reordered_is_a_loop() {
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let first = list_path(AC, "PageSize=2&Page=1&PageToken=T1");
    let again = list_path(AC, "PageToken=T1&Page=7&PageSize=2");
    let (out, sent, err) = run(&mut p, |target, n| match n {
        1 => page(&[&sid(1), &sid(2)], Some(&first)),
        _ => {
            assert!(target.contains("PageToken=T1"));
            page(&[&sid(3), &sid(4)], Some(&again))
        }
    });
    assert_eq!(out, [sid(1), sid(2), sid(3), sid(4)]);
    assert_eq!(sent, 2);
    assert!(
        matches!(err, Some(Error::Paging(PagingError::RepeatedUri { .. }))),
        "{err:?}"
    );
}

#[test]
fn empty_pages_that_go_on_end_the_listing() {
    let mut p = Paginator::new(&config(), ListParams::new().with_limit(1)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| {
        page(
            &[],
            Some(&list_path(AC, &format!("PageSize=1&PageToken=E{n}"))),
        )
    });
    assert!(out.is_empty());
    assert_eq!(sent, MAX_EMPTY_PAGES_IN_ROW as usize);
    assert!(
        matches!(
            err,
            Some(Error::Paging(PagingError::EmptyPages { count: 3 }))
        ),
        "{err:?}"
    );
    // A non-empty page in between resets the count: 2 empty, 1 full, then 3 empty.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(1)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| {
        let next = list_path(AC, &format!("PageSize=1&PageToken=P{n}"));
        match n {
            3 => page(&[&sid(3)], Some(&next)),
            8 => page(&[], None),
            _ => page(&[], Some(&next)),
        }
    });
    assert_eq!((out, sent), (vec![sid(3)], 6));
    assert!(matches!(
        err,
        Some(Error::Paging(PagingError::EmptyPages { count: 3 }))
    ));
}

#[test]
fn records_a_server_repeats_are_handed_out_once() {
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(3)).unwrap();
    let (out, _, err) = run(&mut p, |_, n| {
        let next = list_path(AC, &format!("PageSize=3&PageToken=R{n}"));
        match n {
            1 => page(&[&sid(1), &sid(2), &sid(2)], Some(&next)),
            2 => page(&[&sid(2), &sid(3), &sid(1)], Some(&next)),
            3 => page(&[&sid(4)], None),
            _ => unreachable!(),
        }
    });
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, [sid(1), sid(2), sid(3), sid(4)]);
    // The same page served again and again under new tokens: nothing new, then the
    // empty-page rule stops it.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| {
        page(
            &[&sid(1), &sid(2)],
            Some(&list_path(AC, &format!("PageSize=2&PageToken=S{n}"))),
        )
    });
    assert_eq!(out, [sid(1), sid(2)]);
    assert_eq!(sent, 1 + MAX_EMPTY_PAGES_IN_ROW as usize);
    assert!(matches!(
        err,
        Some(Error::Paging(PagingError::EmptyPages { .. }))
    ));
}

#[test]
fn a_page_with_more_records_than_asked_for_is_an_error() {
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    let e = p
        .handle_response(&page(&[&sid(1), &sid(2), &sid(3)], None))
        .unwrap_err();
    let Error::Parse(pe) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(pe.path, "$.authorized_connect_apps[2]");
    assert!(pe.message.contains("more records"), "{e}");
}

#[test]
fn after_a_paging_error_a_resume_hands_out_nothing_twice() {
    let foreign = format!("https://evil.example{}", list_path(AC, "PageToken=Z"));
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, _, err) = run(&mut p, |_, _| page(&[&sid(1), &sid(2)], Some(&foreign)));
    assert_eq!(out, [sid(1), sid(2)]);
    assert!(err.is_some());
    let cursor = p.cursor();
    assert_eq!(cursor.skip, 2);
    let mut again = Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), cursor).unwrap();
    let (out, sent, err) = run(&mut again, |_, _| page(&[&sid(1), &sid(2)], Some(&foreign)));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(sent, 1);
    assert!(matches!(
        err,
        Some(Error::Paging(PagingError::ForeignOrigin { .. }))
    ));
}

#[test]
fn a_same_origin_next_uri_over_8_kib_is_a_short_paging_error() {
    let next = format!(
        "/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json?PageSize=50&x={}",
        "a".repeat(9 << 10)
    );
    let mut p = Paginator::new(&config(), ListParams::new()).unwrap();
    let (_, sent, err) = run(&mut p, |_, _| page(&[], Some(&next)));
    let err = err.unwrap();
    assert!(matches!(err, Error::Paging(_)), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("more than the 8192"), "{shown}");
    assert!(shown.len() < 500, "{} bytes", shown.len());
    assert_eq!(sent, 1, "the long URI was never requested");
}

#[test]
fn server_text_in_paging_errors_is_cut_short() {
    let next = format!(
        "https://evil.example/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json?x={}",
        "a".repeat(64 << 10)
    );
    let mut p = Paginator::new(&config(), ListParams::new()).unwrap();
    let (_, _, err) = run(&mut p, |_, _| page(&[], Some(&next)));
    let shown = err.unwrap().to_string();
    assert!(shown.len() < 500, "{} bytes", shown.len());
}

fn cursor_at(account: &str) -> Cursor {
    Cursor {
        next: Some(list_path(account, "PageSize=2&Page=1&PageToken=PT1")),
        skip: 0,
        remaining: None,
        last: None,
    }
}

#[test]
fn a_cursor_resumes_only_in_its_own_account() {
    let mine: crate::AccountSid = AC.parse().unwrap();
    let other: crate::AccountSid = OTHER.parse().unwrap();
    type P = Paginator<crate::AuthorizedConnectApp>;
    assert!(P::resuming_in(&config(), Some(&mine), cursor_at(AC)).is_ok());
    assert!(
        P::resuming_in(&config(), None, cursor_at(AC)).is_ok(),
        "the configured one"
    );
    assert!(P::resuming_in(&config(), Some(&other), cursor_at(OTHER)).is_ok());
    let e = P::resuming_in(&config(), Some(&other), cursor_at(AC)).unwrap_err();
    assert!(
        e.to_string().contains("resumes only in its own account"),
        "{e}"
    );
    let e = P::resuming_in(&config(), None, cursor_at(OTHER)).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
}

#[test]
fn buffered_and_done_follow_what_is_left_to_hand_out() {
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(3)).unwrap();
    assert!(!p.is_done(), "nothing read yet");
    assert_eq!(p.buffered(), 0);
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    let next = list_path(AC, "PageSize=3&Page=1&PageToken=PT1");
    p.handle_response(&page(&[&sid(1), &sid(2), &sid(3)], Some(&next)))
        .unwrap();
    assert_eq!(p.buffered(), 3);
    assert!(!p.is_done());
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert_eq!(p.buffered(), 2);
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert_eq!(p.buffered(), 0);
    assert!(!p.is_done(), "a next page is named");
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    p.handle_response(&page(&[&sid(4)], None)).unwrap();
    assert!(!p.is_done(), "one record still buffered");
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert!(p.is_done(), "the last page, handed out");
    assert!(matches!(p.step().unwrap(), Step::Done));

    // A limit reached is done at once, even with records of the page left over.
    let mut p =
        Paginator::new(&config(), ListParams::new().with_limit(2).with_page_size(2)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    p.handle_response(&page(&[&sid(1), &sid(2)], Some(&next)))
        .unwrap();
    assert!(!p.is_done());
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert!(!p.is_done(), "one left to hand out");
    assert!(matches!(p.step().unwrap(), Step::Record(_)));
    assert!(p.is_done());
}

#[test]
fn a_page_given_while_records_are_still_buffered_is_refused_and_loses_nothing() {
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(3)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    let next = list_path(AC, "PageSize=3&Page=1&PageToken=PT1");
    p.handle_response(&page(&[&sid(1), &sid(2), &sid(3)], Some(&next)))
        .unwrap();
    let r = p.handle_response_with(&page(&[&sid(4)], None), |_| {
        Ok::<(), std::convert::Infallible>(())
    });
    assert!(r.is_err(), "the next page was never asked for");
    let (out, _, error) = run(&mut p, |_, _| page(&[&sid(4)], None));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(out, [sid(1), sid(2), sid(3), sid(4)]);
}

#[test]
fn the_view_path_stops_at_the_limit_and_sends_nothing_more() {
    let next = list_path(AC, "PageSize=5&Page=1&PageToken=PT1");
    let mut p =
        Paginator::new(&config(), ListParams::new().with_limit(3).with_page_size(5)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    let mut handed = 0;
    let r = p.handle_response_with(&page(&[&sid(1), &sid(2), &sid(3)], Some(&next)), |_| {
        handed += 1;
        Ok::<(), std::convert::Infallible>(())
    });
    assert!(r.is_ok());
    assert_eq!(handed, 3);
    assert!(p.is_done());
    assert_eq!(p.buffered(), 0);
    assert!(
        matches!(p.step().unwrap(), Step::Done),
        "no request past the limit"
    );

    // Without a limit, the view path goes on to the next page, and ends after the last.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    let ok = |p: &mut Paginator, resp| {
        p.handle_response_with(&resp, |_| Ok::<(), std::convert::Infallible>(()))
            .is_ok()
    };
    assert!(ok(&mut p, page(&[&sid(1), &sid(2)], Some(&next))));
    assert!(!p.is_done());
    let Step::Send(req) = p.step().unwrap() else {
        panic!("the next page is asked for")
    };
    assert!(req.uri().query().unwrap().contains("PageToken=PT1"));
    assert!(ok(&mut p, page(&[&sid(3)], None)));
    assert!(p.is_done());
    assert!(matches!(p.step().unwrap(), Step::Done));
}

#[test]
fn pages_told_apart_by_page_number_alone_are_not_a_loop() {
    // No PageToken: `Page` tells the pages apart (it is ignored only next to a token).
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(1)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| {
        let next = (n < 3).then(|| list_path(AC, &format!("PageSize=1&Page={n}")));
        page(&[&sid(n as u32)], next.as_deref())
    });
    assert!(err.is_none(), "{err:?}");
    assert_eq!((out.len(), sent), (3, 3));
    // With a token, two URIs that differ only in `Page` are the same page: a loop.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(1)).unwrap();
    let (_, sent, err) = run(&mut p, |_, n| {
        let next = list_path(AC, &format!("PageSize=1&Page={n}&PageToken=SAME"));
        page(&[&sid(n as u32)], Some(&next))
    });
    assert!(
        matches!(err, Some(Error::Paging(PagingError::RepeatedUri { .. }))),
        "{err:?}"
    );
    assert_eq!(sent, 2);
}

#[test]
fn a_limit_reached_mid_page_drops_the_rest_of_the_page() {
    let mut p =
        Paginator::new(&config(), ListParams::new().with_limit(3).with_page_size(2)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| {
        let next = list_path(AC, &format!("PageSize=2&Page={n}&PageToken=PT{n}"));
        let n = n as u32 * 10;
        page(&[&sid(n), &sid(n + 1)], Some(&next))
    });
    assert!(err.is_none());
    assert_eq!((out.len(), sent), (3, 2));
    assert_eq!(
        p.buffered(),
        0,
        "the page's last record is dropped, not kept"
    );
    assert!(p.is_done());
    let cursor = p.cursor();
    assert_eq!((cursor.next, cursor.remaining), (None, Some(0)));
}

#[test]
fn a_page_served_twice_is_read_again_and_nothing_is_lost() {
    // Page 2's request is answered with page 1 again (a proxy replaying it), which names page
    // 2 as its next page: page 2 is read once more, not a loop.
    let second = list_path(AC, "PageSize=2&Page=1&PageToken=T2");
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, sent, err) = run(&mut p, |_, n| match n {
        1 | 2 => page(&[&sid(1), &sid(2)], Some(&second)),
        _ => page(&[&sid(3)], None),
    });
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, [sid(1), sid(2), sid(3)]);
    assert_eq!(sent, 3);
    // A page that hands out something new and names itself is still a loop.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, _, err) = run(&mut p, |_, n| match n {
        1 => page(&[&sid(1)], Some(&second)),
        _ => page(&[&sid(2)], Some(&second)),
    });
    assert_eq!(out, [sid(1), sid(2)]);
    assert!(
        matches!(err, Some(Error::Paging(PagingError::RepeatedUri { .. }))),
        "{err:?}"
    );
    // And one served twice for good ends with the empty-page rule.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, sent, err) = run(&mut p, |_, _| page(&[&sid(1)], Some(&second)));
    assert_eq!(out, [sid(1)]);
    assert_eq!(sent as u32, 1 + MAX_EMPTY_PAGES_IN_ROW);
    assert!(
        matches!(err, Some(Error::Paging(PagingError::EmptyPages { .. }))),
        "{err:?}"
    );
}

#[test]
fn a_cursor_carries_the_last_record_and_a_resume_skips_through_it() {
    let second = list_path(AC, "PageSize=2&Page=1&PageToken=T2");
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let Step::Send(_) = p.step().unwrap() else {
        panic!()
    };
    p.handle_response(&page(&[&sid(1), &sid(2)], Some(&second)))
        .unwrap();
    let Step::Record(_) = p.step().unwrap() else {
        panic!()
    };
    assert_eq!(p.cursor().last.as_deref(), Some(sid(1).as_str()));
    let Step::Record(_) = p.step().unwrap() else {
        panic!()
    };
    let cursor = p.cursor();
    assert_eq!(
        (cursor.next.as_deref(), cursor.skip, cursor.last.as_deref()),
        (Some(second.as_str()), 0, Some(sid(2).as_str()))
    );
    // The resume's first request is answered with page 1 again: its records are not handed
    // out twice (the cursor's last record is on it); page 2 is read again and handed out.
    let saved: Cursor = serde_json::from_str(&serde_json::to_string(&cursor).unwrap()).unwrap();
    let mut again = Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), saved).unwrap();
    let (out, sent, err) = run(&mut again, |_, n| match n {
        1 => page(&[&sid(1), &sid(2)], Some(&second)),
        _ => page(&[&sid(3), &sid(4)], None),
    });
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, [sid(3), sid(4)]);
    assert_eq!(sent, 2);
    // A cursor from before this field reads as one without it.
    let old: Cursor =
        serde_json::from_str(r#"{"next": null, "skip": 0, "remaining": null}"#).unwrap();
    assert_eq!(old.last, None);
}

#[test]
fn a_resume_whose_page_gives_nothing_keeps_its_cursor() {
    // The resume's page is answered with a replay of the page before, whose next page is
    // refused: the cursor stays the one the resume started from, so the page's records are
    // not skipped when it is read for real.
    let second = list_path(AC, "PageSize=2&Page=1&PageToken=T2");
    let foreign = format!("https://evil.example{}", list_path(AC, "PageToken=Z"));
    let start = Cursor {
        next: Some(second.clone()),
        skip: 0,
        remaining: None,
        last: Some(sid(2)),
    };
    let mut p =
        Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), start.clone()).unwrap();
    let (out, _, err) = run(&mut p, |_, _| page(&[&sid(1), &sid(2)], Some(&foreign)));
    assert!(out.is_empty() && err.is_some(), "{out:?} {err:?}");
    assert_eq!(p.cursor(), start);
    let mut again =
        Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), p.cursor()).unwrap();
    let (out, _, err) = run(&mut again, |_, _| page(&[&sid(3), &sid(4)], None));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, [sid(3), sid(4)]);
}

#[test]
fn a_listing_that_stops_on_replayed_pages_resumes_at_their_start() {
    // Page 2's request is answered with page 1 again until the empty-page rule stops the
    // listing: page 2 was never read, so the cursor points at its start, not past it.
    let second = list_path(AC, "PageSize=2&Page=1&PageToken=T2");
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let (out, _, err) = run(&mut p, |_, _| page(&[&sid(1), &sid(2)], Some(&second)));
    assert_eq!(out, [sid(1), sid(2)]);
    assert!(
        matches!(err, Some(Error::Paging(PagingError::EmptyPages { .. }))),
        "{err:?}"
    );
    let cursor = p.cursor();
    assert_eq!(
        (cursor.next.as_deref(), cursor.skip, cursor.last.as_deref()),
        (Some(second.as_str()), 0, Some(sid(2).as_str()))
    );
    let mut again = Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), cursor).unwrap();
    let (out, _, err) = run(&mut again, |_, _| page(&[&sid(3), &sid(4)], None));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, [sid(3), sid(4)]);
}

#[test]
fn the_view_path_reads_many_pages_and_a_refusal_resumes_after_the_last_record_taken() {
    // Six pages of two: every page counts as new (none is "empty"), so the listing does not
    // stop on the empty-page rule.
    let mut p = Paginator::new(&config(), ListParams::new().with_page_size(2)).unwrap();
    let mut out = Vec::new();
    let mut refused = false;
    for n in 0..6u32 {
        let Step::Send(_) = p.step().unwrap() else {
            panic!("page {n} is asked for")
        };
        let next = (n < 5).then(|| {
            list_path(
                AC,
                &format!("PageSize=2&Page={}&PageToken=P{}", n + 1, n + 1),
            )
        });
        let resp = page(&[&sid(2 * n), &sid(2 * n + 1)], next.as_deref());
        let r = p.handle_response_with(&resp, |v| {
            // The callback refuses the second record of page 3 once.
            if n == 3 && !refused && out.len() == 7 {
                refused = true;
                return Err("refused");
            }
            out.push(v.connect_app_sid.unwrap().to_str().into_owned());
            Ok(())
        });
        if r.is_err() {
            // A resume from the cursor hands out the refused record, and nothing before it.
            let mut again =
                Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), p.cursor()).unwrap();
            let (rest, _, err) = run(&mut again, |_, _| page(&[&sid(6), &sid(7)], None));
            assert!(err.is_none(), "{err:?}");
            assert_eq!(rest, [sid(7)]);
            assert_eq!(p.cursor().skip, 1);
            // Read this page again on the view path, from the cursor: only the refused record.
            let Step::Send(_) = p.step().unwrap() else {
                panic!()
            };
            let r = p.handle_response_with(&resp, |v| {
                out.push(v.connect_app_sid.unwrap().to_str().into_owned());
                Ok::<(), std::convert::Infallible>(())
            });
            assert!(r.is_ok());
        }
    }
    assert!(p.is_done());
    let want: Vec<String> = (0..12).map(sid).collect();
    assert_eq!(out, want);
}

#[test]
fn on_the_view_path_too_a_resume_skips_a_replayed_page_through_its_last_record() {
    let second = list_path(AC, "PageSize=2&Page=1&PageToken=T2");
    let cursor = Cursor {
        next: Some(second.clone()),
        skip: 0,
        remaining: None,
        last: Some(sid(2)),
    };
    let mut p = Paginator::<crate::AuthorizedConnectApp>::resuming(&config(), cursor).unwrap();
    let mut out = Vec::new();
    let answers = [
        page(&[&sid(1), &sid(2)], Some(&second)),
        page(&[&sid(3), &sid(4)], None),
    ];
    for resp in &answers {
        let Step::Send(_) = p.step().unwrap() else {
            panic!()
        };
        let r = p.handle_response_with(resp, |v| {
            out.push(v.connect_app_sid.unwrap().to_str().into_owned());
            Ok::<(), std::convert::Infallible>(())
        });
        assert!(r.is_ok());
    }
    assert!(p.is_done());
    assert_eq!(out, [sid(3), sid(4)]);
}
