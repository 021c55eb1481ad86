//! One end-to-end suite, run for every transport. A [`Harness`] drives one client flavour
//! (blocking or async) over any transport of the core's contract; the `e2e_suite!` macro stamps
//! out the tests for a harness.
#![allow(unreachable_pub)] // shared by the test binaries, not an API
#![allow(dead_code)]

pub mod proxy;
pub mod raw;
pub mod tcp;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use twilio_connect_apps::error::TransportError;
use twilio_connect_apps::model::Page;
use twilio_connect_apps::wire::PageQuery;
use twilio_connect_apps::{
    AccountApps, AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Credentials, Cursor,
    Error, ListParams, RetryPolicy, Secret, SweepParams,
};
use twilio_connect_apps_client::{
    AsyncTransport, BuildTransport, ClientBuilder, Transport, asynchronous, blocking,
};
use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

/// Client settings a test may change.
#[derive(Clone)]
pub struct Opts {
    pub request_timeout: Duration,
    pub max_body_size: u64,
    pub retry: RetryPolicy,
    pub trust_emulator: bool,
    /// An explicit proxy URL; `None`: no proxy at all (the environment is ignored).
    pub proxy: Option<String>,
    /// Replaces the clock.
    pub clock: Option<Arc<dyn twilio_connect_apps_client::Clock>>,
    /// Sleeps the waits too (for a test about what concurrent calls do after them).
    pub sleep: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            // Generous: a test that is not about time must pass on a loaded machine.
            request_timeout: Duration::from_secs(60),
            max_body_size: 16 * 1024 * 1024,
            retry: RetryPolicy::default(),
            trust_emulator: true,
            proxy: None,
            clock: None,
            sleep: false,
        }
    }
}

/// The waits the retry policy asked for, recorded instead of slept.
#[derive(Clone, Default)]
pub struct Waits(Arc<Mutex<Vec<Duration>>>);

impl Waits {
    pub fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
    fn push(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

/// A transport that records each requested wait and returns at once (or sleeps it, with
/// [`Opts::sleep`]).
pub struct Recorded<T> {
    inner: T,
    waits: Waits,
    sleep: bool,
}

impl<T: Transport> Transport for Recorded<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.inner.send(request)
    }
    fn pause(&self, wait: Duration) {
        self.waits.push(wait);
        if self.sleep {
            std::thread::sleep(wait);
        }
        // Not slept; but another thread (a token refresh) may be what this wait is for.
        std::thread::yield_now();
    }
}

impl<T: AsyncTransport> AsyncTransport for Recorded<T> {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.inner.send(request).await
    }
    async fn pause(&self, wait: Duration) {
        self.waits.push(wait);
        if self.sleep {
            tokio::time::sleep(wait).await;
        }
        // Not slept; but another task (a token refresh) may be what this wait is for.
        tokio::task::yield_now().await;
    }
}

/// A clock stopped at one instant.
pub struct FixedClock {
    pub now: std::time::SystemTime,
}

impl twilio_connect_apps_client::Clock for FixedClock {
    fn now(&self) -> std::time::SystemTime {
        self.now
    }
}

/// What a listing gave before it ended.
pub struct Listed {
    pub apps: Vec<AuthorizedConnectApp>,
    pub error: Option<Error>,
    pub cursor: Cursor,
}

impl Listed {
    pub fn sids(&self) -> Vec<String> {
        self.apps
            .iter()
            .map(|a| a.connect_app_sid().map(str::to_owned).unwrap_or_default())
            .collect()
    }
}

