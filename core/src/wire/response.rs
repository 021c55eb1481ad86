//! Turning `http::Response`s into typed values or an [`Error`].

use http::{Response, StatusCode, header};

use serde_json::value::RawValue;

use crate::api::{MAX_PAGE_SIZE, header as twilio, param};
use crate::base::json_path::Trail;
use crate::base::meta::{Attempts, ResponseMeta};
use crate::base::text::{EXCERPT_LIMIT, excerpt, excerpt_bytes};
use crate::error::{ApiError, Error, HttpError, ParseError};
use crate::model::app::AuthorizedConnectApp;
use crate::model::page::Page;
use crate::wire::envelope::{page_from_json_with_limit, utf8};
use crate::wire::record::Wire;
use crate::wire::resource::Resource;

/// The `Twilio-Request-Id` of a response, when it is one: at most 64 ASCII letters and digits
/// (Twilio's are `RQ` + 32 hex digits). Anything else is not shown, in errors, reports or logs.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(twilio::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Reads what a response says about itself (see [`ResponseMeta`]). A request id is kept only
/// when it is short and alphanumeric (it is shown in error lines).
pub fn response_meta<B>(response: &Response<B>) -> ResponseMeta {
    let headers = response.headers();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    ResponseMeta {
        status: response.status(),
        request_id: request_id(headers).map(str::to_owned),
        duration: text(twilio::REQUEST_DURATION)
            .and_then(|d| d.parse::<f64>().ok())
            .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok()),
        concurrent_requests: text(twilio::CONCURRENT_REQUESTS).and_then(|n| n.parse().ok()),
        attempts: response.extensions().get::<Attempts>().map_or(1, |a| a.0),
        headers: headers.clone(),
    }
}

/// Reads a fetch response: a 2xx body is one app; anything else is an [`Error`].
///
/// ```
/// use twilio_connect_apps::wire::parse_app;
/// use twilio_connect_apps::Error;
/// let ok = http::Response::new(br#"{"connect_app_friendly_name": "Zap"}"#.to_vec());
/// assert_eq!(parse_app(&ok)?.connect_app_friendly_name(), Some("Zap"));
///
/// let not_found = http::Response::builder().status(404).body(
///     br#"{"code": 20404, "message": "Not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#.to_vec(),
/// ).unwrap();
/// let err = parse_app(&not_found).unwrap_err();
/// assert_eq!(err.api_code(), Some(20404));
/// # Ok::<(), Error>(())
/// ```
pub fn parse_app<B: AsRef<[u8]>>(response: &Response<B>) -> Result<AuthorizedConnectApp, Error> {
    let body = success_body(response)?;
    let body = utf8(body).map_err(|e| parse_error(response, e.path, e.message))?;
    let trail = Trail::default();
    let mut de = serde_json::Deserializer::from_str(body);
    AuthorizedConnectApp::read(&trail, &mut de)
        .and_then(|app| de.end().map(|_| app))
        .map_err(|e| {
            parse_error(
                response,
                trail.render(),
                excerpt(&e.to_string(), EXCERPT_LIMIT),
            )
        })
}

/// The error a 2xx response whose body is not what was asked for stands for.
pub(crate) fn parse_error<B>(response: &Response<B>, path: String, message: String) -> Error {
    Error::Parse(ParseError {
        status: response.status(),
        path,
        message,
        meta: Box::new(response_meta(response)),
    })
}

/// Reads a list response: a 2xx body is a [`Page`] of at most 1,000 records (the API's
/// largest page); anything else is an [`Error`].
pub fn parse_page<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Page, Error> {
    parse_page_with_limit(response, MAX_PAGE_SIZE as usize)
}

/// Like [`parse_page`], with at most `max_records` records (the page size the request asked
/// for): more is a [`ParseError`] found before they are allocated.
pub fn parse_page_with_limit<R: Resource, B: AsRef<[u8]>>(
    response: &Response<B>,
    max_records: usize,
) -> Result<Page<R>, Error> {
    let body = success_body(response)?;
    let mut page = page_from_json_with_limit::<R>(body, max_records)
        .map_err(|e| parse_error(response, e.path, e.message))?;
    page.meta = Some(response_meta(response));
    Ok(page)
}

