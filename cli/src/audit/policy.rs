//! `audit --policy FILE`: which apps may hold which permissions, where.
//!
//! ```toml
//! [[allow]]
//! connect_app_sid = "CN…"                 # required
//! permissions = ["get-all", "post-all"]   # what it may hold; default ["get-all"]
//! accounts = ["AC…"]                      # optional: only in these accounts; default any
//! note = "billing export, approved 2026-10 by …"
//! [settings]
//! deny_unlisted = false                   # true: any app not listed is a finding
//! [[exception]]                           # an accepted risk, until a date (exceptions.rs)
//! connect_app_sid = "CN…"
//! owner = "…"
//! reason = "…"
//! expires = 2027-01-31
//! ```
//!
//! Everything is checked before any request: an unknown key, a malformed SID or a permission
//! the API does not define is a usage error naming the file, the line and the key.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{AccountSid, ConnectAppSid};

use crate::audit::exceptions::{self, Exception};

/// The permissions the API defines (the spec's enum), the only ones a policy may name.
const PERMISSIONS: [&str; 2] = ["get-all", "post-all"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<AllowEntry>,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    exception: Vec<exceptions::Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowEntry {
    connect_app_sid: Spanned<String>,
    permissions: Option<Vec<Spanned<String>>>,
    accounts: Option<Vec<Spanned<String>>>,
    note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    deny_unlisted: bool,
}

/// One `[[allow]]` entry, checked.
#[derive(Debug, Clone)]
pub(crate) struct Allow {
    /// The app.
    pub(crate) app: String,
    /// What it may hold.
    pub(crate) permissions: Vec<String>,
    /// Where (`None`: any account).
    pub(crate) accounts: Option<Vec<String>>,
    /// Why it is allowed.
    pub(crate) note: Option<String>,
    /// The entry's line in the file (1-based).
    pub(crate) line: usize,
}

impl Allow {
    /// Whether this entry names `app` in `account`.
    pub(crate) fn names(&self, account: &str, app: &str) -> bool {
        self.app == app
            && self
                .accounts
                .as_ref()
                .is_none_or(|a| a.iter().any(|s| s == account))
    }
}

/// A policy: the allow entries and the settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// The file, as given (for SARIF locations).
    pub(crate) path: Option<String>,
    /// The entries, in file order.
    pub(crate) allow: Vec<Allow>,
    /// Any app no entry names is a finding.
    pub(crate) deny_unlisted: bool,
    /// The `[[exception]]` entries, in file order.
    pub(crate) exceptions: Vec<Exception>,
    /// SHA-256 of the file's bytes (for the run record).
    pub(crate) sha256: Option<String>,
    /// The entries of each app SID, by index in `allow` (file order): a lookup is one hash,
    /// whatever the policy's size.
    by_app: HashMap<String, Vec<usize>>,
}

/// The largest policy file read: far above any real policy (40,000 entries are about 4 MB).
const MAX_POLICY_BYTES: u64 = 32 << 20;

impl Policy {
    /// The entries that name `app` in `account`.
    pub(crate) fn entries<'a>(
        &'a self,
        account: &'a str,
        app: &'a str,
    ) -> impl Iterator<Item = &'a Allow> + 'a {
        self.by_app
            .get(app)
            .into_iter()
            .flatten()
            .filter_map(|i| self.allow.get(*i))
            .filter(move |a| a.names(account, app))
    }

    /// The first entry that names `app` in `account`.
    pub(crate) fn entry(&self, account: &str, app: &str) -> Option<&Allow> {
        self.by_app
            .get(app)?
            .iter()
            .filter_map(|i| self.allow.get(*i))
            .find(|a| a.names(account, app))
    }

    /// Reads and checks `path`.
    pub(crate) fn load(path: &Path) -> Result<Policy, String> {
        let shown = path.display().to_string();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("--policy {shown}: {e}"))?
            .len();
        if size > MAX_POLICY_BYTES {
            return Err(format!(
                "--policy {shown}: {size} bytes, over the {} MiB a policy may be; split it or \
                 list accounts per entry",
                MAX_POLICY_BYTES >> 20
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("--policy {shown}: {e}"))?;
        let mut policy = Policy::parse(&text).map_err(|e| format!("--policy {shown}: {e}"))?;
        policy.path = Some(shown);
        policy.sha256 = Some(crate::audit::run::sha256(text.as_bytes()));
        Ok(policy)
    }

    /// Checks a policy's text; errors say the line and the key.
    pub(crate) fn parse(text: &str) -> Result<Policy, String> {
        let lines = Lines::of(text);
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("line {}: ", lines.line(s.start)))
                .unwrap_or_default();
            format!("{at}{}", display_text(e.message().trim(), 300))
        })?;
        let bad = |span: Range<usize>, key: &str, message: String| {
            format!("line {}: {key}: {message}", lines.line(span.start))
        };
        let allow = file
            .allow
            .into_iter()
            .map(|entry| check_allow(entry, &lines, &bad))
            .collect::<Result<Vec<_>, _>>()?;
        let exceptions = file
            .exception
            .into_iter()
            .map(|e| Exception::check(e, |at| lines.line(at), bad))
            .collect::<Result<Vec<_>, _>>()?;
        let mut by_app: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, entry) in allow.iter().enumerate() {
            by_app.entry(entry.app.clone()).or_default().push(i);
        }
        Ok(Policy {
            path: None,
            allow,
            deny_unlisted: file.settings.deny_unlisted,
            exceptions,
            sha256: None,
            by_app,
        })
    }
}

