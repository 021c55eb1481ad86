#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The layering rule of `core/src`, as the crate docs state it: a module imports only from its
//! own folder or from lower layers; `model/` names no serde visitor; no module names a future,
//! a thread, a socket, a file or a sleep; and no source, tests included, names the calls that
//! reach the OS (`std::thread`, `std::fs`, `std::net`, `std::sync::mpsc`, `SystemTime::now`,
//! `Instant::now`). The crate graph keeps IO crates out; this keeps std's IO out.

use std::path::Path;

/// The layers, lowest first.
const LAYERS: [&str; 7] = ["base", "error", "api", "model", "config", "wire", "proto"];

/// Words no module may use in code: futures, threads, sockets, files (they belong to the
/// client crate's drivers and runtime).
const RUNTIME_WORDS: [&str; 8] = [
    "Future",
    "thread",
    "tokio",
    "spawn",
    "TcpStream",
    "TcpListener",
    "fs",
    "sleep",
];

/// Calls that reach the OS, named nowhere in the sources (unit tests included).
const OS_CALLS: [&str; 6] = [
    "std::thread",
    "std::fs",
    "std::net",
    "std::sync::mpsc",
    "SystemTime::now",
    "Instant::now",
];

/// Words `model/` may not use in code: serde visitors live in the wire layer.
const VISITOR_WORDS: [&str; 4] = ["Visitor", "DeserializeSeed", "MapAccess", "SeqAccess"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == module)
}

/// The code of a file: doc and line comments dropped, and everything from the first
/// `#[cfg(test)]` on (unit tests may use anything but the OS).
fn code_of(text: &str) -> String {
    without_comments(text.split("#[cfg(test)]").next().unwrap_or(text))
}

/// A file with doc and line comments dropped.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn words(code: &str) -> impl Iterator<Item = &str> {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// Every rule a set of files (path relative to `src`, text) breaks.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        let module = path.split(['/', '.']).next().unwrap_or("");
        if module == "lib" {
            continue; // it only declares and re-exports
        }
        let Some(own) = layer_of(module) else {
            out.push(format!("{path}: `{module}` is not a layer ({LAYERS:?})"));
            continue;
        };
        let all_code = without_comments(text);
        for call in OS_CALLS {
            if all_code.contains(call) {
                out.push(format!(
                    "{path}: names `{call}`: the core reaches no OS facility"
                ));
            }
        }
        // Unit tests may use anything (but the OS): a test file is all test code.
        let is_test = path.contains("/tests/") || path.ends_with("_tests.rs");
        let code = if is_test {
            String::new()
        } else {
            code_of(text)
        };
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let target: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            match layer_of(&target) {
                Some(theirs) if theirs > own => out.push(format!(
                    "{path}: imports `crate::{target}`, a higher layer than `{module}`"
                )),
                Some(_) => {}
                None => out.push(format!(
                    "{path}: names `crate::{target}`: import through the module path, so the layer shows"
                )),
            }
        }
        for word in words(&code) {
            if RUNTIME_WORDS.contains(&word) {
                out.push(format!(
                    "{path}: names `{word}`: drivers and runtimes belong to the client crate"
                ));
            }
        }
        if module == "model" {
            for word in words(&code) {
                if VISITOR_WORDS.contains(&word) {
                    out.push(format!(
                        "{path}: names `{word}`: serde visitors belong in wire/"
                    ));
                }
            }
        }
    }
    out
}

fn read_src(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            read_src(&path, &format!("{rel}/"), out);
        } else if name.ends_with(".rs") {
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
#[cfg_attr(
    target_family = "wasm",
    ignore = "reads the crate's source files: the WASI runner opens no folder to a test"
)]
fn every_module_imports_only_from_its_folder_or_below() {
    let mut files = Vec::new();
    read_src(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut files,
    );
    assert!(files.len() > 20, "read {} files", files.len());
    let found = violations(&files);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn the_rule_catches_what_it_should() {
    let file = |path: &str, text: &str| (path.to_owned(), text.to_owned());
    let found = violations(&[
        file("model/app.rs", "use crate::proto::session::Session;"),
        file("wire/scan.rs", "use crate::Secret;"),
        file("proto/exchange.rs", "fn f() { std::thread::sleep(d) }"),
        file("model/view.rs", "impl<'de> Visitor<'de> for X {}"),
        file(
            "config/retry.rs",
            "use crate::base::sid::AccountSid; // crate::client in a comment",
        ),
        file(
            "wire/x.rs",
            "#[cfg(test)]\nmod tests { use crate::proto::session::Session; }",
        ),
        file(
            "proto/x.rs",
            "#[cfg(test)]\nmod tests { fn f() { let _ = std::time::SystemTime::now(); } }",
        ),
    ]);
    let expected = [
        ("model/app.rs", "higher layer"),
        ("wire/scan.rs", "module path"),
        ("proto/exchange.rs", "`std::thread`"),
        ("proto/exchange.rs", "`thread`"),
        ("proto/exchange.rs", "`sleep`"),
        ("model/view.rs", "`Visitor`"),
        ("proto/x.rs", "`SystemTime::now`"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (line, (file, what)) in found.iter().zip(expected) {
        assert!(line.starts_with(file) && line.contains(what), "{line}");
    }
}
