//! What a listable resource is: its records' key in a page, its listing path, how one record
//! is read. Two resources implement it: [`AuthorizedConnectApp`] and [`Account`].

use std::fmt;

use crate::api::{self, ACCOUNTS_KEY, RECORDS_KEY};
use crate::base::sid::AccountSid;
use crate::model::account::Account;
use crate::model::app::AuthorizedConnectApp;
use crate::model::page::Envelope;
use crate::wire::record::{PendingApp, Wire};

mod sealed {
    use super::*;

    /// How a resource's records are read and where its listings live; crate-internal.
    pub trait Record: Sized + for<'de> Wire<'de> {
        /// The listing's path for `account` (apps) or the credentials (accounts).
        fn list_path(account: &AccountSid) -> String;
        /// The scope a listing path belongs to: the account for apps, `""` for accounts;
        /// `None` if the path is not this resource's listing.
        fn scope(path: &str) -> Option<String>;
        /// The record's identity (its SID), for dropping repeats.
        fn identity(&self) -> Option<&str>;
        /// Reads a whole page on the fast path, when this resource has one; `None`: the serde
        /// path must.
        fn fast_page(_body: &str, _max: usize, _expected: usize) -> Option<(Vec<Self>, Envelope)> {
            None
        }
    }
}

pub(crate) use sealed::Record;

/// A resource a [`ListingMachine`](crate::machine::ListingMachine) can list: [`AuthorizedConnectApp`] (the
/// default everywhere) or [`Account`]. Sealed: this crate knows how to read both.
pub trait Resource: Record + fmt::Debug + Send + Sync + Unpin + 'static {
    /// The key of the records array in a v2010 page (`authorized_connect_apps`, `accounts`).
    const RECORDS_KEY: &'static str;
}

impl Resource for AuthorizedConnectApp {
    const RECORDS_KEY: &'static str = RECORDS_KEY;
}

impl Record for AuthorizedConnectApp {
    fn list_path(account: &AccountSid) -> String {
        api::apps_list_path(account)
    }

    fn scope(path: &str) -> Option<String> {
        api::apps_list_account(path).map(|a| a.as_str().to_owned())
    }

    fn identity(&self) -> Option<&str> {
        self.connect_app_sid()
    }

    fn fast_page(body: &str, max: usize, expected: usize) -> Option<(Vec<Self>, Envelope)> {
        let mut out = Vec::with_capacity(expected);
        let (envelope, _) = crate::wire::scan::apps_page::<PendingApp<'_>>(body, max, |app| {
            out.push(app.finish());
            Ok(())
        })
        .ok()?;
        Some((out, envelope))
    }
}

impl Resource for Account {
    const RECORDS_KEY: &'static str = ACCOUNTS_KEY;
}

impl Record for Account {
    fn list_path(_: &AccountSid) -> String {
        api::accounts_list_path()
    }

    fn scope(path: &str) -> Option<String> {
        api::is_accounts_list(path).then(String::new)
    }

    fn identity(&self) -> Option<&str> {
        self.sid.as_deref()
    }
}

/// The scope of a path and query (`target`) for `R`.
pub(crate) fn scope_of<R: Record>(target: &str) -> Option<String> {
    R::scope(target.split(['?', '#']).next().unwrap_or(target))
}
