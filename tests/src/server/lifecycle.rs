//! Starting and stopping the emulator: the builder, the running server's handle, and the
//! accept loop on a thread of its own.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::SystemTime;

use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::data::{Account, ApiKey, App, Dataset};
use crate::faults::{FaultRule, FaultScript};
use crate::server::handler::handle;
use crate::server::oauth::{DEFAULT_TOKEN_TTL, IssuedToken, OAuthClientEntry};
use crate::server::state::{RecordedRequest, Shared, State, index_data};
use crate::tls;

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
    oauth_clients: Vec<(String, String, String)>,
    oauth_token_ttl: std::time::Duration,
    concurrency_limit: Option<u32>,
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
            oauth_clients: Vec::new(),
            oauth_token_ttl: DEFAULT_TOKEN_TTL,
            concurrency_limit: None,
        }
    }
}

impl EmulatorBuilder {
    /// Serve this data instead of [`Dataset::sample`].
    pub fn dataset(mut self, data: Dataset) -> Self {
        self.data = data;
        self
    }

    /// The audit scenario: [`Dataset::audit_scenario`] (the sample account, its subaccounts,
    /// apps with `post-all`), and a fault that makes the listing of
    /// [`AUDIT_FAILING_SUBACCOUNT`](crate::AUDIT_FAILING_SUBACCOUNT) fail with 403.
    pub fn audit_scenario(mut self) -> Self {
        self.data = Dataset::audit_scenario();
        self.faults.rules.insert(
            0,
            crate::FaultRule::new(
                crate::Trigger::PathContains(format!(
                    "{}/AuthorizedConnectApps",
                    crate::AUDIT_FAILING_SUBACCOUNT
                )),
                crate::Fault::Status(403, crate::ErrorBody::Twilio),
            ),
        );
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

    /// Registers an OAuth client: `POST /v2/token` (on this same origin) hands it access
    /// tokens that read `account_sid`'s apps (and its subaccounts').
    pub fn oauth_client(mut self, client_id: &str, client_secret: &str, account_sid: &str) -> Self {
        self.oauth_clients
            .push((client_id.into(), client_secret.into(), account_sid.into()));
        self
    }

    /// How long an access token lives (default an hour); an expired one is refused with
    /// 401 (20003), as Twilio does.
    pub fn oauth_token_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.oauth_token_ttl = ttl;
        self
    }

    /// At most `n` requests of one set of credentials in flight at once: more are answered
    /// 429 with Twilio's 20429 body, as Twilio limits each account's concurrency. Every request
    /// made with the same credentials counts (a whole sweep together).
    pub fn concurrency_limit(mut self, n: u32) -> Self {
        self.concurrency_limit = Some(n);
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
                api_requests: 0,
                oauth_clients: self
                    .oauth_clients
                    .into_iter()
                    .map(|(id, secret, account_sid)| {
                        let entry = OAuthClientEntry {
                            secret,
                            account_sid,
                            revoked: false,
                        };
                        (id, entry)
                    })
                    .collect(),
                tokens: Default::default(),
                issued: Vec::new(),
                token_serial: 0,
                in_flight: Default::default(),
                over_limit: 0,
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
            oauth_token_ttl: self.oauth_token_ttl,
            concurrency_limit: self.concurrency_limit,
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
    #[allow(
        clippy::expect_used,
        reason = "documented: a test-bed convenience that panics"
    )]
    pub fn start() -> Emulator {
        Self::builder().start().expect("start the emulator")
    }

    /// An HTTPS emulator with [`Dataset::sample`] on a free port.
    #[allow(
        clippy::expect_used,
        reason = "documented: a test-bed convenience that panics"
    )]
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

    /// Replaces the fault script; its rules count requests from now on (`nth=1` is the next
    /// API request).
    pub fn set_faults(&self, faults: FaultScript) {
        let mut st = self.shared.lock();
        st.faults = faults.armed_after(st.api_requests);
    }

    /// Revokes an OAuth client: its tokens are refused from now on, and so is the client at
    /// the token endpoint (401).
    pub fn revoke_oauth_client(&self, client_id: &str) {
        if let Some(c) = self.shared.lock().oauth_clients.get_mut(client_id) {
            c.revoked = true;
        }
    }

    /// Every access token handed out so far, in order.
    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        self.shared.lock().issued.clone()
    }

    /// How many requests were answered 429 because the concurrency limit was passed.
    pub fn over_limit_count(&self) -> u64 {
        self.shared.lock().over_limit
    }

    /// Adds `app` to `account_sid`'s apps (at the end of its listing), or changes the app of
    /// that SID in place (its permissions, say): the next listing shows it. True when it was
    /// added. The standalone binary offers the same over HTTP (`PUT /_emulator/…`, see the
    /// binary's `--help`).
    ///
    /// ```
    /// use twilio_connect_apps_testbed::{App, DEFAULT_ACCOUNT_SID, Emulator};
    /// let emu = Emulator::start();
    /// let mut app = App::new("CN0000000000000000000000000000b001", "Call Insights");
    /// app.permissions = Some(vec!["get-all".into(), "post-all".into()]);
    /// assert_eq!(emu.upsert_app(DEFAULT_ACCOUNT_SID, &app), Ok(false)); // changed in place
    /// assert!(emu.remove_app(DEFAULT_ACCOUNT_SID, "CN0000000000000000000000000000b003"));
    /// ```
    pub fn upsert_app(&self, account_sid: &str, app: &App) -> Result<bool, String> {
        self.shared.lock().upsert_app(account_sid, app)
    }

    /// Removes an app from `account_sid`'s apps; false when it had none of that SID.
    pub fn remove_app(&self, account_sid: &str, connect_app_sid: &str) -> bool {
        self.shared.lock().remove_app(account_sid, connect_app_sid)
    }

    /// Adds a fault rule after the existing ones, armed from now on (`nth=1` is the next API
    /// request). The standalone binary offers the same over HTTP (`POST /_emulator/faults`).
    ///
    /// ```
    /// use twilio_connect_apps_testbed::Emulator;
    /// let emu = Emulator::start();
    /// emu.add_fault("always:status=503/twilio:times=2".parse()?);
    /// assert_eq!(emu.faults()[0].fired(), 0);
    /// emu.clear_faults();
    /// assert!(emu.faults().is_empty());
    /// # Ok::<(), String>(())
    /// ```
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.lock().add_fault(rule);
    }

    /// The fault rules in order, each with how often it fired and how many firings are left.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.shared.lock().faults.rules().to_vec()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().faults = FaultScript::new();
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
