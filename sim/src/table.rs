//! The adaptive sweep measured in virtual time: how long a sweep of many subaccounts takes
//! against Twilio's per-credential concurrency limit, next to the floor that limit allows.

use std::time::Duration;

use twilio_connect_apps::model::AccountListParams;
use twilio_connect_apps::{Config, Credentials, Secret, Session, SweepParams};

use crate::api::{Shape, Twilio};
use crate::drive::sweep;
use crate::faults::Script;
use crate::world::World;

/// What one sweep in virtual time came to.
#[derive(Debug, Clone)]
pub struct SweepFigures {
    /// Twilio's concurrency limit.
    pub limit: usize,
    /// Accounts swept (the parent and its subaccounts).
    pub accounts: usize,
    /// How long the sweep took.
    pub duration: Duration,
    /// The least it could take: accounts × latency ÷ limit.
    pub floor: Duration,
    /// API requests sent.
    pub requests: u64,
    /// Of those, answered 429.
    pub answered_429: u64,
    /// Accounts whose apps could not be read.
    pub failed_accounts: usize,
    /// Whether the accounts listing failed.
    pub plan_failed: bool,
    /// The most requests Twilio answered at once.
    pub max_busy: usize,
}

impl SweepFigures {
    /// Duration over floor.
    pub fn ratio(&self) -> f64 {
        self.duration.as_secs_f64() / self.floor.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The share of requests answered 429, in percent.
    pub fn percent_429(&self) -> f64 {
        100.0 * self.answered_429 as f64 / (self.requests.max(1) as f64)
    }
}

/// Sweeps `subaccounts` (and the parent) with an adaptive sweep allowed up to 128 at once,
/// each answer taking `latency`, against a Twilio that answers `limit` requests at once and
/// 429 (`Retry-After: 1`, `Twilio-Concurrent-Requests`) beyond; no other fault.
pub fn sweep_in_virtual_time(subaccounts: usize, latency: Duration, limit: usize) -> SweepFigures {
    let shape = Shape {
        subaccounts,
        apps: vec![3],
        latency,
        limit: Some(limit),
        retry_after_secs: 1,
        token_lifetime: Duration::from_secs(3600),
    };
    let twilio = Twilio::new(shape, Script::none(), 1);
    let accounts = twilio.accounts.len();
    let credentials = twilio
        .parent
        .parse()
        .map(|parent| Credentials::auth_token(parent, Secret::new(twilio.auth_token.clone())));
    let mut world = World::new(twilio);
    let floor = latency.saturating_mul(accounts as u32) / limit.max(1) as u32;
    let mut figures = SweepFigures {
        limit,
        accounts,
        duration: Duration::ZERO,
        floor,
        requests: 0,
        answered_429: 0,
        failed_accounts: accounts,
        plan_failed: true,
        max_busy: 0,
    };
    let Ok(credentials) = credentials else {
        return figures;
    };
    let session = Session::new(Config::new(credentials))
        .with_seed(1)
        .with_max_connections(128);
    let params = SweepParams::adaptive()
        .with_max_concurrency(128)
        .with_accounts(AccountListParams::new().with_page_size(1000));
    let Ok(plan) = session.sweep(params) else {
        return figures;
    };
    let run = sweep(&mut world, &session, 0, plan, 0);
    figures.duration = world.now;
    figures.requests = world.twilio.stats.api_requests;
    figures.answered_429 = world.twilio.stats.answered_429;
    figures.max_busy = world.twilio.stats.max_busy;
    figures.plan_failed = run.plan_error.is_some() || run.stuck.is_some();
    figures.failed_accounts = accounts.saturating_sub(run.results.len())
        + run.results.iter().filter(|r| r.error.is_some()).count();
    figures
}
