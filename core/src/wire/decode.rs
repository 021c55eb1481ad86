//! Decoding `Content-Encoding: gzip` bodies, once for every transport, with the body cap on
//! the decoded size.

use http::{HeaderValue, Response, header};

use crate::error::{TransportError, TransportErrorKind};
use crate::wire::body::BodyBuffer;

/// What requests ask for when compression is on.
pub(crate) const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("gzip");

/// Decodes a gzip body (no more than `cap` bytes of output), and drops the encoding headers;
/// any other body is returned as it is. A corrupt body is a retryable
/// [`TransportErrorKind::Decode`]; one that inflates past the cap is
/// [`TransportErrorKind::BodyTooLarge`], inflated no further.
pub(crate) fn decode(
    response: Response<Vec<u8>>,
    cap: u64,
) -> Result<Response<Vec<u8>>, TransportError> {
    let encoding = match response.headers().get(header::CONTENT_ENCODING) {
        None => return Ok(response),
        Some(v) => v.to_str().unwrap_or("").trim().to_ascii_lowercase(),
    };
    match encoding.as_str() {
        "" | "identity" => return Ok(response),
        "gzip" | "x-gzip" => {}
        other => {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                format!(
                    "the response came in Content-Encoding `{}`, which was not asked for",
                    crate::base::text::excerpt(other, 40)
                ),
                None,
            ));
        }
    }
    let (mut parts, compressed) = response.into_parts();
    // Gzip rarely shrinks JSON below a tenth: start there, and grow in bounded steps (never
    // past the cap, so a bomb costs at most the cap).
    let start = compressed.len().saturating_mul(8);
    let mut body = BodyBuffer::with_capacity(start, cap);
    let decoder = flate2::read::MultiGzDecoder::new(compressed.as_slice());
    body.read_from(decoder, 256 * 1024).map_err(|e| {
        TransportError::new(
            TransportErrorKind::Decode,
            format!("the gzip body could not be decoded: {e}"),
            Some(Box::new(e)),
        )
    })?;
    if body.len() as u64 > cap {
        return Err(TransportError::body_too_large(cap));
    }
    let body = body.into_vec();
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn encoded(body: Vec<u8>, encoding: &str) -> Response<Vec<u8>> {
        Response::builder()
            .header(header::CONTENT_ENCODING, encoding)
            .header(header::CONTENT_LENGTH, body.len())
            .body(body)
            .unwrap()
    }

    #[test]
    fn gzip_is_decoded_and_the_headers_go() {
        let r = decode(encoded(gzip(b"{\"a\": 1}"), "GZIP"), 1024).unwrap();
        assert_eq!(r.body(), b"{\"a\": 1}");
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(r.headers().get(header::CONTENT_LENGTH).is_none());
        let plain = decode(Response::new(b"x".to_vec()), 1).unwrap();
        assert_eq!(plain.body(), b"x");
    }

    #[test]
    // Inflating megabytes in flate2's safe Rust takes many minutes under Miri.
    #[cfg_attr(miri, ignore)]
    fn a_bomb_stops_at_the_cap_and_corruption_is_retryable() {
        let bomb = gzip(&vec![b'0'; 64 << 20]);
        assert!(bomb.len() < 100 << 10, "{}", bomb.len());
        let e = decode(encoded(bomb, "gzip"), 16 << 20).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
        let mut corrupt = gzip(b"{\"authorized_connect_apps\": []}");
        let n = corrupt.len();
        corrupt[n / 2] ^= 0xff;
        let e = decode(encoded(corrupt, "gzip"), 1024).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Decode, "{e}");
        let e = decode(encoded(b"garbage".to_vec(), "gzip"), 1024).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Decode);
        let e = decode(encoded(b"x".to_vec(), "br"), 1024).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Other);
    }
}
