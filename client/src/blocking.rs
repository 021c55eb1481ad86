//! The blocking driver: one [`Client::drive`] loop over a [`Transport`], and one-line methods.
//!
//! `twilio-connect-apps-ureq` names this client `Client` with its ureq transport; give it any
//! other [`Transport`] (a closure will do) with [`Client::with_transport`].

use crate::handle;
use crate::transport::Transport;
use twilio_connect_apps::{
    AccountSid, Action, AppView, AuthorizedConnectApp, ConnectAppSid, Error, Machine,
    model::{Fetched, Page, SweepCursor, SweepParams},
    wire::{PageQuery, Resource},
};

pub use crate::handle::Blocking;

/// A blocking client over the transport `T`; see [`handle::Client`].
pub type Client<T> = handle::Client<T, Blocking>;

/// A [`ClientBuilder`](crate::ClientBuilder) that makes a blocking [`Client`].
pub type ClientBuilder<T> = crate::builder::ClientBuilder<T, Blocking>;

/// A blocking listing: an `Iterator` of records; see [`handle::Listing`].
pub type Listing<T, R = AuthorizedConnectApp> = handle::Listing<T, Blocking, R>;

impl<T: Transport> Client<T> {
    /// Runs `machine` to its end: sends what it asks over the transport, pauses as it asks.
    pub fn drive<M: Machine>(&self, mut machine: M) -> M::Output {
        loop {
            match machine.next(&self.context()) {
                Action::Send(request) => {
                    let response = self.transport().send(request);
                    machine.handle(&self.context(), response);
                }
                Action::Wait(wait) => self.transport().pause(wait),
                Action::Done(output) => return output,
            }
        }
    }

    /// Fetches one app of the configured account, with what its response said about itself
    /// (`fetched.meta`: the `Twilio-Request-Id`, Twilio's duration and concurrency).
    pub fn fetch(&self, app: &ConnectAppSid) -> Result<Fetched, Error> {
        self.drive(self.session().fetch(app)?)
    }

    /// Fetches one app of another account (a subaccount, with the parent's credentials).
    pub fn fetch_in(&self, account: &AccountSid, app: &ConnectAppSid) -> Result<Fetched, Error> {
        self.drive(self.session().fetch_in(account, app)?)
    }

    /// Fetches one page of the configured account's apps.
    pub fn page(&self, query: &PageQuery) -> Result<Page, Error> {
        self.drive(self.session().page(query)?)
    }

    /// Fetches one page of another account's apps (a subaccount, with the parent's
    /// credentials).
    pub fn page_in(&self, account: &AccountSid, query: &PageQuery) -> Result<Page, Error> {
        self.drive(self.session().page_in(account, query)?)
    }

    /// Fetches the page at a URI the API handed out (`next_page_uri`, a cursor's `next`, ...).
    /// The URI must be on the configured origin.
    pub fn page_at(&self, uri: &str) -> Result<Page, Error> {
        self.drive(self.session().page_at(uri)?)
    }

    /// Audits every account: lists the accounts (per `params`), then each one's apps with at
    /// most `params.concurrency` accounts in flight, on that many threads. Results come as accounts complete (see
    /// [`AccountApps::index`](twilio_connect_apps::AccountApps::index) for the listing order); an account whose listing fails is
    /// reported with its error and the sweep goes on; an `Err` item means the accounts listing
    /// itself failed. A 429 anywhere slows the whole sweep. Dropping the [`Sweep`] stops it
    /// after the requests in flight.
    pub fn sweep(&self, params: SweepParams) -> Result<Sweep<T>, Error>
    where
        T: Send + Sync + 'static,
    {
        Ok(Sweep::start(self.clone(), self.session().sweep(params)?))
    }

    /// Goes on with a sweep from a saved [`SweepCursor`] (see [`Client::sweep`]).
    pub fn resume_sweep(&self, params: SweepParams, cursor: SweepCursor) -> Result<Sweep<T>, Error>
    where
        T: Send + Sync + 'static,
    {
        Ok(Sweep::start(
            self.clone(),
            self.session().resume_sweep(params, cursor)?,
        ))
    }
}

impl<T: Transport, R: Resource> Iterator for Listing<T, R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(record) = self.machine.next_buffered() {
            return Some(Ok(record));
        }
        self.client.drive(&mut self.machine)
    }
}

impl<T: Transport, R: Resource> std::iter::FusedIterator for Listing<T, R> {}

impl<T: Transport> Listing<T> {
    /// The fast path for programs that stream records out: fetches the next page and hands
    /// each of its records to `f` as a borrowed [`AppView`], with no allocation per record
    /// (records already buffered by [`Iterator::next`] come first, in a call of their own).
    /// Returns whether more pages
    /// may follow; see [`ListingMachine::hand_out`](twilio_connect_apps::machine::ListingMachine::hand_out).
    pub fn next_page_with<E: From<Error>>(
        &mut self,
        f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let page = self.client.drive(self.machine.next_page());
        self.machine.hand_out(page, f)
    }
}

pub use crate::sweep::blocking::Sweep;
