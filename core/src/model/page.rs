//! One page of a listing: its records and its envelope (where it sits in the listing), as
//! plain data. Both envelope styles Twilio uses are read into the one [`Envelope`]; the parsers
//! are in the wire layer.

use std::fmt;

use serde::Serialize;

use crate::base::meta::ResponseMeta;
use crate::model::app::AuthorizedConnectApp;

/// Where a page sits in its listing: the envelope fields, from either style Twilio uses.
///
/// The flat v2010 envelope (`next_page_uri` relative to the origin) and the newer `meta`
/// envelope (`meta.next_page_url` absolute) are both read into this one shape. Legacy fields
/// (`total`, `num_pages`, `last_page_uri`) and unknown fields are ignored. An empty
/// `next_page_uri` reads as `None`, like `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Envelope {
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

/// One page of a listing: its records (apps by default, or accounts) in the server's order,
/// and its [`Envelope`].
///
/// ```
/// let page = twilio_connect_apps::wire::page_from_json(br#"{"authorized_connect_apps": [], "next_page_uri": "",
///     "page": 0, "page_size": 50, "total": 0}"#).unwrap();
/// assert!(page.records.is_empty());
/// assert_eq!(page.envelope.page_size, Some(50));
/// assert_eq!(page.next_page_uri(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Page<R = AuthorizedConnectApp> {
    /// The records on this page, in the server's order.
    pub records: Vec<R>,
    /// Where the page sits in the listing.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// What the response said about itself (request id, concurrency, headers), when the page
    /// came from a response (not when it was parsed from bytes alone).
    #[serde(skip)]
    pub meta: Option<ResponseMeta>,
}

impl<R> Page<R> {
    /// A page of `records` framed by `envelope`.
    pub fn new(records: Vec<R>, envelope: Envelope) -> Self {
        Page {
            records,
            envelope,
            meta: None,
        }
    }

    /// The next page's URI; `None` on the last page.
    pub fn next_page_uri(&self) -> Option<&str> {
        self.envelope.next_page_uri.as_deref()
    }

    /// The previous page's URI; `None` on the first page.
    pub fn previous_page_uri(&self) -> Option<&str> {
        self.envelope.previous_page_uri.as_deref()
    }
}

/// A page read as borrowed views ([`wire::view_page`](crate::wire::view_page)): how many records it held (each went
/// to the callback as it was read) and its [`Envelope`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageView {
    /// How many records the page held (all handed to the callback, unless it stopped).
    pub records: usize,
    /// Where the page sits in the listing.
    pub envelope: Envelope,
}

impl PageView {
    /// The next page's URI; `None` on the last page.
    pub fn next_page_uri(&self) -> Option<&str> {
        self.envelope.next_page_uri.as_deref()
    }
}

/// Why a page body could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// Why [`wire::view_page`](crate::wire::view_page) stopped.
#[derive(Debug)]
pub enum PageViewError<E> {
    /// The body is not a page; where and why.
    Parse(PageParseError),
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
