#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! Property tests for the page parser (the paginator's are in `src/proto/tests`).

use proptest::prelude::*;
use serde_json::{Value, json};
use twilio_connect_apps::model::{Page, PageViewError};
use twilio_connect_apps::wire::{page_from_json, view_page};
use twilio_connect_apps::{AppView, AuthorizedConnectApp, Permission};

/// A field: absent, `null`, or a string (any Unicode, quotes, backslashes, control characters).
fn field() -> impl Strategy<Value = Option<Option<String>>> {
    prop_oneof![
        Just(None),
        Just(Some(None)),
        any::<String>().prop_map(|s| Some(Some(s))),
        "[\"\\\\/\u{0}-\u{1f}é😀]{0,8}".prop_map(|s| Some(Some(s))),
    ]
}

fn permission() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("get-all".to_owned()),
        Just("post-all".to_owned()),
        any::<String>()
    ]
}

#[derive(Debug, Clone)]
struct GenApp {
    fields: Vec<(&'static str, Option<Option<String>>)>,
    permissions: Option<Option<Vec<String>>>,
    extra: Vec<(String, Value)>,
}

const NAMES: [&str; 7] = [
    "account_sid",
    "connect_app_company_name",
    "connect_app_description",
    "connect_app_friendly_name",
    "connect_app_homepage_url",
    "connect_app_sid",
    "uri",
];

fn extra_field() -> impl Strategy<Value = (String, Value)> {
    (
        prop_oneof![
            Just("date_created".to_owned()),
            Just("date_updated".to_owned()),
            "x_[a-z]{1,6}"
        ],
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            Just(json!({"nested": [1, {"a": null}]})),
        ],
    )
}

fn gen_app() -> impl Strategy<Value = GenApp> {
    (
        proptest::collection::vec(field(), 7),
        prop_oneof![
            Just(None),
            Just(Some(None)),
            proptest::collection::vec(permission(), 0..4).prop_map(|v| Some(Some(v))),
        ],
        proptest::collection::vec(extra_field(), 0..3),
    )
        .prop_map(|(values, permissions, extra)| GenApp {
            fields: NAMES.iter().copied().zip(values).collect(),
            permissions,
            extra,
        })
}

impl GenApp {
    fn members(&self) -> Vec<(String, Value)> {
        let mut m: Vec<(String, Value)> = Vec::new();
        for (name, v) in &self.fields {
            if let Some(v) = v {
                m.push((
                    name.to_string(),
                    v.clone().map(Value::from).unwrap_or(Value::Null),
                ));
            }
        }
        if let Some(p) = &self.permissions {
            m.push((
                "permissions".into(),
                p.clone().map(Value::from).unwrap_or(Value::Null),
            ));
        }
        // unknown fields never shadow known ones
        for (k, v) in &self.extra {
            if !m.iter().any(|(n, _)| n == k) {
                m.push((k.clone(), v.clone()));
            }
        }
        m
    }

    fn expected(&self) -> AuthorizedConnectApp {
        let get = |n: &str| {
            self.fields
                .iter()
                .find(|(name, _)| *name == n)
                .and_then(|(_, v)| v.clone().flatten())
        };
        let mut app = AuthorizedConnectApp::default();
        app.set_account_sid(get("account_sid").as_deref());
        app.set_connect_app_company_name(get("connect_app_company_name").as_deref());
        app.set_connect_app_description(get("connect_app_description").as_deref());
        app.set_connect_app_friendly_name(get("connect_app_friendly_name").as_deref());
        app.set_connect_app_homepage_url(get("connect_app_homepage_url").as_deref());
        app.set_connect_app_sid(get("connect_app_sid").as_deref());
        app.set_uri(get("uri").as_deref());
        app.set_permissions(
            self.permissions
                .clone()
                .flatten()
                .map(|v| v.iter().map(|p| p.parse::<Permission>().unwrap()).collect()),
        );
        app
    }
}

