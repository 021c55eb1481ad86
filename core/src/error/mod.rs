//! The one error type every operation returns, and its parts by phase: the caller's input,
//! Twilio's answer, paging safety, OAuth, and the transport's failures.

mod transport;

pub use crate::base::sid::SidError;
pub use transport::{TransportError, TransportErrorKind};

use std::fmt;

use http::StatusCode;

use crate::base::meta::{ResponseMeta, RetryAfter};
use crate::base::text::{EXCERPT_LIMIT, excerpt};

/// Everything that can go wrong, from building a request to reading the last page.
///
/// Errors are split by phase: caller input ([`Error::InvalidInput`], [`Error::Sid`]), Twilio's
/// answer ([`Error::Api`], [`Error::Http`], [`Error::Parse`]), paging safety ([`Error::Paging`])
/// and the transport's own failures ([`Error::Transport`]). No variant ever holds a secret or the
/// `Authorization` header, and every server-supplied string in one is a short excerpt.
///
/// Match on the variants, or ask the helpers:
///
/// ```
/// use twilio_connect_apps::Error;
/// use twilio_connect_apps::error::TransportErrorKind;
/// use twilio_connect_apps::wire::error_from_response;
///
/// fn explain(e: &Error) -> String {
///     match e {
///         e if e.is_not_found() => "no such app".into(),
///         e if e.is_auth() => "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN".into(),
///         Error::Api(api) => format!("Twilio error {:?}: {} ({:?})", api.code, api.message, api.more_info),
///         Error::Transport(t) if t.kind == TransportErrorKind::Timeout => "too slow".into(),
///         e if e.is_retryable() => format!("try again later: {e}"),
///         e => e.to_string(),
///     }
/// }
/// let e = error_from_response(&http::Response::builder().status(401)
///     .body(br#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#.to_vec())?);
/// assert_eq!(explain(&e), "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller was rejected before anything was sent.
    InvalidInput(InputError),
    /// A string was not a valid SID of the expected kind.
    Sid(SidError),
    /// Twilio answered with its error envelope (`code`, `message`, `more_info`, `status`).
    Api(ApiError),
    /// A non-success status without Twilio's error envelope (proxy pages, empty bodies, redirects).
    Http(HttpError),
    /// A success status whose body could not be read as the expected JSON.
    Parse(ParseError),
    /// The paging protocol was broken by the server (a foreign next URI, a loop).
    Paging(PagingError),
    /// The transport failed to move the bytes (connect, TLS, timeout, reset, body too large).
    Transport(TransportError),
    /// No access token could be had for OAuth client credentials: the token endpoint refused
    /// them (e.g. a revoked client) or could not be reached.
    Auth(AuthError),
}

