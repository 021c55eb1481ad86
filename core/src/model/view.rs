//! A borrowed, zero-copy view of one app in a page body: no allocation per record.
//!
//! Each field is the raw JSON string as it stands in the body ([`JsonStr`]); it is decoded only
//! when asked ([`JsonStr::to_str`]), and written back out as JSON ([`AppView::write_json`])
//! byte for byte as `serde_json` writes an owned [`AuthorizedConnectApp`]: a string without a
//! backslash is copied as it is (JSON forbids raw quotes and control characters in it, so it is
//! already what serde_json would write), any other is decoded and re-encoded.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use crate::model::app::{AuthorizedConnectApp, Permission, Piece, SLOTS};

/// One JSON string of a page body, still encoded; or a plain string (a view of an owned app).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a>(Repr<'a>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Repr<'a> {
    /// `"..."` as it stands in the body, quotes included, and what escapes it holds.
    Json(&'a str, Escapes),
    /// Decoded text.
    Text(&'a str),
}

/// What escapes a JSON string holds, as it stands in a body: none; only those serde_json
/// writes (then the string is already what serde_json would write for its text); others.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Escapes {
    /// No backslash.
    None,
    /// Only `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, and `\u00xx` for the other
    /// control characters.
    AsSerde,
    /// Any other escape.
    Other,
}

impl Escapes {
    /// Looks at a string as it stands (quotes included).
    pub(crate) fn of(raw: &str) -> Self {
        if !raw.contains('\\') {
            Escapes::None
        } else if escaped_as_serde_json(raw) {
            Escapes::AsSerde
        } else {
            Escapes::Other
        }
    }

    /// Whether there is any escape.
    #[inline]
    pub(crate) fn any(self) -> bool {
        self != Escapes::None
    }
}

impl<'a> JsonStr<'a> {
    /// A JSON string as it stands in a body, quotes included (checked by the caller), and
    /// what escapes it holds.
    #[inline]
    pub(crate) fn json(raw: &'a str, escapes: Escapes) -> Self {
        JsonStr(Repr::Json(raw, escapes))
    }

    /// A view of decoded text.
    pub fn text(text: &'a str) -> Self {
        JsonStr(Repr::Text(text))
    }

    /// The decoded string: borrowed from the body unless it holds escapes.
    pub fn to_str(&self) -> Cow<'a, str> {
        match self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::Json(raw, escapes) => decode(raw, escapes.any()),
        }
    }

    /// Whether the decoded string is `text` (decoding only when the string holds escapes).
    #[inline]
    pub fn is(&self, text: &str) -> bool {
        match self.0 {
            Repr::Text(t) => t == text,
            Repr::Json(raw, Escapes::None) => raw.get(1..raw.len().saturating_sub(1)) == Some(text),
            Repr::Json(raw, _) => decode(raw, true) == text,
        }
    }

    /// Writes the string as JSON, exactly as `serde_json` writes it.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        match self.0 {
            // Without escapes, or escaped as serde_json escapes: the same bytes.
            Repr::Json(raw, Escapes::None | Escapes::AsSerde) => out.write_all(raw.as_bytes()),
            _ => serde_json::to_writer(out, self.to_str().as_ref()).map_err(io::Error::from),
        }
    }
}

impl Piece for JsonStr<'_> {
    #[inline]
    fn len_bound(&self) -> usize {
        match self.0 {
            Repr::Text(t) => t.len(),
            // Decoding never lengthens a string: an escape is longer than what it stands for.
            Repr::Json(raw, _) => raw.len().saturating_sub(2),
        }
    }
    #[inline]
    fn push_to(&self, out: &mut String) {
        match self.0 {
            Repr::Text(t) => out.push_str(t),
            Repr::Json(raw, escapes) => {
                let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                if escapes.any() {
                    unescape_into(inner, out);
                } else {
                    out.push_str(inner);
                }
            }
        }
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.to_str().as_ref(), f)
    }
}

