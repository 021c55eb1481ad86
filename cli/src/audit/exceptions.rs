//! `[[exception]]` entries of the policy: an accepted risk, with who accepted it, why, under
//! which ticket and until when.
//!
//! ```toml
//! [[exception]]
//! rule = "post-all-not-allowed"                            # optional: every rule when absent
//! connect_app_sid = "CN0000000000000000000000000000b002"   # optional
//! account_sid = "AC00000000000000000000000000000003"       # optional (at least one of the three)
//! owner = "marketing-lead@example.com"                     # required
//! reason = "campaign tool, review pending"                 # required
//! ticket = "SEC-101"                                       # optional
//! expires = 2027-01-31                                     # required, a TOML date
//! ```
//!
//! An active exception (today, UTC, is on or before `expires`) suppresses the findings it
//! matches: they stay in every report, marked suppressed, and no longer count for `--fail-on`.
//! An expired exception suppresses nothing and is itself an `exception-expired` finding (a
//! warning); an active one that matched nothing in the run is an `exception-stale` note.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;
use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{AccountSid, ConnectAppSid};

use crate::audit::catalog::rule;

/// An `[[exception]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Entry {
    rule: Option<Spanned<String>>,
    connect_app_sid: Option<Spanned<String>>,
    account_sid: Option<Spanned<String>>,
    owner: Spanned<String>,
    reason: Spanned<String>,
    ticket: Option<String>,
    expires: Spanned<Datetime>,
}

/// One exception, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exception {
    /// The rule it applies to (`None`: every rule).
    pub(crate) rule: Option<String>,
    /// The app (`None`: any).
    pub(crate) app: Option<String>,
    /// The account (`None`: any).
    pub(crate) account: Option<String>,
    /// Who accepted the risk.
    pub(crate) owner: String,
    /// Why.
    pub(crate) reason: String,
    /// The ticket that records it.
    pub(crate) ticket: Option<String>,
    /// The last day it is active, `YYYY-MM-DD` (UTC).
    pub(crate) expires: String,
    /// Its line in the policy file (1-based).
    pub(crate) line: usize,
}

/// The rules an exception may not name: its own findings.
const OWN_RULES: [&str; 2] = ["exception-expired", "exception-stale"];

/// A rule id an exception may name (not its own rules).
fn rule_id(
    value: Spanned<String>,
    bad: &impl Fn(Range<usize>, &str, String) -> String,
) -> Result<String, String> {
    let span = value.span();
    let id = value.into_inner();
    if rule(&id).is_none() || OWN_RULES.contains(&id.as_str()) {
        return Err(bad(
            span,
            "rule",
            format!(
                "`{}` is not a rule an exception can name (see the README's rule table)",
                display_text(&id, 40)
            ),
        ));
    }
    Ok(id)
}

/// A SID of type `T`, when given (its error never repeats the value: a secret pasted here is
/// not echoed).
fn sid<T>(
    value: Option<Spanned<String>>,
    key: &str,
    bad: &impl Fn(Range<usize>, &str, String) -> String,
) -> Result<Option<String>, String>
where
    T: std::str::FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let Some(value) = value else {
        return Ok(None);
    };
    let span = value.span();
    let sid: T = value
        .into_inner()
        .trim()
        .parse()
        .map_err(|e| bad(span, key, format!("{e}")))?;
    Ok(Some(sid.to_string()))
}

impl Exception {
    /// Checks one entry; `line` turns a byte offset into a line, `bad` words an error.
    pub(super) fn check(
        entry: Entry,
        line: impl Fn(usize) -> usize,
        bad: impl Fn(Range<usize>, &str, String) -> String,
    ) -> Result<Exception, String> {
        // The entry's line: its first key's.
        let first = [
            entry.rule.as_ref().map(|v| v.span().start),
            entry.connect_app_sid.as_ref().map(|v| v.span().start),
            entry.account_sid.as_ref().map(|v| v.span().start),
            Some(entry.owner.span().start),
            Some(entry.reason.span().start),
            Some(entry.expires.span().start),
        ];
        let at = line(first.into_iter().flatten().min().unwrap_or_default());
        let rule_name = match entry.rule {
            None => None,
            Some(r) => Some(rule_id(r, &bad)?),
        };
        let app = sid::<ConnectAppSid>(entry.connect_app_sid, "connect_app_sid", &bad)?;
        let account = sid::<AccountSid>(entry.account_sid, "account_sid", &bad)?;
        if rule_name.is_none() && app.is_none() && account.is_none() {
            return Err(format!(
                "line {at}: exception: name at least one of rule, connect_app_sid and account_sid (an exception for everything would switch the audit off)"
            ));
        }
        let required = |value: Spanned<String>, key: &str| {
            let span = value.span();
            let text = value.into_inner();
            if text.trim().is_empty() {
                Err(bad(span, key, "must not be empty".into()))
            } else {
                Ok(text)
            }
        };
        let owner = required(entry.owner, "owner")?;
        let reason = required(entry.reason, "reason")?;
        let span = entry.expires.span();
        let expires = entry.expires.into_inner();
        let date = match (expires.date, expires.time, expires.offset) {
            (Some(d), None, None) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            _ => {
                return Err(bad(
                    span,
                    "expires",
                    format!(
                        "{expires} is not a date: write the last day the exception holds, like 2027-01-31 (no quotes, no time)"
                    ),
                ));
            }
        };
        Ok(Exception {
            rule: rule_name,
            app,
            account,
            owner,
            reason,
            ticket: entry.ticket.filter(|t| !t.trim().is_empty()),
            expires: date,
            line: at,
        })
    }

