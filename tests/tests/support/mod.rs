//! One end-to-end suite, run for every transport: each transport implements [`Transport`]
//! and the `e2e_suite!` macro stamps out the tests for it.

#![allow(dead_code)]

pub mod proxy;

use std::time::Duration;

use twilio_connect_apps::{
    AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Credentials, Cursor, Error,
    ListParams, Page, PageQuery, RetryPolicy, Secret,
};
use twilio_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

/// Client settings a test may change.
#[derive(Clone)]
pub struct Opts {
    pub request_timeout: Duration,
    pub max_body_size: u64,
    pub retry: RetryPolicy,
    pub trust_emulator: bool,
    /// An explicit proxy URL; `None`: no proxy at all (the environment is ignored).
    pub proxy: Option<String>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            request_timeout: Duration::from_secs(10),
            max_body_size: 16 * 1024 * 1024,
            retry: fast_retries(),
            trust_emulator: true,
            proxy: None,
        }
    }
}

/// The default retry budget with millisecond waits, so fault tests run fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(20))
        .with_max_retry_after(Duration::from_millis(20))
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
            .map(|a| a.connect_app_sid.clone().unwrap_or_default())
            .collect()
    }
}

/// The calls the suite makes, the same for every transport.
pub trait Transport: Sized {
    const NAME: &'static str;
    fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error>;
    fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error>;
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
    fn page(&self, query: &PageQuery, account: Option<&AccountSid>) -> Result<Page, Error>;
    fn page_at(&self, uri: &str) -> Result<Page, Error>;
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

pub fn default_config(emu: &Emulator) -> Config {
    config_for(emu, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
}

pub fn client<T: Transport>(emu: &Emulator) -> T {
    client_with(emu, &Opts::default())
}

pub fn client_with<T: Transport>(emu: &Emulator, opts: &Opts) -> T {
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
    twilio_testbed::generate_apps(n, 1)
        .into_iter()
        .map(|a| a.connect_app_sid)
        .collect()
}

/// Stamps out the end-to-end suite for a transport type, over plain HTTP and TLS.
#[macro_export]
macro_rules! e2e_suite {
    ($transport:ty) => {
        mod plain {
            $crate::e2e_suite!(@tests $transport, false);
        }
        mod tls {
            $crate::e2e_suite!(@tests $transport, true);
        }
        #[test]
        fn tls_without_the_emulator_root_fails_and_is_not_retried() {
            $crate::suite::tls_untrusted::<$transport>();
        }
        #[test]
        fn listing_of_5000_under_10_percent_faults_yields_every_app_once_in_order() {
            $crate::suite::listing_under_random_faults::<$transport>();
        }
        #[test]
        fn retry_after_is_honoured_with_the_default_policy() {
            $crate::suite::retry_after_default_policy::<$transport>();
        }
        #[test]
        fn faults_recover_or_fail_as_they_should() {
            $crate::suite::faults::<$transport>();
        }
        #[test]
        fn slow_server_times_out_and_is_retried() {
            $crate::suite::timeouts::<$transport>();
        }
        #[test]
        fn next_uri_to_foreign_host_is_refused_and_foreign_host_sees_nothing() {
            $crate::suite::foreign_next::<$transport>();
        }
        #[test]
        fn redirect_is_not_followed() {
            $crate::suite::redirect::<$transport>();
        }
        #[test]
        fn oversized_body_stops_at_the_cap() {
            $crate::suite::oversized::<$transport>();
        }
        #[test]
        fn listing_counts_and_request_counts() {
            $crate::suite::listing_counts::<$transport>();
        }
        #[test]
        fn meta_envelope_with_absolute_next_urls() {
            $crate::suite::meta_envelope::<$transport>();
        }
        #[test]
        fn through_an_http_proxy_tunnel_and_forward() {
            $crate::suite::through_proxy::<$transport>();
        }
        #[test]
        fn resume_after_dropping_mid_page() {
            $crate::suite::resume_mid_page::<$transport>();
        }
    };
    (@tests $transport:ty, $tls:expr) => {
        #[test]
        fn fetch_and_errors() {
            $crate::suite::fetch_and_errors::<$transport>($tls);
        }
        #[test]
        fn api_key_and_subaccount() {
            $crate::suite::api_key_and_subaccount::<$transport>($tls);
        }
        #[test]
        fn full_listing_uses_one_connection() {
            $crate::suite::one_connection::<$transport>($tls);
        }
        #[test]
        fn single_pages_and_cursors() {
            $crate::suite::pages::<$transport>($tls);
        }
    };
}
