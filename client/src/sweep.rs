//! The sweep's two runners, over the one [`SweepPlan`]: worker threads sharing the plan
//! (blocking), and concurrent futures polled from one task (async).

use std::pin::Pin;
use std::task::{Context, Poll};

// The clients by their generic name (their methods are the drivers' own): this file does not
// depend on the driver files, which depend on it.
use crate::handle::{Async, Blocking, Client as Handle, InFlight};
use crate::transport::{AsyncTransport, Transport};
use twilio_connect_apps::{
    Error,
    machine::{AccountJob, SweepPlan},
    model::AccountApps,
};

/// The blocking sweep.
pub(crate) mod blocking {
    use super::*;

    type Client<T> = Handle<T, Blocking>;

    /// A sweep in progress: an iterator of each account's apps (or its error), as accounts
    /// complete; see [`Client::sweep`].
    pub struct Sweep<T> {
        workers: crate::runtime::Workers<Result<AccountApps, Error>>,
        marker: std::marker::PhantomData<fn() -> T>,
    }

    impl<T> std::fmt::Debug for Sweep<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Sweep").finish_non_exhaustive()
        }
    }

    impl<T: Transport + Send + Sync + 'static> Sweep<T> {
        /// The workers take turns reading the accounts listing, so no more than the plan's
        /// room of threads ever send requests (and no more connections are needed).
        pub(crate) fn start(client: Client<T>, plan: SweepPlan) -> Self {
            let n = plan.max_concurrency();
            let plan = std::sync::Mutex::new(plan);
            fn lock(plan: &std::sync::Mutex<SweepPlan>) -> std::sync::MutexGuard<'_, SweepPlan> {
                plan.lock().unwrap_or_else(|p| p.into_inner())
            }
            let workers = crate::runtime::Workers::spawn(n, move |worker| {
                while !worker.stopped() {
                    let job = {
                        let mut plan = lock(&plan);
                        plan.has_room(&client.context())
                            .then(|| client.drive(&mut *plan))
                    };
                    let Some(job) = job else {
                        // An adaptive plan has less room than workers now: look again soon.
                        client
                            .transport()
                            .pause(std::time::Duration::from_millis(5));
                        continue;
                    };
                    let more = match job {
                        // Every account was handed out, or the accounts listing failed: after its
                        // error, nothing more comes.
                        None => false,
                        Some(Err(e)) => {
                            let _ = worker.send(Err(e));
                            false
                        }
                        Some(Ok(job)) => {
                            let result = client.drive(job);
                            lock(&plan).finished(&client.context(), &result);
                            worker.send(Ok(result))
                        }
                    };
                    if !more {
                        return;
                    }
                }
            });
            let marker = std::marker::PhantomData;
            Sweep { workers, marker }
        }
    }

    impl<T: Transport> Iterator for Sweep<T> {
        type Item = Result<AccountApps, Error>;

        fn next(&mut self) -> Option<Self::Item> {
            self.workers.next()
        }
    }
}

/// The async sweep.
pub(crate) mod asynchronous {
    use super::*;

    type Client<T> = Handle<T, Async>;

    /// A sweep in progress: a stream of each account's apps (or its error), as accounts complete;
    /// see [`Client::sweep`]. Use [`Sweep::next`] or the `Stream` impl.
    pub struct Sweep<T> {
        client: Client<T>,
        plan: Option<(SweepPlan, InFlight)>,
        jobs: Vec<(AccountJob, InFlight)>,
    }

    impl<T> std::fmt::Debug for Sweep<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Sweep")
                .field("in_flight", &self.jobs.len())
                .finish_non_exhaustive()
        }
    }

    impl<T: AsyncTransport> Sweep<T> {
        pub(crate) fn start(client: Client<T>, plan: SweepPlan) -> Self {
            Sweep {
                client,
                plan: Some((plan, None)),
                jobs: Vec::new(),
            }
        }

        /// The next account's result, or `None` when every account is done.
        #[allow(clippy::should_implement_trait)]
        pub async fn next(&mut self) -> Option<Result<AccountApps, Error>> {
            std::future::poll_fn(|cx| self.poll_item(cx)).await
        }

        fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<AccountApps, Error>>> {
            // Keep as many accounts in flight as the plan has room for, while it has more.
            while let Some((plan, in_flight)) = self.plan.as_mut() {
                if !plan.has_room(&self.client.context()) {
                    break;
                }
                match self.client.poll_drive(plan, in_flight, cx) {
                    Poll::Ready(Some(Ok(job))) => self.jobs.push((job, None)),
                    Poll::Ready(Some(Err(e))) => {
                        self.plan = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(None) => self.plan = None,
                    Poll::Pending => break,
                }
            }
            let client = &self.client;
            let done = self
                .jobs
                .iter_mut()
                .enumerate()
                .find_map(
                    |(i, (job, in_flight))| match client.poll_drive(job, in_flight, cx) {
                        Poll::Ready(result) => Some((i, result)),
                        Poll::Pending => None,
                    },
                );
            if let Some((i, result)) = done {
                drop(self.jobs.swap_remove(i));
                if let Some((plan, _)) = self.plan.as_mut() {
                    plan.finished(&self.client.context(), &result);
                }
                // Wake again at once: the freed slot can take the next account.
                cx.waker().wake_by_ref();
                return Poll::Ready(Some(Ok(result)));
            }
            if self.jobs.is_empty() && self.plan.is_none() {
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        }
    }

    impl<T: AsyncTransport> futures_core::Stream for Sweep<T> {
        type Item = Result<AccountApps, Error>;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.get_mut().poll_item(cx)
        }
    }
}
