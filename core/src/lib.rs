//! A sans-IO core for Twilio's **Authorized Connect Apps** REST resource (API `2010-04-01`).
//!
//! Every operation is a **machine** that owns no reference: it is handed its [`Context`] (the
//! [`Session`] and the time) on each call and says what it wants next with one enum,
//! [`Action`]: `Send(request)`, `Wait(duration)` or `Done(output)`. The machines decide
//! attempts, retry waits, the shared 429 gate, paging and parsing; a driver only moves bytes
//! and waits. This crate is **pure by construction**: it has no transport trait, no driver,
//! no future, and reads no clock, sleeps, spawns, opens no file or socket (it builds for
//! `wasm32-unknown-unknown`). The blocking and async clients that drive it over a transport
//! are `twilio-connect-apps-client`; `twilio-connect-apps-ureq` and
//! `twilio-connect-apps-hyper` are ready-made transports for them.
//!
//! **In scope:** fetch an app, list apps (v2010 and `meta` envelopes) and accounts, sweep them,
//! errors, edge/region hosts, auth tokens, API keys and OAuth client credentials, retries.
//! **Out of scope:** create, update, delete (the API is read-only), redirects (never
//! followed), moving bytes, time and randomness (the driver brings them).
//!
//! # A runtime of your own
//!
//! Drive any machine in a loop; retries, the 429 gate and paging come with it. Here the
//! server fails the first request with a 503, so the listing waits once and tries again:
//!
//! ```
//! use twilio_connect_apps::{Action, Config, Credentials, ListParams, Machine, Secret, Session};
//! # let mut served = 0;
//! # let mut my_send = |_: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, twilio_connect_apps::error::TransportError> {
//! #     served += 1;
//! #     let (status, body): (u16, &[u8]) = if served == 1 { (503, b"busy") } else {
//! #         (200, br#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}], "next_page_uri": null}"#) };
//! #     Ok(http::Response::builder().status(status).body(body.to_vec()).unwrap())
//! # };
//! # let mut waits = Vec::new();
//! # let mut my_sleep = |wait| waits.push(wait);
//! # let my_clock = || std::time::UNIX_EPOCH;
//! # let my_random_seed = || 7;
//! let config = Config::new(Credentials::auth_token(
//!     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
//!     Secret::new("your auth token"),
//! ));
//! // The seed of the backoff jitter: your runtime's randomness (any u64 will do).
//! let session = Session::new(config).with_seed(my_random_seed());
//! let mut listing = session.list(ListParams::new())?;
//! let mut apps = Vec::new();
//! loop {
//!     match listing.next(&session.context(my_clock())) {
//!         Action::Send(request) => {
//!             let response = my_send(request);
//!             listing.handle(&session.context(my_clock()), response);
//!         }
//!         Action::Wait(wait) => my_sleep(wait),
//!         Action::Done(Some(app)) => apps.push(app?),
//!         Action::Done(None) => break,
//!     }
//! }
//! assert_eq!(apps.len(), 1);
//! # assert_eq!(waits.len(), 1, "the 503 was retried after one wait");
//! # assert!(waits[0] > std::time::Duration::ZERO, "a real wait");
//! # Ok::<(), twilio_connect_apps::Error>(())
//! ```
//!
//! # What is where
//!
//! The root holds what a typical program names: the machine vocabulary ([`Action`],
//! [`Machine`], [`Session`], [`Context`]), the configuration ([`Config`], [`Credentials`],
//! [`Secret`], [`RetryPolicy`]), the inputs ([`ListParams`], [`AccountListParams`],
//! [`SweepParams`], [`Cursor`], [`SweepCursor`], the SIDs), the records
//! ([`AuthorizedConnectApp`], [`Permission`], [`Account`], [`AccountApps`], [`AppView`]) and
//! the [`Error`]. The rest lives in modules by area:
//!
//! | module | what |
//! |---|---|
//! | [`machine`] | every machine and what it is made by |
//! | [`model`] | the records, pages, views, SIDs and what a response said about itself |
//! | [`config`] | origin, proxy, retry decisions and their parts |
//! | [`error`] | the error and its parts, by phase |
//! | [`wire`] | the request builders and the parsing entry points |
//! | [`limits`] | the API's bounds and the defaults |
//! | [`text`] | the one rule for showing a string a server sent |
//!
//! # Naming
//!
//! One style throughout, after the Rust API guidelines (C-GETTER): a value built by chaining
//! ([`Config`], [`RetryPolicy`], [`Session`], [`ListParams`], [`AccountListParams`],
//! [`SweepParams`], [`wire::PageQuery`]) is set with `with_*` and read by the plain name
//! (`ListParams::new().with_limit(5).limit() == Some(5)`). The client crate's
//! `ClientBuilder`, a builder only (nothing to read, ends in `build`), names its setters
//! plainly, as builders do. An operation on the configured account has a plain name
//! (`fetch`, `page`, `resume`); the same on another account ends in `_in`.
//!
//! # Layers
//!
//! `src` is grouped by layer, lowest first: `base` (SIDs, secrets, text, JSON paths), `error`,
//! `api` (the API's constants and paths, spelled only there), `model` (plain types), `config`
//! (credentials, origin, proxy, retry policy), `wire` (every serde visitor, the fast scanner,
//! requests, responses, decoding) and `proto` (the machines). **A module imports only from its
//! own folder or from lower layers, and `model` names no serde visitor.** The test
//! `core/tests/layers.rs` enforces it; the crate graph keeps IO out (this crate depends on
//! no IO crate, and the test also checks that no source names std's thread, file, network
//! or channel modules, or reads the system or monotonic clock).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod base;
pub mod config;
pub mod error;
pub mod model;
mod proto;
pub mod wire;

