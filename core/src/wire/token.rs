//! Reading the OAuth token endpoint's answer: an access token and when it expires, or why
//! there is none.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http::{HeaderValue, Response};
use serde::Deserialize;

use crate::base::text::{EXCERPT_LIMIT, excerpt, excerpt_bytes};
use crate::error::{AuthError, Error, TransportError};
use crate::wire::response::error_from_response;
use crate::wire::response::response_meta;

/// An access token, as the `Authorization` value requests carry (marked sensitive, so `http`
/// never prints it), and its lifetime.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) header: HeaderValue,
    pub(crate) expires_at: SystemTime,
    pub(crate) lifetime: Duration,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// When a token of this lifetime is refreshed: before it expires, by the smaller of 60 s and
/// a tenth of its lifetime, so that no request is refused for an expired token.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    Duration::from_secs(60).min(lifetime / 10)
}

/// The token endpoint's JSON answer.
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// How long a token lives when the answer says nothing of it (neither `expires_in` nor a JWT
/// `exp`): Twilio's tokens live an hour.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest a token is trusted, whatever the answer says (a day): a huge `expires_in` or
/// `exp` must not overflow the clock, nor keep a token past its real life.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The shortest lifetime accepted. A token that lives less (`expires_in: 0`, an `exp` already
/// past) would be expired as it arrives, and every request would ask for another (a token
/// storm): it is refused with an error that says so. At a second or more the refresh margin
/// (a tenth of the lifetime) leaves the token in use for 90% of its life, so a token service
/// that hands out short tokens costs at most about one token request per second.
pub(crate) const MIN_LIFETIME: Duration = Duration::from_secs(1);

/// Why `token` cannot be sent as a bearer token, if it cannot.
fn check_token(token: &str) -> Result<(), &'static str> {
    match token {
        "" => Err("the access token is empty"),
        t if !is_b64token(t) => Err(
            "the access token is not an RFC 6750 bearer token (letters, digits and -._~+/ then =)",
        ),
        _ => Ok(()),
    }
}

/// Whether `token` is an RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`. Anything else (empty, spaces, non-ASCII) is not sent as a bearer token.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Reads what the token endpoint at `origin` answered (`now`: when the answer arrived).
pub(crate) fn read_token(
    result: Result<Response<Vec<u8>>, Error>,
    origin: &str,
    now: SystemTime,
) -> Result<AccessToken, AuthError> {
    let refused = |status, code, message: String, more_info, meta| AuthError {
        origin: origin.to_owned(),
        status,
        code,
        message,
        more_info,
        meta,
    };
    let response = match result {
        Ok(response) => response,
        Err(Error::Transport(e)) => return Err(refused(None, None, transport(&e), None, None)),
        Err(e) => return Err(refused(e.status(), e.api_code(), e.to_string(), None, None)),
    };
    if !response.status().is_success() {
        let meta = Some(Box::new(response_meta(&response)));
        return Err(match error_from_response(&response) {
            Error::Api(api) => refused(
                Some(api.http_status),
                api.code,
                api.message,
                api.more_info,
                meta,
            ),
            other => refused(other.status(), None, other.to_string(), None, meta),
        });
    }
    let bad = |why: &str| {
        refused(
            Some(response.status()),
            None,
            why.to_owned(),
            None,
            Some(Box::new(response_meta(&response))),
        )
    };
    let body: TokenBody = serde_json::from_slice(response.body()).map_err(|e| {
        bad(&format!(
            "the answer is not a token ({}): {}",
            excerpt(&e.to_string(), 80),
            excerpt_bytes(response.body(), 60)
        ))
    })?;
    if body
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(bad("the token is not a bearer token"));
    }
    check_token(&body.access_token).map_err(bad)?;
    let lifetime = lifetime_of(&body, now);
    if lifetime < MIN_LIFETIME {
        return Err(bad(&format!(
            "the access token lives {} s, under the {} s this client accepts (every request \
             would need a new one); check the token service's clock and expires_in",
            lifetime.as_secs(),
            MIN_LIFETIME.as_secs()
        )));
    }
    let mut header = HeaderValue::try_from(format!("Bearer {}", body.access_token))
        .map_err(|_| bad("the token holds characters a header cannot carry"))?;
    header.set_sensitive(true);
    Ok(AccessToken {
        header,
        // `now` plus at most a day: past the clock's end only on a broken clock; then the
        // token counts as expired and is refreshed, which is safe.
        expires_at: now.checked_add(lifetime).unwrap_or(now),
        lifetime,
    })
}

/// How long a token lives: its `expires_in`, else its JWT `exp`, else an hour; never more
/// than [`MAX_LIFETIME`].
fn lifetime_of(body: &TokenBody, now: SystemTime) -> Duration {
    match body.expires_in {
        Some(secs) => Duration::from_secs(secs),
        None => match jwt_expiry(&body.access_token) {
            // An `exp` past what the clock can hold lives as long as the cap allows.
            Some(Some(exp)) => exp.duration_since(now).unwrap_or_default(),
            Some(None) => MAX_LIFETIME,
            None => DEFAULT_LIFETIME,
        },
    }
    .min(MAX_LIFETIME)
}

