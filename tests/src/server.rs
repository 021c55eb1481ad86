//! The emulator: an HTTP/1.1 server (plain or TLS) on loopback.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::body::EmuBody;
use crate::data::{Account, ApiKey, App, Dataset, is_sid};
use crate::faults::{ErrorBody, Fault, FaultRule, FaultScript, RetryAfter};
use crate::tls;

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 1-based request number.
    pub number: u64,
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Every header, names lower-case, in arrival order (`authorization` included).
    pub headers: Vec<(String, String)>,
    /// The connection it came on (1-based, in accept order).
    pub connection: u64,
    /// Whether the connection was TLS.
    pub tls: bool,
    /// The HTTP version (`HTTP/1.1`, `HTTP/2.0`).
    pub version: String,
    /// When it arrived.
    pub at: Instant,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter's value (decoded).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

struct AccountEntry {
    token: String,
    parent: Option<String>,
    friendly_name: String,
    status: String,
    /// The account as the accounts listing shows it (auth token included, as Twilio's does).
    json: Bytes,
    /// Each app's JSON, made once at start.
    apps: Vec<(String, Bytes)>,
    index: HashMap<String, usize>,
}

struct State {
    accounts: HashMap<String, AccountEntry>,
    /// Account SIDs in dataset order (the accounts listing's order).
    order: Vec<String>,
    keys: HashMap<String, ApiKey>,
    faults: FaultScript,
    log: Vec<RecordedRequest>,
    requests: u64,
}

struct Shared {
    state: Mutex<State>,
    connections: AtomicU64,
    /// Response body bytes written (after compression): bytes on the wire, headers aside.
    body_bytes: AtomicU64,
    /// The most connections open at once.
    peak_connections: AtomicU64,
    /// Every answer waits this long first (a network's round trip).
    latency: std::time::Duration,
    /// Whether to gzip answers for clients that ask.
    gzip: bool,
    open_connections: AtomicU64,
    token_salt: u64,
    log_stderr: bool,
    /// Answer lists in the newer `meta` envelope, with absolute URLs on this origin.
    meta: Option<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the data half-written in a way that
        // matters here; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn index_data(data: &Dataset) -> HashMap<String, AccountEntry> {
    data.accounts
        .iter()
        .map(|a: &Account| {
            let apps: Vec<(String, Bytes)> = a
                .apps
                .iter()
                .map(|app: &App| {
                    let json = serde_json::to_vec(&app.to_json(&a.sid)).unwrap_or_default();
                    (app.connect_app_sid.clone(), Bytes::from(json))
                })
                .collect();
            let index = apps
                .iter()
                .enumerate()
                .map(|(i, (sid, _))| (sid.clone(), i))
                .collect();
            let friendly_name = a
                .friendly_name
                .clone()
                .unwrap_or_else(|| format!("Account {}", a.sid));
            let status = a.status.clone().unwrap_or_else(|| "active".into());
            let json = serde_json::to_vec(&serde_json::json!({
                "auth_token": a.auth_token,
                "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
                "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
                "friendly_name": friendly_name,
                "owner_account_sid": a.parent.clone().unwrap_or_else(|| a.sid.clone()),
                "sid": a.sid,
                "status": status,
                "subresource_uris": {
                    "authorized_connect_apps": format!("/2010-04-01/Accounts/{}/AuthorizedConnectApps.json", a.sid),
                },
                "type": "Full",
                "uri": format!("/2010-04-01/Accounts/{}.json", a.sid),
            }))
            .unwrap_or_default();
            (
                a.sid.clone(),
                AccountEntry {
                    token: a.auth_token.clone(),
                    parent: a.parent.clone(),
                    friendly_name,
                    status,
                    json: Bytes::from(json),
                    apps,
                    index,
                },
            )
        })
        .collect()
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    data: Dataset,
    tls: bool,
    faults: FaultScript,
    port: u16,
    log_stderr: bool,
    meta_envelope: bool,
    gzip: bool,
    latency: std::time::Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            data: Dataset::sample(),
            tls: false,
            faults: FaultScript::new(),
            port: 0,
            log_stderr: false,
            meta_envelope: false,
            gzip: true,
            latency: std::time::Duration::ZERO,
        }
    }
}

impl EmulatorBuilder {
    /// Serve this data instead of [`Dataset::sample`].
    pub fn dataset(mut self, data: Dataset) -> Self {
        self.data = data;
        self
    }

    /// Serve [`Dataset::generated`]`(n)`: the default account with `n` generated apps.
    pub fn generated_apps(self, n: usize) -> Self {
        self.dataset(Dataset::generated(n))
    }

