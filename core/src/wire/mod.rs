//! The wire: every serde visitor, the fast scanner, requests, responses and decoding. It turns
//! the model into `http::Request`s and `http::Response`s back into the model.
//!
//! Public here: the request builders ([`fetch_request`], [`list_request`],
//! [`page_at_request`], [`token_request`], [`PageQuery`]), the parsing entry points
//! of a response ([`parse_app`], [`parse_page`], [`parse_page_with_limit`],
//! [`error_from_response`], [`response_meta`]) and of a body alone ([`page_from_json`],
//! [`page_from_json_with_limit`], [`view_page`]: borrowed views), and
//! what a transport reads a response with ([`BodyBuffer`], [`response_start`]). The machines
//! call all of these for you; call them yourself to build or read one message.

pub(crate) mod account;
pub(crate) mod body;
pub(crate) mod decode;
pub(crate) mod envelope;
pub(crate) mod fields;
pub(crate) mod interim;
pub(crate) mod record;
pub(crate) mod request;
pub(crate) mod resource;
pub(crate) mod response;
pub(crate) mod scan;
pub(crate) mod token;

pub use body::BodyBuffer;
pub use envelope::{page_from_json, page_from_json_with_limit, view_page};
pub use interim::{ResponseStart, response_start};
pub use request::{PageQuery, fetch_request, list_request, page_at_request, token_request};
pub use resource::Resource;
pub use response::{
    error_from_response, parse_app, parse_page, parse_page_with_limit, response_meta,
};