    /// Whether it is active on `today` (`YYYY-MM-DD`): through the whole of `expires`.
    pub(crate) fn active(&self, today: &str) -> bool {
        today <= self.expires.as_str()
    }

    /// Whether it names a finding of `rule_id` in `account` about `app`.
    pub(crate) fn matches(&self, rule_id: &str, account: &str, app: Option<&str>) -> bool {
        !OWN_RULES.contains(&rule_id)
            && self.rule.as_deref().is_none_or(|r| r == rule_id)
            && self.account.as_deref().is_none_or(|a| a == account)
            && self.app.as_deref().is_none_or(|a| app == Some(a))
    }

    /// What it covers, for messages: `post-all-not-allowed for CN… in AC…`.
    pub(crate) fn scope(&self) -> String {
        let mut s = self.rule.clone().unwrap_or_else(|| "every rule".into());
        if let Some(app) = &self.app {
            s.push_str(&format!(" for {app}"));
        }
        if let Some(account) = &self.account {
            s.push_str(&format!(" in {account}"));
        }
        s
    }

    /// `owner X, ticket T`.
    pub(crate) fn who(&self) -> String {
        match &self.ticket {
            Some(t) => format!("owner {}, ticket {t}", self.owner),
            None => format!("owner {}", self.owner),
        }
    }
}

/// Today's date in UTC, `YYYY-MM-DD`, from `now`.
pub(crate) fn date_of(now: std::time::SystemTime) -> String {
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    stamp.get(..10).unwrap_or("1970-01-01").to_owned()
}

#[cfg(test)]
mod tests {
    use crate::audit::catalog::Level;
    use crate::audit::policy::Policy;
    use crate::audit::rules::{BaselineState, Finding, apply};

    const APP: &str = "CN0000000000000000000000000000b002";
    const ACCOUNT: &str = "AC00000000000000000000000000000003";

    fn finding(rule_id: &'static str, app: Option<&str>) -> Finding {
        Finding {
            rule_id,
            level: Level::Error,
            account_sid: ACCOUNT.into(),
            account_name: None,
            connect_app_sid: app.map(str::to_owned),
            app_name: None,
            message: "m".into(),
            policy_line: None,
            policy_note: None,
            baseline_state: None,
            suppression: None,
        }
    }

    fn policy(entries: &str) -> Policy {
        Policy::parse(entries).unwrap()
    }

    #[test]
    fn active_through_the_last_day_and_expired_the_day_after() {
        let p = policy(&format!(
            "[[exception]]\nconnect_app_sid = \"{APP}\"\nowner = \"o\"\nreason = \"r\"\nticket = \"SEC-1\"\nexpires = 2027-01-31\n"
        ));
        let e = &p.exceptions[0];
        assert_eq!((e.expires.as_str(), e.line), ("2027-01-31", 2));
        let on = apply(
            vec![finding("post-all-not-allowed", Some(APP))],
            &p.exceptions,
            "2027-01-31",
            ACCOUNT,
            false,
        );
        assert_eq!(on.len(), 1);
        assert_eq!(
            on[0].suppression.as_ref().map(|e| e.owner.as_str()),
            Some("o")
        );
        let after = apply(
            vec![finding("post-all-not-allowed", Some(APP))],
            &p.exceptions,
            "2027-02-01",
            ACCOUNT,
            true,
        );
        let ids: Vec<_> = after
            .iter()
            .map(|f| (f.rule_id, f.suppression.is_some()))
            .collect();
        assert_eq!(
            ids,
            [
                ("post-all-not-allowed", false),
                ("exception-expired", false)
            ]
        );
        assert_eq!(after[1].baseline_state, Some(BaselineState::New));
        assert!(
            after[1].message.contains("ticket SEC-1") && after[1].message.contains("2027-01-31")
        );
    }

    #[test]
    fn scope_rule_account_and_app_all_must_match_and_unused_is_stale() {
        let p = policy(&format!(
            "[[exception]]\nrule = \"new-app\"\naccount_sid = \"{ACCOUNT}\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-01-01\n\n[[exception]]\nrule = \"account-not-audited\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-01-01\n"
        ));
        let out = apply(
            vec![
                finding("new-app", Some(APP)),
                finding("post-all-not-allowed", Some(APP)),
            ],
            &p.exceptions,
            "2026-12-06",
            ACCOUNT,
            false,
        );
        let ids: Vec<_> = out
            .iter()
            .map(|f| (f.rule_id, f.suppression.is_some()))
            .collect();
        assert_eq!(
            ids,
            [
                ("new-app", true),
                ("post-all-not-allowed", false),
                ("exception-stale", false)
            ]
        );
        assert_eq!(out[2].level, Level::Note);
        assert_eq!(out[2].policy_line, Some(9));
    }

    #[test]
    fn an_exception_cannot_name_its_own_rules_or_a_time() {
        for (body, want) in [
            (
                "rule = \"exception-expired\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-01-01\n",
                "line 2: rule:",
            ),
            (
                &format!(
                    "connect_app_sid = \"{APP}\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-01-01T10:00:00Z\n"
                ) as &str,
                "line 5: expires:",
            ),
            (
                &format!(
                    "connect_app_sid = \"{APP}\"\nowner = \" \"\nreason = \"r\"\nexpires = 2099-01-01\n"
                ),
                "line 3: owner: must not be empty",
            ),
        ] {
            let e = Policy::parse(&format!("[[exception]]\n{body}")).unwrap_err();
            assert!(e.starts_with(want), "{e}");
        }
    }
}
