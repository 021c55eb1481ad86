//! What `list` and `audit` share to read apps: the listing parameters built from the
//! arguments, a sweep's start (fresh or resumed), and the one in-order reader of a sweep.

use std::collections::BTreeMap;

use twilio_connect_apps::text::display_text;
use twilio_connect_apps::{AccountApps, AccountSid, Error, ListParams, SweepCursor, SweepParams};
use twilio_connect_apps_client::blocking::Sweep;

use crate::args::{Accounts, Concurrency};
use crate::failure::Failure;
use crate::resume::SweepToken;
use crate::setup::{Setup, usage, usage_from};
use crate::transport::Chosen;

/// The listing parameters from the arguments: the account (when one is named), the page size
/// and the limit (`list` only). The one place they are built.
pub(crate) fn list_params(
    account: Option<&AccountSid>,
    page_size: Option<u32>,
    limit: Option<u64>,
) -> ListParams {
    let mut params = ListParams::new();
    if let Some(account) = account {
        params = params.with_account(account.clone());
    }
    if let Some(s) = page_size {
        params = params.with_page_size(s);
    }
    if let Some(l) = limit {
        params = params.with_limit(l);
    }
    params
}

/// The sweep's parameters from the flags.
pub(crate) fn sweep_params(accounts: &Accounts, page_size: Option<u32>) -> SweepParams {
    let mut params = match accounts.concurrency {
        Some(Concurrency::Fixed(n)) => SweepParams::new().with_concurrency(n),
        Some(Concurrency::Auto) | None => SweepParams::adaptive(),
    }
    .with_apps(list_params(None, page_size, None));
    if let Some(status) = accounts.status {
        params = params.with_status(status.into());
    }
    params
}

/// A sweep's start: fresh, or from a `--resume` token (bound to the parent account).
pub(crate) fn start_sweep(
    setup: &Setup,
    params: SweepParams,
    resume: Option<SweepToken>,
) -> Result<(Sweep<Chosen>, SweepCursor), Failure> {
    if setup.account.is_some() {
        // clap cannot see a subcommand's flag conflict with a global one.
        return Err(Failure::Usage(
            "--all-accounts reads every account: it does not go with --account-sid".into(),
        ));
    }
    let client = &setup.client;
    let parent = client.config().account_sid().to_string();
    match resume {
        Some(token) => {
            if token.parent != parent {
                return Err(Failure::Usage(format!(
                    "--resume: this token goes on with the sweep of {}'s accounts, but the account in effect is {parent}",
                    display_text(&token.parent, 40)
                )));
            }
            let start = token.sweep.clone();
            let sweep = client
                .resume_sweep(params, token.sweep)
                .map_err(|e| usage_from(&e, "--resume"))?;
            Ok((sweep, start))
        }
        None => {
            let accounts = params.accounts().clone();
            let start = SweepCursor {
                accounts: client.session().accounts(accounts).map_err(usage)?.cursor(),
                partial: None,
                index: 0,
            };
            Ok((client.sweep(params).map_err(usage)?, start))
        }
    }
}

/// How reading a sweep in order ended.
pub(crate) struct Ended {
    /// Where the sweep stands: the accounts before it were all handed to the reader.
    pub(crate) position: SweepCursor,
    /// The accounts listing failed (what was being done, the error): nothing more was handed
    /// out after it, but the accounts in flight still came.
    pub(crate) stopped: Option<(String, Error)>,
}

/// Hands the sweep's accounts to `each` in the accounts listing's order (they complete in any
/// order), so that a run that stops part-way has handled exactly the accounts before the
/// position it ends at, and a resumed run goes on with the next.
pub(crate) fn in_order(
    setup: &Setup,
    sweep: impl IntoIterator<Item = Result<AccountApps, Error>>,
    start: SweepCursor,
    mut each: impl FnMut(AccountApps) -> Result<(), Failure>,
) -> Result<Ended, Failure> {
    let mut waiting = BTreeMap::new();
    let mut next = start.index;
    let mut ended = Ended {
        position: start,
        stopped: None,
    };
    for result in sweep {
        let done = match result {
            Ok(done) => done,
            Err(error) => {
                ended.stopped = Some((format!("listing the accounts at {}", setup.place()), error));
                continue;
            }
        };
        waiting.insert(done.index, done);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            if let Some(accounts) = done.accounts_cursor.clone() {
                ended.position = SweepCursor {
                    accounts,
                    partial: None,
                    index: next,
                };
            }
            each(done)?;
        }
    }
    Ok(ended)
}
