//! What every machine is handed on each call: the state that the requests of one session
//! share (the configuration, the 429 gate, the body cap, the OAuth token, the jitter's random
//! stream) with the current time, as one [`Context`]. The [`Session`](crate::Session) owns
//! that state and makes the machines.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use crate::api::{DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS};
use crate::base::redact::Redactor;
use crate::config::retry::Jitter;
use crate::config::settings::Config;
use crate::proto::gate::Gate;
use crate::proto::token::Tokens;

/// The state every request of one session shares.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) max_body_size: u64,
    pub(crate) max_connections: usize,
    gate: Mutex<Gate>,
    tokens: Mutex<Tokens>,
    /// The jitter stream's position (SplitMix64: a counter, mixed on each draw).
    seed: AtomicU64,
    /// The forms of the configured secret, replaced in every server text.
    redactor: Redactor,
}

impl Shared {
    /// The state of a new session: an open gate, no token, the default caps, and a jitter
    /// stream seeded from the account SID.
    pub(crate) fn new(config: Config) -> Self {
        let seed = config
            .account_sid()
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        Shared {
            redactor: Redactor::new(config.credentials().secret_forms()),
            config,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            gate: Mutex::default(),
            tokens: Mutex::default(),
            seed: AtomicU64::new(seed),
        }
    }

    /// Restarts the jitter stream from `seed`.
    pub(crate) fn seed(&self, seed: u64) {
        self.seed.store(seed, Ordering::Relaxed);
    }

    /// The next draw of the jitter stream (SplitMix64: `from_seed` is its step from `state`).
    pub(crate) fn jitter(&self) -> Jitter {
        const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
        let state = self.seed.fetch_add(GOLDEN, Ordering::Relaxed);
        Jitter::from_seed(state)
    }

    pub(crate) fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is replaced in a server's text: the configured secret's forms and, with
    /// `tokens`, the access tokens requests carried.
    pub(crate) fn redactor(&self, tokens: bool) -> std::borrow::Cow<'_, Redactor> {
        if !tokens || !self.config.credentials().is_oauth() {
            return std::borrow::Cow::Borrowed(&self.redactor);
        }
        let mut redactor = self.redactor.clone();
        for token in self.tokens().recent() {
            redactor.add(token);
        }
        std::borrow::Cow::Owned(redactor)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a machine is handed on each call: the session's shared state and the time. Made by
/// [`Session::context`](crate::Session::context).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    shared: &'a Shared,
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
    pub(crate) fn new(shared: &'a Shared, now: SystemTime) -> Self {
        Context { shared, now }
    }

    /// The configuration.
    pub fn config(&self) -> &'a Config {
        &self.shared.config
    }

    /// The time of the call.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// The session's shared state.
    pub(crate) fn shared(&self) -> &'a Shared {
        self.shared
    }
}
