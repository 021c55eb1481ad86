//! `GET …/AuthorizedConnectApps.json`: one page of an account's apps, in either envelope.

use http::StatusCode;

use crate::server::handler::{Answer, NextOverride};
use crate::server::query::form_pairs;
use crate::server::state::{AccountEntry, Shared};
use crate::server::tokens::{page_token, read_token};

pub(super) fn list_page(
    shared: &Shared,
    account: &str,
    entry: &AccountEntry,
    query: Option<&str>,
    next_override: Option<NextOverride>,
) -> Answer {
    let params = query.map(form_pairs).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let size = match get("PageSize") {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Answer::error(
                    400,
                    20001,
                    &format!("Invalid PageSize: {s} (must be 1..=1000)"),
                );
            }
        },
    };
    let page = match get("Page") {
        None => 0,
        Some(s) => match s.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return Answer::error(400, 20001, &format!("Invalid Page: {s}")),
        },
    };
    let start = match get("PageToken") {
        Some(t) => match read_token(shared, account, t) {
            Some(offset) => offset,
            None => return Answer::error(400, 20001, &format!("Invalid PageToken: {t}")),
        },
        None if page == 0 => 0,
        None => {
            return Answer::error(
                400,
                20001,
                "Page > 0 needs the PageToken from next_page_uri",
            );
        }
    };
    let total = entry.apps.len();
    let start = start.min(total);
    let end = (start + size).min(total);
    let base = format!("/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json");
    let this_uri = match get("PageToken") {
        Some(_) => format!(
            "{base}?Page={page}&PageSize={size}&PageToken={}",
            page_token(shared, account, start)
        ),
        None => format!("{base}?Page={page}&PageSize={size}"),
    };
    let endless = matches!(next_override, Some(NextOverride::Endless(_)));
    let next = match next_override {
        Some(NextOverride::Foreign(origin)) => Some(format!("{origin}{this_uri}")),
        Some(NextOverride::Repeat) => Some(this_uri.clone()),
        Some(NextOverride::Reordered) => {
            let (path, query) = this_uri.split_once('?').unwrap_or((&this_uri, ""));
            let mut pairs: Vec<&str> = query.split('&').collect();
            pairs.reverse();
            Some(format!("{path}?{}", pairs.join("&")))
        }
        Some(NextOverride::Verbatim(uri)) => Some(uri),
        Some(NextOverride::Endless(n)) => Some(format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, account, n as usize)
        )),
        None if end < total => Some(format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, account, end)
        )),
        None => None,
    };
    let previous = (page > 0 && start > 0).then(|| {
        format!(
            "{base}?Page={}&PageSize={size}&PageToken={}",
            page - 1,
            page_token(shared, account, start.saturating_sub(size))
        )
    });
    let records = if endless {
        &[][..]
    } else {
        entry.apps.get(start..end).unwrap_or_default()
    };
    let mut body =
        Vec::with_capacity(records.iter().map(|(_, j)| j.len() + 1).sum::<usize>() + 1024);
    body.extend_from_slice(b"{\"authorized_connect_apps\":[");
    for (i, (_, json)) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(json);
    }
    let s = |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let first = format!("{base}?Page=0&PageSize={size}");
    let tail = match &shared.meta {
        // Newer APIs: the same records under `meta.key`, URLs absolute, no start/end.
        Some(origin) => {
            let abs = |v: &Option<String>| match v {
                Some(u) if u.starts_with('/') => s(&Some(format!("{origin}{u}"))),
                other => s(other),
            };
            format!(
                "],\"meta\":{{\"first_page_url\":{},\"key\":\"authorized_connect_apps\",\"next_page_url\":{},\"page\":{page},\"page_size\":{size},\"previous_page_url\":{},\"url\":{}}}}}",
                abs(&Some(first)),
                abs(&next),
                abs(&previous),
                abs(&Some(this_uri)),
            )
        }
        None => format!(
            "],\"end\":{},\"first_page_uri\":{},\"next_page_uri\":{},\"page\":{page},\"page_size\":{size},\"previous_page_uri\":{},\"start\":{start},\"uri\":{}}}",
            if end > start { end - 1 } else { start },
            s(&Some(first)),
            s(&next),
            s(&previous),
            s(&Some(this_uri)),
        ),
    };
    body.extend_from_slice(tail.as_bytes());
    Answer::json(StatusCode::OK, body)
}
