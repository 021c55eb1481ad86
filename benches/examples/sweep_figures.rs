//! The figures of a sweep of every subaccount (issue: audit every subaccount), measured against
//! the emulator with 1,000 subaccounts of 5 apps and a 20 ms answer to every request:
//! requests sent, the most connections open at once, wall time by concurrency, and the sweep
//! under 429s on 10% of requests (every account read, `Retry-After` honoured across it).
//!
//! ```text
//! cargo run --release -p twilio-connect-apps-benches --example sweep_figures
//! ```

use std::time::{Duration, Instant};

use twilio_connect_apps::SweepParams;
use twilio_connect_apps_testbed::{Emulator, Fault, FaultScript, RetryAfter, Trigger};

#[path = "../benches/support.rs"]
mod support;

struct Run {
    accounts: usize,
    apps: usize,
    failed: usize,
    requests: u64,
    peak: u64,
    secs: f64,
}

fn emulator(subaccounts: usize, faults: FaultScript) -> Emulator {
    Emulator::builder()
        .subaccounts(subaccounts, 5)
        .latency(Duration::from_millis(20))
        .faults(faults)
        .start()
        .unwrap()
}

fn ureq(emu: &Emulator, concurrency: usize) -> Run {
    let client = twilio_connect_apps_ureq::Client::builder(support::config_for(emu))
        .proxy_from_env(false)
        .build()
        .unwrap();
    let start = Instant::now();
    let results: Vec<_> = client
        .sweep(SweepParams::new().concurrency(concurrency))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    tally(emu, &results, start)
}

fn hyper(emu: &Emulator, concurrency: usize) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
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
        let mut sweep = client
            .sweep(SweepParams::new().concurrency(concurrency))
            .unwrap();
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
        peak: emu.peak_connections(),
    }
}

fn show(name: &str, r: &Run, base: Option<f64>) {
    let speedup = base
        .map(|b| format!(", {:.2}x faster than concurrency 1", b / r.secs))
        .unwrap_or_default();
    println!(
        "{name:<34} {:>5} accounts, {:>5} apps, {} failed, {:>5} requests, peak {:>2} connections, {:>6.2} s{speedup}",
        r.accounts, r.apps, r.failed, r.requests, r.peak, r.secs
    );
}

fn main() {
    let n = 1000;
    let one = ureq(&emulator(n, FaultScript::new()), 1);
    show("ureq, concurrency 1", &one, None);
    for c in [4, 8] {
        show(
            &format!("ureq, concurrency {c}"),
            &ureq(&emulator(n, FaultScript::new()), c),
            Some(one.secs),
        );
    }
    show(
        "hyper, concurrency 4",
        &hyper(&emulator(n, FaultScript::new()), 4),
        Some(one.secs),
    );

    // 429 with Retry-After: 1 on 10% of requests: every account still read; each 429 holds the
    // whole sweep off for its second (shared back-pressure), so fewer accounts here.
    let m = 200;
    let limited = || {
        FaultScript::new().on(
            Trigger::Random {
                fraction: 0.1,
                seed: 42,
            },
            Fault::TooManyRequests(RetryAfter::Seconds(1)),
        )
    };
    let emu = emulator(m, limited());
    let r = ureq(&emu, 4);
    let throttled = emu.requests().len() as u64 - (m as u64 + 1 + 1);
    show("ureq, concurrency 4, 10% 429", &r, None);
    println!(
        "  {throttled} requests were answered 429 and retried; no account failed: {}",
        r.failed == 0
    );
    let emu = emulator(m, limited());
    show("hyper, concurrency 4, 10% 429", &hyper(&emu, 4), None);
}
