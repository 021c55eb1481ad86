//! What ended the program, its exit code, and the one error line that says what was being
//! done, where, what went wrong, and what to do about it.

use std::io;
use std::time::Duration;

use twilio_connect_apps::Error;
use twilio_connect_apps::error::TransportErrorKind;
use twilio_connect_apps::text::display_text;

/// The longest error line printed (the server's words in it are excerpts already).
const LINE: usize = 600;

/// What ended the program, and so its exit code.
pub(crate) enum Failure {
    /// Bad input: nothing was sent. Exit 2.
    Usage(String),
    /// The API, the network or a body failed while doing something, somewhere. Exit 1.
    Run {
        /// The error line ([`error_line`]).
        line: String,
        /// The command line that goes on from there, when going on could succeed.
        resume: Option<String>,
    },
    /// Writing the output failed (not a network error). Exit 1.
    Output(io::Error),
    /// stdout was closed (e.g. piped into `head`): stop quietly. Exit 0.
    Closed,
    /// Findings at the level asked for (`--fail-on-post-all`, `audit --fail-on`). Exit 3.
    Findings(String),
    /// Some accounts failed; each was reported already. Exit 1.
    Partial {
        /// The command line that goes on from there, when going on could succeed.
        resume: Option<String>,
    },
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Output(e)
        }
    }
}

impl Failure {
    /// A run that failed `doing` something, with `error`.
    pub(crate) fn run(cx: &Context, doing: &str, error: &Error, resume: Option<String>) -> Self {
        Failure::Run {
            line: error_line(doing, error, cx),
            resume,
        }
    }

    /// The exit code.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Closed => 0,
            Failure::Run { .. } | Failure::Output(_) | Failure::Partial { .. } => 1,
            Failure::Usage(_) => 2,
            Failure::Findings(_) => 3,
        }
    }
}

/// What an error line may say about the setup: the credential variables that were used, the
/// per-attempt limit.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The variables the credentials came from (names only); `None` on the emulator.
    pub(crate) credentials: Option<&'static [&'static str]>,
    /// The per-attempt limit, and whether --timeout set it.
    pub(crate) timeout: (Duration, bool),
    /// The origin's scheme.
    pub(crate) https: bool,
    /// The origin's host.
    pub(crate) host: String,
}

/// One line: what was being done, the error (Twilio's code, HTTP status and link when there
/// are), what to do about it, how many attempts, Twilio's request id; with the display rule
/// applied to all of it (no control or format character, a bounded length).
pub(crate) fn error_line(doing: &str, e: &Error, cx: &Context) -> String {
    display_text(&format!("{doing}: {}", error_text(e, cx)), LINE).into_owned()
}

/// The error part of [`error_line`]: the error, what to do, attempts, the request id.
pub(crate) fn error_text(e: &Error, cx: &Context) -> String {
    let mut line = e.to_string();
    if let (Some(status), false) = (e.status(), line.contains("HTTP")) {
        line.push_str(&format!(" (HTTP {})", status.as_u16()));
    }
    if let Some(hint) = hint(e, cx) {
        line.push_str(" -- ");
        line.push_str(&hint);
    }
    if let Some(n) = e.attempts().filter(|n| *n > 1) {
        line.push_str(&format!(" (after {n} attempts)"));
    }
    if let Some(id) = e.request_id() {
        line.push_str(&format!(" (request {id})"));
    }
    display_text(&line, LINE).into_owned()
}

/// What to do about an error, when the CLI can tell.
fn hint(e: &Error, cx: &Context) -> Option<String> {
    let text = e.to_string();
    if let Error::Auth(auth) = e {
        return Some(match auth.status.map(|s| s.as_u16()) {
            Some(400 | 401 | 403) => format!(
                "the OAuth token service refused the client credentials ({})",
                cx.credentials.unwrap_or(&[]).join(", ")
            ),
            None => "the OAuth token service could not be reached; try again later".to_owned(),
            Some(s) if (200..300).contains(&s) => {
                "the OAuth token service answered with no usable token".to_owned()
            }
            Some(_) => "the OAuth token service failed; try again later".to_owned(),
        });
    }
    if e.is_auth() {
        return Some(match cx.credentials {
            Some(names) => format!(
                "the credentials were refused, or do not reach this account: check {}",
                names.join(" and ")
            ),
            None => "the credentials were refused".to_owned(),
        });
    }
    let Error::Transport(t) = e else {
        return None;
    };
    let host = &cx.host;
    match t.kind {
        TransportErrorKind::Tls if text.contains("UnknownIssuer") => Some(format!(
            "{host}'s certificate is not signed by a root this program trusts: for a private CA or an emulator, give its root with --ca-cert FILE or TWILIO_CA_CERT"
        )),
        TransportErrorKind::Tls if text.contains("InvalidContentType") => Some(format!(
            "{host} does not answer in TLS on this port: is it plain http://, or the wrong port?"
        )),
        TransportErrorKind::Tls => {
            Some("the TLS handshake failed: check the host, the port and --ca-cert".to_owned())
        }
        TransportErrorKind::Reset if !cx.https && text.contains("HTTP version") => Some(format!(
            "{host} does not answer in plain HTTP on this port: is it https://?"
        )),
        TransportErrorKind::Connect
            if text.contains("looking up")
                || text.contains("dns error")
                || text.contains("lookup address") =>
        {
            Some(format!("the host name {host} could not be resolved"))
        }
        TransportErrorKind::Connect if text.contains("refused") => {
            Some(format!("nothing listens at {host} on that port"))
        }
        TransportErrorKind::Timeout => Some(match cx.timeout {
            (limit, true) => format!(
                "each attempt may take {} s (--timeout)",
                limit.as_secs_f64()
            ),
            (limit, false) => format!(
                "each attempt may take {} s; give more with --timeout SECS",
                limit.as_secs_f64()
            ),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twilio_connect_apps::error::TransportError;

    fn cx() -> Context {
        Context {
            credentials: Some(&["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]),
            timeout: (Duration::from_secs(30), false),
            https: true,
            host: "api.twilio.com".into(),
        }
    }

    #[test]
    fn lines_say_what_to_do() {
        let tls = Error::from(TransportError::new(
            TransportErrorKind::Tls,
            "invalid peer certificate: UnknownIssuer",
            None,
        ));
        let line = error_line("listing", &tls, &cx());
        assert!(
            line.contains("--ca-cert") && line.contains("TWILIO_CA_CERT"),
            "{line}"
        );
        let dns = Error::from(TransportError::new(
            TransportErrorKind::Connect,
            "looking up api.twilio.com: failed",
            None,
        ));
        assert!(error_line("x", &dns, &cx()).contains("could not be resolved"));
        let slow = Error::from(TransportError::new(
            TransportErrorKind::Timeout,
            "no complete response within 30s",
            None,
        ));
        assert!(error_line("x", &slow, &cx()).contains("--timeout SECS"));
        let hostile = Error::from(TransportError::new(
            TransportErrorKind::Other,
            format!("a\u{1b}]52;c;x\u{7}b{}", "y".repeat(10_000)),
            None,
        ));
        let line = error_line("x", &hostile, &cx());
        assert!(
            line.chars().count() <= LINE && !line.contains('\u{1b}'),
            "{line}"
        );
    }
}
