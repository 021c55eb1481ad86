//! Changing the data while the emulator runs, for tests of "what changed between two runs"
//! (an app gains `post-all`, a new app appears, one is removed): [`Emulator::upsert_app`] and
//! [`Emulator::remove_app`] in process, and the same over HTTP for the standalone binary:
//!
//! ```text
//! PUT    /_emulator/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json   body: an app's JSON
//! DELETE /_emulator/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json
//! ```
//!
//! with the credentials that may read that account (its own, or its parent's). `PUT` answers
//! 201 (added at the end of the listing) or 200 (changed in place) with the app as the API
//! shows it; `DELETE` answers 204, or 404 when there was no such app.
//!
//! [`Emulator::upsert_app`]: crate::Emulator::upsert_app
//! [`Emulator::remove_app`]: crate::Emulator::remove_app

use http::{Method, Request, StatusCode};

use crate::data::{App, is_sid};
use crate::server::handler::Answer;
use crate::server::routes::authenticate;
use crate::server::state::{Shared, State};

/// Where the admin routes start.
pub(super) const PREFIX: &str = "/_emulator/";

impl State {
    /// Adds `app` to `account` (at the end of its listing), or changes it in place; true when
    /// it was added.
    pub(super) fn upsert_app(&mut self, account: &str, app: &App) -> Result<bool, String> {
        if !is_sid(&app.connect_app_sid, "CN") {
            return Err(format!(
                "{:?} is not a Connect App SID (CN + 32 hex digits)",
                app.connect_app_sid
            ));
        }
        let entry = self
            .accounts
            .get_mut(account)
            .ok_or_else(|| format!("no account {account}"))?;
        let json = serde_json::to_vec(&app.to_json(account)).map_err(|e| e.to_string())?;
        let sid = app.connect_app_sid.clone();
        match entry.index.get(&sid).copied() {
            Some(i) => {
                if let Some(slot) = entry.apps.get_mut(i) {
                    slot.1 = json.into();
                }
                Ok(false)
            }
            None => {
                entry.index.insert(sid.clone(), entry.apps.len());
                entry.apps.push((sid, json.into()));
                Ok(true)
            }
        }
    }

    /// Removes an app from `account`; false when there was none.
    pub(super) fn remove_app(&mut self, account: &str, sid: &str) -> bool {
        let Some(entry) = self.accounts.get_mut(account) else {
            return false;
        };
        let Some(i) = entry.index.remove(sid) else {
            return false;
        };
        entry.apps.remove(i);
        for (n, (s, _)) in entry.apps.iter().enumerate().skip(i) {
            entry.index.insert(s.clone(), n);
        }
        true
    }
}

/// Answers an admin request (`body`: what a `PUT` carried).
pub(super) fn answer(shared: &Shared, req: &Request<()>, path: &str, body: &[u8]) -> Answer {
    let Some((account, app)) = path
        .strip_prefix(PREFIX)
        .and_then(|p| p.strip_prefix("Accounts/"))
        .and_then(|p| p.split_once("/AuthorizedConnectApps/"))
        .and_then(|(a, rest)| Some((a, rest.strip_suffix(".json")?)))
    else {
        return Answer::not_found(path);
    };
    let mut st = shared.lock();
    let Some(caller) = authenticate(&st, req) else {
        return Answer::error(401, 20003, "Authenticate");
    };
    let Some(entry) = st.accounts.get(account) else {
        return Answer::not_found(path);
    };
    if account != caller && entry.parent.as_deref() != Some(caller.as_str()) {
        return Answer::error(403, 20003, "Permission Denied");
    }
    match *req.method() {
        Method::PUT => {
            let mut value: serde_json::Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return Answer::error(400, 20001, &format!("not JSON: {e}")),
            };
            if let Some(map) = value.as_object_mut() {
                map.entry("connect_app_sid")
                    .or_insert_with(|| serde_json::Value::from(app));
            }
            let app_data: App = match serde_json::from_value(value) {
                Ok(a) => a,
                Err(e) => return Answer::error(400, 20001, &format!("not an app: {e}")),
            };
            if app_data.connect_app_sid != app {
                return Answer::error(400, 20001, "connect_app_sid differs from the path");
            }
            match st.upsert_app(account, &app_data) {
                Ok(added) => {
                    let status = if added {
                        StatusCode::CREATED
                    } else {
                        StatusCode::OK
                    };
                    let json = serde_json::to_vec(&app_data.to_json(account)).unwrap_or_default();
                    Answer::json(status, json)
                }
                Err(e) => Answer::error(400, 20001, &e),
            }
        }
        Method::DELETE => {
            if st.remove_app(account, app) {
                let mut a = Answer::json(StatusCode::NO_CONTENT, Vec::new());
                a.headers.clear();
                a
            } else {
                Answer::not_found(path)
            }
        }
        _ => Answer::error(405, 20004, "Method not allowed"),
    }
}
