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
/// Each field is read through the accessor of the same name (`app.connect_app_friendly_name()`)
/// and set through `set_…` or the chainable `with_…`. The strings of one record are held in one
/// allocation, not seven, which is most of what reading a page of owned records costs.
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
/// assert_eq!(app.connect_app_friendly_name(), Some("Campaign Blaster"));
/// assert_eq!(app.homepage_url(), None); // kept as sent, not a URL
/// assert_eq!(app.account_sid(), None);
///
/// let renamed = app.clone().with_connect_app_friendly_name("Campaign Blaster 2");
/// assert_eq!(renamed.connect_app_friendly_name(), Some("Campaign Blaster 2"));
/// assert_eq!(renamed.connect_app_sid(), app.connect_app_sid());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct AuthorizedConnectApp {
    /// The present string fields, one after the other in [`Slot`] order.
    text: String,
    /// Where each slot's text ends in `text` (it starts where the previous one ends).
    ends: [usize; SLOTS],
    /// Bit `i`: slot `i` is present (`Some`, possibly empty).
    present: u8,
    permissions: Option<Vec<Permission>>,
}

/// The string fields' places in [`AuthorizedConnectApp`]'s one text buffer.
macro_rules! slots {
    ($($slot:ident = $field:ident, $set:ident, $with:ident: $doc:literal;)*) => {
        /// A string field of [`AuthorizedConnectApp`], by its place in the text buffer.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Slot {
            $($slot,)*
        }

        impl Slot {
            /// Every slot, in buffer (and serialization) order.
            pub(crate) const ALL: [Slot; SLOTS] = [$(Slot::$slot,)*];
        }

        /// The JSON names of the string fields, in [`Slot::ALL`] order.
        const NAMES: [&str; SLOTS] = [$(stringify!($field),)*];

        impl AuthorizedConnectApp {
            $(
                #[doc = $doc]
                pub fn $field(&self) -> Option<&str> {
                    self.get(Slot::$slot)
                }

                #[doc = concat!("Sets `", stringify!($field), "` (`None` removes it).")]
                pub fn $set(&mut self, value: Option<&str>) {
                    self.set(Slot::$slot, value);
                }

                #[doc = concat!("This app with `", stringify!($field), "` set to `value`.")]
                #[must_use]
                pub fn $with(mut self, value: &str) -> Self {
                    self.set(Slot::$slot, Some(value));
                    self
                }
            )*
        }
    };
}

/// How many string fields an app has.
pub(crate) const SLOTS: usize = 7;

slots! {
    AccountSid = account_sid, set_account_sid, with_account_sid:
        "The SID of the account that authorized the app (`AC…`), as sent.";
    CompanyName = connect_app_company_name, set_connect_app_company_name, with_connect_app_company_name:
        "The company name set for the Connect App.";
    Description = connect_app_description, set_connect_app_description, with_connect_app_description:
        "A detailed description of the Connect App.";
    FriendlyName = connect_app_friendly_name, set_connect_app_friendly_name, with_connect_app_friendly_name:
        "The name of the Connect App.";
    HomepageUrl = connect_app_homepage_url, set_connect_app_homepage_url, with_connect_app_homepage_url:
        "The public URL for the Connect App, as sent (not checked; see [`AuthorizedConnectApp::homepage_url`]).";
    ConnectAppSid = connect_app_sid, set_connect_app_sid, with_connect_app_sid:
        "The SID of the Connect App (`CN…`), as sent (see [`AuthorizedConnectApp::sid`]).";
    Uri = uri, set_uri, with_uri:
        "The URI of this resource, relative to `https://api.twilio.com`.";
}

impl AuthorizedConnectApp {
    /// An app from its string fields (in [`Slot::ALL`] order) and permissions: the one place
    /// the text buffer is laid out, in one allocation (strings with escapes are decoded
    /// straight into it).
    pub(crate) fn from_parts<P: Piece>(
        texts: [Option<P>; SLOTS],
        permissions: Option<Vec<Permission>>,
    ) -> Self {
        let bound = texts.iter().flatten().map(Piece::len_bound).sum();
        let mut text = String::with_capacity(bound);
        let mut ends = [0; SLOTS];
        let mut present = 0;
        for (i, (t, end)) in texts.iter().zip(&mut ends).enumerate() {
            if let Some(t) = t {
                t.push_to(&mut text);
                present |= 1 << i;
            }
            *end = text.len();
        }
        AuthorizedConnectApp {
            text,
            ends,
            present,
            permissions,
        }
    }

    /// Every string field, in [`Slot::ALL`] order.
    pub(crate) fn texts(&self) -> [Option<&str>; SLOTS] {
        Slot::ALL.map(|slot| self.get(slot))
    }

