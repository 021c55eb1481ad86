//! Name resolution without a thread per request.
//!
//! ureq's default resolver spawns a thread for every lookup when a timeout is set (to bound
//! `getaddrinfo`). A client talks to one origin (and maybe one proxy), so an IP literal is
//! used as it is and a name is looked up once per [`TTL`] (through ureq's resolver, timeout
//! included), then served from a small cache.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::Uri;
use ureq::config::Config;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up address is reused.
pub(crate) const TTL: Duration = Duration::from_secs(30);
/// Names kept (an origin and a proxy, with room to spare).
const ENTRIES: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    lookups: DefaultResolver,
    cache: Mutex<Vec<(String, Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let host = uri.host().unwrap_or("");
        if let (Some(port), Ok(ip)) = (port, host.trim_matches(['[', ']']).parse::<IpAddr>()) {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{}", port.unwrap_or(0));
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(_, at, _)| now.duration_since(*at) < TTL);
        if let Some((_, _, addrs)) = cache.iter().find(|(k, _, _)| *k == key) {
            return Ok(addrs.clone());
        }
        drop(cache);
        let addrs = self
            .lookups
            .resolve(uri, config, timeout)
            .map_err(|e| match e {
                // Name the host, and say what kind of failure it is: a connect failure.
                ureq::Error::Io(io) => ureq::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("looking up {host}: {io}"),
                )),
                other => other,
            })?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ENTRIES {
            cache.remove(0);
        }
        cache.push((key, now, addrs.clone()));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time;

    fn no_timeout() -> NextTimeout {
        NextTimeout {
            after: time::Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        }
    }

    #[test]
    fn ip_literals_need_no_lookup_and_names_are_cached() {
        let r = CachingResolver::default();
        let config = Config::default();
        let a = r
            .resolve(
                &"http://127.0.0.1:4010/x".parse().unwrap(),
                &config,
                no_timeout(),
            )
            .unwrap();
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [&"127.0.0.1:4010".parse::<SocketAddr>().unwrap()]
        );
        let a = r
            .resolve(&"https://[::1]/".parse().unwrap(), &config, no_timeout())
            .unwrap();
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [&"[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert!(r.cache.lock().unwrap().is_empty());
        let first = r
            .resolve(
                &"http://localhost:9/".parse().unwrap(),
                &config,
                no_timeout(),
            )
            .unwrap();
        assert_eq!(r.cache.lock().unwrap().len(), 1);
        let again = r
            .resolve(
                &"http://localhost:9/other".parse().unwrap(),
                &config,
                no_timeout(),
            )
            .unwrap();
        assert_eq!(
            first.iter().collect::<Vec<_>>(),
            again.iter().collect::<Vec<_>>()
        );
        assert_eq!(r.cache.lock().unwrap().len(), 1);
    }
}
