//! The Authorized Connect App resource: an app and its permissions, as plain data.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use url::Url;

use crate::base::sid::{AccountSid, ConnectAppSid};

/// A permission an account granted to a Connect App.
///
/// Unknown values from a newer API are kept as [`Permission::Other`] and written back unchanged.
///
/// ```
/// use twilio_connect_apps::Permission;
/// assert_eq!("post-all".parse::<Permission>(), Ok(Permission::PostAll));
/// let future: Permission = "delete-all".parse().unwrap();
/// assert_eq!(future.to_string(), "delete-all");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// `get-all`: the app may read the account's resources.
    GetAll,
    /// `post-all`: the app may create and change the account's resources.
    PostAll,
    /// A value this version of the crate does not know.
    Other(String),
}

impl Permission {
    /// The API's spelling of this permission.
    pub fn as_str(&self) -> &str {
        match self {
            Permission::GetAll => "get-all",
            Permission::PostAll => "post-all",
            Permission::Other(s) => s,
        }
    }

    /// The permission the API spells `s` (unknown spellings are kept).
    pub fn from_api(s: &str) -> Self {
        match s {
            "get-all" => Permission::GetAll,
            "post-all" => Permission::PostAll,
            other => Permission::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Permission::from_api(s))
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A Connect App that an account has authorized, with the permissions it holds.
///
/// Every field is optional, as in Twilio's spec: a missing or `null` field is `None`. Values are
/// kept as the API sent them (a malformed homepage URL does not fail a page; see
/// [`AuthorizedConnectApp::homepage_url`]). Serializes back with the API's field names.
///
/// ```
/// use twilio_connect_apps::{AuthorizedConnectApp, Permission};
/// let app: AuthorizedConnectApp = serde_json::from_str(r#"{
///     "connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
///     "connect_app_friendly_name": "Campaign Blaster",
///     "connect_app_homepage_url": "not a url",
///     "permissions": ["get-all", "post-all"],
///     "date_created": "old bodies carry it; ignored"
/// }"#)?;
/// assert!(app.can_write()); // post-all: it may act on the account
/// assert!(app.has_permission(&Permission::GetAll));
/// assert_eq!(app.sid().unwrap().as_str(), "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
/// assert_eq!(app.homepage_url(), None); // kept as sent, not a URL
/// assert_eq!(app.account_sid, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct AuthorizedConnectApp {
    /// The SID of the account that authorized the app (`AC…`).
    pub account_sid: Option<String>,
    /// The company name set for the Connect App.
    pub connect_app_company_name: Option<String>,
    /// A detailed description of the Connect App.
    pub connect_app_description: Option<String>,
    /// The name of the Connect App.
    pub connect_app_friendly_name: Option<String>,
    /// The public URL for the Connect App, as sent (not checked).
    pub connect_app_homepage_url: Option<String>,
    /// The SID of the Connect App (`CN…`).
    pub connect_app_sid: Option<String>,
    /// The permissions granted to the app.
    pub permissions: Option<Vec<Permission>>,
    /// The URI of this resource, relative to `https://api.twilio.com`.
    pub uri: Option<String>,
}

impl AuthorizedConnectApp {
    /// The Connect App SID, when present and well-formed.
    pub fn sid(&self) -> Option<ConnectAppSid> {
        self.connect_app_sid.as_deref()?.parse().ok()
    }

    /// The account SID, when present and well-formed.
    pub fn account(&self) -> Option<AccountSid> {
        self.account_sid.as_deref()?.parse().ok()
    }

    /// The homepage as a URL, when present and parseable.
    pub fn homepage_url(&self) -> Option<Url> {
        Url::parse(self.connect_app_homepage_url.as_deref()?).ok()
    }

    /// Whether the app holds `permission`.
    pub fn has_permission(&self, permission: &Permission) -> bool {
        self.permissions
            .as_deref()
            .is_some_and(|p| p.contains(permission))
    }

    /// Whether the app may create and change resources (`post-all`): worth an audit.
    pub fn can_write(&self) -> bool {
        self.has_permission(&Permission::PostAll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses_and_round_trips() {
        let body = r#"{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","connect_app_company_name":"aaa","connect_app_description":"alksjdfl;ajseifj;alsijfl;ajself;jasjfjas;lejflj","connect_app_friendly_name":"aaa","connect_app_homepage_url":"http://www.google.com","connect_app_sid":"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","permissions":["get-all"],"uri":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps/CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json"}"#;
        let app: AuthorizedConnectApp = serde_json::from_str(body).unwrap();
        assert_eq!(app.permissions, Some(vec![Permission::GetAll]));
        assert!(!app.can_write());
        assert_eq!(
            app.sid().unwrap().as_str(),
            "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        );
        assert_eq!(
            app.homepage_url().unwrap().host_str(),
            Some("www.google.com")
        );
        let back: serde_json::Value = serde_json::to_value(&app).unwrap();
        let orig: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn lenient_where_the_spec_says_so() {
        let body = r#"{"date_created":"Mon","permissions":["post-all","delete-all"],"connect_app_homepage_url":"not a url","uri":null}"#;
        let app: AuthorizedConnectApp = serde_json::from_str(body).unwrap();
        assert_eq!(
            app.permissions,
            Some(vec![
                Permission::PostAll,
                Permission::Other("delete-all".into())
            ])
        );
        assert!(app.can_write());
        assert_eq!(app.homepage_url(), None);
        assert_eq!(app.connect_app_homepage_url.as_deref(), Some("not a url"));
        assert_eq!(app.uri, None);
        let json = serde_json::to_string(&app.permissions).unwrap();
        assert_eq!(json, r#"["post-all","delete-all"]"#);
        let empty: AuthorizedConnectApp = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AuthorizedConnectApp::default());
    }

    #[test]
    fn wrong_types_fail() {
        assert!(serde_json::from_str::<AuthorizedConnectApp>(r#"{"uri":5}"#).is_err());
        assert!(
            serde_json::from_str::<AuthorizedConnectApp>(r#"{"permissions":"get-all"}"#).is_err()
        );
        assert!(serde_json::from_str::<AuthorizedConnectApp>(r#"[]"#).is_err());
    }
}
