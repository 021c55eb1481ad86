//! The evidence of an audit run (`--snapshot FILE`), and the baseline a run compares with
//! (`--baseline FILE`: a snapshot, or the NDJSON `list --json` writes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::audit::run::RunRecord;
use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{AuthorizedConnectApp, Cursor};

/// What a snapshot file says it is.
pub(crate) const FORMAT: &str = "connect-apps-snapshot/1";

/// One run's evidence: how it was obtained, and what every account held.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// [`FORMAT`].
    pub(crate) format: String,
    /// The program that made it.
    pub(crate) tool: Tool,
    /// When the run started and ended (RFC 3339, UTC).
    pub(crate) started_at: String,
    /// When the run ended.
    pub(crate) finished_at: String,
    /// The API origin read.
    pub(crate) origin: String,
    /// Which credentials (never a secret).
    pub(crate) credentials: CredentialInfo,
    /// The built-in emulator's sample data, not an account's.
    #[serde(default)]
    pub(crate) sample_data: bool,
    /// Every account was read (or failed for good); `false`: the run stopped part-way and
    /// `--resume` goes on with it.
    pub(crate) complete: bool,
    /// The accounts, in the accounts listing's order.
    pub(crate) accounts: Vec<AccountRecord>,
    /// What judged the apps and what the run covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) run: Option<RunRecord>,
}

/// The program that made a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tool {
    /// `connect-apps`.
    pub(crate) name: String,
    /// Its version.
    pub(crate) version: String,
}

impl Tool {
    /// This program.
    pub(crate) fn this() -> Self {
        Tool {
            name: "connect-apps".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Which credentials a run used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CredentialInfo {
    /// `auth token`, `API key` or `OAuth client credentials`.
    pub(crate) kind: String,
    /// The account they belong to.
    pub(crate) account_sid: String,
}

/// Whether an account was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Every app was read.
    Read,
    /// Its listing failed (`error` says why; `apps` holds what was read before).
    Failed,
}

/// One account in a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    /// Its SID.
    pub(crate) account_sid: String,
    /// Its name, as the accounts listing gave it.
    pub(crate) friendly_name: Option<String>,
    /// Read, or failed.
    pub(crate) status: Status,
    /// Why it failed: the error line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// Where its listing stopped, when going on could succeed (`--resume` goes on from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cursor: Option<Cursor>,
    /// Its apps (all of them when read), the API's fields as `list --json` writes them.
    pub(crate) apps: Vec<AppRecord>,
}

/// One app in a snapshot: the API's fields, then when it was first seen and the request that
/// read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppRecord {
    /// The app, as the API sent it.
    #[serde(flatten)]
    pub(crate) app: AuthorizedConnectApp,
    /// When an audit first saw it (carried over from the baseline snapshot).
    pub(crate) first_seen: String,
    /// When an audit last saw it: this run (Twilio keeps no dates for this resource, so the
    /// tool's own records are the timeline).
    #[serde(default)]
    pub(crate) last_seen: String,
    /// The `Twilio-Request-Id` of the page it came from.
    pub(crate) request_id: Option<String>,
}

impl Snapshot {
    /// Reads a snapshot file (for `--resume`).
    pub(crate) fn load(path: &Path, flag: &str) -> Result<Snapshot, String> {
        let shown = path.display();
        let text = std::fs::read(path).map_err(|e| format!("{flag} {shown}: {e}"))?;
        let snapshot: Snapshot = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "{flag} {shown}: not a snapshot this program wrote: {}",
                display_text(&e.to_string(), 200)
            )
        })?;
        if snapshot.format != FORMAT {
            return Err(format!(
                "{flag} {shown}: a snapshot of format {}, not {FORMAT}",
                display_text(&snapshot.format, 40)
            ));
        }
        Ok(snapshot)
    }
}

/// What the approved state held: per account, per app, its permissions (and when it was
/// first seen).
#[derive(Debug, Clone, Default)]
pub(crate) struct Baseline {
    /// (account, app) → what the baseline knew of it.
    pub(crate) apps: BTreeMap<(String, String), Known>,
    /// The accounts it speaks for (`None`: every account, as NDJSON does: an account it has no
    /// line of held no app).
    pub(crate) accounts: Option<BTreeSet<String>>,
    /// SHA-256 of the file's bytes (for the run record).
    pub(crate) sha256: Option<String>,
}

