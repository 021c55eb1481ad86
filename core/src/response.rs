//! Turning `http::Response`s into typed values or an [`Error`].

use http::{Response, StatusCode, header};
use serde::de::DeserializeSeed;

use crate::error::{ApiError, Error, HttpError, ParseError};
use crate::json_path::Trail;
use crate::model::{AppSeed, AuthorizedConnectApp};
use crate::page::Page;

/// Reads a fetch response: a 2xx body is one app; anything else is an [`Error`].
///
/// ```
/// use twilio_connect_apps::{parse_app, Error};
/// let ok = http::Response::new(br#"{"connect_app_friendly_name": "Zap"}"#.to_vec());
/// assert_eq!(parse_app(&ok)?.connect_app_friendly_name.as_deref(), Some("Zap"));
///
/// let not_found = http::Response::builder().status(404).body(
///     br#"{"code": 20404, "message": "Not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#.to_vec(),
/// ).unwrap();
/// let err = parse_app(&not_found).unwrap_err();
/// assert_eq!(err.api_code(), Some(20404));
/// # Ok::<(), Error>(())
/// ```
pub fn parse_app<B: AsRef<[u8]>>(response: &Response<B>) -> Result<AuthorizedConnectApp, Error> {
    let status = response.status();
    let body = success_body(response)?;
    let trail = Trail::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    AppSeed(&trail)
        .deserialize(&mut de)
        .and_then(|app| de.end().map(|_| app))
        .map_err(|e| {
            Error::Parse(ParseError {
                status,
                path: trail.render(),
                message: e.to_string(),
            })
        })
}

/// Reads a list response: a 2xx body is a [`Page`]; anything else is an [`Error`].
pub fn parse_page<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Page, Error> {
    let status = response.status();
    let body = success_body(response)?;
    Page::from_json(body).map_err(|e| {
        Error::Parse(ParseError {
            status,
            path: e.path,
            message: e.message,
        })
    })
}

/// The body of a 2xx response, or the error that a non-2xx response stands for.
fn success_body<B: AsRef<[u8]>>(response: &Response<B>) -> Result<&[u8], Error> {
    if response.status().is_success() {
        Ok(response.body().as_ref())
    } else {
        Err(error_from_response(response))
    }
}

/// The error a non-success response stands for: Twilio's envelope when the body is one,
/// otherwise the status with a short excerpt of the body. Redirects are reported, never followed.
pub fn error_from_response<B: AsRef<[u8]>>(response: &Response<B>) -> Error {
    let status = response.status();
    let body = response.body().as_ref();
    if let Some(api) = api_error(status, body) {
        return Error::Api(api);
    }
    let location = if status.is_redirection() {
        response
            .headers()
            .get(header::LOCATION)
            .map(|v| excerpt(v.as_bytes()))
    } else {
        None
    };
    Error::Http(HttpError {
        status,
        location,
        body_excerpt: excerpt(body),
    })
}

fn api_error(http_status: StatusCode, body: &[u8]) -> Option<ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let message = obj.get("message")?.as_str()?.to_owned();
    let code = obj
        .get("code")
        .and_then(|c| c.as_u64())
        .and_then(|c| u32::try_from(c).ok());
    let status = obj
        .get("status")
        .and_then(|c| c.as_u64())
        .and_then(|c| u16::try_from(c).ok());
    if code.is_none() && status.is_none() {
        return None;
    }
    Some(ApiError {
        http_status,
        status,
        code,
        message,
        more_info: obj
            .get("more_info")
            .and_then(|m| m.as_str())
            .map(str::to_owned),
        details: obj.get("details").filter(|d| !d.is_null()).cloned(),
    })
}

/// A short, printable excerpt of a body: lossy UTF-8, control characters replaced, capped.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let limit = HttpError::EXCERPT_LIMIT;
    let head = body.get(..limit.min(body.len())).unwrap_or(body);
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // A multi-byte character cut at the limit decodes as U+FFFD: drop that tail.
    if body.len() > limit {
        while out.ends_with('\u{FFFD}') {
            out.pop();
        }
    }
    let mut out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > limit {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response<Vec<u8>> {
        Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn twilio_error_envelope() {
        let r = resp(
            401,
            r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
        );
        let Error::Api(e) = parse_page(&r).unwrap_err() else {
            panic!()
        };
        assert_eq!(e.http_status, StatusCode::UNAUTHORIZED);
        assert_eq!((e.code, e.status), (Some(20003), Some(401)));
        assert_eq!(
            e.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/20003")
        );
        let shown = Error::Api(e).to_string();
        assert!(
            shown.contains("20003") && shown.contains("401") && shown.contains("errors/20003"),
            "{shown}"
        );

        // HTTP status and body status kept apart; details kept.
        let r = resp(
            502,
            r#"{"code": 20500, "message": "x", "status": 500, "details": {"a": 1}}"#,
        );
        let Error::Api(e) = parse_app(&r).unwrap_err() else {
            panic!()
        };
        assert_eq!(e.http_status.as_u16(), 502);
        assert_eq!(e.status, Some(500));
        assert_eq!(e.details, Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn non_envelope_bodies() {
        let html = format!(
            "<html><body>\n<h1>502 Bad Gateway</h1>{}</body></html>",
            "x".repeat(500)
        );
        let e = parse_page(&resp(502, &html)).unwrap_err();
        let Error::Http(h) = &e else { panic!("{e:?}") };
        assert!(
            h.body_excerpt.starts_with("<html><body> <h1>502"),
            "{}",
            h.body_excerpt
        );
        assert!(h.body_excerpt.len() <= HttpError::EXCERPT_LIMIT + '…'.len_utf8());
        assert_eq!(e.status(), Some(StatusCode::BAD_GATEWAY));
        let e = parse_page(&resp(503, "")).unwrap_err();
        assert!(e.to_string().contains("empty body"), "{e}");
        let e = parse_page(&resp(500, r#"{"message": "no code"}"#)).unwrap_err();
        assert!(matches!(e, Error::Http(_)));
        // Multi-byte characters cut at the limit never panic.
        let e = parse_page(&resp(500, &"é".repeat(300))).unwrap_err();
        assert!(matches!(e, Error::Http(_)));
    }

    #[test]
    fn redirects_are_errors_with_their_location() {
        let r = Response::builder()
            .status(302)
            .header("location", "https://evil.example/steal")
            .body(Vec::new())
            .unwrap();
        let e = parse_page(&r).unwrap_err();
        let Error::Http(h) = &e else { panic!() };
        assert_eq!(h.location.as_deref(), Some("https://evil.example/steal"));
        assert!(e.to_string().contains("not followed"), "{e}");
    }

    #[test]
    fn parse_errors_carry_status_and_path() {
        let e = parse_app(&resp(200, r#"{"permissions": [1]}"#)).unwrap_err();
        let Error::Parse(p) = e else { panic!() };
        assert_eq!(p.path, "$.permissions[0]");
        assert_eq!(p.status, StatusCode::OK);
        let e = parse_app(&resp(200, "{\"uri\": \"trunc")).unwrap_err();
        assert!(matches!(e, Error::Parse(_)));
    }
}