/// The `PageSize` a list request asked for, or the API's maximum (1,000) when it names none
/// or one out of bounds: how many records its page may hold.
pub(crate) fn page_size_asked(uri: &http::Uri) -> usize {
    page_size_in_query(uri.query().unwrap_or(""))
}

/// The `PageSize` a query string asks for, or the API's maximum when it names none or one out
/// of bounds.
pub(crate) fn page_size_in_query(query: &str) -> usize {
    let max = MAX_PAGE_SIZE as usize;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == param::PAGE_SIZE)
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .filter(|n| (1..=max).contains(n))
        .unwrap_or(max)
}

/// The body of a 2xx response, or the error that a non-2xx response stands for.
fn success_body<B: AsRef<[u8]>>(response: &Response<B>) -> Result<&[u8], Error> {
    if response.status().is_success() {
        Ok(response.body().as_ref())
    } else {
        Err(error_from_response(response))
    }
}

/// The error a non-success response stands for: Twilio's envelope when the body is one (the
/// legacy `{code, message, more_info, status}` or RFC 9457 problem details: `detail` is the
/// message, `type` the link, `title`, `instance` and `errors` the details), otherwise the
/// status with a short excerpt of the body. Redirects are reported, never followed.
pub fn error_from_response<B: AsRef<[u8]>>(response: &Response<B>) -> Error {
    let status = response.status();
    let body = response.body().as_ref();
    if let Some(api) = api_error(status, body, response) {
        return Error::Api(api);
    }
    let location = if status.is_redirection() {
        response
            .headers()
            .get(header::LOCATION)
            .map(|v| excerpt_bytes(v.as_bytes(), EXCERPT_LIMIT))
    } else {
        None
    };
    Error::Http(HttpError {
        status,
        location,
        body_excerpt: excerpt_bytes(body, EXCERPT_LIMIT),
        meta: Box::new(response_meta(response)),
    })
}

/// Twilio's error envelope, borrowed from the body: nothing is copied until it is known to be
/// one, and `details` is built only when it is small.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    more_info: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<&'a RawValue>,
    #[serde(borrow, default)]
    details: Option<&'a RawValue>,
    // RFC 9457 problem details, which Twilio's APIs may answer with since January 2026.
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    title: Option<&'a RawValue>,
    #[serde(borrow, default)]
    detail: Option<&'a RawValue>,
    #[serde(borrow, default)]
    instance: Option<&'a RawValue>,
    #[serde(borrow, default)]
    errors: Option<&'a RawValue>,
}

impl Envelope<'_> {
    /// The problem-details members that have no field of their own in [`ApiError`], as its
    /// `details` (small ones only).
    fn problem_details(&self) -> Option<serde_json::Value> {
        let members = [
            ("type", self.kind),
            ("title", self.title),
            ("instance", self.instance),
            ("errors", self.errors),
        ];
        let size: usize = members
            .iter()
            .filter_map(|(_, v)| *v)
            .map(|v| v.get().len())
            .sum();
        if size > MAX_ERROR_DETAILS || self.detail.is_none() && self.title.is_none() {
            return None;
        }
        let object: serde_json::Map<String, serde_json::Value> = members
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), serde_json::from_str(v?.get()).ok()?)))
            .collect();
        (!object.is_empty()).then_some(serde_json::Value::Object(object))
    }
}

/// The largest `details` object kept (as JSON text); a larger one is dropped, so an error body
/// cannot make the client build a huge value.
pub const MAX_ERROR_DETAILS: usize = 64 * 1024;
/// The most bytes of an error message kept.
const MESSAGE_LIMIT: usize = 1024;

