//! Printing apps: an aligned table (display widths, so CJK and emoji keep the columns), NDJSON,
//! or CSV. Nothing is printed before the first app arrives, so a failure before it leaves
//! stdout empty.

use std::borrow::Cow;
use std::io::{self, Write};

use twilio_connect_apps::{Account, AppView, AuthorizedConnectApp, JsonStr};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::args::Format;

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

    /// `N accounts read, M failed: AC…, AC…` (with --all-accounts).
    pub(crate) fn accounts_line(&self) -> Option<String> {
        let (read, failed) = self.accounts.as_ref()?;
        let accounts = if *read == 1 { "account" } else { "accounts" };
        let mut line = format!("{read} {accounts} read");
        if !failed.is_empty() {
            line.push_str(&format!(", {} failed: {}", failed.len(), failed.join(", ")));
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

/// Prints apps one by one, then a closing summary.
pub(crate) struct Printer<W: Write> {
    out: W,
    format: Format,
    /// With --all-accounts: the account SID and name lead each row.
    with_account: bool,
    started: bool,
    /// A reused buffer for one CSV record at a time.
    csv: Vec<u8>,
    /// The account of the rows being printed (SID, name), with --all-accounts.
    account: Option<(String, String)>,
}

/// The CSV columns, in the API's field names.
const CSV_HEADER: [&str; 8] = [
    "connect_app_sid",
    "connect_app_friendly_name",
    "connect_app_company_name",
    "permissions",
    "connect_app_homepage_url",
    "connect_app_description",
    "account_sid",
    "uri",
];

impl<W: Write> Printer<W> {
    /// A printer of `format` into `out`.
    pub(crate) fn new(out: W, format: Format) -> Self {
        Printer {
            out,
            format,
            with_account: false,
            started: false,
            csv: Vec::new(),
            account: None,
        }
    }

    /// Rows lead with the account's SID and name (table, CSV).
    pub(crate) fn with_account(mut self) -> Self {
        self.with_account = true;
        self
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        match self.format {
            Format::Table => {
                let lead = if self.with_account {
                    format!("{}  {}  ", pad("ACCOUNT SID", 34), pad("ACCOUNT", 20))
                } else {
                    String::new()
                };
                writeln!(
                    self.out,
                    "   {lead}{}  {}  {}  {}  HOMEPAGE",
                    pad("SID", 34),
                    pad("FRIENDLY NAME", 28),
                    pad("COMPANY", 24),
                    pad("PERMISSIONS", 18)
                )
            }
            Format::Csv if self.with_account => self.csv_record(
                ["account_sid", "account_friendly_name"]
                    .into_iter()
                    .chain(CSV_HEADER.into_iter().filter(|c| *c != "account_sid")),
            ),
            Format::Csv => self.csv_record(CSV_HEADER),
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
        match self.format {
            Format::Json => {
                app.write_json(&mut self.out)?;
                self.out.write_all(b"\n")
            }
            Format::Table => {
                let mark = if app.can_write() { "!" } else { " " };
                let lead = match (&self.account, self.with_account) {
                    (Some((sid, name)), true) => {
                        format!("{}  {}  ", cell(Some(sid), 34), cell(Some(name), 20))
                    }
                    _ => String::new(),
                };
                writeln!(
                    self.out,
                    "{mark}  {lead}{}  {}  {}  {}  {}",
                    cell(text(&app.connect_app_sid).as_deref(), 34),
                    cell(text(&app.connect_app_friendly_name).as_deref(), 28),
                    cell(text(&app.connect_app_company_name).as_deref(), 24),
                    cell(Some(&permissions(app, ",")), 18),
                    cell(text(&app.connect_app_homepage_url).as_deref(), 60).trim_end(),
                )
            }
            Format::Csv => {
                let perms = match &app.permissions {
                    None => String::new(),
                    Some(_) => permissions(app, ";"),
                };
                fn field<'a>(v: &Option<JsonStr<'a>>) -> Cow<'a, str> {
                    text(v).unwrap_or_default()
                }
                let fields = [
                    field(&app.connect_app_sid),
                    field(&app.connect_app_friendly_name),
                    field(&app.connect_app_company_name),
                    Cow::Owned(perms),
                    field(&app.connect_app_homepage_url),
                    field(&app.connect_app_description),
                    field(&app.account_sid),
                    field(&app.uri),
                ];
                let fields = fields.iter().map(AsRef::as_ref);
                if !self.with_account {
                    return self.csv_record(fields);
                }
                // --all-accounts: the account's SID and name lead the row, in place of
                // account_sid.
                let (sid, name) = self.account.clone().unwrap_or_default();
                let lead = [sid.as_str(), name.as_str()];
                let row = fields
                    .zip(CSV_HEADER)
                    .filter(|(_, column)| *column != "account_sid")
                    .map(|(f, _)| f);
                self.csv_record(lead.into_iter().chain(row))
            }
        }
    }

    /// One RFC 4180 record (the `csv` crate quotes), written through the reused buffer.
    fn csv_record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new().from_writer(std::mem::take(&mut self.csv));
        w.write_record(fields).map_err(io::Error::other)?;
        self.csv = w
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.write_all(&self.csv)?;
        self.csv.clear();
        Ok(())
    }

    /// Ends a listing that succeeded: the header if nothing was printed, and the table's
    /// summary line.
    pub(crate) fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.start()?;
        if self.format == Format::Table {
            writeln!(self.out, "{}", summary.line())?;
        }
        self.out.flush()
    }

    /// Pushes what is buffered to the terminal.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn permissions(app: &AppView<'_>, sep: &str) -> String {
    match &app.permissions {
        None => "-".into(),
        Some(p) => {
            let names: Vec<_> = p.iter().map(|p| p.to_str()).collect();
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(sep)
            }
        }
    }
}

/// A field's decoded text (borrowed unless it holds escapes).
fn text<'a>(v: &Option<JsonStr<'a>>) -> Option<Cow<'a, str>> {
    v.map(|s| s.to_str())
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    let mut out = String::with_capacity(text.len() + width.saturating_sub(w));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// One table cell: control characters as spaces, `-` for nothing, cut to `width` display
/// columns with `…`, padded to `width`.
pub(crate) fn cell(s: Option<&str>, width: usize) -> String {
    let text: String = s
        .unwrap_or("-")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = if text.trim().is_empty() {
        "-".to_owned()
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
    line("SID", app.connect_app_sid.as_deref())?;
    line("Name", app.connect_app_friendly_name.as_deref())?;
    line("Company", app.connect_app_company_name.as_deref())?;
    line("Description", app.connect_app_description.as_deref())?;
    line("Homepage", app.connect_app_homepage_url.as_deref())?;
    let mut perms = permissions(&AppView::of(app), ",");
    if app.can_write() {
        perms.push_str("  ! post-all: may create and change resources on the account");
    }
    line("Permissions", Some(&perms))?;
    line("Account", app.account_sid.as_deref())?;
    line("URI", app.uri.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn csv_quotes_as_rfc_4180() {
        let app: AuthorizedConnectApp = serde_json::from_str(
            r#"{"connect_app_sid": "CN1", "connect_app_friendly_name": "a \"b\", c", "permissions": ["get-all", "post-all"]}"#,
        )
        .unwrap();
        let mut p = Printer::new(Vec::new(), Format::Csv);
        p.app(&app).unwrap();
        let text = String::from_utf8(p.out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), CSV_HEADER.join(","));
        assert_eq!(
            lines.next().unwrap(),
            r#"CN1,"a ""b"", c",,get-all;post-all,,,,"#
        );
    }
}
