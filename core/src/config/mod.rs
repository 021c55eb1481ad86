//! The configuration: credentials, the origin (with Twilio's edge/region rule), the proxy
//! rule, the retry policy, and how a transport connects.

pub(crate) mod connection;
pub(crate) mod credentials;
pub(crate) mod origin;
pub(crate) mod proxy;
pub(crate) mod retry;
pub(crate) mod settings;
