//! `--format markdown`: for a CI job's summary page: the counts and the run record, then a
//! table of the findings (every cell's server text escaped).

use std::io::{self, Write};

use twilio_connect_apps::text::display_text;

use crate::audit::report::{Report, fail_on_name, fails, md, suppressed_note};
use crate::audit::rules::counts_line;

/// A summary for a CI job's page: the counts, then a table of the findings.
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "### Connect Apps audit\n")?;
    writeln!(
        out,
        "**{}** ({}, `{}`){}\n",
        counts_line(report.findings),
        report.scope(),
        display_text(&report.snapshot.origin, 200).replace('`', "'"),
        report.sample()
    )?;
    if let Some(run) = &report.snapshot.run {
        writeln!(out, "{}\n", md(&run.line()))?;
    }
    if report.findings.is_empty() {
        return writeln!(out, "No findings.");
    }
    writeln!(out, "| Level | Rule | Account | App | Message | Baseline |")?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for f in report.findings {
        let account = match &f.account_name {
            Some(n) => format!("{} ({})", md(&f.account_sid), md(n)),
            None => md(&f.account_sid),
        };
        let level = match f.suppression {
            Some(_) => format!("{} (suppressed)", f.level.as_str()),
            None => f.level.as_str().to_owned(),
        };
        writeln!(
            out,
            "| {level} | `{}` | {account} | {} | {}{} | {} |",
            f.rule_id,
            md(f.connect_app_sid.as_deref().unwrap_or("-")),
            md(&f.message),
            suppressed_note(f).map(|n| md(&n)).unwrap_or_default(),
            f.baseline_state.map_or("-", |s| s.as_str())
        )?;
    }
    let failing = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none() && fails(f.level, report.fail_on))
        .count();
    writeln!(
        out,
        "\n{failing} finding{} at --fail-on {} or above.",
        if failing == 1 { "" } else { "s" },
        fail_on_name(report.fail_on)
    )
}
