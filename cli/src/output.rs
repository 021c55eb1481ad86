//! Printing apps: an aligned table (display widths, so CJK and emoji keep the columns), NDJSON,
//! CSV or TSV, with the columns asked for. Nothing is printed before the first app arrives, so
//! a failure before it leaves the output empty.
//!
//! Every string the server sent goes through one rule before it is shown: the core's
//! [`display_text`] for the table and summaries (control and format characters replaced, cut
//! short); for CSV and TSV, control characters the format cannot carry are replaced and a cell
//! a spreadsheet would run as a formula is prefixed with `'` (OWASP's advice). JSON is written
//! as the API sent it: the lossless form.

use std::borrow::Cow;
use std::io::{self, Write};

use twilio_connect_apps::model::JsonStr;
use twilio_connect_apps::text::{display_text, is_unprintable};
use twilio_connect_apps::{Account, AppView, AuthorizedConnectApp};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::args::{Field, Format, Output};
use crate::failure::Failure;

/// The most characters of a server-supplied string in a summary or an error line.
pub(crate) const SHORT: usize = 64;

/// What the summary line says.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// With --all-accounts: accounts read, and the SIDs of those that failed.
    pub(crate) accounts: Option<(u64, Vec<String>)>,
    /// Apps printed.
    pub(crate) shown: u64,
    /// Of those, holding post-all.
    pub(crate) writers: u64,
    /// Apps the listing handed out (before `--post-all-only`).
    pub(crate) listed: u64,
    /// Only post-all apps were printed.
    pub(crate) post_all_only: bool,
    /// The listing stopped at `--limit`: more may exist.
    pub(crate) limit_reached: bool,
    /// The apps are the built-in emulator's samples.
    pub(crate) sample: bool,
}

impl Summary {
    /// Counts an app the listing handed out; true when it is to be printed (all of them, or
    /// with --post-all-only those that hold post-all).
    pub(crate) fn count(&mut self, can_write: bool) -> bool {
        self.listed += 1;
        let shown = !self.post_all_only || can_write;
        if shown {
            self.shown += 1;
            self.writers += u64::from(can_write);
        }
        shown
    }

    /// `N accounts read, M failed: AC…, AC…` (with --all-accounts); the SIDs are the server's,
    /// so shown by the display rule, ten at most.
    pub(crate) fn accounts_line(&self) -> Option<String> {
        let (read, failed) = self.accounts.as_ref()?;
        let accounts = if *read == 1 { "account" } else { "accounts" };
        let mut line = format!("{read} {accounts} read");
        if !failed.is_empty() {
            let shown: Vec<Cow<'_, str>> = failed
                .iter()
                .take(10)
                .map(|sid| display_text(sid, 40))
                .collect();
            line.push_str(&format!(", {} failed: {}", failed.len(), shown.join(", ")));
            if failed.len() > 10 {
                line.push_str(&format!(" and {} more", failed.len() - 10));
            }
        }
        Some(line)
    }

    fn line(&self) -> String {
        let apps = if self.shown == 1 { "app" } else { "apps" };
        let mut line = if self.post_all_only {
            format!(
                "{} {apps} with post-all (of {} listed; marked !: may create and change resources on the account)",
                self.shown, self.listed
            )
        } else {
            format!(
                "{} {apps}, {} with post-all (marked !: may create and change resources on the account)",
                self.shown, self.writers
            )
        };
        if let Some(accounts) = self.accounts_line() {
            line.push_str("; ");
            line.push_str(&accounts);
        }
        if self.limit_reached {
            line.push_str("; --limit reached: more apps may exist");
        }
        if self.sample {
            line.push_str(" [SAMPLE DATA from the built-in emulator, not a Twilio account]");
        }
        line
    }
}

