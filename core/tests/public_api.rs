//! What the public API promises about its types.

use twilio_connect_apps::machine::ListingMachine;
use twilio_connect_apps::model::Page;
use twilio_connect_apps::{Config, Cursor, Error, Session};

/// The types users hold across threads and tasks stay `Send + Sync`.
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
    check::<Config>();
    check::<Session>();
    check::<ListingMachine>();
    check::<Cursor>();
    check::<Page>();
}
