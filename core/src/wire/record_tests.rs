//! The record visitors' tests.

use super::*;

#[test]
fn owned_records_read_from_any_deserializer_and_lone_surrogates_stay_lossy() {
    let value = serde_json::json!({
        "connect_app_sid": "CN1", "connect_app_friendly_name": "Café",
        "permissions": ["get-all", "post-all"], "uri": null,
    });
    let from_value: AuthorizedConnectApp = serde_json::from_value(value.clone()).unwrap();
    let from_str: AuthorizedConnectApp = serde_json::from_str(&value.to_string()).unwrap();
    assert_eq!(from_value, from_str);
    assert_eq!(from_value.connect_app_friendly_name(), Some("Café"));
    // Inside `flatten` (serde's buffered content) and from a reader.
    #[derive(serde::Deserialize)]
    struct Outer {
        #[serde(flatten)]
        app: AuthorizedConnectApp,
        extra: u8,
    }
    let outer: Outer = serde_json::from_str(
        r#"{"connect_app_sid": "CN1", "permissions": ["post-all"], "extra": 7}"#,
    )
    .unwrap();
    assert_eq!(outer.extra, 7);
    assert!(outer.app.can_write());
    let from_reader: AuthorizedConnectApp =
        serde_json::from_reader(value.to_string().as_bytes()).unwrap();
    assert_eq!(from_reader, from_str);
    let lone = r#"{"connect_app_friendly_name": "a\ud800b", "permissions": ["\udc00"]}"#;
    for app in [
        serde_json::from_str::<AuthorizedConnectApp>(lone).unwrap(),
        serde_json::from_reader::<_, AuthorizedConnectApp>(lone.as_bytes()).unwrap(),
    ] {
        assert_eq!(app.connect_app_friendly_name(), Some("a\u{FFFD}b"));
        assert_eq!(
            app.permissions().map(<[_]>::to_vec),
            Some(vec![Permission::Other("\u{FFFD}".into())])
        );
    }
    for bad in [
        serde_json::json!({"uri": 5}),
        serde_json::json!({"uri": {"a": "b"}}),
        serde_json::json!({"permissions": [null]}),
        serde_json::json!({"permissions": "get-all"}),
    ] {
        assert!(
            serde_json::from_value::<AuthorizedConnectApp>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn owned_and_borrowed_records_read_alike() {
    let body = r#"{"connect_app_sid": "CN1", "connect_app_friendly_name": "Caf\u00e9",
        "permissions": ["get-all", "delete-all"], "uri": null, "date_created": 5}"#;
    let owned: AuthorizedConnectApp = serde_json::from_str(body).unwrap();
    let mut de = serde_json::Deserializer::from_str(body);
    let view = AppView::read(&Trail::default(), &mut de).unwrap();
    assert_eq!(view.to_owned(), owned);
    assert_eq!(owned.connect_app_friendly_name(), Some("Café"));
    assert_eq!(
        owned.permissions().map(<[_]>::to_vec),
        Some(vec![
            Permission::GetAll,
            Permission::Other("delete-all".into())
        ])
    );
    for bad in [r#"{"uri": 5}"#, r#"{"permissions": "get-all"}"#, "[]"] {
        assert!(
            serde_json::from_str::<AuthorizedConnectApp>(bad).is_err(),
            "{bad}"
        );
        let mut de = serde_json::Deserializer::from_str(bad);
        assert!(AppView::read(&Trail::default(), &mut de).is_err(), "{bad}");
    }
}
