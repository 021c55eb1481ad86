//! Which proxy, if any, requests go through: one rule for every transport, decided once per
//! client from the configured origin.
//!
//! - A loopback origin (`localhost`, `127.0.0.0/8`, `::1`) is never proxied. Since plain
//!   `http://` is only allowed for loopback origins, the Twilio credentials never cross a proxy
//!   in cleartext: anything proxied is `https://` inside a `CONNECT` tunnel.
//! - An explicit proxy URL wins over the environment.
//! - From the environment: `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` (the
//!   first that is set and not empty). `HTTP_PROXY`/`http_proxy` are never read: no origin that
//!   could be proxied is plain http (and so a CGI `Proxy:` header, "httpoxy", cannot steer it).
//! - `no_proxy`/`NO_PROXY`: comma-separated; `*` (everything), domain names (`example.com`
//!   matches it and its subdomains; a leading `.` or `*.` is allowed), IP addresses, and CIDR
//!   blocks (`10.0.0.0/8`, `fd00::/8`).
//! - Only `http://` proxies are supported (a value without a scheme is read as `http://`); a
//!   `socks5://`, `https://` or any other scheme is an error that names the variable, never
//!   silently ignored. A port defaults to 80; user info becomes `Proxy-Authorization` on the
//!   `CONNECT` request.

use core::net::IpAddr;
use std::fmt;

use base64::Engine as _;
use http::HeaderValue;
use url::Url;

use crate::base::secret::Secret;
use crate::base::text::without_user_info;
use crate::config::origin::Origin;
use crate::error::Error;

/// Where a client's proxy comes from.
#[derive(Clone, Debug, Default)]
pub enum ProxyChoice {
    /// The environment variables of the module docs.
    #[default]
    FromEnv,
    /// This URL (may hold credentials).
    Url(Secret),
    /// Never.
    Off,
}

/// An HTTP proxy that `https://` requests go through, in a `CONNECT` tunnel.
///
/// `Debug` and `Display` never show its credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpProxy {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<Secret>,
    source: &'static str,
}

