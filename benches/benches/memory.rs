#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Peak heap of the client while streaming 10,000 and 1,000,000 apps: it must not grow with
//! the number of apps. Counts only the client thread's allocations (the emulator runs on its
//! own thread in the same process and is not counted). Run: `cargo bench --bench memory`.

use twilio_connect_apps::ListParams;
use twilio_connect_apps_testbed::Emulator;

#[path = "support.rs"]
mod support;
use support::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn peak(apps: usize) -> (usize, usize) {
    let emu = Emulator::builder().generated_apps(apps).start().unwrap();
    let config = config_for(&emu);
    let ureq_client = twilio_connect_apps_ureq::Client::new(config.clone()).unwrap();
    let (n, _, ureq_peak) = track(|| count_ok(ureq_client.list(ListParams::new()).unwrap()));
    assert_eq!(n, apps);
    let (n, _, hyper_peak) = track(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = twilio_connect_apps_hyper::Client::new(config).unwrap();
        rt.block_on(async {
            let mut listing = client.list(ListParams::new()).unwrap();
            let mut n = 0;
            while let Some(app) = listing.next().await {
                app.unwrap();
                n += 1;
            }
            n
        })
    });
    assert_eq!(n, apps);
    (ureq_peak, hyper_peak)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: then stay small.
    let full = std::env::args().any(|a| a == "--bench");
    let (small, large) = if full {
        (10_000, 1_000_000)
    } else {
        (1_000, 10_000)
    };
    let (us, hs) = peak(small);
    let (ul, hl) = peak(large);
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!("peak client heap while streaming (page size 1000):");
    println!(
        "  {small:>9} apps: ureq {:.2} MiB, hyper {:.2} MiB",
        mib(us),
        mib(hs)
    );
    println!(
        "  {large:>9} apps: ureq {:.2} MiB, hyper {:.2} MiB",
        mib(ul),
        mib(hl)
    );
    println!(
        "  ratio large/small: ureq {:.2}x, hyper {:.2}x",
        ul as f64 / us as f64,
        hl as f64 / hs as f64
    );
    assert!(
        ul < us * 3 / 2 && hl < hs * 3 / 2,
        "peak heap grows with the number of apps"
    );
}
