//! The machines: one per operation, each a state machine that owns no reference and says what
//! it wants next with one enum, [`Action`](crate::Action): `Send(request)`, `Wait(duration)`
//! or `Done(output)`. They decide attempts, retry waits, the shared 429 gate, paging and
//! parsing; a driver only moves bytes and waits.
//!
//! | machine | output | made by |
//! |---|---|---|
//! | [`Exchange`](crate::Exchange) | one request's response, after retries | `Exchange::new` |
//! | [`FetchApp`](crate::FetchApp) | one app | `Session::fetch` |
//! | [`FetchPage`](crate::FetchPage) | one page | `Session::page`, `Session::page_at` |
//! | [`ListingMachine`](crate::ListingMachine) | the next record (`None` at the end) | `Session::list`, `resume`, `accounts` |
//! | [`NextPage`](crate::NextPage) | the next page's response, for borrowed views | `ListingMachine::next_page` |
//! | [`SweepPlan`](crate::SweepPlan) | the next account to audit, as a job | `Session::sweep` |
//! | [`AccountJob`](crate::AccountJob) | one account's apps | `SweepPlan` |
//!
//! With OAuth client credentials, every exchange first asks the session's token (one refresh
//! in flight at a time, see `proto/token.rs`); the token request is one more exchange, sent by
//! whichever request claimed the refresh.
//!
//! ```text
//!            ┌─────────────┐  Send(request)   ┌───────────┐
//!  driver ──►│ machine.next│ ───────────────► │ transport │ ──► machine.handle(response)
//!    ▲       └─────────────┘  Wait(duration)  └───────────┘            │
//!    │              │ ───────────────► sleep ─────────────────────────┤
//!    │              └── Done(output) ──► the driver returns it         │
//!    └─────────────────────────────────────────────────────────────────┘
//! ```

pub(crate) mod action;
pub(crate) mod bearer;
pub(crate) mod call;
pub(crate) mod exchange;
pub(crate) mod gate;
pub(crate) mod listing;
pub(crate) mod paging;
pub(crate) mod session;
pub(crate) mod sweep;
pub(crate) mod token;
pub(crate) mod window;

#[cfg(test)]
mod tests;
