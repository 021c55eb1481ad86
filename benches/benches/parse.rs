#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Parsing pages, fetch bodies and error bodies: the core against `serde_json` into a plain
//! derived struct (the practical limit) and into `serde_json::Value`, in one group each.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use twilio_connect_apps::wire::{error_from_response, page_from_json, parse_app, view_page};
use twilio_connect_apps_testbed::Emulator;

#[path = "support.rs"]
mod support;
use support::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn bodies() -> Vec<(&'static str, usize, Vec<u8>)> {
    let emu = Emulator::builder().generated_apps(1000).start().unwrap();
    vec![
        (
            "page_50",
            50,
            emulator_body(&emu, &list_path("?PageSize=50")),
        ),
        (
            "page_1000",
            1000,
            emulator_body(&emu, &list_path("?PageSize=1000")),
        ),
    ]
}

fn allocations_per_record(bodies: &[(&'static str, usize, Vec<u8>)]) {
    for (name, n, body) in bodies {
        let (_, core, _) = track(|| page_from_json(body).unwrap());
        let (_, view, _) = track(|| view_page(body, 1000, |_| Ok::<(), ()>(())).unwrap());
        let (_, plain, _) = track(|| serde_json::from_slice::<PlainPage>(body).unwrap());
        let (_, value, _) = track(|| serde_json::from_slice::<serde_json::Value>(body).unwrap());
        println!(
            "allocations per record, {name}: core {:.2}, view {:.3}, plain struct {:.2}, Value {:.2}",
            core as f64 / *n as f64,
            view as f64 / *n as f64,
            plain as f64 / *n as f64,
            value as f64 / *n as f64
        );
    }
}

fn parse(c: &mut Criterion) {
    let bodies = bodies();
    allocations_per_record(&bodies);
    for (name, n, body) in &bodies {
        let mut g = c.benchmark_group(format!("parse_{name}"));
        g.throughput(Throughput::Bytes(body.len() as u64));
        println!("{name}: {} bytes, {n} records", body.len());
        g.bench_function("core", |b| {
            b.iter(|| page_from_json(black_box(body)).unwrap())
        });
        g.bench_function("view", |b| {
            b.iter(|| {
                let mut sids = 0usize;
                view_page(black_box(body), 1000, |app| {
                    sids += usize::from(black_box(app).connect_app_sid.is_some());
                    Ok::<(), ()>(())
                })
                .unwrap();
                sids
            })
        });
        g.bench_function("plain_struct", |b| {
            b.iter(|| serde_json::from_slice::<PlainPage>(black_box(body)).unwrap())
        });
        g.bench_function("value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap())
        });
        g.finish();
    }

    let emu = Emulator::builder().generated_apps(10).start().unwrap();
    let sid = twilio_connect_apps_testbed::generate_apps(10, 1)[2]
        .connect_app_sid
        .clone();
    let fetch = http::Response::new(emulator_body(
        &emu,
        &format!(
            "/2010-04-01/Accounts/{}/AuthorizedConnectApps/{sid}.json",
            twilio_connect_apps_testbed::DEFAULT_ACCOUNT_SID
        ),
    ));
    let mut g = c.benchmark_group("parse_fetch");
    g.throughput(Throughput::Bytes(fetch.body().len() as u64));
    g.bench_function("core", |b| b.iter(|| parse_app(black_box(&fetch)).unwrap()));
    g.bench_function("plain_struct", |b| {
        b.iter(|| serde_json::from_slice::<PlainApp>(black_box(fetch.body())).unwrap())
    });
    g.finish();

    let error = http::Response::builder()
        .status(404)
        .body(br#"{"code": 20404, "message": "The requested resource /2010-04-01/Accounts/AC00000000000000000000000000000001/AuthorizedConnectApps/CN0000000000000000000000000000dead.json was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#.to_vec())
        .unwrap();
    let mut g = c.benchmark_group("parse_error");
    g.bench_function("core", |b| {
        b.iter(|| error_from_response(black_box(&error)))
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
