//! A sans-IO client core for Twilio's **Authorized Connect Apps** REST resource (API `2010-04-01`).
//!
//! This crate turns intentions into [`http::Request`]s and [`http::Response`]s into typed values.
//! It owns every decision (validation, paging, retries, secrets) and does no IO: no sockets,
//! files, threads, sleeps, async runtime or clock reads. Time and randomness come in as
//! arguments. A transport is a thin loop around it: `twilio-connect-apps-ureq` (blocking) and
//! `twilio-connect-apps-hyper` (async) are two; embed it in your own runtime the same way.
//!
//! **In scope:** fetch one app, list apps page by page (v2010 and `meta` envelopes), Twilio's
//! error envelope, edge/region hosts, Basic auth with an auth token or an API key, retry
//! decisions. **Out of scope:** create, update, delete (the API is read-only), redirects (never
//! followed), sending bytes.
//!
//! # Example: a closure standing in for a transport
//!
//! ```
//! use twilio_connect_apps::{
//!     parse_app, Config, Credentials, ListParams, Paginator, Secret, Step,
//! };
//!
//! let config = Config::new(Credentials::auth_token(
//!     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
//!     Secret::new("your auth token"),
//! ));
//!
//! // A fake server: two pages of one app each. A real transport sends the request instead.
//! let send = |req: http::Request<()>| -> http::Response<Vec<u8>> {
//!     let body = match req.uri().query() {
//!         Some("PageSize=1000") => r#"{"authorized_connect_apps": [{"connect_app_sid": "CN00000000000000000000000000000001", "permissions": ["get-all"]}],
//!             "next_page_uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?PageSize=1000&Page=1&PageToken=PT1"}"#,
//!         Some(q) if q.ends_with("PageToken=PT1") => r#"{"authorized_connect_apps": [{"connect_app_sid": "CN00000000000000000000000000000002", "permissions": ["get-all", "post-all"]}],
//!             "next_page_uri": null}"#,
//!         _ => r#"{"connect_app_friendly_name": "Fetched"}"#,
//!     };
//!     http::Response::new(body.as_bytes().to_vec())
//! };
//!
//! // Fetch one app.
//! let request = config.fetch_request(&"CN00000000000000000000000000000001".parse()?, None)?;
//! let app = parse_app(&send(request))?;
//! assert_eq!(app.connect_app_friendly_name.as_deref(), Some("Fetched"));
//!
//! // List every app: the paginator says what to send; the transport only moves bytes.
//! let mut pages = Paginator::new(&config, ListParams::new())?;
//! let mut sids = Vec::new();
//! loop {
//!     match pages.step()? {
//!         Step::Record(app) => sids.push(app.connect_app_sid.unwrap_or_default()),
//!         Step::Send(request) => pages.handle_response(&send(request))?,
//!         Step::Done => break,
//!     }
//! }
//! assert_eq!(sids, ["CN00000000000000000000000000000001", "CN00000000000000000000000000000002"]);
//! # Ok::<(), twilio_connect_apps::Error>(())
//! ```
//!
//! A real transport also asks [`RetryPolicy::decide`] after each attempt and sleeps when told
//! to; see [`RetryPolicy`].
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod config;
mod error;
mod json_path;
mod model;
mod page;
mod paging;
mod request;
mod response;
mod retry;
mod secret;
mod sid;

pub use config::{Config, Credentials, DEFAULT_BASE_URL, Origin, default_user_agent};
pub use error::{
    ApiError, Error, HttpError, InputError, PagingError, ParseError, TransportError,
    TransportErrorKind,
};
pub use model::{API_ORIGIN, AuthorizedConnectApp, Permission};
pub use page::{Page, PageParseError, RECORDS_KEY};
pub use paging::{Cursor, ListParams, Paginator, Step};
pub use request::{MAX_PAGE_SIZE, PageQuery};
pub use response::{error_from_response, parse_app, parse_page};
pub use retry::{Call, Outcome, RetryDecision, RetryPolicy, RetryState};
pub use secret::Secret;
pub use sid::{AccountSid, ApiKeySid, ConnectAppSid, SidError, SidKind, SidRule};

/// Re-exported so users need not depend on `http` themselves to match versions.
pub use http;

#[cfg(test)]
mod tests {
    /// The types users hold across threads and tasks stay `Send + Sync`.
    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<crate::Error>();
        check::<crate::Config>();
        check::<crate::Paginator>();
        check::<crate::Cursor>();
        check::<crate::Page>();
        check::<crate::Call>();
    }
}
