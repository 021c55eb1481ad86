//! What a listable resource is: its records' key in a page, its listing path, how one record
//! is read. Two resources implement it: [`AuthorizedConnectApp`] and [`Account`].

use std::fmt;

use serde::Deserializer;

use crate::account::Account;
use crate::json_path::Trail;
use crate::model::AuthorizedConnectApp;
use crate::sid::AccountSid;

/// The API's path prefix of everything account-scoped.
pub(crate) const API_PREFIX: &str = "/2010-04-01/Accounts/";
/// The apps listing's path suffix after the account SID.
const APPS_SUFFIX: &str = "/AuthorizedConnectApps.json";
/// The accounts listing's path.
pub(crate) const ACCOUNTS_PATH: &str = "/2010-04-01/Accounts.json";

mod sealed {
    use super::*;

    /// How a resource's records are read and where its listings live; crate-internal.
    pub trait Record: Sized {
        /// Reads one record, recording the failing field in `trail`.
        fn read<'de, D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error>;
        /// The listing's path for `account` (apps) or the credentials (accounts).
        fn list_path(account: &AccountSid) -> String;
        /// The scope a listing path belongs to: the account for apps, `""` for accounts;
        /// `None` if the path is not this resource's listing.
        fn scope(path: &str) -> Option<String>;
        /// The record's identity (its SID), for dropping repeats.
        fn identity(&self) -> Option<&str>;
        /// Reads a whole page on the fast path, when this resource has one; `None`: the serde
        /// path must.
        fn fast_page(
            _body: &str,
            _max: usize,
            _expected: usize,
        ) -> Option<(Vec<Self>, crate::scan::Envelope)> {
            None
        }
    }
}

pub(crate) use sealed::Record;

/// A resource a [`Paginator`](crate::Paginator) can list: [`AuthorizedConnectApp`] (the
/// default everywhere) or [`Account`]. Sealed: this crate knows how to read both.
pub trait Resource: Record + fmt::Debug + Send + Sync + Unpin + 'static {
    /// The key of the records array in a v2010 page (`authorized_connect_apps`, `accounts`).
    const RECORDS_KEY: &'static str;
}

impl Resource for AuthorizedConnectApp {
    const RECORDS_KEY: &'static str = "authorized_connect_apps";
}

impl Record for AuthorizedConnectApp {
    fn read<'de, D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error> {
        use serde::de::DeserializeSeed as _;
        crate::model::AppSeed(trail).deserialize(d)
    }

    fn list_path(account: &AccountSid) -> String {
        format!("{API_PREFIX}{}{APPS_SUFFIX}", account.as_str())
    }

    fn scope(path: &str) -> Option<String> {
        let account: AccountSid = path
            .strip_prefix(API_PREFIX)?
            .strip_suffix(APPS_SUFFIX)?
            .parse()
            .ok()?;
        Some(account.as_str().to_owned())
    }

    fn identity(&self) -> Option<&str> {
        self.connect_app_sid.as_deref()
    }

    fn fast_page(
        body: &str,
        max: usize,
        expected: usize,
    ) -> Option<(Vec<Self>, crate::scan::Envelope)> {
        let mut out = Vec::with_capacity(expected);
        let env = crate::scan::apps_page(body, max, |view| {
            out.push(view.to_owned());
            Ok(())
        })
        .ok()?;
        Some((out, env))
    }
}

impl Resource for Account {
    const RECORDS_KEY: &'static str = "accounts";
}

impl Record for Account {
    fn read<'de, D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error> {
        use serde::de::DeserializeSeed as _;
        crate::account::AccountSeed(trail).deserialize(d)
    }

    fn list_path(_: &AccountSid) -> String {
        ACCOUNTS_PATH.to_owned()
    }

    fn scope(path: &str) -> Option<String> {
        (path == ACCOUNTS_PATH).then(String::new)
    }

    fn identity(&self) -> Option<&str> {
        self.sid.as_deref()
    }
}

/// The scope of a path and query (`target`) for `R`.
pub(crate) fn scope_of<R: Record>(target: &str) -> Option<String> {
    R::scope(target.split(['?', '#']).next().unwrap_or(target))
}