/// The calls the suite makes, the same for every transport.
pub trait Harness: Sized {
    const NAME: &'static str;
    /// Whether the transport speaks TLS and tunnels through proxies.
    const TLS_AND_PROXY: bool = true;
    /// The most connections a sequential listing may use (`None`: one per request).
    const LISTING_CONNECTIONS: Option<u64> = Some(1);
    fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error>;
    fn waits(&self) -> Vec<Duration>;
    fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error>;
    fn fetch_with_meta(
        &self,
        app: &ConnectAppSid,
    ) -> Result<
        (
            AuthorizedConnectApp,
            twilio_connect_apps::model::ResponseMeta,
        ),
        Error,
    >;
    fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error>;
    /// Lists until the end or the first error.
    fn list(&self, params: ListParams) -> Result<Listed, Error>;
    fn resume(&self, cursor: Cursor) -> Result<Listed, Error>;
    /// Takes `n` records, then drops the listing.
    fn take(
        &self,
        params: ListParams,
        n: usize,
    ) -> Result<(Vec<AuthorizedConnectApp>, Cursor), Error>;
    fn page(&self, query: &PageQuery) -> Result<Page, Error>;
    fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<Page, Error>;
    fn page_at(&self, uri: &str) -> Result<Page, Error>;
    /// Sweeps every account; the results in completion order.
    fn sweep(&self, params: SweepParams) -> Result<Vec<Result<AccountApps, Error>>, Error>;
    /// Lists through `next_page_with` (borrowed views), each record written as an NDJSON
    /// line, until the end or the first error; the callback refuses its `refuse_at`-th record.
    fn views(&self, from: Start, refuse_at: Option<usize>) -> Result<Viewed, Error>;
}

/// Where a listing starts.
pub enum Start {
    New(ListParams),
    Resume(Cursor),
}

/// What a views listing gave before it ended.
pub struct Viewed {
    /// One `AppView::write_json` line per record.
    pub lines: Vec<String>,
    pub error: Option<Error>,
    pub cursor: Cursor,
}

/// The callback the views listings run: writes the record as a line, or refuses it.
fn view_line(
    lines: &mut Vec<String>,
    refuse_at: Option<usize>,
    app: twilio_connect_apps::AppView<'_>,
) -> Result<(), Error> {
    if refuse_at == Some(lines.len()) {
        return Err(Error::from(TransportError::new(
            twilio_connect_apps::error::TransportErrorKind::Other,
            "the callback refused this record",
            None,
        )));
    }
    let mut line = Vec::new();
    app.write_json(&mut line).unwrap();
    lines.push(String::from_utf8(line).unwrap());
    Ok(())
}

/// The builder settings every harness applies.
fn configure<T, M>(
    mut b: ClientBuilder<T, M>,
    emu: &Emulator,
    opts: &Opts,
) -> Result<ClientBuilder<T, M>, Error> {
    b = b
        .request_timeout(opts.request_timeout)
        .max_body_size(opts.max_body_size)
        .proxy_from_env(false);
    if let (Some(der), true) = (emu.ca_cert_der(), opts.trust_emulator) {
        b = b.root_certificate_der(der);
    }
    if let Some(p) = &opts.proxy {
        b = b.proxy(p)?;
    }
    if let Some(c) = &opts.clock {
        b = b.clock(c.clone());
    }
    Ok(b)
}

/// The blocking client over the transport `T`.
pub struct Sync<T: Transport> {
    pub client: blocking::Client<Recorded<T>>,
    waits: Waits,
}

fn drain_sync<T: Transport>(mut listing: blocking::Listing<T>) -> Listed {
    let mut apps = Vec::new();
    let mut error = None;
    for item in listing.by_ref() {
        match item {
            Ok(app) => apps.push(app),
            Err(e) => error = Some(e),
        }
    }
    Listed {
        apps,
        error,
        cursor: listing.cursor(),
    }
}

/// What the suite may expect of a transport.
pub trait Named {
    const NAME: &'static str;
    const TLS_AND_PROXY: bool = true;
    const LISTING_CONNECTIONS: Option<u64> = Some(1);
}
impl Named for twilio_connect_apps_ureq::UreqTransport {
    const NAME: &'static str = "ureq";
}
impl Named for twilio_connect_apps_hyper::HyperTransport {
    const NAME: &'static str = "hyper";
    // hyper-util's pool may open a second connection when the next request starts before
    // the previous connection is back in the pool (HTTP/1.1; HTTP/2 multiplexes one).
    const LISTING_CONNECTIONS: Option<u64> = Some(2);
}
impl Named for tcp::TcpTransport {
    const NAME: &'static str = "tcp";
    const TLS_AND_PROXY: bool = false;
    const LISTING_CONNECTIONS: Option<u64> = None;
}

