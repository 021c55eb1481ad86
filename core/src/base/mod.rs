//! Ground types that everything else builds on: validated SIDs, secrets, text excerpts and JSON
//! paths. They import nothing from the rest of the crate.

pub(crate) mod json_path;
pub(crate) mod meta;
pub(crate) mod redact;
pub(crate) mod secret;
pub(crate) mod sid;
pub(crate) mod text;
