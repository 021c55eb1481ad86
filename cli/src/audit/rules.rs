//! The audit's rules: what the current state, the baseline and the policy say together.
//!
//! Baseline rules speak of change, policy rules of allowance, and neither suppresses the
//! other. An app not in the baseline gets `new-app` (never `permission-gained`), plus the
//! policy's findings; a removed app gets only `removed-app`; an `allow` entry scoped to other
//! accounts does not name the app in this one; with `deny_unlisted`, an unlisted `post-all`
//! app gets both `app-not-allowed` and `post-all-not-allowed`. Baseline rules run only for
//! accounts read in this run that the baseline speaks for.

use std::collections::BTreeSet;

use twilio_connect_apps::AuthorizedConnectApp;

use crate::audit::catalog::Level;
use crate::audit::exceptions::Exception;
use crate::audit::policy::Policy;
use crate::audit::snapshot::{AccountRecord, Baseline, Status, permissions_of};

/// How a finding stands against the baseline (SARIF's `baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaselineState {
    /// The app (or account) is not in the baseline.
    New,
    /// In the baseline, with the same permissions.
    Unchanged,
    /// In the baseline, with other permissions.
    Updated,
    /// In the baseline, not now.
    Absent,
}

impl BaselineState {
    /// SARIF's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Updated => "updated",
            BaselineState::Absent => "absent",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The rule's id.
    pub(crate) rule_id: &'static str,
    /// Its level.
    pub(crate) level: Level,
    /// The account.
    pub(crate) account_sid: String,
    /// The account's name, when known.
    pub(crate) account_name: Option<String>,
    /// The app (`None` for account-not-audited).
    pub(crate) connect_app_sid: Option<String>,
    /// The app's name, when known.
    pub(crate) app_name: Option<String>,
    /// One line (the server's words in it are raw: each format applies its rules).
    pub(crate) message: String,
    /// The policy line that speaks of this app, when one does.
    pub(crate) policy_line: Option<usize>,
    /// That entry's note.
    pub(crate) policy_note: Option<String>,
    /// Against the baseline (`None` without `--baseline`).
    pub(crate) baseline_state: Option<BaselineState>,
    /// The active exception that suppresses it: it stays in every report, marked, and does
    /// not count for `--fail-on`.
    pub(crate) suppression: Option<Exception>,
}

/// Every finding for `accounts` (this run's), against `baseline` and `policy`, in account
/// order, then app order, then rule order.
pub(crate) fn findings(
    accounts: &[AccountRecord],
    baseline: Option<&Baseline>,
    policy: Option<&Policy>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for account in accounts {
        let judge = Judge {
            account,
            sid: account.account_sid.as_str(),
            baseline,
            compare: baseline.filter(|b| b.covers(&account.account_sid)),
            policy,
        };
        if account.status == Status::Failed {
            judge.failed(&mut out);
            continue;
        }
        let mut seen = BTreeSet::new();
        for record in &account.apps {
            if let Some(app_sid) = record.app.connect_app_sid() {
                seen.insert(app_sid.to_owned());
                judge.app(&record.app, app_sid, &mut out);
            }
        }
        judge.removed(&seen, &mut out);
    }
    out
}

/// One account's judgement: the account, and what it is compared with.
struct Judge<'a> {
    account: &'a AccountRecord,
    sid: &'a str,
    /// The baseline, when given (every finding then has a baseline state).
    baseline: Option<&'a Baseline>,
    /// The baseline when it speaks for this account (the baseline rules run only then).
    compare: Option<&'a Baseline>,
    policy: Option<&'a Policy>,
}

type App<'a> = Option<(&'a str, Option<&'a str>)>;

