//! Server- and user-supplied text made safe to show: short, printable, no user info.

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
