//! What every machine is handed on each call: the [`Session`] (the configuration and the state
//! that requests share: the 429 gate, the body cap, the jitter's random stream) with the
//! current time, as one [`Context`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use crate::api::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS};
use crate::config::retry::Jitter;
use crate::config::settings::Config;
use crate::proto::gate::Gate;
use crate::proto::token::Tokens;

/// The configuration and the state that every request of one client shares: the shared 429
/// gate (after a 429, every request holds off until its `Retry-After` has passed) and the body
/// cap. Machines are made from it (`session.fetch(..)`, `session.list(..)`, ...) and are handed
/// it, with the time, on every call ([`Session::context`]).
///
/// One session per client; share it (it is `Send + Sync`) between every task and thread that
/// uses the client.
///
/// Backoff jitter comes from a stream the session expands from one seed
/// ([`Session::with_seed`]): any seed, even `0` or a small number, gives uniformly spread
/// waits. Seed it from your runtime's randomness so that clients started together do not
/// retry in step.
pub struct Session {
    config: Config,
    max_body_size: u64,
    max_connections: usize,
    gate: Mutex<Gate>,
    tokens: Mutex<Tokens>,
    /// The jitter stream's position (SplitMix64: a counter, mixed on each draw).
    seed: AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.config)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `config`, with the default body cap (16 MiB). Its jitter stream starts
    /// from a seed derived from the account SID; give it a random one with
    /// [`Session::with_seed`].
    pub fn new(config: Config) -> Self {
        let seed = config
            .account_sid()
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        Session {
            config,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            gate: Mutex::default(),
            tokens: Mutex::default(),
            seed: AtomicU64::new(seed),
        }
    }

    /// Seeds the backoff jitter's random stream. Any value will do: the session expands it
    /// (SplitMix64), so `7`, `0` or 32 random bits all give uniformly spread waits. Pass your
    /// runtime's randomness (`getrandom`, `crypto.getRandomValues`, a hash of the process id
    /// and the time) so that clients started together do not retry in step.
    ///
    /// ```
    /// # use twilio_connect_apps::{Config, Credentials, Secret, Session};
    /// # let config = Config::new(Credentials::auth_token("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?, Secret::new("t")));
    /// let session = Session::new(config).with_seed(7);
    /// # Ok::<(), twilio_connect_apps::Error>(())
    /// ```
    pub fn with_seed(self, seed: u64) -> Self {
        self.seed.store(seed, Ordering::Relaxed);
        self
    }

    /// The largest response body accepted, after decompression; a larger one is
    /// [`TransportErrorKind::BodyTooLarge`](crate::error::TransportErrorKind::BodyTooLarge).
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

    /// The context of one call: this session and the current time. A driver makes one for
    /// every call it makes.
    pub fn context(&self, now: SystemTime) -> Context<'_> {
        Context { session: self, now }
    }

    /// The next draw of the jitter stream.
    pub(crate) fn jitter(&self) -> Jitter {
        const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
        let state = self.seed.fetch_add(GOLDEN, Ordering::Relaxed);
        Jitter::from_seed(state.wrapping_add(GOLDEN))
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

/// What a machine is handed on each call: the session and the time.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    session: &'a Session,
    now: SystemTime,
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
}
