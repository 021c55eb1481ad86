//! The async driver: one `poll_drive` loop over an [`AsyncTransport`] (with
//! [`Client::drive`] its `async` form), and one-line methods. It needs no particular runtime:
//! the transport brings the timer, and nothing is spawned.
//!
//! `twilio-connect-apps-hyper` names this client `Client` with its hyper transport; give it
//! any other [`AsyncTransport`] with [`Client::with_transport`].

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Request;

use crate::handle::{self, InFlight, Pending};
use crate::transport::AsyncTransport;
use twilio_connect_apps::{
    AccountSid, Action, AppView, AuthorizedConnectApp, ConnectAppSid, Error, Machine,
    machine::SweepPlan,
    model::{Fetched, Page, SweepCursor, SweepParams},
    wire::{PageQuery, Resource},
};

pub use crate::handle::Async;

/// An async client over the transport `T`; see [`handle::Client`]. Cheap to clone and
/// `Send + Sync`: share one across tasks.
pub type Client<T> = handle::Client<T, Async>;

/// A [`ClientBuilder`](crate::ClientBuilder) that makes an async [`Client`].
pub type ClientBuilder<T> = crate::builder::ClientBuilder<T, Async>;

/// An async listing: a [`Stream`](futures_core::Stream) of records, and [`Listing::next`].
/// Dropping it cancels any request in flight.
///
/// ```no_run
/// # async fn run(client: twilio_connect_apps_client::asynchronous::Client<impl twilio_connect_apps_client::AsyncTransport>) -> Result<(), twilio_connect_apps::Error> {
/// use twilio_connect_apps::ListParams;
/// let mut apps = client.list(ListParams::new().with_limit(100))?;
/// while let Some(app) = apps.next().await {
///     println!("{:?}", app?.connect_app_friendly_name());
/// }
/// # Ok(()) }
/// ```
pub type Listing<T, R = AuthorizedConnectApp> = handle::Listing<T, Async, R>;

impl<T: AsyncTransport> Client<T> {
    /// Polls `machine` towards its end: sends what it asks over the transport (the request in
    /// flight is kept in `in_flight`), waits with the transport's timer as it asks.
    pub(crate) fn poll_drive<M: Machine>(
        &self,
        machine: &mut M,
        in_flight: &mut InFlight,
        cx: &mut Context<'_>,
    ) -> Poll<M::Output> {
        loop {
            if let Some(pending) = in_flight.as_mut() {
                let sent = ready!(pending.as_mut().poll(cx));
                *in_flight = None;
                if let Some(response) = sent {
                    machine.handle(&self.context(), response);
                }
            }
            *in_flight = Some(match machine.next(&self.context()) {
                Action::Send(request) => self.sending(request),
                Action::Wait(wait) => self.waiting(wait),
                Action::Done(output) => return Poll::Ready(output),
            });
        }
    }

    /// The request in flight, owned (and boxed) so a listing can keep it between polls.
    fn sending(&self, request: Request<Vec<u8>>) -> Pending {
        let inner = self.inner.clone();
        Box::pin(async move { Some(inner.transport.send(request).await) })
    }

    /// The wait in progress, with the transport's timer.
    fn waiting(&self, wait: std::time::Duration) -> Pending {
        let inner = self.inner.clone();
        Box::pin(async move {
            inner.transport.pause(wait).await;
            None
        })
    }

    /// Runs `machine` to its end: sends what it asks over the transport, waits with the
    /// transport's timer as it asks.
    pub async fn drive<M: Machine>(&self, mut machine: M) -> M::Output {
        let mut in_flight = None;
        std::future::poll_fn(|cx| self.poll_drive(&mut machine, &mut in_flight, cx)).await
    }

    /// Fetches one app of the configured account, with what its response said about itself
    /// (`fetched.meta`: the `Twilio-Request-Id`, Twilio's duration and concurrency).
    pub async fn fetch(&self, app: &ConnectAppSid) -> Result<Fetched, Error> {
        self.drive(self.session().fetch(app)?).await
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub async fn fetch_in(
        &self,
        account: &AccountSid,
        app: &ConnectAppSid,
    ) -> Result<Fetched, Error> {
        self.drive(self.session().fetch_in(account, app)?).await
    }

    /// Fetches one page of the configured account's apps.
    pub async fn page(&self, query: &PageQuery) -> Result<Page, Error> {
        self.drive(self.session().page(query)?).await
    }

    /// Fetches one page of another account's apps (a subaccount, with the parent's
    /// credentials).
    pub async fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<Page, Error> {
        self.drive(self.session().page_in(account, query)?).await
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub async fn page_at(&self, uri: &str) -> Result<Page, Error> {
        self.drive(self.session().page_at(uri)?).await
    }

    /// Audits every account: lists the accounts (per `params`), then each one's apps with at
    /// most `params.concurrency` accounts in flight, as concurrent requests inside the returned
    /// stream (nothing is spawned; poll it from one task). Results come as accounts complete
    /// (see [`AccountApps::index`](twilio_connect_apps::AccountApps::index)); an account whose listing fails is reported with its error
    /// and the sweep goes on; an `Err` item means the accounts listing itself failed. A 429
    /// anywhere slows the whole sweep.
    pub fn sweep(&self, params: SweepParams) -> Result<Sweep<T>, Error> {
        Ok(self.swept(self.session().sweep(params)?))
    }

    /// Goes on with a sweep from a saved [`SweepCursor`] (see [`Client::sweep`]).
    pub fn resume_sweep(
        &self,
        params: SweepParams,
        cursor: SweepCursor,
    ) -> Result<Sweep<T>, Error> {
        Ok(self.swept(self.session().resume_sweep(params, cursor)?))
    }

    fn swept(&self, plan: SweepPlan) -> Sweep<T> {
        Sweep::start(self.clone(), plan)
    }
}

impl<T: AsyncTransport, R: Resource> Listing<T, R> {
    /// The next record, or `None` at the end (or after an error).
    #[allow(clippy::should_implement_trait)]
    pub async fn next(&mut self) -> Option<Result<R, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<R, Error>>> {
        if let Some(record) = self.machine.next_buffered() {
            return Poll::Ready(Some(Ok(record)));
        }
        self.client
            .poll_drive(&mut self.machine, &mut self.pending, cx)
    }
}

impl<T: AsyncTransport> Listing<T> {
    /// The fast path for programs that stream records out: fetches the next page and hands
    /// each of its records to `f` as a borrowed [`AppView`], with no allocation per record; see
    /// the blocking `Listing::next_page_with`. Returns whether more pages may follow.
    pub async fn next_page_with<E: From<Error>>(
        &mut self,
        f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        self.pending = None;
        let page = self.client.drive(self.machine.next_page()).await;
        self.machine.hand_out(page, f)
    }
}

impl<T: AsyncTransport, R: Resource> futures_core::Stream for Listing<T, R> {
    type Item = Result<R, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<T: AsyncTransport, R: Resource> futures_core::FusedStream for Listing<T, R> {
    fn is_terminated(&self) -> bool {
        self.machine.is_finished()
    }
}

pub use crate::sweep::asynchronous::Sweep;