impl Judge<'_> {
    /// A finding of this account, about `app` (SID and name) when there is one.
    fn finding(
        &self,
        rule_id: &'static str,
        level: Level,
        app: App<'_>,
        message: String,
        state: BaselineState,
    ) -> Finding {
        let entry = app.and_then(|(sid, _)| self.policy?.entry(self.sid, sid));
        Finding {
            rule_id,
            level,
            account_sid: self.sid.to_owned(),
            account_name: self.account.friendly_name.clone(),
            connect_app_sid: app.map(|(s, _)| s.to_owned()),
            app_name: app.and_then(|(_, n)| n.map(str::to_owned)),
            message,
            policy_line: entry.map(|e| e.line),
            policy_note: entry.and_then(|e| e.note.clone()),
            // With a baseline, every finding says how it stands against it.
            baseline_state: self.baseline.map(|_| state),
            suppression: None,
        }
    }

    /// The account could not be read.
    fn failed(&self, out: &mut Vec<Finding>) {
        let known = self.baseline.is_some_and(|b| b.covers(self.sid));
        out.push(self.finding(
            "account-not-audited",
            Level::Error,
            None,
            format!(
                "the Connect Apps of {} could not be read: {}",
                self.sid,
                self.account.error.as_deref().unwrap_or("unknown error")
            ),
            if known {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            },
        ));
    }

    /// One app present now: the baseline's rules, then the policy's.
    fn app(&self, app: &AuthorizedConnectApp, app_sid: &str, out: &mut Vec<Finding>) {
        let name = app.connect_app_friendly_name();
        let shown = describe(app_sid, name);
        let here = Some((app_sid, name));
        let held = permissions_of(app);
        let known = self
            .compare
            .and_then(|b| b.apps.get(&(self.sid.to_owned(), app_sid.to_owned())));
        let state = match known {
            None => BaselineState::New,
            Some(k) if k.permissions == held => BaselineState::Unchanged,
            Some(_) => BaselineState::Updated,
        };
        let mut push = |rule_id, level, message| {
            out.push(self.finding(rule_id, level, here, message, state));
        };
        match (self.compare, known) {
            (Some(_), None) => push(
                "new-app",
                Level::Warning,
                format!(
                    "{shown} is authorized with {} and is not in the baseline",
                    list(&held)
                ),
            ),
            (Some(_), Some(known)) => {
                for gained in held.difference(&known.permissions) {
                    let level = if gained == "post-all" {
                        Level::Error
                    } else {
                        Level::Warning
                    };
                    push(
                        "permission-gained",
                        level,
                        format!("{shown} gained {gained} since the baseline"),
                    );
                }
            }
            (None, _) => {}
        }
        let entries = || {
            self.policy
                .into_iter()
                .flat_map(|p| p.entries(self.sid, app_sid))
        };
        if self.policy.is_some_and(|p| p.deny_unlisted) && entries().next().is_none() {
            push(
                "app-not-allowed",
                Level::Warning,
                format!(
                    "{shown} is not named by any allow entry for {} (deny_unlisted)",
                    self.sid
                ),
            );
        }
        let granted = entries().any(|e| e.permissions.iter().any(|x| x == "post-all"));
        if held.contains("post-all") && !granted {
            let why = if self.policy.is_some() {
                "and no allow entry grants it"
            } else {
                "(no --policy allows any)"
            };
            push(
                "post-all-not-allowed",
                Level::Error,
                format!("{shown} holds post-all {why}"),
            );
        }
        for lost in known.iter().flat_map(|k| k.permissions.difference(&held)) {
            push(
                "permission-lost",
                Level::Note,
                format!("{shown} no longer holds {lost}"),
            );
        }
    }

    /// The apps of the baseline that are not here now.
    fn removed(&self, seen: &BTreeSet<String>, out: &mut Vec<Finding>) {
        let Some(b) = self.compare else {
            return;
        };
        for ((_, app_sid), known) in b
            .apps
            .range((self.sid.to_owned(), String::new())..)
            .take_while(|((a, _), _)| a == self.sid)
            .filter(|((_, s), _)| !seen.contains(s))
        {
            let name = known.name.as_deref();
            out.push(self.finding(
                "removed-app",
                Level::Note,
                Some((app_sid, name)),
                format!(
                    "{} is in the baseline and no longer authorized",
                    describe(app_sid, name)
                ),
                BaselineState::Absent,
            ));
        }
    }
}