impl Error {
    /// The HTTP status of the response this error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.http_status),
            Error::Http(e) => Some(e.status),
            Error::Parse(e) => Some(e.status),
            Error::Auth(e) => e.status,
            _ => None,
        }
    }

    /// What the response this error came from said about itself (request id, concurrency,
    /// headers), when the error came from a response.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Error::Api(e) => Some(&e.meta),
            Error::Http(e) => Some(&e.meta),
            Error::Parse(e) => Some(&e.meta),
            Error::Auth(e) => e.meta.as_deref(),
            _ => None,
        }
    }

    /// Twilio's `Twilio-Request-Id` (`RQ…`) of the response this error came from: what
    /// Twilio's support asks for.
    ///
    /// ```
    /// # use twilio_connect_apps::Error;
    /// # use twilio_connect_apps::wire::error_from_response;
    /// let e: Error = error_from_response(&http::Response::builder().status(500)
    ///     .header("Twilio-Request-Id", "RQ0123456789abcdef0123456789abcdef").body(Vec::new()).unwrap());
    /// assert_eq!(e.request_id(), Some("RQ0123456789abcdef0123456789abcdef"));
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.meta()?.request_id.as_deref()
    }

    /// The `Retry-After` the response asked for, when there was one (a 429 or 503 after the
    /// retries the policy allowed).
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.meta()?.retry_after()
    }

    /// How many attempts the client made before giving up with this error (`None` when
    /// nothing was sent: bad input, or a paging error found in a page).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Transport(t) => Some(t.attempts()),
            other => other.meta().map(|m| m.attempts),
        }
    }

    /// Twilio's error code (e.g. 20404), when the answer was Twilio's error envelope.
    pub fn api_code(&self) -> Option<u32> {
        match self {
            Error::Api(e) => e.code,
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist: HTTP 404 or Twilio's 20404.
    ///
    /// ```
    /// # use twilio_connect_apps::Error;
    /// # use twilio_connect_apps::wire::error_from_response;
    /// let e: Error = error_from_response(&http::Response::builder().status(404)
    ///     .body(br#"{"code": 20404, "message": "Not found", "status": 404}"#.to_vec()).unwrap());
    /// assert!(e.is_not_found() && !e.is_auth());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status().map(|s| s.as_u16()) == Some(404) || self.api_code() == Some(20404)
    }

    /// Whether the credentials were refused or do not reach this account: HTTP 401 or 403, or
    /// Twilio's 20003.
    ///
    /// ```
    /// # use twilio_connect_apps::Error;
    /// # use twilio_connect_apps::wire::error_from_response;
    /// let e: Error = error_from_response(&http::Response::builder().status(401)
    ///     .body(br#"{"code": 20003, "message": "Authenticate", "status": 401}"#.to_vec()).unwrap());
    /// assert!(e.is_auth());
    /// ```
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Auth(_))
            || matches!(self.status().map(|s| s.as_u16()), Some(401 | 403))
            || self.api_code() == Some(20003)
    }

    /// Whether Twilio asked to slow down: HTTP 429 or Twilio's 20429 (after the retries the
    /// policy allowed).
    ///
    /// ```
    /// # use twilio_connect_apps::Error;
    /// # use twilio_connect_apps::wire::error_from_response;
    /// let e: Error = error_from_response(&http::Response::builder().status(429).body(Vec::new()).unwrap());
    /// assert!(e.is_rate_limited() && e.is_retryable());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status().map(|s| s.as_u16()) == Some(429) || self.api_code() == Some(20429)
    }

    /// Whether a connect or request timeout fired.
    ///
    /// ```
    /// use twilio_connect_apps::Error;
    /// use twilio_connect_apps::error::{TransportError, TransportErrorKind};
    /// let e = Error::from(TransportError::new(TransportErrorKind::Timeout, "slow", None));
    /// assert!(e.is_timeout() && e.is_retryable());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(t) if t.kind == TransportErrorKind::Timeout)
    }

    /// Whether trying again later may succeed: what the retry policy retries (429, 500, 502,
    /// 503, 504; connect failures, resets, timeouts, corrupt bodies). A listing that ends with
    /// such an error is worth resuming from its cursor.
    ///
    /// ```
    /// # use twilio_connect_apps::Error;
    /// # use twilio_connect_apps::wire::error_from_response;
    /// let busy: Error = error_from_response(&http::Response::builder().status(503).body(Vec::new()).unwrap());
    /// let gone: Error = error_from_response(&http::Response::builder().status(404).body(Vec::new()).unwrap());
    /// assert!(busy.is_retryable() && !gone.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(t) => t.kind.is_retryable(),
            Error::Auth(a) => a.status.is_none_or(status_is_retryable),
            _ => self.status().is_some_and(status_is_retryable),
        }
    }

    /// Builds an [`Error::InvalidInput`] about `field` (a driver's or a transport's own
    /// settings, say), saying what is wrong and what to do.
    pub fn input(field: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidInput(InputError {
            field,
            message: message.into(),
        })
    }

    /// The same input error, about another field (one parser serves two settings).
    /// This error with the secrets in use replaced in every text a server gave it (a body
    /// excerpt, a parse message quoting the body, a next-page URI).
    pub(crate) fn scrubbed(mut self, redactor: &crate::base::redact::Redactor) -> Self {
        if redactor.is_empty() {
            return self;
        }
        let scrub = |text: &mut String| redactor.scrub_string(text);
        match &mut self {
            Error::Api(api) => {
                scrub(&mut api.message);
                api.more_info.iter_mut().for_each(scrub);
                if api
                    .details
                    .as_ref()
                    .is_some_and(|d| redactor.finds(d.to_string().as_bytes()))
                {
                    api.details = None;
                }
            }
            Error::Http(http) => {
                scrub(&mut http.body_excerpt);
                http.location.iter_mut().for_each(scrub);
            }
            Error::Parse(parse) => {
                scrub(&mut parse.message);
                scrub(&mut parse.path);
            }
            Error::Paging(paging) => match paging {
                PagingError::ForeignOrigin { uri, .. }
                | PagingError::RepeatedUri { uri }
                | PagingError::AccountChanged { uri, .. } => scrub(uri),
                PagingError::InvalidUri { uri, reason } => {
                    scrub(uri);
                    scrub(reason);
                }
                PagingError::EmptyPages { .. } => {}
            },
            Error::Auth(auth) => {
                scrub(&mut auth.message);
                auth.more_info.iter_mut().for_each(scrub);
            }
            Error::Transport(_) | Error::InvalidInput(_) | Error::Sid(_) => {}
        }
        match self {
            Error::Transport(t) => Error::Transport(t.scrubbed(redactor)),
            other => other,
        }
    }

    pub(crate) fn renamed(self, field: &'static str) -> Self {
        match self {
            Error::InvalidInput(e) => Error::InvalidInput(InputError { field, ..e }),
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(e) => e.fmt(f),
            Error::Sid(e) => e.fmt(f),
            Error::Api(e) => e.fmt(f),
            Error::Http(e) => e.fmt(f),
            Error::Parse(e) => e.fmt(f),
            Error::Paging(e) => e.fmt(f),
            Error::Transport(e) => e.fmt(f),
            Error::Auth(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Sid(e) => Some(e),
            Error::Transport(e) => e
                .source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl From<SidError> for Error {
    fn from(e: SidError) -> Self {
        Error::Sid(e)
    }
}

/// A caller-supplied value that was rejected, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputError {
    /// The name of the rejected parameter (e.g. `page_size`, `base_url`).
    pub field: &'static str,
    /// What was wrong with it.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.message)
    }
}

/// Twilio's error envelope, with the HTTP status it came with.
///
/// The HTTP status and the body's own `status` field are kept apart: proxies and old endpoints
/// sometimes disagree.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the response.
    pub http_status: StatusCode,
    /// The `status` field of the body, when present.
    pub status: Option<u16>,
    /// Twilio's error code (e.g. 20404, 20003), when present.
    pub code: Option<u32>,
    /// The human-readable message.
    pub message: String,
    /// A link to Twilio's page about this error code.
    pub more_info: Option<String>,
    /// The optional `details` object, kept as JSON.
    pub details: Option<serde_json::Value>,
    /// What the response said about itself (request id, concurrency, headers, attempts).
    pub meta: Box<ResponseMeta>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Twilio API error")?;
        if let Some(code) = self.code {
            write!(f, " {code}")?;
        }
        write!(f, " (HTTP {}): {}", self.http_status.as_u16(), self.message)?;
        if let Some(more) = &self.more_info {
            write!(f, " (see {more})")?;
        }
        Ok(())
    }
}

