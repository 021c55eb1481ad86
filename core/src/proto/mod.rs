//! The machines: one per operation, each a state machine that owns no reference and says what
//! it wants next with one enum, [`Action`](crate::Action): `Send(request)`, `Wait(duration)`
//! or `Done(output)`. They decide attempts, retry waits, the shared 429 gate, paging and
//! parsing; a driver only moves bytes and waits.
//!
//! | machine | output | made by |
//! |---|---|---|
//! | `Exchange` (internal) | one request's response, after retries, the gate and the token | every machine, inside |
//! | [`FetchApp`](crate::machine::FetchApp) | one app | `Session::fetch` |
//! | [`FetchPage`](crate::machine::FetchPage) | one page | `Session::page`, `Session::page_at` |
//! | [`ListingMachine`](crate::machine::ListingMachine) | the next record (`None` at the end) | `Session::list`, `resume`, `accounts` |
//! | [`NextPage`](crate::machine::NextPage) | the next page, for borrowed views | `ListingMachine::next_page` |
//! | [`SweepPlan`](crate::machine::SweepPlan) | the next account to audit, as a job | `Session::sweep` |
//! | [`AccountJob`](crate::machine::AccountJob) | one account's apps | `SweepPlan` |
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
pub(crate) mod context;
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
