//! OCSF 1.3.0: one *Detection Finding* (class 2004, category Findings) per finding, one per
//! line (NDJSON), as security lakes and SIEM pipelines ingest them.
//!
//! - `finding_info.uid` is the finding's fingerprint (rule, account and app; the same as
//!   SARIF's), so a finding keeps its identity from run to run.
//! - `activity_id` against the baseline: 1 Create (new, or no baseline), 2 Update (unchanged or
//!   updated), 3 Close (absent: the app was removed).
//! - `status_id`: 1 New, 3 Suppressed (an active exception), 4 Resolved (absent).
//! - `severity_id` from the rule's security severity (the README's scale): 5 Critical (9.0 and
//!   up), 4 High (7.0 to 8.9), 3 Medium (4.0 to 6.9), 2 Low.
//! - The app and the account are `resources`; `metadata.product` names this tool and its
//!   version; the run record is in `metadata.labels` and, whole, in `unmapped.run`.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::audit::catalog::{Level, rule};
use crate::audit::report::Report;
use crate::audit::rules::{BaselineState, Finding};
use crate::audit::sarif::fingerprint;

/// The OCSF version written (and vendored in the test bed for the tests).
pub(crate) const OCSF_VERSION: &str = "1.3.0";

/// Detection Finding: category 2 (Findings) * 1000 + class 4.
const CLASS_UID: u64 = 2004;

/// Milliseconds since the epoch of an RFC 3339 time (OCSF's `timestamp_t`); 0 if unreadable.
fn millis(rfc3339: &str) -> u64 {
    humantime::parse_rfc3339(rfc3339)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// OCSF's severity of a finding: from its rule's security severity; a `permission-gained` of
/// `get-all` (a warning) is Medium.
fn severity(f: &Finding) -> (u64, &'static str) {
    let score: f64 = rule(f.rule_id)
        .and_then(|(_, r)| r.severity.parse().ok())
        .unwrap_or(1.0);
    let score = if f.rule_id == "permission-gained" && f.level == Level::Warning {
        5.0
    } else {
        score
    };
    match score {
        s if s >= 9.0 => (5, "Critical"),
        s if s >= 7.0 => (4, "High"),
        s if s >= 4.0 => (3, "Medium"),
        _ => (2, "Low"),
    }
}

fn event(report: &Report<'_>, f: &Finding, labels: &[String], run: &Value, time: u64) -> Value {
    let (activity_id, activity) = match f.baseline_state {
        None | Some(BaselineState::New) => (1, "Create"),
        Some(BaselineState::Unchanged | BaselineState::Updated) => (2, "Update"),
        Some(BaselineState::Absent) => (3, "Close"),
    };
    let (status_id, status) = match (&f.suppression, f.baseline_state) {
        (Some(_), _) => (3, "Suppressed"),
        (None, Some(BaselineState::Absent)) => (4, "Resolved"),
        (None, _) => (1, "New"),
    };
    let (severity_id, severity) = severity(f);
    let r = rule(f.rule_id).map(|(_, r)| r);
    let mut resources = Vec::new();
    if let Some(app) = &f.connect_app_sid {
        let mut resource = json!({"type": "Twilio Authorized Connect App", "uid": app, "owner": {"uid": f.account_sid}});
        if let (Some(name), Some(object)) = (&f.app_name, resource.as_object_mut()) {
            object.insert("name".into(), json!(name));
        }
        resources.push(resource);
    }
    let mut account = json!({"type": "Twilio Account", "uid": f.account_sid});
    if let (Some(name), Some(object)) = (&f.account_name, account.as_object_mut()) {
        object.insert("name".into(), json!(name));
    }
    resources.push(account);
    let mut unmapped = json!({
        "rule_id": f.rule_id,
        "level": f.level.as_str(),
        "baseline_state": f.baseline_state.map(|s| s.as_str()),
        "run": run,
    });
    if let (Some(e), Some(object)) = (&f.suppression, unmapped.as_object_mut()) {
        object.insert(
            "suppression".into(),
            json!({"kind": "external", "owner": e.owner, "reason": e.reason, "ticket": e.ticket, "expires": e.expires, "policy_line": e.line}),
        );
    }
    json!({
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": activity_id,
        "activity_name": activity,
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": format!("Detection Finding: {activity}"),
        "time": time,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "message": f.message,
        "finding_info": {
            "uid": fingerprint(f),
            "title": r.map_or(f.rule_id, |r| r.summary),
            "desc": f.message,
            "types": [f.rule_id],
        },
        "remediation": {"desc": r.map_or("", |r| r.remedy)},
        "resources": resources,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "connect-apps",
                "vendor_name": "twilio-connect-apps",
                "version": report.snapshot.tool.version,
            },
            "log_name": "connect-apps audit",
            "labels": labels,
        },
        "unmapped": unmapped,
    })
}

/// Writes one Detection Finding per line.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    let run = report.run_json();
    let labels: Vec<String> = match &run {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}:{s}"),
                other => format!("{k}:{other}"),
            })
            .collect(),
        _ => Vec::new(),
    };
    let time = millis(&report.snapshot.finished_at);
    for f in report.findings {
        serde_json::to_writer(&mut *out, &event(report, f, &labels, &run, time))
            .map_err(io::Error::from)?;
        writeln!(out)?;
    }
    Ok(())
}
