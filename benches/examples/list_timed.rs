#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Lists every app of the account the environment names (`TWILIO_BASE_URL`,
//! `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`: a standalone emulator) in pages of 1,000 and
//! prints the in-process time in milliseconds and the count, for the side-by-side comparison
//! with Twilio's official libraries (`benches/peers/side_by_side.py`).
//!
//! ```text
//! cargo build --release -p twilio-connect-apps-benches --example list_timed
//! target/release/examples/list_timed ureq        # owned records, collected into a Vec
//! target/release/examples/list_timed ureq_views  # borrowed views, counted
//! target/release/examples/list_timed hyper | hyper_views
//! target/release/examples/list_timed ureq_floor  # the floor: the same pages read with ureq, not parsed
//! ```

use std::time::Instant;

use twilio_connect_apps::{Config, Error, ListParams};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "ureq".into());
    let config = Config::from_env().unwrap().with_compression(false);
    let params = ListParams::new().with_page_size(1000);
    let start = Instant::now();
    let n = match mode.as_str() {
        "ureq" => {
            let client = twilio_connect_apps_ureq::Client::new(config).unwrap();
            let apps: Vec<_> = client
                .list(params)
                .unwrap()
                .collect::<Result<_, Error>>()
                .unwrap();
            apps.len()
        }
        "ureq_views" => {
            let client = twilio_connect_apps_ureq::Client::new(config).unwrap();
            let mut listing = client.list(params).unwrap();
            let mut n = 0;
            while listing
                .next_page_with(|app| {
                    n += usize::from(app.connect_app_sid.is_some());
                    Ok::<(), Error>(())
                })
                .unwrap()
            {}
            n
        }
        "hyper" | "hyper_views" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = twilio_connect_apps_hyper::Client::new(config).unwrap();
                let mut listing = client.list(params).unwrap();
                if mode == "hyper" {
                    let mut apps = Vec::new();
                    while let Some(app) = listing.next().await {
                        apps.push(app.unwrap());
                    }
                    apps.len()
                } else {
                    let mut n = 0;
                    while listing
                        .next_page_with(|app| {
                            n += usize::from(app.connect_app_sid.is_some());
                            Ok::<(), Error>(())
                        })
                        .await
                        .unwrap()
                    {}
                    n
                }
            })
        }
        "ureq_floor" => floor(&config),
        other => panic!("unknown mode {other}"),
    };
    println!("{:.1} {n}", start.elapsed().as_secs_f64() * 1000.0);
}

/// The same pages fetched with a bare ureq agent on one connection, the next page's URI cut out
/// of the body with a string search, nothing parsed: what any client must spend on the wire
/// (and the emulator on serving). Counts the records by their SIDs.
fn floor(config: &Config) -> usize {
    use base64::Engine as _;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = std::env::var("TWILIO_BASE_URL").unwrap();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            config.account_sid(),
            std::env::var("TWILIO_AUTH_TOKEN").unwrap()
        ))
    );
    let mut next = Some(format!(
        "/2010-04-01/Accounts/{}/AuthorizedConnectApps.json?PageSize=1000",
        config.account_sid()
    ));
    let mut n = 0;
    while let Some(path) = next.take() {
        let mut r = agent
            .get(format!("{base}{path}"))
            .header("Authorization", &auth)
            .call()
            .unwrap();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        n += text.matches("\"connect_app_sid\":").count();
        next = text
            .rsplit_once("\"next_page_uri\":\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(uri, _)| uri.to_owned());
    }
    n
}
