//! `POST /v2/token`: Twilio's OAuth token endpoint (client credentials), on the same origin as
//! the API, and the bearer tokens it hands out.

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use http::StatusCode;

use crate::server::handler::Answer;
use crate::server::query::form_pairs;
use crate::server::state::{IssuedTokenEntry, Shared, State};

/// A registered OAuth client.
#[derive(Debug, Clone)]
pub(super) struct OAuthClientEntry {
    pub(super) secret: String,
    pub(super) account_sid: String,
    pub(super) revoked: bool,
}

/// One access token the emulator handed out, as tests look at it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The client it was issued to.
    pub client_id: String,
    /// When it was issued.
    pub issued_at: Instant,
    /// When it expires.
    pub expires_at: Instant,
}

/// Answers a token request (its form body).
pub(super) fn token_answer(shared: &Shared, st: &mut State, body: &[u8]) -> Answer {
    let form = form_pairs(&String::from_utf8_lossy(body));
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("client_credentials") {
        return Answer::error(400, 20001, "grant_type must be client_credentials");
    }
    let (Some(id), Some(secret)) = (get("client_id"), get("client_secret")) else {
        return Answer::error(400, 20001, "client_id and client_secret are required");
    };
    let known = st
        .oauth_clients
        .get(id)
        .filter(|c| c.secret == secret && !c.revoked)
        .cloned();
    let Some(client) = known else {
        return Answer::error(401, 20003, "Authenticate");
    };
    let ttl = shared.oauth_token_ttl;
    let now = Instant::now();
    st.token_serial += 1;
    let exp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(ttl)
        .as_secs();
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let token = format!(
        "{}.{}.{:016x}",
        b64(serde_json::json!({"alg": "none", "typ": "JWT"})),
        b64(serde_json::json!({"sub": id, "exp": exp, "jti": st.token_serial})),
        shared.token_salt ^ st.token_serial
    );
    st.tokens.insert(
        token.clone(),
        IssuedTokenEntry {
            client_id: id.to_owned(),
            account_sid: client.account_sid,
            expires_at: now + ttl,
        },
    );
    st.issued.push(IssuedToken {
        client_id: id.to_owned(),
        issued_at: now,
        expires_at: now + ttl,
    });
    let body = serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs_f64().ceil() as u64,
    });
    Answer::json(StatusCode::OK, body.to_string())
}

/// The account a bearer token reads, while it is valid (not expired, its client not revoked).
pub(super) fn bearer_account(st: &State, token: &str) -> Option<String> {
    let entry = st.tokens.get(token)?;
    let client = st.oauth_clients.get(&entry.client_id)?;
    (Instant::now() < entry.expires_at && !client.revoked).then(|| entry.account_sid.clone())
}

/// The default lifetime of an access token (Twilio's is an hour).
pub(super) const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
