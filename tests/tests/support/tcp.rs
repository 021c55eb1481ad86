//! A third transport, written only against the core's public contract: one `std::net`
//! connection per request, HTTP/1.0 (the body ends when the server closes), plain HTTP only.
//! It exists to prove that the contract is all a transport needs.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use twilio_connect_apps::Error;
use twilio_connect_apps::error::{TransportError, TransportErrorKind as Kind};
use twilio_connect_apps_client::{BuildTransport, Transport, TransportSettings};

pub struct TcpTransport(TransportSettings);

impl BuildTransport for TcpTransport {
    fn build(settings: &TransportSettings) -> Result<Self, Error> {
        Ok(TcpTransport(settings.clone()))
    }
}

fn fail(kind: Kind, e: impl std::fmt::Display) -> TransportError {
    TransportError::new(kind, e.to_string(), None)
}

fn io(e: std::io::Error) -> TransportError {
    let kind = match e.kind() {
        std::io::ErrorKind::WouldBlock => Kind::Timeout,
        k => Kind::of_io(k).unwrap_or(Kind::Other),
    };
    fail(kind, e)
}

impl Transport for TcpTransport {
    fn send(&self, req: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (s, deadline) = (&self.0, Instant::now() + self.0.request_timeout());
        let host = req.uri().authority().map(|a| a.as_str()).unwrap_or("");
        let addr = host
            .to_socket_addrs()
            .map_err(io)?
            .next()
            .ok_or_else(|| fail(Kind::Connect, host))?;
        let mut stream = TcpStream::connect_timeout(&addr, s.connect_timeout()).map_err(io)?;
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut head = format!("{} {path} HTTP/1.0\r\nHost: {host}\r\n", req.method());
        for (name, value) in req.headers() {
            head += &format!(
                "{name}: {}\r\n",
                value.to_str().map_err(|e| fail(Kind::Other, e))?
            );
        }
        if !req.body().is_empty() {
            head += &format!("Content-Length: {}\r\n", req.body().len());
        }
        stream
            .write_all(format!("{head}\r\n").as_bytes())
            .map_err(io)?;
        stream.write_all(req.body()).map_err(io)?;
        let (mut raw, mut buf) = (Vec::new(), [0u8; 16 * 1024]);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(fail(Kind::Timeout, "no complete response in time"));
            }
            stream.set_read_timeout(Some(left)).map_err(io)?;
            match stream.read(&mut buf).map_err(io)? {
                0 => break,
                n => raw.extend_from_slice(buf.get(..n).unwrap_or_default()),
            }
            if raw.len() as u64 > s.max_body_size() + 64 * 1024 {
                return Err(fail(Kind::BodyTooLarge, "body over the cap"));
            }
        }
        // Interim 1xx heads come before the response: skip them.
        while raw.starts_with(b"HTTP/1.1 1") && !raw.starts_with(b"HTTP/1.1 101") {
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                break;
            };
            raw.drain(..end + 4);
        }
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| fail(Kind::Reset, "no head"))?;
        let (head, body) = (
            String::from_utf8_lossy(raw.get(..split).unwrap_or_default()),
            raw.get(split + 4..).unwrap_or_default(),
        );
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| fail(Kind::Reset, "the answer is not HTTP"))?;
        let mut response = http::Response::builder().status(status);
        for (k, v) in lines.filter_map(|l| l.split_once(':')) {
            if k.eq_ignore_ascii_case("content-length")
                && v.trim().parse::<usize>().is_ok_and(|n| n != body.len())
            {
                return Err(fail(Kind::Reset, "body shorter than its Content-Length"));
            }
            response = response.header(k.trim(), v.trim());
        }
        if body.len() as u64 > s.max_body_size() {
            return Err(fail(Kind::BodyTooLarge, "body over the cap"));
        }
        response
            .body(body.to_vec())
            .map_err(|e| fail(Kind::Other, e))
    }
}
