#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The seeded simulation of Twilio, run over many seeds, and the adaptive sweep measured in
//! virtual time.
//!
//! - `SIM_SEEDS=n` runs n seeds (2,000 by default), from `SIM_FIRST_SEED` (0 by default);
//! - `SIM_SEED=n` replays one seed and prints every request it sent.

use std::collections::BTreeMap;
use std::time::Duration;

use twilio_connect_apps_sim::faults::Fault;
use twilio_connect_apps_sim::scenario::{self, Kind, Report};
use twilio_connect_apps_sim::table::sweep_in_virtual_time;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Runs `seeds` on every core.
fn run_all(seeds: Vec<u64>) -> Vec<Report> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = seeds.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|s| scenario::run(*s)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn every_machine_keeps_its_invariants_under_every_fault() {
    if let Some(seed) = env("SIM_SEED") {
        let (report, log) = scenario::replay(seed);
        for s in &log {
            println!(
                "{:>12?} task {:>3} session {} {} {} -> {:?} at {:?}{}",
                s.at,
                s.task,
                s.session,
                s.host,
                s.target,
                s.status,
                s.answered_at,
                s.fault
                    .map(|f| format!(" [{}]", f.name()))
                    .unwrap_or_default()
            );
        }
        println!("{report:#?}");
        assert!(
            report.violations.is_empty(),
            "seed {seed}: {:#?}",
            report.violations
        );
        return;
    }
    let first = env("SIM_FIRST_SEED").unwrap_or(0);
    let count = env("SIM_SEEDS").unwrap_or(2000);
    let reports = run_all((first..first.saturating_add(count)).collect());

    let mut machines: BTreeMap<&str, u64> = BTreeMap::new();
    let mut faults: BTreeMap<Fault, (u64, u64)> = BTreeMap::new();
    let (mut requests, mut virtual_time) = (0u64, Duration::ZERO);
    for r in &reports {
        *machines.entry(r.kind.name()).or_default() += 1;
        if r.oauth {
            *machines
                .entry("OAuth token exchange (client credentials)")
                .or_default() += 1;
        }
        if r.resumes > 0 {
            *machines
                .entry("resume from a cursor after an error or a stop")
                .or_default() += 1;
        }
        for (f, n) in &r.faults {
            let e = faults.entry(*f).or_default();
            e.0 += 1;
            e.1 += n;
        }
        requests += r.api_requests + r.token_requests;
        virtual_time += r.virtual_time;
    }
    println!("simulation: {} seeds (from {first})", reports.len());
    println!(
        "  {requests} requests answered, {:.1} h of virtual time",
        virtual_time.as_secs_f64() / 3600.0
    );
    println!("  runs per machine:");
    for (name, n) in &machines {
        println!("    {n:>6}  {name}");
    }
    println!("  runs per fault (faults injected):");
    for f in Fault::ALL {
        let (runs, injected) = faults.get(&f).copied().unwrap_or_default();
        println!("    {runs:>6}  {} ({injected})", f.name());
    }

    let failed: Vec<&Report> = reports
        .iter()
        .filter(|r| !r.violations.is_empty())
        .collect();
    for r in failed.iter().take(10) {
        println!("seed {} ({}): {:#?}", r.seed, r.kind.name(), r.violations);
        println!(
            "  replay: SIM_SEED={} cargo test -p twilio-connect-apps-sim --test simulation -- --nocapture",
            r.seed
        );
    }
    assert!(
        failed.is_empty(),
        "{} of {} seeds broke an invariant (replay commands above)",
        failed.len(),
        reports.len()
    );
    if count >= 1000 {
        for kind in Kind::ALL {
            assert!(
                machines.get(kind.name()).is_some_and(|n| *n > 0),
                "no run of {}",
                kind.name()
            );
        }
        for f in Fault::ALL {
            assert!(faults.contains_key(&f), "no run met {}", f.name());
        }
    }
}

#[test]
fn the_adaptive_sweep_stays_near_the_floor_the_limit_allows() {
    let latency = Duration::from_millis(150);
    let accounts = 10_000;
    let figures: Vec<_> = std::thread::scope(|scope| {
        let runs: Vec<_> = [1, 4, 16, 100]
            .into_iter()
            .map(|limit| scope.spawn(move || sweep_in_virtual_time(accounts, latency, limit)))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    println!(
        "adaptive sweep of {accounts} subaccounts (and the parent), {} ms per answer, in virtual time:",
        latency.as_millis()
    );
    println!("| limit | duration | floor | ratio | requests | answered 429 | failed accounts |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for f in &figures {
        println!(
            "| {} | {:.1} s | {:.1} s | {:.3} | {} | {} ({:.2}%) | {} |",
            f.limit,
            f.duration.as_secs_f64(),
            f.floor.as_secs_f64(),
            f.ratio(),
            f.requests,
            f.answered_429,
            f.percent_429(),
            f.failed_accounts
        );
    }
    for f in &figures {
        assert!(!f.plan_failed && f.failed_accounts == 0, "{f:?}");
        if f.limit >= 4 {
            assert!(
                f.ratio() <= 1.25,
                "limit {}: {:.3} of the floor",
                f.limit,
                f.ratio()
            );
            assert!(
                f.percent_429() <= 2.0,
                "limit {}: {:.2}% answered 429",
                f.limit,
                f.percent_429()
            );
        }
    }
}
