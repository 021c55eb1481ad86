//! Everything a request needs: credentials, origin, `User-Agent`, retry policy.

use std::fmt;

use http::HeaderValue;
use url::Url;

use crate::base::sid::AccountSid;
use crate::config::credentials::Credentials;
use crate::config::origin::{Origin, host_label, regional_host};
use crate::config::retry::RetryPolicy;
use crate::error::Error;

/// Everything a request needs: credentials, origin (with edge/region), `User-Agent`, retry policy.
///
/// Build it once and share it; every request builder and the [`ListingMachine`](crate::machine::ListingMachine)
/// read from it. Every setter checks its input, so a `Config` is always usable.
///
/// ```
/// use twilio_connect_apps::{Config, Credentials, Secret};
/// let config = Config::new(Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("token"),
/// ))
/// .with_edge("sydney")?
/// .with_region("au1")?;
/// assert_eq!(config.origin().as_str(), "https://api.sydney.au1.twilio.com");
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    credentials: Credentials,
    base: Origin,
    edge: Option<String>,
    region: Option<String>,
    origin: Origin,
    user_agent_extensions: Vec<String>,
    user_agent: HeaderValue,
    authorization: Option<HeaderValue>,
    oauth_origin: Origin,
    retry: RetryPolicy,
    compression: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("credentials", &self.credentials)
            .field("origin", &self.origin.as_str())
            .field("edge", &self.edge)
            .field("region", &self.region)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("compression", &self.compression)
            .field("oauth_origin", &self.oauth_origin.as_str())
            .finish_non_exhaustive()
    }
}

