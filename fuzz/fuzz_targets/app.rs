//! `cargo +nightly fuzz run app --features fuzz` (see `fuzz/README.md`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| twilio_connect_apps_fuzz::app(data));