    /// Adds an account (or subaccount, with `parent` set).
    pub fn account(mut self, account: Account) -> Self {
        self.data.accounts.push(account);
        self
    }

    /// Adds an API key.
    pub fn api_key(mut self, sid: &str, secret: &str, account_sid: &str) -> Self {
        self.data.api_keys.push(ApiKey {
            sid: sid.into(),
            secret: secret.into(),
            account_sid: account_sid.into(),
        });
        self
    }

    /// Serve HTTPS with a certificate made at start.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Inject these faults.
    pub fn faults(mut self, faults: FaultScript) -> Self {
        self.faults = faults;
        self
    }

    /// Listen on this loopback port (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Log every request on stderr (the standalone binary does).
    pub fn log_to_stderr(mut self, on: bool) -> Self {
        self.log_stderr = on;
        self
    }

    /// Answer lists in the newer `meta` envelope (`meta.key`, absolute `meta.next_page_url`,
    /// ...) instead of the flat v2010 one, as Twilio's newer APIs do.
    pub fn meta_envelope(mut self, on: bool) -> Self {
        self.meta_envelope = on;
        self
    }

    /// Serve [`Dataset::with_subaccounts`]: the default account and `n` subaccounts, each with
    /// `apps_each` generated apps.
    pub fn subaccounts(self, n: usize, apps_each: usize) -> Self {
        self.dataset(Dataset::with_subaccounts(n, apps_each))
    }

