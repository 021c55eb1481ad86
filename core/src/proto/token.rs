//! The OAuth access token every request of a session shares: fetched on first use, refreshed
//! before it expires, one refresh in flight at a time however many requests wait.
//!
//! ```text
//!  Empty ──claim──► Refreshing ──token──► Valid ──(refresh margin reached)──claim──► Refreshing
//!                       │                   ▲            (the old token is still used meanwhile)
//!                       └──refused──► Failed (4xx: for good; otherwise for a second)
//! ```
//!
//! The state lives in the [`Session`](crate::Session); an [`Exchange`](crate::machine::Call) asks it
//! what to do before each attempt ([`Tokens::decide`]). The one that claims the refresh sends
//! the token request (with retries, as any request); the others use the old token while it is
//! valid, and otherwise wait for the new one.

use std::time::{Duration, SystemTime};

use http::HeaderValue;

use crate::error::AuthError;
use crate::wire::token::{AccessToken, refresh_margin};

/// How often a request that waits for a token looks again.
const POLL: Duration = Duration::from_millis(20);
/// After this long without a sign of life from the request that claimed a refresh (it was
/// dropped), another may claim it.
const TAKEOVER: Duration = Duration::from_secs(60);
/// How long a refresh that failed for a passing reason (5xx, the network) is not tried again.
const FAILED_COOL_DOWN: Duration = Duration::from_secs(1);
/// How long a token fetched because its predecessor was refused (401) is not replaced for
/// another 401: a server that refuses every token (one subaccount the client may not read, or
/// many) would otherwise get a token request per refusal.
pub(crate) const REFUSED_COOL_DOWN: Duration = Duration::from_secs(60);

/// The session's token, and how many it has had.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    state: State,
    /// Bumped for every token stored: a 401 names the token it was refused with.
    generation: u64,
    /// Token requests sent (claims), for tests and traces.
    refreshes: u64,
    /// The last two tokens stored (newest first), kept after a refusal or an expiry: a server
    /// may still reflect them, and they must not be shown.
    recent: [Option<HeaderValue>; 2],
    /// The current token replaced one that was refused, at this time: a 401 on it within
    /// [`REFUSED_COOL_DOWN`] is final for its request, and fetches nothing.
    replaced_refused_at: Option<SystemTime>,
    /// The next token stored replaces a refused one.
    replacing_refused: bool,
}

/// What a 401 on a token comes to for its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Try once more, with the token that replaces it (fetched now, or already there).
    Retry,
    /// The 401 stands: the token was itself a fresh replacement of a refused one.
    Final,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Empty,
    Valid(AccessToken),
    Refreshing {
        heartbeat: SystemTime,
        previous: Option<AccessToken>,
    },
    Failed {
        error: AuthError,
        until: Option<SystemTime>,
    },
}

/// What a request does about its token before an attempt.
pub(crate) enum TokenDecision {
    /// Carry this `Authorization` value (of this generation).
    Use(HeaderValue, u64),
    /// Fetch a token for everyone: this request claimed the refresh.
    Refresh,
    /// Another request is fetching one: look again after this long.
    Wait(Duration),
    /// The token endpoint refused (or could not be reached): fail with this.
    Fail(AuthError),
}

impl Tokens {
    /// What a request about to be sent at `now` does.
    pub(crate) fn decide(&mut self, now: SystemTime) -> TokenDecision {
        let usable = |t: &AccessToken| now < t.expires_at;
        match &self.state {
            State::Valid(t)
                if now
                    .checked_add(refresh_margin(t.lifetime))
                    .is_some_and(|at| at < t.expires_at) =>
            {
                TokenDecision::Use(t.header.clone(), self.generation)
            }
            State::Valid(t) => {
                // Within the margin: this request refreshes, and still goes with the old token
                // if it has not expired yet (so nobody waits).
                let previous = Some(t.clone()).filter(usable);
                self.claim(now, previous)
            }
            State::Refreshing {
                heartbeat,
                previous,
            } => match previous {
                Some(t) if usable(t) => TokenDecision::Use(t.header.clone(), self.generation),
                _ if now.duration_since(*heartbeat).unwrap_or_default() > TAKEOVER => {
                    self.claim(now, None)
                }
                _ => TokenDecision::Wait(POLL),
            },
            State::Failed { until, .. } if until.is_some_and(|u| now >= u) => self.claim(now, None),
            State::Failed { error, .. } => TokenDecision::Fail(error.clone()),
            State::Empty => self.claim(now, None),
        }
    }

