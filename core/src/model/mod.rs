//! The model: the API's resources and a listing's inputs and outputs, as plain data. No serde
//! visitor lives here (they are in the wire layer), and nothing here knows about HTTP.

pub(crate) mod account;
pub(crate) mod app;
pub(crate) mod listing;
pub(crate) mod page;
pub(crate) mod view;

pub use crate::base::meta::{ResponseMeta, RetryAfter};
pub use crate::base::sid::{AccountSid, ApiKeySid, ConnectAppSid, SidKind, SidRule};
pub use account::{Account, AccountStatus};
pub use app::{AuthorizedConnectApp, Fetched, Permission};
pub use listing::{
    AccountApps, AccountListParams, Cursor, ListParams, PageRead, PartialAccount, SweepCursor,
    SweepParams,
};
pub use page::{Envelope, Page, PageParseError, PageView, PageViewError};
pub use view::{AppView, JsonStr, PermissionsView};
