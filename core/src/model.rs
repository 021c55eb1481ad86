//! The Authorized Connect App resource.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::json_path::{Segment, Trail};
use crate::resource::Record;
use crate::sid::{AccountSid, ConnectAppSid};

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

    pub(crate) fn from_api(s: &str) -> Self {
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

struct PermissionVisitor;

impl Visitor<'_> for PermissionVisitor {
    type Value = Permission;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a permission string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Permission, E> {
        Ok(Permission::from_api(v))
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(PermissionVisitor)
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

field_names! {
    /// An app's field name (read by the owned and the view parsers).
    enum Field {
        AccountSid = "account_sid",
        CompanyName = "connect_app_company_name",
        Description = "connect_app_description",
        FriendlyName = "connect_app_friendly_name",
        HomepageUrl = "connect_app_homepage_url",
        ConnectAppSid = "connect_app_sid",
        Permissions = "permissions",
        Uri = "uri",
        _ => Unknown,
    }
}

/// Deserializes one app, recording the failing field in the trail.
pub(crate) struct AppSeed<'t>(pub(crate) &'t Trail);

impl<'de> DeserializeSeed<'de> for AppSeed<'_> {
    type Value = AuthorizedConnectApp;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AppSeed<'_> {
    type Value = AuthorizedConnectApp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an authorized connect app object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let trail = self.0;
        let mut app = AuthorizedConnectApp::default();
        while let Some(field) = map.next_key::<Field>()? {
            let at = || trail.at(Segment::Key(field.name()));
            let slot = match field {
                Field::AccountSid => &mut app.account_sid,
                Field::CompanyName => &mut app.connect_app_company_name,
                Field::Description => &mut app.connect_app_description,
                Field::FriendlyName => &mut app.connect_app_friendly_name,
                Field::HomepageUrl => &mut app.connect_app_homepage_url,
                Field::ConnectAppSid => &mut app.connect_app_sid,
                Field::Uri => &mut app.uri,
                Field::Permissions => {
                    app.permissions = map
                        .next_value_seed(OptionSeed(PermissionsSeed(trail)))
                        .map_err(at())?;
                    continue;
                }
                Field::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Option<String>>().map_err(at())?;
        }
        Ok(app)
    }
}

impl<'de> Deserialize<'de> for AuthorizedConnectApp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        AppSeed(&Trail::default()).deserialize(deserializer)
    }
}

/// `null` or the inner seed's value.
pub(crate) struct OptionSeed<S>(pub(crate) S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null or a value")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

struct PermissionsSeed<'t>(&'t Trail);

impl<'de> DeserializeSeed<'de> for PermissionsSeed<'_> {
    type Value = Vec<Permission>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PermissionsSeed<'_> {
    type Value = Vec<Permission>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of permission strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(2).min(8));
        loop {
            let index = out.len();
            match seq
                .next_element::<Permission>()
                .map_err(self.0.at(Segment::Index(index)))?
            {
                Some(p) => out.push(p),
                None => return Ok(out),
            }
        }
    }
}

/// Deserializes an array of at most `max` records, recording the failing index in the trail.
/// One record more is an error found before that record is allocated.
pub(crate) struct RecordsSeed<'t, R> {
    pub(crate) trail: &'t Trail,
    pub(crate) max: usize,
    /// How many records to make room for at once.
    pub(crate) expected: usize,
    pub(crate) marker: std::marker::PhantomData<fn() -> R>,
}

impl<'t, R> RecordsSeed<'t, R> {
    pub(crate) fn new(trail: &'t Trail, max: usize) -> Self {
        RecordsSeed {
            trail,
            max,
            expected: 0,
            marker: std::marker::PhantomData,
        }
    }

    /// Makes room for `n` records at once (never more than `max`).
    pub(crate) fn expecting(mut self, n: usize) -> Self {
        self.expected = n.min(self.max);
        self
    }
}

/// One record of `R`, for `next_element_seed`.
struct RecordSeed<'t, R>(&'t Trail, std::marker::PhantomData<fn() -> R>);

impl<'de, R: Record> DeserializeSeed<'de> for RecordSeed<'_, R> {
    type Value = R;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<R, D::Error> {
        R::read(self.0, deserializer)
    }
}

impl<'de, R: Record> DeserializeSeed<'de> for RecordsSeed<'_, R> {
    type Value = Vec<R>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, R: Record> Visitor<'de> for RecordsSeed<'_, R> {
    type Value = Vec<R>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(self.expected).min(self.max));
        loop {
            let index = out.len();
            let at = self.trail.at(Segment::Index(index));
            if index == self.max {
                // Look at the next element without building it.
                return match seq.next_element::<IgnoredAny>().map_err(at)? {
                    None => Ok(out),
                    Some(_) => {
                        self.trail.push(Segment::Index(index));
                        Err(de::Error::custom(format_args!(
                            "more records than the {} the page was asked for",
                            self.max
                        )))
                    }
                };
            }
            match seq
                .next_element_seed(RecordSeed::<R>(self.trail, std::marker::PhantomData))
                .map_err(at)?
            {
                Some(record) => out.push(record),
                None => return Ok(out),
            }
        }
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
