//! A whole listing: the paging machine ([`Paginator`]) with an [`Exchange`] for each page, so
//! that retries, the 429 gate and paging all happen inside.
//!
//! ```text
//!                 ┌──────────── record buffered ───────────► Done(Some(Ok(record)))
//!  next ──► Paginator::step ──► Send(page) ──► Exchange (Send / Wait …) ──► page read ──┐
//!                 ▲            └─ done ──► Done(None)       └─ failed ──► Done(Some(Err))
//!                 └─────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Borrowed views take the same road a page at a time: [`ListingMachine::next_page`] is the
//! machine that fetches the next page (or finds records already buffered), and
//! [`ListingMachine::hand_out`] hands what it gave to a callback, in one call.

use http::Response;

use crate::base::meta::ResponseMeta;
use crate::base::redact::Redactor;
use crate::base::sid::AccountSid;
use crate::config::settings::Config;
use crate::error::{Error, TransportError};
use crate::model::account::Account;
use crate::model::app::AuthorizedConnectApp;
use crate::model::listing::{AccountListParams, Cursor, ListParams};
use crate::model::view::AppView;
use crate::proto::action::{Action, Machine};
use crate::proto::context::Context;
use crate::proto::exchange::Exchange;
use crate::proto::paging::{Paginator, Step, ViewStop};
use crate::wire::resource::Resource;
use crate::wire::response::response_meta;

/// A listing in progress: a [`Machine`] that yields one record per `Done` (`Some(Ok(record))`),
/// `Some(Err(..))` when the listing failed, and `None` at the end. After an error it is
/// finished; [`ListingMachine::cursor`] says where it stopped, and [`Session::resume`](crate::Session::resume) goes on
/// from there with nothing lost and nothing twice.
///
/// Pages of borrowed views, with no allocation per record: drive
/// [`ListingMachine::next_page`], then give what it made to [`ListingMachine::hand_out`].
#[derive(Debug)]
pub struct ListingMachine<R = AuthorizedConnectApp> {
    paginator: Paginator<R>,
    exchange: Option<Exchange>,
    finished: bool,
    span: tracing::Span,
    /// What the last page's response said about itself, and how many pages were read.
    last_meta: Option<ResponseMeta>,
    pages_read: u64,
}

impl<R> ListingMachine<R> {
    /// What the response of the last page read said about itself (`Twilio-Request-Id`,
    /// concurrency, headers); `None` before the first page.
    pub fn last_meta(&self) -> Option<&ResponseMeta> {
        self.last_meta.as_ref()
    }

    /// How many pages were read so far (a page's records all come before the next page is
    /// read, so a change of this count marks where a page starts).
    pub fn pages_read(&self) -> u64 {
        self.pages_read
    }

    /// Takes a page's response as it arrives: what it says about itself is kept.
    fn arrived(&mut self, response: &Response<Vec<u8>>) {
        self.last_meta = Some(response_meta(response));
        self.pages_read += 1;
    }
}

impl<R: Resource> ListingMachine<R> {
    /// A listing driven by `paginator`, its events in `span`.
    pub(crate) fn new(paginator: Paginator<R>, span: tracing::Span) -> Self {
        ListingMachine {
            paginator,
            exchange: None,
            finished: false,
            span,
            last_meta: None,
            pages_read: 0,
        }
    }

    /// Where the listing stands: save it to resume later.
    pub fn cursor(&self) -> Cursor {
        self.paginator.cursor()
    }

    /// Records of the current page not handed out yet: at 0, the next call may wait on the
    /// network, so a program streaming its output should flush it then.
    pub fn buffered(&self) -> usize {
        self.paginator.buffered()
    }

    /// Whether the listing has ended (done, or failed).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The next buffered record, if one is there: no network, no context needed (a driver's
    /// fast path).
    pub fn next_buffered(&mut self) -> Option<R> {
        if self.finished || self.exchange.is_some() || self.paginator.buffered() == 0 {
            return None;
        }
        match self.paginator.step() {
            Ok(Step::Record(record)) => Some(record),
            _ => None,
        }
    }

    fn fail(&mut self, cx: &Context<'_>, e: Error) -> Action<Option<Result<R, Error>>> {
        self.finished = true;
        Action::Done(Some(Err(e.scrubbed(&cx.shared().redactor(true)))))
    }
}

impl<R: Resource> Machine for ListingMachine<R> {
    type Output = Option<Result<R, Error>>;

    fn next(&mut self, cx: &Context<'_>) -> Action<Self::Output> {
        if self.finished {
            return Action::Done(None);
        }
        let _span = self.span.clone().entered();
        loop {
            if let Some(exchange) = self.exchange.as_mut() {
                let response = match exchange.next(cx) {
                    Action::Done(response) => response,
                    other => return other.map(|_| None),
                };
                self.exchange = None;
                if let Ok(r) = &response {
                    self.arrived(r);
                }
                if let Err(e) = response.and_then(|r| self.paginator.handle_response(&r)) {
                    return self.fail(cx, e);
                }
            }
            match self.paginator.step() {
                Ok(Step::Record(record)) => return Action::Done(Some(Ok(record))),
                Ok(Step::Done) => {
                    self.finished = true;
                    return Action::Done(None);
                }
                Ok(Step::Send(request)) => self.exchange = Some(Exchange::new(request)),
                Err(e) => return self.fail(cx, e),
            }
        }
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        let _span = self.span.clone().entered();
        if let Some(exchange) = self.exchange.as_mut() {
            exchange.handle(cx, response);
        }
    }
}

