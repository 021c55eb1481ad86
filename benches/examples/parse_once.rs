#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Parses one emulator page 200 times with the parser named on the command line, for
//! instruction counts under `valgrind --tool=callgrind` (repeatable, unlike wall time here).
//!
//! ```text
//! cargo build --release -p twilio-connect-apps-benches --example parse_once
//! valgrind --tool=callgrind target/release/examples/parse_once core 1000
//! valgrind --tool=callgrind target/release/examples/parse_once plain 1000
//! ```

use std::hint::black_box;

#[path = "../benches/support.rs"]
mod support;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "core".into());
    let size: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let emu = twilio_connect_apps_testbed::Emulator::builder()
        .generated_apps(size)
        .start()
        .unwrap();
    let body = support::emulator_body(&emu, &support::list_path(&format!("?PageSize={size}")));
    let sid = twilio_connect_apps_testbed::generate_apps(size, 1)[2]
        .connect_app_sid
        .clone();
    let fetch = http::Response::new(support::emulator_body(
        &emu,
        &format!(
            "/2010-04-01/Accounts/{}/AuthorizedConnectApps/{sid}.json",
            twilio_connect_apps_testbed::DEFAULT_ACCOUNT_SID
        ),
    ));
    drop(emu);
    for _ in 0..200 {
        match mode.as_str() {
            "core" => {
                black_box(twilio_connect_apps::wire::page_from_json(black_box(&body)).unwrap());
            }
            "view" => {
                let mut writers = 0usize;
                black_box(
                    twilio_connect_apps::wire::view_page(black_box(&body), 1000, |app| {
                        writers += usize::from(black_box(app).connect_app_sid.is_some());
                        Ok::<(), ()>(())
                    })
                    .unwrap(),
                );
                black_box(writers);
            }
            "plain" => {
                black_box(serde_json::from_slice::<support::PlainPage>(black_box(&body)).unwrap());
            }
            "value" => {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
            }
            "fetch_core" => {
                for _ in 0..100 {
                    black_box(twilio_connect_apps::wire::parse_app(black_box(&fetch)).unwrap());
                }
            }
            "fetch_plain" => {
                for _ in 0..100 {
                    black_box(
                        serde_json::from_slice::<support::PlainApp>(black_box(fetch.body()))
                            .unwrap(),
                    );
                }
            }
            "none" => {
                black_box(&body);
            }
            other => panic!("unknown mode {other}"),
        }
    }
}