/// A non-success response that did not carry Twilio's error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `Location` header of a redirect, which is reported and never followed.
    pub location: Option<String>,
    /// The start of the body, decoded lossily, control characters replaced, at most
    /// [`HttpError::EXCERPT_LIMIT`] bytes.
    pub body_excerpt: String,
    /// What the response said about itself (request id, concurrency, headers, attempts).
    pub meta: Box<ResponseMeta>,
}

impl HttpError {
    /// The most bytes of a body that an excerpt keeps.
    pub const EXCERPT_LIMIT: usize = 200;
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if self.status.is_redirection() {
            f.write_str(" redirect (not followed)")?;
            if let Some(loc) = &self.location {
                write!(f, " to {loc}")?;
            }
        }
        if self.body_excerpt.is_empty() {
            f.write_str(" with an empty body")
        } else {
            write!(f, ": {}", self.body_excerpt)
        }
    }
}

/// A success response whose body was not the JSON we expected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// Where in the document it went wrong, as a JSON path (`$.authorized_connect_apps[3].uri`).
    pub path: String,
    /// What went wrong there.
    pub message: String,
    /// What the response said about itself (request id, concurrency, headers, attempts).
    pub meta: Box<ResponseMeta>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not parse the response body at `{}`: {}",
            self.path, self.message
        )
    }
}

/// The server broke the paging protocol; nothing further was sent.
///
/// Every URI here is the server's, cut to a short excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagingError {
    /// A next-page URI named another scheme, host or port than the configured origin.
    ForeignOrigin {
        /// The URI the server gave.
        uri: String,
        /// The configured origin it should have been on.
        expected: String,
    },
    /// A next-page URI that was already fetched in this listing (a server loop). URIs are
    /// compared normalized: query parameters in any order, `Page` ignored next to a
    /// `PageToken`.
    RepeatedUri {
        /// The repeated URI.
        uri: String,
    },
    /// A next-page URI that is not a usable URI or path.
    InvalidUri {
        /// The URI the server gave.
        uri: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A next-page URI named another account's listing: a listing stays in its account.
    AccountChanged {
        /// The URI the server gave.
        uri: String,
        /// The account the listing is of.
        account: String,
    },
    /// Pages with no (new) records kept naming a next page.
    EmptyPages {
        /// How many came in a row.
        count: u32,
    },
}

