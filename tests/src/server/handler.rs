//! One request: recorded, delayed, faulted or routed, then compressed and sent.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::body::EmuBody;
use crate::faults::{ErrorBody, Fault, RetryAfter};
use crate::server::admin;
use crate::server::oauth::token_answer;
use crate::server::routes::route;
use crate::server::state::{RecordedRequest, Shared};

/// The answer before body faults: status, extra headers, body.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: Vec<(header::HeaderName, HeaderValue)>,
    pub(super) body: Bytes,
}

impl Answer {
    pub(super) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Answer {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: body.into(),
        }
    }

    /// An RFC 9457 problem details body for `status`, about the request for `instance`.
    pub(super) fn problem(status: u16, instance: &str) -> Self {
        let (code, title) = twilio_error(status);
        let body = serde_json::json!({
            "type": format!("https://www.twilio.com/docs/errors/{code}"),
            "title": title,
            "status": status,
            "code": code,
            "detail": format!("{title}: the emulator was told to answer {status} (fault status={status}/problem)"),
            "instance": instance,
            "errors": [{"detail": "injected by the emulator's fault script", "pointer": "#/"}],
        });
        let mut a = Answer::json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            serde_json::to_vec(&body).unwrap_or_default(),
        );
        a.headers = vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )];
        a
    }

    /// 204, with no body and no headers.
    pub(super) fn no_content() -> Self {
        let mut a = Answer::json(StatusCode::NO_CONTENT, Vec::new());
        a.headers.clear();
        a
    }

    /// Twilio's error envelope.
    pub(super) fn error(status: u16, code: u32, message: &str) -> Self {
        let body = serde_json::json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        });
        Answer::json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            serde_json::to_vec(&body).unwrap_or_default(),
        )
    }

    pub(super) fn not_found(path: &str) -> Self {
        Answer::error(
            404,
            20404,
            &format!("The requested resource {path} was not found"),
        )
    }
}

/// The code and message Twilio sends with an HTTP status, from Twilio's error dictionary
/// (<https://www.twilio.com/docs/api/errors>): 20003 for 401 and 403, 20404, 20429, 20503
/// for 503 (Service Unavailable), and 20500 (Internal Server Error) for the other 5xx.
pub(crate) fn twilio_error(status: u16) -> (u32, &'static str) {
    match status {
        400 => (20001, "Bad Request"),
        401 => (20003, "Authenticate"),
        403 => (20003, "Permission Denied"),
        404 => (20404, "The requested resource was not found"),
        405 => (20004, "Method not allowed"),
        429 => (20429, "Too Many Requests"),
        503 => (20503, "Service Unavailable"),
        _ => (20500, "Internal Server Error"),
    }
}

/// What a page's `next_page_uri` should be, when a fault says otherwise.
pub(super) enum NextOverride {
    Foreign(String),
    Repeat,
    Reordered,
    Verbatim(String),
    /// No records, and a next page named after this request's number.
    Endless(u64),
}

