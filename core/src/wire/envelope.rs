//! Reading a page: either envelope style Twilio uses, on the fast path when the body has the
//! shape Twilio sends (see the scanner) and otherwise with serde, whose errors name the JSON
//! path where the body went wrong.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::api::{MAX_PAGE_SIZE, RECORDS_KEY};
use crate::base::json_path::{Segment, Trail};
use crate::base::text::{EXCERPT_LIMIT, excerpt};
use crate::model::page::{Envelope, Page, PageParseError, PageView, PageViewError};
use crate::model::view::AppView;
use crate::wire::fields::{EnvelopeField, MetaField};
use crate::wire::record::{LossyText, OptionSeed, RecordsSeed, Wire};
use crate::wire::resource::Resource;
use crate::wire::scan;

/// Parses a page of apps from its JSON body, with at most 1000 records (the API's largest
/// page). Errors name the JSON path where the body went wrong.
///
/// ```
/// use twilio_connect_apps::wire::page_from_json;
/// let page = page_from_json(br#"{"authorized_connect_apps": [{"connect_app_sid": "CN1"}],
///     "next_page_uri": null, "page": 0}"#).unwrap();
/// assert_eq!(page.records.len(), 1);
/// assert_eq!(page.envelope.page, Some(0));
/// ```
pub fn page_from_json(body: &[u8]) -> Result<Page, PageParseError> {
    page_from_json_with_limit(body, MAX_PAGE_SIZE as usize)
}

/// Parses a page of `R` (apps, or [`Account`](crate::Account)s) with at most `max_records`
/// records: one more is an error, found while parsing, before that record is allocated. Give
/// it the page size the request asked for, so a hostile page cannot make the parser allocate
/// without bound.
///
/// ```
/// use twilio_connect_apps::{Account, AuthorizedConnectApp};
/// use twilio_connect_apps::model::Page;
/// use twilio_connect_apps::wire::page_from_json_with_limit;
/// let body = br#"{"authorized_connect_apps": [{}, {}, {}]}"#;
/// let e = page_from_json_with_limit::<AuthorizedConnectApp>(body, 2).unwrap_err();
/// assert_eq!(e.path, "$.authorized_connect_apps[2]");
///
/// let page: Page<Account> = page_from_json_with_limit(br#"{"accounts": [{"sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
///     "auth_token": "never kept"}], "next_page_uri": null}"#, 1000).unwrap();
/// assert_eq!(page.records[0].sid.as_deref(), Some("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
/// ```
pub fn page_from_json_with_limit<R: Resource>(
    body: &[u8],
    max_records: usize,
) -> Result<Page<R>, PageParseError> {
    // UTF-8 is checked once for the whole body (fast), not string by string (slow).
    let body = utf8(body)?;
    // Records are rarely under 64 bytes: room for all of them at once, never more than the
    // page may hold.
    let expected = max_records.min(body.len() / 64 + 1);
    if let Some((records, envelope)) = R::fast_page(body, max_records, expected) {
        return Ok(Page::new(records, envelope));
    }
    let mut records = Vec::with_capacity(expected);
    let (envelope, _) = read_page::<R>(body, R::RECORDS_KEY, max_records, |r| {
        records.push(r);
        true
    })?;
    Ok(Page::new(records, envelope))
}