/// Whether a JSON string as it stands in a body (quotes included, its syntax checked by the
/// caller) holds only the escapes serde_json writes: `\"`, `\\`, `\b`, `\t`, `\n`, `\f`,
/// `\r`, and `\u00xx` (lowercase) for the other control characters. Then serde_json writes
/// the decoded string back as these very bytes.
pub(crate) fn escaped_as_serde_json(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut from = 0;
    // From escape to escape (each found with SIMD), stepping over each whole escape.
    while let Some(at) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(b'\\', rest))
    {
        let escape = bytes.get(from + at..).unwrap_or_default();
        let len = match escape.get(1) {
            Some(b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r') => 2,
            Some(b'u') => match escape.get(2..6) {
                Some([b'0', b'0', hi @ (b'0' | b'1'), lo]) => {
                    let low = match lo {
                        b'0'..=b'9' => lo - b'0',
                        b'a'..=b'f' => lo - b'a' + 10,
                        _ => return false,
                    };
                    // The five with a short form are written short by serde_json.
                    let c = (hi - b'0') * 16 + low;
                    if matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                        return false;
                    }
                    6
                }
                _ => return false,
            },
            _ => return false,
        };
        from += at + len;
    }
    true
}

/// A JSON string as it stands in a body (quotes included, checked by the caller) decoded:
/// borrowed when it holds no escape. One rule on every path (owned, views, the fast scanner
/// and serde's): a surrogate escape that is not half of a pair (`"a\ud800b"`) decodes as
/// U+FFFD, as a lossy decoder does; a listing never blanks a field nor fails a page for it.
pub(crate) fn decode(raw: &str, escaped: bool) -> Cow<'_, str> {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    if !escaped {
        return Cow::Borrowed(inner);
    }
    Cow::Owned(unescape(inner))
}

/// Decodes the escapes of a JSON string's inside (its syntax checked by the caller; anything
/// malformed is kept as it stands).
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    unescape_into(inner, &mut out);
    out
}

/// [`unescape`], appending to `out`.
fn unescape_into(inner: &str, out: &mut String) {
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + 1..).unwrap_or("");
        let (c, len) = match after.as_bytes().first() {
            Some(b'"') => ('"', 1),
            Some(b'\\') => ('\\', 1),
            Some(b'/') => ('/', 1),
            Some(b'b') => ('\u{8}', 1),
            Some(b'f') => ('\u{c}', 1),
            Some(b'n') => ('\n', 1),
            Some(b'r') => ('\r', 1),
            Some(b't') => ('\t', 1),
            Some(b'u') => unicode_escape(after),
            _ => ('\\', 0),
        };
        out.push(c);
        rest = after.get(len..).unwrap_or("");
    }
    out.push_str(rest);
}