/// One app of the baseline.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    /// The permissions it held.
    pub(crate) permissions: BTreeSet<String>,
    /// Its name then.
    pub(crate) name: Option<String>,
    /// When it was first seen (snapshots only).
    pub(crate) first_seen: Option<String>,
}

impl Baseline {
    /// Whether the baseline speaks for `account`.
    pub(crate) fn covers(&self, account: &str) -> bool {
        self.accounts.as_ref().is_none_or(|a| a.contains(account))
    }

    /// Reads `--baseline FILE`: a snapshot (the accounts it read), or NDJSON lines of apps.
    pub(crate) fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display();
        let text = std::fs::read(path).map_err(|e| format!("--baseline {shown}: {e}"))?;
        let mut baseline =
            Baseline::parse(&text).map_err(|e| format!("--baseline {shown}: {e}"))?;
        baseline.sha256 = Some(crate::audit::run::sha256(&text));
        Ok(baseline)
    }

    /// A baseline from a file's bytes.
    pub(crate) fn parse(text: &[u8]) -> Result<Baseline, String> {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(text)
            && value.get("format").is_some()
            && value.get("accounts").is_some()
        {
            let snapshot: Snapshot = serde_json::from_value(value).map_err(|e| {
                format!(
                    "not a snapshot this program wrote: {}",
                    display_text(&e.to_string(), 200)
                )
            })?;
            return Ok(Baseline::of_snapshot(&snapshot));
        }
        let mut baseline = Baseline::default();
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let app: AuthorizedConnectApp = serde_json::from_slice(line).map_err(|e| {
                format!(
                    "line {}: neither a snapshot nor an app as `list --json` writes it: {}",
                    i + 1,
                    display_text(&e.to_string(), 200)
                )
            })?;
            let (Some(account), Some(sid)) = (
                app.account_sid().map(str::to_owned),
                app.connect_app_sid().map(str::to_owned),
            ) else {
                return Err(format!(
                    "line {}: an app without account_sid or connect_app_sid",
                    i + 1
                ));
            };
            baseline.apps.insert(
                (account, sid),
                Known {
                    permissions: permissions_of(&app),
                    name: app.connect_app_friendly_name().map(str::to_owned),
                    first_seen: None,
                },
            );
        }
        Ok(baseline)
    }

    fn of_snapshot(snapshot: &Snapshot) -> Baseline {
        let mut baseline = Baseline {
            apps: BTreeMap::new(),
            accounts: Some(BTreeSet::new()),
            sha256: None,
        };
        for account in snapshot
            .accounts
            .iter()
            .filter(|a| a.status == Status::Read)
        {
            if let Some(set) = baseline.accounts.as_mut() {
                set.insert(account.account_sid.clone());
            }
            for record in &account.apps {
                let Some(sid) = record.app.connect_app_sid().map(str::to_owned) else {
                    continue;
                };
                baseline.apps.insert(
                    (account.account_sid.clone(), sid),
                    Known {
                        permissions: permissions_of(&record.app),
                        name: record.app.connect_app_friendly_name().map(str::to_owned),
                        first_seen: Some(record.first_seen.clone()),
                    },
                );
            }
        }
        baseline
    }
}

/// An app's permissions, by the API's names.
pub(crate) fn permissions_of(app: &AuthorizedConnectApp) -> BTreeSet<String> {
    app.permissions()
        .unwrap_or_default()
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines_from_list_json_with_or_without_the_account_name() {
        let b = Baseline::parse(
            br#"{"account_friendly_name":"Parent","account_sid":"AC1","connect_app_sid":"CN1","permissions":["get-all"]}

{"account_sid":"AC2","connect_app_sid":"CN2","permissions":["get-all","post-all"],"uri":null}
"#,
        )
        .unwrap();
        assert!(b.covers("AC9"));
        let k = &b.apps[&("AC2".to_string(), "CN2".to_string())];
        assert!(k.permissions.contains("post-all") && k.first_seen.is_none());
        let e =
            Baseline::parse(b"{\"account_sid\":\"AC1\",\"connect_app_sid\":\"CN1\"}\nnot json\n")
                .unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = Baseline::parse(b"{\"connect_app_sid\":\"CN1\"}\n").unwrap_err();
        assert!(e.contains("without account_sid"), "{e}");
    }
}
