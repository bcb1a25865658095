//! The seed example on a real bound server, spoken to over raw TCP.

use crate::common::{http, manager, start_example};
use serde_json::json;

#[test]
fn seed_flow_over_a_real_socket() {
    let addr = start_example(manager());
    let login = http(
        &addr,
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        br#"{"username":"test","password":"test"}"#,
    );
    assert_eq!(login.status, 200);
    assert_eq!(login.header("content-type"), Some("application/json"));
    let tokens = login.json();
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );

    let bearer = |t: &str| format!("Bearer {t}");
    let protected = http(
        &addr,
        "GET",
        "/protected",
        &[("Authorization", &bearer(access))],
        b"",
    );
    assert_eq!(
        (protected.status, protected.json()),
        (200, json!({ "logged_in_as": "test" }))
    );

    let refreshed = http(
        &addr,
        "POST",
        "/refresh",
        &[("Authorization", &bearer(refresh))],
        b"",
    );
    assert_eq!(refreshed.status, 200);
    let new_access = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let protected = http(
        &addr,
        "GET",
        "/protected",
        &[("Authorization", &bearer(&new_access))],
        b"",
    );
    assert_eq!(
        (protected.status, protected.json()),
        (200, json!({ "logged_in_as": "test" }))
    );

    // Repeated header lines on the wire are joined as Flask's server joins them.
    let two_lines = http(
        &addr,
        "GET",
        "/protected",
        &[
            ("Authorization", "Basic eA=="),
            ("Authorization", &bearer(access)),
        ],
        b"",
    );
    assert_eq!(two_lines.status, 200);

    let wrong = http(
        &addr,
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        br#"{"username":"test","password":"no"}"#,
    );
    assert_eq!(
        (wrong.status, wrong.json()),
        (401, json!({ "msg": "Bad username or password" }))
    );
    let missing = http(&addr, "GET", "/protected", &[], b"");
    assert_eq!(
        (missing.status, missing.json()),
        (401, json!({ "msg": "Missing Authorization Header" }))
    );
    assert!(missing.header("www-authenticate").is_none());
}

#[test]
fn preflight_head_and_unknown_routes_answer_like_flask_in_json() {
    let addr = start_example(manager());
    let options = http(
        &addr,
        "OPTIONS",
        "/protected",
        &[("Authorization", "Bearer garbage")],
        b"",
    );
    assert_eq!(options.status, 200);
    let mut allow: Vec<_> = options.header("allow").unwrap().split(", ").collect();
    allow.sort_unstable();
    assert_eq!(allow, ["GET", "HEAD", "OPTIONS"]);

    let head = http(&addr, "HEAD", "/protected", &[], b"");
    assert_eq!(head.status, 401);
    assert!(head.body.is_empty());

    let not_allowed = http(&addr, "GET", "/refresh", &[], b"");
    assert_eq!(
        (not_allowed.status, not_allowed.json()),
        (405, json!({ "msg": "Method Not Allowed" }))
    );
    let not_found = http(&addr, "GET", "/nope", &[], b"");
    assert_eq!(
        (not_found.status, not_found.json()),
        (404, json!({ "msg": "Not Found" }))
    );
}

#[test]
fn huge_and_hostile_headers_never_get_a_5xx_or_a_hang() {
    let addr = start_example(manager());
    let payloads = [
        format!("Bearer {}", "a".repeat(20_000)),
        format!(
            "Bearer {}.{}.{}",
            "a".repeat(8_000),
            "b".repeat(8_000),
            "c".repeat(8_000)
        ),
        format!("Bearer {}", "a.".repeat(10_000)),
        ", ".repeat(5_000),
        format!("Bearer {}", "x".repeat(200_000)),
    ];
    for value in &payloads {
        let response = http(&addr, "GET", "/protected", &[("Authorization", value)], b"");
        assert!(
            (400..500).contains(&response.status),
            "{} for a {}-byte header",
            response.status,
            value.len()
        );
        if response.status != 431 {
            assert!(response.json()["msg"].is_string(), "{response:?}");
        }
    }
    // The server is still up.
    assert_eq!(http(&addr, "GET", "/protected", &[], b"").status, 401);
}
