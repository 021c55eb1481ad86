//! What the public API promises about its types.

use twilio_connect_apps::{
    Config, Cursor, Error, ListingMachine, Page, Paginator, Session, TransportError, blocking, http,
};

/// The types users hold across threads and tasks stay `Send + Sync`.
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
    check::<Config>();
    check::<Session>();
    check::<Paginator>();
    check::<ListingMachine>();
    check::<Cursor>();
    check::<Page>();
    type Fn = fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>;
    check::<blocking::Client<Fn>>();
    check::<blocking::Listing<Fn>>();
}
