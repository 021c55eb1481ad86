//! One page of a listing, read from either envelope style Twilio uses.

use std::fmt;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_path::{Segment, Trail};
use crate::model::{AuthorizedConnectApp, OptionSeed, RecordsSeed};
use crate::request::MAX_PAGE_SIZE;
use crate::resource::Resource;
use crate::text::{EXCERPT_LIMIT, excerpt};

/// The key that holds the records in the Authorized Connect Apps envelope.
pub const RECORDS_KEY: &str = "authorized_connect_apps";

/// One page of Authorized Connect Apps and where it sits in the listing.
///
/// Both envelopes are read into this one shape: the flat v2010 envelope (`next_page_uri`
/// relative to the origin) and the newer `meta` envelope (`meta.next_page_url` absolute). Legacy
/// fields (`total`, `num_pages`, `last_page_uri`) and unknown fields are ignored. An empty
/// `next_page_uri` reads as `None`, like `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Page<R = AuthorizedConnectApp> {
    /// The records on this page (apps, or accounts), in the server's order.
    pub records: Vec<R>,
    /// The page index (`page`, or `meta.page`).
    pub page: Option<u64>,
    /// The page size the server used (`page_size`, or `meta.page_size`).
    pub page_size: Option<u64>,
    /// The index of the first record on this page (v2010 only).
    pub start: Option<u64>,
    /// The index of the last record on this page (v2010 only).
    pub end: Option<u64>,
    /// This page's URI (`uri`, or `meta.url`).
    pub uri: Option<String>,
    /// The first page's URI (`first_page_uri`, or `meta.first_page_url`).
    pub first_page_uri: Option<String>,
    /// The next page's URI, `None` on the last page (`next_page_uri`, or `meta.next_page_url`).
    pub next_page_uri: Option<String>,
    /// The previous page's URI, `None` on the first page.
    pub previous_page_uri: Option<String>,
    /// The `meta.key` naming the records array (meta envelope only).
    pub key: Option<String>,
}

impl Page {
    /// Parses a page of apps. Errors name the JSON path where the body went wrong.
    ///
    /// ```
    /// use twilio_connect_apps::Page;
    /// let page = Page::from_json(br#"{"authorized_connect_apps": [], "next_page_uri": "",
    ///     "page": 0, "page_size": 50, "total": 0}"#).unwrap();
    /// assert!(page.records.is_empty());
    /// assert_eq!(page.next_page_uri, None);
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Page, PageParseError> {
        Self::from_json_with_limit(body, MAX_PAGE_SIZE as usize)
    }

    /// Like [`Page::from_json`], with at most `max_records` records: one more is an error,
    /// found while parsing, before that record is allocated. Give it the page size the
    /// request asked for, so a hostile page cannot make the parser allocate without bound.
    ///
    /// ```
    /// use twilio_connect_apps::Page;
    /// let body = br#"{"authorized_connect_apps": [{}, {}, {}]}"#;
    /// let e = Page::from_json_with_limit(body, 2).unwrap_err();
    /// assert_eq!(e.path, "$.authorized_connect_apps[2]");
    /// ```
    pub fn from_json_with_limit(body: &[u8], max_records: usize) -> Result<Page, PageParseError> {
        Page::parse(body, max_records)
    }
}

impl<R: Resource> Page<R> {
    /// Parses a page of `R` with at most `max_records` records (see
    /// [`Page::from_json_with_limit`]).
    ///
    /// ```
    /// use twilio_connect_apps::{Account, Page};
    /// let page = Page::<Account>::parse(br#"{"accounts": [{"sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ///     "auth_token": "never kept"}], "next_page_uri": null}"#, 1000).unwrap();
    /// assert_eq!(page.records[0].sid.as_deref(), Some("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    /// ```
    pub fn parse(body: &[u8], max_records: usize) -> Result<Page<R>, PageParseError> {
        // UTF-8 is checked once for the whole body (fast), not string by string (slow).
        let body = utf8(body)?;
        // Records are rarely under 64 bytes: room for all of them at once, never more than the
        // page may hold.
        let expected = max_records.min(body.len() / 64 + 1);
        if let Some((records, env)) = R::fast_page(body, max_records, expected) {
            return Ok(env.into_page(records));
        }
        let mut sink = Collect::<R> {
            out: Vec::new(),
            max: max_records,
            expected,
        };
        let info = read_page(body, &mut sink)?;
        Ok(info.with_records(sink.out))
    }
}

