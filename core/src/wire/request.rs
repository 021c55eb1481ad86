//! Building the `http::Request`s for fetch, one list page, and the page at a URI.

use http::{HeaderValue, Method, Request, Uri, header};
use url::Url;

use crate::api::{self, check_page_size, param};
use crate::base::sid::{AccountSid, ConnectAppSid};
use crate::config::credentials::Credentials;
use crate::config::settings::Config;
use crate::error::{Error, PagingError};
use crate::model::app::AuthorizedConnectApp;
use crate::wire::resource::{Record, scope_of};

/// Query parameters of one list page (`PageSize`, `Page`, `PageToken`).
///
/// ```
/// use twilio_connect_apps::wire::PageQuery;
/// let q = PageQuery::new().with_page_size(20).with_page(2).with_page_token("PT123");
/// assert_eq!(q.to_query_string().unwrap(), "PageSize=20&Page=2&PageToken=PT123");
/// assert!(PageQuery::new().with_page_size(0).to_query_string().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageQuery {
    filters: Vec<(&'static str, String)>,
    page_size: Option<u32>,
    page: Option<u64>,
    page_token: Option<String>,
}

impl PageQuery {
    /// No parameters: the server's defaults (page 0, 50 records).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records per page, 1..=1000 (checked when the request is built).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The page index (client state only; Twilio needs the token for pages past 0).
    pub fn with_page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// The opaque page token the API handed out.
    pub fn with_page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into());
        self
    }

    /// A listing filter (`Status`, `FriendlyName` for accounts), sent before the paging
    /// parameters.
    pub(crate) fn filter(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.filters.push((name, value.into()));
        self
    }

    /// The encoded query string, after checking the bounds.
    pub fn to_query_string(&self) -> Result<String, Error> {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.filters {
            q.append_pair(name, value);
        }
        if let Some(size) = self.page_size {
            check_page_size(size)?;
            q.append_pair(param::PAGE_SIZE, &size.to_string());
        }
        if let Some(page) = self.page {
            q.append_pair(param::PAGE, &page.to_string());
        }
        if let Some(token) = &self.page_token {
            q.append_pair(param::PAGE_TOKEN, token);
        }
        Ok(q.finish())
    }
}

/// `GET …/Accounts/{account}/AuthorizedConnectApps/{app}.json`.
///
/// `account` defaults to the configured account; name a subaccount to read its apps with
/// the parent's credentials.
pub fn fetch_request(
    config: &Config,
    app: &ConnectAppSid,
    account: Option<&AccountSid>,
) -> Result<Request<Vec<u8>>, Error> {
    let account = account.unwrap_or(config.account_sid());
    get(config, &api::app_path(account, app))
}

/// `GET …/Accounts/{account}/AuthorizedConnectApps.json?{query}`: one list page.
pub fn list_request(
    config: &Config,
    query: &PageQuery,
    account: Option<&AccountSid>,
) -> Result<Request<Vec<u8>>, Error> {
    get(
        config,
        &list_target::<AuthorizedConnectApp>(config, query, account)?,
    )
}

/// The path and query of a list page of `R`.
pub(crate) fn list_target<R: Record>(
    config: &Config,
    query: &PageQuery,
    account: Option<&AccountSid>,
) -> Result<String, Error> {
    let account = account.unwrap_or(config.account_sid());
    let qs = query.to_query_string()?;
    let mut target = R::list_path(account);
    if !qs.is_empty() {
        target.push('?');
        target.push_str(&qs);
    }
    Ok(target)
}

/// The page at a URI the API handed out (`next_page_uri`, `previous_page_uri`,
/// `first_page_uri`, or an absolute `meta.next_page_url`).
///
/// The URI must resolve to the configured origin (after edge/region), and name this
/// resource's listing; otherwise nothing is built and credentials stay home.
pub fn page_at_request(config: &Config, uri: &str) -> Result<Request<Vec<u8>>, Error> {
    get(config, &page_target::<AuthorizedConnectApp>(config, uri)?)
}

