//! The checks the fuzz targets run, one function per target, so that the corpora replay as a
//! plain test on stable (`cargo test --manifest-path fuzz/Cargo.toml`) and the libFuzzer entry
//! points (`fuzz_targets/`, with `--features fuzz`) stay one line each.
//!
//! Each function panics when the core breaks one of its promises on `data`: a panic of its
//! own, two readings of one page that disagree, a page accepted that is not JSON, a cursor that
//! resumes off the configured origin, an error line of unbounded length.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a failed check is the finding

use std::convert::Infallible;
use std::time::UNIX_EPOCH;

use twilio_connect_apps::limits::MAX_PAGE_SIZE;
use twilio_connect_apps::model::Cursor;
use twilio_connect_apps::wire::{error_from_response, page_from_json, parse_app, view_page};
use twilio_connect_apps::{Action, Config, Credentials, Machine, Secret, Session};

/// A page body: the owned reading and the borrowed views agree (both refuse, or both hand out
/// the same records), and a page either accepts is valid JSON to `serde_json`.
pub fn page(data: &[u8]) {
    let owned = page_from_json(data);
    let mut viewed_sids = Vec::new();
    let viewed = view_page(data, MAX_PAGE_SIZE as usize, |view| {
        viewed_sids.push(view.connect_app_sid.map(|s| s.to_str().into_owned()));
        Ok::<(), Infallible>(())
    });
    match (&owned, &viewed) {
        (Ok(page), Ok(view)) => {
            let sids: Vec<Option<String>> = page
                .records
                .iter()
                .map(|a| a.connect_app_sid().map(str::to_owned))
                .collect();
            assert_eq!(
                sids, viewed_sids,
                "owned and views hand out different records"
            );
            assert_eq!(
                page.records.len(),
                view.records,
                "the views' count is not what they handed out"
            );
            assert_eq!(page.next_page_uri(), view.next_page_uri());
        }
        (Err(_), Err(_)) => {}
        (o, v) => panic!(
            "owned: {:?}, views: {:?}",
            o.as_ref().err(),
            v.as_ref().err()
        ),
    }
    if owned.is_ok() {
        let Some(keys) = top_level(data) else {
            panic!("a page serde_json refuses was accepted");
        };
        let records = keys
            .iter()
            .filter(|(k, _)| k == "authorized_connect_apps")
            .count();
        assert!(
            records <= 1,
            "a page with its records key {records} times was accepted"
        );
        let meta = keys
            .iter()
            .find(|(k, _)| k == "meta")
            .map(|(_, v)| v.as_str());
        assert!(
            meta.is_none_or(|v| v == "null" || v.starts_with('{')),
            "a page whose meta is {meta:?} was accepted"
        );
    }
}

/// The top-level keys of a JSON object in order, repeats kept, each with its value's first
/// bytes (`serde_json::Value` would keep only the last of a repeated key).
fn top_level(data: &[u8]) -> Option<Vec<(String, String)>> {
    use serde::de::{Deserializer as _, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: Box<serde_json::value::RawValue> = map.next_value()?;
                keys.push((key, value.get().chars().take(8).collect()));
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    let keys = (&mut de).deserialize_map(Keys).ok()?;
    de.end().ok()?;
    Some(keys)
}

/// One app's body (a fetch): read or refused, never a panic; accepted only when it is JSON.
pub fn app(data: &[u8]) {
    let response = http::Response::new(data.to_vec());
    if parse_app(&response).is_ok() {
        assert!(serde_json::from_slice::<serde_json::Value>(data).is_ok());
    }
}

/// A resume cursor (as a program would store it, JSON): resumed or refused; a listing it
/// starts asks only the configured origin.
pub fn cursor(data: &[u8]) {
    let Ok(cursor) = serde_json::from_slice::<Cursor>(data) else {
        return;
    };
    let config = Config::new(Credentials::auth_token(
        "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        Secret::new("fuzz-token-0123456789"),
    ));
    let session = Session::new(config);
    let Ok(mut listing) = session.resume(cursor) else {
        return;
    };
    if let Action::Send(request) = listing.next(&session.context(UNIX_EPOCH)) {
        assert_eq!(
            request.uri().host(),
            Some("api.twilio.com"),
            "{}",
            request.uri()
        );
        assert_eq!(request.uri().scheme_str(), Some("https"));
    }
}

/// An error body, under each status an error comes with: an error whose line stays short
/// (an excerpt, whatever the body holds).
pub fn error_body(data: &[u8]) {
    for status in [400, 401, 404, 429, 500, 503] {
        let response = http::Response::builder()
            .status(status)
            .body(data.to_vec())
            .unwrap();
        let line = error_from_response(&response).to_string();
        assert!(line.len() < 16 * 1024, "a {} byte error line", line.len());
    }
}

#[cfg(test)]
mod replay {
    use std::path::Path;

    /// Every file of `corpus/TARGET` through its check.
    fn replay(target: &str, check: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                path.display()
            );
            n += 1;
        }
        assert!(n > 0, "{target}: an empty corpus");
    }

    #[test]
    fn page_corpus() {
        replay("page", super::page);
    }

    #[test]
    fn app_corpus() {
        replay("app", super::app);
    }

    #[test]
    fn cursor_corpus() {
        replay("cursor", super::cursor);
    }

    #[test]
    fn error_body_corpus() {
        replay("error_body", super::error_body);
    }
}
