//! SARIF 2.1.0 (OASIS), as GitHub code scanning accepts it: the rules in `tool.driver.rules`,
//! one result per finding with its `ruleId`, `level`, `message.text`, a logical location
//! `AC…/CN…`, a physical location (the policy entry that speaks of the app, else the
//! policy file, else a stable path naming the account and the app: GitHub requires one), and
//! a fingerprint that stays the same from run to run.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::audit::report::Report;
use crate::audit::rules::{Finding, RULES, rule};

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
                "help": {"text": format!("{} See the README's audit section ({HOME}#audit).", r.summary)},
                "defaultConfiguration": {"level": r.level.as_str()},
                "properties": {"tags": ["security", "twilio", "connect-apps"]},
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
    json!({
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
            "connectAppsFinding/v1": format!("{}/{name}", f.rule_id),
        },
    })
}

/// Writes the SARIF log of `report`.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    let policy_path = report.policy.and_then(|p| p.path.as_deref());
    let snapshot = report.snapshot;
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
            "automationDetails": {"id": format!("connect-apps-audit/{}/", snapshot.credentials.account_sid)},
            "invocations": [{
                "executionSuccessful": true,
                "startTimeUtc": snapshot.started_at,
                "endTimeUtc": snapshot.finished_at,
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
