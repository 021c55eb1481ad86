//! The one place the clients touch the operating system: the system clock, a random seed, a
//! blocking pause, reading a PEM file, and the worker threads of the blocking sweep.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

/// Where a driver gets the time it hands the machines: the wall clock (for `Retry-After`
/// dates, token lifetimes and durations in traces). Replace it in tests to make every
/// decision deterministic.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A random seed for a session's backoff jitter, from std's randomly keyed hasher (no extra
/// crate): every client gets its own.
pub(crate) fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

/// Blocks the thread for `wait`: the blocking transports' default pause.
pub(crate) fn sleep(wait: Duration) {
    std::thread::sleep(wait);
}

/// Reads a whole file (a PEM bundle of root certificates).
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// Items made by worker threads, as they come: an iterator that ends when every worker has
/// returned. Dropping it asks the workers to stop after what they are doing.
pub(crate) struct Workers<I> {
    results: mpsc::Receiver<I>,
    stop: Arc<AtomicBool>,
    _threads: Vec<std::thread::JoinHandle<()>>,
}

/// What a worker is handed: where its items go, and whether to stop.
pub(crate) struct Worker<I> {
    out: mpsc::Sender<I>,
    stop: Arc<AtomicBool>,
}

impl<I> Worker<I> {
    /// Hands out an item; false when nobody listens any more (stop).
    pub(crate) fn send(&self, item: I) -> bool {
        self.out.send(item).is_ok()
    }

    /// Whether the consumer went away.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

impl<I: Send + 'static> Workers<I> {
    /// Runs `work` on `n` threads (at least one).
    pub(crate) fn spawn(n: usize, work: impl Fn(&Worker<I>) + Send + Sync + 'static) -> Self {
        let (out, results) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let work = Arc::new(work);
        let threads = (0..n.max(1))
            .map(|_| {
                let worker = Worker {
                    out: out.clone(),
                    stop: stop.clone(),
                };
                let work = work.clone();
                std::thread::spawn(move || work(&worker))
            })
            .collect();
        Workers {
            results,
            stop,
            _threads: threads,
        }
    }
}

impl<I> Iterator for Workers<I> {
    type Item = I;

    fn next(&mut self) -> Option<I> {
        self.results.recv().ok()
    }
}

impl<I> Drop for Workers<I> {
    fn drop(&mut self) {
        // The threads end after their request in flight; they are not waited for.
        self.stop.store(true, Ordering::Relaxed);
    }
}
