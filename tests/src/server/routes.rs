//! Which resource a request names, and whether its credentials may read it.

use base64::Engine as _;
use http::{HeaderValue, Method, Request, StatusCode, header};

use crate::data::is_sid;
use crate::server::accounts::accounts_page;
use crate::server::apps::list_page;
use crate::server::handler::{Answer, NextOverride};
use crate::server::oauth::bearer_account;
use crate::server::state::{Shared, State};

/// Who the Basic credentials belong to: the account whose tree they may read.
pub(super) fn authenticate(st: &State, req: &Request<()>) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return bearer_account(st, token.trim());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if let Some(acct) = st.accounts.get(user) {
        return (acct.token == password).then(|| user.to_owned());
    }
    let key = st.keys.get(user)?;
    (key.secret == password).then(|| key.account_sid.clone())
}

pub(super) fn route(
    shared: &Shared,
    req: &Request<()>,
    path: &str,
    query: Option<&str>,
    next_override: Option<NextOverride>,
) -> Answer {
    const PREFIX: &str = "/2010-04-01/Accounts/";
    if path == "/2010-04-01/Accounts.json" {
        if req.method() != Method::GET {
            return Answer::error(405, 20004, "Method not allowed");
        }
        let st = shared.lock();
        let Some(caller) = authenticate(&st, req) else {
            return Answer::error(401, 20003, "Authenticate");
        };
        return accounts_page(shared, &st, &caller, query);
    }
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Answer::not_found(path);
    };
    let (account, tail) = rest.split_once('/').unwrap_or((rest, ""));
    enum Route<'a> {
        List,
        Fetch(&'a str),
    }
    let route = if tail == "AuthorizedConnectApps.json" {
        Route::List
    } else if let Some(sid) = tail
        .strip_prefix("AuthorizedConnectApps/")
        .and_then(|t| t.strip_suffix(".json"))
        .filter(|s| !s.contains('/'))
    {
        Route::Fetch(sid)
    } else {
        return Answer::not_found(path);
    };
    if req.method() != Method::GET {
        let mut a = Answer::error(405, 20004, "Method not allowed");
        a.headers
            .push((header::ALLOW, HeaderValue::from_static("GET")));
        return a;
    }
    let st = shared.lock();
    let Some(caller) = authenticate(&st, req) else {
        let mut a = Answer::error(401, 20003, "Authenticate");
        a.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        ));
        return a;
    };
    if !is_sid(account, "AC") {
        return Answer::not_found(path);
    }
    let Some(entry) = st.accounts.get(account) else {
        return Answer::not_found(path);
    };
    let allowed = account == caller || entry.parent.as_deref() == Some(caller.as_str());
    if !allowed {
        return Answer::error(403, 20003, "Permission Denied");
    }
    match route {
        Route::Fetch(sid) => {
            if !is_sid(sid, "CN") {
                return Answer::not_found(path);
            }
            match entry.index.get(sid).and_then(|i| entry.apps.get(*i)) {
                Some((_, json)) => Answer::json(StatusCode::OK, json.clone()),
                None => Answer::not_found(path),
            }
        }
        Route::List => list_page(shared, account, entry, query, next_override),
    }
}