impl ListingMachine {
    /// The machine that fetches the next page (with retries) for [`ListingMachine::hand_out`];
    /// when records are still buffered (read one at a time before), it sends nothing and
    /// hands those out instead.
    pub fn next_page(&mut self) -> NextPage<'_> {
        NextPage(self)
    }

    /// Hands what [`NextPage`] made to `f` as borrowed [`AppView`]s, as they are read (no
    /// allocation per record): the buffered records, or the new page's. Returns whether more
    /// pages may follow. The listing's rules all hold (limit, resume skip, no record twice,
    /// the next page checked); after an error, [`ListingMachine::cursor`] resumes after the
    /// last record `f` took.
    pub fn hand_out<E: From<Error>>(
        &mut self,
        page: PageReady,
        mut f: impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let _span = self.span.clone().entered();
        let result = match page.0 {
            Ready::Buffered => self
                .drain_buffered(&mut f)
                .map(|()| !self.paginator.is_done()),
            Ready::End => Ok(false),
            Ready::Failed(e) => Err(E::from(e)),
            Ready::Page(response, redactor) => {
                match self.paginator.handle_response_with(&response, f) {
                    Ok(()) => Ok(!self.paginator.is_done()),
                    Err(ViewStop::Failed(e)) => Err(E::from(e.scrubbed(&redactor))),
                    Err(ViewStop::Stopped(e)) => Err(e),
                }
            }
        };
        if !matches!(result, Ok(true)) {
            self.finished = true;
        }
        result
    }

    /// Hands the records already buffered (by record-at-a-time calls) to `f` as views.
    fn drain_buffered<E: From<Error>>(
        &mut self,
        f: &mut impl FnMut(AppView<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(app) = self.next_buffered() {
            f(AppView::of(&app))?;
        }
        Ok(())
    }
}

/// What [`NextPage`] made, for [`ListingMachine::hand_out`]: a page read, records already
/// buffered, the end, or the error that ended the listing.
#[derive(Debug)]
#[must_use = "hand it to ListingMachine::hand_out"]
pub struct PageReady(Ready);

#[derive(Debug)]
enum Ready {
    /// A page, with what is replaced in the error it may turn out to be.
    Page(Response<Vec<u8>>, Redactor),
    Buffered,
    End,
    Failed(Error),
}

/// Fetching a listing's next page for [`ListingMachine::hand_out`]: a [`Machine`] whose output
/// is a [`PageReady`].
#[derive(Debug)]
pub struct NextPage<'a>(&'a mut ListingMachine);

impl Machine for NextPage<'_> {
    type Output = PageReady;

    fn next(&mut self, cx: &Context<'_>) -> Action<PageReady> {
        let listing = &mut *self.0;
        if listing.finished {
            return Action::Done(PageReady(Ready::End));
        }
        if listing.exchange.is_none() && listing.paginator.buffered() > 0 {
            return Action::Done(PageReady(Ready::Buffered));
        }
        let _span = listing.span.clone().entered();
        loop {
            if let Some(exchange) = listing.exchange.as_mut() {
                return match exchange.next(cx) {
                    Action::Done(response) => {
                        listing.exchange = None;
                        if let Ok(r) = &response {
                            listing.arrived(r);
                        }
                        Action::Done(PageReady(match response {
                            Ok(r) => Ready::Page(r, cx.shared().redactor(true).into_owned()),
                            Err(e) => Ready::Failed(e),
                        }))
                    }
                    other => other.map(|_| PageReady(Ready::End)),
                };
            }
            match listing.paginator.step() {
                Ok(Step::Send(request)) => listing.exchange = Some(Exchange::new(request)),
                Ok(Step::Done) => return Action::Done(PageReady(Ready::End)),
                Ok(Step::Record(_)) => {
                    // Not reached: a buffered record was seen above.
                    return Action::Done(PageReady(Ready::Failed(Error::input(
                        "listing",
                        "records are still buffered",
                    ))));
                }
                Err(e) => return Action::Done(PageReady(Ready::Failed(e))),
            }
        }
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        Machine::handle(&mut *self.0, cx, response);
    }
}

/// Lists apps from the first page (the account in `params`, or the configured one).
pub(crate) fn list(config: &Config, params: ListParams) -> Result<ListingMachine, Error> {
    let account = params.account().unwrap_or(config.account_sid());
    let span = tracing::debug_span!(
        "listing",
        operation = "list",
        account = %account,
        limit = params.limit(),
        page_size = params.page_size()
    );
    Ok(ListingMachine::new(Paginator::new(config, params)?, span))
}

/// Goes on with a listing of `R` (apps or accounts) of the configured account from a saved
/// [`Cursor`].
pub(crate) fn resume<R: Resource>(
    config: &Config,
    cursor: Cursor,
) -> Result<ListingMachine<R>, Error> {
    let span = tracing::debug_span!(
        "listing",
        operation = "resume",
        next = cursor.next.as_deref(),
        skip = cursor.skip
    );
    Ok(ListingMachine::new(
        Paginator::<R>::resuming(config, cursor)?,
        span,
    ))
}

/// Goes on with a listing of `account`'s apps from a saved [`Cursor`]; a cursor of any other
/// account's listing is refused before anything is sent.
pub(crate) fn resume_in(
    config: &Config,
    account: &AccountSid,
    cursor: Cursor,
) -> Result<ListingMachine, Error> {
    let span = tracing::debug_span!("listing", operation = "resume", account = %account);
    Ok(ListingMachine::new(
        Paginator::resuming_in(config, Some(account), cursor)?,
        span,
    ))
}

/// Lists the accounts the credentials see.
pub(crate) fn accounts(
    config: &Config,
    params: AccountListParams,
) -> Result<ListingMachine<Account>, Error> {
    let span = tracing::debug_span!("listing", operation = "accounts");
    Ok(ListingMachine::new(
        Paginator::accounts(config, params)?,
        span,
    ))
}
