//! A minimal HTTP proxy for tests: `CONNECT` tunnels (to 127.0.0.1 at the port asked for,
//! whatever the name) and absolute-form forwarding, with a log of the request lines and
//! `Proxy-Authorization` values it saw.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request line the proxy received, with its `Proxy-Authorization`.
pub type Seen = (String, Option<String>);

pub struct TestProxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Seen>>>,
    _rt: tokio::runtime::Runtime,
}

impl TestProxy {
    pub fn start() -> TestProxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let accept_log = log.clone();
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, accept_log.clone()));
            }
        });
        TestProxy { addr, log, _rt: rt }
    }

    /// `http://user:pass@127.0.0.1:port`.
    pub fn url(&self, user: &str, pass: &str) -> String {
        format!("http://{user}:{pass}@{}", self.addr)
    }

    pub fn log(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

async fn serve(mut client: TcpStream, log: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let rest = buf[head_end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let auth = headers.iter().find_map(|h| {
        h.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("proxy-authorization"))
            .map(|(_, v)| v.trim().to_owned())
    });
    log.lock().unwrap().push((request_line.clone(), auth));
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("HTTP/1.1"),
    );
    if method == "CONNECT" {
        // Every name is the emulator on loopback: the client asked for `emulator.test:PORT`.
        let port = target.rsplit(':').next().unwrap_or("443");
        let Ok(mut upstream) = TcpStream::connect(format!("127.0.0.1:{port}")).await else {
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        if !rest.is_empty() && upstream.write_all(&rest).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    } else {
        // absolute-form: http://host:port/path -> connect, send origin-form
        let Some(without_scheme) = target.strip_prefix("http://") else {
            return;
        };
        let (authority, path) = without_scheme
            .split_once('/')
            .map(|(a, p)| (a, format!("/{p}")))
            .unwrap_or((without_scheme, "/".into()));
        let Ok(mut upstream) = TcpStream::connect(authority).await else {
            return;
        };
        headers.retain(|h| !h.to_ascii_lowercase().starts_with("proxy-authorization:"));
        let mut out = format!("{method} {path} {version}\r\n");
        for h in headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        if upstream.write_all(out.as_bytes()).await.is_err()
            || upstream.write_all(&rest).await.is_err()
        {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
