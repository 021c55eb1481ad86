//! What every report format writes from: the findings, the evidence, the run record. Each
//! format is one file with one function, `write(&Report, &mut impl Write)`: `table`, `json`,
//! `markdown`, `sarif`, `junit`, `ocsf`. Server-supplied text follows each format's rule: the
//! display rule (no control or format character, cut short) in the table and Markdown,
//! JSON's and XML's own escaping in JSON, SARIF, JUnit and OCSF.

use serde_json::{Value, json};
use twilio_connect_apps::text::display_text;

use crate::args::FailOn;
use crate::audit::catalog::Level;
use crate::audit::policy::Policy;
use crate::audit::rules::Finding;
use crate::audit::snapshot::{Baseline, Snapshot};

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
    /// The baseline, when given.
    pub(crate) baseline: Option<&'a Baseline>,
    /// The summary lines (not with `--quiet`).
    pub(crate) summary: bool,
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
    pub(crate) fn scope(&self) -> String {
        let accounts = self.snapshot.accounts.len();
        let apps: usize = self.snapshot.accounts.iter().map(|a| a.apps.len()).sum();
        let s = |n: usize| if n == 1 { "" } else { "s" };
        format!(
            "{accounts} account{} read, {apps} app{}",
            s(accounts),
            s(apps)
        )
    }

    pub(crate) fn sample(&self) -> &'static str {
        if self.snapshot.sample_data {
            " [SAMPLE DATA from the built-in emulator, not a Twilio account]"
        } else {
            ""
        }
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