fn describe(sid: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => format!("{sid} ({n})"),
        _ => sid.to_owned(),
    }
}

fn list(perms: &BTreeSet<String>) -> String {
    if perms.is_empty() {
        "no permission".to_owned()
    } else {
        perms.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The findings with `exceptions` applied on `today` (`YYYY-MM-DD`, UTC): matched findings of
/// active exceptions marked suppressed (by the first that matches, in file order), then one
/// `exception-expired` finding per expired exception and one `exception-stale` per active
/// exception that matched nothing. `parent` is the account an exception's own finding is
/// filed under when it names none. With a baseline (`compared`), those findings are `new`: a
/// baseline records apps, not exceptions.
pub(crate) fn apply(
    mut findings: Vec<Finding>,
    exceptions: &[Exception],
    today: &str,
    parent: &str,
    compared: bool,
) -> Vec<Finding> {
    let mut used = vec![false; exceptions.len()];
    for f in &mut findings {
        let hit = exceptions.iter().enumerate().find(|(_, e)| {
            e.active(today) && e.matches(f.rule_id, &f.account_sid, f.connect_app_sid.as_deref())
        });
        if let Some((i, e)) = hit {
            f.suppression = Some(e.clone());
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
    }
    for (e, used) in exceptions.iter().zip(used) {
        let own = |rule_id: &'static str, level: Level, message: String| Finding {
            rule_id,
            level,
            account_sid: e.account.clone().unwrap_or_else(|| parent.to_owned()),
            account_name: None,
            connect_app_sid: e.app.clone(),
            app_name: None,
            message,
            policy_line: Some(e.line),
            policy_note: Some(e.reason.clone()),
            baseline_state: compared.then_some(BaselineState::New),
            suppression: None,
        };
        if !e.active(today) {
            findings.push(own(
                "exception-expired",
                Level::Warning,
                format!(
                    "the exception for {} ({}) expired on {}: the findings it matched count again; renew it or fix them",
                    e.scope(),
                    e.who(),
                    e.expires
                ),
            ));
        } else if !used {
            findings.push(own(
                "exception-stale",
                Level::Note,
                format!(
                    "the exception for {} ({}, until {}) matched no finding in this run: remove it from the policy",
                    e.scope(),
                    e.who(),
                    e.expires
                ),
            ));
        }
    }
    findings
}

/// Errors, warnings and notes among `findings`, leaving out the suppressed.
pub(crate) fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |l: Level| {
        findings
            .iter()
            .filter(|f| f.level == l && f.suppression.is_none())
            .count()
    };
    (n(Level::Error), n(Level::Warning), n(Level::Note))
}

/// How many findings an active exception suppresses.
pub(crate) fn suppressed(findings: &[Finding]) -> usize {
    findings.iter().filter(|f| f.suppression.is_some()).count()
}

/// `N errors, N warnings, N notes`.
pub(crate) fn counts_line(findings: &[Finding]) -> String {
    let (e, w, n) = counts(findings);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}, {}, {}",
        plural(e, "error"),
        plural(w, "warning"),
        plural(n, "note")
    );
    let s = suppressed(findings);
    if s > 0 {
        line.push_str(&format!(" ({s} more suppressed by exceptions)"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::catalog::rule;
    use crate::audit::snapshot::AppRecord;

    const A: &str = "AC00000000000000000000000000000001";
    const B: &str = "AC00000000000000000000000000000002";

    fn app(account: &str, sid: &str, perms: &[&str]) -> AppRecord {
        let json = serde_json::json!({
            "account_sid": account, "connect_app_sid": sid,
            "connect_app_friendly_name": format!("App {sid}"), "permissions": perms,
        });
        AppRecord {
            app: serde_json::from_value(json).unwrap(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_seen: "2026-01-02T00:00:00Z".into(),
            request_id: None,
        }
    }

    fn account(sid: &str, apps: Vec<AppRecord>) -> AccountRecord {
        AccountRecord {
            account_sid: sid.into(),
            friendly_name: None,
            status: Status::Read,
            error: None,
            cursor: None,
            apps,
        }
    }

    fn ids(findings: &[Finding]) -> Vec<(&str, &str, &str)> {
        findings
            .iter()
            .map(|f| {
                (
                    f.rule_id,
                    f.level.as_str(),
                    f.connect_app_sid.as_deref().unwrap_or("-"),
                )
            })
            .collect()
    }

    fn baseline_of(accounts: &[AccountRecord]) -> Baseline {
        let lines: Vec<String> = accounts
            .iter()
            .flat_map(|a| a.apps.iter())
            .map(|r| serde_json::to_string(&r.app).unwrap())
            .collect();
        Baseline::parse(lines.join("\n").as_bytes()).unwrap()
    }

    #[test]
    fn without_a_policy_every_post_all_app_is_an_error_and_without_a_baseline_no_change_is() {
        let now = [account(
            A,
            vec![
                app(A, "CN1", &["get-all"]),
                app(A, "CN2", &["get-all", "post-all"]),
            ],
        )];
        assert_eq!(
            ids(&findings(&now, None, None)),
            [("post-all-not-allowed", "error", "CN2")]
        );
    }

    #[test]
    fn every_rule_and_how_they_combine() {
        let before = [account(
            A,
            vec![
                app(A, "CN1", &["get-all"]),             // gains post-all
                app(A, "CN2", &["get-all", "post-all"]), // loses post-all
                app(A, "CN3", &["get-all"]),             // removed
                app(A, "CN6", &[]),                      // gains get-all
            ],
        )];
        let now = [
            account(
                A,
                vec![
                    app(A, "CN1", &["get-all", "post-all"]),
                    app(A, "CN2", &["get-all"]),
                    app(A, "CN4", &["get-all", "post-all"]), // new, unlisted, post-all
                    app(A, "CN6", &["get-all"]),
                ],
            ),
            AccountRecord {
                status: Status::Failed,
                error: Some("HTTP 403".into()),
                ..account(B, vec![])
            },
        ];
        let policy = Policy::parse(&format!(
            "[[allow]]\nconnect_app_sid = \"CN{0:032}\"\n[[allow]]\nconnect_app_sid = \"CN{1:032}\"\npermissions = [\"get-all\", \"post-all\"]\naccounts = [\"{B}\"]\n[settings]\ndeny_unlisted = true\n",
            1, 4
        ))
        .unwrap();
        // The policy names CN000…1 and CN000…4; rename the test apps to match.
        let rename = |accounts: &[AccountRecord]| -> Vec<AccountRecord> {
            accounts
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    for r in &mut a.apps {
                        let n: u32 = r.app.connect_app_sid().unwrap()[2..].parse().unwrap();
                        r.app.set_connect_app_sid(Some(&format!("CN{n:032}")));
                    }
                    a
                })
                .collect()
        };
        let (before, now) = (rename(&before), rename(&now));
        let b = baseline_of(&before);
        let got = findings(&now, Some(&b), Some(&policy));
        let cn = |n: u32| format!("CN{n:032}");
        let want = vec![
            ("permission-gained", "error", cn(1)),
            ("post-all-not-allowed", "error", cn(1)),
            ("app-not-allowed", "warning", cn(2)),
            ("permission-lost", "note", cn(2)),
            // CN4's allow entry is scoped to the other account: it does not name it here.
            ("new-app", "warning", cn(4)),
            ("app-not-allowed", "warning", cn(4)),
            ("post-all-not-allowed", "error", cn(4)),
            ("permission-gained", "warning", cn(6)),
            ("app-not-allowed", "warning", cn(6)),
            ("removed-app", "note", cn(3)),
            ("account-not-audited", "error", "-".to_string()),
        ];
        let got_ids: Vec<(&str, &str, String)> = ids(&got)
            .into_iter()
            .map(|(r, l, s)| (r, l, s.to_string()))
            .collect();
        assert_eq!(got_ids, want);
        assert_eq!(counts_line(&got), "4 errors, 5 warnings, 2 notes");
        assert_eq!(got[0].policy_line, Some(2));
        assert_eq!(rule("removed-app").map(|(i, _)| i), Some(5));
    }
}
