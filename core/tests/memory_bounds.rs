#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! No response within the body cap makes the core allocate more than a few times the cap,
//! whatever the server put in it. A counting allocator measures the peak of live heap bytes
//! while each hostile 16 MiB body (the default cap) is parsed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use twilio_connect_apps::wire::{error_from_response, parse_app, parse_page};
use twilio_connect_apps::{
    Action, Config, Credentials, Error, ListParams, Machine, Secret, Session,
};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::SeqCst) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::SeqCst);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Tests share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const CAP: usize = 16 << 20;

/// Peak heap bytes allocated *beyond* what was live before `f` (the body itself).
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let r = f();
    (r, PEAK.load(Ordering::SeqCst) - before)
}

fn body_of(prefix: &str, unit: &str, sep: &str, suffix: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(CAP);
    b.extend_from_slice(prefix.as_bytes());
    let mut first = true;
    while b.len() + unit.len() + sep.len() + suffix.len() < CAP {
        if !first {
            b.extend_from_slice(sep.as_bytes());
        }
        first = false;
        b.extend_from_slice(unit.as_bytes());
    }
    b.extend_from_slice(suffix.as_bytes());
    b
}

fn response(status: u16, body: Vec<u8>) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body).unwrap()
}

#[test]
fn a_page_of_millions_of_empty_records_stops_at_the_page_size() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // 16 MiB of `{}`: 5.6 million records where 1,000 were asked for.
    let body = body_of(r#"{"authorized_connect_apps":["#, "{}", ",", "]}");
    let resp = response(200, body);
    let config = Config::new(Credentials::auth_token(
        "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        Secret::new("t"),
    ));
    let session = Session::new(config);
    let cx = session.context(std::time::UNIX_EPOCH);
    let mut pages = session.list(ListParams::new()).unwrap();
    let Action::Send(_) = pages.next(&cx) else {
        panic!()
    };
    let owned = resp.clone();
    let (result, peak) = peak_during(move || {
        pages.handle(&cx, Ok(owned));
        match pages.next(&cx) {
            Action::Done(Some(Err(e))) => Err(e),
            _ => Ok(()),
        }
    });
    let Err(Error::Parse(e)) = result else {
        panic!("{result:?}")
    };
    assert_eq!(e.path, "$.authorized_connect_apps[1000]");
    eprintln!("16 MiB page of {{}} records: {peak} bytes allocated beyond the body");
    assert!(peak < 1 << 20, "{peak} bytes");
    // The same through parse_page (the API's largest page).
    let (result, peak) = peak_during(|| parse_page(&resp));
    assert!(matches!(result, Err(Error::Parse(_))));
    assert!(peak < 1 << 20, "{peak} bytes");
}

#[test]
fn a_huge_error_body_is_read_within_bounds() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let detail = body_of(
        r#"{"code":20001,"message":"bad","status":400,"details":{"x":""#,
        "x",
        "",
        r#""}}"#,
    );
    let (e, peak) = peak_during(|| error_from_response(&response(400, detail)));
    let Error::Api(api) = &e else { panic!("{e:?}") };
    assert_eq!((api.code, api.details.is_none()), (Some(20001), true));
    eprintln!("16 MiB details: {peak} bytes beyond the body");
    assert!(peak < 64 << 10, "{peak} bytes");

    // A 16 MiB message with escapes (so it cannot be borrowed): one copy at most, and the
    // error keeps an excerpt.
    let message = body_of(
        r#"{"code":20001,"status":400,"message":""#,
        r"a\n",
        "",
        r#""}"#,
    );
    let (e, peak) = peak_during(|| error_from_response(&response(400, message)));
    assert!(e.to_string().len() < 2048, "{} bytes", e.to_string().len());
    eprintln!("16 MiB escaped message: {peak} bytes beyond the body");
    assert!(peak <= CAP, "{peak} bytes");
}

#[test]
fn unknown_keys_and_huge_strings_stay_within_a_few_times_the_cap() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let keys = body_of(r#"{"authorized_connect_apps":[],"#, r#""k":[1]"#, ",", "}");
    let (r, peak) = peak_during(|| parse_page(&response(200, keys)));
    assert!(r.is_ok());
    eprintln!("a million unknown keys: {peak} bytes beyond the body");
    assert!(peak < 1 << 20, "{peak} bytes");

    let big = body_of(r#"{"connect_app_description":""#, r"\u00e9", "", r#""}"#);
    let (r, peak) = peak_during(|| parse_app(&response(200, big)));
    assert!(r.is_ok());
    eprintln!("one 16 MiB escaped string: {peak} bytes beyond the body");
    assert!(
        peak <= 3 * CAP,
        "{peak} bytes: body + parse must stay under 4x the cap"
    );
}
