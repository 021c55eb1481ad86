//! Sweeping every account.

use twilio_connect_apps_testbed::{
    DEFAULT_ACCOUNT_SID, Emulator, ErrorBody, Fault, FaultRule, FaultScript, Trigger,
};

use crate::support::*;

/// Every account (the parent and its subaccounts) read once, each with its own apps; a
/// subaccount that answers 403 is reported and the sweep goes on; no more than the
/// concurrency asked for at once; no auth token anywhere.
pub fn sweep<T: Harness>() {
    use twilio_connect_apps::SweepParams;
    use twilio_connect_apps::model::AccountStatus;
    let emu = Emulator::builder().subaccounts(30, 3).start().unwrap();
    let broken = "AC0000000000000000000000000000000c"; // subaccount 12
    emu.set_faults(
        FaultScript::new()
            .on(
                Trigger::PathContains(broken.into()),
                Fault::Status(403, ErrorBody::Twilio),
            )
            .on(Trigger::EveryNth(7), Fault::Status(503, ErrorBody::Html)),
    );
    let c: T = client(&emu);
    let results = c
        .sweep(
            SweepParams::new()
                .with_concurrency(3)
                .with_accounts(twilio_connect_apps::AccountListParams::new().with_page_size(10)),
        )
        .unwrap();
    let mut accounts: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    accounts.sort_by_key(|a| a.index);
    assert_eq!(
        accounts.len(),
        31,
        "{}: the parent and 30 subaccounts",
        T::NAME
    );
    for (i, a) in accounts.iter().enumerate() {
        assert_eq!(a.index, i as u64);
        let sid = a.account.sid.clone().unwrap();
        assert_eq!(sid, format!("AC{:032x}", i + 1));
        if sid == broken {
            let e = a.error.as_ref().unwrap();
            assert!(e.is_auth(), "{}: {e}", T::NAME);
            assert!(a.apps.is_empty());
        } else {
            assert!(a.error.is_none(), "{}: {sid}: {:?}", T::NAME, a.error);
            let want: Vec<String> = twilio_connect_apps_testbed::generate_apps(3, seed_of(&sid, i))
                .into_iter()
                .map(|x| x.connect_app_sid)
                .collect();
            let got: Vec<String> = a
                .apps
                .iter()
                .map(|x| x.connect_app_sid().map(str::to_owned).unwrap())
                .collect();
            assert_eq!(got, want, "{sid}");
            assert!(a.apps.iter().all(|x| x.account_sid() == Some(sid.as_str())));
        }
    }
    let shown = format!("{accounts:?}");
    assert!(
        !shown.contains("token-")
            && !shown.contains(twilio_connect_apps_testbed::DEFAULT_AUTH_TOKEN)
    );
    if let Some(most) = T::LISTING_CONNECTIONS {
        // the workers' connections, and the accounts listing's
        assert!(
            emu.peak_connections() <= 3 + most,
            "{}: {} connections at once",
            T::NAME,
            emu.peak_connections()
        );
    }
    // Only active accounts.
    let active = c
        .sweep(SweepParams::new().with_status(AccountStatus::Active))
        .unwrap();
    assert!(
        active
            .iter()
            .all(|r| r.as_ref().unwrap().account.is_active())
    );
    assert_eq!(
        active.len(),
        31 - 3,
        "every 10th subaccount is suspended (3 of 30)"
    );
    emu.set_faults(FaultScript::new());
}

/// The seed the emulator's data uses for an account's generated apps.
fn seed_of(sid: &str, index: usize) -> u64 {
    if index == 0 {
        return 1;
    }
    sid.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// An adaptive sweep on an account that allows 4 requests at once: it finds the limit from
/// Twilio's 429s (and the count they carry) and stays under it, so every account is read and
/// few requests are refused; a fixed sweep at 16 at once is refused far more often. The
/// waits are slept (short ones): what concurrent calls do after a 429 is the point. Finding
/// the limit costs about one round of refusals (slow start overshoots once), so the sweep is
/// long enough (200 subaccounts) for that to be a small share.
pub fn adaptive_sweep<T: Harness>() {
    use twilio_connect_apps::{AccountListParams, SweepParams};
    let emu = Emulator::builder()
        .subaccounts(200, 1)
        .concurrency_limit(4)
        .latency(std::time::Duration::from_millis(5))
        .start()
        .unwrap();
    let c: T = client_with(
        &emu,
        &Opts {
            sleep: true,
            retry: twilio_connect_apps::RetryPolicy::default()
                .with_base_delay(std::time::Duration::from_millis(20))
                .with_max_attempts(8),
            ..Opts::default()
        },
    );
    let accounts = AccountListParams::new().with_page_size(100);
    let results = c
        .sweep(SweepParams::adaptive().with_accounts(accounts.clone()))
        .unwrap();
    assert_eq!(results.len(), 201, "{}", T::NAME);
    for r in &results {
        let a = r.as_ref().unwrap();
        assert!(a.error.is_none(), "{}: {:?}", T::NAME, a.error);
        assert_eq!(a.apps.len(), 1);
    }
    let (adaptive_429s, adaptive_requests) = (emu.over_limit_count(), emu.request_count());
    eprintln!(
        "{}: adaptive sweep, {adaptive_429s} of {adaptive_requests} requests refused",
        T::NAME
    );
    // On loopback with real threads the count Twilio reports moves with scheduling, so a
    // few more are refused than in virtual time (sim/: 12 of 10,024 at this limit); 4 to 24
    // of about 210 here on a loaded 2-core machine.
    assert!(
        adaptive_429s * 5 <= adaptive_requests,
        "{}: {adaptive_429s} of {adaptive_requests} requests refused",
        T::NAME
    );
    emu.clear_log();
    let fixed_before = emu.over_limit_count();
    let _ = c
        .sweep(
            SweepParams::new()
                .with_concurrency(16)
                .with_accounts(accounts),
        )
        .unwrap();
    let fixed_429s = emu.over_limit_count() - fixed_before;
    eprintln!("{}: fixed sweep at 16, {fixed_429s} refused", T::NAME);
    assert!(
        fixed_429s > 2 * adaptive_429s,
        "{}: fixed at 16 refused {fixed_429s}, adaptive {adaptive_429s}",
        T::NAME
    );
}

/// An OAuth sweep over 400 subaccounts that all answer 401: one refresh for the refused
/// token, and none for its replacement (a 401 with a fresh token is that account's answer),
/// not a token request per account.
pub fn oauth_sweep_of_401s<T: Harness>() {
    use twilio_connect_apps::SweepParams;
    let emu = Emulator::builder()
        .subaccounts(400, 1)
        .oauth_client(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, DEFAULT_ACCOUNT_SID)
        .start()
        .unwrap();
    emu.add_fault(FaultRule::new(
        Trigger::PathContains("/AuthorizedConnectApps".into()),
        Fault::Status(401, ErrorBody::Twilio),
    ));
    let c: T = T::new(oauth_config(&emu), &emu, &Opts::default()).unwrap();
    let results = c.sweep(SweepParams::new().with_concurrency(16)).unwrap();
    assert_eq!(results.len(), 401);
    for r in results {
        let a = r.unwrap();
        assert!(
            a.error.as_ref().is_some_and(|e| e.is_auth()),
            "{:?}",
            a.error
        );
    }
    let tokens = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/token")
        .count();
    assert_eq!(tokens, 2, "{}: the first token and one refresh", T::NAME);
}
