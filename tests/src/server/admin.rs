//! Changing the emulator while it runs: its data, for tests of "what changed between two runs"
//! (an app gains `post-all`, a new app appears, one is removed), and its faults, so that a
//! test suite arms "the next request gets a 503" without a restart. In process:
//! [`Emulator::upsert_app`], [`Emulator::remove_app`], [`Emulator::add_fault`],
//! [`Emulator::faults`], [`Emulator::clear_faults`]; over HTTP, for the standalone binary:
//!
//! ```text
//! PUT    /_emulator/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json   body: the whole app
//! PATCH  /_emulator/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json   body: the fields to change
//! DELETE /_emulator/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json
//! POST   /_emulator/faults    body: {"rule": "<TRIGGER:FAULT[:times=N]>"}
//! GET    /_emulator/faults
//! DELETE /_emulator/faults
//! ```
//!
//! The app routes take the credentials that may read that account (its own, or its
//! parent's); the fault routes take any credentials the emulator knows. `PUT` replaces the app
//! (a field left out becomes `null`) and answers 201 (added at the end of the listing) or 200
//! (replaced in place) with the app as the API shows it; `PATCH` changes only the fields given
//! (200, or 404 when there is no such app); `DELETE` answers 204, or 404. `POST` on the faults
//! answers 201 with the rule as armed (`{"index", "rule", "fired", "remaining"}`), or 400 with
//! what is wrong in the rule; `GET` answers `{"faults": [...]}` in that form; `DELETE` answers
//! 204. A rule armed at run time counts the API requests from then on (`nth=1` is the next
//! one); admin requests are never faulted.
//!
//! [`Emulator::upsert_app`]: crate::Emulator::upsert_app
//! [`Emulator::remove_app`]: crate::Emulator::remove_app
//! [`Emulator::add_fault`]: crate::Emulator::add_fault
//! [`Emulator::faults`]: crate::Emulator::faults
//! [`Emulator::clear_faults`]: crate::Emulator::clear_faults

use http::{Method, Request, StatusCode};

use crate::data::{App, is_sid};
use crate::faults::FaultRule;
use crate::server::handler::Answer;
use crate::server::routes::authenticate;
use crate::server::state::{Shared, State};

/// Where the admin routes start.
pub(super) const PREFIX: &str = "/_emulator/";

/// The fault routes.
const FAULTS: &str = "/_emulator/faults";

impl State {
    /// Arms `rule` after the existing ones, counting API requests from now on; its index.
    pub(super) fn add_fault(&mut self, mut rule: FaultRule) -> usize {
        rule.armed_after = self.api_requests;
        self.faults.rules.push(rule);
        self.faults.rules.len()
    }

    /// The app `sid` of `account`, as the API shows it, with `changes` (an object of app
    /// fields) laid over it.
    fn patched_app(
        &self,
        account: &str,
        sid: &str,
        changes: &serde_json::Value,
    ) -> Option<Result<App, String>> {
        let entry = self.accounts.get(account)?;
        let i = *entry.index.get(sid)?;
        let (_, json) = entry.apps.get(i)?;
        let mut value: serde_json::Value = serde_json::from_slice(json).ok()?;
        let (Some(app), Some(changes)) = (value.as_object_mut(), changes.as_object()) else {
            return Some(Err("the body is not a JSON object".to_owned()));
        };
        for (k, v) in changes {
            app.insert(k.clone(), v.clone());
        }
        Some(serde_json::from_value(value).map_err(|e| format!("not an app: {e}")))
    }

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

/// Answers an admin request (`body`: what a `PUT`, `PATCH` or `POST` carried).
pub(super) fn answer(shared: &Shared, req: &Request<()>, path: &str, body: &[u8]) -> Answer {
    if path == FAULTS {
        return faults_answer(shared, req, body);
    }
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
    let value = || -> Result<serde_json::Value, Answer> {
        serde_json::from_slice(body)
            .map_err(|e| Answer::error(400, 20001, &format!("not JSON: {e}")))
    };
    let app_data = match *req.method() {
        Method::PUT => {
            let mut value = match value() {
                Ok(v) => v,
                Err(a) => return a,
            };
            if let Some(map) = value.as_object_mut() {
                map.entry("connect_app_sid")
                    .or_insert_with(|| serde_json::Value::from(app));
            }
            match serde_json::from_value::<App>(value) {
                Ok(a) => a,
                Err(e) => return Answer::error(400, 20001, &format!("not an app: {e}")),
            }
        }
        Method::PATCH => {
            let changes = match value() {
                Ok(v) => v,
                Err(a) => return a,
            };
            match st.patched_app(account, app, &changes) {
                None => return Answer::not_found(path),
                Some(Err(e)) => return Answer::error(400, 20001, &e),
                Some(Ok(a)) => a,
            }
        }
        Method::DELETE => {
            return if st.remove_app(account, app) {
                Answer::no_content()
            } else {
                Answer::not_found(path)
            };
        }
        _ => return Answer::error(405, 20004, "Method not allowed"),
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

/// One rule as the fault routes show it.
fn rule_json(index: usize, rule: &FaultRule) -> serde_json::Value {
    serde_json::json!({
        "index": index,
        "rule": rule.to_string(),
        "fired": rule.fired(),
        "remaining": rule.remaining(),
    })
}

/// `POST`, `GET` or `DELETE /_emulator/faults`.
fn faults_answer(shared: &Shared, req: &Request<()>, body: &[u8]) -> Answer {
    let mut st = shared.lock();
    if authenticate(&st, req).is_none() {
        return Answer::error(401, 20003, "Authenticate");
    }
    match *req.method() {
        Method::POST => {
            #[derive(serde::Deserialize)]
            struct Arm {
                rule: String,
            }
            let arm: Arm = match serde_json::from_slice(body) {
                Ok(a) => a,
                Err(e) => {
                    return Answer::error(
                        400,
                        20001,
                        &format!("the body must be {{\"rule\": \"TRIGGER:FAULT[:times=N]\"}}: {e}"),
                    );
                }
            };
            let rule: FaultRule = match arm.rule.parse() {
                Ok(r) => r,
                Err(e) => return Answer::error(400, 20001, &e),
            };
            let index = st.add_fault(rule);
            let shown = st
                .faults
                .rules()
                .last()
                .map(|r| rule_json(index, r))
                .unwrap_or_default();
            Answer::json(StatusCode::CREATED, shown.to_string())
        }
        Method::GET => {
            let rules: Vec<_> = st
                .faults
                .rules()
                .iter()
                .enumerate()
                .map(|(i, r)| rule_json(i + 1, r))
                .collect();
            Answer::json(
                StatusCode::OK,
                serde_json::json!({ "faults": rules }).to_string(),
            )
        }
        Method::DELETE => {
            st.faults = crate::faults::FaultScript::new();
            Answer::no_content()
        }
        _ => Answer::error(405, 20004, "Method not allowed"),
    }
}
