//! `--format table`: one aligned line per finding, then the counts with the run record.

use std::io::{self, Write};

use twilio_connect_apps::text::display_text;

use crate::audit::report::{Report, suppressed_note};
use crate::audit::rules::counts_line;
use crate::output::cell;

/// The findings as aligned columns, then `N errors, N warnings, N notes`.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    let summary = report.summary;
    if !report.findings.is_empty() {
        writeln!(
            out,
            "{}  {}  {}  {}  MESSAGE",
            cell(Some("LEVEL"), 7),
            cell(Some("RULE"), 20),
            cell(Some("ACCOUNT"), 34),
            cell(Some("APP"), 34)
        )?;
    }
    for f in report.findings {
        writeln!(
            out,
            "{}  {}  {}  {}  {}{}",
            cell(Some(f.level.as_str()), 7),
            cell(Some(f.rule_id), 20),
            cell(Some(&f.account_sid), 34),
            cell(f.connect_app_sid.as_deref(), 34),
            display_text(&f.message, 400),
            suppressed_note(f)
                .map(|n| display_text(&n, 300).into_owned())
                .unwrap_or_default()
        )?;
    }
    if summary {
        // One summary line: the counts, the scope, then the run record.
        let run = report
            .snapshot
            .run
            .as_ref()
            .map(|r| format!("; {}", r.line()))
            .unwrap_or_default();
        writeln!(
            out,
            "{} ({}){}{run}",
            counts_line(report.findings),
            report.scope(),
            report.sample()
        )?;
    } else {
        writeln!(out, "{}", counts_line(report.findings))?;
    }
    Ok(())
}
