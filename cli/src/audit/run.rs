//! The run record every report carries: what judged the apps (the tool, the policy's and the
//! baseline's SHA-256) and what the run covered (accounts planned, read and failed; pages,
//! requests, retries and 429s), so a report shows by itself that an audit was complete.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::progress::Totals;

/// The run record (in the snapshot, and so in every report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunRecord {
    /// SHA-256 of the `--policy` file's bytes, hex (`None` without one).
    pub(crate) policy_sha256: Option<String>,
    /// SHA-256 of the `--baseline` file's bytes, hex.
    pub(crate) baseline_sha256: Option<String>,
    /// The accounts the run set out to read: every account the accounts listing gave (or the
    /// one account).
    pub(crate) accounts_planned: u64,
    /// Those read in full.
    pub(crate) accounts_read: u64,
    /// Those that could not be read (each an `account-not-audited` finding).
    pub(crate) accounts_failed: u64,
    /// Pages of apps and accounts received.
    pub(crate) pages: u64,
    /// HTTP requests sent (every attempt, retries and token requests included).
    pub(crate) requests: u64,
    /// Attempts made again after a failure.
    pub(crate) retries: u64,
    /// Responses 429 (Too Many Requests).
    pub(crate) rate_limited: u64,
}

impl RunRecord {
    /// The record of a run: the accounts (`read` and `failed` of `planned`), the library's
    /// `totals` and the digests of the files it was judged by.
    pub(crate) fn of(
        (planned, read, failed): (u64, u64, u64),
        totals: Totals,
        policy_sha256: Option<String>,
        baseline_sha256: Option<String>,
    ) -> RunRecord {
        RunRecord {
            policy_sha256,
            baseline_sha256,
            accounts_planned: planned,
            accounts_read: read,
            accounts_failed: failed,
            pages: totals.pages,
            requests: totals.requests,
            retries: totals.retries,
            rate_limited: totals.rate_limited,
        }
    }

    /// One line for the table and Markdown summaries.
    pub(crate) fn line(&self) -> String {
        let digest = |d: &Option<String>| {
            d.as_deref()
                .and_then(|d| d.get(..12))
                .map_or_else(|| "none".to_owned(), str::to_owned)
        };
        format!(
            "run: {} of {} accounts read, {} failed; {} pages, {} requests, {} retries, {} answered 429; policy sha256 {}, baseline sha256 {}",
            self.accounts_read,
            self.accounts_planned,
            self.accounts_failed,
            self.pages,
            self.requests,
            self.retries,
            self.rate_limited,
            digest(&self.policy_sha256),
            digest(&self.baseline_sha256)
        )
    }
}

/// SHA-256 of `bytes`, hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