/// How a printer lays out its rows.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The format.
    pub(crate) format: Format,
    /// The columns (table, CSV, TSV).
    pub(crate) fields: Vec<Field>,
    /// Whether a header row comes first (table, CSV, TSV).
    pub(crate) header: bool,
    /// With --all-accounts: the account leads each row (JSON: `account_friendly_name`).
    pub(crate) with_account: bool,
    /// Colour the post-all mark (table).
    pub(crate) color: bool,
    /// The summary line (table).
    pub(crate) summary: bool,
}

impl Layout {
    /// The layout for `format`, with the columns given or the format's defaults.
    pub(crate) fn new(format: Format, fields: Option<&[Field]>, with_account: bool) -> Self {
        use Field::*;
        let fields = match fields {
            Some(f) => f.to_vec(),
            None => {
                let mut f = match format {
                    Format::Table => vec![Sid, Name, Company, Permissions, Homepage],
                    _ => vec![
                        Sid,
                        Name,
                        Company,
                        Permissions,
                        Homepage,
                        Description,
                        Account,
                        Uri,
                    ],
                };
                if with_account {
                    f.retain(|c| *c != Account);
                    f.splice(0..0, [Account, AccountName]);
                }
                f
            }
        };
        Layout {
            format,
            fields,
            header: true,
            with_account,
            color: false,
            summary: true,
        }
    }
}

/// A column's table heading and width, and its CSV name.
fn column(field: Field) -> (&'static str, usize, &'static str) {
    match field {
        Field::Sid => ("SID", 34, "connect_app_sid"),
        Field::Name => ("FRIENDLY NAME", 28, "connect_app_friendly_name"),
        Field::Company => ("COMPANY", 24, "connect_app_company_name"),
        Field::Permissions => ("PERMISSIONS", 18, "permissions"),
        Field::Homepage => ("HOMEPAGE", 60, "connect_app_homepage_url"),
        Field::Description => ("DESCRIPTION", 40, "connect_app_description"),
        Field::Account => ("ACCOUNT SID", 34, "account_sid"),
        Field::AccountName => ("ACCOUNT", 20, "account_friendly_name"),
        Field::Uri => ("URI", 60, "uri"),
    }
}

/// Prints apps one by one, then a closing summary.
pub(crate) struct Printer<W: Write> {
    out: W,
    layout: Layout,
    started: bool,
    /// A reused buffer for one CSV record, or one JSON object, at a time.
    scratch: Vec<u8>,
    /// The account of the rows being printed (SID, name), with --all-accounts.
    account: Option<(String, String)>,
}