/// Writes an object with its members in the given order (serde_json's map would sort them).
fn object(members: &[(String, Value)]) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(k).unwrap(),
                serde_json::to_string(v).unwrap()
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn raw_object(members: &[(String, String)]) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
        .collect();
    format!("{{{}}}", parts.join(","))
}

#[derive(Debug, Clone)]
struct GenPage {
    meta: bool,
    apps: Vec<GenApp>,
    page: Option<u64>,
    page_size: Option<u64>,
    next: Option<Option<String>>,
    prev: Option<Option<String>>,
    uri: Option<String>,
    legacy: bool,
    order: Vec<usize>,
}

fn gen_page() -> impl Strategy<Value = GenPage> {
    (
        any::<bool>(),
        proptest::collection::vec(gen_app(), 0..6),
        proptest::option::of(0u64..1_000_000),
        proptest::option::of(1u64..1001),
        field(),
        field(),
        proptest::option::of(any::<String>()),
        any::<bool>(),
        Just((0..12).collect::<Vec<usize>>()).prop_shuffle(),
    )
        .prop_map(
            |(meta, apps, page, page_size, next, prev, uri, legacy, order)| GenPage {
                meta,
                apps,
                page,
                page_size,
                next,
                prev,
                uri,
                legacy,
                order,
            },
        )
}

impl GenPage {
    fn body(&self) -> String {
        let apps: Vec<String> = self.apps.iter().map(|a| object(&a.members())).collect();
        let apps = format!("[{}]", apps.join(","));
        let s = |v: &Option<String>| {
            v.clone()
                .map(Value::from)
                .unwrap_or(Value::Null)
                .to_string()
        };
        let mut top: Vec<(String, String)> = vec![("authorized_connect_apps".into(), apps)];
        let mut meta: Vec<(String, String)> = Vec::new();
        let (container, names) = if self.meta {
            meta.push(("key".into(), "\"authorized_connect_apps\"".into()));
            (
                &mut meta,
                [
                    "page",
                    "page_size",
                    "next_page_url",
                    "previous_page_url",
                    "url",
                ],
            )
        } else {
            (
                &mut top,
                [
                    "page",
                    "page_size",
                    "next_page_uri",
                    "previous_page_uri",
                    "uri",
                ],
            )
        };
        if let Some(p) = self.page {
            container.push((names[0].into(), p.to_string()));
        }
        if let Some(p) = self.page_size {
            container.push((names[1].into(), p.to_string()));
        }
        if let Some(n) = &self.next {
            container.push((names[2].into(), s(n)));
        }
        if let Some(n) = &self.prev {
            container.push((names[3].into(), s(n)));
        }
        if let Some(u) = &self.uri {
            container.push((names[4].into(), s(&Some(u.clone()))));
        }
        if self.meta {
            meta.push(("unknown_meta".into(), "[1,2]".into()));
            top.push(("meta".into(), raw_object(&meta)));
        }
        if self.legacy {
            top.push(("total".into(), "12345".into()));
            top.push(("num_pages".into(), "\"x\"".into()));
            top.push(("last_page_uri".into(), "\"\\/2010-04-01\\/x\"".into()));
        }
        // shuffle the top-level key order
        let mut shuffled: Vec<(String, String)> = Vec::new();
        for i in &self.order {
            if let Some(m) = top.get(*i) {
                shuffled.push(m.clone());
            }
        }
        shuffled.extend(top.into_iter().skip(self.order.len()));
        raw_object(&shuffled)
    }

    fn check(&self, p: &Page) {
        let expected: Vec<AuthorizedConnectApp> = self.apps.iter().map(GenApp::expected).collect();
        assert_eq!(p.records, expected);
        assert_eq!(p.envelope.page, self.page);
        assert_eq!(p.envelope.page_size, self.page_size);
        let norm =
            |v: &Option<Option<String>>| v.clone().flatten().filter(|s| !s.trim().is_empty());
        assert_eq!(p.envelope.next_page_uri, norm(&self.next));
        assert_eq!(p.envelope.previous_page_uri, norm(&self.prev));
        assert_eq!(p.envelope.uri, self.uri.clone());
        assert_eq!(p.envelope.key.is_some(), self.meta);
    }
}

