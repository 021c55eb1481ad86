//! Servers that break HTTP on purpose, below what the emulator can fake: an HTTP/2 server
//! that sends half a body then GOAWAY(NO_ERROR) and closes, and an HTTP/1.1 server that
//! answers each connection with a malformed response.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

/// What one HTTP/1.1 connection gets back.
#[derive(Clone, Copy, Debug)]
pub enum Malformed {
    /// Not a status line at all.
    Garbage,
    /// A body shorter than its `Content-Length`, then the connection closes.
    ShortBody,
    /// A chunked body with a chunk size that is not hex.
    BadChunk,
    /// A header line without a colon.
    BadHeader,
    /// Both `Content-Length` and `Transfer-Encoding: chunked` (a request-smuggling sign,
    /// RFC 9112 §6.3), with a valid chunked page.
    LengthAndChunked,
}

/// An HTTP/1.1 server answering every request with `kind`; counts requests.
pub struct MalformedServer {
    pub base_url: String,
    requests: Arc<AtomicU64>,
}

impl MalformedServer {
    pub fn start(kind: Malformed) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU64::new(0));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let answer: &[u8] = match kind {
                    Malformed::Garbage => b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
                    Malformed::ShortBody => {
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"authorized_connect_apps\": ["
                    }
                    Malformed::BadChunk => {
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
                    }
                    Malformed::BadHeader => b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n{}",
                    Malformed::LengthAndChunked => {
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\n{\"authorized_connect_apps\":[]}\r\n0\r\n\r\n"
                    }
                };
                let _ = stream.write_all(answer);
            }
        });
        MalformedServer { base_url, requests }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// An HTTPS server speaking HTTP/2 (ALPN `h2`) that answers every request with the first half
/// of a page (with or without a `Content-Length`), then GOAWAY(NO_ERROR), and closes.
pub struct GoawayServer {
    pub base_url: String,
    pub ca_der: Vec<u8>,
    requests: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl GoawayServer {
    pub fn start(declare_length: bool) -> Self {
        let tls = twilio_connect_apps_testbed::TestTls::new().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base_url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let (requests, connections) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (seen, conns) = (requests.clone(), connections.clone());
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config.clone());
        let page = Bytes::from(
            r#"{"authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}], "next_page_uri": null}"#,
        );
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                conns.fetch_add(1, Ordering::SeqCst);
                let (acceptor, seen, page) = (acceptor.clone(), seen.clone(), page.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut conn) = h2::server::handshake(tls).await else {
                        return;
                    };
                    if let Some(Ok((_request, mut respond))) = conn.accept().await {
                        seen.fetch_add(1, Ordering::SeqCst);
                        let mut head = http::Response::builder().status(200);
                        if declare_length {
                            head = head.header("content-length", page.len());
                        }
                        if let Ok(mut send) = respond.send_response(head.body(()).unwrap(), false) {
                            let _ = send.send_data(page.slice(..page.len() / 2), false);
                        }
                        conn.graceful_shutdown();
                        // Let the half body and the GOAWAY go out, then close without the
                        // rest (the stream never ends).
                        let _ = tokio::time::timeout(
                            std::time::Duration::from_millis(100),
                            std::future::poll_fn(|cx| conn.poll_closed(cx)),
                        )
                        .await;
                    }
                });
            }
        });
        GoawayServer {
            base_url,
            ca_der: tls.ca_der,
            requests,
            connections,
            _runtime: runtime,
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}
