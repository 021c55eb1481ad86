//! A seeded, deterministic simulation of Twilio's Authorized Connect Apps API for the
//! machines of `twilio-connect-apps`, in virtual time: no socket, no sleep, no thread.
//!
//! A run is one seed. The seed picks a machine (a fetch, an owned or borrowed listing, a
//! listing resumed from a saved cursor, the accounts listing, a fixed or adaptive sweep),
//! credentials (an auth token or OAuth client credentials), the shape of a simulated Twilio
//! ([`api::Twilio`]: subaccounts, apps, latency, a concurrency limit, token lifetime) and a
//! fault script ([`faults::Script`]: 5xx, resets before and during a body, truncated and
//! duplicated pages, 429 bursts, token expiry mid-listing, a 401 with a valid token, slow
//! answers, a next page on another host). The machine is driven in virtual time
//! ([`drive`]); after every error it is resumed from its cursor, saved as JSON. Then the
//! invariants are checked ([`check`] and [`scenario`]):
//!
//! - every record handed out exactly once and in order, or an error returned (and a resumed
//!   listing continues with nothing lost or repeated);
//! - no request after `Done`;
//! - attempts within the retry policy;
//! - after a 429, no request before its `Retry-After`; a sweep never has more requests in
//!   flight than its concurrency;
//! - no more token requests than the expiries call for;
//! - no secret in a request to an origin it does not belong to.
//!
//! ```
//! let report = twilio_connect_apps_sim::scenario::run(7);
//! assert!(report.violations.is_empty(), "{:?}", report.violations);
//! ```
//!
//! [`table::sweep_in_virtual_time`] measures an adaptive sweep against Twilio's concurrency
//! limit, in virtual time.

pub mod api;
pub mod check;
pub mod drive;
pub mod faults;
pub mod rng;
pub mod scenario;
pub mod table;
pub mod world;
