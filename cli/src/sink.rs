//! Where output goes: stdout, or a file written atomically (a temporary file in the same
//! folder, renamed over the target only when the run succeeded), so that a failed or
//! interrupted run leaves no half file and never clobbers the previous one.

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
/// before.
pub(crate) struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary file beside it).
    pub(crate) fn create(target: &Path) -> io::Result<AtomicFile> {
        watch_signals();
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
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", temp.display())))?;
        PENDING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(temp.clone());
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            file: Some(BufWriter::with_capacity(64 * 1024, file)),
        })
    }

    /// Finishes the file and puts it in place of the target.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
        }
        std::fs::rename(&self.temp, &self.target)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.target.display())))?;
        self.forget();
        Ok(())
    }

    fn forget(&self) {
        PENDING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|p| p != &self.temp);
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
            self.forget();
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