impl<W: Write> Printer<W> {
    /// A printer of `layout` into `out`.
    pub(crate) fn new(out: W, layout: Layout) -> Self {
        Printer {
            out,
            layout,
            started: false,
            scratch: Vec::new(),
            account: None,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        if !self.layout.header {
            return Ok(());
        }
        match self.layout.format {
            Format::Table => {
                let mut line = String::from("   ");
                let last = self.layout.fields.len().saturating_sub(1);
                for (i, f) in self.layout.fields.iter().enumerate() {
                    let (title, width, _) = column(*f);
                    if i == last {
                        line.push_str(title);
                    } else {
                        line.push_str(&pad(title, width));
                        line.push_str("  ");
                    }
                }
                writeln!(self.out, "{line}")
            }
            Format::Csv | Format::Tsv => {
                let names: Vec<&str> = self.layout.fields.iter().map(|f| column(*f).2).collect();
                let tsv = self.layout.format == Format::Tsv;
                let names = names.into_iter().map(Cow::Borrowed);
                write_record(&mut self.out, &mut self.scratch, tsv, names)
            }
            Format::Json => Ok(()),
        }
    }

    /// The account of the apps printed next (with --all-accounts).
    pub(crate) fn set_account(&mut self, account: &Account) {
        self.account = Some((
            account.sid.clone().unwrap_or_default(),
            account.friendly_name.clone().unwrap_or_default(),
        ));
    }

    /// Prints one app.
    pub(crate) fn app(&mut self, app: &AuthorizedConnectApp) -> io::Result<()> {
        self.view(&AppView::of(app))
    }

    /// Prints one app read from a page body, borrowed (the listing's fast path: NDJSON is
    /// copied from the body as serde_json would write it, with nothing allocated per app).
    pub(crate) fn view(&mut self, app: &AppView<'_>) -> io::Result<()> {
        self.start()?;
        match self.layout.format {
            Format::Json => self.json(app),
            Format::Table => self.row(app),
            Format::Csv | Format::Tsv => {
                let (layout, account) = (&self.layout, &self.account);
                let values: Vec<Cow<'_, str>> = layout
                    .fields
                    .iter()
                    .map(|f| value(layout, account, app, *f))
                    .collect();
                let tsv = layout.format == Format::Tsv;
                write_record(&mut self.out, &mut self.scratch, tsv, values.into_iter())
            }
        }
    }

    fn json(&mut self, app: &AppView<'_>) -> io::Result<()> {
        if !self.layout.with_account {
            // Into the scratch buffer field by field, then one write of the whole line.
            self.scratch.clear();
            app.write_json(&mut self.scratch)?;
            self.scratch.push(b'\n');
            return self.out.write_all(&self.scratch);
        }
        // --all-accounts: the account's name first, then the app's own fields (its
        // `account_sid` is the account).
        self.scratch.clear();
        app.write_json(&mut self.scratch)?;
        let name = self.account.as_ref().map_or("", |(_, n)| n.as_str());
        self.out.write_all(b"{\"account_friendly_name\":")?;
        serde_json::to_writer(&mut self.out, name).map_err(io::Error::from)?;
        self.out.write_all(b",")?;
        self.out
            .write_all(self.scratch.get(1..).unwrap_or_default())?;
        self.out.write_all(b"\n")
    }

    fn row(&mut self, app: &AppView<'_>) -> io::Result<()> {
        let mark = match (app.can_write(), self.layout.color) {
            (true, true) => "\u{1b}[1;31m!\u{1b}[0m",
            (true, false) => "!",
            (false, _) => " ",
        };
        let mut line = format!("{mark}  ");
        let last = self.layout.fields.len().saturating_sub(1);
        for (i, f) in self.layout.fields.iter().enumerate() {
            let value = value(&self.layout, &self.account, app, *f);
            let width = column(*f).1;
            let shown = Some(value.as_ref()).filter(|v| !v.is_empty());
            if i == last {
                line.push_str(cell(shown, width).trim_end());
            } else {
                line.push_str(&cell(shown, width));
                line.push_str("  ");
            }
        }
        writeln!(self.out, "{line}")
    }

    /// Ends a listing that succeeded: the header if nothing was printed, and the table's
    /// summary line.
    pub(crate) fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.start()?;
        if self.layout.format == Format::Table && self.layout.summary {
            writeln!(self.out, "{}", summary.line())?;
        }
        self.out.flush()
    }

    /// Pushes what is buffered on.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A field's text, as the format writes it (permissions joined; the account of a sweep).
fn value<'a>(
    layout: &Layout,
    account: &'a Option<(String, String)>,
    app: &AppView<'a>,
    field: Field,
) -> Cow<'a, str> {
    let text = |v: &Option<JsonStr<'a>>| v.map(|s| s.to_str()).unwrap_or_default();
    match field {
        Field::Sid => text(&app.connect_app_sid),
        Field::Name => text(&app.connect_app_friendly_name),
        Field::Company => text(&app.connect_app_company_name),
        Field::Homepage => text(&app.connect_app_homepage_url),
        Field::Description => text(&app.connect_app_description),
        Field::Uri => text(&app.uri),
        Field::Permissions => {
            let sep = if layout.format == Format::Table {
                ","
            } else {
                ";"
            };
            match (&app.permissions, layout.format) {
                (None, Format::Table) => Cow::Borrowed("-"),
                (None, _) => Cow::Borrowed(""),
                (Some(p), _) => {
                    let names: Vec<_> = p.iter().map(|p| p.to_str()).collect();
                    if names.is_empty() && layout.format == Format::Table {
                        Cow::Borrowed("(none)")
                    } else {
                        Cow::Owned(names.join(sep))
                    }
                }
            }
        }
        Field::Account => match (account, layout.with_account) {
            (Some((sid, _)), true) => Cow::Borrowed(sid.as_str()),
            _ => text(&app.account_sid),
        },
        Field::AccountName => match account {
            Some((_, name)) => Cow::Borrowed(name.as_str()),
            None => Cow::Borrowed(""),
        },
    }
}

