#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! `Client::from_env` honours `TWILIO_CA_CERT` in both transports, with one rule: the given
//! roots are the ones trusted (the CLI's `--ca-cert` and its docs say the same).

use twilio_connect_apps::error::TransportErrorKind;
use twilio_connect_apps::{Error, ListParams};
use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

fn lookup(base: String, ca: Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| match name {
        "TWILIO_ACCOUNT_SID" => Some(DEFAULT_ACCOUNT_SID.to_owned()),
        "TWILIO_AUTH_TOKEN" => Some(DEFAULT_AUTH_TOKEN.to_owned()),
        "TWILIO_BASE_URL" => Some(base.clone()),
        "TWILIO_CA_CERT" => ca.clone(),
        _ => None,
    }
}

fn both(base: &str, ca: Option<String>) -> [Result<usize, Error>; 2] {
    let ureq =
        twilio_connect_apps_ureq::ClientBuilder::from_env_with(lookup(base.into(), ca.clone()))
            .and_then(|b| b.proxy_from_env(false).build())
            .and_then(|c| {
                Ok(c.list(ListParams::new())?
                    .collect::<Result<Vec<_>, _>>()?
                    .len())
            });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside = rt.enter();
    let hyper = twilio_connect_apps_hyper::ClientBuilder::from_env_with(lookup(base.into(), ca))
        .and_then(|b| b.proxy_from_env(false).build())
        .and_then(|c| {
            rt.block_on(async {
                let mut apps = c.list(ListParams::new())?;
                let mut n = 0;
                while let Some(app) = apps.next().await {
                    app?;
                    n += 1;
                }
                Ok(n)
            })
        });
    [ureq, hyper]
}

#[test]
fn twilio_ca_cert_is_read_by_from_env_in_both_transports() {
    let emu = Emulator::start_tls();
    let path = std::env::temp_dir().join(format!("env-roots-{}.pem", emu.addr().port()));
    std::fs::write(&path, emu.ca_cert_pem().unwrap()).unwrap();
    for r in both(emu.base_url(), Some(path.display().to_string())) {
        assert_eq!(r.unwrap(), 4);
    }
    // Without it, the emulator's certificate is not trusted.
    for r in both(emu.base_url(), None) {
        assert!(matches!(r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::Tls));
    }
    // Another CA's root does not vouch for this server: only the given roots count.
    let other = Emulator::start_tls();
    let other_path =
        std::env::temp_dir().join(format!("env-roots-other-{}.pem", other.addr().port()));
    std::fs::write(&other_path, other.ca_cert_pem().unwrap()).unwrap();
    for r in both(emu.base_url(), Some(other_path.display().to_string())) {
        assert!(matches!(r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::Tls));
    }
    // A file that is not there, or not PEM, is an error that names it.
    for bad in ["/nonexistent/ca.pem".to_owned(), file!().to_owned()] {
        for r in both(emu.base_url(), Some(bad.clone())) {
            let e = r.unwrap_err().to_string();
            assert!(e.contains(&bad), "{e}");
        }
    }
}