impl<T: Transport + BuildTransport + Named + Send + std::marker::Sync + 'static> Harness
    for Sync<T>
{
    const NAME: &'static str = T::NAME;
    const TLS_AND_PROXY: bool = T::TLS_AND_PROXY;
    const LISTING_CONNECTIONS: Option<u64> = T::LISTING_CONNECTIONS;
    fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error> {
        let waits = Waits::default();
        let w = waits.clone();
        let client = configure(blocking::Client::<T>::builder(config), emu, opts)?.build_wrapped(
            |inner| Recorded {
                inner,
                waits: w,
                sleep: opts.sleep,
            },
        )?;
        Ok(Sync { client, waits })
    }
    fn waits(&self) -> Vec<Duration> {
        self.waits.take()
    }
    fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        self.client.fetch(app).map(|f| f.app)
    }
    fn fetch_with_meta(
        &self,
        app: &ConnectAppSid,
    ) -> Result<
        (
            AuthorizedConnectApp,
            twilio_connect_apps::model::ResponseMeta,
        ),
        Error,
    > {
        self.client.fetch(app).map(|f| (f.app, f.meta))
    }
    fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        self.client.fetch_in(account, app).map(|f| f.app)
    }
    fn list(&self, params: ListParams) -> Result<Listed, Error> {
        Ok(drain_sync(self.client.list(params)?))
    }
    fn resume(&self, cursor: Cursor) -> Result<Listed, Error> {
        Ok(drain_sync(self.client.resume(cursor)?))
    }
    fn take(
        &self,
        params: ListParams,
        n: usize,
    ) -> Result<(Vec<AuthorizedConnectApp>, Cursor), Error> {
        let mut listing = self.client.list(params)?;
        let apps = listing.by_ref().take(n).collect::<Result<Vec<_>, _>>()?;
        Ok((apps, listing.cursor()))
    }
    fn page(&self, query: &PageQuery) -> Result<Page, Error> {
        self.client.page(query)
    }
    fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<Page, Error> {
        self.client.page_in(account, query)
    }
    fn page_at(&self, uri: &str) -> Result<Page, Error> {
        self.client.page_at(uri)
    }
    fn sweep(&self, params: SweepParams) -> Result<Vec<Result<AccountApps, Error>>, Error> {
        Ok(self.client.sweep(params)?.collect())
    }
    fn views(&self, from: Start, refuse_at: Option<usize>) -> Result<Viewed, Error> {
        let mut listing = match from {
            Start::New(params) => self.client.list(params)?,
            Start::Resume(cursor) => self.client.resume(cursor)?,
        };
        let mut lines = Vec::new();
        let error = loop {
            match listing.next_page_with(|app| view_line(&mut lines, refuse_at, app)) {
                Ok(true) => {}
                Ok(false) => break None,
                Err(e) => break Some(e),
            }
        };
        Ok(Viewed {
            lines,
            error,
            cursor: listing.cursor(),
        })
    }
}

