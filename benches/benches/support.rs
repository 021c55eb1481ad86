#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Shared by the benches: the plain-struct baseline, a counting allocator, emulator bodies.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Deserialize;
use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

/// The practical limit: the same shape as the API's page, derived, nothing else.
#[derive(Deserialize)]
pub struct PlainApp {
    pub account_sid: Option<String>,
    pub connect_app_company_name: Option<String>,
    pub connect_app_description: Option<String>,
    pub connect_app_friendly_name: Option<String>,
    pub connect_app_homepage_url: Option<String>,
    pub connect_app_sid: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub uri: Option<String>,
}

/// The page envelope, derived.
#[derive(Deserialize)]
pub struct PlainPage {
    pub authorized_connect_apps: Vec<PlainApp>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub start: Option<u64>,
    pub end: Option<u64>,
    pub uri: Option<String>,
    pub first_page_uri: Option<String>,
    pub next_page_uri: Option<String>,
    pub previous_page_uri: Option<String>,
}

/// Counts allocations and live bytes made on threads that opted in with [`track`].
pub struct Counting;

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

pub static ALLOCS: AtomicU64 = AtomicU64::new(0);
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

fn tracked() -> bool {
    TRACKED.try_with(|t| t.get()).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if tracked() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if tracked() {
            LIVE.fetch_sub(
                layout.size().min(LIVE.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if tracked() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            if new_size > layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(
                    (layout.size() - new_size).min(LIVE.load(Ordering::Relaxed)),
                    Ordering::Relaxed,
                );
            }
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` with this thread's allocations counted; returns (allocations, peak live bytes).
pub fn track<R>(f: impl FnOnce() -> R) -> (R, u64, usize) {
    ALLOCS.store(0, Ordering::SeqCst);
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    TRACKED.with(|t| t.set(true));
    let r = f();
    TRACKED.with(|t| t.set(false));
    (
        r,
        ALLOCS.load(Ordering::SeqCst),
        PEAK.load(Ordering::SeqCst),
    )
}

/// A body as the emulator serves it (realistic: generated apps with Unicode and escapes).
pub fn emulator_body(emu: &Emulator, path_and_query: &str) -> Vec<u8> {
    use base64::Engine as _;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}"));
    let mut resp = agent
        .get(format!("{}{path_and_query}", emu.base_url()))
        .header("Authorization", &format!("Basic {auth}"))
        .call()
        .unwrap();
    resp.body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap()
}

pub fn list_path(query: &str) -> String {
    format!("/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/AuthorizedConnectApps.json{query}")
}

///
/// Without gzip: on loopback, compressing is pure cost (the in-process emulator's CPU, and
/// the baselines do not ask for it), so the like-for-like comparisons leave it off; the gzip
/// figures are measured on their own.
pub fn config_for(emu: &Emulator) -> twilio_connect_apps::Config {
    use twilio_connect_apps::{Config, Credentials, Secret};
    Config::new(Credentials::auth_token(
        DEFAULT_ACCOUNT_SID.parse().unwrap(),
        Secret::new(DEFAULT_AUTH_TOKEN),
    ))
    .with_base_url(emu.base_url())
    .unwrap()
    .with_compression(false)
}

/// Lists through the streaming fast path (`next_page_with`: borrowed views, nothing owned
/// per record), counting the records.
pub fn ureq_views(client: &twilio_connect_apps_ureq::Client) -> usize {
    let mut listing = client.list(twilio_connect_apps::ListParams::new()).unwrap();
    let mut n = 0;
    while listing
        .next_page_with(|app| {
            n += usize::from(std::hint::black_box(app).connect_app_sid.is_some());
            Ok::<(), twilio_connect_apps::Error>(())
        })
        .unwrap()
    {}
    n
}

/// `Authorization` for the emulator's default account.
pub fn basic_auth() -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}"))
    )
}

/// The blocking baseline: ureq directly, `serde_json` into the plain struct, follow
/// `next_page_uri`; no paging logic, retries or checks.
pub fn ureq_baseline(agent: &ureq::Agent, base: &str) -> usize {
    let auth = basic_auth();
    let mut next = Some(list_path("?PageSize=1000"));
    let mut n = 0;
    while let Some(path) = next {
        let mut resp = agent
            .get(format!("{base}{path}"))
            .header("Authorization", &auth)
            .call()
            .unwrap();
        let body = resp
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .unwrap();
        let page: PlainPage = serde_json::from_slice(&body).unwrap();
        n += page.authorized_connect_apps.len();
        next = page.next_page_uri.filter(|u| !u.is_empty());
    }
    n
}

/// Counts a listing's apps, failing on the first error.
pub fn count_ok<T, E: std::fmt::Debug>(items: impl IntoIterator<Item = Result<T, E>>) -> usize {
    let mut n = 0;
    for item in items {
        item.unwrap();
        n += 1;
    }
    n
}