/// Reads a page of apps, handing each record to `f` as a borrowed [`AppView`] as soon as it
/// is read: the body's UTF-8 is checked once, and nothing is allocated per record. The same
/// rules as [`page_from_json_with_limit`]: both envelopes, at most `max_records` records,
/// errors that name the JSON path.
///
/// ```
/// use twilio_connect_apps::wire::view_page;
/// let body = br#"{"authorized_connect_apps": [{"connect_app_sid": "CN1", "connect_app_friendly_name": "Caf\u00e9",
///     "permissions": ["get-all", "post-all"], "uri": null}], "next_page_uri": null}"#;
/// let mut names = Vec::new();
/// let page = view_page(body, 1000, |app| {
///     names.push(app.connect_app_friendly_name.map(|n| n.to_str().into_owned()));
///     assert!(app.can_write());
///     Ok::<(), std::convert::Infallible>(())
/// })?;
/// assert_eq!(names, [Some("Café".to_owned())]);
/// assert_eq!((page.records, page.next_page_uri()), (1, None));
/// # Ok::<(), twilio_connect_apps::model::PageViewError<std::convert::Infallible>>(())
/// ```
pub fn view_page<E>(
    body: &[u8],
    max_records: usize,
    mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
) -> Result<PageView, PageViewError<E>> {
    let body = utf8(body).map_err(PageViewError::Parse)?;
    // The fast path first; if it gives up, the serde path reads the body and skips the
    // records the fast path already handed out.
    let mut handed = 0usize;
    let mut stopped = None;
    let fast = scan::apps_page::<AppView<'_>>(body, max_records, |view| {
        handed += 1;
        f(view).map_err(|e| {
            stopped = Some(e);
            scan::Bail
        })
    });
    if let Some(e) = stopped {
        return Err(PageViewError::Stopped(e));
    }
    if let Ok((envelope, records)) = fast {
        return Ok(PageView { records, envelope });
    }
    let mut seen = 0usize;
    let parsed = read_page::<AppView<'_>>(body, RECORDS_KEY, max_records, |view| {
        seen += 1;
        if seen <= handed {
            return true;
        }
        f(view).map_err(|e| stopped = Some(e)).is_ok()
    });
    if let Some(e) = stopped {
        return Err(PageViewError::Stopped(e));
    }
    let (envelope, records) = parsed.map_err(PageViewError::Parse)?;
    Ok(PageView { records, envelope })
}

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

/// The message is cut to a short excerpt: serde's messages repeat the offending value.
fn parse_error(path: String, e: &dyn fmt::Display) -> PageParseError {
    PageParseError {
        path,
        message: excerpt(&e.to_string(), EXCERPT_LIMIT),
    }
}

/// The serde path: reads a page's envelope (either style), handing each record of its records
/// array (under `key`, or the key `meta.key` names) to `each`; returns the envelope and how
/// many records the array held.
pub(crate) fn read_page<'de, R: Wire<'de>>(
    body: &'de str,
    key: &'static str,
    max: usize,
    mut each: impl FnMut(R) -> bool,
) -> Result<(Envelope, usize), PageParseError> {
    let trail = Trail::default();
    let mut records = Records {
        key,
        max,
        each: &mut each,
        count: 0,
        marker: PhantomData,
    };
    let mut de = serde_json::Deserializer::from_str(body);
    let parsed = PageSeed {
        trail: &trail,
        records: &mut records,
    }
    .deserialize(&mut de)
    .and_then(|p| de.end().map(|_| p));
    match parsed {
        Ok(raw) => raw.finish(&mut records),
        Err(e) => Err(parse_error(trail.render(), &e)),
    }
}

/// Where the records of a page go, and how many there were.
struct Records<'f, R, F> {
    key: &'static str,
    max: usize,
    each: &'f mut F,
    count: usize,
    marker: PhantomData<fn() -> R>,
}

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> Records<'_, R, F> {
    fn read<D: Deserializer<'de>>(&mut self, trail: &Trail, d: D) -> Result<(), D::Error> {
        self.count = RecordsSeed {
            trail,
            max: self.max,
            each: &mut *self.each,
            marker: PhantomData::<fn() -> R>,
        }
        .deserialize(d)?;
        Ok(())
    }
}

/// A page as read, before the meta envelope's records (under any key) are resolved.
struct RawPage<'de> {
    envelope: Envelope,
    has_records: bool,
    meta: Option<Envelope>,
    others: Vec<(String, &'de RawValue)>,
}

