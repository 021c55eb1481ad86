//! The API origin: scheme, host and port, with Twilio's edge/region rule.

use std::fmt;

use url::{Host, Url};

use crate::base::text::without_user_info;
use crate::error::Error;

/// The scheme, host and port that every request goes to, e.g. `https://api.twilio.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
    serialized: String,
}

impl Origin {
    pub(crate) fn new(scheme: &str, host: &str, port: Option<u16>) -> Self {
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

    /// Twilio's default origin, `https://api.twilio.com`.
    pub fn twilio() -> Self {
        Origin::new("https", crate::api::DEFAULT_HOST, None)
    }

    /// Twilio's OAuth token service, `https://oauth.twilio.com`.
    pub fn twilio_oauth() -> Self {
        Origin::new("https", crate::api::DEFAULT_OAUTH_HOST, None)
    }

    /// Reads a base URL given by the user: `https://`, or `http://` for a loopback host; no
    /// user info, path, query or fragment. Errors never repeat user info.
    ///
    /// ```
    /// use twilio_connect_apps::config::Origin;
    /// assert_eq!(Origin::parse("http://127.0.0.1:4010")?.port(), Some(4010));
    /// let e = Origin::parse("https://AC1:hunter2@api.twilio.com").unwrap_err();
    /// assert!(!e.to_string().contains("hunter2"));
    /// # Ok::<(), twilio_connect_apps::Error>(())
    /// ```
    pub fn parse(base_url: &str) -> Result<Origin, Error> {
        let shown = without_user_info(base_url);
        let bad = |why: String| Error::input("base_url", format!("`{shown}` {why}"));
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
        Ok(origin)
    }

    pub(crate) fn of_url(url: &Url) -> Option<Self> {
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

    /// The port, or the scheme's default (443 for https, 80 for http).
    pub fn port_or_default(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "http" { 80 } else { 443 })
    }

    /// Whether `uri` is on this origin: the same scheme, host (any case) and port (a default
    /// port written out or not).
    ///
    /// ```
    /// use twilio_connect_apps::config::Origin;
    /// let api = Origin::twilio();
    /// assert!(api.contains(&"https://API.twilio.com:443/2010-04-01/Accounts.json".parse()?));
    /// assert!(!api.contains(&"https://oauth.twilio.com/v2/token".parse()?));
    /// # Ok::<(), http::uri::InvalidUri>(())
    /// ```
    pub fn contains(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let default = if scheme.eq_ignore_ascii_case("http") {
            80
        } else {
            443
        };
        scheme.eq_ignore_ascii_case(&self.scheme)
            && uri
                .host()
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && uri.port_u16().unwrap_or(default) == self.port_or_default()
    }

    /// Whether this origin is on the loopback interface (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h.eq_ignore_ascii_case("localhost")
            || h.parse::<core::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Resolves `uri` (a path, or an absolute URL) against this origin; the result keeps the
    /// URL's own origin, so callers can check it.
    pub(crate) fn join(&self, uri: &str) -> Result<Url, url::ParseError> {
        Url::parse(&self.serialized).and_then(|base| base.join(uri))
    }

    /// This origin with the edge/region rule applied to its host.
    pub(crate) fn regionalized(&self, edge: Option<&str>, region: Option<&str>) -> Origin {
        Origin::new(
            &self.scheme,
            &regional_host(&self.host, edge, region),
            self.port,
        )
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

/// Checks an edge or region name: one DNS label.
pub(crate) fn host_label(field: &'static str, value: &str) -> Result<String, Error> {
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
            format!(
                "`{}` is not a host label (letters, digits and inner hyphens)",
                crate::base::text::excerpt(value, 64)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(Origin::parse(u).is_ok(), "{u}");
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
            let e = Origin::parse(u).unwrap_err();
            assert!(e.to_string().contains(why), "{u}: {e}");
        }
    }

    #[test]
    fn errors_never_repeat_user_info() {
        for u in [
            "https://ACaaaa:TOKEN-SECRET@api.twilio.com",
            "http://ACaaaa:TOKEN-SECRET@example.com",
            "https://ACaaaa:TOKEN-SECRET@api.twilio.com/path",
            "ftp://user:TOKEN-SECRET@host",
            "https://:TOKEN-SECRET@",
            "weird://TOKEN-SECRET@",
        ] {
            let e = Origin::parse(u).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("TOKEN-SECRET"), "{u}: {shown}");
        }
    }

    #[test]
    fn loopback() {
        for (u, want) in [
            ("http://127.0.0.1:1", true),
            ("http://localhost", true),
            ("http://[::1]:2", true),
            ("https://api.twilio.com", false),
            ("https://10.0.0.1", false),
        ] {
            assert_eq!(Origin::parse(u).unwrap().is_loopback(), want, "{u}");
        }
    }
}