    fn get(&self, slot: Slot) -> Option<&str> {
        let i = slot as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start..end)
    }

    fn set(&mut self, slot: Slot, value: Option<&str>) {
        let permissions = self.permissions.take();
        let mut texts = self.texts();
        if let Some(t) = texts.get_mut(slot as usize) {
            *t = value;
        }
        let app = Self::from_parts(texts, permissions);
        *self = app;
    }

    /// The permissions granted to the app.
    pub fn permissions(&self) -> Option<&[Permission]> {
        self.permissions.as_deref()
    }

    /// Sets the permissions (`None` removes them).
    pub fn set_permissions(&mut self, permissions: Option<Vec<Permission>>) {
        self.permissions = permissions;
    }

    /// This app with the given permissions.
    #[must_use]
    pub fn with_permissions(mut self, permissions: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(permissions.into_iter().collect());
        self
    }

    /// The Connect App SID, when present and well-formed.
    pub fn sid(&self) -> Option<ConnectAppSid> {
        self.connect_app_sid()?.parse().ok()
    }

    /// The account SID, when present and well-formed.
    pub fn account(&self) -> Option<AccountSid> {
        self.account_sid()?.parse().ok()
    }

    /// The homepage as a URL, when present and parseable.
    pub fn homepage_url(&self) -> Option<Url> {
        Url::parse(self.connect_app_homepage_url()?).ok()
    }

    /// Whether the app holds `permission`.
    pub fn has_permission(&self, permission: &Permission) -> bool {
        self.permissions().is_some_and(|p| p.contains(permission))
    }

    /// Whether the app may create and change resources (`post-all`): worth an audit.
    pub fn can_write(&self) -> bool {
        self.has_permission(&Permission::PostAll)
    }
}

/// A string field's text as the wire or a caller hands it to [`AuthorizedConnectApp`]'s buffer.
pub(crate) trait Piece {
    /// At least the length of the text.
    fn len_bound(&self) -> usize;
    /// Appends the text.
    fn push_to(&self, out: &mut String);
}

impl Piece for &str {
    fn len_bound(&self) -> usize {
        self.len()
    }
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl fmt::Debug for AuthorizedConnectApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("AuthorizedConnectApp");
        for (name, value) in NAMES.iter().zip(self.texts()) {
            s.field(name, &value);
        }
        s.field("permissions", &self.permissions).finish()
    }
}

impl Serialize for AuthorizedConnectApp {
    /// The API's object: every field in the API's order, `null` where absent.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("AuthorizedConnectApp", SLOTS + 1)?;
        let texts = self.texts();
        // The API's order puts `permissions` before `uri`, the last slot.
        for (name, value) in NAMES.iter().zip(texts).take(SLOTS - 1) {
            s.serialize_field(name, &value)?;
        }
        s.serialize_field("permissions", &self.permissions)?;
        s.serialize_field("uri", &self.uri())?;
        s.end()
    }
}

/// One app as a fetch returned it, with what the response said about itself
/// (`Twilio-Request-Id`, Twilio's duration and concurrency, the attempts, the headers).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// The app.
    pub app: AuthorizedConnectApp,
    /// What its response said about itself.
    pub meta: crate::base::meta::ResponseMeta,
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
        assert_eq!(app.connect_app_homepage_url(), Some("not a url"));
        assert_eq!(app.uri(), None);
        let json = serde_json::to_string(&app.permissions).unwrap();
        assert_eq!(json, r#"["post-all","delete-all"]"#);
        let empty: AuthorizedConnectApp = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AuthorizedConnectApp::default());
    }

    #[test]
    fn every_field_reads_back_what_was_set_and_none_is_not_empty() {
        let mut app = AuthorizedConnectApp::default()
            .with_uri("/u")
            .with_account_sid("AC1")
            .with_connect_app_sid("")
            .with_connect_app_description("d\u{e9}")
            .with_permissions([Permission::PostAll]);
        assert_eq!(app.uri(), Some("/u"));
        assert_eq!(app.account_sid(), Some("AC1"));
        assert_eq!(app.connect_app_sid(), Some("")); // empty, not absent
        assert_eq!(app.connect_app_description(), Some("d\u{e9}"));
        assert_eq!(app.connect_app_company_name(), None);
        assert_eq!(app.connect_app_friendly_name(), None);
        assert_eq!(app.connect_app_homepage_url(), None);
        assert!(app.can_write());
        app.set_account_sid(None);
        app.set_connect_app_friendly_name(Some("Zap"));
        assert_eq!(app.account_sid(), None);
        assert_eq!(app.connect_app_friendly_name(), Some("Zap"));
        assert_eq!(app.uri(), Some("/u"), "the other fields stay");
        assert_eq!(app.permissions(), Some(&[Permission::PostAll][..]));
        // The same fields set in another order make an equal record.
        let other = AuthorizedConnectApp::default()
            .with_permissions([Permission::PostAll])
            .with_connect_app_friendly_name("Zap")
            .with_connect_app_description("d\u{e9}")
            .with_connect_app_sid("")
            .with_uri("/u");
        assert_eq!(app, other);
        assert_ne!(app, other.clone().with_connect_app_sid("CN"));
        let debug = format!("{app:?}");
        assert!(
            debug.contains(r#"connect_app_friendly_name: Some("Zap")"#),
            "{debug}"
        );
        assert!(debug.contains("account_sid: None"), "{debug}");
    }

    #[test]
    fn serializes_in_the_api_order_with_nulls() {
        let app = AuthorizedConnectApp::default()
            .with_connect_app_sid("CN1")
            .with_uri("/u")
            .with_permissions([Permission::GetAll]);
        assert_eq!(
            serde_json::to_string(&app).unwrap(),
            r#"{"account_sid":null,"connect_app_company_name":null,"connect_app_description":null,"connect_app_friendly_name":null,"connect_app_homepage_url":null,"connect_app_sid":"CN1","permissions":["get-all"],"uri":"/u"}"#
        );
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
