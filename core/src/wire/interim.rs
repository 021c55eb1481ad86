//! Where an HTTP/1 response starts: an interim (1xx) head to skip, or the final response. A
//! server may send `100 Continue` or `103 Early Hints` before a GET's response; a transport
//! whose HTTP crate does not skip them itself drops them with this rule.

/// What the bytes where a response starts hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStart {
    /// Not enough bytes to tell: read more.
    Unknown,
    /// A complete interim (1xx, not `101`) head of this many bytes: drop them.
    Interim(usize),
    /// The final response starts here.
    Final,
}

/// Reads the start of `input` (the bytes where a response head begins).
///
/// ```
/// use twilio_connect_apps::wire::{ResponseStart, response_start};
/// let input = b"HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\n";
/// assert_eq!(response_start(input), ResponseStart::Interim(31));
/// assert_eq!(response_start(b"HTTP/1.1 200 OK\r\n"), ResponseStart::Final);
/// ```
pub fn response_start(input: &[u8]) -> ResponseStart {
    // "HTTP/1.1 100 ..." : the status code is bytes 9..12.
    let (Some(prefix), Some(code)) = (input.get(..9), input.get(9..12)) else {
        return ResponseStart::Unknown;
    };
    let interim = prefix.starts_with(b"HTTP/1.") && code.first() == Some(&b'1') && code != b"101";
    if !interim {
        return ResponseStart::Final;
    }
    match input.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => ResponseStart::Interim(end + 4),
        None => ResponseStart::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResponseStart::*;

    #[test]
    fn heads() {
        assert_eq!(response_start(b"HTTP/1.1 1"), Unknown);
        assert_eq!(response_start(b"HTTP/1.1 200 OK\r\n"), Final);
        assert_eq!(response_start(b"HTTP/1.1 101 Switching"), Final);
        assert_eq!(
            response_start(b"HTTP/1.1 100 Continue\r\nX: y\r\n"),
            Unknown
        );
        let h = b"HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\n";
        assert_eq!(response_start(h), Interim(31));
        assert_eq!(
            response_start(b"HTTP/1.0 103 Early Hints\r\n\r\n"),
            Interim(28)
        );
    }
}