impl HttpProxy {
    /// The proxy's host (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://host:port`, without credentials.
    pub fn uri(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Where it came from: `HTTPS_PROXY`, `ALL_PROXY`, ... or `proxy URL` when given explicitly.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The `Proxy-Authorization` value for the `CONNECT` request, marked sensitive, when the
    /// proxy URL held user info.
    pub fn basic_auth(&self) -> Option<HeaderValue> {
        let user = self.user.as_deref()?;
        let password = self.password.as_ref().map(Secret::expose).unwrap_or("");
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// `http://[user:password@]host:port`, for HTTP crates that take credentials in the URL.
    pub fn url_with_credentials(&self) -> Secret {
        let enc = |s: &str| {
            url::form_urlencoded::byte_serialize(s.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        };
        match &self.user {
            Some(user) => {
                let password = self.password.as_ref().map(Secret::expose).unwrap_or("");
                Secret::new(format!(
                    "http://{}:{}@{}:{}",
                    enc(user),
                    enc(password),
                    self.host,
                    self.port
                ))
            }
            None => Secret::new(self.uri()),
        }
    }

    /// Reads a proxy URL; `source` names where it came from, for errors.
    pub fn parse(value: &str, source: &'static str) -> Result<HttpProxy, Error> {
        let shown = without_user_info(value);
        let bad = |why: &str| Error::input("proxy", format!("{source} `{shown}`: {why}"));
        let value = value.trim();
        let with_scheme = if value.contains("://") {
            value.to_owned()
        } else {
            format!("http://{value}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| bad(&format!("not a URL ({e})")))?;
        if url.scheme() != "http" {
            return Err(bad(&format!(
                "unsupported proxy scheme `{}`: only http:// proxies (CONNECT tunnels) are supported",
                url.scheme()
            )));
        }
        let origin = Origin::of_url(&url).ok_or_else(|| bad("no host"))?;
        if (url.path() != "/" && !url.path().is_empty()) || url.query().is_some() {
            return Err(bad("a proxy URL has no path or query"));
        }
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| bad("user info is not valid percent-encoded UTF-8"))
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?.map(Secret::new);
        Ok(HttpProxy {
            host: origin.host().to_owned(),
            port: url.port().unwrap_or(80),
            user: user.or_else(|| password.as_ref().map(|_| String::new())),
            password,
            source,
        })
    }
}

impl fmt::Debug for HttpProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpProxy")
            .field("uri", &self.uri())
            .field("credentials", &self.user.as_ref().map(|_| "[redacted]"))
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HttpProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.uri(), self.source)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes: Vec<u8> =
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())?;
    String::from_utf8(bytes).ok()
}

impl ProxyChoice {
    /// The proxy for `origin` under this choice, reading variables through `lookup`.
    pub fn resolve(
        &self,
        origin: &Origin,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<HttpProxy>, Error> {
        if origin.is_loopback() {
            return Ok(None);
        }
        match self {
            ProxyChoice::Off => Ok(None),
            ProxyChoice::Url(url) => HttpProxy::parse(url.expose(), "proxy URL").map(Some),
            ProxyChoice::FromEnv => {
                let get = |names: &[&'static str]| {
                    names
                        .iter()
                        .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
                };
                let Some((name, value)) =
                    get(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
                else {
                    return Ok(None);
                };
                if let Some((_, list)) = get(&["no_proxy", "NO_PROXY"])
                    && no_proxy_matches(&list, origin)
                {
                    return Ok(None);
                }
                HttpProxy::parse(&value, name).map(Some)
            }
        }
    }
}

/// Whether a `NO_PROXY` list names `origin`.
pub(crate) fn no_proxy_matches(list: &str, origin: &Origin) -> bool {
    let host = origin
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t'])
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some((net, bits)) = entry.split_once('/') {
                return match (ip, net.parse::<IpAddr>(), bits.parse::<u8>()) {
                    (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                    _ => false,
                };
            }
            let bare = entry.trim_start_matches('[');
            let bare = bare.split(']').next().unwrap_or(bare);
            if let (Some(ip), Ok(e)) = (ip, bare.parse::<IpAddr>()) {
                return ip == e;
            }
            // A domain, maybe with a port.
            let (name, port) = match entry.rsplit_once(':') {
                Some((n, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (n, p.parse().ok()),
                _ => (entry.as_str(), None),
            };
            if port.is_some_and(|p: u16| p != origin.port_or_default()) {
                return false;
            }
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            !name.is_empty()
                && (host == name
                    || host
                        .strip_suffix(name)
                        .is_some_and(|rest| rest.ends_with('.')))
        })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::credentials::tests::env;

    fn origin(u: &str) -> Origin {
        Origin::parse(u).unwrap()
    }

    #[test]
    fn loopback_is_never_proxied() {
        let vars: &[(&str, &str)] = &[
            ("HTTP_PROXY", "http://p:1"),
            ("http_proxy", "http://p:1"),
            ("ALL_PROXY", "http://p:1"),
            ("HTTPS_PROXY", "http://p:1"),
        ];
        for o in [
            "http://127.0.0.1:4010",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            let choice = ProxyChoice::FromEnv;
            let lookup = |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            };
            assert_eq!(choice.resolve(&origin(o), lookup).unwrap(), None, "{o}");
            let explicit = ProxyChoice::Url(Secret::new("http://p:1"));
            assert_eq!(explicit.resolve(&origin(o), |_| None).unwrap(), None, "{o}");
        }
    }

    #[test]
    fn which_variables_and_in_what_order() {
        let o = origin("https://api.twilio.com");
        let p = |vars| ProxyChoice::FromEnv.resolve(&o, env(vars)).unwrap();
        assert_eq!(
            p(&[("HTTP_PROXY", "http://p:1")]),
            None,
            "HTTP_PROXY is never read"
        );
        assert_eq!(
            p(&[("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]),
            None
        );
        let got = p(&[("HTTPS_PROXY", "http://a:1"), ("ALL_PROXY", "http://b:2")]).unwrap();
        assert_eq!(
            (got.host(), got.port(), got.source()),
            ("a", 1, "HTTPS_PROXY")
        );
        let got = p(&[("https_proxy", "c:3"), ("HTTPS_PROXY", "http://a:1")]).unwrap();
        assert_eq!(
            (got.host(), got.port(), got.source()),
            ("c", 3, "https_proxy")
        );
        let got = p(&[("ALL_PROXY", "http://b")]).unwrap();
        assert_eq!((got.host(), got.port()), ("b", 80));
        let got = p(&[("HTTPS_PROXY", ""), ("all_proxy", "http://b:9")]).unwrap();
        assert_eq!(got.source(), "all_proxy");
    }

    #[test]
    fn unsupported_schemes_are_errors_naming_the_variable() {
        let o = origin("https://api.twilio.com");
        for (var, value) in [
            ("ALL_PROXY", "socks5://127.0.0.1:1080"),
            ("HTTPS_PROXY", "https://proxy:443"),
            ("HTTPS_PROXY", "socks5h://user:SECRET@h:1"),
        ] {
            let lookup = |k: &str| (k == var).then(|| value.to_owned());
            let e = ProxyChoice::FromEnv.resolve(&o, lookup).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(var) && text.contains("unsupported"), "{text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
    }

    #[test]
    fn no_proxy_forms() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "https://api.twilio.com", true),
            ("twilio.com", "https://api.twilio.com", true),
            (".twilio.com", "https://api.twilio.com", true),
            ("*.twilio.com", "https://api.twilio.com", true),
            ("api.twilio.com", "https://api.twilio.com", true),
            ("ilio.com", "https://api.twilio.com", false),
            ("example.com, twilio.com", "https://api.twilio.com", true),
            ("twilio.com:443", "https://api.twilio.com", true),
            ("twilio.com:8443", "https://api.twilio.com", false),
            ("10.1.2.3", "https://10.1.2.3", true),
            ("10.0.0.0/8", "https://10.1.2.3", true),
            ("10.0.0.0/16", "https://10.1.2.3", false),
            ("fd00::/8", "https://[fd12::1]", true),
            ("[fd12::1]", "https://[fd12::1]", true),
            ("*", "https://10.1.2.3", true),
            ("", "https://api.twilio.com", false),
        ];
        for (list, o, want) in cases {
            assert_eq!(no_proxy_matches(list, &origin(o)), *want, "{list} {o}");
        }
        let o = origin("https://api.twilio.com");
        let vars: &'static [(&'static str, &'static str)] =
            &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "*")];
        assert_eq!(ProxyChoice::FromEnv.resolve(&o, env(vars)).unwrap(), None);
    }

    #[test]
    fn credentials_stay_out_of_text() {
        let p = HttpProxy::parse("http://us%20er:p%40ss@proxy:3128", "HTTPS_PROXY").unwrap();
        let shown = format!("{p} {p:?}");
        assert!(
            !shown.contains("p@ss") && !shown.contains("p%40ss"),
            "{shown}"
        );
        let auth = p.basic_auth().unwrap();
        assert!(auth.is_sensitive());
        let expected = base64::engine::general_purpose::STANDARD.encode("us er:p@ss");
        assert_eq!(auth.to_str().unwrap(), format!("Basic {expected}"));
        assert_eq!(
            p.url_with_credentials().expose(),
            "http://us%20er:p%40ss@proxy:3128"
        );
        let e = HttpProxy::parse("http://u:SECRET@proxy:1/path", "proxy URL").unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
}
