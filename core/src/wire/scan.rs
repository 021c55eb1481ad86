//! The fast path for the page shape Twilio sends: a flat v2010 envelope whose records are
//! objects of strings, `null`s and string arrays. It finds each string's end 8 bytes at a time
//! and hands out raw slices, with no per-token machinery. On any other shape, or anything it
//! is not sure of (the `meta` envelope, numbers inside a record, an escaped key, any
//! syntax error), it gives up and the serde path, which reports errors with their JSON path,
//! reads the body instead: the fast path never accepts what the serde path refuses.

use crate::model::page::Envelope;
use crate::model::view::Escapes;
use crate::wire::fields::AppField;
use crate::wire::record::{AppRecord, Perms, Text};

/// Gave up: the serde path reads this body.
pub(crate) struct Bail;

type Scan<T> = Result<T, Bail>;

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    #[inline]
    fn eat(&mut self, b: u8) -> Scan<()> {
        self.ws();
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    #[inline]
    fn literal(&mut self, word: &str) -> Scan<()> {
        if self.text.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A JSON string, quotes included, at the cursor (whitespace skipped).
    fn string(&mut self) -> Scan<JsonText<'a>> {
        self.ws();
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        let mut escapes = Escapes::None;
        loop {
            i = next_special(bytes, i);
            match bytes.get(i).copied() {
                None => return Err(Bail),
                Some(b'"') => break,
                Some(b'\\') => {
                    let (len, as_serde) = escape(bytes.get(i + 1..).unwrap_or_default())?;
                    escapes = match (escapes, as_serde) {
                        (Escapes::Other, _) | (_, false) => Escapes::Other,
                        _ => Escapes::AsSerde,
                    };
                    i += len;
                }
                Some(c) if c < 0x20 => return Err(Bail),
                Some(_) => i += 1,
            }
        }
        self.at = i + 1;
        let raw = self.text.get(start..=i).ok_or(Bail)?;
        Ok(JsonText { raw, escapes })
    }

    /// `null`, or a string.
    #[inline]
    fn string_or_null(&mut self) -> Scan<Option<JsonText<'a>>> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// `null` or a whole number.
    #[inline]
    fn number_or_null(&mut self) -> Scan<Option<u64>> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok(None);
        }
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let digits = self.text.get(start..self.at).ok_or(Bail)?;
        // A sign, fraction or exponent, or a leading zero: the serde path decides.
        if digits.is_empty()
            || (digits.len() > 1 && digits.starts_with('0'))
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return Err(Bail);
        }
        digits.parse().map(Some).map_err(|_| Bail)
    }

    /// Skips a string, number, `null`, `true` or `false`; anything else (an object or an
    /// array) is left to the serde path.
    fn skip_simple(&mut self) -> Scan<()> {
        self.ws();
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'n') => self.literal("null"),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Bail),
        }
    }

    /// Skips a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Scan<()> {
        let digits = |c: &mut Self| {
            let start = c.at;
            while matches!(c.peek(), Some(b'0'..=b'9')) {
                c.at += 1;
            }
            c.at - start
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(Bail),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        Ok(())
    }

    /// Reads `,` (true: more follow) or the closing `close` (false).
    #[inline]
    fn next_or_close(&mut self, close: u8) -> Scan<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// Reads `{` / `[` and tells whether the container is empty (then its close is read too).
    #[inline]
    fn open(&mut self, open: u8, close: u8) -> Scan<bool> {
        self.eat(open)?;
        self.ws();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(true);
        }
        Ok(false)
    }
}

