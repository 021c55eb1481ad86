//! Credentials, the API origin (with edge and region), and everything else a request needs.

use std::fmt;

use base64::Engine as _;
use http::HeaderValue;
use url::{Host, Url};

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::sid::{AccountSid, ApiKeySid};

/// Twilio's default API origin.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// How requests authenticate (HTTP Basic).
///
/// `Debug` never shows the secret:
///
/// ```
/// use twilio_connect_apps::{Credentials, Secret};
/// let creds = Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
///     Secret::new("s3cr3t-token"),
/// );
/// assert!(!format!("{creds:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// An account SID and its auth token; the account acted on defaults to this one.
    AuthToken {
        /// The account SID (the Basic user name).
        account_sid: AccountSid,
        /// The auth token (the Basic password).
        auth_token: Secret,
    },
    /// An API key and its secret, plus the account to act on (an API key alone does not say).
    ApiKey {
        /// The API key SID (the Basic user name).
        key_sid: ApiKeySid,
        /// The API key secret (the Basic password).
        secret: Secret,
        /// The account whose resources are read by default.
        account_sid: AccountSid,
    },
}

impl Credentials {
    /// Account SID and auth token.
    pub fn auth_token(account_sid: AccountSid, auth_token: Secret) -> Self {
        Credentials::AuthToken {
            account_sid,
            auth_token,
        }
    }

    /// API key SID and secret, acting on `account_sid`.
    pub fn api_key(key_sid: ApiKeySid, secret: Secret, account_sid: AccountSid) -> Self {
        Credentials::ApiKey {
            key_sid,
            secret,
            account_sid,
        }
    }

    /// The account acted on by default.
    pub fn account_sid(&self) -> &AccountSid {
        match self {
            Credentials::AuthToken { account_sid, .. }
            | Credentials::ApiKey { account_sid, .. } => account_sid,
        }
    }

