#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic
//! The emulator checked over real sockets with a plain HTTP client (ureq, no client crate
//! involved) against Twilio's OpenAPI description in `tests/spec/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use twilio_connect_apps_testbed::{
    Account, App, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Dataset, Emulator, ErrorBody, Fault,
    FaultRule, FaultScript, RetryAfter, Trigger,
};

const SPEC: &str = include_str!("../spec/twilio_api_v2010_authorized_connect_apps.json");
const LIST_PATH: &str = "/2010-04-01/Accounts/{AccountSid}/AuthorizedConnectApps.json";
const FETCH_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/AuthorizedConnectApps/{ConnectAppSid}.json";

fn spec() -> Value {
    serde_json::from_str(SPEC).unwrap()
}

fn agent(ca_der: Option<&[u8]>) -> ureq::Agent {
    let mut cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)));
    if let Some(der) = ca_der {
        let cert = ureq::tls::Certificate::from_der(der).to_owned();
        cfg = cfg.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
                .build(),
        );
    }
    cfg.build().into()
}

struct Got {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn get(agent: &ureq::Agent, url: &str, auth: Option<(&str, &str)>) -> Result<Got, ureq::Error> {
    let mut req = agent.get(url);
    if let Some((u, p)) = auth {
        req = req.header("Authorization", &basic(u, p));
    }
    let mut resp = req.call()?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.body_mut().with_config().limit(1 << 30).read_to_vec()?;
    Ok(Got {
        status,
        headers,
        body,
    })
}

fn default_auth() -> Option<(&'static str, &'static str)> {
    Some((DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN))
}

fn list_url(emu: &Emulator, account: &str, query: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{account}/AuthorizedConnectApps.json{query}",
        emu.base_url()
    )
}

/// A small validator for the subset of OpenAPI schema the spec uses.
fn check_schema(spec: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check_schema(spec, &spec["components"]["schemas"][name], value, at);
    }
    if value.is_null() {
        assert_eq!(
            schema.get("nullable"),
            Some(&Value::Bool(true)),
            "{at} is null but not nullable"
        );
        return;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let obj = value
                .as_object()
                .unwrap_or_else(|| panic!("{at} is not an object"));
            // A free-form object (`subresource_uris`, a uri-map) lists no properties.
            let Some(props) = schema["properties"].as_object() else {
                return;
            };
            for (k, v) in obj {
                let sub = props
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} is not in the spec"));
                check_schema(spec, sub, v, &format!("{at}.{k}"));
            }
        }
        Some("array") => {
            for (i, v) in value
                .as_array()
                .unwrap_or_else(|| panic!("{at} is not an array"))
                .iter()
                .enumerate()
            {
                check_schema(spec, &schema["items"], v, &format!("{at}[{i}]"));
            }
        }
        Some("integer") => assert!(value.is_i64() || value.is_u64(), "{at} is not an integer"),
        Some("boolean") => assert!(value.is_boolean(), "{at} is not a boolean"),
        Some("string") => {
            let s = value
                .as_str()
                .unwrap_or_else(|| panic!("{at} is not a string: {value}"));
            if let Some(n) = schema.get("minLength").and_then(Value::as_u64) {
                assert!(s.chars().count() as u64 >= n, "{at} shorter than {n}");
            }
            if let Some(n) = schema.get("maxLength").and_then(Value::as_u64) {
                assert!(s.chars().count() as u64 <= n, "{at} longer than {n}");
            }
            if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
                // The spec's patterns are all `^XX[0-9a-fA-F]{32}$`.
                let prefix = p
                    .strip_prefix('^')
                    .and_then(|p| p.strip_suffix("[0-9a-fA-F]{32}$"))
                    .expect("known pattern");
                assert!(
                    twilio_connect_apps_testbed::is_sid(s, prefix),
                    "{at} = {s} does not match {p}"
                );
            }
            if let Some(e) = schema.get("enum").and_then(Value::as_array) {
                assert!(
                    e.iter().any(|x| x == value),
                    "{at} = {s} is not one of {e:?}"
                );
            }
            if schema.get("format").and_then(Value::as_str) == Some("uri") && at.ends_with("_uri") {
                assert!(
                    s.starts_with('/'),
                    "{at} = {s} is not relative to the API origin"
                );
            }
        }
        other => panic!("schema type {other:?} at {at}"),
    }
}