/// The async client over the transport `T`, driven from a runtime of its own.
pub struct Async<T: AsyncTransport> {
    pub client: asynchronous::Client<Recorded<T>>,
    pub rt: tokio::runtime::Runtime,
    waits: Waits,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn drain_async<T: AsyncTransport>(mut listing: asynchronous::Listing<T>) -> Listed {
    let mut apps = Vec::new();
    let mut error = None;
    while let Some(item) = listing.next().await {
        match item {
            Ok(app) => apps.push(app),
            Err(e) => error = Some(e),
        }
    }
    Listed {
        apps,
        error,
        cursor: listing.cursor(),
    }
}

impl<T: AsyncTransport + BuildTransport + Named> Harness for Async<T> {
    const NAME: &'static str = T::NAME;
    const TLS_AND_PROXY: bool = T::TLS_AND_PROXY;
    const LISTING_CONNECTIONS: Option<u64> = T::LISTING_CONNECTIONS;
    fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error> {
        let waits = Waits::default();
        let w = waits.clone();
        let rt = runtime();
        // hyper-util's pool needs the runtime when it is built.
        let _guard = rt.enter();
        let client = configure(asynchronous::Client::<T>::builder(config), emu, opts)?
            .build_wrapped(|inner| Recorded {
                inner,
                waits: w,
                sleep: opts.sleep,
            })?;
        drop(_guard);
        Ok(Async { client, rt, waits })
    }
    fn waits(&self) -> Vec<Duration> {
        self.waits.take()
    }
    fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
        self.rt.block_on(self.client.fetch(app)).map(|f| f.app)
    }
    fn fetch_with_meta(
        &self,
        app: &ConnectAppSid,
    ) -> Result<
        (
            AuthorizedConnectApp,
            twilio_connect_apps::model::ResponseMeta,
        ),
        Error,
    > {
        self.rt
            .block_on(self.client.fetch(app))
            .map(|f| (f.app, f.meta))
    }
    fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<AuthorizedConnectApp, Error> {
        self.rt
            .block_on(self.client.fetch_in(account, app))
            .map(|f| f.app)
    }
    fn list(&self, params: ListParams) -> Result<Listed, Error> {
        let listing = self.client.list(params)?;
        Ok(self.rt.block_on(drain_async(listing)))
    }
    fn resume(&self, cursor: Cursor) -> Result<Listed, Error> {
        let listing = self.client.resume(cursor)?;
        Ok(self.rt.block_on(drain_async(listing)))
    }
    fn take(
        &self,
        params: ListParams,
        n: usize,
    ) -> Result<(Vec<AuthorizedConnectApp>, Cursor), Error> {
        let mut listing = self.client.list(params)?;
        self.rt.block_on(async {
            let mut apps = Vec::new();
            while apps.len() < n {
                match listing.next().await {
                    Some(item) => apps.push(item?),
                    None => break,
                }
            }
            Ok((apps, listing.cursor()))
        })
    }
    fn page(&self, query: &PageQuery) -> Result<Page, Error> {
        self.rt.block_on(self.client.page(query))
    }
    fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<Page, Error> {
        self.rt.block_on(self.client.page_in(account, query))
    }
    fn page_at(&self, uri: &str) -> Result<Page, Error> {
        self.rt.block_on(self.client.page_at(uri))
    }
    fn sweep(&self, params: SweepParams) -> Result<Vec<Result<AccountApps, Error>>, Error> {
        let mut sweep = self.client.sweep(params)?;
        Ok(self.rt.block_on(async {
            let mut out = Vec::new();
            while let Some(r) = sweep.next().await {
                out.push(r);
            }
            out
        }))
    }
    fn views(&self, from: Start, refuse_at: Option<usize>) -> Result<Viewed, Error> {
        let mut listing = match from {
            Start::New(params) => self.client.list(params)?,
            Start::Resume(cursor) => self.client.resume(cursor)?,
        };
        let mut lines = Vec::new();
        let error = self.rt.block_on(async {
            loop {
                let more = listing
                    .next_page_with(|app| view_line(&mut lines, refuse_at, app))
                    .await;
                match more {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(e),
                }
            }
        });
        Ok(Viewed {
            lines,
            error,
            cursor: listing.cursor(),
        })
    }
}

pub fn config_for(emu: &Emulator, user: &str, token: &str) -> Config {
    let creds = if user.starts_with("SK") {
        Credentials::api_key(
            user.parse().unwrap(),
            Secret::new(token),
            DEFAULT_ACCOUNT_SID.parse().unwrap(),
        )
    } else {
        Credentials::auth_token(user.parse().unwrap(), Secret::new(token))
    };
    Config::new(creds).with_base_url(emu.base_url()).unwrap()
}

