//! The model: the API's resources and a listing's inputs and outputs, as plain data. No serde
//! visitor lives here (they are in the wire layer), and nothing here knows about HTTP.

pub(crate) mod account;
pub(crate) mod app;
pub(crate) mod listing;
pub(crate) mod page;
pub(crate) mod view;