    fn claim(&mut self, now: SystemTime, previous: Option<AccessToken>) -> TokenDecision {
        self.refreshes += 1;
        self.state = State::Refreshing {
            heartbeat: now,
            previous,
        };
        TokenDecision::Refresh
    }

    /// The refreshing request is still at it (it sent an attempt at `now`).
    pub(crate) fn heartbeat(&mut self, now: SystemTime) {
        if let State::Refreshing { heartbeat, .. } = &mut self.state {
            *heartbeat = now;
        }
    }

    /// The new token, fetched at `now`, for everyone.
    pub(crate) fn store(&mut self, token: AccessToken, now: SystemTime) {
        self.generation += 1;
        self.replaced_refused_at = std::mem::take(&mut self.replacing_refused).then_some(now);
        self.recent = [Some(token.header.clone()), self.recent[0].take()];
        tracing::debug!(
            generation = self.generation,
            lifetime_ms = token.lifetime.as_millis() as u64,
            "new OAuth access token"
        );
        self.state = State::Valid(token);
    }

    /// The refresh failed: every waiting request gets this error; a refusal (4xx) stands until
    /// the client is made again, anything else for a second.
    pub(crate) fn fail(&mut self, error: AuthError, now: SystemTime) {
        let permanent = error.status.is_some_and(|s| s.is_client_error());
        let until = (!permanent).then(|| now.checked_add(FAILED_COOL_DOWN).unwrap_or(now));
        tracing::warn!(error = %error, "no OAuth access token");
        self.state = State::Failed { error, until };
    }

    /// An API request carrying the token of `generation` was refused (401) at `now`. An older
    /// token than the current one: retry with the current one. The current one: it is no good
    /// (revoked, or the clocks disagree), so the next request fetches another, once per
    /// generation; unless it was itself fetched to replace a refused token less than
    /// [`REFUSED_COOL_DOWN`] ago, when the refusal is the server's answer, not the token's.
    pub(crate) fn invalidate(&mut self, generation: u64, now: SystemTime) -> Refusal {
        if generation < self.generation {
            return Refusal::Retry;
        }
        let fresh_replacement = self
            .replaced_refused_at
            .is_some_and(|at| now.duration_since(at).unwrap_or_default() < REFUSED_COOL_DOWN);
        if fresh_replacement {
            return Refusal::Final;
        }
        if generation == self.generation && matches!(self.state, State::Valid(_)) {
            self.state = State::Empty;
            self.replacing_refused = true;
        }
        Refusal::Retry
    }

    /// How many token requests were claimed so far.
    /// The tokens a server may reflect: the last two stored (the values, without `Bearer `).
    pub(crate) fn recent(&self) -> impl Iterator<Item = &[u8]> {
        self.recent.iter().flatten().map(|h| {
            let value = h.as_bytes();
            value.strip_prefix(b"Bearer ".as_slice()).unwrap_or(value)
        })
    }