impl<R> Page<R> {
    fn with_records<T>(self, records: Vec<T>) -> Page<T> {
        Page {
            records,
            page: self.page,
            page_size: self.page_size,
            start: self.start,
            end: self.end,
            uri: self.uri,
            first_page_uri: self.first_page_uri,
            next_page_uri: self.next_page_uri,
            previous_page_uri: self.previous_page_uri,
            key: self.key,
        }
    }
}

/// Parses a page's envelope (either style), handing its records array to `sink`.
pub(crate) fn read_page<'de, S: Sink<'de>>(
    body: &'de str,
    sink: &mut S,
) -> Result<Page<()>, PageParseError> {
    let trail = Trail::default();
    let mut de = serde_json::Deserializer::from_str(body);
    let parsed = PageSeed {
        trail: &trail,
        sink: &mut *sink,
    }
    .deserialize(&mut de)
    .and_then(|p| de.end().map(|_| p));
    match parsed {
        Ok(raw) => raw.finish(sink),
        Err(e) => Err(PageParseError::new(trail.render(), &e)),
    }
}

/// What a page parse does with the records array: collect owned records, or hand views on.
pub(crate) trait Sink<'de> {
    /// The records array's key in a v2010 envelope.
    fn key(&self) -> &'static str;
    /// Reads the records array.
    fn read<D: Deserializer<'de>>(&mut self, trail: &Trail, d: D) -> Result<(), D::Error>;
}

/// Collects owned records.
struct Collect<R> {
    out: Vec<R>,
    max: usize,
    expected: usize,
}

impl<'de, R: Resource> Sink<'de> for Collect<R> {
    fn key(&self) -> &'static str {
        R::RECORDS_KEY
    }

    fn read<D: Deserializer<'de>>(&mut self, trail: &Trail, d: D) -> Result<(), D::Error> {
        self.out = RecordsSeed::<R>::new(trail, self.max)
            .expecting(self.expected)
            .deserialize(d)?;
        Ok(())
    }
}

/// Hands a sink the records array as a value of the page object.
struct SinkSeed<'t, 's, S> {
    trail: &'t Trail,
    sink: &'s mut S,
}

impl<'de, S: Sink<'de>> DeserializeSeed<'de> for SinkSeed<'_, '_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.sink.read(self.trail, d)
    }
}

/// Why a page body could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParseError {
    /// The JSON path of the failure (`$` for the document itself).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for PageParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at `{}`: {}", self.path, self.message)
    }
}

impl std::error::Error for PageParseError {}

/// The body as text, or where it stops being UTF-8.
pub(crate) fn utf8(body: &[u8]) -> Result<&str, PageParseError> {
    if let Ok(text) = simdutf8::basic::from_utf8(body) {
        return Ok(text);
    }
    // Invalid: std says where.
    std::str::from_utf8(body).map_err(|e| PageParseError {
        path: "$".to_owned(),
        message: format!("the body is not UTF-8 (at byte {})", e.valid_up_to()),
    })
}

impl PageParseError {
    /// The message is cut to a short excerpt: serde's messages repeat the offending value.
    fn new(path: String, e: &dyn fmt::Display) -> Self {
        PageParseError {
            path,
            message: excerpt(&e.to_string(), EXCERPT_LIMIT),
        }
    }
}

/// A page as read, before the meta envelope's records (under any key) are resolved.
struct RawPage<'de> {
    page: Page<()>,
    has_records: bool,
    meta: Option<Meta>,
    others: Vec<(String, &'de RawValue)>,
}