/// The `User-Agent` this crate sends: `twilio-connect-apps/<version> (<os> <arch>) rust`.
pub fn default_user_agent() -> String {
    format!(
        "twilio-connect-apps/{} ({} {}) rust",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

impl Config {
    /// A configuration for Twilio's default origin with the default retry policy.
    pub fn new(credentials: Credentials) -> Self {
        let authorization = credentials.basic_authorization();
        let base = Origin::twilio();
        Config {
            credentials,
            origin: base.clone(),
            base,
            edge: None,
            region: None,
            user_agent_extensions: Vec::new(),
            user_agent: HeaderValue::from_str(&default_user_agent())
                .unwrap_or(HeaderValue::from_static("twilio-connect-apps rust")),
            authorization,
            oauth_origin: Origin::twilio_oauth(),
            retry: RetryPolicy::default(),
            compression: true,
        }
    }

    /// Reads credentials, `TWILIO_EDGE`, `TWILIO_REGION` and `TWILIO_BASE_URL` from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading through `lookup` instead of the environment.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Config::new(Credentials::from_env_with(&lookup)?);
        if let Some(url) = get("TWILIO_BASE_URL") {
            config = config.with_base_url(url.trim())?;
        }
        if let Some(edge) = get("TWILIO_EDGE") {
            config = config.with_edge(edge.trim())?;
        }
        if let Some(region) = get("TWILIO_REGION") {
            config = config.with_region(region.trim())?;
        }
        if let Some(url) = get("TWILIO_OAUTH_BASE_URL") {
            config = config.with_oauth_base_url(url.trim())?;
        }
        Ok(config)
    }

    /// Sends requests to another origin, e.g. an emulator or mock server.
    ///
    /// Must be `https://`, or `http://` for a loopback host; no user info, path, query or
    /// fragment (see [`Origin::parse`]).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.base = Origin::parse(base_url)?;
        self.recompute_origin();
        Ok(self)
    }

    /// Where OAuth client credentials are exchanged for access tokens (default
    /// `https://oauth.twilio.com`; the token endpoint is `/v2/token` on it). The same rule as
    /// [`Config::with_base_url`]: `https://`, or `http://` for a loopback host.
    pub fn with_oauth_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.oauth_origin = Origin::parse(base_url).map_err(|e| e.renamed("oauth_base_url"))?;
        Ok(self)
    }

    /// The OAuth token service's origin.
    pub fn oauth_origin(&self) -> &Origin {
        &self.oauth_origin
    }

    /// Routes through a Twilio edge location (e.g. `sydney`); a region defaults to `us1`.
    pub fn with_edge(mut self, edge: &str) -> Result<Self, Error> {
        self.edge = Some(host_label("edge", edge)?);
        self.recompute_origin();
        Ok(self)
    }

    /// Uses a Twilio region (e.g. `ie1`, `au1`).
    pub fn with_region(mut self, region: &str) -> Result<Self, Error> {
        self.region = Some(host_label("region", region)?);
        self.recompute_origin();
        Ok(self)
    }

    /// Adds a product token (e.g. `my-app/1.2`) to the end of the `User-Agent`.
    pub fn with_user_agent_extension(mut self, extension: &str) -> Result<Self, Error> {
        if extension.is_empty() || extension.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(Error::input(
                "user_agent_extension",
                "must be non-empty printable ASCII",
            ));
        }
        self.user_agent_extensions.push(extension.to_owned());
        let ua = format!(
            "{} {}",
            default_user_agent(),
            self.user_agent_extensions.join(" ")
        );
        self.user_agent = HeaderValue::from_str(&ua)
            .map_err(|_| Error::input("user_agent_extension", "not a valid header value"))?;
        Ok(self)
    }

    /// Whether requests ask for gzip (`Accept-Encoding: gzip`, on by default; a 100k-app
    /// listing moves a tenth of the bytes). The clients decode it, whatever the transport, with
    /// the body cap on the decoded size.
    pub fn with_compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Whether requests ask for gzip.
    pub fn compression(&self) -> bool {
        self.compression
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The account acted on when a call names none.
    pub fn account_sid(&self) -> &AccountSid {
        self.credentials.account_sid()
    }

    /// The origin requests go to, after edge and region are applied.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The configured edge, if any.
    pub fn edge(&self) -> Option<&str> {
        self.edge.as_deref()
    }

    /// The configured region, if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The `User-Agent` header value sent with every request.
    pub fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }

    /// The Basic `Authorization` value (`None` for OAuth clients: the exchange adds a bearer
    /// token).
    pub(crate) fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// The origin of `url` after the edge/region rule, for comparison with [`Config::origin`].
    pub(crate) fn origin_of(&self, url: &Url) -> Option<Origin> {
        let origin = Origin::of_url(url)?;
        let host = regional_host(origin.host(), self.edge(), self.region());
        Some(Origin::new(origin.scheme(), &host, origin.port()))
    }

    fn recompute_origin(&mut self) {
        self.origin = self.base.regionalized(self.edge(), self.region());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DEFAULT_BASE_URL;
    use crate::base::secret::Secret;
    use base64::Engine as _;

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn creds() -> Credentials {
        Credentials::auth_token(AC.parse().unwrap(), Secret::new("tok-SECRET-123"))
    }

    #[test]
    fn edge_and_region_table() {
        // (base url, edge, region, expected origin)
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str);
        let cases: &[Case] = &[
            (DEFAULT_BASE_URL, None, None, "https://api.twilio.com"),
            (
                DEFAULT_BASE_URL,
                None,
                Some("ie1"),
                "https://api.ie1.twilio.com",
            ),
            (
                DEFAULT_BASE_URL,
                Some("dublin"),
                None,
                "https://api.dublin.us1.twilio.com",
            ),
            (
                DEFAULT_BASE_URL,
                Some("dublin"),
                Some("ie1"),
                "https://api.dublin.ie1.twilio.com",
            ),
            // configured values override what the URL holds
            (
                "https://api.ie1.twilio.com",
                None,
                None,
                "https://api.ie1.twilio.com",
            ),
            (
                "https://api.ie1.twilio.com",
                None,
                Some("au1"),
                "https://api.au1.twilio.com",
            ),
            (
                "https://api.ie1.twilio.com",
                Some("sydney"),
                None,
                "https://api.sydney.ie1.twilio.com",
            ),
            (
                "https://api.dublin.ie1.twilio.com",
                None,
                Some("au1"),
                "https://api.dublin.au1.twilio.com",
            ),
            (
                "https://api.dublin.ie1.twilio.com",
                Some("sydney"),
                None,
                "https://api.sydney.ie1.twilio.com",
            ),
            (
                "https://api.dublin.ie1.twilio.com",
                Some("sydney"),
                Some("au1"),
                "https://api.sydney.au1.twilio.com",
            ),
            // only the host changes: scheme and port stay
            (
                "https://api.twilio.com:8443",
                Some("sydney"),
                Some("au1"),
                "https://api.sydney.au1.twilio.com:8443",
            ),
            // non-Twilio hosts (emulators) are left alone
            (
                "http://127.0.0.1:4010",
                Some("sydney"),
                Some("au1"),
                "http://127.0.0.1:4010",
            ),
        ];
        for (base, edge, region, want) in cases {
            let mut c = Config::new(creds()).with_base_url(base).unwrap();
            if let Some(e) = edge {
                c = c.with_edge(e).unwrap();
            }
            if let Some(r) = region {
                c = c.with_region(r).unwrap();
            }
            assert_eq!(c.origin().as_str(), *want, "{base} {edge:?} {region:?}");
        }
    }

    #[test]
    fn order_of_setters_does_not_matter() {
        let a = Config::new(creds())
            .with_edge("sydney")
            .unwrap()
            .with_base_url("https://api.twilio.com")
            .unwrap();
        assert_eq!(a.origin().as_str(), "https://api.sydney.us1.twilio.com");
        assert!(Config::new(creds()).with_edge("bad.edge").is_err());
        assert!(Config::new(creds()).with_region("").is_err());
    }

    #[test]
    fn env_reading() {
        use crate::config::credentials::tests::env;
        let c = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "t"),
            ("TWILIO_EDGE", "sydney"),
            ("TWILIO_REGION", "au1"),
        ]))
        .unwrap();
        assert_eq!(c.origin().as_str(), "https://api.sydney.au1.twilio.com");
        assert!(matches!(c.credentials(), Credentials::AuthToken { .. }));
        let e = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "t"),
            ("TWILIO_BASE_URL", "http://example.com"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        let e = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "t"),
            (
                "TWILIO_BASE_URL",
                "https://AC1:tok-SECRET-123@api.twilio.com",
            ),
        ]))
        .unwrap_err();
        assert!(!e.to_string().contains("tok-SECRET-123"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = Config::new(creds());
        let dbg = format!("{c:?} {c:#?}");
        assert!(!dbg.contains("tok-SECRET-123"), "{dbg}");
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{AC}:tok-SECRET-123"));
        assert!(!dbg.contains(&encoded), "{dbg}");
    }
}