/// Decodes a JSON string, or only its first few `limit`s of bytes when it is long: a message is
/// shown as an excerpt, so a huge one is never copied whole.
fn decode_prefix(json: &str, limit: usize) -> Option<String> {
    let decode = |s: &str| serde_json::from_str::<std::borrow::Cow<'_, str>>(s).ok();
    let keep = limit.saturating_mul(4).max(16);
    if json.len() <= keep || !json.starts_with('"') {
        return decode(json).map(|s| s.into_owned());
    }
    // Cut the raw text and close the string; back off while the cut splits an escape.
    let mut end = keep;
    while !json.is_char_boundary(end) {
        end -= 1;
    }
    for _ in 0..12 {
        let cut = json.get(..end)?;
        if let Some(s) = decode(&format!("{cut}\"")) {
            return Some(s.into_owned());
        }
        end -= 1;
        while !json.is_char_boundary(end) {
            end -= 1;
        }
    }
    None
}

fn api_error<B>(http_status: StatusCode, body: &[u8], response: &Response<B>) -> Option<ApiError> {
    let env: Envelope<'_> = serde_json::from_slice(body).ok()?;
    let read = |raw: Option<&RawValue>| raw.and_then(|r| serde_json::from_str::<u64>(r.get()).ok());
    let text = |raw: Option<&RawValue>, limit: usize| {
        raw.and_then(|r| decode_prefix(r.get(), limit))
            .map(|s| excerpt(&s, limit))
    };
    // The legacy envelope's `message`, or a problem's `detail` (else its `title`).
    let message = text(env.message, MESSAGE_LIMIT)
        .or_else(|| text(env.detail, MESSAGE_LIMIT))
        .or_else(|| text(env.title, MESSAGE_LIMIT))?;
    let code = read(env.code).and_then(|c| u32::try_from(c).ok());
    let status = read(env.status).and_then(|c| u16::try_from(c).ok());
    if code.is_none() && status.is_none() {
        return None;
    }
    Some(ApiError {
        http_status,
        status,
        code,
        message,
        // A problem's `type` is a link to its documentation, unless it is `about:blank`.
        more_info: text(env.more_info, EXCERPT_LIMIT)
            .or_else(|| text(env.kind, EXCERPT_LIMIT).filter(|t| t.starts_with("http"))),
        details: env
            .details
            .filter(|d| d.get().len() <= MAX_ERROR_DETAILS)
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d.get()).ok())
            .filter(|d| !d.is_null())
            .or_else(|| env.problem_details()),
        meta: Box::new(response_meta(response)),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_id_is_shown_only_when_short_and_alphanumeric() {
        let with = |id: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("twilio-request-id", id.parse().unwrap());
            h
        };
        let twilio_id = "RQ0123456789abcdef0123456789abcdef";
        assert_eq!(request_id(&with(twilio_id)), Some(twilio_id));
        // What logs, error lines and reports would otherwise print: 40 KB, or a forged line.
        assert_eq!(request_id(&with(&"R".repeat(40_000))), None);
        assert_eq!(request_id(&with("RQ1 status=200")), None);
        assert_eq!(request_id(&http::HeaderMap::new()), None);
    }

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
    fn rfc_9457_problem_details() {
        let r = resp(
            404,
            r#"{"type": "https://www.twilio.com/docs/errors/20404", "title": "Not Found", "status": 404, "code": 20404, "detail": "The requested resource /x was not found", "instance": "/2010-04-01/x", "errors": [{"detail": "no such app", "pointer": "/sid"}]}"#,
        );
        let Error::Api(e) = parse_app(&r).unwrap_err() else {
            panic!()
        };
        assert_eq!((e.code, e.status), (Some(20404), Some(404)));
        assert_eq!(e.message, "The requested resource /x was not found");
        assert_eq!(
            e.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/20404")
        );
        let details = e.details.clone().unwrap();
        assert_eq!(details["title"], "Not Found");
        assert_eq!(details["instance"], "/2010-04-01/x");
        assert_eq!(details["errors"][0]["pointer"], "/sid");
        assert!(Error::Api(e).is_not_found());

        // The smallest problem: a title and a status; `about:blank` is no link.
        let r = resp(
            503,
            r#"{"type": "about:blank", "title": "Service Unavailable", "status": 503}"#,
        );
        let Error::Api(e) = parse_page(&r).unwrap_err() else {
            panic!()
        };
        assert_eq!(
            (e.message.as_str(), e.status, e.code),
            ("Service Unavailable", Some(503), None)
        );
        assert_eq!(e.more_info, None);
        assert!(Error::Api(e).is_retryable());
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
