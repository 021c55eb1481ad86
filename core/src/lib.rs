//! A sans-IO client core for Twilio's **Authorized Connect Apps** REST resource (API `2010-04-01`).
//!
//! Every operation is a **machine** that owns no reference: it is handed its [`Context`] (the
//! [`Session`], the time, a random number) on each call and says what it wants next with one
//! enum, [`Action`]: `Send(request)`, `Wait(duration)` or `Done(output)`. The machines decide
//! attempts, retry waits, the shared 429 gate, paging and parsing; a driver only moves bytes
//! and waits. The [`blocking`] and [`asynchronous`] clients are two such drivers over the
//! [`Transport`] / [`AsyncTransport`] contract; `twilio-connect-apps-ureq` and
//! `twilio-connect-apps-hyper` are transports for them.
//!
//! **In scope:** fetch an app, list apps (v2010 and `meta` envelopes) and accounts, sweep them,
//! errors, edge/region hosts, auth tokens and API keys, retries. **Out of scope:** create,
//! update, delete (the API is read-only), redirects (never followed), moving bytes.
//!
//! # A runtime of your own
//!
//! Drive any machine in a loop; retries, the 429 gate and paging come with it. Here the
//! server fails the first request with a 503, so the listing waits once and tries again:
//!
//! ```
//! use twilio_connect_apps::{Action, Config, Credentials, ListParams, Machine, Secret, Session};
//! # let mut served = 0;
//! # let mut my_send = |_: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, twilio_connect_apps::TransportError> {
//! #     served += 1;
//! #     let (status, body): (u16, &[u8]) = if served == 1 { (503, b"busy") } else {
//! #         (200, br#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}], "next_page_uri": null}"#) };
//! #     Ok(http::Response::builder().status(status).body(body.to_vec()).unwrap())
//! # };
//! # let mut waits = Vec::new();
//! # let mut my_sleep = |wait| waits.push(wait);
//! # let my_clock = || std::time::UNIX_EPOCH;
//! let session = Session::new(Config::new(Credentials::auth_token(
//!     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
//!     Secret::new("your auth token"),
//! )));
//! let mut listing = session.list(ListParams::new())?;
//! let mut apps = Vec::new();
//! loop {
//!     match listing.next(&session.context(my_clock(), 7)) {
//!         Action::Send(request) => {
//!             let response = my_send(request);
//!             listing.handle(&session.context(my_clock(), 7), response);
//!         }
//!         Action::Wait(wait) => my_sleep(wait),
//!         Action::Done(Some(app)) => apps.push(app?),
//!         Action::Done(None) => break,
//!     }
//! }
//! assert_eq!(apps.len(), 1);
//! # assert_eq!(waits.len(), 1, "the 503 was retried after one wait");
//! # Ok::<(), twilio_connect_apps::Error>(())
//! ```
//!
//! # Layers
//!
//! `src` is grouped by layer, lowest first: `base` (SIDs, secrets, text, JSON paths), `error`,
//! `api` (the API's constants and paths, spelled only there), `model` (plain types), `config`
//! (credentials, origin, proxy, retry policy, connection settings), `wire` (every serde
//! visitor, the fast scanner, requests, responses, decoding), `proto` (the machines),
//! `runtime` (the OS: clock, sleep, files, threads) and `client` (the transport contract and
//! the two drivers). **A module imports only from its own folder or from lower layers;
//! `model` names no serde visitor; only `client` and `runtime` name a transport, a future or a
//! thread.** The test `core/tests/layers.rs` enforces it.
//!
//! # Features
//!
//! `std-runtime` (default): the `runtime` module: [`SystemClock`], a blocking
//! [`Transport::pause`] by sleeping, PEM files for roots, worker threads for the blocking sweep.
//! Without it, no clock is read, nothing sleeps, spawns or opens a file: give the builder a
//! [`Clock`] and the transport a pause.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod base;
mod client;
mod config;
mod error;
mod model;
mod proto;
#[cfg(feature = "std-runtime")]
mod runtime;
mod wire;

pub use api::{
    DEFAULT_BASE_URL, DEFAULT_OAUTH_BASE_URL, MAX_PAGE_SIZE, MAX_PAGE_URI, MAX_PERMISSIONS,
    RECORDS_KEY,
};
pub use base::meta::{ResponseMeta, RetryAfter};
pub use base::secret::Secret;
pub use base::sid::{AccountSid, ApiKeySid, ConnectAppSid, SidError, SidKind, SidRule};
pub use base::text::{display_text, is_unprintable};
pub use client::builder::ClientBuilder;
pub use client::handle::{Async, Blocking, Client, Flavour, Listing};
pub use client::transport::{AsyncTransport, BuildTransport, Transport};
pub use client::{asynchronous, blocking};
pub use config::connection::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, TransportSettings, body_buffer,
    body_capacity, declared_length, reserve_body,
};
pub use config::credentials::Credentials;
pub use config::origin::Origin;
pub use config::proxy::HttpProxy;
pub use config::retry::{Outcome, RetryDecision, RetryPolicy, RetryState};
pub use config::settings::{Config, default_user_agent};
pub use error::{
    ApiError, AuthError, Error, HttpError, InputError, PagingError, ParseError, TransportError,
    TransportErrorKind,
};
pub use model::account::{Account, AccountStatus};
pub use model::app::{AuthorizedConnectApp, Permission};
pub use model::listing::{
    ADAPTIVE_MAX, ADAPTIVE_START, AccountApps, AccountListParams, Cursor,
    DEFAULT_SWEEP_CONCURRENCY, ListParams, PageRead, PartialAccount, SweepCursor, SweepParams,
};
pub use model::page::{Envelope, Page, PageParseError, PageView, PageViewError};
pub use model::view::{AppView, JsonStr, PermissionsView};
pub use proto::action::{Action, Machine};
pub use proto::call::{Call, FetchApp, FetchPage};
pub use proto::exchange::Exchange;
pub use proto::listing::{ListingMachine, NextPage};
pub use proto::paging::{MAX_EMPTY_PAGES_IN_ROW, Paginator, Step, ViewStop};
pub use proto::session::{Clock, Context, Session};
pub use proto::sweep::{AccountJob, SweepPlan};
#[cfg(feature = "std-runtime")]
pub use runtime::SystemClock;
pub use wire::request::PageQuery;
pub use wire::resource::Resource;
pub use wire::response::{
    MAX_ERROR_DETAILS, error_from_response, page_size_asked, parse_app, parse_page,
    parse_page_with_limit,
};

/// Re-exported so users can name the `Stream` that async listings implement without a second,
/// version-locked dependency.
pub use futures_core;
/// Re-exported so users need not depend on `http` themselves to match versions.
pub use http;
/// Re-exported because public types expose it ([`ApiError::details`]).
pub use serde_json;
/// Re-exported because public types expose it ([`AuthorizedConnectApp::homepage_url`]).
pub use url;
