//! Replays every request recorded from the Flask-JWT-Extended 4.7.4 reference
//! apps (`tests/fixtures/*_cases.json`, made by `tests/fixtures/gen_*.py` from
//! `tests/reference/*.py`) against the matching example and compares status
//! codes, JSON bodies and Allow headers.

mod common;

use actix_web::{App, test, web};
use common::replay::replay;

#[path = "../examples/claims_and_loaders.rs"]
#[allow(dead_code)]
mod claims_and_loaders;
#[path = "../examples/token_freshness.rs"]
#[allow(dead_code)]
mod token_freshness;

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
];

#[actix_web::test]
async fn refresh_tokens_example_answers_like_the_flask_reference() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(common::manager()))
            .configure(common::example::routes),
    )
    .await;
    let fixture = include_str!("fixtures/flask_reference_cases.json");
    replay(&app, fixture, SEED_DEVIATIONS, &["/protected", "/refresh"]).await;
}

#[actix_web::test]
async fn token_freshness_example_answers_like_the_flask_reference() {
    let jwt = token_freshness::manager(common::SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .configure(token_freshness::routes),
    )
    .await;
    let fixture = include_str!("fixtures/token_freshness_cases.json");
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
    let jwt = claims_and_loaders::manager(common::SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .configure(claims_and_loaders::routes),
    )
    .await;
    let fixture = include_str!("fixtures/claims_and_loaders_cases.json");
    replay(&app, fixture, &[], &["/who_am_i", "/optionally_protected"]).await;
}