pub(super) async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    conn: u64,
    tls: bool,
    reset: &AtomicBool,
) -> Result<Response<EmuBody>, io::Error> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, ());
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let admin = path.starts_with(admin::PREFIX);
    let (number, fault) = {
        let mut st = shared.lock();
        st.requests += 1;
        let n = st.requests;
        // Admin requests are never faulted (a test must be able to clear what it armed) and
        // do not count for the rules' triggers.
        let fault = if admin {
            None
        } else {
            st.api_requests += 1;
            let api = st.api_requests;
            st.faults.pick(api, &target)
        };
        st.log.push(RecordedRequest {
            number: n,
            method: req.method().to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: req
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), recorded_value(k, v)))
                .collect(),
            connection: conn,
            tls,
            version: format!("{:?}", req.version()),
            at: Instant::now(),
            fault: fault.as_ref().map(|(_, rule)| rule.clone()),
        });
        (n, fault)
    };
    let say = |what: &str| log(shared, number, conn, req.method(), &target, what);
    if let Some((_, rule)) = &fault {
        say(&format!("fault rule {rule} fired"));
    }
    let fault = fault.map(|(fault, _)| fault);
    let flight = InFlight::enter(shared, principal(&req));
    let concurrent = flight.count;
    // The token endpoint reads the form body, and the admin routes their JSON; everything else
    // is a GET without one.
    let wants_body = (path == TOKEN_PATH && req.method() == Method::POST)
        || (admin && matches!(*req.method(), Method::PUT | Method::PATCH | Method::POST));
    let token_body = if wants_body {
        match Limited::new(body, 64 * 1024).collect().await {
            Ok(collected) => Some(collected.to_bytes()),
            Err(_) => Some(Bytes::new()),
        }
    } else {
        None
    };

    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let mut next_override = None;
    let mut body_fault = None;
    let mut gzip_fault = None;
    let early = match fault {
        None => None,
        Some(Fault::CloseBeforeResponse) => {
            say("fault: close before response");
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "fault injection: close",
            ));
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(Fault::TooManyRequests(after)) => {
            let mut a = Answer::error(429, 20429, "Too Many Requests");
            let value = match after {
                RetryAfter::Seconds(s) => Some(s.to_string()),
                RetryAfter::Date(d) => Some(httpdate::fmt_http_date(SystemTime::now() + d)),
                RetryAfter::At(t) => Some(httpdate::fmt_http_date(t)),
                RetryAfter::None => None,
            };
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                a.headers.push((header::RETRY_AFTER, v));
            }
            Some(a)
        }
        Some(Fault::Status(code, body)) => Some(match body {
            ErrorBody::Twilio => {
                let (twilio_code, message) = twilio_error(code);
                Answer::error(code, twilio_code, message)
            }
            ErrorBody::Empty => Answer {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers: Vec::new(),
                body: Bytes::new(),
            },
            ErrorBody::Problem => Answer::problem(code, &target),
            ErrorBody::Html => Answer {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers: vec![(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
                body: Bytes::from(format!(
                    "<html>\r\n<head><title>{code} Error</title></head>\r\n<body>\r\n<center><h1>{code} Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                )),
            },
        }),
        Some(Fault::Reflect(code)) => Some(reflect(code, &req, token_body.as_deref())),
        Some(Fault::Redirect(code, location)) => Some(Answer {
            status: StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND),
            headers: HeaderValue::from_str(&location)
                .map(|v| vec![(header::LOCATION, v)])
                .unwrap_or_default(),
            body: Bytes::new(),
        }),
        Some(Fault::MalformedJson) => Some(Answer::json(
            StatusCode::OK,
            &b"{\"authorized_connect_apps\": [{\"connect_app_sid\": \"CN00\", }"[..],
        )),
        Some(Fault::Oversized(size)) => {
            let prefix = Bytes::from_static(b"{\"authorized_connect_apps\": [], \"padding\": \"");
            let suffix = Bytes::from_static(b"\"}");
            let fixed = (prefix.len() + suffix.len()) as u64;
            let total = (size as u64).max(fixed);
            say("fault: oversized body");
            let mut resp = Response::new(EmuBody::Padding {
                prefix: Some(prefix),
                pad: total - fixed,
                suffix: Some(suffix),
                total,
            });
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            stamp(&mut resp, shared, number, started, concurrent);
            return Ok(resp);
        }
        Some(Fault::ForeignNextPage(origin)) => {
            next_override = Some(NextOverride::Foreign(origin));
            None
        }
        Some(Fault::RepeatNextPage) => {
            next_override = Some(NextOverride::Repeat);
            None
        }
        Some(Fault::ReorderedNextPage) => {
            next_override = Some(NextOverride::Reordered);
            None
        }
        Some(Fault::NextPage(uri)) => {
            next_override = Some(NextOverride::Verbatim(uri));
            None
        }
        Some(Fault::EmptyPageWithNext) => {
            next_override = Some(NextOverride::Endless(number));
            None
        }
        Some(Fault::EmptyRecords(n)) => {
            let mut body = Vec::with_capacity(n * 3 + 64);
            body.extend_from_slice(b"{\"authorized_connect_apps\":[");
            for i in 0..n {
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(b"{}");
            }
            body.extend_from_slice(b"],\"next_page_uri\":null}");
            Some(Answer::json(StatusCode::OK, body))
        }
        Some(Fault::ManyPermissions(n)) => {
            let mut body = Vec::with_capacity(n + 128);
            body.extend_from_slice(
                br#"{"authorized_connect_apps":[{"connect_app_sid":"CN00000000000000000000000000000001","permissions":["a""#,
            );
            while body.len() + 4 < n {
                body.extend_from_slice(br#","a""#);
            }
            body.extend_from_slice(br#"]}],"next_page_uri":null}"#);
            Some(Answer::json(StatusCode::OK, body))
        }
        Some(Fault::HugeErrorDetails(n)) => {
            let mut a = Answer::error(400, 20001, "Invalid request");
            let mut body = a.body.to_vec();
            body.pop(); // the closing brace
            body.extend_from_slice(b",\"details\":{\"padding\":\"");
            body.resize(body.len() + n, b'x');
            body.extend_from_slice(b"\"}}");
            a.body = Bytes::from(body);
            Some(a)
        }
        Some(f @ (Fault::ResetMidBody | Fault::TruncatedBody | Fault::Trickle { .. })) => {
            body_fault = Some(f);
            None
        }
        Some(f @ (Fault::CorruptGzip | Fault::GzipBomb(_))) => {
            gzip_fault = Some(f);
            None
        }
    };

    let over_limit = shared
        .concurrency_limit
        .is_some_and(|limit| concurrent > limit);
    let answer = match (early, token_body) {
        (_, body) if admin => {
            admin::answer(shared, &req, &path, body.as_deref().unwrap_or_default())
        }
        (Some(a), _) => a,
        _ if over_limit => {
            shared.lock().over_limit += 1;
            Answer::error(429, 20429, "Too Many Requests")
        }
        (None, Some(body)) => token_answer(shared, &mut shared.lock(), &body),
        (None, None) if path == TOKEN_PATH => Answer::error(405, 20004, "Method not allowed"),
        (None, None) => route(shared, &req, &path, query.as_deref(), next_override),
    };
    say(answer.status.as_str());

    let wants_gzip = shared.gzip
        && req
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|e| {
                let mut parts = e.split(';');
                parts
                    .next()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case("gzip"))
                    && !parts.any(|p| p.trim().replace(' ', "") == "q=0")
            });
    let mut answer = answer;
    match gzip_fault {
        Some(Fault::CorruptGzip) => {
            let mut zipped = gzip(&answer.body);
            let n = zipped.len();
            for b in zipped.iter_mut().skip(n / 3).take(16) {
                *b ^= 0x5a;
            }
            answer.body = Bytes::from(zipped);
            answer
                .headers
                .push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        }
        Some(Fault::GzipBomb(size)) => {
            answer.body = gzip_bomb(size);
            answer
                .headers
                .push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        }
        _ if wants_gzip && !answer.body.is_empty() => {
            answer.body = Bytes::from(gzip(&answer.body));
            answer
                .headers
                .push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            answer
                .headers
                .push((header::VARY, HeaderValue::from_static("Accept-Encoding")));
        }
        _ => {}
    }
    let len = answer.body.len();
    shared.body_bytes.fetch_add(len as u64, Ordering::Relaxed);
    let body = match body_fault {
        Some(Fault::ResetMidBody) => {
            reset.store(true, Ordering::SeqCst);
            EmuBody::Broken {
                part: Some(answer.body.slice(..len / 2)),
                claimed: None,
            }
        }
        Some(Fault::TruncatedBody) => EmuBody::Broken {
            part: Some(answer.body.slice(..len / 2)),
            claimed: Some(len as u64),
        },
        Some(Fault::Trickle { chunk, interval }) => EmuBody::Trickle {
            total: len as u64,
            data: answer.body,
            chunk,
            interval,
            sleep: None,
        },
        _ if len == 0 => EmuBody::empty(),
        _ => EmuBody::full(answer.body),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = answer.status;
    for (k, v) in answer.headers {
        resp.headers_mut().append(k, v);
    }
    stamp(&mut resp, shared, number, started, concurrent);
    Ok(resp)
}

/// The token endpoint's path.
const TOKEN_PATH: &str = "/v2/token";

/// What Twilio says about every response: a request id (unique per response), how long the
/// request took, and how many requests of the same credentials were in flight.
fn stamp(
    resp: &mut Response<EmuBody>,
    shared: &Shared,
    number: u64,
    started: Instant,
    concurrent: u32,
) {
    let id = format!(
        "RQ{:016x}{:016x}",
        shared.token_salt,
        number.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    let took = format!("{:.3}", started.elapsed().as_secs_f64());
    let headers = resp.headers_mut();
    for (name, value) in [
        ("twilio-request-id", id),
        ("twilio-request-duration", took),
        ("twilio-concurrent-requests", concurrent.to_string()),
    ] {
        // An answer that set its own (the `reflect` fault's request id) keeps it.
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.entry(name).or_insert(v);
        }
    }
}

/// A header as the request log keeps it: an OAuth access token redacted (`Bearer
/// [redacted]`); Basic credentials are kept, so a test can check what was sent.
fn recorded_value(name: &header::HeaderName, value: &HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    if name == header::AUTHORIZATION && text.starts_with("Bearer ") {
        return "Bearer [redacted]".to_owned();
    }
    text
}

/// The `reflect` fault's answer: everything secret the request carried, quoted back.
fn reflect(status: u16, req: &Request<()>, form: Option<&[u8]>) -> Answer {
    use base64::Engine as _;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let decoded = authorization
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default();
    let form = String::from_utf8_lossy(form.unwrap_or_default());
    let (code, _) = twilio_error(status);
    let mut answer = Answer::error(
        status,
        code,
        &format!(
            "Authenticate: you sent `Authorization: {authorization}` ({decoded}), form `{form}`"
        ),
    );
    let secret = match decoded.split_once(':') {
        Some((_, password)) => password,
        None => authorization.strip_prefix("Bearer ").unwrap_or(""),
    };
    if let Ok(value) = HeaderValue::from_str(secret) {
        answer
            .headers
            .push((HeaderName::from_static("twilio-request-id"), value));
    }
    answer
}

/// Who a request's credentials are, for counting what they have in flight: the Basic user
/// (account SID or API key), or the bearer token.
fn principal(req: &Request<()>) -> String {
    use base64::Engine as _;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(encoded) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded).into_owned();
        return text.split(':').next().unwrap_or("").to_owned();
    }
    value.to_owned()
}

