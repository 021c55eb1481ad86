#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! The figures of a sweep of every subaccount: 1,000 subaccounts of 5 apps, every answer 20 ms
//! late, with no concurrency limit and with the emulator's per-credential limit at 16 and at 4
//! (more requests in flight get 429 / 20429, as Twilio answers): wall time, requests, 429s,
//! the most connections open at once, for the adaptive sweep (`SweepParams::adaptive`, the
//! CLI's `--concurrency auto`) and fixed concurrencies, on both transports.
//!
//! ```text
//! cargo run --release -p twilio-connect-apps-benches --example sweep_figures   # about 3 minutes
//! ```

use std::time::{Duration, Instant};

use twilio_connect_apps::SweepParams;
use twilio_connect_apps_testbed::Emulator;

#[path = "../benches/support.rs"]
mod support;

struct Run {
    accounts: usize,
    apps: usize,
    failed: usize,
    requests: u64,
    throttled: u64,
    peak: u64,
    secs: f64,
}

fn emulator(subaccounts: usize, limit: Option<u32>) -> Emulator {
    let mut b = Emulator::builder()
        .subaccounts(subaccounts, 5)
        .latency(Duration::from_millis(20));
    if let Some(n) = limit {
        b = b.concurrency_limit(n);
    }
    b.start().unwrap()
}

fn ureq(emu: &Emulator, params: SweepParams) -> Run {
    let client = twilio_connect_apps_ureq::Client::builder(support::config_for(emu))
        .proxy_from_env(false)
        .build()
        .unwrap();
    let start = Instant::now();
    let results: Vec<_> = client.sweep(params).unwrap().map(|r| r.unwrap()).collect();
    tally(emu, &results, start)
}

fn hyper(emu: &Emulator, params: SweepParams) -> Run {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _inside = rt.enter();
    let client = twilio_connect_apps_hyper::Client::builder(support::config_for(emu))
        .proxy_from_env(false)
        .build()
        .unwrap();
    let start = Instant::now();
    let results = rt.block_on(async {
        let mut sweep = client.sweep(params).unwrap();
        let mut out = Vec::new();
        while let Some(r) = sweep.next().await {
            out.push(r.unwrap());
        }
        out
    });
    tally(emu, &results, start)
}

fn tally(emu: &Emulator, results: &[twilio_connect_apps::AccountApps], start: Instant) -> Run {
    Run {
        secs: start.elapsed().as_secs_f64(),
        accounts: results.len(),
        apps: results.iter().map(|r| r.apps.len()).sum(),
        failed: results.iter().filter(|r| r.error.is_some()).count(),
        requests: emu.request_count(),
        throttled: emu.over_limit_count(),
        peak: emu.peak_connections(),
    }
}

fn main() {
    let n = 999; // and the parent: 1,000 accounts
    println!(
        "| transport | limit | concurrency | seconds | requests | 429s | 429 share | peak connections | apps | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for limit in [None, Some(16), Some(4)] {
        for transport in ["ureq", "hyper"] {
            let modes: Vec<(String, SweepParams)> = [("auto".to_owned(), SweepParams::adaptive())]
                .into_iter()
                .chain(
                    [4, 8, 16]
                        .into_iter()
                        .map(|c| (c.to_string(), SweepParams::new().with_concurrency(c))),
                )
                .collect();
            for (name, params) in modes {
                let emu = emulator(n, limit);
                let r = match transport {
                    "ureq" => ureq(&emu, params),
                    _ => hyper(&emu, params),
                };
                let limit = limit.map_or("none".to_owned(), |l| l.to_string());
                println!(
                    "| {transport} | {limit} | {name} | {:.2} | {} | {} | {:.1}% | {} | {} | {} |",
                    r.secs,
                    r.requests,
                    r.throttled,
                    100.0 * r.throttled as f64 / r.requests as f64,
                    r.peak,
                    r.apps,
                    r.failed
                );
                assert_eq!(r.accounts, 1000);
            }
        }
    }
}