/// The character a `uXXXX` escape (and, for a high surrogate, the `\uXXXX` after it) stands
/// for, and how many bytes it took; a lone surrogate is U+FFFD.
fn unicode_escape(after: &str) -> (char, usize) {
    let hex = |at: usize| {
        after
            .get(at..at + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let Some(first) = hex(1) else {
        return ('\\', 0);
    };
    if let Some(c) = char::from_u32(first) {
        return (c, 5);
    }
    // A surrogate: a high one followed by an escaped low one is a pair.
    if (0xD800..0xDC00).contains(&first)
        && after.get(5..7) == Some("\\u")
        && let Some(second) = hex(7).filter(|s| (0xDC00..0xE000).contains(s))
    {
        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        return (char::from_u32(code).unwrap_or('\u{FFFD}'), 11);
    }
    ('\u{FFFD}', 5)
}

/// How many permissions a view keeps without allocating (real apps hold one or two).
const INLINE: usize = 4;

/// The `permissions` of a view: the JSON strings of the array (up to four kept inline, more
/// in a `Vec`), or an owned app's list.
#[derive(Clone)]
pub struct PermissionsView<'a>(PermRepr<'a>);

#[derive(Clone)]
enum PermRepr<'a> {
    Json {
        inline: [Option<JsonStr<'a>>; INLINE],
        more: Vec<JsonStr<'a>>,
    },
    Owned(&'a [Permission]),
}

impl Default for PermissionsView<'_> {
    /// An empty list.
    fn default() -> Self {
        PermissionsView(PermRepr::Json {
            inline: [None; INLINE],
            more: Vec::new(),
        })
    }
}

impl<'a> PermissionsView<'a> {
    /// Adds a permission (inline while there is room).
    #[inline]
    pub(crate) fn push(&mut self, s: JsonStr<'a>) {
        if let PermRepr::Json { inline, more } = &mut self.0 {
            match inline.iter_mut().find(|slot| slot.is_none()) {
                Some(slot) => *slot = Some(s),
                None => more.push(s),
            }
        }
    }

    /// The permissions, in order.
    pub fn iter(&self) -> impl Iterator<Item = JsonStr<'a>> + '_ {
        let (json, owned) = match &self.0 {
            PermRepr::Json { inline, more } => (
                Some(inline.iter().flatten().copied().chain(more.iter().copied())),
                None,
            ),
            PermRepr::Owned(list) => (None, Some(list.iter().map(|p| JsonStr::text(p.as_str())))),
        };
        json.into_iter()
            .flatten()
            .chain(owned.into_iter().flatten())
    }

    /// The owned list (allocated once, at its size).
    pub fn to_vec(&self) -> Vec<Permission> {
        match &self.0 {
            PermRepr::Json { inline, more } => {
                let mut list = Vec::with_capacity(inline.iter().flatten().count() + more.len());
                for p in inline.iter().flatten().chain(more) {
                    list.push(Permission::from_api(&p.to_str()));
                }
                list
            }
            PermRepr::Owned(list) => list.to_vec(),
        }
    }

    /// Whether `post-all` is among them.
    pub fn has_post_all(&self) -> bool {
        match &self.0 {
            PermRepr::Json { inline, more } => inline
                .iter()
                .flatten()
                .chain(more)
                .any(|p| p.is("post-all")),
            PermRepr::Owned(list) => list.contains(&Permission::PostAll),
        }
    }

    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"[")?;
        let mut first = true;
        let mut each = |p: JsonStr<'_>| {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            p.write_json(out)
        };
        match &self.0 {
            PermRepr::Json { inline, more } => {
                for p in inline.iter().flatten().chain(more) {
                    each(*p)?;
                }
            }
            PermRepr::Owned(list) => {
                for p in list.iter() {
                    each(JsonStr::text(p.as_str()))?;
                }
            }
        }
        out.write_all(b"]")
    }
}

impl fmt::Debug for PermissionsView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A borrowed view of one [`AuthorizedConnectApp`]: the same fields, borrowed from the page
/// body (or from an owned app). For programs that read records and let them go, at no
/// allocation per record; [`AppView::to_owned`] makes the owned record when one is kept.
///
/// ```
/// use twilio_connect_apps::{AppView, AuthorizedConnectApp};
/// let app: AuthorizedConnectApp = serde_json::from_str(
///     r#"{"connect_app_sid": "CN1", "connect_app_friendly_name": "Caf\u00e9", "permissions": ["post-all"]}"#,
/// )?;
/// let view = AppView::of(&app);
/// assert!(view.can_write());
/// let mut json = Vec::new();
/// view.write_json(&mut json)?;
/// assert_eq!(json, serde_json::to_vec(&app)?); // byte for byte what serde_json writes
/// assert_eq!(view.to_owned(), app);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct AppView<'a> {
    /// `account_sid`.
    pub account_sid: Option<JsonStr<'a>>,
    /// `connect_app_company_name`.
    pub connect_app_company_name: Option<JsonStr<'a>>,
    /// `connect_app_description`.
    pub connect_app_description: Option<JsonStr<'a>>,
    /// `connect_app_friendly_name`.
    pub connect_app_friendly_name: Option<JsonStr<'a>>,
    /// `connect_app_homepage_url`.
    pub connect_app_homepage_url: Option<JsonStr<'a>>,
    /// `connect_app_sid`.
    pub connect_app_sid: Option<JsonStr<'a>>,
    /// `permissions`.
    pub permissions: Option<PermissionsView<'a>>,
    /// `uri`.
    pub uri: Option<JsonStr<'a>>,
}

