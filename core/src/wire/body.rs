//! A response body as it is read, under the body cap's rules on memory: a declared length
//! over the cap is refused before a byte is read, a declared length gets its room at once,
//! and otherwise the buffer grows in bounded steps, never past the cap. Both transports and
//! the gzip decoder read into one.

use std::io::Read;

use http::HeaderMap;

use crate::error::{TransportError, TransportErrorKind};

/// A body buffer's first size when no length is declared.
const START: usize = 16 * 1024;

/// A response body being read, with the body cap's rules on memory: a body within the cap
/// never makes a transport hold more than about twice the cap, and a lying `Content-Length`
/// cannot make it allocate past the cap.
///
/// ```
/// use twilio_connect_apps::wire::BodyBuffer;
/// let mut headers = http::HeaderMap::new();
/// headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from_static("5"));
/// let mut body = BodyBuffer::for_response(&headers, 1024)?;
/// body.read_from(&b"hello"[..], 64 * 1024)?;
/// body.check_length()?;
/// assert_eq!(body.into_vec(), b"hello");
/// // Declared over the cap: refused before a byte is read.
/// headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from_static("2048"));
/// assert!(BodyBuffer::for_response(&headers, 1024).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
    cap: u64,
    declared: Option<u64>,
}

impl BodyBuffer {
    /// The buffer for a response with these headers: its `Content-Length` over `cap` is
    /// [`BodyTooLarge`](TransportErrorKind::BodyTooLarge) at once; otherwise room for the
    /// declared length (or a small start). Both `Content-Length` and `Transfer-Encoding` is an
    /// error of kind [`Other`](TransportErrorKind::Other), never retried.
    pub fn for_response(headers: &HeaderMap, cap: u64) -> Result<Self, TransportError> {
        if headers.contains_key(http::header::TRANSFER_ENCODING)
            && headers.contains_key(http::header::CONTENT_LENGTH)
        {
            // RFC 9112 §6.3: a sign of request smuggling, or of a broken intermediary; every
            // transport refuses it the same way, and sending again would get the same.
            return Err(TransportError::new(
                TransportErrorKind::Other,
                "the response has both Content-Length and Transfer-Encoding (RFC 9112 §6.3: a \
                 sign of request smuggling); refused. Check the proxy or load balancer between \
                 this client and the API",
                None,
            ));
        }
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
        let capacity = match declared {
            Some(n) if n > cap => return Err(TransportError::body_too_large(cap)),
            Some(n) => usize::try_from(n).unwrap_or(0),
            None => START.min(usize::try_from(cap).unwrap_or(START)),
        };
        Ok(BodyBuffer {
            bytes: Vec::with_capacity(capacity),
            cap,
            declared,
        })
    }

    /// A buffer with room for `capacity` bytes at first (at most the cap), for a body of no
    /// declared length (a decoder's output).
    pub(crate) fn with_capacity(capacity: usize, cap: u64) -> Self {
        BodyBuffer {
            bytes: Vec::with_capacity(capacity.min(usize::try_from(cap).unwrap_or(usize::MAX))),
            cap,
            declared: None,
        }
    }

    /// Appends a chunk as it arrives; past the cap it is
    /// [`BodyTooLarge`](TransportErrorKind::BodyTooLarge), and nothing more is kept.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        if (self.bytes.len() as u64).saturating_add(chunk.len() as u64) > self.cap {
            return Err(TransportError::body_too_large(self.cap));
        }
        self.reserve(chunk.len());
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// Reads `reader` to its end (or to one byte past the cap, or to the declared length)
    /// into the buffer's spare room, grown in steps of at most `step` bytes and never by more
    /// than doubling; a declared length is read into the room made for it, with no growth.
    /// The caller's reader enforces the cap itself or [`BodyBuffer::len`] tells it passed.
    pub fn read_from(&mut self, mut reader: impl Read, step: usize) -> std::io::Result<()> {
        loop {
            let room = self.reserve(step);
            let before = self.bytes.len();
            (&mut reader)
                .take(room as u64)
                .read_to_end(&mut self.bytes)?;
            let read = self.bytes.len() - before;
            if read < room || room == 0 || self.declared == Some(self.bytes.len() as u64) {
                return Ok(());
            }
        }
    }

    /// Bytes read so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether the body is as long as its `Content-Length` said: a body that ended before (an
    /// HTTP/2 stream cut by GOAWAY, a proxy that gave up) is a
    /// [`Reset`](TransportErrorKind::Reset), so it is sent again on a new connection.
    pub fn check_length(&self) -> Result<(), TransportError> {
        match self.declared {
            Some(declared) if declared != self.bytes.len() as u64 => Err(TransportError::new(
                TransportErrorKind::Reset,
                format!(
                    "the body ended after {} of its {declared} bytes",
                    self.bytes.len()
                ),
                None,
            )),
            _ => Ok(()),
        }
    }

    /// The body.
    pub fn into_vec(self) -> Vec<u8> {
        self.bytes
    }

    /// Makes room for `wanted` more bytes, growing by at most doubling and never past
    /// `cap + 1` bytes (one more than the cap, to see that a body passes it). Returns the room
    /// there is now (0: the cap is reached).
    fn reserve(&mut self, wanted: usize) -> usize {
        let buf = &mut self.bytes;
        let limit = usize::try_from(self.cap.saturating_add(1)).unwrap_or(usize::MAX);
        let spare = buf.capacity() - buf.len();
        if spare >= wanted || buf.capacity() >= limit {
            return spare.min(limit.saturating_sub(buf.len()));
        }
        let target = buf
            .len()
            .saturating_mul(2)
            .max(buf.len().saturating_add(wanted))
            .min(limit);
        buf.reserve_exact(target.saturating_sub(buf.len()));
        (buf.capacity() - buf.len()).min(limit.saturating_sub(buf.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_at_most_doubling_and_never_past_the_cap() {
        let mut body = BodyBuffer::with_capacity(10, 15);
        body.bytes.extend_from_slice(&[0; 10]);
        assert_eq!(body.reserve(100), 6);
        assert_eq!(body.bytes.capacity(), 16);
        assert!(body.push(&[1; 6]).is_err(), "16 bytes pass a cap of 15");
        assert!(body.push(&[1; 5]).is_ok());
        assert_eq!(body.len(), 15);
    }

    #[test]
    fn a_short_body_is_a_reset() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, "10".parse().unwrap());
        let mut body = BodyBuffer::for_response(&headers, 100).unwrap();
        body.read_from(&b"12345"[..], 4).unwrap();
        let e = body.check_length().unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Reset);
        assert!(e.to_string().contains("after 5 of its 10 bytes"), "{e}");
    }
}
