//! Where output goes: stdout, or a file written atomically (a temporary file in the same
//! folder, renamed over the target only when the run succeeded), so that a failed or
//! interrupted run leaves no half file and never clobbers the previous one.
//!
//! Only a regular file (or a path that does not exist yet) is replaced that way; a symbolic
//! link to a regular file replaces the file it names, keeping the link. Anything else that
//! exists (a device such as `/dev/null`, a FIFO, a socket, `/dev/stdout` and the rest of
//! `/dev/` and `/proc/`) is written into directly, never replaced. [`check_paths`] refuses,
//! before any request, a directory, a missing folder, and two options naming the same file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files not yet renamed: removed if the program is interrupted.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the temporary files on Ctrl-C or SIGTERM, then exits (130).
fn watch_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(|| {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    #[cfg(unix)]
                    {
                        use tokio::signal::unix::{SignalKind, signal};
                        let mut term = signal(SignalKind::terminate()).ok();
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
                        }
                    }
                    #[cfg(not(unix))]
                    let _ = tokio::signal::ctrl_c().await;
                });
                for path in PENDING.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(130);
            });
    });
}

/// A file being written: renamed over its target by [`AtomicFile::commit`], removed if dropped
/// before; or, for a target that is not a regular file, written into directly.
pub(crate) struct AtomicFile {
    target: PathBuf,
    /// The temporary file beside the target; `None`: the target itself is written.
    temp: Option<PathBuf>,
    file: Option<BufWriter<File>>,
}

/// Whether `target` is written into directly: it exists and is not a regular file (a device,
/// FIFO, socket), or it names one of the system's special folders.
fn written_directly(target: &Path) -> io::Result<bool> {
    let special = |p: &Path| p.starts_with("/dev") || p.starts_with("/proc");
    match std::fs::metadata(target) {
        Ok(m) if m.is_dir() => Err(io::Error::other(format!(
            "{} is a directory: name a file",
            target.display()
        ))),
        Ok(m) => Ok(!m.is_file() || special(target)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(special(target)),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("{}: {e}", target.display()),
        )),
    }
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary file beside it, or directly; see the
    /// module's rules).
    pub(crate) fn create(target: &Path) -> io::Result<AtomicFile> {
        let named =
            |e: io::Error, p: &Path| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
        if written_directly(target)? {
            let file = OpenOptions::new()
                .write(true)
                .open(target)
                .map_err(|e| named(e, target))?;
            return Ok(AtomicFile {
                target: target.to_path_buf(),
                temp: None,
                file: Some(BufWriter::with_capacity(64 * 1024, file)),
            });
        }
        watch_signals();
        // A link to a regular file: the file is replaced, the link kept.
        let target = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::canonicalize(target).map_err(|e| named(e, target))?
            }
            _ => target.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| io::Error::other(format!("{} names no file", target.display())))?;
        let temp = dir.join(format!(".{name}.connect-apps-{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| named(e, &temp))?;
        PENDING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(temp.clone());
        Ok(AtomicFile {
            target,
            temp: Some(temp),
            file: Some(BufWriter::with_capacity(64 * 1024, file)),
        })
    }

    /// Finishes the file and puts it in place of the target (or flushes what was written into
    /// it directly). A failed rename removes the temporary file.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let file = file.into_inner().map_err(|e| e.into_error())?;
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let placed = file
            .sync_all()
            .and_then(|()| std::fs::rename(&temp, &self.target))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.target.display())));
        if placed.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        forget(&temp);
        placed
    }
}

fn forget(temp: &Path) {
    PENDING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|p| p != temp);
}

/// Checks, before any request, the files a command will write (`outputs`) and read
/// (`inputs`), each with its option's name: no output is a directory or in a folder that does
/// not exist, and no two options name the same file (`--output` over `--baseline` would
/// replace the approved baseline). A snapshot may be written over its own baseline (a rolling
/// baseline): list that pair in `allowed`.
pub(crate) fn check_paths(
    outputs: &[(&str, &Path)],
    inputs: &[(&str, &Path)],
    allowed: &[(&str, &str)],
) -> Result<(), String> {
    for (option, path) in outputs {
        if path.is_dir() {
            return Err(format!(
                "{option} {} is a directory: name a file",
                path.display()
            ));
        }
        let folder = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(format!(
                "{option} {}: the folder {} does not exist",
                path.display(),
                folder.display()
            ));
        }
    }
    let named: Vec<(&str, PathBuf)> = outputs
        .iter()
        .chain(inputs)
        .map(|(option, path)| (*option, identity(path)))
        .collect();
    // Devices and FIFOs (`/dev/null`) are written into, not replaced: any number may share one.
    let special = |p: &Path| std::fs::metadata(p).is_ok_and(|m| !m.is_file());
    for (i, (a, path)) in outputs.iter().enumerate() {
        if special(path) {
            continue;
        }
        for (b, other) in named.iter().skip(i + 1) {
            let pair_allowed = allowed.contains(&(*a, *b)) || allowed.contains(&(*b, *a));
            if !pair_allowed && identity(path) == *other {
                return Err(format!(
                    "{a} and {b} name the same file ({}): give {a} a path of its own",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// What a path names, for telling whether two name the same file: the canonical path when it
/// exists, else its folder's canonical path with its name.
fn identity(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(folder), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some()
            && let Some(temp) = self.temp.take()
        {
            let _ = std::fs::remove_file(&temp);
            forget(&temp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("the file is finished")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Output: stdout (buffered) or an atomic file.
pub(crate) enum Sink {
    /// stdout.
    Stdout(BufWriter<io::Stdout>),
    /// `--output FILE`.
    File(AtomicFile),
}

impl Sink {
    /// stdout, or `path` atomically.
    pub(crate) fn open(path: Option<&Path>) -> io::Result<Sink> {
        Ok(match path {
            Some(p) => Sink::File(AtomicFile::create(p)?),
            None => Sink::Stdout(BufWriter::with_capacity(64 * 1024, io::stdout())),
        })
    }

    /// Ends the output of a run that succeeded (or found something): the file is put in place.
    pub(crate) fn commit(self) -> io::Result<()> {
        match self {
            Sink::Stdout(mut out) => out.flush(),
            Sink::File(f) => f.commit(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(s) => s.write(buf),
            Sink::File(f) => f.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(s) => s.write_all(buf),
            Sink::File(f) => f.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File(f) => f.flush(),
        }
    }
}
