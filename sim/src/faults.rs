//! The fault script of a run: which faults it may inject and how often, drawn from its seed.

use crate::rng::Rng;

/// A fault the simulated Twilio (or the network in front of it) can inject into one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// A 500 or 503 with Twilio's error body.
    ServerError,
    /// The connection is reset before any byte of the answer.
    ResetBeforeAnswer,
    /// The connection is reset while the body is read (the server did the work).
    ResetDuringBody,
    /// A page arrives cut short with a 200 (a careless proxy, a body without a length).
    TruncatedPage,
    /// A page delivered twice: the listing's previous page answer is served again (a proxy
    /// or a cache replaying it), pointing at the page asked for.
    DuplicatedPage,
    /// A burst of 429s (code 20429, `Retry-After`, `Twilio-Concurrent-Requests`).
    RateLimitBurst,
    /// Every token issued so far expires now, mid-listing.
    TokenExpiry,
    /// A 401 (code 20003) to a request whose bearer token is valid.
    UnauthorizedWithValidToken,
    /// The answer takes 10 to 60 times the usual latency.
    SlowAnswer,
    /// The page's `next_page_uri` names another host (credentials must not follow it).
    ForeignNextPage,
}

impl Fault {
    /// Every fault, in the order reports list them.
    pub const ALL: [Fault; 10] = [
        Fault::ServerError,
        Fault::ResetBeforeAnswer,
        Fault::ResetDuringBody,
        Fault::TruncatedPage,
        Fault::DuplicatedPage,
        Fault::RateLimitBurst,
        Fault::TokenExpiry,
        Fault::UnauthorizedWithValidToken,
        Fault::SlowAnswer,
        Fault::ForeignNextPage,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::ServerError => "5xx",
            Fault::ResetBeforeAnswer => "reset before the answer",
            Fault::ResetDuringBody => "reset during the body",
            Fault::TruncatedPage => "truncated page",
            Fault::DuplicatedPage => "duplicated page",
            Fault::RateLimitBurst => "429 burst",
            Fault::TokenExpiry => "token expiry mid-listing",
            Fault::UnauthorizedWithValidToken => "401 with a valid token",
            Fault::SlowAnswer => "slow answer",
            Fault::ForeignNextPage => "next page on another host",
        }
    }

    /// Whether it can hit a request of this kind.
    pub(crate) fn applies_to(self, request: &RequestKind) -> bool {
        match self {
            Fault::ServerError | Fault::ResetBeforeAnswer | Fault::SlowAnswer => true,
            Fault::ResetDuringBody => !request.token,
            Fault::RateLimitBurst => !request.token,
            Fault::TruncatedPage | Fault::ForeignNextPage => request.page,
            Fault::DuplicatedPage => request.later_page,
            Fault::TokenExpiry | Fault::UnauthorizedWithValidToken => request.bearer,
        }
    }
}

/// What a request is, for the faults that can hit it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestKind {
    /// A token request (to the OAuth origin).
    pub(crate) token: bool,
    /// A page of a listing (apps or accounts).
    pub(crate) page: bool,
    /// A page after the first of a listing.
    pub(crate) later_page: bool,
    /// It carries a bearer token.
    pub(crate) bearer: bool,
}

/// The faults of one run: each request meets one with probability `per_mille`/1000, of a
/// kind picked among the enabled ones that apply to it.
#[derive(Debug, Clone)]
pub struct Script {
    per_mille: u64,
    enabled: Vec<Fault>,
    rng: Rng,
}

impl Script {
    /// No fault at all.
    pub fn none() -> Self {
        Script {
            per_mille: 0,
            enabled: Vec::new(),
            rng: Rng::new(0),
        }
    }

    /// A script drawn from `seed`: a rate of 0 to 25%, and each fault kind enabled or not.
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x5EED_FA17);
        let per_mille = *rng.pick(&[0, 20, 50, 100, 150, 250]).unwrap_or(&0);
        let mut enabled: Vec<Fault> = Fault::ALL.into_iter().filter(|_| rng.chance(600)).collect();
        if enabled.is_empty() {
            enabled = Fault::ALL.to_vec();
        }
        Script {
            per_mille,
            enabled,
            rng,
        }
    }

    /// The fault for the next request, if any.
    pub(crate) fn draw(&mut self, request: &RequestKind) -> Option<Fault> {
        if !self.rng.chance(self.per_mille) {
            return None;
        }
        let fits: Vec<Fault> = self
            .enabled
            .iter()
            .copied()
            .filter(|f| f.applies_to(request))
            .collect();
        self.rng.pick(&fits).copied()
    }

    /// Randomness for the details of a fault (how long, where a body is cut).
    pub(crate) fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}