impl PagingError {
    pub(crate) fn foreign(uri: &str, expected: &str) -> Self {
        PagingError::ForeignOrigin {
            uri: excerpt(uri, EXCERPT_LIMIT),
            expected: expected.to_owned(),
        }
    }

    pub(crate) fn repeated(uri: &str) -> Self {
        PagingError::RepeatedUri {
            uri: excerpt(uri, EXCERPT_LIMIT),
        }
    }

    pub(crate) fn invalid(uri: &str, reason: impl fmt::Display) -> Self {
        PagingError::InvalidUri {
            uri: excerpt(uri, EXCERPT_LIMIT),
            reason: excerpt(&reason.to_string(), EXCERPT_LIMIT),
        }
    }

    pub(crate) fn account_changed(uri: &str, account: &str) -> Self {
        PagingError::AccountChanged {
            uri: excerpt(uri, EXCERPT_LIMIT),
            account: account.to_owned(),
        }
    }

    /// The URI the error is about, if any.
    pub fn uri(&self) -> Option<&str> {
        match self {
            PagingError::ForeignOrigin { uri, .. }
            | PagingError::RepeatedUri { uri }
            | PagingError::InvalidUri { uri, .. }
            | PagingError::AccountChanged { uri, .. } => Some(uri),
            PagingError::EmptyPages { .. } => None,
        }
    }
}

impl fmt::Display for PagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PagingError::ForeignOrigin { uri, expected } => write!(
                f,
                "refusing next page URI `{uri}`: it is not on the configured origin {expected}"
            ),
            PagingError::RepeatedUri { uri } => write!(
                f,
                "the server returned next page URI `{uri}` again: stopping to avoid a loop"
            ),
            PagingError::InvalidUri { uri, reason } => {
                write!(f, "invalid next page URI `{uri}`: {reason}")
            }
            PagingError::AccountChanged { uri, account } => write!(
                f,
                "refusing next page URI `{uri}`: it names another account than the listing's ({account})"
            ),
            PagingError::EmptyPages { count } => write!(
                f,
                "the server sent {count} pages in a row with no new records, each naming a next page: stopping"
            ),
        }
    }
}

/// The OAuth token endpoint did not give an access token for the client credentials.
///
/// Every request waiting for that token gets this same error (one refresh, one failure: no
/// storm of token requests); `status` and `code` are the token endpoint's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuthError {
    /// The token endpoint's origin.
    pub origin: String,
    /// The token endpoint's HTTP status, when it answered.
    pub status: Option<StatusCode>,
    /// Twilio's error code, when the answer was Twilio's error envelope.
    pub code: Option<u32>,
    /// What went wrong, a short excerpt.
    pub message: String,
    /// A link to Twilio's page about the error code.
    pub more_info: Option<String>,
    /// What the token endpoint's response said about itself.
    pub meta: Option<Box<ResponseMeta>>,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no OAuth access token from {}", self.origin)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {}", status.as_u16())?;
            if let Some(code) = self.code {
                write!(f, ", Twilio error {code}")?;
            }
            f.write_str(")")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(more) = &self.more_info {
            write!(f, " (see {more})")?;
        }
        Ok(())
    }
}

/// Whether a response with this status may succeed when sent again: 429, 500, 502, 503, 504
/// (GET is idempotent). The retry policy and [`Error::is_retryable`] share this rule.
pub(crate) fn status_is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind as K;

    #[test]
    fn io_kinds_map_to_what_retries_need() {
        assert_eq!(
            TransportErrorKind::of_io(K::ConnectionRefused),
            Some(TransportErrorKind::Connect)
        );
        assert_eq!(
            TransportErrorKind::of_io(K::ConnectionReset),
            Some(TransportErrorKind::Reset)
        );
        assert_eq!(
            TransportErrorKind::of_io(K::UnexpectedEof),
            Some(TransportErrorKind::Reset)
        );
        assert_eq!(
            TransportErrorKind::of_io(K::TimedOut),
            Some(TransportErrorKind::Timeout)
        );
        assert_eq!(TransportErrorKind::of_io(K::InvalidData), None);
    }

    #[test]
    fn transport_errors_keep_their_source() {
        let io = std::io::Error::new(K::ConnectionReset, "peer reset");
        let e = Error::from(TransportError::new(
            TransportErrorKind::Reset,
            "reading the body",
            Some(Box::new(io)),
        ));
        assert_eq!(e.to_string(), "connection reset: reading the body");
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(source.to_string(), "peer reset");
        assert_eq!(e.status(), None);
        assert_eq!(e.api_code(), None);
    }
}
