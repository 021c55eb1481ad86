#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Lists N apps from an in-process emulator once, through a transport or its baseline loop,
//! for instruction counts under `valgrind --tool=callgrind`. The emulator's share is the same
//! in every mode (same pages served), so differences between modes are the client's.
//!
//! ```text
//! cargo build --release -p twilio-connect-apps-benches --example list_once
//! valgrind --tool=callgrind target/release/examples/list_once ureq 20000
//! ```
//!
//! Modes: `ureq` (owned records), `ureq_views` (the streaming fast path), `ureq_gzip` (asks
//! for gzip: the emulator's compressing counts too), `hyper`, `ureq_baseline` (ureq and
//! `serde_json` into a plain struct, no paging logic), `none` (the set-up alone).

#[path = "../benches/support.rs"]
mod support;

use twilio_connect_apps::ListParams;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ureq".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let emu = twilio_connect_apps_testbed::Emulator::builder()
        .generated_apps(n)
        .start()
        .unwrap();
    let config = support::config_for(&emu);
    let got = match mode.as_str() {
        "ureq" => {
            let client = twilio_connect_apps_ureq::Client::new(config).unwrap();
            support::count_ok(client.list(ListParams::new()).unwrap())
        }
        "ureq_gzip" => {
            let client =
                twilio_connect_apps_ureq::Client::new(config.with_compression(true)).unwrap();
            support::count_ok(client.list(ListParams::new()).unwrap())
        }
        "ureq_views" => {
            support::ureq_views(&twilio_connect_apps_ureq::Client::new(config).unwrap())
        }
        "hyper" => {
            let client = twilio_connect_apps_hyper::Client::new(config).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut listing = client.list(ListParams::new()).unwrap();
                let mut n = 0;
                while let Some(app) = listing.next().await {
                    app.unwrap();
                    n += 1;
                }
                n
            })
        }
        "ureq_baseline" => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            support::ureq_baseline(&agent, emu.base_url())
        }
        "none" => n,
        other => panic!("unknown mode {other}"),
    };
    assert_eq!(got, n);
}
