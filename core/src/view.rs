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

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_path::{Segment, Trail};
use crate::model::{AuthorizedConnectApp, Field, Permission};

/// One JSON string of a page body, still encoded; or a plain string (a view of an owned app).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a>(Repr<'a>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Repr<'a> {
    /// `"..."` as it stands in the body, quotes included, and whether it holds a backslash.
    Json(&'a str, bool),
    /// Decoded text.
    Text(&'a str),
}

impl<'a> JsonStr<'a> {
    /// A JSON string as it stands in a body, quotes included (checked by the caller), and
    /// whether it holds an escape.
    pub(crate) fn json(raw: &'a str, escaped: bool) -> Self {
        JsonStr(Repr::Json(raw, escaped))
    }

    /// A view of decoded text.
    pub fn text(text: &'a str) -> Self {
        JsonStr(Repr::Text(text))
    }

    /// The decoded string: borrowed from the body unless it holds escapes.
    pub fn to_str(&self) -> Cow<'a, str> {
        match self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::Json(raw, escaped) => {
                let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                if escaped {
                    Cow::Owned(
                        unescape(inner).unwrap_or_else(|| {
                            serde_json::from_str::<String>(raw).unwrap_or_default()
                        }),
                    )
                } else {
                    Cow::Borrowed(inner)
                }
            }
        }
    }

    /// Writes the string as JSON, exactly as `serde_json` writes it.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        match self.0 {
            Repr::Json(raw, false) => out.write_all(raw.as_bytes()),
            _ => serde_json::to_writer(out, self.to_str().as_ref()).map_err(io::Error::from),
        }
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.to_str().as_ref(), f)
    }
}

fn memchr_backslash(s: &str) -> bool {
    s.as_bytes().contains(&b'\\')
}

/// Decodes the escapes of a JSON string's inside, when they are the common ones (no surrogate
/// pair); `None`: let serde_json decode it.
fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at)?);
        let after = rest.get(at + 1..)?;
        let (c, len) = match after.as_bytes().first()? {
            b'"' => ('"', 1),
            b'\\' => ('\\', 1),
            b'/' => ('/', 1),
            b'b' => ('\u{8}', 1),
            b'f' => ('\u{c}', 1),
            b'n' => ('\n', 1),
            b'r' => ('\r', 1),
            b't' => ('\t', 1),
            b'u' => {
                let code = u32::from_str_radix(after.get(1..5)?, 16).ok()?;
                (char::from_u32(code)?, 5)
            }
            _ => return None,
        };
        out.push(c);
        rest = after.get(len..)?;
    }
    out.push_str(rest);
    Some(out)
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

impl<'a> PermissionsView<'a> {
    /// An empty list, to [`push`](Self::push) to (the fast path's).
    pub(crate) fn empty() -> Self {
        PermissionsView(PermRepr::Json {
            inline: [None; INLINE],
            more: Vec::new(),
        })
    }

    /// Adds a permission (inline while there is room).
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
        self.iter().any(|p| p.to_str() == "post-all")
    }

    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"[")?;
        for (i, p) in self.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            p.write_json(out)?;
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
/// use twilio_connect_apps::PageView;
/// let body = br#"{"authorized_connect_apps": [{"connect_app_sid": "CN1", "connect_app_friendly_name": "Caf\u00e9",
///     "permissions": ["get-all", "post-all"], "uri": null}], "next_page_uri": null}"#;
/// let mut names = Vec::new();
/// let page = PageView::parse(body, 1000, |app| {
///     names.push(app.connect_app_friendly_name.map(|n| n.to_str().into_owned()));
///     assert!(app.can_write());
///     Ok::<(), std::convert::Infallible>(())
/// })?;
/// assert_eq!(names, [Some("Café".to_owned())]);
/// assert_eq!((page.records, page.next_page_uri), (1, None));
/// # Ok::<(), twilio_connect_apps::PageViewError<std::convert::Infallible>>(())
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
        let s = |v: &'a Option<String>| v.as_deref().map(JsonStr::text);
        AppView {
            account_sid: s(&app.account_sid),
            connect_app_company_name: s(&app.connect_app_company_name),
            connect_app_description: s(&app.connect_app_description),
            connect_app_friendly_name: s(&app.connect_app_friendly_name),
            connect_app_homepage_url: s(&app.connect_app_homepage_url),
            connect_app_sid: s(&app.connect_app_sid),
            permissions: app
                .permissions
                .as_deref()
                .map(|p| PermissionsView(PermRepr::Owned(p))),
            uri: s(&app.uri),
        }
    }

    /// Whether the app holds `post-all`.
    pub fn can_write(&self) -> bool {
        self.permissions.as_ref().is_some_and(|p| p.has_post_all())
    }

    /// The owned record.
    pub fn to_owned(&self) -> AuthorizedConnectApp {
        let s = |v: &Option<JsonStr<'_>>| v.map(|j| j.to_str().into_owned());
        AuthorizedConnectApp {
            account_sid: s(&self.account_sid),
            connect_app_company_name: s(&self.connect_app_company_name),
            connect_app_description: s(&self.connect_app_description),
            connect_app_friendly_name: s(&self.connect_app_friendly_name),
            connect_app_homepage_url: s(&self.connect_app_homepage_url),
            connect_app_sid: s(&self.connect_app_sid),
            permissions: self.permissions.as_ref().map(PermissionsView::to_vec),
            uri: s(&self.uri),
        }
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

/// Reads one app as a view, with the owned parser's rules: every field a string or `null`,
/// `permissions` an array of strings or `null`; anything else an error naming the field.
pub(crate) struct ViewSeed<'t>(pub(crate) &'t Trail);

