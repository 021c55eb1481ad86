//! A sans-IO client core for Twilio's **Authorized Connect Apps** REST resource (API `2010-04-01`).
//!
//! This crate turns intentions into [`http::Request`]s and [`http::Response`]s into typed values.
//! It owns every decision (validation, paging, retries, secrets, the proxy rule) and moves no
//! bytes itself: no sockets, no async runtime, no IO crate.
//!
//! It also holds **the client, written once per sync-ness** on a transport contract:
//! [`blocking::Client`] over any [`Transport`] (a closure will do) and
//! [`asynchronous::Client`] over any [`AsyncTransport`]. A transport sends one request and
//! returns the whole response; waits between attempts go through [`Transport::pause`] and
//! time and randomness through a [`Clock`], so tests inject all three. The adapters
//! `twilio-connect-apps-ureq` (blocking) and `twilio-connect-apps-hyper` (async) are thin
//! transports that name these clients `Client`; see [`transport`](Transport) for what a
//! transport must and must not do.
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
//! A loop like this asks [`RetryPolicy::decide`] after each attempt and waits when told to;
//! the clients do that for you.
//!
//! # Features
//!
//! | feature | what it does |
//! |---|---|
//! | (none) | everything is always built: the core has no optional parts |
#![cfg_attr(docsrs, feature(doc_cfg))]

/// A record's field names, read without allocating: the enum, each variant's JSON name (for
/// error paths), and a `Deserialize` that maps every other name to the catch-all variant.
macro_rules! field_names {
    ($(#[$meta:meta])* enum $name:ident { $($variant:ident = $json:literal,)* _ => $other:ident $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub(crate) enum $name {
            $($variant,)*
            $other,
        }

        impl $name {
            /// The JSON name (`?` for the catch-all).
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $json,)*
                    $name::$other => "?",
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Names;
                impl serde::de::Visitor<'_> for Names {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok(match v {
                            $($json => $name::$variant,)*
                            _ => $name::$other,
                        })
                    }
                }
                d.deserialize_identifier(Names)
            }
        }
    };
}

mod account;
pub mod asynchronous;
pub mod blocking;
mod client;
mod config;
mod credentials;
mod decode;
mod error;
mod json_path;
mod model;
mod origin;
mod page;
mod paging;
mod proxy;
mod request;
mod resource;
mod response;
mod retry;
mod scan;
mod secret;
mod sid;
mod sweep;
mod text;
mod transport;
mod view;

pub use client::{Async, Blocking, Client, ClientBuilder};
pub use config::{Config, default_user_agent};
pub use credentials::Credentials;
pub use error::{
    ApiError, Error, HttpError, InputError, PagingError, ParseError, TransportError,
    TransportErrorKind,
};
/// Re-exported so users can name the `Stream` that async listings implement without a second,
/// version-locked dependency.
pub use futures_core;

pub use account::{Account, AccountStatus};
pub use model::{AuthorizedConnectApp, Permission};
pub use origin::{DEFAULT_BASE_URL, Origin};
pub use page::{Page, PageParseError, RECORDS_KEY};
pub use paging::{
    AccountListParams, Cursor, ListParams, MAX_EMPTY_PAGES_IN_ROW, Paginator, Step, ViewStop,
};
pub use proxy::HttpProxy;
pub use request::{MAX_PAGE_SIZE, PageQuery};
pub use resource::Resource;
pub use response::{
    MAX_ERROR_DETAILS, error_from_response, page_size_asked, parse_app, parse_page,
    parse_page_with_limit,
};
pub use retry::{Outcome, RetryDecision, RetryPolicy, RetryState};
pub use secret::Secret;
pub use sid::{AccountSid, ApiKeySid, ConnectAppSid, SidError, SidKind, SidRule};
pub use sweep::{AccountApps, DEFAULT_SWEEP_CONCURRENCY, SweepParams};
pub use transport::{
    AsyncTransport, BuildTransport, Clock, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, SystemClock,
    Transport, TransportSettings, body_capacity,
};
pub use view::{AppView, JsonStr, PageView, PageViewError, PermissionsView};

/// Re-exported so users need not depend on `http` themselves to match versions.
pub use http;

/// Re-exported because public types expose it ([`ApiError::details`]).
pub use serde_json;
/// Re-exported because public types expose it ([`AuthorizedConnectApp::homepage_url`]).
pub use url;

/// Everything a user of a transport crate needs to call the client, handle its errors and read
/// its values; `twilio-connect-apps-ureq` and `-hyper` re-export it whole, so one dependency
/// is enough (`http`, `url` and `serde_json` included, at the versions the types use).
pub mod export {
    pub use crate::{
        Account, AccountApps, AccountListParams, AccountSid, AccountStatus, ApiError, ApiKeySid,
        AppView, AuthorizedConnectApp, Clock, Config, ConnectAppSid, Credentials, Cursor,
        DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS,
        DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SWEEP_CONCURRENCY, Error,
        HttpError, HttpProxy, InputError, JsonStr, ListParams, MAX_PAGE_SIZE, Origin, Page,
        PageQuery, Paginator, PagingError, ParseError, Permission, PermissionsView, RetryPolicy,
        Secret, SidError, SidKind, SweepParams, SystemClock, TransportError, TransportErrorKind,
        TransportSettings, ViewStop,
    };
    pub use crate::{futures_core, http, serde_json, url};
}

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
        check::<
            crate::blocking::Client<
                fn(http::Request<()>) -> Result<http::Response<Vec<u8>>, crate::TransportError>,
            >,
        >();
    }
}
