//! `--format json`: one document: the findings, their counts, the run record and the snapshot.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::audit::report::Report;
use crate::audit::rules::{Finding, counts, suppressed};

/// One finding as JSON.
fn finding(f: &Finding) -> Value {
    json!({
        "rule_id": f.rule_id,
        "level": f.level.as_str(),
        "account_sid": f.account_sid,
        "account_friendly_name": f.account_name,
        "connect_app_sid": f.connect_app_sid,
        "connect_app_friendly_name": f.app_name,
        "message": f.message,
        "policy_note": f.policy_note,
        "baseline_state": f.baseline_state.map(|s| s.as_str()),
        "suppressed": f.suppression.is_some(),
        "suppression": f.suppression.as_ref().map(|e| json!({
            "kind": "external",
            "owner": e.owner,
            "reason": e.reason,
            "ticket": e.ticket,
            "expires": e.expires,
            "policy_line": e.line,
        })),
    })
}

/// One document: the findings, their counts, the run record and the snapshot.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    let (errors, warnings, notes) = counts(report.findings);
    let doc = json!({
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "summary": {"errors": errors, "warnings": warnings, "notes": notes},
        "suppressed": suppressed(report.findings),
        "run": report.run_json(),
        "snapshot": report.snapshot,
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    writeln!(out)
}
