//! `GET /2010-04-01/Accounts.json`: the accounts listing.

use http::StatusCode;

use crate::server::handler::Answer;
use crate::server::query::{form_pairs, percent_encode};
use crate::server::state::{AccountEntry, Shared, State};
use crate::server::tokens::{page_token, read_token};

/// `GET /2010-04-01/Accounts.json`: the caller's account first, then its subaccounts, each
/// with its auth token (as Twilio sends them); `Status` and `FriendlyName` filter; paged.
pub(super) fn accounts_page(
    shared: &Shared,
    st: &State,
    caller: &str,
    query: Option<&str>,
) -> Answer {
    let params = query.map(form_pairs).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let size = match get("PageSize").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Answer::error(400, 20001, "Invalid PageSize (must be 1..=1000)"),
    };
    let status = get("Status");
    if let Some(s) = status
        && !["active", "suspended", "closed"].contains(&s)
    {
        return Answer::error(400, 20001, &format!("Invalid Status: {s}"));
    }
    let name = get("FriendlyName");
    let scope = format!(
        "accounts:{caller}:{}:{}",
        status.unwrap_or(""),
        name.unwrap_or("")
    );
    let start = match get("PageToken") {
        Some(t) => match read_token(shared, &scope, t) {
            Some(offset) => offset,
            None => return Answer::error(400, 20001, &format!("Invalid PageToken: {t}")),
        },
        None => 0,
    };
    let page: usize = get("Page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let listed: Vec<&AccountEntry> = st
        .order
        .iter()
        .filter_map(|sid| Some((sid, st.accounts.get(sid)?)))
        .filter(|(sid, a)| *sid == caller || a.parent.as_deref() == Some(caller))
        .map(|(_, a)| a)
        .filter(|a| status.is_none_or(|s| a.status == s))
        .filter(|a| name.is_none_or(|n| a.friendly_name == n))
        .collect();
    let end = (start + size).min(listed.len());
    let base = "/2010-04-01/Accounts.json";
    let mut filters = String::new();
    for (k, v) in [("FriendlyName", name), ("Status", status)] {
        if let Some(v) = v {
            filters.push_str(&format!("{k}={}&", percent_encode(v)));
        }
    }
    let next = (end < listed.len()).then(|| {
        format!(
            "{base}?{filters}Page={}&PageSize={size}&PageToken={}",
            page + 1,
            page_token(shared, &scope, end)
        )
    });
    let mut body = b"{\"accounts\":[".to_vec();
    for (i, a) in listed
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&a.json);
    }
    let s = |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    body.extend_from_slice(
        format!(
            "],\"end\":{},\"first_page_uri\":{},\"next_page_uri\":{},\"page\":{page},\"page_size\":{size},\"previous_page_uri\":null,\"start\":{start},\"uri\":{}}}",
            end.saturating_sub(1).max(start),
            s(&Some(format!("{base}?{filters}Page=0&PageSize={size}"))),
            s(&next),
            s(&Some(format!("{base}?{filters}Page={page}&PageSize={size}"))),
        )
        .as_bytes(),
    );
    Answer::json(StatusCode::OK, body)
}