    /// Every answer waits this long before its headers, as a network's round trip would.
    pub fn latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Whether to gzip answers for requests whose `Accept-Encoding` names gzip (on by
    /// default, as Twilio does).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Binds the port and starts serving on a thread of its own.
    pub fn start(self) -> io::Result<Emulator> {
        self.data
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", self.port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let tls = if self.tls { Some(tls::make()?) } else { None };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{}", addr.port());
        let salt = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7)
            ^ u64::from(addr.port());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                accounts: index_data(&self.data),
                order: self.data.accounts.iter().map(|a| a.sid.clone()).collect(),
                keys: self
                    .data
                    .api_keys
                    .iter()
                    .map(|k| (k.sid.clone(), k.clone()))
                    .collect(),
                faults: self.faults,
                log: Vec::new(),
                requests: 0,
            }),
            connections: AtomicU64::new(0),
            body_bytes: AtomicU64::new(0),
            peak_connections: AtomicU64::new(0),
            latency: self.latency,
            gzip: self.gzip,
            open_connections: AtomicU64::new(0),
            token_salt: salt,
            meta: self.meta_envelope.then(|| base_url.clone()),
            log_stderr: self.log_stderr,
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.server_config.clone()));
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("twilio-emulator-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("twilio-emulator: cannot listen: {e}");
                            return;
                        }
                    };
                    accept_loop(listener, acceptor, thread_shared, stop_rx).await;
                });
                // Dropping the runtime cancels every connection task and closes their sockets.
                runtime.shutdown_background();
            })?;
        Ok(Emulator {
            addr,
            base_url,
            ca_der: tls.as_ref().map(|t| t.ca_der.clone()),
            ca_pem: tls.map(|t| t.ca_pem),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

/// A running emulator. Dropping it stops the server and frees the port.
///
/// ```
/// use twilio_connect_apps_testbed::Emulator;
/// let emu = Emulator::start();
/// assert!(emu.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(emu.requests().len(), 0);
/// ```
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    ca_der: Option<Vec<u8>>,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A plain-HTTP emulator with [`Dataset::sample`] on a free port. Panics if it cannot
    /// bind (a test-bed convenience; use [`Emulator::builder`] to handle the error).
    pub fn start() -> Emulator {
        Self::builder().start().expect("start the emulator")
    }

    /// An HTTPS emulator with [`Dataset::sample`] on a free port.
    pub fn start_tls() -> Emulator {
        Self::builder()
            .tls(true)
            .start()
            .expect("start the TLS emulator")
    }

    /// A builder for anything else.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// For TLS: the root certificate (DER) a client must trust.
    pub fn ca_cert_der(&self) -> Option<&[u8]> {
        self.ca_der.as_deref()
    }

    /// For TLS: the root certificate (PEM) a client must trust.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// How many requests arrived so far.
    pub fn request_count(&self) -> u64 {
        self.shared.lock().requests
    }

    /// Response body bytes sent so far, after compression (headers not counted).
    pub fn body_bytes_sent(&self) -> u64 {
        self.shared.body_bytes.load(Ordering::SeqCst)
    }

    /// How many TCP connections were accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The most connections that were open at once.
    pub fn peak_connections(&self) -> u64 {
        self.shared.peak_connections.load(Ordering::SeqCst)
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> u64 {
        self.shared.open_connections.load(Ordering::SeqCst)
    }

    /// Forgets the request log (counters of requests and connections go on).
    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Replaces the fault script.
    pub fn set_faults(&self, faults: FaultScript) {
        self.shared.lock().faults = faults;
    }

    /// Adds a fault rule after the existing ones.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.lock().faults.rules.push(rule);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let conn = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let open = shared.open_connections.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_connections.fetch_max(open, Ordering::SeqCst);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let reset = Arc::new(AtomicBool::new(false));
            let stream = ResettableStream {
                inner: stream,
                reset: reset.clone(),
            };
            let is_tls = acceptor.is_some();
            let svc_shared = shared.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let shared = svc_shared.clone();
                let reset = reset.clone();
                async move { handle(&shared, req, conn, is_tls, &reset).await }
            });
            // HTTP/1.1, or HTTP/2 when TLS negotiates `h2` (or a client speaks it directly).
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match acceptor {
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = http.serve_connection(TokioIo::new(tls), service).await;
                    }
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
            shared.open_connections.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// A TCP stream that closes with a reset (RST) instead of FIN when asked to.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The answer before body faults: status, extra headers, body.
struct Answer {
    status: StatusCode,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Answer {
    fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Answer {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: body.into(),
        }
    }

    /// Twilio's error envelope.
    fn error(status: u16, code: u32, message: &str) -> Self {
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

    fn not_found(path: &str) -> Self {
        Answer::error(
            404,
            20404,
            &format!("The requested resource {path} was not found"),
        )
    }
}

/// What a page's `next_page_uri` should be, when a fault says otherwise.
enum NextOverride {
    Foreign(String),
    Repeat,
    Reordered,
    Verbatim(String),
    /// No records, and a next page named after this request's number.
    Endless(u64),
}

async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    conn: u64,
    tls: bool,
    reset: &AtomicBool,
) -> Result<Response<EmuBody>, io::Error> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let (number, fault) = {
        let mut st = shared.lock();
        st.requests += 1;
        let n = st.requests;
        st.log.push(RecordedRequest {
            number: n,
            method: req.method().to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: req
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            connection: conn,
            tls,
            version: format!("{:?}", req.version()),
            at: Instant::now(),
        });
        let fault = st.faults.pick(n, &target);
        (n, fault)
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
            log(
                shared,
                number,
                req.method(),
                &target,
                "fault: close before response",
            );
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
            ErrorBody::Twilio => match code {
                401 => Answer::error(code, 20003, "Authenticate"),
                403 => Answer::error(code, 20003, "Permission Denied"),
                404 => Answer::error(code, 20404, "The requested resource was not found"),
                _ => Answer::error(code, 20500, "An internal server error has occurred"),
            },
            ErrorBody::Empty => Answer {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers: Vec::new(),
                body: Bytes::new(),
            },
            ErrorBody::Html => Answer {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers: vec![(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
                body: Bytes::from(format!(
                    "<html>\r\n<head><title>{code} Error</title></head>\r\n<body>\r\n<center><h1>{code} Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                )),
            },
        }),
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
            log(
                shared,
                number,
                req.method(),
                &target,
                "fault: oversized body",
            );
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

    let answer = match early {
        Some(a) => a,
        None => route(shared, &req, &path, query.as_deref(), next_override),
    };
    log(
        shared,
        number,
        req.method(),
        &target,
        answer.status.as_str(),
    );

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
            let mut json = br#"{"authorized_connect_apps":[],"padding":""#.to_vec();
            json.resize(size.saturating_sub(3).max(json.len()), b'0');
            json.extend_from_slice(b"\"}");
            answer.body = Bytes::from(gzip(&json));
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
    Ok(resp)
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

fn log(shared: &Shared, n: u64, method: &Method, target: &str, what: &str) {
    if shared.log_stderr {
        eprintln!("twilio-emulator: #{n} {method} {target} -> {what}");
    }
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Who the Basic credentials belong to: the account whose tree they may read.
fn authenticate(st: &State, req: &Request<Incoming>) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if let Some(acct) = st.accounts.get(user) {
        return (acct.token == password).then(|| user.to_owned());
    }
    let key = st.keys.get(user)?;
    (key.secret == password).then(|| key.account_sid.clone())
}

fn route(
    shared: &Shared,
    req: &Request<Incoming>,
    path: &str,
    query: Option<&str>,
    next_override: Option<NextOverride>,
) -> Answer {
    const PREFIX: &str = "/2010-04-01/Accounts/";
    if path == "/2010-04-01/Accounts.json" {
        if req.method() != Method::GET {
            return Answer::error(405, 20004, "Method not allowed");
        }
        let st = shared.lock();
        let Some(caller) = authenticate(&st, req) else {
            return Answer::error(401, 20003, "Authenticate");
        };
        return accounts_page(shared, &st, &caller, query);
    }
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Answer::not_found(path);
    };
    let (account, tail) = rest.split_once('/').unwrap_or((rest, ""));
    enum Route<'a> {
        List,
        Fetch(&'a str),
    }
    let route = if tail == "AuthorizedConnectApps.json" {
        Route::List
    } else if let Some(sid) = tail
        .strip_prefix("AuthorizedConnectApps/")
        .and_then(|t| t.strip_suffix(".json"))
        .filter(|s| !s.contains('/'))
    {
        Route::Fetch(sid)
    } else {
        return Answer::not_found(path);
    };
    if req.method() != Method::GET {
        let mut a = Answer::error(405, 20004, "Method not allowed");
        a.headers
            .push((header::ALLOW, HeaderValue::from_static("GET")));
        return a;
    }
    let st = shared.lock();
    let Some(caller) = authenticate(&st, req) else {
        let mut a = Answer::error(401, 20003, "Authenticate");
        a.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        ));
        return a;
    };
    if !is_sid(account, "AC") {
        return Answer::not_found(path);
    }
    let Some(entry) = st.accounts.get(account) else {
        return Answer::not_found(path);
    };
    let allowed = account == caller || entry.parent.as_deref() == Some(caller.as_str());
    if !allowed {
        return Answer::error(403, 20003, "Permission Denied");
    }
    match route {
        Route::Fetch(sid) => {
            if !is_sid(sid, "CN") {
                return Answer::not_found(path);
            }
            match entry.index.get(sid).and_then(|i| entry.apps.get(*i)) {
                Some((_, json)) => Answer::json(StatusCode::OK, json.clone()),
                None => Answer::not_found(path),
            }
        }
        Route::List => list_page(shared, account, entry, query, next_override),
    }
}

/// `GET /2010-04-01/Accounts.json`: the caller's account first, then its subaccounts, each
/// with its auth token (as Twilio sends them); `Status` and `FriendlyName` filter; paged.
fn accounts_page(shared: &Shared, st: &State, caller: &str, query: Option<&str>) -> Answer {
    let params = query.map(form_pairs).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let size = match get("PageSize").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Answer::error(400, 20001, "Invalid PageSize (must be 1..=1000)"),
    };
    let status = get("Status");
    if let Some(s) = status
        && !["active", "suspended", "closed"].contains(&s)
    {
        return Answer::error(400, 20001, &format!("Invalid Status: {s}"));
    }
    let name = get("FriendlyName");
    let scope = format!(
        "accounts:{caller}:{}:{}",
        status.unwrap_or(""),
        name.unwrap_or("")
    );
    let start = match get("PageToken") {
        Some(t) => match read_token(shared, &scope, t) {
            Some(offset) => offset,
            None => return Answer::error(400, 20001, &format!("Invalid PageToken: {t}")),
        },
        None => 0,
    };
    let page: usize = get("Page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let listed: Vec<&AccountEntry> = st
        .order
        .iter()
        .filter_map(|sid| Some((sid, st.accounts.get(sid)?)))
        .filter(|(sid, a)| *sid == caller || a.parent.as_deref() == Some(caller))
        .map(|(_, a)| a)
        .filter(|a| status.is_none_or(|s| a.status == s))
        .filter(|a| name.is_none_or(|n| a.friendly_name == n))
        .collect();
    let end = (start + size).min(listed.len());
    let base = "/2010-04-01/Accounts.json";
    let mut filters = String::new();
    for (k, v) in [("FriendlyName", name), ("Status", status)] {
        if let Some(v) = v {
            filters.push_str(&format!("{k}={}&", percent_encode(v)));
        }
    }
    let next = (end < listed.len()).then(|| {
        format!(
            "{base}?{filters}Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, &scope, end)
        )
    });
    let mut body = b"{\"accounts\":[".to_vec();
    for (i, a) in listed
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&a.json);
    }
    let s = |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    body.extend_from_slice(
        format!(
            "],\"end\":{},\"first_page_uri\":{},\"next_page_uri\":{},\"page\":{page},\"page_size\":{size},\"previous_page_uri\":null,\"start\":{start},\"uri\":{}}}",
            end.saturating_sub(1).max(start),
            s(&Some(format!("{base}?{filters}Page=0&PageSize={size}"))),
            s(&next),
            s(&Some(format!("{base}?{filters}Page={page}&PageSize={size}"))),
        )
        .as_bytes(),
    );
    Answer::json(StatusCode::OK, body)
}