impl<'de> RawPage<'de> {
    fn finish<S: Sink<'de>>(mut self, sink: &mut S) -> Result<Page<()>, PageParseError> {
        if let Some(meta) = self.meta {
            let p = &mut self.page;
            p.page = p.page.or(meta.page);
            p.page_size = p.page_size.or(meta.page_size);
            p.uri = p.uri.take().or(meta.url);
            p.first_page_uri = p.first_page_uri.take().or(meta.first_page_url);
            p.next_page_uri = p.next_page_uri.take().or(meta.next_page_url);
            p.previous_page_uri = p.previous_page_uri.take().or(meta.previous_page_url);
            p.key = meta.key;
        }
        if !self.has_records {
            let key = self.page.key.as_deref().unwrap_or(sink.key());
            let Some((_, raw)) = self.others.iter().find(|(k, _)| k == key) else {
                return Err(PageParseError {
                    path: format!("$.{key}"),
                    message: "missing field: a page must hold its records array".to_owned(),
                });
            };
            let trail = Trail::default();
            let mut de = serde_json::Deserializer::from_str(raw.get());
            sink.read(&trail, &mut de).map_err(|e| {
                PageParseError::new(
                    format!("$.{key}{}", trail.render().trim_start_matches('$')),
                    &e,
                )
            })?;
        }
        let p = &mut self.page;
        for uri in [&mut p.next_page_uri, &mut p.previous_page_uri] {
            if uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
                *uri = None;
            }
        }
        Ok(self.page)
    }
}

#[derive(Default)]
struct Meta {
    key: Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
    url: Option<String>,
    first_page_url: Option<String>,
    next_page_url: Option<String>,
    previous_page_url: Option<String>,
}

#[derive(Clone, Copy)]
enum Key {
    Records,
    Page,
    PageSize,
    Start,
    End,
    Uri,
    FirstPageUri,
    NextPageUri,
    PreviousPageUri,
    Meta,
    Legacy,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Records => "records",
            Key::Page => "page",
            Key::PageSize => "page_size",
            Key::Start => "start",
            Key::End => "end",
            Key::Uri => "uri",
            Key::FirstPageUri => "first_page_uri",
            Key::NextPageUri => "next_page_uri",
            Key::PreviousPageUri => "previous_page_uri",
            Key::Meta => "meta",
            Key::Legacy => "?",
        }
    }

    fn of(s: &str) -> Option<Key> {
        Some(match s {
            "page" => Key::Page,
            "page_size" => Key::PageSize,
            "start" => Key::Start,
            "end" => Key::End,
            "uri" => Key::Uri,
            "first_page_uri" => Key::FirstPageUri,
            "next_page_uri" => Key::NextPageUri,
            "previous_page_uri" => Key::PreviousPageUri,
            "meta" => Key::Meta,
            // Legacy fields, often wrong: skipped without keeping them.
            "total" | "num_pages" | "last_page_uri" => Key::Legacy,
            _ => return None,
        })
    }
}

/// A top-level key: known ones by name, others kept (the meta envelope may name any key).
enum TopKey {
    Known(Key),
    Other(String),
}

/// Reads a top-level key; `records` is the resource's records key.
struct TopKeySeed {
    records: &'static str,
}

impl Visitor<'_> for TopKeySeed {
    type Value = TopKey;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TopKey, E> {
        if v == self.records {
            return Ok(TopKey::Known(Key::Records));
        }
        Ok(match Key::of(v) {
            Some(k) => TopKey::Known(k),
            None => TopKey::Other(v.to_owned()),
        })
    }
}

impl<'de> DeserializeSeed<'de> for TopKeySeed {
    type Value = TopKey;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TopKey, D::Error> {
        d.deserialize_identifier(self)
    }
}

struct PageSeed<'t, 's, S> {
    trail: &'t Trail,
    sink: &'s mut S,
}

/// Unknown top-level keys kept (borrowed) in case `meta.key` names one of them; more are
/// skipped, so a body of a million unknown keys costs nothing.
const OTHERS_KEPT: usize = 16;

