//! What the emulator holds: the accounts and their apps (JSON made once at start), API keys,
//! the fault script, and the request log.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;

use crate::data::{Account, ApiKey, App, Dataset};
use crate::faults::FaultScript;
use crate::server::oauth::{IssuedToken, OAuthClientEntry};
use crate::server::query::form_pairs;

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 1-based request number.
    pub number: u64,
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Every header, names lower-case, in arrival order (`authorization` included, but an
    /// OAuth access token is kept as `Bearer [redacted]`; token request bodies are never
    /// kept).
    pub headers: Vec<(String, String)>,
    /// The connection it came on (1-based, in accept order).
    pub connection: u64,
    /// Whether the connection was TLS.
    pub tls: bool,
    /// The HTTP version (`HTTP/1.1`, `HTTP/2.0`).
    pub version: String,
    /// When it arrived.
    pub at: Instant,
    /// The fault rule that fired for it, as `#INDEX RULE` (1-based index in the script).
    pub fault: Option<String>,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter's value (decoded).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

pub(super) struct AccountEntry {
    pub(super) token: String,
    pub(super) parent: Option<String>,
    pub(super) friendly_name: String,
    pub(super) status: String,
    /// The account as the accounts listing shows it (auth token included, as Twilio's does).
    pub(super) json: Bytes,
    /// Each app's JSON, made once at start.
    pub(super) apps: Vec<(String, Bytes)>,
    pub(super) index: HashMap<String, usize>,
}

pub(super) struct State {
    pub(super) accounts: HashMap<String, AccountEntry>,
    /// Account SIDs in dataset order (the accounts listing's order).
    pub(super) order: Vec<String>,
    pub(super) keys: HashMap<String, ApiKey>,
    pub(super) faults: FaultScript,
    pub(super) log: Vec<RecordedRequest>,
    pub(super) requests: u64,
    /// API requests (not `/_emulator/` ones) read so far: what fault rules count.
    pub(super) api_requests: u64,
    /// OAuth clients by id.
    pub(super) oauth_clients: HashMap<String, OAuthClientEntry>,
    /// Access tokens handed out, by value.
    pub(super) tokens: HashMap<String, IssuedTokenEntry>,
    /// Every token handed out, in order.
    pub(super) issued: Vec<IssuedToken>,
    pub(super) token_serial: u64,
    /// Requests in flight, per credentials (the Basic user, or the OAuth client).
    pub(super) in_flight: HashMap<String, u32>,
    /// Requests answered 429 because the concurrency limit was passed.
    pub(super) over_limit: u64,
}

/// An access token the emulator handed out.
pub(super) struct IssuedTokenEntry {
    pub(super) client_id: String,
    pub(super) account_sid: String,
    pub(super) expires_at: Instant,
}

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    pub(super) connections: AtomicU64,
    /// Response body bytes written (after compression): bytes on the wire, headers aside.
    pub(super) body_bytes: AtomicU64,
    /// The most connections open at once.
    pub(super) peak_connections: AtomicU64,
    /// Every answer waits this long first (a network's round trip).
    pub(super) latency: std::time::Duration,
    /// Whether to gzip answers for clients that ask.
    pub(super) gzip: bool,
    pub(super) open_connections: AtomicU64,
    pub(super) token_salt: u64,
    pub(super) log_stderr: bool,
    /// Answer lists in the newer `meta` envelope, with absolute URLs on this origin.
    pub(super) meta: Option<String>,
    /// How long an OAuth access token lives.
    pub(super) oauth_token_ttl: std::time::Duration,
    /// The most requests one set of credentials may have in flight (`None`: no limit).
    pub(super) concurrency_limit: Option<u32>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the data half-written in a way that
        // matters here; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) fn index_data(data: &Dataset) -> HashMap<String, AccountEntry> {
    data.accounts
        .iter()
        .map(|a: &Account| {
            let apps: Vec<(String, Bytes)> = a
                .apps
                .iter()
                .map(|app: &App| {
                    let json = serde_json::to_vec(&app.to_json(&a.sid)).unwrap_or_default();
                    (app.connect_app_sid.clone(), Bytes::from(json))
                })
                .collect();
            let index = apps
                .iter()
                .enumerate()
                .map(|(i, (sid, _))| (sid.clone(), i))
                .collect();
            let friendly_name = a
                .friendly_name
                .clone()
                .unwrap_or_else(|| format!("Account {}", a.sid));
            let status = a.status.clone().unwrap_or_else(|| "active".into());
            let json = serde_json::to_vec(&serde_json::json!({
                "auth_token": a.auth_token,
                "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
                "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
                "friendly_name": friendly_name,
                "owner_account_sid": a.parent.clone().unwrap_or_else(|| a.sid.clone()),
                "sid": a.sid,
                "status": status,
                "subresource_uris": {
                    "authorized_connect_apps": format!("/2010-04-01/Accounts/{}/AuthorizedConnectApps.json", a.sid),
                },
                "type": "Full",
                "uri": format!("/2010-04-01/Accounts/{}.json", a.sid),
            }))
            .unwrap_or_default();
            (
                a.sid.clone(),
                AccountEntry {
                    token: a.auth_token.clone(),
                    parent: a.parent.clone(),
                    friendly_name,
                    status,
                    json: Bytes::from(json),
                    apps,
                    index,
                },
            )
        })
        .collect()
}
