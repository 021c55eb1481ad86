//! Fetching, errors, credentials, subaccounts, single pages, connection reuse.

use twilio_connect_apps::error::PagingError;
use twilio_connect_apps::wire::PageQuery;
use twilio_connect_apps::{Error, ListParams};
use twilio_connect_apps_testbed::{Account, App, DEFAULT_ACCOUNT_SID, Emulator};

use super::{emulator, emulator_with_apps};
use crate::support::*;

pub fn fetch_and_errors<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator(tls);
    let c: T = client(&emu);
    let app = c
        .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .unwrap();
    assert_eq!(app.connect_app_friendly_name(), Some("aaa"));
    assert_eq!(app.account_sid(), Some(DEFAULT_ACCOUNT_SID));
    assert_eq!(
        app.permissions().map(<[_]>::to_vec),
        Some(vec![twilio_connect_apps::Permission::GetAll])
    );
    let req = &emu.requests()[0];
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("accept-charset"), Some("utf-8"));
    assert!(
        req.header("user-agent")
            .unwrap()
            .starts_with("twilio-connect-apps/"),
        "{:?}",
        req.header("user-agent")
    );
    assert_eq!(req.tls, tls);

    let e = c
        .fetch(&"CN0000000000000000000000000000dead".parse().unwrap())
        .unwrap_err();
    let Error::Api(api) = &e else {
        panic!("{T}: {e:?}", T = T::NAME)
    };
    assert_eq!(
        (api.http_status.as_u16(), api.code, api.status),
        (404, Some(20404), Some(404))
    );
    assert_eq!(
        api.more_info.as_deref(),
        Some("https://www.twilio.com/docs/errors/20404")
    );
    assert_no_secret(&e);

    let bad: T = T::new(
        config_for(&emu, DEFAULT_ACCOUNT_SID, "wrong-token"),
        &emu,
        &Opts::default(),
    )
    .unwrap();
    let e = bad.list(ListParams::new()).unwrap().error.unwrap();
    assert_eq!(
        (e.status().map(|s| s.as_u16()), e.api_code()),
        (Some(401), Some(20003)),
        "{e}"
    );
    assert!(
        e.to_string().contains("20003") && e.to_string().contains("401"),
        "{e}"
    );
    // 4xx is not retried
    assert_eq!(emu.request_count(), 3);
}

pub fn api_key_and_subaccount<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let sub_sid = "AC00000000000000000000000000000002";
    let mut sub = Account::new(sub_sid, "sub-token");
    sub.parent = Some(DEFAULT_ACCOUNT_SID.into());
    sub.apps
        .push(App::new("CN00000000000000000000000000000009", "Sub app"));
    let key = "SK00000000000000000000000000000001";
    let emu = Emulator::builder()
        .tls(tls)
        .account(sub)
        .api_key(key, "key-secret", DEFAULT_ACCOUNT_SID)
        .start()
        .unwrap();
    let by_key: T = T::new(config_for(&emu, key, "key-secret"), &emu, &Opts::default()).unwrap();
    let listed = by_key.list(ListParams::new()).unwrap();
    assert!(listed.error.is_none());
    assert_eq!(listed.apps.len(), 4);
    let auth = emu.requests()[0]
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(auth.starts_with("Basic "));

    let parent: T = client(&emu);
    let sub_sid: twilio_connect_apps::AccountSid = sub_sid.parse().unwrap();
    let app = parent
        .fetch_in(
            &sub_sid,
            &"CN00000000000000000000000000000009".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(app.connect_app_friendly_name(), Some("Sub app"));
    let listed = parent
        .list(ListParams::new().with_account(sub_sid.clone()))
        .unwrap();
    assert_eq!(listed.sids(), ["CN00000000000000000000000000000009"]);
    let page = parent.page_in(&sub_sid, &PageQuery::new()).unwrap();
    assert_eq!(page.records.len(), 1);
    // the sample account's apps are not visible in the subaccount
    let e = parent
        .fetch_in(
            &sub_sid,
            &"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        )
        .unwrap_err();
    assert_eq!(e.api_code(), Some(20404));
}

pub fn connection_reuse<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator_with_apps(2345, tls);
    let c: T = client(&emu);
    let listed = c.list(ListParams::new().with_page_size(100)).unwrap();
    assert!(listed.error.is_none());
    assert_eq!(listed.sids(), generated_sids(2345));
    assert_eq!(emu.request_count(), 24);
    if let Some(most) = T::LISTING_CONNECTIONS {
        assert!(
            emu.connection_count() <= most,
            "{}: a sequential listing of 24 pages used {} connections",
            T::NAME,
            emu.connection_count()
        );
    }
}

pub fn pages<T: Harness>(tls: bool) {
    if tls && !T::TLS_AND_PROXY {
        return;
    }
    let emu = emulator_with_apps(25, tls);
    let c: T = client(&emu);
    let first = c.page(&PageQuery::new().with_page_size(10)).unwrap();
    assert_eq!(first.records.len(), 10);
    assert_eq!(
        (
            first.envelope.page,
            first.envelope.page_size,
            first.envelope.start,
            first.envelope.end
        ),
        (Some(0), Some(10), Some(0), Some(9))
    );
    let next = first.next_page_uri().unwrap().to_owned();
    let second = c.page_at(&next).unwrap();
    assert_eq!(second.envelope.page, Some(1));
    assert_eq!(
        second.records[0].connect_app_sid(),
        Some(generated_sids(25)[10].as_str())
    );
    let back = c.page_at(second.previous_page_uri().unwrap()).unwrap();
    assert_eq!(back.records, first.records);
    let e = c.page(&PageQuery::new().with_page_size(1001)).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    let before = emu.request_count();
    let e = c.page_at("https://example.com/2010-04-01/Accounts/AC00000000000000000000000000000001/AuthorizedConnectApps.json").unwrap_err();
    assert!(
        matches!(e, Error::Paging(PagingError::ForeignOrigin { .. })),
        "{e}"
    );
    assert_eq!(emu.request_count(), before, "nothing sent for a bad input");
}
