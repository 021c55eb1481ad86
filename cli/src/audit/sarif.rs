//! SARIF 2.1.0 (OASIS), as GitHub code scanning takes it.
//!
//! - The rules in `tool.driver.rules`, each with `help.text` and `help.markdown` (what it means
//!   and what to do), the `security` tag, `security-severity` (the README's scale; GitHub ranks
//!   alerts by it) and `precision`.
//! - One result per finding: `ruleId`, `level`, `message.text`, a logical location `AC…/CN…`,
//!   a physical location (the policy entry that speaks of the app, else the policy file, else
//!   a stable path naming the account and the app: GitHub requires one), and
//!   `partialFingerprints.primaryLocationLineHash` (from the rule, account and app only, so
//!   the order of accounts and apps never moves an alert); `baselineState` with `--baseline`;
//!   `suppressions` (kind `external`) when an active exception accepts it.
//! - `automationDetails.id` names the tool and the parent account: each parent account is its
//!   own category in code scanning.
//! - `invocations[0]`: `executionSuccessful` is false when an account could not be read, with a
//!   `toolExecutionNotifications` entry naming each.
//! - More results than GitHub takes in one run (25,000) is an error, not a file it rejects.

use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::catalog::{RULES, rule};
use crate::audit::report::Report;
use crate::audit::rules::Finding;
use crate::audit::snapshot::Status;

/// The most results GitHub code scanning accepts in one run.
pub(crate) const MAX_RESULTS: usize = 25_000;

/// Where the schema lives (the `$schema` of the log).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The project's home (the tool's `informationUri`).
const HOME: &str = "https://github.com/twilio-connect-apps/twilio-connect-apps";

fn rules() -> Vec<Value> {
    RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {
                    "text": format!("{} {} See the README's audit section ({HOME}#audit).", r.summary, r.remedy),
                    "markdown": format!(
                        "**{}** (`{}`)\n\n{}\n\n**What to do.** {}\n\nThe rules and the policy file: [the README's audit section]({HOME}#audit).",
                        r.name, r.id, r.summary, r.remedy
                    ),
                },
                "defaultConfiguration": {"level": r.level.as_str()},
                "properties": {
                    "tags": ["security", "twilio", "connect-apps"],
                    "security-severity": r.severity,
                    "precision": r.precision,
                },
            })
        })
        .collect()
}

fn result(f: &Finding, policy_path: Option<&str>) -> Value {
    let app = f.connect_app_sid.as_deref();
    let name = match app {
        Some(app) => format!("{}/{app}", f.account_sid),
        None => f.account_sid.clone(),
    };
    let (uri, line) = match (policy_path, f.policy_line) {
        (Some(path), Some(line)) => (path.to_owned(), line),
        (Some(path), None) => (path.to_owned(), 1),
        (None, _) => (format!("twilio/{name}"), 1),
    };
    let index = rule(f.rule_id).map_or(0, |(i, _)| i);
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": f.level.as_str(),
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line},
            },
            "logicalLocations": [{
                "name": app.unwrap_or(&f.account_sid),
                "fullyQualifiedName": name,
                "kind": "resource",
            }],
        }],
        "partialFingerprints": {
            "primaryLocationLineHash": format!("{}:1", fingerprint(f)),
        },
    });
    let Some(object) = result.as_object_mut() else {
        return result;
    };
    if let Some(state) = f.baseline_state {
        object.insert("baselineState".into(), json!(state.as_str()));
    }
    if let Some(e) = &f.suppression {
        let ticket = e
            .ticket
            .as_deref()
            .map(|t| format!(", ticket {t}"))
            .unwrap_or_default();
        object.insert("suppressions".into(), json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (owner {}{ticket}, until {}; policy line {})", e.reason, e.owner, e.expires, e.line),
            "properties": {"owner": e.owner, "ticket": e.ticket, "expires": e.expires},
        }]));
    }
    result
}

/// A finding's identity across runs: the first 16 hex digits of SHA-256 over its rule, account
/// and app (never its message, level or place in the output).
pub(crate) fn fingerprint(f: &Finding) -> String {
    let key = format!(
        "{}/{}/{}",
        f.rule_id,
        f.account_sid,
        f.connect_app_sid.as_deref().unwrap_or("-")
    );
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Writes the SARIF log of `report`.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    if report.findings.len() > MAX_RESULTS {
        return Err(io::Error::other(format!(
            "the SARIF log would hold {} results, over the {MAX_RESULTS} GitHub code scanning takes in one run, so no file was written: audit fewer accounts per run (--account-sid), or write --format json or ocsf",
            report.findings.len()
        )));
    }
    let policy_path = report.policy.and_then(|p| p.path.as_deref());
    let snapshot = report.snapshot;
    let failed: Vec<Value> = snapshot
        .accounts
        .iter()
        .filter(|a| a.status == Status::Failed)
        .map(|a| {
            json!({
                "level": "error",
                "message": {"text": format!(
                    "{} could not be read, so it was not audited: {}",
                    a.account_sid,
                    a.error.as_deref().unwrap_or("unknown error")
                )},
                "properties": {"accountSid": a.account_sid},
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "connect-apps",
                "version": snapshot.tool.version,
                "semanticVersion": snapshot.tool.version,
                "informationUri": HOME,
                "rules": rules(),
            }},
            "automationDetails": {"id": format!("connect-apps-audit/{}/", report.account)},
            "invocations": [{
                "executionSuccessful": failed.is_empty(),
                "startTimeUtc": snapshot.started_at,
                "endTimeUtc": snapshot.finished_at,
                "toolExecutionNotifications": failed,
                "properties": {"run": report.run_json()},
            }],
            "results": report.findings.iter().map(|f| result(f, policy_path)).collect::<Vec<_>>(),
            "properties": {
                "origin": snapshot.origin,
                "credentialKind": snapshot.credentials.kind,
                "sampleData": snapshot.sample_data,
            },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}