fn percent_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn page_token(shared: &Shared, account: &str, offset: usize) -> String {
    let mut h = shared.token_salt ^ 0xcbf2_9ce4_8422_2325;
    for b in account.bytes().chain((offset as u64).to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("PA{offset:x}-{:08x}", h as u32)
}

fn read_token(shared: &Shared, account: &str, token: &str) -> Option<usize> {
    let rest = token.strip_prefix("PA")?;
    let (off, _) = rest.split_once('-')?;
    let offset = usize::from_str_radix(off, 16).ok()?;
    (page_token(shared, account, offset) == token).then_some(offset)
}

fn list_page(
    shared: &Shared,
    account: &str,
    entry: &AccountEntry,
    query: Option<&str>,
    next_override: Option<NextOverride>,
) -> Answer {
    let params = query.map(form_pairs).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let size = match get("PageSize") {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Answer::error(
                    400,
                    20001,
                    &format!("Invalid PageSize: {s} (must be 1..=1000)"),
                );
            }
        },
    };
    let page = match get("Page") {
        None => 0,
        Some(s) => match s.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return Answer::error(400, 20001, &format!("Invalid Page: {s}")),
        },
    };
    let start = match get("PageToken") {
        Some(t) => match read_token(shared, account, t) {
            Some(offset) => offset,
            None => return Answer::error(400, 20001, &format!("Invalid PageToken: {t}")),
        },
        None if page == 0 => 0,
        None => {
            return Answer::error(
                400,
                20001,
                "Page > 0 needs the PageToken from next_page_uri",
            );
        }
    };
    let total = entry.apps.len();
    let start = start.min(total);
    let end = (start + size).min(total);
    let base = format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json");
    let this_uri = match get("PageToken") {
        Some(_) => format!(
            "{base}?Page={page}&PageSize={size}&PageToken={}",
            page_token(shared, account, start)
        ),
        None => format!("{base}?Page={page}&PageSize={size}"),
    };
    let endless = matches!(next_override, Some(NextOverride::Endless(_)));
    let next = match next_override {
        Some(NextOverride::Foreign(origin)) => Some(format!("{origin}{this_uri}")),
        Some(NextOverride::Repeat) => Some(this_uri.clone()),
        Some(NextOverride::Reordered) => {
            let (path, query) = this_uri.split_once('?').unwrap_or((&this_uri, ""));
            let mut pairs: Vec<&str> = query.split('&').collect();
            pairs.reverse();
            Some(format!("{path}?{}", pairs.join("&")))
        }
        Some(NextOverride::Verbatim(uri)) => Some(uri),
        Some(NextOverride::Endless(n)) => Some(format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, account, n as usize)
        )),
        None if end < total => Some(format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, account, end)
        )),
        None => None,
    };
    let previous = (page > 0 && start > 0).then(|| {
        format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page - 1,
            page_token(shared, account, start.saturating_sub(size))
        )
    });
    let records = if endless {
        &[][..]
    } else {
        entry.apps.get(start..end).unwrap_or_default()
    };
    let mut body =
        Vec::with_capacity(records.iter().map(|(_, j)| j.len() + 1).sum::<usize>() + 1024);
    body.extend_from_slice(b"{\"authorized_connect_apps\":[");
    for (i, (_, json)) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(json);
    }
    let s = |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let first = format!("{base}?Page=0&PageSize={size}");
    let tail = match &shared.meta {
        // Newer APIs: the same records under `meta.key`, URLs absolute, no start/end.
        Some(origin) => {
            let abs = |v: &Option<String>| match v {
                Some(u) if u.starts_with('/') => s(&Some(format!("{origin}{u}"))),
                other => s(other),
            };
            format!(
                "],\"meta\":{{\"first_page_url\":{},\"key\":\"authorized_connect_apps\",\"next_page_url\":{},\"page\":{page},\"page_size\":{size},\"previous_page_url\":{},\"url\":{}}}}}",
                abs(&Some(first)),
                abs(&next),
                abs(&previous),
                abs(&Some(this_uri)),
            )
        }
        None => format!(
            "],\"end\":{},\"first_page_uri\":{},\"next_page_uri\":{},\"page\":{page},\"page_size\":{size},\"previous_page_uri\":{},\"start\":{start},\"uri\":{}}}",
            if end > start { end - 1 } else { start },
            s(&Some(first)),
            s(&next),
            s(&previous),
            s(&Some(this_uri)),
        ),
    };
    body.extend_from_slice(tail.as_bytes());
    Answer::json(StatusCode::OK, body)
}
