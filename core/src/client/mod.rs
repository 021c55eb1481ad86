//! The clients: the transport contract, the builder, the client and listing handles (written
//! once over the flavour), and the two drivers, [`blocking`](crate::blocking) and
//! [`asynchronous`](crate::asynchronous).

pub mod asynchronous;
pub mod blocking;
pub(crate) mod builder;
pub(crate) mod handle;
pub(crate) mod sweep;
pub(crate) mod transport;
