//! The emulator: an HTTP/1.1 and HTTP/2 server (plain or TLS) on loopback, split by concern:
//! its lifecycle, its state, one request's handling (faults included), the routes, and the
//! apps and accounts listings with their page tokens.

mod accounts;
mod admin;
mod apps;
mod handler;
mod lifecycle;
mod oauth;
mod query;
mod routes;
mod state;
mod tokens;

pub use lifecycle::{Emulator, EmulatorBuilder};
pub use oauth::IssuedToken;
pub use state::RecordedRequest;