/// Checks a page URI of `R` and returns its path and query on the configured origin.
pub(crate) fn page_target<R: Record>(config: &Config, uri: &str) -> Result<String, Error> {
    let invalid = |reason: String| Error::Paging(PagingError::invalid(uri, reason));
    if uri.len() > api::MAX_PAGE_URI {
        return Err(invalid(format!(
            "it is {} bytes long, more than the {} a page URI may be",
            uri.len(),
            api::MAX_PAGE_URI
        )));
    }
    let url: Url = config
        .origin()
        .join(uri.trim())
        .map_err(|e| invalid(e.to_string()))?;
    let origin = config
        .origin_of(&url)
        .ok_or_else(|| invalid("it has no host".to_owned()))?;
    if &origin != config.origin() || !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Paging(PagingError::foreign(
            uri,
            config.origin().as_str(),
        )));
    }
    let path = url.path();
    if scope_of::<R>(path).is_none() {
        return Err(invalid("it is not this resource's listing path".to_owned()));
    }
    Ok(match url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    })
}

/// `POST {oauth origin}/v2/token` with the client credentials, form-encoded (as Twilio's own
/// libraries send it); `None` unless the credentials are an OAuth client's. The body holds
/// the client secret: the exchange that sends it never logs or shows it.
pub fn token_request(config: &Config) -> Result<Option<Request<Vec<u8>>>, Error> {
    let Credentials::OAuthClient {
        client_id,
        client_secret,
        ..
    } = config.credentials()
    else {
        return Ok(None);
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret.expose())
        .finish()
        .into_bytes();
    let uri: Uri = format!("{}{}", config.oauth_origin().as_str(), api::TOKEN_PATH)
        .parse()
        .map_err(|e: http::uri::InvalidUri| Error::input("oauth_base_url", e.to_string()))?;
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .header(header::USER_AGENT, config.user_agent().clone())
        .body(body)
        .map(Some)
        .map_err(|e| Error::input("request", e.to_string()))
}

