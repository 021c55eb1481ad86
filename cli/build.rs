//! Records the commit the binary was built from, for `connect-apps --version`.
//!
//! `CONNECT_APPS_COMMIT` in the environment wins (a release build from a source archive sets
//! it); otherwise `git` is asked, and a build from a crates.io package, where there is no
//! repository, says `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=CONNECT_APPS_COMMIT");
    let from_env = std::env::var("CONNECT_APPS_COMMIT")
        .ok()
        .filter(|c| !c.is_empty());
    let commit = from_env
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CONNECT_APPS_COMMIT={commit}");
}

/// The checked-out commit (12 hex digits, `-dirty` with uncommitted changes to tracked files),
/// and a rerun when HEAD moves.
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let git_dir = git(&["rev-parse", "--absolute-git-dir"])?;
    println!("cargo:rerun-if-changed={git_dir}/HEAD");
    println!("cargo:rerun-if-changed={git_dir}/index");
    if let Ok(head) = std::fs::read_to_string(format!("{git_dir}/HEAD"))
        && let Some(reference) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed={git_dir}/{reference}");
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}
