//! The wire: every serde visitor, the fast scanner, requests, responses and decoding. It turns
//! the model into `http::Request`s and `http::Response`s back into the model.

pub(crate) mod account;
pub(crate) mod decode;
pub(crate) mod envelope;
pub(crate) mod fields;
pub(crate) mod record;
pub(crate) mod request;
pub(crate) mod resource;
pub(crate) mod response;
pub(crate) mod scan;
pub(crate) mod token;