/// A GET of `target` (path and query) on the configured origin, with the standard headers.
pub(crate) fn get(config: &Config, target: &str) -> Result<Request<Vec<u8>>, Error> {
    let uri: Uri = format!("{}{target}", config.origin().as_str())
        .parse()
        .map_err(|e: http::uri::InvalidUri| Error::input("uri", e.to_string()))?;
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .header(header::ACCEPT_CHARSET, HeaderValue::from_static("utf-8"))
        .header(header::USER_AGENT, config.user_agent().clone());
    if let Some(authorization) = config.authorization() {
        request = request.header(header::AUTHORIZATION, authorization.clone());
    }
    if config.compression() {
        request = request.header(
            header::ACCEPT_ENCODING,
            crate::wire::decode::ACCEPT_ENCODING,
        );
    }
    request
        .body(Vec::new())
        .map_err(|e| Error::input("request", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Secret};

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SUB: &str = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const CN: &str = "CNcccccccccccccccccccccccccccccccc";

    fn config() -> Config {
        Config::new(Credentials::auth_token(
            AC.parse().unwrap(),
            Secret::new("tok-SECRET"),
        ))
    }

    #[test]
    fn fetch_request_shape() {
        let c = config();
        let r = fetch_request(&c, &CN.parse().unwrap(), None).unwrap();
        assert_eq!(r.method(), Method::GET);
        assert_eq!(
            r.uri().to_string(),
            format!(
                "https://api.twilio.com/2010-04-01/Accounts/{AC}/AuthorizedConnectApps/{CN}.json"
            )
        );
        let h = r.headers();
        assert_eq!(h[header::ACCEPT], "application/json");
        assert_eq!(h[header::ACCEPT_CHARSET], "utf-8");
        let ua = h[header::USER_AGENT].to_str().unwrap();
        assert!(
            ua.starts_with(&format!(
                "twilio-connect-apps/{} (",
                env!("CARGO_PKG_VERSION")
            )),
            "{ua}"
        );
        assert!(ua.ends_with(") rust"), "{ua}");
        let auth = &h[header::AUTHORIZATION];
        assert!(auth.is_sensitive());
        use base64::Engine as _;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{AC}:tok-SECRET"));
        assert_eq!(auth.to_str().unwrap(), format!("Basic {expected}"));
        assert!(!format!("{r:?}").contains(&expected));
        assert!(!format!("{r:?}").contains("tok-SECRET"));

        let sub = fetch_request(&c, &CN.parse().unwrap(), Some(&SUB.parse().unwrap())).unwrap();
        assert!(sub.uri().path().contains(SUB));
    }

    #[test]
    fn api_key_auth_and_user_agent_extension() {
        let c = Config::new(Credentials::api_key(
            "SKdddddddddddddddddddddddddddddddd".parse().unwrap(),
            Secret::new("key-secret"),
            AC.parse().unwrap(),
        ))
        .with_user_agent_extension("my-app/1.0")
        .unwrap();
        let r = list_request(&c, &PageQuery::new(), None).unwrap();
        assert!(r.uri().path().contains(AC));
        use base64::Engine as _;
        let expected = base64::engine::general_purpose::STANDARD
            .encode("SKdddddddddddddddddddddddddddddddd:key-secret");
        assert_eq!(
            r.headers()[header::AUTHORIZATION],
            format!("Basic {expected}").as_str()
        );
        assert!(
            r.headers()[header::USER_AGENT]
                .to_str()
                .unwrap()
                .ends_with("rust my-app/1.0")
        );
        assert!(c.clone().with_user_agent_extension("bad\nvalue").is_err());
    }

    #[test]
    fn list_query_encoding_and_bounds() {
        let c = config();
        let r = list_request(
            &c,
            &PageQuery::new()
                .with_page_size(1000)
                .with_page(3)
                .with_page_token("a b&c=d/é"),
            None,
        )
        .unwrap();
        assert_eq!(
            r.uri().query(),
            Some("PageSize=1000&Page=3&PageToken=a+b%26c%3Dd%2F%C3%A9")
        );
        let r = list_request(&c, &PageQuery::new(), None).unwrap();
        assert_eq!(r.uri().query(), None);
        for bad in [0, 1001, u32::MAX] {
            let e = list_request(&c, &PageQuery::new().with_page_size(bad), None).unwrap_err();
            assert!(e.to_string().contains("page_size"), "{e}");
        }
        assert!(list_request(&c, &PageQuery::new().with_page_size(1), None).is_ok());
    }

    #[test]
    fn page_at_checks_origin_and_path() {
        let c = config();
        let list = format!(
            "/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json?PageSize=50&Page=1&PageToken=PT1"
        );
        let r = page_at_request(&c, &list).unwrap();
        assert_eq!(r.uri().to_string(), format!("https://api.twilio.com{list}"));
        let abs = format!("https://api.twilio.com{list}");
        assert!(page_at_request(&c, &abs).is_ok());

        let foreign = [
            format!("https://evil.example{list}"),
            format!("http://api.twilio.com{list}"),
            format!("https://api.twilio.com:8443{list}"),
            format!("//evil.example{list}"),
            format!("https://user:pw@api.twilio.com{list}"),
        ];
        for f in foreign {
            let e = page_at_request(&c, &f).unwrap_err();
            assert!(
                matches!(e, Error::Paging(PagingError::ForeignOrigin { .. })),
                "{f}: {e}"
            );
        }
        let bad_paths = [
            "/2010-04-01/Accounts/{AC}/Calls.json".to_owned(),
            "/2010-04-01/Accounts/ACnope/AuthorizedConnectApps.json".to_owned(),
            format!("/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json/../../Calls.json"),
        ];
        for p in bad_paths {
            let e = page_at_request(&c, &p).unwrap_err();
            assert!(
                matches!(e, Error::Paging(PagingError::InvalidUri { .. })),
                "{p}: {e}"
            );
        }
    }

    #[test]
    fn absolute_next_urls_follow_the_region() {
        let c = config().with_region("ie1").unwrap();
        let list = format!("/2010-04-01/Accounts/{AC}/AuthorizedConnectApps.json?PageToken=x");
        // meta.next_page_url names the global host; the configured region rewrites it.
        let r = page_at_request(&c, &format!("https://api.twilio.com{list}")).unwrap();
        assert_eq!(r.uri().host(), Some("api.ie1.twilio.com"));
        let r = page_at_request(&c, &format!("https://api.ie1.twilio.com{list}")).unwrap();
        assert_eq!(r.uri().host(), Some("api.ie1.twilio.com"));
    }
}