/// Where the first byte at or after `i` that is `"`, `\\` or below 0x20 is (or the length):
/// 16 bytes at a time with SSE2 on x86-64, then 8 at a time in a word, then byte by byte.
#[inline]
fn next_special(bytes: &[u8], mut i: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(chunk) = bytes
        .get(i..i + 16)
        .and_then(|c| <&[u8; 16]>::try_from(c).ok())
    {
        if let Some(at) = sse2::special16(chunk) {
            return i + at;
        }
        i += 16;
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = special(u64::from_le_bytes(word));
        if found != 0 {
            return i + found.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    i
}

/// The one use of `unsafe` in the crate: a 16-byte SSE2 load (SSE2 is part of every x86-64).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The position of the first of the 16 bytes that is `"`, `\\` or below 0x20, if any.
    #[inline]
    pub(super) fn special16(chunk: &[u8; 16]) -> Option<usize> {
        // SAFETY: the intrinsics need SSE2, which this module is compiled only with (every
        // x86-64 target has it); the load reads the 16 bytes of `chunk`, at any alignment.
        let mask = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let top = _mm_set1_epi8(0x1f);
            // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned).
            let below_0x20 = _mm_cmpeq_epi8(_mm_max_epu8(v, top), top);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), below_0x20))
        };
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }
}

/// The high bit of each byte of `w` that is `"`, `\` or below 0x20 (Mycroft's test, as in
/// serde_json); the lowest set bit marks the first such byte (a flag past it may be false).
fn special(w: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let ctrl = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (ctrl | quote | backslash) & HIGH
}

/// The length of the escape starting with `\\` (given the bytes after it): `\\"`, `\\\\`,
/// `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t`, or `\\uXXXX`; and whether serde_json writes
/// this very escape (see [`Escapes::AsSerde`]).
fn escape(after: &[u8]) -> Scan<(usize, bool)> {
    match after.first() {
        Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => Ok((2, true)),
        Some(b'/') => Ok((2, false)),
        Some(b'u') => {
            let hex = after.get(1..5).ok_or(Bail)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(Bail);
            }
            // Surrogates too: pairs and lone ones decode by the one rule (a lone one is
            // U+FFFD), on this path as on the serde path.
            let as_serde = matches!(hex, [b'0', b'0', b'0' | b'1', lo]
                if matches!(lo, b'0'..=b'9' | b'a'..=b'f'))
                && !matches!(hex, [_, _, b'0', b'8' | b'9' | b'a' | b'c' | b'd']);
            Ok((6, as_serde))
        }
        _ => Err(Bail),
    }
}

/// A JSON string as it stands in the body.
#[derive(Clone, Copy)]
pub(crate) struct JsonText<'a> {
    raw: &'a str,
    escapes: Escapes,
}

impl<'a> JsonText<'a> {
    /// The text inside the quotes, when it holds no escape.
    #[inline]
    fn plain(self) -> Option<&'a str> {
        if self.escapes.any() {
            return None;
        }
        self.raw.get(1..self.raw.len().saturating_sub(1))
    }

    /// The decoded string (an envelope URI).
    #[inline]
    fn decoded(self) -> String {
        crate::model::view::decode(self.raw, self.escapes.any()).into_owned()
    }
}

/// Reads a flat v2010 page of apps, handing each record to `each` (owned or borrowed, as
/// `R` is) as it is read; returns the envelope and how many records the page held.
/// `Err(Bail)` after some records were handed out means: the serde path must read the body,
/// and skip the records already handed out.
pub(crate) fn apps_page<'a, R: AppRecord<'a>>(
    body: &'a str,
    max: usize,
    mut each: impl FnMut(R) -> Scan<()>,
) -> Scan<(Envelope, usize)> {
    let mut c = Cursor { text: body, at: 0 };
    let mut env = Envelope::default();
    let mut count = None;
    if !c.open(b'{', b'}')? {
        loop {
            let key = c.string()?;
            c.eat(b':')?;
            let uri =
                |c: &mut Cursor<'a>| Ok::<_, Bail>(c.string_or_null()?.map(JsonText::decoded));
            // An escaped key may spell a known one: the serde path decides.
            match key.plain().ok_or(Bail)? {
                crate::api::RECORDS_KEY if count.is_none() => {
                    count = Some(records(&mut c, max, &mut each)?);
                }
                // Whatever `meta` holds (an object, `"x"`, `5`), the serde path decides: it
                // reads the meta envelope and refuses anything else.
                "meta" => return Err(Bail),
                "page" => env.page = c.number_or_null()?,
                "page_size" => env.page_size = c.number_or_null()?,
                "start" => env.start = c.number_or_null()?,
                "end" => env.end = c.number_or_null()?,
                "uri" => env.uri = uri(&mut c)?,
                "first_page_uri" => env.first_page_uri = uri(&mut c)?,
                "next_page_uri" => env.next_page_uri = uri(&mut c)?,
                "previous_page_uri" => env.previous_page_uri = uri(&mut c)?,
                // The records key twice, `meta`, legacy numbers and anything else that is not a
                // plain string, null or boolean: the serde path.
                _ => c.skip_simple()?,
            }
            if !c.next_or_close(b'}')? {
                break;
            }
        }
    }
    c.ws();
    let Some(count) = count else {
        return Err(Bail);
    };
    if c.at != body.len() {
        return Err(Bail);
    }
    // An empty next or previous URI reads as none, as on the serde path.
    for uri in [&mut env.next_page_uri, &mut env.previous_page_uri] {
        if uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
            *uri = None;
        }
    }
    Ok((env, count))
}