impl<'de> DeserializeSeed<'de> for ViewSeed<'_> {
    type Value = AppView<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AppView<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

fn string_or_null<'de, E: de::Error>(raw: &'de RawValue) -> Result<Option<JsonStr<'de>>, E> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => Ok(Some(JsonStr(Repr::Json(text, memchr_backslash(text))))),
        Some(b'n') => Ok(None),
        _ => Err(de::Error::invalid_type(
            de::Unexpected::Other(text.get(..text.len().min(20)).unwrap_or("")),
            &"a string or null",
        )),
    }
}

/// Reads a permissions array (or `null`) element by element, as the owned parser does, so an
/// error names the same element.
struct PermsSeed<'t>(&'t Trail);

impl<'de> DeserializeSeed<'de> for PermsSeed<'_> {
    type Value = Option<PermissionsView<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for PermsSeed<'_> {
    type Value = Option<PermissionsView<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of permission strings")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut inline = [None; INLINE];
        let mut more = Vec::new();
        let mut index = 0;
        while let Some(raw) = seq
            .next_element::<&'de RawValue>()
            .map_err(self.0.at(Segment::Index(index)))?
        {
            let text = raw.get();
            if !text.starts_with('"') {
                self.0.push(Segment::Index(index));
                return Err(de::Error::invalid_type(
                    de::Unexpected::Other(text.get(..text.len().min(20)).unwrap_or("")),
                    &"a permission string",
                ));
            }
            let s = JsonStr(Repr::Json(text, memchr_backslash(text)));
            match inline.get_mut(index) {
                Some(slot) => *slot = Some(s),
                None => more.push(s),
            }
            index += 1;
        }
        Ok(Some(PermissionsView(PermRepr::Json { inline, more })))
    }
}

impl<'de> Visitor<'de> for ViewSeed<'_> {
    type Value = AppView<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an authorized connect app object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AppView<'de>, A::Error> {
        let trail = self.0;
        let mut app = AppView::default();
        while let Some(field) = map.next_key::<Field>()? {
            let at = || trail.at(Segment::Key(field.name()));
            let slot = match field {
                Field::AccountSid => &mut app.account_sid,
                Field::CompanyName => &mut app.connect_app_company_name,
                Field::Description => &mut app.connect_app_description,
                Field::FriendlyName => &mut app.connect_app_friendly_name,
                Field::HomepageUrl => &mut app.connect_app_homepage_url,
                Field::ConnectAppSid => &mut app.connect_app_sid,
                Field::Uri => &mut app.uri,
                Field::Permissions => {
                    app.permissions = map.next_value_seed(PermsSeed(trail)).map_err(at())?;
                    continue;
                }
                Field::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let raw: &'de RawValue = map.next_value().map_err(at())?;
            *slot = string_or_null(raw).map_err(at())?;
        }
        Ok(app)
    }
}

/// A page read as views: its envelope (the same fields as [`Page`](crate::Page)) and how many
/// records it held; each record went to the callback as it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageView {
    /// How many records the page held (all handed to the callback, unless it stopped).
    pub records: usize,
    /// The page index.
    pub page: Option<u64>,
    /// The page size the server used.
    pub page_size: Option<u64>,
    /// The index of the first record on this page (v2010 only).
    pub start: Option<u64>,
    /// The index of the last record on this page (v2010 only).
    pub end: Option<u64>,
    /// This page's URI.
    pub uri: Option<String>,
    /// The first page's URI.
    pub first_page_uri: Option<String>,
    /// The next page's URI, `None` on the last page.
    pub next_page_uri: Option<String>,
    /// The previous page's URI.
    pub previous_page_uri: Option<String>,
    /// The `meta.key` naming the records array (meta envelope only).
    pub key: Option<String>,
}

