//! The end-to-end suite, written once and run for every transport through one
//! [`Harness`](crate::support::Harness), split by concern.
#![allow(unreachable_pub)] // shared by the test binaries, not an API

use twilio_connect_apps_testbed::Emulator;

mod basics;
mod faults;
mod listings;
mod oauth;
mod safety;
mod sweep;

pub use basics::*;
pub use faults::*;
pub use listings::*;
pub use oauth::*;
pub use safety::*;
pub use sweep::*;

pub(crate) fn emulator(tls: bool) -> Emulator {
    Emulator::builder().tls(tls).start().unwrap()
}

pub(crate) fn emulator_with_apps(n: usize, tls: bool) -> Emulator {
    Emulator::builder()
        .generated_apps(n)
        .tls(tls)
        .start()
        .unwrap()
}