pub use base::secret::Secret;
pub use base::sid::{AccountSid, ConnectAppSid};
pub use config::credentials::Credentials;
pub use config::retry::RetryPolicy;
pub use config::settings::Config;
pub use error::Error;
pub use model::account::Account;
pub use model::app::{AuthorizedConnectApp, Permission};
pub use model::listing::{
    AccountApps, AccountListParams, Cursor, ListParams, SweepCursor, SweepParams,
};
pub use model::view::AppView;
pub use proto::action::{Action, Machine};
pub use proto::context::Context;
pub use proto::session::Session;

/// Re-exported so users need not depend on `http` themselves to match versions.
pub use http;

/// The machines: one per operation, each a state machine that owns no reference and answers
/// [`Action`]s. Each is made by a [`Session`] method.
///
/// | machine | output | made by |
/// |---|---|---|
/// | [`FetchApp`](machine::FetchApp) | one app | `Session::fetch`, `Session::fetch_in` |
/// | [`FetchPage`](machine::FetchPage) | one page | `Session::page`, `Session::page_at` |
/// | [`ListingMachine`](machine::ListingMachine) | the next record (`None` at the end) | `Session::list`, `resume`, `accounts`, `resume_accounts` |
/// | [`NextPage`](machine::NextPage) | the next page, to hand out as borrowed views | `ListingMachine::next_page` |
/// | [`SweepPlan`](machine::SweepPlan) | the next account to audit, as a job | `Session::sweep`, `Session::resume_sweep` |
/// | [`AccountJob`](machine::AccountJob) | one account's apps | `SweepPlan` |
///
/// Every call goes through one exchange inside (attempts, the body cap, gzip, retries, the
/// 429 gate, the OAuth token); with OAuth client credentials, the token request is one more
/// exchange, sent by whichever request claimed the refresh.
///
/// ```text
///            ┌─────────────┐  Send(request)   ┌───────────┐
///  driver ──►│ machine.next│ ───────────────► │ transport │ ──► machine.handle(response)
///    ▲       └─────────────┘  Wait(duration)  └───────────┘            │
///    │              │ ───────────────► sleep ─────────────────────────┤
///    │              └── Done(output) ──► the driver returns it         │
///    └─────────────────────────────────────────────────────────────────┘
/// ```
pub mod machine {
    pub use crate::proto::action::{Action, Machine};
    pub use crate::proto::call::{Call, FetchApp, FetchPage};
    pub use crate::proto::context::Context;
    pub use crate::proto::listing::{ListingMachine, NextPage, PageReady};
    pub use crate::proto::session::Session;
    pub use crate::proto::sweep::{AccountJob, SweepPlan};
}

/// The API's bounds and the defaults: the one place each is spelled.
pub mod limits {
    pub use crate::api::{
        DEFAULT_BASE_URL, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS, DEFAULT_OAUTH_BASE_URL,
        MAX_PAGE_SIZE, MAX_PAGE_URI, MAX_PERMISSIONS,
    };
    pub use crate::model::listing::{ADAPTIVE_MAX, ADAPTIVE_START, DEFAULT_SWEEP_CONCURRENCY};
    pub use crate::proto::paging::MAX_EMPTY_PAGES_IN_ROW;
    pub use crate::wire::response::MAX_ERROR_DETAILS;
}

/// The one rule for showing a string a server sent (error lines, reports, tables): control,
/// bidi and zero-width characters replaced, long values cut.
pub mod text {
    pub use crate::base::text::{display_text, is_unprintable};
}

/// The crate's README (its crates.io page), compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