/// A request in flight for its credentials, counted until it is answered.
struct InFlight<'a> {
    shared: &'a Shared,
    who: String,
    count: u32,
}

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared, who: String) -> Self {
        let count = {
            let mut st = shared.lock();
            let n = st.in_flight.entry(who.clone()).or_insert(0);
            *n += 1;
            *n
        };
        InFlight { shared, who, count }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        if let Some(n) = st.in_flight.get_mut(&self.who) {
            *n = n.saturating_sub(1);
        }
    }
}

/// A gzip body that inflates to about `size` bytes of JSON (a page whose padding never ends),
/// made of gzip members put one after the other: one member of a MiB of zeros, compressed
/// once per process and repeated, so a bomb of any size costs nothing to serve (even from a
/// debug build on a loaded machine).
fn gzip_bomb(size: usize) -> Bytes {
    const MIB: usize = 1 << 20;
    static ZEROS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let zeros = ZEROS.get_or_init(|| gzip(&vec![b'0'; MIB]));
    let mut body = gzip(br#"{"authorized_connect_apps":[],"padding":""#);
    for _ in 0..size.div_ceil(MIB) {
        body.extend_from_slice(zeros);
    }
    body.extend_from_slice(&gzip(b"\"}"));
    Bytes::from(body)
}

/// Gzip at the default level (6), as a web server would.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 8 + 64),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

fn log(shared: &Shared, n: u64, conn: u64, method: &Method, target: &str, what: &str) {
    if shared.log_stderr {
        eprintln!("twilio-emulator: #{n} (connection {conn}) {method} {target} -> {what}");
    }
}
