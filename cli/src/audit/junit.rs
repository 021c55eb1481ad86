//! JUnit XML: one test suite per account; in it one test case for the account itself and one
//! per app present now or in the baseline; a test case fails (one `failure`, listing its
//! findings) when it has findings at or above `--fail-on`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::audit::report::{self, Report, fails};
use crate::audit::rules::Finding;

/// Text for XML 1.0: `&<>"'` as entities, and what XML cannot carry at all (control
/// characters other than tab and line breaks, U+FFFE, U+FFFF) as U+FFFD.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
}

/// One account's suite: its SID, its name, its cases ("" for the account itself, else the
/// app's SID).
type Suite<'a> = (String, Option<String>, BTreeMap<String, Case<'a>>);

/// Every account's suite, with its findings in their cases.
fn suites<'a>(report: &Report<'a>) -> BTreeMap<usize, Suite<'a>> {
    let mut suites: BTreeMap<usize, Suite<'a>> = BTreeMap::new();
    for (i, account) in report.snapshot.accounts.iter().enumerate() {
        let mut cases = BTreeMap::new();
        cases.insert(
            String::new(),
            Case {
                name: format!("account {} is audited", account.account_sid),
                findings: Vec::new(),
            },
        );
        let mut add = |sid: &str, name: Option<&str>| {
            cases.entry(sid.to_owned()).or_insert_with(|| Case {
                name: match name {
                    Some(n) if !n.trim().is_empty() => format!("{sid} ({n})"),
                    _ => sid.to_owned(),
                },
                findings: Vec::new(),
            });
        };
        for record in &account.apps {
            if let Some(sid) = record.app.connect_app_sid() {
                add(sid, record.app.connect_app_friendly_name());
            }
        }
        if let Some(b) = report.baseline.filter(|b| b.covers(&account.account_sid)) {
            for ((a, sid), known) in &b.apps {
                if *a == account.account_sid {
                    add(sid, known.name.as_deref());
                }
            }
        }
        suites.insert(
            i,
            (
                account.account_sid.clone(),
                account.friendly_name.clone(),
                cases,
            ),
        );
    }
    for f in report.findings {
        let suite = suites
            .values_mut()
            .find(|(sid, _, _)| *sid == f.account_sid);
        if let Some((_, _, cases)) = suite {
            // An app no case names (an exception's own finding about an app gone from both
            // this run and the baseline) goes with the account's own case.
            let key = f.connect_app_sid.clone().unwrap_or_default();
            let key = if cases.contains_key(&key) {
                key
            } else {
                String::new()
            };
            if let Some(case) = cases.get_mut(&key) {
                case.findings.push(f);
            }
        }
    }
    suites
}

/// The run record as `<property>` pairs (JUnit has no properties on `<testsuites>`, so each
/// suite carries them).
fn run_properties(report: &Report<'_>) -> Vec<(String, String)> {
    match report.run_json() {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (format!("connect-apps.run.{k}"), v)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Writes the JUnit document of `report` (its baseline: the apps that were there before).
pub(crate) fn write(report: &Report<'_>, out: &mut impl Write) -> io::Result<()> {
    let suites = suites(report);
    let counts = |f: &Finding| f.suppression.is_none() && fails(f.level, report.fail_on);
    let failing = |case: &Case<'_>| case.findings.iter().any(|f| counts(f));
    let total: usize = suites.values().map(|(_, _, c)| c.len()).sum();
    let failures: usize = suites
        .values()
        .map(|(_, _, c)| c.values().filter(|c| failing(c)).count())
        .sum();
    let properties = run_properties(report);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="connect-apps audit" tests="{total}" failures="{failures}" errors="0" timestamp="{}">"#,
        xml(&report.snapshot.finished_at)
    )?;
    for (sid, name, cases) in suites.values() {
        let suite_name = match name {
            Some(n) => format!("{sid} ({n})"),
            None => sid.clone(),
        };
        let suite_failures = cases.values().filter(|c| failing(c)).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{suite_failures}" errors="0" skipped="0">"#,
            xml(&suite_name),
            cases.len()
        )?;
        writeln!(out, "    <properties>")?;
        for (name, value) in &properties {
            writeln!(
                out,
                r#"      <property name="{}" value="{}"/>"#,
                xml(name),
                xml(value)
            )?;
        }
        writeln!(out, "    </properties>")?;
        for case in cases.values() {
            write_case(out, sid, case, &counts)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// One test case: a `failure` listing its findings that count (`counts`), and in
/// `system-out` those an exception accepts (not failures, still on the record).
fn write_case(
    out: &mut impl Write,
    account: &str,
    case: &Case<'_>,
    counts: &dyn Fn(&Finding) -> bool,
) -> io::Result<()> {
    let head = format!(
        r#"    <testcase classname="{}" name="{}""#,
        xml(&format!("connect-apps.{account}")),
        xml(&case.name)
    );
    let shown: Vec<&&Finding> = case.findings.iter().filter(|f| counts(f)).collect();
    let accepted: Vec<String> = case
        .findings
        .iter()
        .filter_map(|f| {
            report::suppressed_note(f)
                .map(|n| format!("{}: {}: {}{n}", f.level.as_str(), f.rule_id, f.message))
        })
        .collect();
    if shown.is_empty() && accepted.is_empty() {
        return writeln!(out, "{head}/>");
    }
    writeln!(out, "{head}>")?;
    if !shown.is_empty() {
        let rules: Vec<&str> = shown.iter().map(|f| f.rule_id).collect();
        let body: Vec<String> = shown
            .iter()
            .map(|f| format!("{}: {}: {}", f.level.as_str(), f.rule_id, f.message))
            .collect();
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            xml(&format!(
                "{} finding{}",
                shown.len(),
                if shown.len() == 1 { "" } else { "s" }
            )),
            xml(&rules.join(",")),
            xml(&body.join("\n"))
        )?;
    }
    if !accepted.is_empty() {
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml(&accepted.join("\n"))
        )?;
    }
    writeln!(out, "    </testcase>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            xml("a<b>&\"c'\u{1}\u{1b}\u{FFFF}\tz"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\u{FFFD}\u{FFFD}\tz"
        );
    }
}
