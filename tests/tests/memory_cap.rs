#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! No response within the body cap makes a client hold more than 4x the cap, in either
//! transport: the emulator runs in its own process (`twilio-emulator`), so what this process
//! allocates is the client's alone, counted by a global allocator that keeps its peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use twilio_connect_apps::{Config, Credentials, ListParams, Secret};

struct Peak;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

const CAP: u64 = 16 << 20;

/// The standalone emulator with one fault on every request; its variables.
fn emulator(fault: &str) -> (Child, Vec<(String, String)>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twilio-emulator"))
        .args(["--port", "0", "--fault", fault])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut vars = Vec::new();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    while vars.len() < 3 {
        let line = lines.next().unwrap().unwrap();
        let (k, v) = line.split_once('=').unwrap();
        vars.push((k.to_owned(), v.to_owned()));
    }
    (child, vars)
}

fn config(vars: &[(String, String)]) -> Config {
    let get = |k: &str| vars.iter().find(|(n, _)| n == k).unwrap().1.clone();
    Config::new(Credentials::auth_token(
        get("TWILIO_ACCOUNT_SID").parse().unwrap(),
        Secret::new(get("TWILIO_AUTH_TOKEN")),
    ))
    .with_base_url(&get("TWILIO_BASE_URL"))
    .unwrap()
}

/// Runs `list` with each transport and returns the peak bytes held during each.
fn peaks(fault: &str, compression: bool) -> Vec<(&'static str, usize, String)> {
    let (mut child, vars) = emulator(fault);
    let mut out = Vec::new();
    let config = config(&vars).with_compression(compression);
    {
        let client = twilio_connect_apps_ureq::Client::builder(config.clone())
            .max_body_size(CAP)
            .build()
            .unwrap();
        let before = NOW.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let result: Vec<_> = client.list(ListParams::new()).unwrap().collect();
        let peak = PEAK.load(Ordering::Relaxed) - before;
        out.push((
            "ureq",
            peak,
            format!("{:?}", result.last().map(|r| r.as_ref().err())),
        ));
    }
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let client = twilio_connect_apps_hyper::Client::builder(config)
            .max_body_size(CAP)
            .build()
            .unwrap();
        let before = NOW.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let last = rt.block_on(async {
            let mut listing = client.list(ListParams::new()).unwrap();
            let mut last = None;
            while let Some(r) = listing.next().await {
                last = Some(r.err().map(|e| e.to_string()));
            }
            last
        });
        let peak = PEAK.load(Ordering::Relaxed) - before;
        out.push(("hyper", peak, format!("{last:?}")));
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn one_response_within_the_cap_never_costs_more_than_four_caps() {
    for (fault, compression) in [
        // Just under the cap, a page of one app with millions of one-letter permissions.
        ("always:permissions=16000000", false),
        // The same, gzipped.
        ("always:permissions=16000000", true),
        // A bomb that inflates to just under the cap (a valid, empty page).
        ("always:gzip-bomb=15000000", true),
        // Just under the cap, a page padded with one long string.
        ("always:oversized=16000000", false),
    ] {
        for (transport, peak, last) in peaks(fault, compression) {
            eprintln!(
                "{fault} gzip={compression} {transport}: peak {} KiB, last {last}",
                peak >> 10
            );
            assert!(
                peak as u64 <= 4 * CAP,
                "{fault} gzip={compression} {transport}: {} MiB held at once",
                peak >> 20
            );
        }
    }
}