fn records<'a, R: AppRecord<'a>>(
    c: &mut Cursor<'a>,
    max: usize,
    each: &mut impl FnMut(R) -> Scan<()>,
) -> Scan<usize> {
    if c.open(b'[', b']')? {
        return Ok(0);
    }
    let mut n = 0;
    loop {
        if n == max {
            return Err(Bail); // one more than asked for: the serde path says where
        }
        each(record(c)?)?;
        n += 1;
        if !c.next_or_close(b']')? {
            return Ok(n);
        }
    }
}

fn record<'a, R: AppRecord<'a>>(c: &mut Cursor<'a>) -> Scan<R> {
    let mut app = R::default();
    if c.open(b'{', b'}')? {
        return Ok(app);
    }
    // Twilio sends the fields in one order: the key expected next is compared as it stands
    // (quotes included) before any key is scanned.
    let keys = AppField::QUOTED;
    let mut next = 0;
    loop {
        c.ws();
        let rest = c.text.as_bytes().get(c.at..).unwrap_or_default();
        let field = match keys.get(next) {
            Some((quoted, field)) if rest.starts_with(quoted.as_bytes()) => {
                c.at += quoted.len();
                next += 1;
                *field
            }
            _ => {
                let key = c.string()?;
                if key.escapes.any() {
                    // An escaped key may spell a known one: the serde path decides.
                    return Err(Bail);
                }
                let field = AppField::of_quoted(key.raw);
                if let Some(at) = keys.iter().position(|(_, f)| *f == field) {
                    next = at + 1;
                }
                field
            }
        };
        c.eat(b':')?;
        if let Some(slot) = app.text(field) {
            *slot = c
                .string_or_null()?
                .map(|t| R::Text::scanned(t.raw, t.escapes));
        } else if field == AppField::Permissions {
            c.ws();
            *app.perms() = if c.peek() == Some(b'n') {
                c.literal("null")?;
                None
            } else {
                let mut list = R::Perms::default();
                if !c.open(b'[', b']')? {
                    for index in 0.. {
                        if index == crate::api::MAX_PERMISSIONS {
                            return Err(Bail); // the serde path says where
                        }
                        let p = c.string()?;
                        list.push_scanned(p.raw, p.escapes);
                        if !c.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                Some(list)
            };
        } else {
            c.skip_simple()?;
        }
        if !c.next_or_close(b'}')? {
            return Ok(app);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_test_finds_every_special_byte() {
        for i in 0..8 {
            for b in [b'"', b'\\', 0u8, 0x1f] {
                let mut w = [b'a'; 8];
                w[i] = b;
                let found = special(u64::from_le_bytes(w));
                assert_eq!(found.trailing_zeros() as usize / 8, i, "{b} at {i}");
            }
        }
        assert_eq!(special(u64::from_le_bytes(*b"abc \x7f\xff/z")), 0);
    }

    /// The shape Twilio sends (as serde_json writes it, escapes and all) takes the fast path;
    /// if it ever bailed, every page would silently pay for the slow one.
    #[test]
    fn a_twilio_page_takes_the_fast_path() {
        let app = serde_json::json!({
            "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "connect_app_company_name": "Acme \"Q\" \\ Co\u{1}",
            "connect_app_description": null,
            "connect_app_friendly_name": "Grüße 😀",
            "connect_app_homepage_url": "http://example.com/a/b",
            "connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "date_created": "Thu, 01 Jan 1970 00:00:00 +0000",
            "permissions": ["get-all", "post-all"],
            "uri": "/2010-04-01/Accounts/AC/AuthorizedConnectApps/CN.json"
        });
        let body = serde_json::json!({
            "authorized_connect_apps": [app, app, {}],
            "end": 2, "first_page_uri": "/x?Page=0", "next_page_uri": null, "page": 0,
            "page_size": 50, "previous_page_uri": null, "start": 0, "uri": "/x?Page=0"
        });
        for text in [
            body.to_string(),
            serde_json::to_string_pretty(&body).unwrap(),
        ] {
            let mut sids = Vec::new();
            let env = apps_page(&text, 50, |v: crate::AppView<'_>| {
                sids.push(v.connect_app_sid.map(|s| s.to_str().into_owned()));
                Ok(())
            });
            let (env, records) = env.ok().unwrap();
            assert_eq!(records, 3);
            assert_eq!(env.page_size, Some(50));
            assert_eq!(sids.len(), 3);
        }
    }

    #[test]
    fn bails_on_what_it_is_not_sure_of() {
        let ok = r#"{"authorized_connect_apps": [{"connect_app_sid": "CN1", "x": true, "n": -1.5e3, "permissions": ["get-all"]}], "next_page_uri": null, "page": 0, "total": 7}"#;
        let mut n = 0;
        assert!(
            apps_page(ok, 1000, |_: crate::wire::record::PendingApp<'_>| {
                n += 1;
                Ok(())
            })
            .is_ok()
        );
        assert_eq!(n, 1);
        for bad in [
            r#"{"authorized_connect_apps": [], "meta": {"key": "x"}}"#,
            r#"{"authorized_connect_apps": [{"n": {}}]}"#,
            r#"{"authorized_connect_apps": [{"n": 01}]}"#,
            r#"{"authorized_connect_apps": [{"n": 1.}]}"#,
            r#"{"authorized_connect_apps": [{"uri": "a\qb"}]}"#,
            r#"{"authorized_connect_apps": [], "page": -1}"#,
            r#"{"authorized_connect_apps": [], "page": 1.5}"#,
            r#"{"authorized_connect_apps": [{}, {}]}"#,
            r#"{"authorized_connect_apps": []} x"#,
            r#"{"page": 1}"#,
        ] {
            assert!(
                apps_page(bad, 1, |_: crate::AppView<'_>| Ok(())).is_err(),
                "{bad}"
            );
        }
    }

    /// The rule at the top of this file, on the bodies where it once broke: every path gives
    /// one answer, whatever else the page holds.
    #[test]
    fn the_fast_path_never_accepts_what_the_serde_path_refuses() {
        use crate::wire::envelope::{page_from_json, view_page};
        for bad in [
            r#"{"meta":"x","authorized_connect_apps":[]}"#,
            r#"{"meta":5,"authorized_connect_apps":[]}"#,
            r#"{"authorized_connect_apps":[],"meta":true}"#,
            r#"{"authorized_connect_apps":[{}],"authorized_connect_apps":[]}"#,
            r#"{"authorized_connect_apps":[],"authorized_connect_apps":[{}]}"#,
        ] {
            assert!(page_from_json(bad.as_bytes()).is_err(), "owned: {bad}");
            let mut handed = 0;
            let viewed = view_page(bad.as_bytes(), 1000, |_| {
                handed += 1;
                Ok::<(), std::convert::Infallible>(())
            });
            assert!(viewed.is_err(), "views: {bad}");
        }
        for good in [
            r#"{"meta":null,"authorized_connect_apps":[{}]}"#,
            r#"{"authorized_connect_apps":[{}],"next_page_uri":null}"#,
        ] {
            assert_eq!(
                page_from_json(good.as_bytes()).unwrap().records.len(),
                1,
                "{good}"
            );
            let viewed = view_page(good.as_bytes(), 1000, |_| {
                Ok::<(), std::convert::Infallible>(())
            });
            assert_eq!(viewed.ok().map(|p| p.records), Some(1), "{good}");
        }
    }
}
