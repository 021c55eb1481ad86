//! The configuration: credentials, the origin (with Twilio's edge/region rule), the proxy
//! rule, and the retry policy with the parts of its decision (outcome, state, jitter).

pub(crate) mod credentials;
pub(crate) mod origin;
pub(crate) mod proxy;
pub(crate) mod retry;
pub(crate) mod settings;

pub use credentials::Credentials;
pub use origin::Origin;
pub use proxy::{HttpProxy, ProxyChoice};
pub use retry::{Jitter, Outcome, RetryDecision, RetryPolicy, RetryState};
pub use settings::{Config, default_user_agent};
