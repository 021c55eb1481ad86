//! What the client's public API promises about its types.

use twilio_connect_apps::error::TransportError;
use twilio_connect_apps_client::blocking;

/// The clients and listings users hold across threads and tasks stay `Send + Sync`.
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    type Fn = fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>;
    check::<blocking::Client<Fn>>();
    check::<blocking::Listing<Fn>>();
}
