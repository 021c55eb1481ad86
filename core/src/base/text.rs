//! Server- and user-supplied text made safe to show: short, printable, no user info.
//!
//! One rule for every server-supplied string shown anywhere (errors, and the CLI's tables,
//! summaries and progress): control characters, Unicode format characters (bidi overrides,
//! zero-width characters, the BOM, ...) and line/paragraph separators are replaced, so that
//! text cannot move the cursor, clear a screen, write the clipboard or show itself reversed;
//! and it is cut to a short excerpt.

use std::borrow::Cow;

/// The most bytes of server-supplied text (a body, a message, a URI, a `Location`) that an
/// error repeats.
pub(crate) const EXCERPT_LIMIT: usize = 200;

/// A short, printable excerpt of bytes: lossy UTF-8, control characters and runs of
/// whitespace folded to one space, cut at `limit` bytes with `…`.
pub(crate) fn excerpt_bytes(bytes: &[u8], limit: usize) -> String {
    let head = bytes.get(..limit.min(bytes.len())).unwrap_or(bytes);
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len() + 3);
    let mut space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            space = !out.is_empty();
        } else if is_format(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(REPLACEMENT);
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    if bytes.len() > limit {
        // A multi-byte character cut at the limit decodes as U+FFFD: drop that tail.
        while out.ends_with('\u{FFFD}') {
            out.pop();
        }
        out.push('…');
    }
    out
}

/// What an unprintable character is shown as.
const REPLACEMENT: char = '\u{FFFD}';

/// Unicode format characters (category Cf) and the line and paragraph separators (Zl, Zp):
/// invisible, or they change how the text around them is shown.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether `c` must not reach a terminal or a report as it is: a control character, a Unicode
/// format character (bidi overrides, zero-width characters, the BOM, ...) or a line or
/// paragraph separator.
///
/// ```
/// use twilio_connect_apps::text::is_unprintable;
/// assert!(is_unprintable('\u{1b}') && is_unprintable('\u{202e}') && is_unprintable('\u{200b}'));
/// assert!(!is_unprintable('é') && !is_unprintable('应'));
/// ```
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// The one display rule for server-supplied text: every unprintable character (see
/// [`is_unprintable`]) replaced, tabs and line breaks by a space and the rest by U+FFFD, and
/// the text cut to at most `max_chars` characters with `…`. Borrowed when nothing changes.
///
/// ```
/// use twilio_connect_apps::text::display_text;
/// assert_eq!(display_text("Acme\u{1b}]52;c;evil\u{7}\u{202e}gnp.exe", 100), "Acme\u{fffd}]52;c;evil\u{fffd}\u{fffd}gnp.exe");
/// assert_eq!(display_text("a\tb\nc", 100), "a b c");
/// assert_eq!(display_text(&"x".repeat(500), 10), format!("{}…", "x".repeat(9)));
/// assert!(matches!(display_text("plain", 10), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn display_text(text: &str, max_chars: usize) -> Cow<'_, str> {
    let long = text.chars().nth(max_chars).is_some();
    if !long && !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let keep = if long {
        max_chars.saturating_sub(1)
    } else {
        max_chars
    };
    let mut out: String = text
        .chars()
        .take(keep)
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if is_unprintable(c) => REPLACEMENT,
            c => c,
        })
        .collect();
    if long {
        out.push('…');
    }
    Cow::Owned(out)
}

/// [`excerpt_bytes`] of a string.
pub(crate) fn excerpt(text: &str, limit: usize) -> String {
    excerpt_bytes(text.as_bytes(), limit)
}

/// `text` with anything between `scheme://` and `@` (user info) replaced by `***`, and cut to
/// an excerpt. Works on strings that are not valid URLs too.
pub(crate) fn without_user_info(text: &str) -> String {
    let cleaned = match text.find("://") {
        Some(at) => {
            let (scheme, rest) = text.split_at(at + 3);
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(authority_end);
            match authority.rfind('@') {
                Some(user_end) => {
                    let host = authority.get(user_end + 1..).unwrap_or("");
                    format!("{scheme}***@{host}{tail}")
                }
                None => text.to_owned(),
            }
        }
        None => match text.rfind('@') {
            // `user:pass@host:port` without a scheme (proxy variables allow it).
            Some(at) if !text.contains('/') => {
                format!("***@{}", text.get(at + 1..).unwrap_or(""))
            }
            _ => text.to_owned(),
        },
    };
    excerpt(&cleaned, EXCERPT_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt("a\n\tb  c", 100), "a b c");
        let long = "x".repeat(1 << 20);
        let e = excerpt(&long, EXCERPT_LIMIT);
        assert!(e.len() <= EXCERPT_LIMIT + 3, "{}", e.len());
        assert!(e.ends_with('…'));
        let e = excerpt(&"é".repeat(300), 201);
        assert!(!e.contains('\u{FFFD}'));
    }

    #[test]
    fn format_characters_are_shown_replaced_in_excerpts_too() {
        assert_eq!(excerpt("a\u{202e}b\u{200b}c", 100), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(excerpt("x\u{2028}y", 100), "x y");
        for c in [
            '\u{1b}',
            '\u{7}',
            '\u{85}',
            '\u{202d}',
            '\u{2029}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(is_unprintable(c), "{c:?}");
        }
    }

    #[test]
    fn user_info_is_removed() {
        for (input, want) in [
            ("https://u:p@host/x?y", "https://***@host/x?y"),
            ("https://host/a@b", "https://host/a@b"),
            ("http://:tok@127.0.0.1:1", "http://***@127.0.0.1:1"),
            ("user:pass@proxy:3128", "***@proxy:3128"),
            ("no user", "no user"),
        ] {
            assert_eq!(without_user_info(input), want, "{input}");
        }
    }
}