    /// Reads credentials from the process environment; see [`Credentials::from_env_with`].
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Reads credentials through `lookup` (a stand-in for the environment, for tests).
    ///
    /// `TWILIO_API_KEY` + `TWILIO_API_SECRET` + `TWILIO_ACCOUNT_SID` win when the key is set;
    /// otherwise `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN`. Empty values count as unset.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let account = get("TWILIO_ACCOUNT_SID");
        if let Some(key) = get("TWILIO_API_KEY") {
            let secret = get("TWILIO_API_SECRET").ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_API_KEY is set but TWILIO_API_SECRET is not",
                )
            })?;
            let account = account.ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_API_KEY is set but TWILIO_ACCOUNT_SID (the account to act on) is not",
                )
            })?;
            return Ok(Credentials::api_key(
                key.trim().parse()?,
                Secret::new(secret),
                account.trim().parse()?,
            ));
        }
        match (account, get("TWILIO_AUTH_TOKEN")) {
            (Some(account), Some(token)) => Ok(Credentials::auth_token(
                account.trim().parse()?,
                Secret::new(token),
            )),
            (Some(_), None) => Err(Error::input(
                "credentials",
                "TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not",
            )),
            (None, _) => Err(Error::input(
                "credentials",
                "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_ACCOUNT_SID",
            )),
        }
    }

    fn basic_authorization(&self) -> Result<HeaderValue, Error> {
        let (user, password) = match self {
            Credentials::AuthToken {
                account_sid,
                auth_token,
            } => (account_sid.as_str(), auth_token),
            Credentials::ApiKey {
                key_sid, secret, ..
            } => (key_sid.as_str(), secret),
        };
        if password.is_empty() {
            return Err(Error::input("credentials", "the secret is empty"));
        }
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{user}:{}", password.expose()));
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .map_err(|_| Error::input("credentials", "cannot be put in a header"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// The scheme, host and port that every request goes to, e.g. `https://api.twilio.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
    serialized: String,
}

impl Origin {
    fn new(scheme: &str, host: &str, port: Option<u16>) -> Self {
        let default_port = match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        let port = port.filter(|p| Some(*p) != default_port);
        let serialized = match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        Origin {
            scheme: scheme.to_owned(),
            host: host.to_owned(),
            port,
            serialized,
        }
    }

    fn of_url(url: &Url) -> Option<Self> {
        let host = match url.host()? {
            Host::Domain(d) => d.to_ascii_lowercase(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => format!("[{ip}]"),
        };
        Some(Origin::new(url.scheme(), &host, url.port()))
    }

    /// The origin as `scheme://host[:port]`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// The scheme, `https` or (loopback only) `http`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host name or address (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when it is not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether this origin is on the loopback interface (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h.eq_ignore_ascii_case("localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Resolves `uri` (a path, or an absolute URL) against this origin; the result keeps the
    /// URL's own origin, so callers can check it.
    pub(crate) fn join(&self, uri: &str) -> Result<Url, url::ParseError> {
        Url::parse(&self.serialized).and_then(|base| base.join(uri))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

/// Applies Twilio's edge/region rule to a host name.
///
/// Only hosts under `twilio.com` change. A host reads as `product[.edge][.region].twilio.com`;
/// configured values override what the host holds, and an edge with no region gets `us1`.
pub(crate) fn regional_host(host: &str, edge: Option<&str>, region: Option<&str>) -> String {
    if edge.is_none() && region.is_none() {
        return host.to_owned();
    }
    let lower = host.to_ascii_lowercase();
    if !(lower.ends_with(".twilio.com")) {
        return host.to_owned();
    }
    let pieces: Vec<&str> = lower.split('.').collect();
    let (url_edge, url_region) = match pieces.as_slice() {
        [_, r, _, _] => (None, Some(*r)),
        [_, e, r, _, _] => (Some(*e), Some(*r)),
        _ => (None, None),
    };
    let product = pieces.first().copied().unwrap_or("api");
    let edge = edge.or(url_edge);
    let region = region.or(url_region).or(edge.map(|_| "us1"));
    let mut out = String::from(product);
    for part in [edge, region].into_iter().flatten() {
        out.push('.');
        out.push_str(part);
    }
    out.push_str(".twilio.com");
    out
}

/// Everything a request needs: credentials, origin (with edge/region), `User-Agent`, retry policy.
///
/// Build it once and share it; every request builder and the [`Paginator`](crate::Paginator)
/// read from it.
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
    authorization: Result<HeaderValue, String>,
    retry: RetryPolicy,
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
        let authorization = credentials.basic_authorization().map_err(|e| e.to_string());
        let base = Origin::new("https", "api.twilio.com", None);
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
            retry: RetryPolicy::default(),
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
        Ok(config)
    }

    /// Sends requests to another origin, e.g. an emulator or mock server.
    ///
    /// Must be `https://`, or `http://` for a loopback host; no user info, path, query or fragment.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        let bad = |why: String| Error::input("base_url", format!("`{base_url}` {why}"));
        let url = Url::parse(base_url).map_err(|e| bad(format!("is not a URL: {e}")))?;
        let origin = Origin::of_url(&url).ok_or_else(|| bad("has no host".into()))?;
        match url.scheme() {
            "https" => {}
            "http" if origin.is_loopback() => {}
            "http" => {
                return Err(bad(
                    "uses plain http, allowed only for loopback hosts; use https".into(),
                ));
            }
            other => return Err(bad(format!("has scheme `{other}`, not http or https"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "must not carry user info; give credentials separately".into()
            ));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "must be an origin only (no path, query or fragment)".into()
            ));
        }
        self.base = origin;
        self.recompute_origin();
        Ok(self)
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

    pub(crate) fn authorization(&self) -> Result<&HeaderValue, Error> {
        self.authorization
            .as_ref()
            .map_err(|m| Error::input("credentials", m.clone()))
    }

    /// Puts `url` on the configured origin's host rule (edge/region), for next-page URLs.
    pub(crate) fn regionalize(&self, url: &mut Url) {
        if let Some(host) = url.host_str() {
            let new_host = regional_host(host, self.edge.as_deref(), self.region.as_deref());
            if new_host != host {
                // Swapping DNS labels of a valid host keeps it valid; on the impossible failure
                // the URL keeps its host and the origin check refuses it.
                let _ = url.set_host(Some(&new_host));
            }
        }
    }

    /// The origin of `url` after the edge/region rule, for comparison with [`Config::origin`].
    pub(crate) fn origin_of(&self, url: &Url) -> Option<Origin> {
        let mut url = url.clone();
        self.regionalize(&mut url);
        Origin::of_url(&url)
    }

    fn recompute_origin(&mut self) {
        let host = regional_host(
            &self.base.host,
            self.edge.as_deref(),
            self.region.as_deref(),
        );
        self.origin = Origin::new(&self.base.scheme, &host, self.base.port);
    }
}

fn host_label(field: &'static str, value: &str) -> Result<String, Error> {
    let v = value.trim().to_ascii_lowercase();
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(v)
    } else {
        Err(Error::input(
            field,
            format!("`{value}` is not a host label (letters, digits and inner hyphens)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn creds() -> Credentials {
        Credentials::auth_token(AC.parse().unwrap(), Secret::new("tok-SECRET-123"))
    }

    #[test]
    fn edge_and_region_table() {
        // (base url, edge, region, expected origin)
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
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
    }

    #[test]
    fn base_url_rules() {
        let ok = [
            "https://api.twilio.com",
            "https://example.com/",
            "http://127.0.0.1:4010",
            "http://127.9.9.9",
            "http://localhost:1234",
            "http://[::1]:8080",
        ];
        for u in ok {
            assert!(Config::new(creds()).with_base_url(u).is_ok(), "{u}");
        }
        let bad = [
            ("http://example.com", "loopback"),
            ("http://10.0.0.1", "loopback"),
            ("ftp://127.0.0.1", "scheme"),
            ("https://u:p@example.com", "user info"),
            ("https://example.com/api", "origin only"),
            ("https://example.com/?a=b", "origin only"),
            ("not a url", "not a URL"),
        ];
        for (u, why) in bad {
            let e = Config::new(creds()).with_base_url(u).unwrap_err();
            assert!(e.to_string().contains(why), "{u}: {e}");
        }
        assert!(Config::new(creds()).with_edge("bad.edge").is_err());
        assert!(Config::new(creds()).with_region("").is_err());
    }

    #[test]
    fn env_reading() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "t"),
            ("TWILIO_EDGE", "sydney"),
            ("TWILIO_REGION", "au1"),
        ]))
        .unwrap();
        assert_eq!(c.origin().as_str(), "https://api.sydney.au1.twilio.com");
        assert!(matches!(c.credentials(), Credentials::AuthToken { .. }));

        const SK: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let c = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_API_KEY", SK),
            ("TWILIO_API_SECRET", "s"),
            ("TWILIO_AUTH_TOKEN", ""),
        ]))
        .unwrap();
        assert!(matches!(c.credentials(), Credentials::ApiKey { .. }));
        assert_eq!(c.account_sid().as_str(), AC);

        let e = Config::from_env_with(env(&[("TWILIO_API_KEY", SK), ("TWILIO_API_SECRET", "s")]))
            .unwrap_err();
        assert!(e.to_string().contains("TWILIO_ACCOUNT_SID"), "{e}");
        let e = Config::from_env_with(env(&[])).unwrap_err();
        assert!(e.to_string().contains("TWILIO_AUTH_TOKEN"), "{e}");
        let e = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", "ACnope"),
            ("TWILIO_AUTH_TOKEN", "t"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("account SID"), "{e}");
        let e = Config::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "t"),
            ("TWILIO_BASE_URL", "http://example.com"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
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