/// `default` cases, or as many as `PROPTEST_CASES` says (more for a long run, fewer under
/// cargo-mutants or on WebAssembly).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    // 1000 cases by default: the count at which these found the parser bugs they guard.
    #![proptest_config(ProptestConfig::with_cases(cases(1000)))]

    /// (a) Any valid generated envelope parses to exactly what was generated.
    #[test]
    fn generated_envelopes_parse_exactly(page in gen_page()) {
        let body = page.body();
        let parsed = page_from_json(body.as_bytes());
        prop_assert!(parsed.is_ok(), "{body}: {parsed:?}");
        page.check(&parsed.unwrap());
    }

    /// (c) The borrowed view path agrees with the owned one on every generated envelope: the
    /// same records, the same envelope, and byte for byte the JSON serde_json writes.
    #[test]
    fn views_agree_with_owned_records(page in gen_page()) {
        let body = page.body();
        let owned = page_from_json(body.as_bytes()).unwrap();
        let mut seen = Vec::new();
        let info = view_page(body.as_bytes(), 1000, |v| {
            let mut json = Vec::new();
            v.write_json(&mut json).unwrap();
            seen.push((v.to_owned(), json, v.can_write()));
            Ok::<(), ()>(())
        })
        .unwrap();
        prop_assert_eq!(info.records, owned.records.len());
        prop_assert_eq!(&info.envelope.next_page_uri, &owned.envelope.next_page_uri);
        prop_assert_eq!(info.envelope.page, owned.envelope.page);
        for ((view, json, writes), app) in seen.iter().zip(&owned.records) {
            prop_assert_eq!(view, app);
            prop_assert_eq!(json, &serde_json::to_vec(app).unwrap());
            prop_assert_eq!(*writes, app.can_write());
            prop_assert_eq!(AppView::of(app).to_owned(), app.clone());
        }
    }

    /// (c) On mutated bodies the view path fails exactly when the owned path does, at the same
    /// place, and agrees with it when both succeed.
    #[test]
    fn views_fail_where_owned_parsing_fails(
        page in gen_page(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut body = page.body().into_bytes();
        for (at, byte, op) in edits {
            if body.is_empty() { break; }
            let i = at.index(body.len());
            match op {
                0 => body[i] = byte,
                1 => body.truncate(i),
                _ => body.insert(i, byte),
            }
        }
        let owned = page_from_json(&body);
        let mut views = Vec::new();
        let viewed = view_page(&body, 1000, |v| {
            views.push(v.to_owned());
            Ok::<(), ()>(())
        });
        match (&owned, &viewed) {
            (Ok(p), Ok(info)) => {
                prop_assert_eq!(&p.records, &views);
                prop_assert_eq!(&p.envelope.next_page_uri, &info.envelope.next_page_uri);
            }
            (Err(a), Err(PageViewError::Parse(b))) => prop_assert_eq!(&a.path, &b.path),
            _ => prop_assert!(false, "owned {owned:?} vs view {viewed:?}"),
        }
    }

    /// (b) Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = page_from_json(&bytes);
        let r = http::Response::builder().status(500).body(bytes.clone()).unwrap();
        let _ = twilio_connect_apps::wire::parse_page(&r);
        let _ = twilio_connect_apps::wire::parse_app(&http::Response::new(bytes));
    }

    /// (b) Mutations of valid bodies (byte flips, cuts, insertions) never panic.
    #[test]
    fn mutated_bodies_never_panic(
        page in gen_page(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut body = page.body().into_bytes();
        for (at, byte, op) in edits {
            if body.is_empty() { break; }
            let i = at.index(body.len());
            match op {
                0 => body[i] = byte,
                1 => body.truncate(i),
                _ => body.insert(i, byte),
            }
        }
        let _ = page_from_json(&body);
    }
}

