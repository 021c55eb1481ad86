//! The transport's failures: their kinds (what the retry policy reads) and the error a
//! transport returns.

use std::fmt;

/// How a transport failed; the retry policy reads this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, unreachable).
    Connect,
    /// The connection was reset or closed before the whole response arrived.
    Reset,
    /// A connect or request timeout fired.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The response body was larger than the configured cap (after decompression); it was not
    /// read further.
    BodyTooLarge,
    /// The body could not be decoded (a corrupt gzip stream): like a truncated body, retried.
    Decode,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// Whether a failure of this kind may pass when the request is sent again: connect
    /// failures, resets, timeouts and corrupt bodies (not TLS failures, oversized bodies or
    /// anything else).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect
                | TransportErrorKind::Reset
                | TransportErrorKind::Timeout
                | TransportErrorKind::Decode
        )
    }

    /// The kind an I/O error of this kind stands for, when it says something a retry policy
    /// cares about (refused or unreachable: `Connect`; reset, aborted, broken pipe or early
    /// EOF: `Reset`; timed out: `Timeout`). Both transports classify socket errors with it.
    pub fn of_io(kind: std::io::ErrorKind) -> Option<TransportErrorKind> {
        use std::io::ErrorKind as K;
        match kind {
            K::ConnectionRefused
            | K::AddrNotAvailable
            | K::HostUnreachable
            | K::NetworkUnreachable => Some(TransportErrorKind::Connect),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                Some(TransportErrorKind::Reset)
            }
            K::TimedOut => Some(TransportErrorKind::Timeout),
            _ => None,
        }
    }
}

/// A failure of the transport, with its cause kept as the error's source.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportError {
    /// What kind of failure this was.
    pub kind: TransportErrorKind,
    /// A short description.
    pub message: String,
    /// The transport's own error.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// How many attempts ended this way, in all (set by the client).
    attempts: u32,
}

impl TransportError {
    /// This error with the secrets in its text replaced (its source too: it goes when its
    /// text held one).
    pub(crate) fn scrubbed(mut self, redactor: &crate::base::redact::Redactor) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        let mut leaks = false;
        while let Some(c) = cause {
            leaks |= redactor.finds(c.to_string().as_bytes());
            cause = c.source();
        }
        if leaks {
            self.source = None;
        }
        redactor.scrub_string(&mut self.message);
        self
    }

    /// Builds a transport error.
    pub fn new(
        kind: TransportErrorKind,
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source,
            attempts: 1,
        }
    }

    /// How many attempts the client made before giving up with this error.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

impl TransportError {
    /// The error a transport returns when a body passes the cap: it stops reading there.
    pub fn body_too_large(cap: u64) -> Self {
        TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("the response body is larger than the {cap}-byte cap; not read further"),
            None,
        )
    }

    /// A transport error caused by `source`; the message is the source and its causes on
    /// one line.
    pub fn caused_by(
        kind: TransportErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        let mut message = source.to_string();
        let mut current = source.source();
        while let Some(s) = current {
            let text = s.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            current = s.source();
        }
        TransportError::new(kind, message, Some(Box::new(source)))
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Reset => "connection reset",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Tls => "TLS failure",
            TransportErrorKind::BodyTooLarge => "response body too large",
            TransportErrorKind::Decode => "response body could not be decoded",
            TransportErrorKind::Other => "transport error",
        };
        write!(f, "{what}: {}", self.message)
    }
}
