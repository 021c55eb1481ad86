//! The audit's reports: a table, one JSON document, Markdown, SARIF and JUnit. Server-supplied
//! text follows each format's rule: the display rule (no control or format character, cut
//! short) in the table and Markdown, JSON's and XML's own escaping in JSON, SARIF and JUnit.

use std::io::{self, Write};

use serde_json::{Value, json};
use twilio_connect_apps::text::display_text;

use crate::args::FailOn;
use crate::audit::policy::Policy;
use crate::audit::rules::{Finding, Level, counts, counts_line, suppressed};
use crate::audit::snapshot::Snapshot;
use crate::output::cell;

/// Everything a report shows.
pub(crate) struct Report<'a> {
    /// The findings, in order.
    pub(crate) findings: &'a [Finding],
    /// The evidence.
    pub(crate) snapshot: &'a Snapshot,
    /// The policy, when given.
    pub(crate) policy: Option<&'a Policy>,
    /// What fails the run.
    pub(crate) fail_on: FailOn,
    /// The account audited (`--account-sid`, else the credentials'): the parent of a sweep.
    pub(crate) account: String,
}

/// Whether a finding at `level` fails a run at `fail_on`.
pub(crate) fn fails(level: Level, fail_on: FailOn) -> bool {
    match fail_on {
        FailOn::Never => false,
        FailOn::Error => level == Level::Error,
        FailOn::Warning => level <= Level::Warning,
        FailOn::Note => true,
    }
}

impl Report<'_> {
    /// How many apps and accounts the run read.
    fn scope(&self) -> String {
        let accounts = self.snapshot.accounts.len();
        let apps: usize = self.snapshot.accounts.iter().map(|a| a.apps.len()).sum();
        let s = |n: usize| if n == 1 { "" } else { "s" };
        format!(
            "{accounts} account{} read, {apps} app{}",
            s(accounts),
            s(apps)
        )
    }

    fn sample(&self) -> &'static str {
        if self.snapshot.sample_data {
            " [SAMPLE DATA from the built-in emulator, not a Twilio account]"
        } else {
            ""
        }
    }

    /// The findings as aligned columns, then `N errors, N warnings, N notes`.
    pub(crate) fn table(&self, out: &mut impl Write, summary: bool) -> io::Result<()> {
        if !self.findings.is_empty() {
            writeln!(
                out,
                "{}  {}  {}  {}  MESSAGE",
                cell(Some("LEVEL"), 7),
                cell(Some("RULE"), 20),
                cell(Some("ACCOUNT"), 34),
                cell(Some("APP"), 34)
            )?;
        }
        for f in self.findings {
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
            let run = self
                .snapshot
                .run
                .as_ref()
                .map(|r| format!("; {}", r.line()))
                .unwrap_or_default();
            writeln!(
                out,
                "{} ({}){}{run}",
                counts_line(self.findings),
                self.scope(),
                self.sample()
            )?;
        } else {
            writeln!(out, "{}", counts_line(self.findings))?;
        }
        Ok(())
    }

    /// One finding as JSON.
    fn finding_json(f: &Finding) -> Value {
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

    /// The run record with who ran it and when (never a secret), for JSON and SARIF.
    pub(crate) fn run_json(&self) -> Value {
        let s = self.snapshot;
        let mut run = json!({
            "tool": s.tool.name,
            "version": s.tool.version,
            "started_at": s.started_at,
            "finished_at": s.finished_at,
            "origin": s.origin,
            "credential_kind": s.credentials.kind,
            "credential_account_sid": s.credentials.account_sid,
            "account_sid": self.account,
        });
        if let (Some(object), Ok(Value::Object(record))) = (
            run.as_object_mut(),
            serde_json::to_value(s.run.clone().unwrap_or_default()),
        ) {
            object.extend(record);
        }
        run
    }

    /// One document: the findings, their counts, the run record and the snapshot.
    pub(crate) fn json(&self, out: &mut impl Write) -> io::Result<()> {
        let (errors, warnings, notes) = counts(self.findings);
        let doc = json!({
            "findings": self.findings.iter().map(Self::finding_json).collect::<Vec<_>>(),
            "summary": {"errors": errors, "warnings": warnings, "notes": notes},
            "suppressed": suppressed(self.findings),
            "run": self.run_json(),
            "snapshot": self.snapshot,
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
        writeln!(out)
    }

    /// A summary for a CI job's page: the counts, then a table of the findings.
    pub(crate) fn markdown(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "### Connect Apps audit\n")?;
        writeln!(
            out,
            "**{}** ({}, `{}`){}\n",
            counts_line(self.findings),
            self.scope(),
            display_text(&self.snapshot.origin, 200).replace('`', "'"),
            self.sample()
        )?;
        if let Some(run) = &self.snapshot.run {
            writeln!(out, "{}\n", md(&run.line()))?;
        }
        if self.findings.is_empty() {
            return writeln!(out, "No findings.");
        }
        writeln!(out, "| Level | Rule | Account | App | Message | Baseline |")?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
        for f in self.findings {
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
        let failing = self
            .findings
            .iter()
            .filter(|f| f.suppression.is_none() && fails(f.level, self.fail_on))
            .count();
        writeln!(
            out,
            "\n{failing} finding{} at --fail-on {} or above.",
            if failing == 1 { "" } else { "s" },
            fail_on_name(self.fail_on)
        )
    }
}

/// ` [suppressed: owner X, ticket T, until D: reason]` for a suppressed finding.
pub(crate) fn suppressed_note(f: &Finding) -> Option<String> {
    let e = f.suppression.as_ref()?;
    let ticket = e
        .ticket
        .as_deref()
        .map(|t| format!(", ticket {t}"))
        .unwrap_or_default();
    Some(format!(
        " [suppressed by the exception on policy line {}: owner {}{ticket}, until {}: {}]",
        e.line, e.owner, e.expires, e.reason
    ))
}

/// `--fail-on`'s spelling.
pub(crate) fn fail_on_name(f: FailOn) -> &'static str {
    match f {
        FailOn::Error => "error",
        FailOn::Warning => "warning",
        FailOn::Note => "note",
        FailOn::Never => "never",
    }
}

/// Server text in a Markdown table cell: the display rule, then everything Markdown or the
/// HTML it allows could read as markup escaped, so a name renders as the text it is.
pub(crate) fn md(text: &str) -> String {
    let shown = display_text(text, 300);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Markup, links and autolinks (`http:`, `www.`), mentions.
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '{' | '}' | '.' | ':'
            | '@' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_carry_markup() {
        let m = md("<img src=x onerror=alert(1)> | [link](http://evil) **b**\n\u{202e}x");
        assert!(
            !m.contains('<') && !m.contains("[link]") && !m.contains("**"),
            "{m}"
        );
        assert!(m.contains("\\[link\\]") && !m.contains("http://"), "{m}");
        assert!(!m.contains('\n') && !m.contains('\u{202e}'), "{m}");
        assert!(m.contains("\\|"), "{m}");
    }

    #[test]
    fn fail_on_levels() {
        assert!(fails(Level::Error, FailOn::Error));
        assert!(!fails(Level::Warning, FailOn::Error));
        assert!(fails(Level::Warning, FailOn::Warning));
        assert!(!fails(Level::Note, FailOn::Warning));
        assert!(fails(Level::Note, FailOn::Note));
        assert!(!fails(Level::Error, FailOn::Never));
    }
}