impl<'de> RawPage<'de> {
    fn finish<R: Wire<'de>, F: FnMut(R) -> bool>(
        mut self,
        records: &mut Records<'_, R, F>,
    ) -> Result<(Envelope, usize), PageParseError> {
        let e = &mut self.envelope;
        if let Some(meta) = self.meta {
            e.page = e.page.or(meta.page);
            e.page_size = e.page_size.or(meta.page_size);
            e.uri = e.uri.take().or(meta.uri);
            e.first_page_uri = e.first_page_uri.take().or(meta.first_page_uri);
            e.next_page_uri = e.next_page_uri.take().or(meta.next_page_uri);
            e.previous_page_uri = e.previous_page_uri.take().or(meta.previous_page_uri);
            e.key = meta.key;
        }
        if !self.has_records {
            let key = e.key.as_deref().unwrap_or(records.key);
            let Some((_, raw)) = self.others.iter().find(|(k, _)| k == key) else {
                return Err(PageParseError {
                    path: format!("$.{key}"),
                    message: "missing field: a page must hold its records array".to_owned(),
                });
            };
            let trail = Trail::default();
            let mut de = serde_json::Deserializer::from_str(raw.get());
            records.read(&trail, &mut de).map_err(|err| {
                parse_error(
                    format!("$.{key}{}", trail.render().trim_start_matches('$')),
                    &err,
                )
            })?;
        }
        for uri in [&mut e.next_page_uri, &mut e.previous_page_uri] {
            if uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
                *uri = None;
            }
        }
        Ok((self.envelope, records.count))
    }
}

/// A top-level key: the records array, a known envelope field, or another key (kept: the
/// meta envelope may name it).
enum TopKey {
    Records,
    Known(EnvelopeField),
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
            return Ok(TopKey::Records);
        }
        Ok(match EnvelopeField::of(v) {
            EnvelopeField::Other => TopKey::Other(v.to_owned()),
            known => TopKey::Known(known),
        })
    }
}

impl<'de> DeserializeSeed<'de> for TopKeySeed {
    type Value = TopKey;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TopKey, D::Error> {
        d.deserialize_identifier(self)
    }
}

struct PageSeed<'t, 'r, 'f, R, F> {
    trail: &'t Trail,
    records: &'r mut Records<'f, R, F>,
}

/// Unknown top-level keys kept (borrowed) in case `meta.key` names one of them; more are
/// skipped, so a body of a million unknown keys costs nothing.
const OTHERS_KEPT: usize = 16;

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> DeserializeSeed<'de> for PageSeed<'_, '_, '_, R, F> {
    type Value = RawPage<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> Visitor<'de> for PageSeed<'_, '_, '_, R, F> {
    type Value = RawPage<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a page object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let trail = self.trail;
        let mut raw = RawPage {
            envelope: Envelope::default(),
            has_records: false,
            meta: None,
            others: Vec::new(),
        };
        let records_key = self.records.key;
        while let Some(key) = map.next_key_seed(TopKeySeed {
            records: records_key,
        })? {
            let field = match key {
                // Which of two arrays is the page? serde_json would keep the last, a streaming
                // reader the first: neither is safe to guess, so the page is refused.
                TopKey::Records if raw.has_records => {
                    trail.push(Segment::Key(records_key));
                    return Err(de::Error::custom(
                        "the records key appears twice in the page; refusing to guess which is the page",
                    ));
                }
                TopKey::Records => {
                    map.next_value_seed(RecordsArray {
                        trail,
                        records: &mut *self.records,
                    })
                    .map_err(trail.at(Segment::Key(records_key)))?;
                    raw.has_records = true;
                    continue;
                }
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
                TopKey::Known(field) => field,
            };
            let at = || trail.at(Segment::Key(field.name()));
            let e = &mut raw.envelope;
            match field {
                EnvelopeField::Page => e.page = map.next_value().map_err(at())?,
                EnvelopeField::PageSize => e.page_size = map.next_value().map_err(at())?,
                EnvelopeField::Start => e.start = map.next_value().map_err(at())?,
                EnvelopeField::End => e.end = map.next_value().map_err(at())?,
                EnvelopeField::Uri => e.uri = map.next_value::<LossyText>().map_err(at())?.0,
                EnvelopeField::FirstPageUri => {
                    e.first_page_uri = map.next_value::<LossyText>().map_err(at())?.0
                }
                EnvelopeField::NextPageUri => {
                    e.next_page_uri = map.next_value::<LossyText>().map_err(at())?.0
                }
                EnvelopeField::PreviousPageUri => {
                    e.previous_page_uri = map.next_value::<LossyText>().map_err(at())?.0
                }
                EnvelopeField::Meta => {
                    raw.meta = map
                        .next_value_seed(OptionSeed(MetaSeed(trail)))
                        .map_err(at())?
                }
                // Legacy fields, often wrong: skipped without keeping them.
                EnvelopeField::Total
                | EnvelopeField::NumPages
                | EnvelopeField::LastPageUri
                | EnvelopeField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

/// Hands the records array to the records' reader, as a value of the page object.
struct RecordsArray<'t, 'r, 'f, R, F> {
    trail: &'t Trail,
    records: &'r mut Records<'f, R, F>,
}

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> DeserializeSeed<'de>
    for RecordsArray<'_, '_, '_, R, F>
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.records.read(self.trail, d)
    }
}

/// The `meta` object, read into the envelope's shape (`url`s as `uri`s).
struct MetaSeed<'t>(&'t Trail);

