//! The API's constants: its origin, paths, parameter names and bounds. This file is the only
//! place they are spelled; everything else asks it.

use crate::base::sid::{AccountSid, ConnectAppSid};
use crate::error::Error;

/// Twilio's default API origin; an app's `uri` is relative to it.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
/// The host of [`DEFAULT_BASE_URL`].
pub(crate) const DEFAULT_HOST: &str = "api.twilio.com";

/// Twilio's OAuth token service, where client credentials are exchanged for access tokens.
pub const DEFAULT_OAUTH_BASE_URL: &str = "https://oauth.twilio.com";
/// The default cap on a response body (after decompression).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;
/// The default number of connections a client keeps (and, on the async transport, requests in
/// flight at once).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;
/// The host of [`DEFAULT_OAUTH_BASE_URL`].
pub(crate) const DEFAULT_OAUTH_HOST: &str = "oauth.twilio.com";
/// The token endpoint's path on the OAuth origin.
pub(crate) const TOKEN_PATH: &str = "/v2/token";

/// The largest page the API serves (and the page size asked for by default).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The longest next-page URI (or cursor URI) followed: Twilio's are a few hundred bytes; a
/// longer one is a paging error, not a request.
pub const MAX_PAGE_URI: usize = 8 * 1024;

/// The most permissions one app may hold (the API defines two); more is a parse error, so a
/// hostile page cannot make the parser keep millions of them.
pub const MAX_PERMISSIONS: usize = 64;

/// The key that holds the records in the Authorized Connect Apps envelope.
pub(crate) const RECORDS_KEY: &str = "authorized_connect_apps";

/// The key that holds the records in the accounts listing's envelope.
pub(crate) const ACCOUNTS_KEY: &str = "accounts";

/// The path prefix of everything account-scoped.
const API_PREFIX: &str = "/2010-04-01/Accounts/";
/// The apps listing's path after the account SID.
const APPS_LIST_SUFFIX: &str = "/AuthorizedConnectApps.json";
/// The accounts listing's path.
const ACCOUNTS_PATH: &str = "/2010-04-01/Accounts.json";

/// The headers Twilio sends about every response.
pub(crate) mod header {
    /// `Twilio-Request-Id` (`RQ…`).
    pub(crate) const REQUEST_ID: &str = "twilio-request-id";
    /// `Twilio-Request-Duration` (seconds).
    pub(crate) const REQUEST_DURATION: &str = "twilio-request-duration";
    /// `Twilio-Concurrent-Requests`.
    pub(crate) const CONCURRENT_REQUESTS: &str = "twilio-concurrent-requests";
}

/// Query parameter names.
pub(crate) mod param {
    /// Records per page.
    pub(crate) const PAGE_SIZE: &str = "PageSize";
    /// The page index.
    pub(crate) const PAGE: &str = "Page";
    /// The opaque page token.
    pub(crate) const PAGE_TOKEN: &str = "PageToken";
    /// The accounts listing's status filter.
    pub(crate) const STATUS: &str = "Status";
    /// The accounts listing's name filter.
    pub(crate) const FRIENDLY_NAME: &str = "FriendlyName";
}

/// `…/Accounts/{account}/AuthorizedConnectApps/{app}.json`: one app.
pub(crate) fn app_path(account: &AccountSid, app: &ConnectAppSid) -> String {
    format!(
        "{API_PREFIX}{}/AuthorizedConnectApps/{}.json",
        account.as_str(),
        app.as_str()
    )
}

/// `…/Accounts/{account}/AuthorizedConnectApps.json`: an account's apps listing.
pub(crate) fn apps_list_path(account: &AccountSid) -> String {
    format!("{API_PREFIX}{}{APPS_LIST_SUFFIX}", account.as_str())
}

/// `/2010-04-01/Accounts.json`: the accounts listing.
pub(crate) fn accounts_list_path() -> String {
    ACCOUNTS_PATH.to_owned()
}

/// The account whose apps listing `path` is, if it is one.
pub(crate) fn apps_list_account(path: &str) -> Option<AccountSid> {
    path.strip_prefix(API_PREFIX)?
        .strip_suffix(APPS_LIST_SUFFIX)?
        .parse()
        .ok()
}

/// Whether `path` is the accounts listing.
pub(crate) fn is_accounts_list(path: &str) -> bool {
    path == ACCOUNTS_PATH
}

/// Checks a page size against the API's bounds (1..=1000).
pub(crate) fn check_page_size(size: u32) -> Result<(), Error> {
    if (1..=MAX_PAGE_SIZE).contains(&size) {
        Ok(())
    } else {
        Err(Error::input(
            "page_size",
            format!("{size} is outside 1..={MAX_PAGE_SIZE}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_their_scopes() {
        let ac: AccountSid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
        let list = apps_list_path(&ac);
        assert_eq!(
            list,
            "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json"
        );
        assert_eq!(apps_list_account(&list), Some(ac.clone()));
        assert_eq!(
            apps_list_account("/2010-04-01/Accounts/ACnope/AuthorizedConnectApps.json"),
            None
        );
        assert!(is_accounts_list(&accounts_list_path()));
        assert_eq!(DEFAULT_BASE_URL, format!("https://{DEFAULT_HOST}"));
        assert_eq!(
            DEFAULT_OAUTH_BASE_URL,
            format!("https://{DEFAULT_OAUTH_HOST}")
        );
        assert!(check_page_size(0).is_err() && check_page_size(1001).is_err());
        assert!(check_page_size(1).is_ok() && check_page_size(MAX_PAGE_SIZE).is_ok());
    }
}