    pub(crate) fn refreshes(&self) -> u64 {
        self.refreshes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(now: SystemTime, secs: u64) -> AccessToken {
        let mut header = HeaderValue::from_static("Bearer t");
        header.set_sensitive(true);
        AccessToken {
            header,
            expires_at: now + Duration::from_secs(secs),
            lifetime: Duration::from_secs(secs),
        }
    }

    #[test]
    fn one_refresh_at_a_time_and_the_old_token_meanwhile() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut tokens = Tokens::default();
        assert!(matches!(tokens.decide(t0), TokenDecision::Refresh));
        // Others wait while the first refresh is out.
        assert!(matches!(tokens.decide(t0), TokenDecision::Wait(_)));
        tokens.store(token(t0, 100), t0);
        assert!(matches!(tokens.decide(t0), TokenDecision::Use(_, 1)));
        // 10 s before expiry (margin 10 s): one request refreshes, the rest keep the old one.
        let late = t0 + Duration::from_secs(91);
        assert!(matches!(tokens.decide(late), TokenDecision::Refresh));
        for _ in 0..5 {
            assert!(matches!(tokens.decide(late), TokenDecision::Use(_, 1)));
        }
        tokens.store(token(late, 100), late);
        assert!(matches!(tokens.decide(late), TokenDecision::Use(_, 2)));
        assert_eq!(tokens.refreshes(), 2);
        // A 401 with token 1 is old news (retry with 2); with token 2 it forces a refresh.
        assert_eq!(tokens.invalidate(1, late), Refusal::Retry);
        assert!(matches!(tokens.decide(late), TokenDecision::Use(_, 2)));
        assert_eq!(tokens.invalidate(2, late), Refusal::Retry);
        assert!(matches!(tokens.decide(late), TokenDecision::Refresh));
    }

    #[test]
    fn one_refresh_per_generation_and_none_for_a_fresh_replacement() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut tokens = Tokens::default();
        assert!(matches!(tokens.decide(t0), TokenDecision::Refresh));
        tokens.store(token(t0, 3600), t0);
        // 400 requests refused with token 1: one refresh in all.
        assert_eq!(tokens.invalidate(1, t0), Refusal::Retry);
        for _ in 0..399 {
            assert_eq!(tokens.invalidate(1, t0), Refusal::Retry);
            assert!(
                !matches!(tokens.decide(t0), TokenDecision::Use(..)) || tokens.refreshes() == 2
            );
        }
        tokens.store(token(t0, 3600), t0);
        assert_eq!(tokens.refreshes(), 2);
        // Token 2 replaced a refused one: a 401 on it is final for a minute, and fetches nothing.
        let soon = t0 + Duration::from_secs(30);
        for _ in 0..400 {
            assert_eq!(tokens.invalidate(2, soon), Refusal::Final);
            assert!(matches!(tokens.decide(soon), TokenDecision::Use(_, 2)));
        }
        // Later, a 401 on it is news again.
        let later = t0 + REFUSED_COOL_DOWN;
        assert_eq!(tokens.invalidate(2, later), Refusal::Retry);
        assert!(matches!(tokens.decide(later), TokenDecision::Refresh));
        assert_eq!(tokens.refreshes(), 3);
    }

    #[test]
    fn a_refusal_stands_and_a_passing_failure_cools_down() {
        let t0 = SystemTime::UNIX_EPOCH;
        let error = |status: u16| AuthError {
            origin: "https://oauth.twilio.com".into(),
            status: http::StatusCode::from_u16(status).ok(),
            code: None,
            message: "no".into(),
            more_info: None,
            meta: None,
        };
        let mut tokens = Tokens::default();
        assert!(matches!(tokens.decide(t0), TokenDecision::Refresh));
        tokens.fail(error(401), t0);
        let later = t0 + Duration::from_secs(3600);
        assert!(matches!(tokens.decide(later), TokenDecision::Fail(_)));
        let mut tokens = Tokens::default();
        assert!(matches!(tokens.decide(t0), TokenDecision::Refresh));
        tokens.fail(error(503), t0);
        assert!(matches!(tokens.decide(t0), TokenDecision::Fail(_)));
        assert!(matches!(
            tokens.decide(t0 + Duration::from_secs(2)),
            TokenDecision::Refresh
        ));
        // A refresh whose owner went away is taken over.
        assert!(matches!(
            tokens.decide(t0 + Duration::from_secs(2) + TAKEOVER + Duration::from_secs(1)),
            TokenDecision::Refresh
        ));
    }
}
