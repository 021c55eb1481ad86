//! The blocking and async clients for Twilio's **Authorized Connect Apps** REST resource: the
//! drivers of the sans-IO core ([`twilio_connect_apps`]) over a transport of your choice.
//!
//! The core decides everything (requests, retries, the 429 gate, paging, parsing, OAuth); this
//! crate runs its machines: one short `drive` loop per flavour over the transport contract
//! ([`Transport`] for blocking code, [`AsyncTransport`] for async code), the builder, and the
//! std runtime (the system clock, a random jitter seed, the blocking pause, PEM files, the
//! blocking sweep's worker threads). `twilio-connect-apps-ureq` and
//! `twilio-connect-apps-hyper` are ready-made transports; a closure is one too:
//!
//! ```
//! use twilio_connect_apps_client::{blocking, Config, Credentials, ListParams, Secret};
//! use twilio_connect_apps::error::TransportError;
//!
//! let config = Config::new(Credentials::auth_token(
//!     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
//!     Secret::new("token"),
//! ));
//! // A closure is a transport: here, a server with one app.
//! let client = blocking::Client::with_transport(config, |_req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
//!     Ok(http::Response::new(
//!         br#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}], "next_page_uri": null}"#.to_vec(),
//!     ))
//! });
//! let apps: Vec<_> = client.list(ListParams::new())?.collect::<Result<_, _>>()?;
//! assert_eq!(apps.len(), 1);
//! # Ok::<(), twilio_connect_apps::Error>(())
//! ```
//!
//! # What is where
//!
//! The root holds what a program over a transport names: the client, its builder and a
//! listing ([`Client`], [`ClientBuilder`], [`Listing`], generic over the transport `T` and
//! the flavour, [`Blocking`] or [`Async`]), the transport contract ([`Transport`],
//! [`AsyncTransport`], [`BuildTransport`], [`TransportSettings`]), the [`Clock`], and the
//! core's everyday names (the configuration, the inputs, the records, the error), so that one
//! `use` line serves. [`blocking`] and [`asynchronous`] name the two flavours' clients and
//! sweeps; everything else is in the core's modules.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod asynchronous;
pub mod blocking;
mod builder;
mod handle;
mod runtime;
mod settings;
mod sweep;
mod transport;

pub use builder::ClientBuilder;
pub use handle::{Async, Blocking, Client, Flavour, Listing};
pub use runtime::{Clock, SystemClock};
pub use settings::TransportSettings;
pub use transport::{AsyncTransport, BuildTransport, Transport};

pub use twilio_connect_apps::{
    Account, AccountListParams, AccountSid, AuthorizedConnectApp, Config, ConnectAppSid,
    Credentials, Cursor, Error, ListParams, RetryPolicy, Secret, SweepCursor, SweepParams,
};

/// Timeouts, the pool and the body cap a transport is built with, by default.
pub mod defaults {
    pub use crate::settings::{
        DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
    };
    pub use twilio_connect_apps::limits::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS};
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
