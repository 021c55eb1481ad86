//! The simulated Twilio: a parent account with subaccounts and their apps, paged with page
//! tokens; OAuth tokens that expire; a per-credential concurrency limit that answers
//! 429/20429 with `Twilio-Concurrent-Requests` and `Retry-After`; and the faults of the run's
//! script. It answers in virtual time: every answer says how long it took.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use base64::Engine as _;
use http::{Request, Response};
use twilio_connect_apps::error::{TransportError, TransportErrorKind};

use crate::faults::{Fault, RequestKind, Script};

/// The API's host.
pub const API_HOST: &str = "api.twilio.com";
/// The OAuth token service's host.
pub const OAUTH_HOST: &str = "oauth.twilio.com";
/// The host a hostile `next_page_uri` names.
pub const FOREIGN_HOST: &str = "api.twilio.com.evil.example";

/// The shape of a simulated Twilio.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Subaccounts of the parent.
    pub subaccounts: usize,
    /// Apps of each account (the parent's first), cycled when shorter.
    pub apps: Vec<usize>,
    /// How long an answer takes.
    pub latency: Duration,
    /// Requests Twilio answers at once per credential; more are answered 429/20429.
    pub limit: Option<usize>,
    /// The `Retry-After` of a 429, in seconds.
    pub retry_after_secs: u64,
    /// How long an OAuth token lives.
    pub token_lifetime: Duration,
}

/// What the simulated Twilio counted.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// API requests answered (any answer).
    pub api_requests: u64,
    /// Token requests answered.
    pub token_requests: u64,
    /// Answers with status 429 (the limit's and the script's).
    pub answered_429: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<Fault, u64>,
    /// The most API requests Twilio was answering at once.
    pub max_busy: usize,
}

/// One answer: what the driver gets, and when.
#[derive(Debug)]
pub struct Answer {
    /// The response, or the transport's failure.
    pub result: Result<Response<Vec<u8>>, TransportError>,
    /// How long it took.
    pub latency: Duration,
    /// The fault injected into it.
    pub fault: Option<Fault>,
}

/// The simulated Twilio.
#[derive(Debug)]
pub struct Twilio {
    /// The parent account's SID.
    pub parent: String,
    /// Every account (the parent first), in the order the accounts listing gives them.
    pub accounts: Vec<String>,
    apps: HashMap<String, Vec<String>>,
    /// The auth token of the parent account.
    pub auth_token: String,
    /// The OAuth client's id.
    pub client_id: String,
    /// The OAuth client's secret.
    pub client_secret: String,
    /// Every bearer token issued, with when it expires.
    pub tokens: Vec<(String, Duration)>,
    shape: Shape,
    busy: Vec<Duration>,
    script: Script,
    burst: u32,
    /// The last page answered of each listing (by path), for a page delivered twice.
    previous_pages: HashMap<String, Vec<u8>>,
    /// What was counted.
    pub stats: Stats,
}

/// A SID of the given prefix and number.
pub fn sid(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:032x}")
}

