#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The repository stands on its own: no file refers to a folder outside it.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "target" || name.starts_with('.') && name != ".ci" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_refers_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 50, "{} files", all.len());
    // Spelled in pieces, so this file does not match itself.
    let outside = [
        concat!("..", "/shared"),
        concat!("shared", "/spec"),
        concat!("shared", "/DESIGN"),
        concat!("shared", "/STYLE"),
        concat!("/work", "/"),
        concat!("..", "/.library"),
    ];
    let mut found = Vec::new();
    for path in &all {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for needle in outside {
            if text.contains(needle) {
                found.push(format!(
                    "{}: {needle}",
                    path.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
