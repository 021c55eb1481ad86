//! The `--resume` value: the library's [`Cursor`], compactly and safely encoded for a shell
//! (`c1.` and URL-safe base64 of its JSON).

use base64::Engine as _;
use twilio_connect_apps::Cursor;

const PREFIX: &str = "c1.";

/// The cursor as a `--resume` value.
pub(crate) fn encode(cursor: &Cursor) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

/// A `--resume` value back to the cursor.
pub(crate) fn decode(value: &str) -> Result<Cursor, String> {
    let bad = || {
        format!(
            "--resume: `{}` is not a cursor this program printed",
            value.chars().take(40).collect::<String>()
        )
    };
    let b64 = value.trim().strip_prefix(PREFIX).ok_or_else(bad)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| bad())?;
    serde_json::from_slice(&json).map_err(|_| bad())
}

/// The command line that goes on from `cursor`: this run's arguments without `--resume`,
/// `--limit` and `--page-size` (the cursor carries them), and `--resume <cursor>`, quoted for a
/// POSIX shell.
pub(crate) fn command_line(argv: &[String], cursor: &Cursor) -> String {
    let mut out = Vec::with_capacity(argv.len() + 2);
    let mut it = argv.iter();
    if let Some(program) = it.next() {
        out.push(program.clone());
    }
    while let Some(arg) = it.next() {
        let flag = arg.split('=').next().unwrap_or(arg);
        if ["--resume", "--limit", "--page-size"].contains(&flag) {
            if !arg.contains('=') {
                it.next();
            }
            continue;
        }
        out.push(arg.clone());
    }
    out.push("--resume".into());
    out.push(encode(cursor));
    out.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
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
        };
        let v = encode(&c);
        assert!(v.starts_with("c1.") && !v.contains(['+', '/', '=']), "{v}");
        assert_eq!(decode(&v).unwrap(), c);
        assert!(decode("c1.!!!").is_err());
        assert!(decode("nope").is_err());
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
            command_line(&argv, &c),
            format!("connect-apps --transport hyper list --json --resume {v}")
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
