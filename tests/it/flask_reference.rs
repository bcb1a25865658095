//! Replays every request recorded from the Flask-JWT-Extended 4.7.4 reference
//! apps (`tests/fixtures/*_cases.json`, made by `tests/fixtures/gen_*.py` from
//! `tests/reference/*.py`) against the matching example and compares status
//! codes, JSON bodies and Allow headers.

use crate::common::replay::replay;
use actix_web::{App, test, web};

use crate::examples::claims_and_loaders;
use crate::examples::jwt_locations;
use crate::examples::token_freshness;

/// Where we answer differently from the reference on purpose, with the reason.
/// Everything not listed here (and not marked `python_quirk` by the recorder)
/// must match the reference exactly.
const SEED_DEVIATIONS: &[(&str, u16, &str)] = &[
    // DESIGN: time claims must be JSON numbers; Python's int() also takes
    // numeric strings and booleans.
    (
        "protected_exp_string_numeric",
        422,
        "Expiration Time claim (exp) must be an integer.",
    ),
    (
        "protected_exp_string_expired_numeric",
        422,
        "Expiration Time claim (exp) must be an integer.",
    ),
    (
        "protected_exp_true",
        422,
        "Expiration Time claim (exp) must be an integer.",
    ),
    (
        "protected_exp_false",
        422,
        "Expiration Time claim (exp) must be an integer.",
    ),
    (
        "protected_iat_string_numeric",
        422,
        "Issued At claim (iat) must be an integer.",
    ),
    (
        "protected_iat_string_future",
        422,
        "Issued At claim (iat) must be an integer.",
    ),
    (
        "protected_iat_true",
        422,
        "Issued At claim (iat) must be an integer.",
    ),
    (
        "protected_nbf_string_numeric",
        422,
        "Not Before claim (nbf) must be an integer.",
    ),
    // The reference server refuses header lines over 64 KiB with an HTML 431;
    // actix takes the request and the valid token passes.
    ("protected_long_token_70kb_claim", 200, ""),
    // DESIGN invariant 2 (RFC 8725 section 3.11): a `type` other than
    // "access" or "refresh" is refused; Flask lets every type but "refresh"
    // through access routes.
    ("protected_type_foo", 422, INVALID_TYPE),
    ("protected_type_integer", 422, INVALID_TYPE),
    ("protected_type_null", 422, INVALID_TYPE),
    ("protected_type_refresh_capitalized", 422, INVALID_TYPE),
    ("refresh_type_refresh_capitalized", 422, INVALID_TYPE),
    ("refresh_type_integer", 422, INVALID_TYPE),
];

const INVALID_TYPE: &str = "Invalid token type: \"type\" must be \"access\" or \"refresh\"";

#[actix_web::test]
async fn refresh_tokens_example_answers_like_the_flask_reference() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(crate::common::manager()))
            .configure(crate::examples::refresh_tokens::routes),
    )
    .await;
    let fixture = &crate::common::fixture("flask_reference_cases.json");
    replay(&app, fixture, SEED_DEVIATIONS, &["/protected", "/refresh"]).await;
}

#[actix_web::test]
async fn token_freshness_example_answers_like_the_flask_reference() {
    let jwt = token_freshness::manager(crate::common::SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .configure(token_freshness::routes),
    )
    .await;
    let fixture = &crate::common::fixture("token_freshness_cases.json");
    replay(
        &app,
        fixture,
        &[],
        &["/protected", "/protected_fresh", "/refresh"],
    )
    .await;
}

#[actix_web::test]
async fn claims_and_loaders_example_answers_like_the_flask_reference() {
    let jwt = claims_and_loaders::manager(crate::common::SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .configure(claims_and_loaders::routes),
    )
    .await;
    let fixture = &crate::common::fixture("claims_and_loaders_cases.json");
    replay(&app, fixture, &[], &["/who_am_i", "/optionally_protected"]).await;
}

#[actix_web::test]
async fn jwt_locations_example_answers_like_the_flask_reference() {
    let jwt = jwt_locations::manager(crate::common::SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .wrap(jwt_locations::implicit_refresh())
            .configure(jwt_locations::routes),
    )
    .await;
    let fixture = &crate::common::fixture("jwt_locations_cases.json");
    // Flask crashes (500) on a JSON body that is a list; we read it as a body
    // without the token key and go on to the query string, which holds one.
    // Flask's implicit refresh turns a token from a header, the query string
    // or a JSON body into cookies; ours refreshes cookies only (same answer,
    // no Set-Cookie: `implicit_refresh_never_turns_a_header_query_or_body_token_into_a_cookie`).
    let deviations = &[
        ("protected_post_json_list_query_valid", 200, ""),
        ("implicit_refresh_type_foo", 422, INVALID_TYPE),
        ("implicit_refresh_header_near_expiry", 200, ""),
        ("implicit_refresh_json_near_expiry", 200, ""),
        ("implicit_refresh_query_near_expiry", 200, ""),
        ("implicit_refresh_head_near_expiry", 200, ""),
        ("implicit_refresh_25_minutes_left", 200, ""),
        ("implicit_refresh_type_missing", 200, ""),
        ("implicit_refresh_only_headers", 200, ""),
        ("implicit_refresh_header_near_cookie_valid", 200, ""),
    ];
    let raw_paths = &["/protected", "/only_headers", "/refresh_with_cookies"];
    replay(&app, fixture, deviations, raw_paths).await;
}

/// Tokens minted by the chapter references themselves (fresh, fresh-until,
/// extra claims from a claims loader) get the same answers from our examples
/// as they got from the references.
#[actix_web::test]
async fn tokens_minted_by_the_chapter_references_get_the_same_answers() {
    let fixture: serde_json::Value =
        serde_json::from_str(&crate::common::fixture("flask_chapter_tokens.json")).unwrap();
    let freshness = test::init_service(
        App::new()
            .app_data(web::Data::new(
                token_freshness::manager(crate::common::SECRET).unwrap(),
            ))
            .configure(token_freshness::routes),
    )
    .await;
    let claims = test::init_service(
        App::new()
            .app_data(web::Data::new(
                claims_and_loaders::manager(crate::common::SECRET).unwrap(),
            ))
            .configure(claims_and_loaders::routes),
    )
    .await;
    let mut checked = 0;
    for chapter in ["token_freshness", "claims_and_loaders"] {
        let tokens = &fixture[chapter]["tokens"];
        for (name, calls) in fixture[chapter]["replayed"].as_object().unwrap() {
            let token = tokens[name]["token"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}"));
            for expected in calls.as_array().unwrap() {
                let method = expected["method"].as_str().unwrap();
                let path = expected["path"].as_str().unwrap();
                let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
                let auth = format!("Bearer {token}");
                let (status, body) = if chapter == "token_freshness" {
                    crate::common::call(&freshness, method, path, Some(&auth)).await
                } else {
                    crate::common::call(&claims, method, path, Some(&auth)).await
                };
                assert_eq!(
                    status.as_u16() as u64,
                    expected["status"].as_u64().unwrap(),
                    "{chapter} {name} {path}"
                );
                if expected["body_json"].get("access_token").is_some() {
                    // A freshly minted token: only its presence can match.
                    assert!(body["access_token"].is_string(), "{chapter} {name} {path}");
                } else {
                    assert_eq!(body, expected["body_json"], "{chapter} {name} {path}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} calls replayed");
}