/// Checks one `[[allow]]` entry.
fn check_allow(
    entry: AllowEntry,
    lines: &Lines,
    bad: &impl Fn(Range<usize>, &str, String) -> String,
) -> Result<Allow, String> {
    let span = entry.connect_app_sid.span();
    let app = entry.connect_app_sid.into_inner();
    // SidError never repeats the value, so a secret pasted here is not echoed.
    let sid: ConnectAppSid = app
        .trim()
        .parse()
        .map_err(|e| bad(span.clone(), "connect_app_sid", format!("{e}")))?;
    let permissions = match entry.permissions {
        None => vec!["get-all".to_owned()],
        Some(list) => list
            .into_iter()
            .map(|p| {
                let span = p.span();
                let name = p.into_inner();
                if PERMISSIONS.contains(&name.as_str()) {
                    Ok(name)
                } else {
                    Err(bad(
                        span,
                        "permissions",
                        format!(
                            "`{}` is not a permission the API defines (get-all, post-all)",
                            display_text(&name, 40)
                        ),
                    ))
                }
            })
            .collect::<Result<_, _>>()?,
    };
    let accounts = entry
        .accounts
        .map(|list| {
            list.into_iter()
                .map(|a| {
                    let span = a.span();
                    a.into_inner()
                        .trim()
                        .parse::<AccountSid>()
                        .map(|s| s.to_string())
                        .map_err(|e| bad(span, "accounts", format!("{e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(Allow {
        app: sid.to_string(),
        permissions,
        accounts,
        note: entry.note,
        line: lines.line(span.start),
    })
}

/// Where a text's lines start, to turn byte offsets into line numbers in `O(log n)` each.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Self {
        Lines(
            text.bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
        )
    }

    /// The 1-based line of byte `at`.
    fn line(&self, at: usize) -> usize {
        self.0.partition_point(|nl| *nl < at) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "CN0000000000000000000000000000b002";
    const ACCOUNT: &str = "AC00000000000000000000000000000002";

    #[test]
    fn a_full_policy_reads() {
        let p = Policy::parse(&format!(
            "[[allow]]\nconnect_app_sid = \"{APP}\"\npermissions = [\"get-all\", \"post-all\"]\naccounts = [\"{ACCOUNT}\"]\nnote = \"approved\"\n\n[[allow]]\nconnect_app_sid = \"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n\n[settings]\ndeny_unlisted = true\n"
        ))
        .unwrap();
        assert!(p.deny_unlisted);
        assert_eq!(p.allow.len(), 2);
        assert_eq!(p.allow[0].line, 2);
        assert!(p.allow[0].names(ACCOUNT, APP));
        assert!(!p.allow[0].names("AC00000000000000000000000000000001", APP));
        assert_eq!(p.allow[1].permissions, ["get-all"]);
        assert!(p.allow[1].names(ACCOUNT, "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!Policy::parse("").unwrap().deny_unlisted);
    }

    #[test]
    fn mistakes_name_the_line_and_the_key() {
        let unknown = Policy::parse(&format!(
            "[[allow]]\nconnect_app_sid = \"{APP}\"\npermision = []\n"
        ))
        .unwrap_err();
        assert!(
            unknown.starts_with("line 3:") && unknown.contains("permision"),
            "{unknown}"
        );
        let sid = Policy::parse("[[allow]]\n\nconnect_app_sid = \"CNsecret-token\"\n").unwrap_err();
        assert!(
            sid.starts_with("line 3: connect_app_sid:") && !sid.contains("secret"),
            "{sid}"
        );
        let perm = Policy::parse(&format!(
            "[[allow]]\nconnect_app_sid = \"{APP}\"\npermissions = [\"get-all\",\n  \"delete-all\"]\n"
        ))
        .unwrap_err();
        assert!(
            perm.starts_with("line 4: permissions:") && perm.contains("delete-all"),
            "{perm}"
        );
        let account = Policy::parse(&format!(
            "[[allow]]\nconnect_app_sid = \"{APP}\"\naccounts = [\"nope\"]\n"
        ))
        .unwrap_err();
        assert!(account.starts_with("line 3: accounts:"), "{account}");
        let setting = Policy::parse("[settings]\ndeny_unlisted = true\nstrict = 1\n").unwrap_err();
        assert!(
            setting.starts_with("line 3:") && setting.contains("strict"),
            "{setting}"
        );
        let missing = Policy::parse("[[allow]]\nnote = \"x\"\n").unwrap_err();
        assert!(missing.contains("connect_app_sid"), "{missing}");
    }

    #[test]
    fn forty_thousand_entries_load_with_right_lines_and_indexed_lookups() {
        let mut text = String::new();
        for i in 0..40_000u32 {
            text.push_str(&format!(
                "[[allow]]\nconnect_app_sid = \"CN{i:032x}\"\npermissions = [\"get-all\"]\n\n"
            ));
        }
        let p = Policy::parse(&text).unwrap();
        assert_eq!(p.allow.len(), 40_000);
        assert_eq!(p.allow[39_999].line, 39_999 * 4 + 2);
        let last = format!("CN{:032x}", 39_999);
        assert_eq!(
            p.entry(ACCOUNT, &last).map(|a| a.line),
            Some(39_999 * 4 + 2)
        );
        assert!(p.entry(ACCOUNT, APP).is_none());
    }

    #[test]
    fn a_policy_over_the_cap_is_refused_before_it_is_read() {
        let dir = std::env::temp_dir().join(format!("policy-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("huge.toml");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_POLICY_BYTES + 1).unwrap(); // sparse: nothing is written
        let e = Policy::load(&path).unwrap_err();
        assert!(e.contains("over the 32 MiB"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