/// A JSON string written with escapes, surrogates among them: pairs, lone halves, and a high
/// half followed by something else.
fn escaped_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a".to_owned()),
            Just("é".to_owned()),
            Just("\\u00e9".to_owned()),
            Just("\\ud83d\\ude00".to_owned()),
            Just("\\ud800".to_owned()),
            Just("\\udc00".to_owned()),
            Just("\\udbff\\u0041".to_owned()),
            Just("\\n".to_owned()),
            Just("\\\\".to_owned()),
            Just("\\\"".to_owned()),
            // serde_json's own forms, and forms it never writes.
            Just("\\u0001".to_owned()),
            Just("\\u001f".to_owned()),
            Just("\\u001F".to_owned()),
            Just("\\u0008".to_owned()),
            Just("\\b".to_owned()),
            Just("\\t".to_owned()),
            Just("\\/".to_owned()),
            Just("\\u0041".to_owned()),
            Just("\\u007f".to_owned()),
            Just("\\u0000".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()))
}

proptest! {
    /// Escaped strings, lone surrogates included, read the same on every path: the owned page
    /// (fast path or serde), the views, and a single fetched app; none fails.
    #[test]
    fn escapes_and_lone_surrogates_read_alike_everywhere(
        names in proptest::collection::vec(escaped_string(), 1..4),
    ) {
        let apps: Vec<String> = names
            .iter()
            .map(|n| raw_object(&[
                ("connect_app_friendly_name".to_owned(), n.clone()),
                ("permissions".to_owned(), format!("[{n}]")),
            ]))
            .collect();
        let body = format!(r#"{{"authorized_connect_apps": [{}], "next_page_uri": null}}"#, apps.join(","));
        let owned = page_from_json(body.as_bytes()).unwrap();
        let mut viewed = Vec::new();
        let mut written = Vec::new();
        view_page(body.as_bytes(), 1000, |v| {
            viewed.push(v.to_owned());
            let mut json = Vec::new();
            v.write_json(&mut json).unwrap();
            written.push(json);
            Ok::<(), ()>(())
        })
        .unwrap();
        prop_assert_eq!(&owned.records, &viewed);
        // Written as serde_json writes the owned record, whatever escapes the body used.
        for (app, json) in owned.records.iter().zip(&written) {
            prop_assert_eq!(json, &serde_json::to_vec(app).unwrap());
        }
        for (app, raw) in owned.records.iter().zip(&apps) {
            let fetched = twilio_connect_apps::wire::parse_app(&http::Response::new(raw.clone().into_bytes())).unwrap();
            prop_assert_eq!(app, &fetched);
        }
        // Serde's own (strict) reading agrees wherever it accepts the body.
        if let Ok(strict) = serde_json::from_str::<Value>(&body) {
            for (app, value) in owned.records.iter().zip(strict["authorized_connect_apps"].as_array().unwrap()) {
                prop_assert_eq!(app.connect_app_friendly_name(), value["connect_app_friendly_name"].as_str());
            }
        }
    }
}

#[test]
fn a_lone_surrogate_is_a_replacement_character_on_every_path() {
    let body = r#"{"authorized_connect_apps": [{"connect_app_friendly_name": "a\ud800b"}], "next_page_uri": null}"#;
    let page = page_from_json(body.as_bytes()).unwrap();
    assert_eq!(
        page.records[0].connect_app_friendly_name(),
        Some("a\u{FFFD}b")
    );
    let app = twilio_connect_apps::wire::parse_app(&http::Response::new(
        br#"{"connect_app_friendly_name": "a\ud800b"}"#.to_vec(),
    ))
    .unwrap();
    assert_eq!(app.connect_app_friendly_name(), Some("a\u{FFFD}b"));
    let mut out = Vec::new();
    view_page(body.as_bytes(), 10, |v| v.write_json(&mut out)).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("\"connect_app_friendly_name\":\"a\u{FFFD}b\"")
    );
}
