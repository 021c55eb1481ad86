//! The test bed of twilio-connect-apps: an **emulator** of Twilio's Authorized Connect Apps API
//! on real loopback sockets (HTTP/1.1, plain or TLS), with fault injection and a request log.
//!
//! It is written from Twilio's OpenAPI description (`tests/spec/` in the repository) only,
//! and shares no code or types with the client crates: a misreading of the spec in the client
//! cannot hide itself here.
//!
//! ```
//! use twilio_connect_apps_testbed::{Emulator, Fault, FaultScript, Trigger, RetryAfter};
//!
//! // Sample data, plain HTTP, a 429 on the first request.
//! let emu = Emulator::builder()
//!     .faults(FaultScript::new().on(Trigger::Nth(1), Fault::TooManyRequests(RetryAfter::Seconds(1))))
//!     .start()
//!     .unwrap();
//! println!("serving {}", emu.base_url());
//! // ... point a client at it, then look at what it sent:
//! assert!(emu.requests().is_empty());
//! ```
//!
//! Endpoints: `GET /2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json` (`PageSize` default 50,
//! 1..=1000; `Page`; opaque `PageToken`s handed out in `next_page_uri`; a page past 0 without a
//! valid token is refused with 400) and `GET …/AuthorizedConnectApps/{CN}.json`. Basic auth is
//! checked on every request (401, code 20003); a parent's credentials may read its subaccounts;
//! other existing accounts give 403 (20003); unknown paths, accounts, apps and malformed SIDs
//! give 404 (20404); other methods 405 (20004). Every error uses Twilio's envelope.

//!
//! # Features
//!
//! | feature | what it does |
//! |---|---|
//! | (none) | everything is always built; the `twilio-emulator` binary comes with the crate |

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod data;
mod faults;
mod server;
mod tls;

pub use data::{
    AUDIT_FAILING_SUBACCOUNT, Account, ApiKey, App, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN,
    Dataset, SAMPLE_SUBACCOUNTS, generate_apps, is_sid,
};
pub use faults::{ErrorBody, Fault, FaultRule, FaultScript, RetryAfter, Trigger};
pub use server::{Emulator, EmulatorBuilder, IssuedToken, RecordedRequest};
pub use tls::{TLS_TEST_HOST, TestTls};

/// The OASIS SARIF 2.1.0 JSON schema (`tests/spec/sarif-schema-2.1.0.json`; see
/// `tests/spec/SOURCE.md`), to validate SARIF reports against in tests.
pub const SARIF_SCHEMA: &str = include_str!("../spec/sarif-schema-2.1.0.json");

/// This crate's README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct TestbedReadmeDoctests;
