//! Progress on stderr while a listing runs (pages, apps, retries), only when stderr is a
//! terminal, and the `-v` logs. Pages and retries are counted from the library's own tracing
//! events, so the library needs no callback for them.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, filter};

/// Counts the library's `page` and retry events.
#[derive(Default)]
pub(crate) struct Counts {
    pages: AtomicU64,
    retries: AtomicU64,
    requests: AtomicU64,
    rate_limited: AtomicU64,
}

/// What the library did in this process: the audit's run record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Pages received.
    pub(crate) pages: u64,
    /// Requests sent (attempts).
    pub(crate) requests: u64,
    /// Attempts made again.
    pub(crate) retries: u64,
    /// Responses 429.
    pub(crate) rate_limited: u64,
}

impl Counts {
    fn totals(&self) -> Totals {
        Totals {
            pages: self.pages.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }
}

/// The counts of the whole process, kept whether or not a spinner shows them.
static TOTALS: Counts = Counts {
    pages: AtomicU64::new(0),
    retries: AtomicU64::new(0),
    requests: AtomicU64::new(0),
    rate_limited: AtomicU64::new(0),
};

/// What the library has done so far in this process.
pub(crate) fn totals() -> Totals {
    TOTALS.totals()
}

/// Counts into `TOTALS`, and into the spinner's counts when there is one.
struct CountLayer(Option<Arc<Counts>>);

/// The `status` field of a `response` event.
#[derive(Default)]
struct StatusField(Option<u64>);

impl Visit for StatusField {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

#[derive(Default)]
struct Message(Option<String>);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: Subscriber> Layer<S> for CountLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut m = Message::default();
        event.record(&mut m);
        let counter: Option<fn(&Counts) -> &AtomicU64> = match m.0.as_deref() {
            Some("page") => Some(|c| &c.pages),
            Some(s) if s.ends_with("retrying") => Some(|c| &c.retries),
            Some("response") => Some(|c| &c.requests),
            Some(s) if s.starts_with("attempt failed") => Some(|c| &c.requests),
            _ => None,
        };
        let is_429 = m.0.as_deref() == Some("response") && {
            let mut status = StatusField::default();
            event.record(&mut status);
            status.0 == Some(429)
        };
        for counts in std::iter::once(&TOTALS).chain(self.0.as_deref()) {
            if let Some(field) = counter {
                field(counts).fetch_add(1, Ordering::Relaxed);
            }
            if is_429 {
                counts.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The filter for `-v` output: `RUST_LOG` when set, else by the count of `-v`; ureq-proto's
/// raw request dumps (`ureq_proto::util` at trace, Authorization included) are always off.
fn log_filter(verbose: u8) -> EnvFilter {
    let base = match (
        std::env::var("RUST_LOG").ok().filter(|v| !v.is_empty()),
        verbose,
    ) {
        (Some(env), _) => env,
        (None, 0) => "off".to_owned(),
        (None, 1) => "twilio_connect_apps=debug".to_owned(),
        (None, _) => "debug,twilio_connect_apps=trace".to_owned(),
    };
    let filter = EnvFilter::builder().parse_lossy(base);
    match "ureq_proto::util=off".parse() {
        Ok(d) => filter.add_directive(d),
        Err(_) => filter,
    }
}

/// Installs the log output (coloured only when `ansi`) and, when stderr is a terminal, no
/// `-v` asked for logs and `--quiet` was not given, the progress counters.
pub(crate) fn init(verbose: u8, quiet: bool, ansi: bool) -> Option<Arc<Counts>> {
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_filter(log_filter(verbose));
    let wants_progress = std::io::stderr().is_terminal()
        && verbose == 0
        && !quiet
        && std::env::var_os("RUST_LOG").is_none();
    let counts = wants_progress.then(|| Arc::new(Counts::default()));
    // Always on: the audit's run record counts requests, pages, retries and 429s.
    let counter = CountLayer(counts.clone()).with_filter(
        filter::Targets::new().with_target("twilio_connect_apps", tracing::Level::DEBUG),
    );
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(counter)
        .try_init();
    counts
}

/// A spinner line on stderr: pages, apps and retries so far.
pub(crate) struct Progress {
    bar: Option<(ProgressBar, Arc<Counts>)>,
}

impl Progress {
    /// A spinner when `counts` is there (stderr is a terminal), else nothing.
    pub(crate) fn new(counts: Option<Arc<Counts>>) -> Self {
        let bar = counts.map(|c| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            (bar, c)
        });
        Progress { bar }
    }

    /// Shows the counts with `apps` apps so far.
    pub(crate) fn update(&self, apps: u64) {
        if let Some((bar, c)) = &self.bar {
            bar.set_message(format!(
                "{} pages, {apps} apps, {} retries",
                c.pages.load(Ordering::Relaxed),
                c.retries.load(Ordering::Relaxed)
            ));
        }
    }

    /// Removes the spinner.
    pub(crate) fn done(&self) {
        if let Some((bar, _)) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pages_and_retries_from_the_library_events() {
        let counts = Arc::new(Counts::default());
        let subscriber = tracing_subscriber::registry().with(CountLayer(Some(counts.clone())));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(records = 3, "page");
            tracing::debug!(records = 0, "page");
            tracing::warn!(attempt = 1, "retrying");
            tracing::info!(attempt = 2, "rate limited; retrying");
            tracing::debug!(status = 200_u16, "response");
            tracing::debug!(status = 429_u16, "response");
            tracing::debug!(error = "reset", "attempt failed: reset");
        });
        let t = counts.totals();
        assert_eq!(
            (t.pages, t.retries, t.requests, t.rate_limited),
            (2, 2, 3, 1)
        );
    }
}
