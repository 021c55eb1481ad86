//! The Account resource, as the accounts listing returns it (the parent and its subaccounts).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::base::sid::AccountSid;

/// An account's status.
///
/// ```
/// use twilio_connect_apps::model::AccountStatus;
/// assert_eq!("active".parse::<AccountStatus>(), Ok(AccountStatus::Active));
/// assert_eq!(AccountStatus::Other("frozen".into()).as_str(), "frozen");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// `active`.
    Active,
    /// `suspended`.
    Suspended,
    /// `closed`.
    Closed,
    /// A value this version of the crate does not know, kept as sent.
    Other(String),
}

impl AccountStatus {
    /// The API's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
            AccountStatus::Other(s) => s,
        }
    }

    /// The status the API spells `s` (unknown spellings are kept).
    pub fn from_api(s: &str) -> Self {
        match s {
            "active" => AccountStatus::Active,
            "suspended" => AccountStatus::Suspended,
            "closed" => AccountStatus::Closed,
            other => AccountStatus::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AccountStatus {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(AccountStatus::from_api(s))
    }
}

impl Serialize for AccountStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An account: the parent or one of its subaccounts.
///
/// Every field is optional and kept as sent, like [`AuthorizedConnectApp`](crate::AuthorizedConnectApp)'s.
/// **The API sends each account's `auth_token` with it; this type has no field for it: the
/// token is skipped while parsing and never held, printed, logged or serialized.**
///
/// ```
/// use twilio_connect_apps::Account;
/// use twilio_connect_apps::model::AccountStatus;
/// let a: Account = serde_json::from_str(r#"{"sid": "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
///     "friendly_name": "Client B", "status": "active", "type": "Full",
///     "owner_account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "auth_token": "s3cr3t"}"#)?;
/// assert_eq!(a.status, Some(AccountStatus::Active));
/// assert!(!format!("{a:?} {}", serde_json::to_string(&a)?).contains("s3cr3t"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Account {
    /// The account SID (`AC…`).
    pub sid: Option<String>,
    /// Its name.
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    pub status: Option<AccountStatus>,
    /// `Trial` or `Full`, as sent.
    #[serde(rename = "type")]
    pub account_type: Option<String>,
    /// The parent account's SID (for a subaccount), or its own.
    pub owner_account_sid: Option<String>,
    /// When it was created (RFC 2822, as sent).
    pub date_created: Option<String>,
    /// When it was last updated (RFC 2822, as sent).
    pub date_updated: Option<String>,
    /// Its URI, relative to the API origin.
    pub uri: Option<String>,
}

impl Account {
    /// The SID, when present and well-formed.
    pub fn account_sid(&self) -> Option<AccountSid> {
        self.sid.as_deref()?.parse().ok()
    }

    /// Whether its status is `active`.
    pub fn is_active(&self) -> bool {
        self.status == Some(AccountStatus::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::paging::{Paginator, Step};
    use crate::{Config, Credentials, Secret};

    #[test]
    fn the_auth_token_is_never_kept_and_the_listing_pages() {
        let config = Config::new(Credentials::auth_token(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
            Secret::new("t"),
        ));
        let body = r#"{"accounts": [
            {"sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "auth_token": "PARENT-TOKEN", "status": "active", "friendly_name": "P"},
            {"sid": "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "auth_token": "SUB-TOKEN", "status": "paused", "type": "Trial",
             "subresource_uris": {"calls": "/x"}}],
            "next_page_uri": null}"#;
        let mut p = Paginator::accounts(
            &config,
            crate::AccountListParams::new().with_status(AccountStatus::Active),
        )
        .unwrap();
        let Step::Send(req) = p.step().unwrap() else {
            panic!()
        };
        assert_eq!(req.uri().path(), "/2010-04-01/Accounts.json");
        assert_eq!(req.uri().query(), Some("Status=active&PageSize=1000"));
        p.handle_response(&http::Response::new(body.as_bytes().to_vec()))
            .unwrap();
        let mut accounts = Vec::new();
        while let Step::Record(a) = p.step().unwrap() {
            accounts.push(a);
        }
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            accounts[1].status,
            Some(AccountStatus::Other("paused".into()))
        );
        assert_eq!(accounts[1].account_type.as_deref(), Some("Trial"));
        let shown = format!(
            "{accounts:?} {accounts:#?} {} {p:?}",
            serde_json::to_string(&accounts).unwrap()
        );
        assert!(!shown.contains("TOKEN"), "{shown}");
        assert!(
            serde_json::to_string(&accounts[1])
                .unwrap()
                .contains(r#""type":"Trial""#)
        );
    }
}
