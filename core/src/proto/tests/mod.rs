//! The paging machine's own tests, beside the crate-internal types they drive: the
//! paginator on its own, and against a simulated server under proptest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic

mod paging;
mod sim_paging;