fn list_schema(spec: &Value) -> Value {
    spec["paths"][LIST_PATH]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        .clone()
}

#[test]
fn spec_examples_are_reproduced_exactly() {
    let spec = spec();
    let ac = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let example = &spec["paths"][FETCH_PATH]["get"]["responses"]["200"]["content"]["application/json"]
        ["examples"]["fetch"]["value"];
    let app: App = serde_json::from_value(example.clone()).unwrap();
    let mut with_app = Account::new(ac, "tok");
    with_app.apps.push(app);
    let empty = Account::new("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "tok2");
    let emu = Emulator::builder()
        .dataset(Dataset {
            accounts: vec![with_app, empty],
            api_keys: vec![],
        })
        .start()
        .unwrap();
    let a = agent(None);
    let url = format!(
        "{}/2010-04-01/Accounts/{ac}/AuthorizedConnectApps/CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
        emu.base_url()
    );
    let got = get(&a, &url, Some((ac, "tok"))).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(&got.json(), example);
    assert!(
        got.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let examples = &spec["paths"][LIST_PATH]["get"]["responses"]["200"]["content"]["application/json"]
        ["examples"];
    let got = get(
        &a,
        &list_url(&emu, "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", ""),
        Some(("ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "tok2")),
    )
    .unwrap();
    let want = serde_json::to_string(&examples["readEmpty"]["value"])
        .unwrap()
        .replace(
            "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        );
    assert_eq!(got.json(), serde_json::from_str::<Value>(&want).unwrap());

    // readFull: same records and fields; its next/previous URIs are illustrative (one record,
    // yet a next page), so those are checked for shape only.
    let got = get(&a, &list_url(&emu, ac, "?PageSize=50"), Some((ac, "tok")))
        .unwrap()
        .json();
    let full = &examples["readFull"]["value"];
    assert_eq!(
        got["authorized_connect_apps"],
        full["authorized_connect_apps"]
    );
    for k in ["end", "first_page_uri", "page", "page_size", "start", "uri"] {
        assert_eq!(got[k], full[k], "{k}");
    }
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&got), keys(full));
    assert_eq!(got["next_page_uri"], Value::Null);
}

#[test]
fn pages_follow_the_spec_and_walk_every_record_once() {
    let spec = spec();
    let schema = list_schema(&spec);
    let emu = Emulator::builder().generated_apps(23).start().unwrap();
    let a = agent(None);
    let mut url = list_url(&emu, DEFAULT_ACCOUNT_SID, "?PageSize=7");
    let mut seen = Vec::new();
    let mut page_no = 0;
    loop {
        let page = get(&a, &url, default_auth()).unwrap().json();
        // Generated data holds unknown permissions on purpose; check the envelope and all else.
        let mut strict = page.clone();
        for app in strict["authorized_connect_apps"].as_array_mut().unwrap() {
            app["permissions"] = Value::Null;
        }
        check_schema(&spec, &schema, &strict, "$");
        assert_eq!(page["page"], page_no);
        assert_eq!(page["page_size"], 7);
        let n = page["authorized_connect_apps"].as_array().unwrap().len();
        assert_eq!(page["start"], page_no * 7);
        assert_eq!(page["end"], page_no * 7 + n - 1);
        for app in page["authorized_connect_apps"].as_array().unwrap() {
            seen.push(app["connect_app_sid"].as_str().unwrap().to_owned());
            assert_eq!(app["account_sid"], DEFAULT_ACCOUNT_SID);
        }
        if page_no > 0 {
            assert!(page["previous_page_uri"].is_string());
        }
        match page["next_page_uri"].as_str() {
            Some(next) => {
                assert!(next.contains("PageToken="), "{next}");
                url = format!("{}{next}", emu.base_url());
                page_no += 1;
            }
            None => break,
        }
    }
    assert_eq!(page_no, 3);
    let want: Vec<String> = twilio_connect_apps_testbed::generate_apps(23, 1)
        .into_iter()
        .map(|a| a.connect_app_sid)
        .collect();
    assert_eq!(seen, want);
}

#[test]
fn sample_data_conforms_to_the_spec_including_enums() {
    let spec = spec();
    let emu = Emulator::start();
    let page = get(
        &agent(None),
        &list_url(&emu, DEFAULT_ACCOUNT_SID, ""),
        default_auth(),
    )
    .unwrap()
    .json();
    check_schema(&spec, &list_schema(&spec), &page, "$");
    assert_eq!(page["page_size"], 50, "server default page size");
    let apps = page["authorized_connect_apps"].as_array().unwrap();
    assert!(apps.iter().any(|a| {
        a["permissions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("post-all"))
    }));
}

#[test]
fn parameters_out_of_bounds_and_missing_tokens_are_refused() {
    let emu = Emulator::builder().generated_apps(1500).start().unwrap();
    let a = agent(None);
    for q in [
        "?PageSize=0",
        "?PageSize=1001",
        "?PageSize=abc",
        "?Page=-1",
        "?Page=2",
        "?Page=1&PageToken=bogus",
        "?PageToken=PA10-00000000",
    ] {
        let got = get(&a, &list_url(&emu, DEFAULT_ACCOUNT_SID, q), default_auth()).unwrap();
        assert_eq!(got.status, 400, "{q}");
        let e = got.json();
        assert_eq!(e["status"], 400);
        assert!(
            e["code"].is_u64() && e["message"].is_string() && e["more_info"].is_string(),
            "{e}"
        );
    }
    for (q, n) in [("?PageSize=1", 1), ("?PageSize=1000", 1000), ("", 50)] {
        let got = get(&a, &list_url(&emu, DEFAULT_ACCOUNT_SID, q), default_auth())
            .unwrap()
            .json();
        assert_eq!(
            got["authorized_connect_apps"].as_array().unwrap().len(),
            n,
            "{q}"
        );
    }
}

#[test]
fn auth_accounts_subaccounts_and_api_keys() {
    let parent = DEFAULT_ACCOUNT_SID;
    let sub_sid = "AC00000000000000000000000000000002";
    let other_sid = "AC00000000000000000000000000000003";
    let mut sub = Account::new(sub_sid, "sub-token");
    sub.parent = Some(parent.into());
    sub.apps
        .push(App::new("CN00000000000000000000000000000009", "Sub app"));
    let other = Account::new(other_sid, "other-token");
    let key = "SK00000000000000000000000000000001";
    let emu = Emulator::builder()
        .account(sub)
        .account(other)
        .api_key(key, "key-secret", parent)
        .start()
        .unwrap();
    let a = agent(None);
    let status_code = |url: &str, auth: Option<(&str, &str)>| {
        let g = get(&a, url, auth).unwrap();
        let code = if g.body.is_empty() {
            Value::Null
        } else {
            g.json()["code"].clone()
        };
        (g.status, code)
    };
    let mine = list_url(&emu, parent, "");
    assert_eq!(status_code(&mine, default_auth()).0, 200);
    assert_eq!(status_code(&mine, None), (401, Value::from(20003)));
    assert_eq!(
        status_code(&mine, Some((parent, "wrong"))),
        (401, Value::from(20003))
    );
    assert_eq!(status_code(&mine, Some((key, "key-secret"))).0, 200);
    assert_eq!(
        status_code(&mine, Some((key, "nope"))),
        (401, Value::from(20003))
    );
    // parent reads its subaccount; the subaccount cannot read its parent or a stranger
    assert_eq!(
        status_code(&list_url(&emu, sub_sid, ""), default_auth()).0,
        200
    );
    assert_eq!(
        status_code(&list_url(&emu, sub_sid, ""), Some((key, "key-secret"))).0,
        200
    );
    assert_eq!(
        status_code(&list_url(&emu, parent, ""), Some((sub_sid, "sub-token"))),
        (403, Value::from(20003))
    );
    assert_eq!(
        status_code(&list_url(&emu, other_sid, ""), default_auth()),
        (403, Value::from(20003))
    );
    assert_eq!(
        status_code(
            &list_url(&emu, "AC0000000000000000000000000000ffff", ""),
            default_auth()
        ),
        (404, Value::from(20404))
    );
    assert_eq!(
        status_code(&list_url(&emu, "ACnot-a-sid", ""), default_auth()),
        (404, Value::from(20404))
    );
    let fetch = |acct: &str, cn: &str| {
        format!(
            "{}/2010-04-01/Accounts/{acct}/AuthorizedConnectApps/{cn}.json",
            emu.base_url()
        )
    };
    assert_eq!(
        status_code(
            &fetch(sub_sid, "CN00000000000000000000000000000009"),
            default_auth()
        )
        .0,
        200
    );
    assert_eq!(
        status_code(
            &fetch(parent, "CN00000000000000000000000000000009"),
            default_auth()
        ),
        (404, Value::from(20404))
    );
    assert_eq!(
        status_code(&fetch(parent, "CN123"), default_auth()),
        (404, Value::from(20404))
    );
    assert_eq!(
        status_code(
            &format!("{}/2010-04-01/Accounts/{parent}/Calls.json", emu.base_url()),
            default_auth()
        ),
        (404, Value::from(20404))
    );
    assert_eq!(
        status_code(&format!("{}/", emu.base_url()), None),
        (404, Value::from(20404))
    );

    // other methods: 405 in the envelope
    for method in ["POST", "DELETE", "PUT"] {
        let req = http::Request::builder()
            .method(method)
            .uri(&mine)
            .header("Authorization", basic(parent, DEFAULT_AUTH_TOKEN))
            .body(())
            .unwrap();
        let mut resp = a.run(req).unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method}");
        let e: Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
        assert_eq!(e["code"], 20004);
    }
}

#[test]
fn request_log_records_requests_headers_and_connections() {
    let emu = Emulator::start();
    let a = agent(None);
    for _ in 0..3 {
        get(
            &a,
            &list_url(&emu, DEFAULT_ACCOUNT_SID, "?PageSize=2"),
            default_auth(),
        )
        .unwrap();
    }
    get(&agent(None), &list_url(&emu, DEFAULT_ACCOUNT_SID, ""), None).unwrap();
    let log = emu.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(emu.request_count(), 4);
    assert_eq!(log[0].method, "GET");
    assert_eq!(
        log[0].path,
        format!("/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/AuthorizedConnectApps.json")
    );
    assert_eq!(log[0].query.as_deref(), Some("PageSize=2"));
    assert_eq!(log[0].query_param("PageSize").as_deref(), Some("2"));
    assert_eq!(
        log[0].header("Authorization"),
        Some(basic(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN).as_str())
    );
    assert_eq!(log[3].header("authorization"), None);
    // one agent keeps one connection alive; the second agent opened another
    assert_eq!(log[0].connection, log[2].connection);
    assert_ne!(log[0].connection, log[3].connection);
    assert_eq!(emu.connection_count(), 2);
}

#[test]
fn every_fault_kind_shows_up_on_the_wire() {
    let emu = Emulator::builder().generated_apps(30).start().unwrap();
    let a = agent(None);
    let url = list_url(&emu, DEFAULT_ACCOUNT_SID, "?PageSize=10");
    let normal = get(&a, &url, default_auth()).unwrap().body;
    let once = |f: Fault| {
        emu.set_faults(FaultScript::new().rule(FaultRule::new(Trigger::Always, f).times(1)))
    };

    once(Fault::TooManyRequests(RetryAfter::Seconds(3)));
    let g = get(&a, &url, default_auth()).unwrap();
    assert_eq!(
        (g.status, g.json()["code"].clone()),
        (429, Value::from(20429))
    );
    assert_eq!(g.headers["retry-after"], "3");

    once(Fault::TooManyRequests(RetryAfter::Date(
        Duration::from_secs(120),
    )));
    let g = get(&a, &url, default_auth()).unwrap();
    let date = httpdate::parse_http_date(g.headers["retry-after"].to_str().unwrap()).unwrap();
    assert!(date > std::time::SystemTime::now() + Duration::from_secs(60));

    for (code, body) in [
        (500, ErrorBody::Empty),
        (502, ErrorBody::Html),
        (503, ErrorBody::Html),
        (504, ErrorBody::Twilio),
        (503, ErrorBody::Problem),
    ] {
        once(Fault::Status(code, body));
        let g = get(&a, &url, default_auth()).unwrap();
        assert_eq!(g.status, code);
        match body {
            ErrorBody::Empty => assert!(g.body.is_empty()),
            ErrorBody::Html => assert!(String::from_utf8_lossy(&g.body).contains("<html>")),
            ErrorBody::Twilio => assert_eq!(g.json()["status"], code),
            ErrorBody::Problem => {
                assert_eq!(g.headers["content-type"], "application/problem+json");
                let doc = g.json();
                assert_eq!(
                    (doc["status"].clone(), doc["code"].clone()),
                    (Value::from(code), Value::from(20503))
                );
                for key in ["type", "title", "detail", "instance"] {
                    assert!(doc[key].is_string(), "{key}: {doc}");
                }
                assert!(doc["errors"].is_array());
            }
        }
    }

    for f in [
        Fault::CloseBeforeResponse,
        Fault::ResetMidBody,
        Fault::TruncatedBody,
    ] {
        once(f.clone());
        assert!(
            get(&a, &url, default_auth()).is_err(),
            "{f:?} must fail the read"
        );
        // the server goes on serving
        assert_eq!(
            get(&agent(None), &url, default_auth()).unwrap().body,
            normal
        );
    }

    once(Fault::Delay(Duration::from_millis(300)));
    let t = Instant::now();
    assert_eq!(get(&a, &url, default_auth()).unwrap().body, normal);
    assert!(t.elapsed() >= Duration::from_millis(300));

    once(Fault::Trickle {
        chunk: 512,
        interval: Duration::from_millis(5),
    });
    assert_eq!(get(&a, &url, default_auth()).unwrap().body, normal);

    once(Fault::Oversized(3 << 20));
    let g = get(&a, &url, default_auth()).unwrap();
    assert_eq!(g.body.len(), 3 << 20);
    assert!(
        serde_json::from_slice::<Value>(&g.body).is_ok(),
        "oversized body is still valid JSON"
    );

    once(Fault::MalformedJson);
    let g = get(&a, &url, default_auth()).unwrap();
    assert_eq!(g.status, 200);
    assert!(serde_json::from_slice::<Value>(&g.body).is_err());

    once(Fault::Redirect(302, "http://127.0.0.1:9/elsewhere".into()));
    let g = get(&a, &url, default_auth()).unwrap();
    assert_eq!(g.status, 302);
    assert_eq!(g.headers["location"], "http://127.0.0.1:9/elsewhere");

    once(Fault::ForeignNextPage("http://127.0.0.1:9".into()));
    let g = get(&a, &url, default_auth()).unwrap().json();
    assert!(
        g["next_page_uri"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:9/2010-04-01/")
    );

    once(Fault::RepeatNextPage);
    let g = get(&a, &url, default_auth()).unwrap().json();
    assert_eq!(g["next_page_uri"], g["uri"]);

    // and back to normal
    assert_eq!(get(&a, &url, default_auth()).unwrap().body, normal);
}

#[test]
fn triggers_select_the_right_requests() {
    let emu = Emulator::start();
    let a = agent(None);
    let url = list_url(&emu, DEFAULT_ACCOUNT_SID, "");
    let statuses = |n: usize| -> Vec<u16> {
        (0..n)
            .map(|_| get(&a, &url, default_auth()).unwrap().status)
            .collect()
    };

    emu.set_faults(FaultScript::new().on(Trigger::Nth(2), Fault::Status(503, ErrorBody::Empty)));
    assert_eq!(statuses(3), [200, 503, 200]);

    emu.set_faults(
        FaultScript::new().on(Trigger::EveryNth(3), Fault::Status(500, ErrorBody::Empty)),
    );
    // a rule counts from when it was armed: the 3rd and 6th requests from here
    assert_eq!(statuses(6), [200, 200, 500, 200, 200, 500]);

    emu.set_faults(FaultScript::new().on(
        Trigger::PathContains("PageSize=5".into()),
        Fault::Status(502, ErrorBody::Html),
    ));
    assert_eq!(statuses(1), [200]);
    assert_eq!(
        get(
            &a,
            &list_url(&emu, DEFAULT_ACCOUNT_SID, "?PageSize=5"),
            default_auth()
        )
        .unwrap()
        .status,
        502
    );

    let random = || {
        FaultScript::new().on(
            Trigger::Random {
                fraction: 0.3,
                seed: 42,
            },
            Fault::Status(503, ErrorBody::Empty),
        )
    };
    emu.set_faults(random());
    let first = statuses(200);
    emu.set_faults(random());
    assert_eq!(statuses(200), first, "same seed, same choices");
    let hits = first.iter().filter(|s| **s == 503).count();
    assert!((30..=90).contains(&hits), "{hits} of 200 at 30%");

    emu.set_faults(
        FaultScript::new()
            .rule(FaultRule::new(Trigger::Always, Fault::Status(503, ErrorBody::Empty)).times(2)),
    );
    assert_eq!(statuses(3), [503, 503, 200]);
}

#[test]
fn faults_added_in_process_count_from_then_and_the_log_names_the_rule() {
    let emu = Emulator::start();
    let a = agent(None);
    let url = list_url(&emu, DEFAULT_ACCOUNT_SID, "");
    for _ in 0..3 {
        assert_eq!(get(&a, &url, default_auth()).unwrap().status, 200);
    }
    emu.add_fault("nth=2:status=503/twilio:times=1".parse().unwrap());
    let seen: Vec<u16> = (0..3)
        .map(|_| get(&a, &url, default_auth()).unwrap().status)
        .collect();
    assert_eq!(seen, [200, 503, 200]);
    let rules = emu.faults();
    assert_eq!((rules[0].fired(), rules[0].remaining()), (1, Some(0)));
    let log = emu.requests();
    let faulted: Vec<_> = log.iter().filter_map(|r| r.fault.as_deref()).collect();
    assert_eq!(faulted, ["#1 nth=2:status=503/twilio:times=1"]);
    assert_eq!(log.iter().position(|r| r.fault.is_some()), Some(4));
    emu.clear_faults();
    assert!(emu.faults().is_empty());
}

#[test]
fn tls_with_the_emulators_root_and_not_without() {
    let emu = Emulator::start_tls();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let der = emu.ca_cert_der().unwrap();
    assert!(
        emu.ca_cert_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let got = get(
        &agent(Some(der)),
        &list_url(&emu, DEFAULT_ACCOUNT_SID, ""),
        default_auth(),
    )
    .unwrap();
    assert_eq!(got.status, 200);
    assert!(emu.requests()[0].tls);
    assert!(
        get(
            &agent(None),
            &list_url(&emu, DEFAULT_ACCOUNT_SID, ""),
            default_auth()
        )
        .is_err()
    );
}

#[test]
fn dropping_the_handle_frees_the_port_and_many_run_at_once() {
    let emus: Vec<Emulator> = (0..8).map(|_| Emulator::start()).collect();
    let ports: std::collections::HashSet<u16> = emus.iter().map(|e| e.addr().port()).collect();
    assert_eq!(ports.len(), 8);
    let port = emus[0].addr().port();
    drop(emus);
    let again = Emulator::builder().port(port).start().unwrap();
    assert_eq!(again.addr().port(), port);
}

#[test]
fn standalone_binary_prints_env_lines_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twilio-emulator"))
        .args(["--port", "0", "--tls", "--apps", "5"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut vars = std::collections::HashMap::new();
    for _ in 0..4 {
        let line = lines.next().unwrap().unwrap();
        let (k, v) = line.split_once('=').unwrap();
        vars.insert(k.to_owned(), v.to_owned());
    }
    let base = &vars["TWILIO_BASE_URL"];
    assert!(
        base.starts_with("https://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );
    let pem = std::fs::read(&vars["TWILIO_CA_CERT"]).unwrap();
    let cert = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let a: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
                .build(),
        )
        .build()
        .into();
    let url = format!(
        "{base}/2010-04-01/Accounts/{}/AuthorizedConnectApps.json",
        vars["TWILIO_ACCOUNT_SID"]
    );
    let got = get(
        &a,
        &url,
        Some((&vars["TWILIO_ACCOUNT_SID"], &vars["TWILIO_AUTH_TOKEN"])),
    )
    .unwrap()
    .json();
    assert_eq!(got["authorized_connect_apps"].as_array().unwrap().len(), 5);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(lines.next().is_none(), "nothing else on stdout");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("GET /2010-04-01/Accounts/"),
        "requests are logged on stderr: {err}"
    );
}

#[test]
fn meta_envelope_option_uses_absolute_urls() {
    let emu = Emulator::builder()
        .generated_apps(30)
        .meta_envelope(true)
        .start()
        .unwrap();
    let a = agent(None);
    let page = get(
        &a,
        &list_url(&emu, DEFAULT_ACCOUNT_SID, "?PageSize=10"),
        default_auth(),
    )
    .unwrap()
    .json();
    assert_eq!(
        page["authorized_connect_apps"].as_array().unwrap().len(),
        10
    );
    let meta = &page["meta"];
    assert_eq!(meta["key"], "authorized_connect_apps");
    assert_eq!(
        (meta["page"].clone(), meta["page_size"].clone()),
        (Value::from(0), Value::from(10))
    );
    assert_eq!(meta["previous_page_url"], Value::Null);
    let next = meta["next_page_url"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/2010-04-01/", emu.base_url())),
        "{next}"
    );
    assert!(page.get("next_page_uri").is_none() && page.get("start").is_none());
    let second = get(&a, next, default_auth()).unwrap().json();
    assert_eq!(second["meta"]["page"], 1);
}

#[test]
fn accounts_list_follows_its_spec_with_filters_paging_and_auth() {
    let spec: Value =
        serde_json::from_str(include_str!("../spec/twilio_api_v2010_accounts.json")).unwrap();
    let emu = Emulator::builder().subaccounts(25, 1).start().unwrap();
    let a = agent(None);
    let url = |q: &str| format!("{}/2010-04-01/Accounts.json{q}", emu.base_url());
    // Every record conforms to the Account schema, auth_token included (as Twilio sends it).
    let page = get(&a, &url("?PageSize=10"), default_auth()).unwrap();
    assert_eq!(page.status, 200);
    let body = page.json();
    let schema = &spec["components"]["schemas"]["api.v2010.account"];
    let records = body["accounts"].as_array().unwrap();
    assert_eq!(records.len(), 10);
    for (i, r) in records.iter().enumerate() {
        check_schema(&spec, schema, r, &format!("accounts[{i}]"));
        assert!(r["auth_token"].as_str().is_some_and(|t| !t.is_empty()));
    }
    assert_eq!(records[0]["sid"], DEFAULT_ACCOUNT_SID, "the parent first");
    assert_eq!(records[1]["owner_account_sid"], DEFAULT_ACCOUNT_SID);
    // Paging walks all 26 once.
    let mut seen = Vec::new();
    let mut next = Some(url("?PageSize=10"));
    while let Some(u) = next {
        let p = get(&a, &u, default_auth()).unwrap().json();
        seen.extend(
            p["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["sid"].as_str().unwrap().to_owned()),
        );
        next = p["next_page_uri"]
            .as_str()
            .map(|n| format!("{}{n}", emu.base_url()));
    }
    assert_eq!(seen.len(), 26);
    seen.dedup();
    assert_eq!(seen.len(), 26);
    // Filters.
    let suspended = get(&a, &url("?Status=suspended"), default_auth())
        .unwrap()
        .json();
    assert_eq!(suspended["accounts"].as_array().unwrap().len(), 2);
    let named = get(
        &a,
        &url("?FriendlyName=Client%205%20%C2%ABLtd%C2%BB"),
        default_auth(),
    )
    .unwrap()
    .json();
    assert_eq!(
        named["accounts"][0]["sid"],
        "AC00000000000000000000000000000005"
    );
    assert_eq!(
        get(&a, &url("?Status=paused"), default_auth())
            .unwrap()
            .status,
        400
    );
    // A subaccount's own credentials see only itself; bad credentials nothing.
    let sub = get(
        &a,
        &url(""),
        Some(("AC00000000000000000000000000000003", "token-3")),
    )
    .unwrap()
    .json();
    assert_eq!(sub["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&a, &url(""), Some((DEFAULT_ACCOUNT_SID, "wrong")))
            .unwrap()
            .status,
        401
    );
}

/// Twilio's response headers on every answer (a new request id each time), and the
/// concurrency limit: more requests in flight with the same credentials than allowed are
/// answered 429 with Twilio's 20429 body; other credentials are not affected.
#[test]
fn request_ids_concurrency_headers_and_the_concurrency_limit() {
    let emu = Emulator::builder()
        .latency(Duration::from_secs(1))
        .concurrency_limit(2)
        .start()
        .unwrap();
    let url = list_url(&emu, DEFAULT_ACCOUNT_SID, "");
    let start = std::sync::Barrier::new(5);
    let answers: Vec<(u16, Option<String>, Option<String>, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..5)
            .map(|_| {
                let (url, start) = (url.clone(), &start);
                s.spawn(move || {
                    start.wait();
                    let mut resp = agent(None)
                        .get(&url)
                        .header(
                            "Authorization",
                            &basic(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
                        )
                        .call()
                        .unwrap();
                    let h = |n: &str| {
                        resp.headers()
                            .get(n)
                            .map(|v| v.to_str().unwrap().to_owned())
                    };
                    let (id, concurrent) =
                        (h("twilio-request-id"), h("twilio-concurrent-requests"));
                    assert!(h("twilio-request-duration").is_some());
                    let body: Value =
                        serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
                    (resp.status().as_u16(), id, concurrent, body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: std::collections::HashSet<_> = answers.iter().map(|a| a.1.clone().unwrap()).collect();
    assert_eq!(ids.len(), 5, "a request id per response");
    assert!(ids.iter().all(|id| id.starts_with("RQ") && id.len() == 34));
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    assert_eq!(
        answers.iter().filter(|a| a.0 == 200).count() + refused.len(),
        5
    );
    assert!(!refused.is_empty(), "{answers:?}");
    for served in answers.iter().filter(|a| a.0 == 200) {
        let n: u32 = served.2.as_deref().unwrap().parse().unwrap();
        assert!((1..=2).contains(&n), "served with {n} in flight");
    }
    assert!(refused.iter().all(|a| a.3["code"] == 20429));
    assert_eq!(emu.over_limit_count(), refused.len() as u64);
    // One at a time is always served, and counted as one in flight.
    let one = get(
        &agent(None),
        &url,
        Some((DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)),
    )
    .unwrap();
    assert_eq!(one.status, 200);
}