/// OAuth client credentials for the emulator's default account, exchanged on its own origin.
pub const OAUTH_CLIENT_ID: &str = "OQ00000000000000000000000000000001";
/// The client's secret.
pub const OAUTH_CLIENT_SECRET: &str = "oauth-client-SECRET-42";

pub fn oauth_config(emu: &Emulator) -> Config {
    Config::new(Credentials::oauth_client(
        DEFAULT_ACCOUNT_SID.parse().unwrap(),
        OAUTH_CLIENT_ID,
        Secret::new(OAUTH_CLIENT_SECRET),
    ))
    .with_base_url(emu.base_url())
    .unwrap()
    .with_oauth_base_url(emu.base_url())
    .unwrap()
}

/// The system clock, moved on by a settable offset: to make a client think its token expired.
#[derive(Default)]
pub struct SteppingClock(std::sync::atomic::AtomicU64);

impl SteppingClock {
    pub fn advance(&self, by: Duration) {
        self.0
            .fetch_add(by.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
    }
}

impl twilio_connect_apps_client::Clock for SteppingClock {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
            + Duration::from_millis(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

pub fn default_config(emu: &Emulator) -> Config {
    config_for(emu, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
}

pub fn client<T: Harness>(emu: &Emulator) -> T {
    client_with(emu, &Opts::default())
}

pub fn client_with<T: Harness>(emu: &Emulator, opts: &Opts) -> T {
    let config = default_config(emu).with_retry_policy(opts.retry.clone());
    T::new(config, emu, opts).unwrap()
}

/// No error text or `Debug` may show the token or the Authorization value.
pub fn assert_no_secret(e: &Error) {
    use base64::Engine as _;
    let text = format!("{e} {e:?}");
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}"));
    assert!(
        !text.contains(DEFAULT_AUTH_TOKEN) && !text.contains(&encoded),
        "secret in error: {text}"
    );
}

pub fn generated_sids(n: usize) -> Vec<String> {
    twilio_connect_apps_testbed::generate_apps(n, 1)
        .into_iter()
        .map(|a| a.connect_app_sid)
        .collect()
}

/// A raw HTTP/1.1 server that answers every request with `100 Continue` (carrying a
/// header), then `103 Early Hints`, then the real response, and closes.
pub struct InterimServer {
    pub base_url: String,
    count: Arc<std::sync::atomic::AtomicU64>,
}

impl InterimServer {
    pub fn start() -> InterimServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = br#"{"connect_app_friendly_name": "Interim"}"#;
                let mut out = b"HTTP/1.1 100 Continue\r\nX-Trace: 1\r\n\r\n".to_vec();
                out.extend_from_slice(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n");
                out.extend_from_slice(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(body);
                let _ = stream.write_all(&out);
            }
        });
        InterimServer { base_url, count }
    }