/// Why [`PageView::parse`] stopped.
#[derive(Debug)]
pub enum PageViewError<E> {
    /// The body is not a page; where and why.
    Parse(crate::PageParseError),
    /// The callback returned this error; the records after it were not read.
    Stopped(E),
}

impl<E: fmt::Display> fmt::Display for PageViewError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageViewError::Parse(e) => e.fmt(f),
            PageViewError::Stopped(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for PageViewError<E> {}

impl PageView {
    /// Reads a page of apps, handing each record to `f` as a borrowed [`AppView`] as soon as it
    /// is read: the body's UTF-8 is checked once, and nothing is allocated per record. The same
    /// rules as [`Page::from_json_with_limit`](crate::Page::from_json_with_limit): both
    /// envelopes, at most `max_records` records, errors that name the JSON path.
    pub fn parse<E>(
        body: &[u8],
        max_records: usize,
        mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<PageView, PageViewError<E>> {
        let body = crate::page::utf8(body).map_err(PageViewError::Parse)?;
        // The fast path first; if it gives up, the serde path reads the body and skips the
        // records the fast path already handed out.
        let mut handed = 0usize;
        let mut stopped = None;
        let fast = crate::scan::apps_page(body, max_records, |view| {
            handed += 1;
            f(view).map_err(|e| {
                stopped = Some(e);
                crate::scan::Bail
            })
        });
        if let Some(e) = stopped {
            return Err(PageViewError::Stopped(e));
        }
        if let Ok(env) = fast {
            let records = env.records;
            return Ok(PageView::of(env.into_page::<()>(Vec::new()), records));
        }
        let mut sink = ViewSink {
            f: &mut f,
            max: max_records,
            count: 0,
            skip: handed,
            stopped: None,
        };
        let parsed = crate::page::read_page(body, &mut sink);
        if let Some(e) = sink.stopped {
            return Err(PageViewError::Stopped(e));
        }
        let page = parsed.map_err(PageViewError::Parse)?;
        Ok(PageView::of(page, sink.count))
    }

    /// The envelope of `page`, which held `records` records.
    fn of<R>(page: crate::Page<R>, records: usize) -> PageView {
        PageView {
            records,
            page: page.page,
            page_size: page.page_size,
            start: page.start,
            end: page.end,
            uri: page.uri,
            first_page_uri: page.first_page_uri,
            next_page_uri: page.next_page_uri,
            previous_page_uri: page.previous_page_uri,
            key: page.key,
        }
    }
}

/// Hands each record to the callback; keeps its error.
struct ViewSink<'f, F, E> {
    f: &'f mut F,
    max: usize,
    count: usize,
    /// Records already handed out (by the fast path): not handed again.
    skip: usize,
    stopped: Option<E>,
}

impl<'de, F, E> crate::page::Sink<'de> for ViewSink<'_, F, E>
where
    F: FnMut(AppView<'de>) -> Result<(), E>,
{
    fn key(&self) -> &'static str {
        crate::page::RECORDS_KEY
    }

    fn read<D: Deserializer<'de>>(&mut self, trail: &Trail, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(ViewsVisitor { sink: self, trail })
    }
}

struct ViewsVisitor<'s, 't, 'f, F, E> {
    sink: &'s mut ViewSink<'f, F, E>,
    trail: &'t Trail,
}

impl<'de, F, E> Visitor<'de> for ViewsVisitor<'_, '_, '_, F, E>
where
    F: FnMut(AppView<'de>) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of authorized connect apps")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let index = self.sink.count;
            let at = self.trail.at(Segment::Index(index));
            if index == self.sink.max {
                return match seq.next_element::<IgnoredAny>().map_err(at)? {
                    None => Ok(()),
                    Some(_) => {
                        self.trail.push(Segment::Index(index));
                        Err(de::Error::custom(format_args!(
                            "more records than the {} the page was asked for",
                            self.sink.max
                        )))
                    }
                };
            }
            match seq.next_element_seed(ViewSeed(self.trail)).map_err(at)? {
                None => return Ok(()),
                Some(view) => {
                    self.sink.count += 1;
                    if self.sink.count <= self.sink.skip {
                        continue;
                    }
                    if let Err(e) = (self.sink.f)(view) {
                        self.sink.stopped = Some(e);
                        return Err(de::Error::custom("stopped by the caller"));
                    }
                }
            }
        }
    }
}