impl<'de> DeserializeSeed<'de> for MetaSeed<'_> {
    type Value = Envelope;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetaSeed<'_> {
    type Value = Envelope;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a meta object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut meta = Envelope::default();
        while let Some(field) = map.next_key::<MetaField>()? {
            let at = || self.0.at(Segment::Key(field.name()));
            match field {
                MetaField::Key => meta.key = map.next_value().map_err(at())?,
                MetaField::Page => meta.page = map.next_value().map_err(at())?,
                MetaField::PageSize => meta.page_size = map.next_value().map_err(at())?,
                MetaField::Url => meta.uri = map.next_value().map_err(at())?,
                MetaField::FirstPageUrl => meta.first_page_uri = map.next_value().map_err(at())?,
                MetaField::NextPageUrl => meta.next_page_uri = map.next_value().map_err(at())?,
                MetaField::PreviousPageUrl => {
                    meta.previous_page_uri = map.next_value().map_err(at())?
                }
                MetaField::Other => {
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
    use crate::model::app::Permission;

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
        let p = page_from_json(SPEC_FULL.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(
            p.records[0].permissions().map(<[_]>::to_vec),
            Some(vec![Permission::GetAll])
        );
        assert_eq!(
            (
                p.envelope.page,
                p.envelope.page_size,
                p.envelope.start,
                p.envelope.end
            ),
            (Some(0), Some(50), Some(0), Some(0))
        );
        assert!(
            p.envelope
                .next_page_uri
                .unwrap()
                .ends_with("Page=2&PageSize=50")
        );
        assert!(
            p.envelope
                .previous_page_uri
                .unwrap()
                .ends_with("Page=1&PageSize=50")
        );
    }

    #[test]
    fn legacy_fields_escaped_slashes_and_empty_next() {
        let body = r#"{"total": 9999, "num_pages": "bogus", "last_page_uri": null,
            "authorized_connect_apps": [], "next_page_uri": "", "previous_page_uri": null,
            "uri": "\/2010-04-01\/Accounts\/AC1\/AuthorizedConnectApps.json"}"#;
        let p = page_from_json(body.as_bytes()).unwrap();
        assert_eq!(p.envelope.next_page_uri, None);
        assert_eq!(
            p.envelope.uri.as_deref(),
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
            let p = page_from_json(body.as_bytes()).unwrap();
            assert_eq!(p.records.len(), 1);
            assert_eq!(p.envelope.page, Some(3));
            assert_eq!(p.envelope.key.as_deref(), Some("authorized_connect_apps"));
            assert!(p.envelope.next_page_uri.unwrap().ends_with("PageToken=PT1"));
        }
        let other_key = r#"{"apps": [{}, {}], "meta": {"key": "apps", "next_page_url": null}}"#;
        let p = page_from_json(other_key.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.envelope.next_page_uri, None);
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
            let e = page_from_json(body.as_bytes()).unwrap_err();
            assert_eq!(e.path, path, "{body}: {e}");
            assert!(!e.message.is_empty());
        }
    }
}