impl Twilio {
    /// A Twilio of this shape, with these faults; `salt` varies the secrets between runs.
    pub fn new(shape: Shape, script: Script, salt: u64) -> Self {
        let parent = sid("AC", 0xfeed_0000);
        let mut accounts = vec![parent.clone()];
        accounts.extend((0..shape.subaccounts as u64).map(|i| sid("AC", 0x1000_0000 + i)));
        let apps = accounts
            .iter()
            .enumerate()
            .map(|(i, account)| {
                let n = shape
                    .apps
                    .get(i % shape.apps.len().max(1))
                    .copied()
                    .unwrap_or(0);
                let sids = (0..n as u64)
                    .map(|j| sid("CN", ((i as u64) << 32) | j))
                    .collect();
                (account.clone(), sids)
            })
            .collect();
        Twilio {
            parent,
            accounts,
            apps,
            auth_token: format!("simauthtoken{salt:016x}"),
            client_id: format!("OQ{salt:032x}"),
            client_secret: format!("simclientsecret{salt:016x}"),
            tokens: Vec::new(),
            shape,
            busy: Vec::new(),
            script,
            burst: 0,
            previous_pages: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// How long the tokens it issues live.
    pub fn token_lifetime(&self) -> Duration {
        self.shape.token_lifetime
    }

    /// The apps of `account`, in listing order.
    pub fn apps_of(&self, account: &str) -> &[String] {
        self.apps
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The `Authorization` value of the parent's auth token.
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", self.parent, self.auth_token);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// Answers `request`, sent at `now`.
    pub fn serve(&mut self, request: &Request<Vec<u8>>, now: Duration) -> Answer {
        let host = request.uri().host().unwrap_or_default().to_owned();
        let bearer = header(request, "authorization").is_some_and(|a| a.starts_with("Bearer "));
        let path = request.uri().path().to_owned();
        let query = query_pairs(request.uri().query().unwrap_or_default());
        let later_page = query.iter().any(|(k, _)| k == "PageToken");
        let kind = RequestKind {
            token: host == OAUTH_HOST,
            page: path.ends_with("ConnectApps.json") || path.ends_with("/Accounts.json"),
            later_page,
            bearer,
        };
        let mut latency = self.shape.latency;
        let fault = match self.burst {
            0 => self.script.draw(&kind),
            _ => Some(Fault::RateLimitBurst),
        };
        if let Some(f) = fault {
            *self.stats.faults.entry(f).or_default() += 1;
        }
        let result = match (host.as_str(), fault) {
            (OAUTH_HOST, _) => {
                self.stats.token_requests += 1;
                self.token(request, now, fault)
            }
            (API_HOST, _) => {
                self.stats.api_requests += 1;
                self.busy.retain(|done| *done > now);
                self.api(request, &path, &query, now, fault)
            }
            _ => Err(TransportError::new(
                TransportErrorKind::Connect,
                format!("no host {host} in the simulation"),
                None,
            )),
        };
        if fault == Some(Fault::SlowAnswer) {
            let times = self.script.rng().between(10, 60);
            latency = latency.saturating_mul(times as u32);
        }
        if host == API_HOST && matches!(&result, Ok(r) if r.status() != 429) {
            self.busy.push(now.saturating_add(latency));
            self.stats.max_busy = self.stats.max_busy.max(self.busy.len());
        }
        if matches!(&result, Ok(r) if r.status() == 429) {
            self.stats.answered_429 += 1;
        }
        Answer {
            result,
            latency,
            fault,
        }
    }

    fn token(
        &mut self,
        request: &Request<Vec<u8>>,
        now: Duration,
        fault: Option<Fault>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        match fault {
            Some(Fault::ServerError) => return Ok(error(503, 20500, "Service Unavailable")),
            Some(Fault::ResetBeforeAnswer) => return Err(reset("before the answer")),
            _ => {}
        }
        let form = query_pairs(&String::from_utf8_lossy(request.body()));
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if request.uri().path() != "/v2/token"
            || get("grant_type") != Some("client_credentials")
            || get("client_id") != Some(&self.client_id)
            || get("client_secret") != Some(&self.client_secret)
        {
            return Ok(error(401, 20003, "Authenticate"));
        }
        let token = format!("simbearer{:08x}x{}", self.tokens.len(), self.client_id);
        self.tokens
            .push((token.clone(), now.saturating_add(self.shape.token_lifetime)));
        let body = serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.shape.token_lifetime.as_secs(),
        });
        Ok(json(200, body.to_string().into_bytes()))
    }

    fn api(
        &mut self,
        request: &Request<Vec<u8>>,
        path: &str,
        query: &[(String, String)],
        now: Duration,
        fault: Option<Fault>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        if let Some(r) = self.limit_or_burst(fault) {
            return Ok(r);
        }
        match fault {
            Some(Fault::ServerError) => {
                let status = if self.script.rng().chance(500) {
                    500
                } else {
                    503
                };
                return Ok(error(status, 20500, "Internal Server Error"));
            }
            Some(Fault::ResetBeforeAnswer) => return Err(reset("before the answer")),
            Some(Fault::TokenExpiry) => {
                for (_, expires) in &mut self.tokens {
                    *expires = (*expires).min(now);
                }
            }
            Some(Fault::UnauthorizedWithValidToken) => {
                return Ok(error(401, 20003, "Authenticate"));
            }
            _ => {}
        }
        if !self.authorized(header(request, "authorization").unwrap_or_default(), now) {
            return Ok(error(401, 20003, "Authenticate"));
        }
        if fault == Some(Fault::DuplicatedPage)
            && let Some(before) = self.previous_pages.get(path)
        {
            return Ok(json(200, before.clone()));
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let size: usize = get("PageSize").and_then(|s| s.parse().ok()).unwrap_or(50);
        let offset: usize = get("PageToken")
            .and_then(|t| t.strip_prefix("PT")?.parse().ok())
            .unwrap_or(0);
        let page: usize = get("Page").and_then(|s| s.parse().ok()).unwrap_or(0);
        let answer = match parts.as_slice() {
            ["2010-04-01", "Accounts.json"] => {
                let records: Vec<serde_json::Value> =
                    self.accounts.iter().map(|a| self.account_json(a)).collect();
                let at = Paging { size, offset, page };
                page_body("accounts", "/2010-04-01/Accounts.json", &records, at, None)
            }
            [
                "2010-04-01",
                "Accounts",
                account,
                "AuthorizedConnectApps.json",
            ] => {
                let Some(apps) = self.apps.get(*account) else {
                    return Ok(error(404, 20404, "The requested resource was not found"));
                };
                let base = format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json");
                let records: Vec<serde_json::Value> =
                    apps.iter().map(|s| app_json(account, s)).collect();
                let (at, next) = match fault {
                    Some(Fault::ForeignNextPage) => (
                        Paging { size, offset, page },
                        Some(Some(format!(
                            "https://{FOREIGN_HOST}{base}?Page={}&PageSize={size}&PageToken=PT{}",
                            page + 1,
                            offset + size
                        ))),
                    ),
                    _ => (Paging { size, offset, page }, None),
                };
                page_body("authorized_connect_apps", &base, &records, at, next)
            }
            [
                "2010-04-01",
                "Accounts",
                account,
                "AuthorizedConnectApps",
                app,
            ] => {
                let cn = app.trim_end_matches(".json");
                match self.apps.get(*account) {
                    Some(apps) if apps.iter().any(|s| s == cn) => {
                        app_json(account, cn).to_string().into_bytes()
                    }
                    _ => return Ok(error(404, 20404, "The requested resource was not found")),
                }
            }
            _ => return Ok(error(404, 20404, "The requested resource was not found")),
        };
        if path.ends_with("ConnectApps.json") || path.ends_with("/Accounts.json") {
            self.previous_pages.insert(path.to_owned(), answer.clone());
        }
        match fault {
            Some(Fault::TruncatedPage) => {
                let cut = self.script.rng().between(1, answer.len().max(2) as u64 - 1);
                let mut body = answer;
                body.truncate(cut as usize);
                Ok(json(200, body))
            }
            Some(Fault::ResetDuringBody) => Err(reset("while the body was read")),
            _ => Ok(json(200, answer)),
        }
    }

    /// The 429 of the concurrency limit, or of a burst in the script.
    fn limit_or_burst(&mut self, fault: Option<Fault>) -> Option<Response<Vec<u8>>> {
        let busy = self.busy.len();
        let over = self.shape.limit.is_some_and(|l| busy >= l);
        if fault == Some(Fault::RateLimitBurst) {
            self.burst = match self.burst {
                0 => self.script.rng().between(0, 4) as u32,
                n => n - 1,
            };
        } else if !over {
            return None;
        }
        let mut r = error(429, 20429, "Too many requests");
        let headers = r.headers_mut();
        headers.insert("retry-after", self.shape.retry_after_secs.into());
        headers.insert("twilio-concurrent-requests", (busy + 1).into());
        Some(r)
    }

    fn authorized(&self, authorization: &str, now: Duration) -> bool {
        match authorization.strip_prefix("Bearer ") {
            Some(token) => self
                .tokens
                .iter()
                .any(|(t, expires)| t == token && now < *expires),
            None => authorization == self.basic(),
        }
    }

    fn account_json(&self, account: &str) -> serde_json::Value {
        serde_json::json!({
            "auth_token": "[not the simulation's secret]",
            "friendly_name": format!("Account {account}"),
            "owner_account_sid": self.parent,
            "sid": account,
            "status": "active",
            "type": "Full",
            "uri": format!("/2010-04-01/Accounts/{account}.json"),
        })
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Copy)]
struct Paging {
    size: usize,
    offset: usize,
    page: usize,
}

/// A page of `records` under `key`; `next` overrides the `next_page_uri`.
fn page_body(
    key: &str,
    base: &str,
    records: &[serde_json::Value],
    at: Paging,
    next: Option<Option<String>>,
) -> Vec<u8> {
    let Paging { size, offset, page } = at;
    let start = offset.min(records.len());
    let end = start.saturating_add(size).min(records.len());
    let natural = (end < records.len())
        .then(|| format!("{base}?Page={}&PageSize={size}&PageToken=PT{end}", page + 1));
    let this = match page {
        0 => format!("{base}?Page=0&PageSize={size}"),
        _ => format!("{base}?Page={page}&PageSize={size}&PageToken=PT{offset}"),
    };
    let body = serde_json::json!({
        key: records.get(start..end).unwrap_or_default(),
        "end": end.saturating_sub(1).max(start),
        "first_page_uri": format!("{base}?Page=0&PageSize={size}"),
        "next_page_uri": next.unwrap_or(natural),
        "page": page,
        "page_size": size,
        "previous_page_uri": null,
        "start": start,
        "uri": this,
    });
    body.to_string().into_bytes()
}

fn app_json(account: &str, app: &str) -> serde_json::Value {
    let n = u64::from_str_radix(app.get(2..).unwrap_or_default(), 16).unwrap_or(0);
    let permissions: &[&str] = if n % 3 == 0 {
        &["get-all", "post-all"]
    } else {
        &["get-all"]
    };
    serde_json::json!({
        "account_sid": account,
        "connect_app_company_name": "Simulated Co",
        "connect_app_description": "An app of the simulation",
        "connect_app_friendly_name": format!("App {n}"),
        "connect_app_homepage_url": "https://example.com",
        "connect_app_sid": app,
        "permissions": permissions,
        "uri": format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps/{app}.json"),
    })
}

fn header<'a>(request: &'a Request<Vec<u8>>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `k=v&k=v` pairs (the simulation's values need no percent-decoding).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn json(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: u16, code: u32, message: &str) -> Response<Vec<u8>> {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    json(status, body.to_string().into_bytes())
}

fn reset(when: &str) -> TransportError {
    TransportError::new(
        TransportErrorKind::Reset,
        format!("connection reset {when}"),
        None,
    )
}
