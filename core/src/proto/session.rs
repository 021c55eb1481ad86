//! What every machine is handed on each call: the [`Session`] (the configuration and the state
//! that requests share: the 429 gate, the body cap) with the current time and a random number,
//! as one [`Context`]; and the [`Clock`] a driver reads them from.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::config::connection::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS};
use crate::config::settings::Config;
use crate::proto::token::Tokens;

/// The configuration and the state that every request of one client shares: the shared 429
/// gate (after a 429, every request holds off until its `Retry-After` has passed) and the body
/// cap. Machines are made from it (`session.fetch(..)`, `session.list(..)`, ...) and are handed
/// it, with the time, on every call ([`Session::context`]).
///
/// One session per client; share it (it is `Send + Sync`) between every task and thread that
/// uses the client.
pub struct Session {
    config: Config,
    max_body_size: u64,
    max_connections: usize,
    gate: Mutex<Gate>,
    tokens: Mutex<Tokens>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.config)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

/// Until when the server asked this session to hold off, and which 429 said so.
#[derive(Default)]
pub(crate) struct Gate {
    pub(crate) until: Option<SystemTime>,
    pub(crate) generation: u64,
    /// 429s met so far, and the fewest requests in flight any of them counted
    /// (`Twilio-Concurrent-Requests`) since a sweep last looked.
    pub(crate) throttled: u64,
    pub(crate) concurrency_at_429: Option<u32>,
}

impl Session {
    /// A session for `config`, with the default body cap (16 MiB).
    pub fn new(config: Config) -> Self {
        Session {
            config,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            gate: Mutex::default(),
            tokens: Mutex::default(),
        }
    }

    /// The largest response body accepted, after decompression; a larger one is
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge).
    pub fn with_max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// How many requests the client may have in flight at once (its transport's
    /// `max_connections`): an adaptive sweep never goes past it.
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// The most requests in flight at once.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// How many requests were answered 429 so far.
    pub fn throttled(&self) -> u64 {
        self.gate().throttled
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The body cap.
    pub fn max_body_size(&self) -> u64 {
        self.max_body_size
    }

    /// The context of one call: this session, the current time and a uniformly distributed
    /// random number (for backoff jitter). A driver makes one for every call it makes.
    pub fn context(&self, now: SystemTime, random: u64) -> Context<'_> {
        Context {
            session: self,
            now,
            random,
        }
    }

    pub(crate) fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many OAuth access tokens this session asked for so far (0 for other credentials).
    pub fn token_requests(&self) -> u64 {
        self.tokens().refreshes()
    }
}

/// What a machine is handed on each call: the session, the time and a random number.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    session: &'a Session,
    now: SystemTime,
    random: u64,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// The session.
    pub fn session(&self) -> &'a Session {
        self.session
    }

    /// The configuration.
    pub fn config(&self) -> &'a Config {
        &self.session.config
    }

    /// The time of the call.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// The call's random number.
    pub fn random(&self) -> u64 {
        self.random
    }
}

/// Where a driver gets the time and randomness it hands the machines: the wall clock (for
/// `Retry-After` dates, token lifetimes and durations in traces) and a random number (for
/// backoff jitter). Replace it in tests to make every decision deterministic.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// A uniformly distributed random number.
    fn random(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
    fn random(&self) -> u64 {
        (**self).random()
    }
}