/// A transport failure, in words (its message is the transport's, never the request body).
fn transport(e: &TransportError) -> String {
    excerpt(&e.to_string(), EXCERPT_LIMIT)
}

/// The `exp` claim of a JWT (seconds since the epoch), when the token is one: `Some(None)`
/// when the claim is past what a `SystemTime` can hold.
fn jwt_expiry(token: &str) -> Option<Option<SystemTime>> {
    #[derive(Deserialize)]
    struct Claims {
        exp: u64,
    }
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Claims = serde_json::from_slice(&json).ok()?;
    Some(SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(claims.exp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://oauth.twilio.com";

    fn answer(status: u16, body: &str) -> Result<Response<Vec<u8>>, Error> {
        Ok(Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap())
    }

    #[test]
    fn tokens_and_their_lifetimes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let t = read_token(
            answer(
                200,
                r#"{"access_token": "abc", "token_type": "Bearer", "expires_in": 3600}"#,
            ),
            ORIGIN,
            now,
        )
        .unwrap();
        assert_eq!(t.expires_at, now + Duration::from_secs(3600));
        assert!(t.header.is_sensitive());
        assert!(!format!("{t:?}").contains("abc"));
        assert_eq!(refresh_margin(t.lifetime), Duration::from_secs(60));
        assert_eq!(
            refresh_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        // No expires_in: the JWT's exp.
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp": 1600}"#);
        let jwt = format!("e30.{claims}.sig");
        let t = read_token(
            answer(200, &format!(r#"{{"access_token": "{jwt}"}}"#)),
            ORIGIN,
            now,
        )
        .unwrap();
        assert_eq!(t.lifetime, Duration::from_secs(600));
    }

    #[test]
    fn refusals_say_who_refused_and_why() {
        let now = SystemTime::UNIX_EPOCH;
        let e = read_token(
            answer(
                401,
                r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
            ),
            ORIGIN,
            now,
        )
        .unwrap_err();
        assert_eq!(
            (e.status.map(|s| s.as_u16()), e.code),
            (Some(401), Some(20003))
        );
        let shown = e.to_string();
        assert!(
            shown.contains("oauth.twilio.com") && shown.contains("20003"),
            "{shown}"
        );
        for body in [
            "<html>",
            r#"{"token_type": "Bearer"}"#,
            r#"{"access_token": "a", "token_type": "mac"}"#,
        ] {
            let e = read_token(answer(200, body), ORIGIN, now).unwrap_err();
            assert_eq!(e.status.map(|s| s.as_u16()), Some(200), "{body}");
        }
    }

    #[test]
    fn a_huge_lifetime_is_capped_and_never_overflows_the_clock() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let body = format!(r#"{{"access_token": "abc", "expires_in": {}}}"#, u64::MAX);
        let t = read_token(answer(200, &body), ORIGIN, now).unwrap();
        assert_eq!(t.lifetime, MAX_LIFETIME);
        assert_eq!(t.expires_at, now + MAX_LIFETIME);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"exp": {}}}"#, u64::MAX));
        let jwt = format!("e30.{claims}.sig");
        let body = format!(r#"{{"access_token": "{jwt}"}}"#);
        let t = read_token(answer(200, &body), ORIGIN, now).unwrap();
        assert_eq!(t.lifetime, MAX_LIFETIME);
    }

    #[test]
    fn a_token_too_short_lived_empty_or_not_a_b64token_is_an_error() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        for (body, why) in [
            (r#"{"access_token": "abc", "expires_in": 0}"#, "lives 0 s"),
            (r#"{"access_token": ""}"#, "empty"),
            (r#"{"access_token": "caf\u00e9"}"#, "RFC 6750"),
            (r#"{"access_token": "a b"}"#, "RFC 6750"),
            (r#"{"access_token": "==="}"#, "RFC 6750"),
        ] {
            let e = read_token(answer(200, body), ORIGIN, now).unwrap_err();
            assert!(e.message.contains(why), "{body}: {e}");
            assert_eq!(
                e.status.map(|s| s.as_u16()),
                Some(200),
                "not a refusal: {body}"
            );
        }
        // The JWT's exp already passed: a lifetime of 0, refused the same way.
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp": 5}"#);
        let body = format!(r#"{{"access_token": "e30.{claims}.sig"}}"#);
        assert!(read_token(answer(200, &body), ORIGIN, now).is_err());
        let ok = r#"{"access_token": "aZ0-._~+/==", "expires_in": 10}"#;
        assert!(read_token(answer(200, ok), ORIGIN, now).is_ok());
    }
}