    pub fn requests(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Stamps out the end-to-end suite for a harness type, over plain HTTP and (where the
/// transport speaks it) TLS.
#[macro_export]
macro_rules! e2e_suite {
    ($harness:ty) => {
        mod plain {
            $crate::e2e_suite!(@tests $harness, false);
        }
        mod tls {
            $crate::e2e_suite!(@tests $harness, true);
        }
        #[test]
        fn tls_without_the_emulator_root_fails_and_is_not_retried() {
            $crate::suite::tls_untrusted::<$harness>();
        }
        #[test]
        fn listing_of_5000_under_10_percent_faults_yields_every_app_once_in_order() {
            $crate::suite::listing_under_random_faults::<$harness>();
        }
        #[test]
        fn views_hand_out_every_record_once_as_serde_writes_it() {
            $crate::suite::views::<$harness>();
        }
        #[test]
        fn retry_waits_are_the_ones_asked_for() {
            $crate::suite::retry_waits::<$harness>();
        }
        #[test]
        fn faults_recover_or_fail_as_they_should() {
            $crate::suite::faults::<$harness>();
        }
        #[test]
        fn slow_server_times_out_and_is_retried() {
            $crate::suite::timeouts::<$harness>();
        }
        #[test]
        fn next_uri_to_foreign_host_is_refused_and_foreign_host_sees_nothing() {
            $crate::suite::foreign_next::<$harness>();
        }
        #[test]
        fn redirect_is_not_followed() {
            $crate::suite::redirect::<$harness>();
        }
        #[test]
        fn oversized_body_stops_at_the_cap() {
            $crate::suite::oversized::<$harness>();
        }
        #[test]
        fn listing_counts_and_request_counts() {
            $crate::suite::listing_counts::<$harness>();
        }
        #[test]
        fn meta_envelope_with_absolute_next_urls() {
            $crate::suite::meta_envelope::<$harness>();
        }
        #[test]
        fn through_an_http_proxy_tunnel() {
            $crate::suite::through_proxy::<$harness>();
        }
        #[test]
        fn resume_after_dropping_mid_page() {
            $crate::suite::resume_mid_page::<$harness>();
        }
        #[test]
        fn hostile_pages_end_with_the_right_error() {
            $crate::suite::hostile_pages::<$harness>();
        }
        #[test]
        fn gzip_is_asked_for_decoded_and_bounded() {
            $crate::suite::compression::<$harness>();
        }
        #[test]
        fn sweep_reads_every_account_and_reports_the_failing_one() {
            $crate::suite::sweep::<$harness>();
        }
        #[test]
        fn adaptive_sweep_finds_the_accounts_limit_and_stays_under_it() {
            $crate::suite::adaptive_sweep::<$harness>();
        }
        #[test]
        fn request_ids_concurrency_and_attempts_on_results_and_errors() {
            $crate::suite::metadata::<$harness>();
        }
        #[test]
        fn oauth_listing_spans_token_expiries_one_refresh_each() {
            $crate::suite::oauth_listing_spans_expiries::<$harness>();
        }
        #[test]
        fn oauth_revoked_client_fails_once_clearly() {
            $crate::suite::oauth_revoked_client::<$harness>();
        }
        #[test]
        fn oauth_token_endpoint_down_is_retried_then_an_auth_error() {
            $crate::suite::oauth_token_endpoint_down::<$harness>();
        }
        #[test]
        fn content_length_with_chunked_is_refused_alike() {
            $crate::suite::length_and_chunked::<$harness>();
        }
        #[test]
        fn rfc_9457_problem_details_are_api_errors() {
            $crate::suite::problem_details::<$harness>();
        }
        #[test]
        fn oauth_sweep_of_401s_refreshes_once_per_token_generation() {
            $crate::suite::oauth_sweep_of_401s::<$harness>();
        }
        #[test]
        fn secrets_a_server_reflects_are_never_shown() {
            $crate::suite::reflected_secrets::<$harness>();
        }
        #[test]
        fn oauth_a_token_that_lives_0_s_is_an_error_not_a_token_storm() {
            $crate::suite::oauth_zero_lifetime_token::<$harness>();
        }
        #[test]
        fn malformed_answers_are_retried_alike_by_every_transport() {
            $crate::suite::malformed_answers::<$harness>();
        }
        #[test]
        fn interim_1xx_responses_are_skipped() {
            $crate::suite::interim_responses::<$harness>();
        }
    };
    (@tests $harness:ty, $tls:expr) => {
        #[test]
        fn fetch_and_errors() {
            $crate::suite::fetch_and_errors::<$harness>($tls);
        }
        #[test]
        fn api_key_and_subaccount() {
            $crate::suite::api_key_and_subaccount::<$harness>($tls);
        }
        #[test]
        fn full_listing_reuses_connections() {
            $crate::suite::connection_reuse::<$harness>($tls);
        }
        #[test]
        fn single_pages_and_cursors() {
            $crate::suite::pages::<$harness>($tls);
        }
    };
}
