//! The `--resume` values: the library's [`Cursor`] (`c1.`) or [`SweepCursor`] with the parent
//! account it is bound to (`s1.`), compactly and safely encoded for a shell (URL-safe base64
//! of their JSON); and the command line that goes on.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use twilio_connect_apps::limits::MAX_PAGE_URI;
use twilio_connect_apps::{Cursor, SweepCursor};

const LISTING: &str = "c1.";
const SWEEP: &str = "s1.";

/// The longest value accepted (a page URI is at most [`MAX_PAGE_URI`] bytes; a sweep's holds
/// two).
const MAX_VALUE: usize = 4 * MAX_PAGE_URI;

/// A sweep's resume point, bound to the account whose subaccounts it sweeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SweepToken {
    /// The parent account (the credentials' account when it was made).
    pub(crate) parent: String,
    /// Where the sweep stands.
    pub(crate) sweep: SweepCursor,
}

fn encode(prefix: &str, value: &impl Serialize) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

fn decode<T: for<'de> Deserialize<'de>>(prefix: &str, value: &str) -> Result<T, String> {
    // The value is never repeated: a mistyped or hostile one can be long, or anything.
    let bad = || {
        format!(
            "--resume: this {}-byte value is not a cursor this program printed",
            value.len()
        )
    };
    if value.len() > MAX_VALUE {
        return Err(format!(
            "--resume: the value is {} bytes, more than a cursor can be ({MAX_VALUE})",
            value.len()
        ));
    }
    let b64 = value.trim().strip_prefix(prefix).ok_or_else(bad)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| bad())?;
    serde_json::from_slice(&json).map_err(|_| bad())
}

/// A listing's cursor as a `--resume` value.
pub(crate) fn encode_listing(cursor: &Cursor) -> String {
    encode(LISTING, cursor)
}

/// A `--resume` value back to a listing's cursor.
pub(crate) fn decode_listing(value: &str) -> Result<Cursor, String> {
    if value.trim().starts_with(SWEEP) {
        return Err("--resume: this cursor goes on with a sweep: add --all-accounts".into());
    }
    decode(LISTING, value)
}

/// A sweep's resume point as a `--resume` value.
pub(crate) fn encode_sweep(token: &SweepToken) -> String {
    encode(SWEEP, token)
}

/// A `--resume` value back to a sweep's resume point.
pub(crate) fn decode_sweep(value: &str) -> Result<SweepToken, String> {
    if value.trim().starts_with(LISTING) {
        return Err(
            "--resume: this cursor goes on with one account's listing, not a sweep: drop --all-accounts"
                .into(),
        );
    }
    decode(SWEEP, value)
}

/// `argv` without the options named in `drop` (and their values).
fn without(argv: &[String], drop: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len() + 2);
    let mut it = argv.iter();
    if let Some(program) = it.next() {
        out.push(program.clone());
    }
    while let Some(arg) = it.next() {
        let flag = arg.split('=').next().unwrap_or(arg);
        if drop.contains(&flag) {
            if !arg.contains('=') && flag != "--all-accounts" {
                it.next();
            }
            continue;
        }
        out.push(arg.clone());
    }
    out
}

fn joined(args: &[String]) -> String {
    args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// The command line that goes on with the sweep of `parent`'s accounts from `sweep`.
pub(crate) fn sweep_command_line(argv: &[String], parent: &str, sweep: SweepCursor) -> String {
    command_line(
        argv,
        &encode_sweep(&SweepToken {
            parent: parent.to_owned(),
            sweep,
        }),
    )
}

/// The command that goes on: the program's arguments with `--resume VALUE` (replacing any
/// `--resume`, `--limit` or `--page-size` given: the token carries them).
pub(crate) fn command_line(argv: &[String], value: &str) -> String {
    let mut out = without(argv, &["--resume", "--limit", "--page-size"]);
    out.push("--resume".into());
    out.push(value.to_owned());
    joined(&out)
}

/// The command that reads one account of an `--all-accounts` run again: the same options for
/// that account alone (`--account-sid`), from where it stopped when `resume` says (written to
/// stdout: `--output` would replace the whole run's file).
pub(crate) fn account_command_line(argv: &[String], sid: &str, resume: Option<String>) -> String {
    let mut out = without(
        argv,
        &[
            "--all-accounts",
            "--concurrency",
            "--status",
            "--resume",
            "--output",
            "-o",
            "--account-sid",
        ],
    );
    out.push("--account-sid".into());
    out.push(sid.to_owned());
    if let Some(value) = resume {
        out.push("--resume".into());
        out.push(value);
    }
    joined(&out)
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_command_line() {
        let c = Cursor {
            next: Some("/2010-04-01/Accounts/AC1/AuthorizedConnectApps.json?PageSize=50&Page=2&PageToken=PA1".into()),
            skip: 7,
            remaining: Some(93),
            last: Some("CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into()),
        };
        let v = encode_listing(&c);
        assert!(v.starts_with("c1.") && !v.contains(['+', '/', '=']), "{v}");
        assert_eq!(decode_listing(&v).unwrap(), c);
        assert!(decode_listing("c1.!!!").is_err());
        let e = decode_listing("nope-SECRET").unwrap_err();
        assert!(!e.contains("SECRET"), "{e}");
        let e = decode_listing(&format!("c1.{}", "A".repeat(90_000))).unwrap_err();
        assert!(e.len() < 200 && e.contains("more than"), "{e}");
        let argv: Vec<String> = [
            "connect-apps",
            "--transport",
            "hyper",
            "list",
            "--limit",
            "100",
            "--page-size=50",
            "--json",
            "--resume",
            "c1.old",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            command_line(&argv, &v),
            format!("connect-apps --transport hyper list --json --resume {v}")
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        let s = SweepToken {
            parent: "AC1".into(),
            sweep: SweepCursor {
                accounts: c.clone(),
                partial: None,
                index: 3,
            },
        };
        assert_eq!(decode_sweep(&encode_sweep(&s)).unwrap(), s);
        assert!(
            decode_sweep(&v)
                .unwrap_err()
                .contains("drop --all-accounts")
        );
    }
}
