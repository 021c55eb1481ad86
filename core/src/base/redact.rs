//! Replacing the secrets in use wherever a server's text could carry them back: a server
//! that reflects the `Authorization` header or the token request's form into an error body
//! must not get the auth token printed on a terminal or saved in a report.

use std::borrow::Cow;

use memchr::memmem::Finder;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not searched for: they would shred ordinary text (no
/// credential Twilio issues is this short).
pub(crate) const MIN_SECRET_LEN: usize = 8;

/// The forms of the secrets in use, each searched for in a server's text.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    needles: Vec<Finder<'static>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.needles.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for these forms (duplicates and forms under [`MIN_SECRET_LEN`] dropped).
    pub(crate) fn new<S: AsRef<[u8]>>(forms: impl IntoIterator<Item = S>) -> Self {
        let mut redactor = Redactor::default();
        for form in forms {
            redactor.add(form.as_ref());
        }
        redactor
    }

    /// Adds one more form.
    pub(crate) fn add(&mut self, form: &[u8]) {
        if form.len() >= MIN_SECRET_LEN && !self.needles.iter().any(|n| n.needle() == form) {
            self.needles.push(Finder::new(form).into_owned());
        }
    }

    /// Whether there is nothing to look for.
    pub(crate) fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Whether `text` holds a secret.
    pub(crate) fn finds(&self, text: &[u8]) -> bool {
        self.needles.iter().any(|n| n.find(text).is_some())
    }

    /// `bytes` with every secret replaced; the same allocation when there is none.
    pub(crate) fn scrub_vec(&self, bytes: Vec<u8>) -> Vec<u8> {
        if !self.finds(&bytes) {
            return bytes;
        }
        let mut out = bytes;
        for needle in &self.needles {
            out = replace(needle, out);
        }
        out
    }

    /// `text` with every secret replaced.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.finds(text.as_bytes()) {
            return Cow::Borrowed(text);
        }
        let bytes = self.scrub_vec(text.as_bytes().to_vec());
        // Replacing whole (valid UTF-8) needles with ASCII keeps the text valid UTF-8.
        Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Replaces the secrets in `text` in place.
    pub(crate) fn scrub_string(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.scrub(text) {
            *text = clean;
        }
    }
}

/// `haystack` with every match of `needle` replaced by [`REDACTED`].
fn replace(needle: &Finder<'_>, haystack: Vec<u8>) -> Vec<u8> {
    let mut matches = needle.find_iter(&haystack).peekable();
    if matches.peek().is_none() {
        return haystack;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    for at in matches {
        if let Some(kept) = haystack.get(from..at) {
            out.extend_from_slice(kept);
        }
        out.extend_from_slice(REDACTED.as_bytes());
        from = at.saturating_add(needle.needle().len());
    }
    if let Some(rest) = haystack.get(from..) {
        out.extend_from_slice(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_replaced_and_clean_text_is_kept() {
        let r = Redactor::new(["0123456789abcdef", "QUMxOjAxMjM0NTY3"]);
        assert_eq!(
            r.scrub("token 0123456789abcdef and Basic QUMxOjAxMjM0NTY3ODk= twice 0123456789abcdef"),
            "token [redacted] and Basic [redacted]ODk= twice [redacted]"
        );
        assert!(matches!(r.scrub("nothing here"), Cow::Borrowed(_)));
        assert_eq!(r.scrub_vec(b"x0123456789abcdefx".to_vec()), b"x[redacted]x");
    }

    #[test]
    fn short_and_repeated_forms_are_not_searched() {
        let r = Redactor::new(["short", "0123456789", "0123456789"]);
        assert_eq!(r.needles.len(), 1);
        assert_eq!(r.scrub("short 0123456789"), "short [redacted]");
        assert!(Redactor::new(Vec::<String>::new()).is_empty());
    }
}