impl fmt::Debug for AppView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppView")
            .field("connect_app_sid", &self.connect_app_sid)
            .field("connect_app_friendly_name", &self.connect_app_friendly_name)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

impl<'a> AppView<'a> {
    /// A view of an owned app.
    pub fn of(app: &'a AuthorizedConnectApp) -> Self {
        let [
            account_sid,
            connect_app_company_name,
            connect_app_description,
            connect_app_friendly_name,
            connect_app_homepage_url,
            connect_app_sid,
            uri,
        ] = app.texts().map(|t| t.map(JsonStr::text));
        AppView {
            account_sid,
            connect_app_company_name,
            connect_app_description,
            connect_app_friendly_name,
            connect_app_homepage_url,
            connect_app_sid,
            permissions: app
                .permissions()
                .map(|p| PermissionsView(PermRepr::Owned(p))),
            uri,
        }
    }

    /// Every string field, in the owned record's buffer order.
    fn texts(&self) -> [Option<JsonStr<'a>>; SLOTS] {
        [
            self.account_sid,
            self.connect_app_company_name,
            self.connect_app_description,
            self.connect_app_friendly_name,
            self.connect_app_homepage_url,
            self.connect_app_sid,
            self.uri,
        ]
    }

    /// Whether the app holds `post-all`.
    pub fn can_write(&self) -> bool {
        self.permissions.as_ref().is_some_and(|p| p.has_post_all())
    }

    /// The owned record.
    pub fn to_owned(&self) -> AuthorizedConnectApp {
        AuthorizedConnectApp::from_parts(
            self.texts(),
            self.permissions.as_ref().map(PermissionsView::to_vec),
        )
    }

    /// Writes the app as one JSON object, byte for byte what `serde_json::to_writer` writes for
    /// the owned [`AuthorizedConnectApp`] (field order, escaping, `null`s).
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let fields: [(&[u8], Option<JsonStr<'_>>); 6] = [
            (b"{\"account_sid\":", self.account_sid),
            (
                b",\"connect_app_company_name\":",
                self.connect_app_company_name,
            ),
            (
                b",\"connect_app_description\":",
                self.connect_app_description,
            ),
            (
                b",\"connect_app_friendly_name\":",
                self.connect_app_friendly_name,
            ),
            (
                b",\"connect_app_homepage_url\":",
                self.connect_app_homepage_url,
            ),
            (b",\"connect_app_sid\":", self.connect_app_sid),
        ];
        for (key, value) in fields {
            out.write_all(key)?;
            write_opt(out, value)?;
        }
        out.write_all(b",\"permissions\":")?;
        match &self.permissions {
            Some(p) => p.write_json(out)?,
            None => out.write_all(b"null")?,
        }
        out.write_all(b",\"uri\":")?;
        write_opt(out, self.uri)?;
        out.write_all(b"}")
    }
}

fn write_opt(out: &mut impl Write, v: Option<JsonStr<'_>>) -> io::Result<()> {
    match v {
        Some(s) => s.write_json(out),
        None => out.write_all(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escaped_as_serde_json_escapes_are_copied_as_they_stand() {
        for (raw, same) in [
            (r#""a\" \\ b\n\t\r\b\f""#, true),
            (r#""\\\\ \\""#, true),
            (r#""\u0000\u001f\u0001""#, true),
            (r#""\/""#, false),
            (r#""\u0041""#, false),
            (r#""\u001F""#, false),
            (r#""\u0008""#, false),
            (r#""\u00e9""#, false),
            (r#""\ud83d\ude00""#, false),
            (r#""plain""#, true),
        ] {
            assert_eq!(escaped_as_serde_json(raw), same, "{raw}");
            if same {
                let decoded = decode(raw, true);
                assert_eq!(serde_json::to_string(decoded.as_ref()).unwrap(), raw);
            }
        }
    }
}