impl<'de, S: Sink<'de>> DeserializeSeed<'de> for PageSeed<'_, '_, S> {
    type Value = RawPage<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: Sink<'de>> Visitor<'de> for PageSeed<'_, '_, S> {
    type Value = RawPage<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a page object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let trail = self.trail;
        let mut raw = RawPage {
            page: Page {
                records: Vec::new(),
                page: None,
                page_size: None,
                start: None,
                end: None,
                uri: None,
                first_page_uri: None,
                next_page_uri: None,
                previous_page_uri: None,
                key: None,
            },
            has_records: false,
            meta: None,
            others: Vec::new(),
        };
        let records_key = self.sink.key();
        while let Some(key) = map.next_key_seed(TopKeySeed {
            records: records_key,
        })? {
            let key = match key {
                TopKey::Known(k) => k,
                TopKey::Other(name) => {
                    // Only arrays might be the meta envelope's records: keep a few, borrowed.
                    let value = map
                        .next_value::<&'de RawValue>()
                        .inspect_err(|_| trail.push(Segment::OwnedKey(name.clone())))?;
                    if raw.others.len() < OTHERS_KEPT && value.get().starts_with('[') {
                        raw.others.push((name, value));
                    }
                    continue;
                }
            };
            let at = || {
                trail.at(Segment::Key(match key {
                    Key::Records => records_key,
                    other => other.name(),
                }))
            };
            let p = &mut raw.page;
            match key {
                Key::Records => {
                    map.next_value_seed(SinkSeed {
                        trail,
                        sink: &mut *self.sink,
                    })
                    .map_err(at())?;
                    raw.has_records = true;
                }
                Key::Page => p.page = map.next_value().map_err(at())?,
                Key::PageSize => p.page_size = map.next_value().map_err(at())?,
                Key::Start => p.start = map.next_value().map_err(at())?,
                Key::End => p.end = map.next_value().map_err(at())?,
                Key::Uri => p.uri = map.next_value().map_err(at())?,
                Key::FirstPageUri => p.first_page_uri = map.next_value().map_err(at())?,
                Key::NextPageUri => p.next_page_uri = map.next_value().map_err(at())?,
                Key::PreviousPageUri => p.previous_page_uri = map.next_value().map_err(at())?,
                Key::Meta => {
                    raw.meta = map
                        .next_value_seed(OptionSeed(MetaSeed(trail)))
                        .map_err(at())?
                }
                Key::Legacy => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

struct MetaSeed<'t>(&'t Trail);

impl<'de> DeserializeSeed<'de> for MetaSeed<'_> {
    type Value = Meta;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetaSeed<'_> {
    type Value = Meta;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a meta object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
        let mut meta = Meta::default();
        while let Some(key) = map.next_key::<String>()? {
            let trail = self.0;
            macro_rules! read {
                ($name:literal, $slot:expr) => {
                    $slot = map.next_value().map_err(trail.at(Segment::Key($name)))?
                };
            }
            match key.as_str() {
                "key" => read!("key", meta.key),
                "page" => read!("page", meta.page),
                "page_size" => read!("page_size", meta.page_size),
                "url" => read!("url", meta.url),
                "first_page_url" => read!("first_page_url", meta.first_page_url),
                "next_page_url" => read!("next_page_url", meta.next_page_url),
                "previous_page_url" => read!("previous_page_url", meta.previous_page_url),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Permission;

    const SPEC_FULL: &str = r#"{
   "authorized_connect_apps": [
    {
     "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "connect_app_company_name": "aaa",
     "connect_app_description": "alksjdfl;ajseifj;alsijfl;ajself;jasjfjas;lejflj",
     "connect_app_friendly_name": "aaa",
     "connect_app_homepage_url": "http://www.google.com",
     "connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "permissions": ["get-all"],
     "uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps/CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json"
    }
   ],
   "end": 0,
   "first_page_uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?Page=0&PageSize=50",
   "next_page_uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?Page=2&PageSize=50",
   "page": 0,
   "page_size": 50,
   "previous_page_uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?Page=1&PageSize=50",
   "start": 0,
   "uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AuthorizedConnectApps.json?Page=0&PageSize=50"
  }"#;

    #[test]
    fn spec_read_full_example() {
        let p = Page::from_json(SPEC_FULL.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].permissions, Some(vec![Permission::GetAll]));
        assert_eq!(
            (p.page, p.page_size, p.start, p.end),
            (Some(0), Some(50), Some(0), Some(0))
        );
        assert!(p.next_page_uri.unwrap().ends_with("Page=2&PageSize=50"));
        assert!(p.previous_page_uri.unwrap().ends_with("Page=1&PageSize=50"));
    }

    #[test]
    fn legacy_fields_escaped_slashes_and_empty_next() {
        let body = r#"{"total": 9999, "num_pages": "bogus", "last_page_uri": null,
            "authorized_connect_apps": [], "next_page_uri": "", "previous_page_uri": null,
            "uri": "\/2010-04-01\/Accounts\/AC1\/AuthorizedConnectApps.json"}"#;
        let p = Page::from_json(body.as_bytes()).unwrap();
        assert_eq!(p.next_page_uri, None);
        assert_eq!(
            p.uri.as_deref(),
            Some("/2010-04-01/Accounts/AC1/AuthorizedConnectApps.json")
        );
    }

    #[test]
    fn meta_envelope_with_records_before_or_after_meta() {
        let apps = r#""authorized_connect_apps": [{"connect_app_sid": "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]"#;
        let meta = r#""meta": {"key": "authorized_connect_apps", "page": 3, "page_size": 1,
            "next_page_url": "https://api.twilio.com/2010-04-01/Accounts/AC1/AuthorizedConnectApps.json?PageToken=PT1",
            "previous_page_url": null, "url": "https://api.twilio.com/x", "first_page_url": "https://api.twilio.com/f"}"#;
        for body in [format!("{{{apps}, {meta}}}"), format!("{{{meta}, {apps}}}")] {
            let p = Page::from_json(body.as_bytes()).unwrap();
            assert_eq!(p.records.len(), 1);
            assert_eq!(p.page, Some(3));
            assert_eq!(p.key.as_deref(), Some("authorized_connect_apps"));
            assert!(p.next_page_uri.unwrap().ends_with("PageToken=PT1"));
        }
        let other_key = r#"{"apps": [{}, {}], "meta": {"key": "apps", "next_page_url": null}}"#;
        let p = Page::from_json(other_key.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.next_page_uri, None);
    }

    #[test]
    fn errors_name_the_json_path() {
        let cases = [
            (r#"{"page": 0}"#, "$.authorized_connect_apps"),
            (
                r#"{"authorized_connect_apps": [{}, {"uri": 7}]}"#,
                "$.authorized_connect_apps[1].uri",
            ),
            (
                r#"{"authorized_connect_apps": [{"permissions": ["get-all", 3]}]}"#,
                "$.authorized_connect_apps[0].permissions[1]",
            ),
            (
                r#"{"authorized_connect_apps": [], "page": "one"}"#,
                "$.page",
            ),
            (
                r#"{"authorized_connect_apps": {}}"#,
                "$.authorized_connect_apps",
            ),
            (
                r#"{"meta": {"key": "x", "page": -1}, "x": []}"#,
                "$.meta.page",
            ),
            (
                r#"{"meta": {"key": "x"}, "x": [{"uri": false}]}"#,
                "$.x[0].uri",
            ),
            ("<html>502</html>", "$"),
            ("", "$"),
            (r#"{"authorized_connect_apps": []} trailing"#, "$"),
            (
                r#"{"authorized_connect_apps": [{"uri": "abc"#,
                "$.authorized_connect_apps[0].uri",
            ),
        ];
        for (body, path) in cases {
            let e = Page::from_json(body.as_bytes()).unwrap_err();
            assert_eq!(e.path, path, "{body}: {e}");
            assert!(!e.message.is_empty());
        }
    }
}
