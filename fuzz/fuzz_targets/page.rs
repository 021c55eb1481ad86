//! `cargo +nightly fuzz run page --features fuzz` (see `fuzz/README.md`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twilio_connect_apps_fuzz::page(data));