/// One CSV (RFC 4180, the `csv` crate quotes) or TSV record, its cells made safe.
fn write_record<'a>(
    out: &mut impl Write,
    scratch: &mut Vec<u8>,
    tsv: bool,
    fields: impl Iterator<Item = Cow<'a, str>>,
) -> io::Result<()> {
    let safe: Vec<String> = fields.map(|f| spreadsheet_cell(&f, tsv)).collect();
    if tsv {
        return writeln!(out, "{}", safe.join("\t"));
    }
    let mut w = csv::WriterBuilder::new().from_writer(std::mem::take(scratch));
    w.write_record(&safe).map_err(io::Error::other)?;
    *scratch = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    out.write_all(scratch)?;
    scratch.clear();
    Ok(())
}

/// A cell of a CSV or TSV file as a spreadsheet will read it: control characters the format
/// cannot carry replaced (CSV quoting carries tabs and line breaks; TSV carries neither, they
/// become spaces), format characters replaced, and a cell that starts like a formula (`=`,
/// `+`, `-`, `@`, a tab, a carriage return) prefixed with `'`.
pub(crate) fn spreadsheet_cell(value: &str, tsv: bool) -> String {
    let mut out = String::with_capacity(value.len() + 1);
    if matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) {
        out.push('\'');
    }
    for c in value.chars() {
        out.push(match c {
            '\t' | '\n' | '\r' if tsv => ' ',
            '\t' | '\n' | '\r' => c,
            c if is_unprintable(c) => '\u{FFFD}',
            c => c,
        });
    }
    out
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    let mut out = String::with_capacity(text.len() + width.saturating_sub(w));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// One table cell: the display rule applied, `-` for nothing, cut to `width` display columns
/// with `…`, padded to `width`.
pub(crate) fn cell(s: Option<&str>, width: usize) -> String {
    let text = display_text(s.unwrap_or("-"), 4 * width + 8);
    let text = if text.trim().is_empty() {
        Cow::Borrowed("-")
    } else {
        text
    };
    if text.width() <= width {
        return pad(&text, width);
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    pad(&cut, width)
}

/// The field-per-line view of one app (`fetch` without a format).
pub(crate) fn details(out: &mut impl Write, app: &AuthorizedConnectApp) -> io::Result<()> {
    let mut line = |k: &str, v: Option<&str>| writeln!(out, "{k:<13}{}", cell(v, 200).trim_end());
    line("SID", app.connect_app_sid())?;
    line("Name", app.connect_app_friendly_name())?;
    line("Company", app.connect_app_company_name())?;
    line("Description", app.connect_app_description())?;
    line("Homepage", app.connect_app_homepage_url())?;
    let mut perms = match app.permissions() {
        None => "-".to_owned(),
        Some([]) => "(none)".to_owned(),
        Some(p) => p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(","),
    };
    if app.can_write() {
        perms.push_str("  ! post-all: may create and change resources on the account");
    }
    line("Permissions", Some(&perms))?;
    line("Account", app.account_sid())?;
    line("URI", app.uri())
}

/// What shapes a command's output, besides its flags.
pub(crate) struct Style {
    /// Colour the table.
    pub(crate) color: bool,
    /// `--quiet`: no summary line, no notes.
    pub(crate) quiet: bool,
}

/// The printer's layout for these output options.
pub(crate) fn layout(output: &Output, with_account: bool, resumed: bool, style: &Style) -> Layout {
    let mut layout = Layout::new(output.format(), output.fields.as_deref(), with_account);
    // A resumed CSV or TSV goes on without a second header, so the two outputs concatenate.
    let goes_on = resumed && matches!(layout.format, Format::Csv | Format::Tsv);
    layout.header = !output.no_header && !goes_on;
    layout.color = style.color && output.output.is_none();
    layout.summary = !style.quiet;
    layout
}

/// `--fail-on-post-all`: exit 3 when any app printed holds post-all.
pub(crate) fn post_all(on: bool, writers: u64) -> Result<(), Failure> {
    if on && writers > 0 {
        let apps = if writers == 1 {
            "app holds"
        } else {
            "apps hold"
        };
        Err(Failure::Findings(format!(
            "{writers} {apps} post-all (--fail-on-post-all)"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_line_shows_server_sids_by_the_display_rule() {
        // What a hostile accounts listing put there: a clipboard write (OSC 52), a bell, a
        // carriage return and cursor-up that hid a forged "0 failed", and 200 KB in one SID.
        let hostile = vec![
            "AC1\u{1b}]52;c;aGk=\u{7}".to_owned(),
            "AC2\r\u{1b}[1A0 failed".to_owned(),
            format!("AC3{}", "x".repeat(200_000)),
        ];
        let summary = Summary {
            accounts: Some((3, hostile)),
            ..Summary::default()
        };
        let line = summary.accounts_line().unwrap();
        assert!(line.starts_with("3 accounts read, 3 failed: AC1"), "{line}");
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(line.len() < 300, "{} bytes", line.len());
    }

    #[test]
    fn cells_keep_their_display_width() {
        for s in [
            "Ünïcødé 应用 12 😀",
            "ascii",
            "应用应用应用应用应用应用应用应用应用应用",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
        ] {
            let c = cell(Some(s), 28);
            assert_eq!(c.width(), 28, "{s:?} -> {c:?}");
        }
        assert_eq!(cell(Some("a\\nb"), 5), "a\\nb ");
        assert_eq!(cell(Some("a\nb"), 5), "a b  ");
        assert_eq!(cell(None, 3), "-  ");
        assert_eq!(cell(Some("   "), 3), "-  ");
        // A wide character that would straddle the edge is left out, not cut in half.
        assert_eq!(cell(Some("ab应用"), 4), "ab… ");
        // Bidi overrides, zero-width and separator characters are shown replaced.
        for hostile in [
            "a\u{202e}b",
            "a\u{200b}b",
            "a\u{2028}b",
            "a\u{1b}[2Jb",
            "a\u{7}b",
        ] {
            let c = cell(Some(hostile), 6);
            assert!(
                c.chars().all(|c| !is_unprintable(c)),
                "{hostile:?} -> {c:?}"
            );
        }
    }

    #[test]
    fn spreadsheet_cells_cannot_be_formulas() {
        for (v, want) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("a\u{1b}b\u{7}", "a\u{FFFD}b\u{FFFD}"),
            ("plain", "plain"),
        ] {
            assert_eq!(spreadsheet_cell(v, false), want, "{v:?}");
        }
        assert_eq!(spreadsheet_cell("a\tb\nc", true), "a b c");
        assert_eq!(spreadsheet_cell("\tx", true), "' x");
    }

    #[test]
    fn csv_quotes_as_rfc_4180() {
        let app: AuthorizedConnectApp = serde_json::from_str(
            r#"{"connect_app_sid": "CN1", "connect_app_friendly_name": "a \"b\", c", "permissions": ["get-all", "post-all"]}"#,
        )
        .unwrap();
        let mut p = Printer::new(Vec::new(), Layout::new(Format::Csv, None, false));
        p.app(&app).unwrap();
        let text = String::from_utf8(p.out).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "connect_app_sid,connect_app_friendly_name,connect_app_company_name,permissions,connect_app_homepage_url,connect_app_description,account_sid,uri"
        );
        assert_eq!(
            lines.next().unwrap(),
            r#"CN1,"a ""b"", c",,get-all;post-all,,,,"#
        );
    }
}
