//! Every time check at its exact boundary, on both sides, with a stopped
//! clock (`TestClock::stopped_at`) instead of sleeps: `exp` with and without
//! leeway (verified and served from the cache), `nbf` and `iat` with and
//! without leeway, fresh-until, and the lifetimes the manager writes.
//!
//! The rules are PyJWT's, as Flask-JWT-Extended applies them: a token has
//! expired once `now >= exp + leeway`; it is not yet valid while
//! `nbf > now + leeway` (likewise `iat`); it is fresh while
//! `now <= fresh-until`.

use std::time::Duration;

use actix_jwt_extended::{JwtManager, test::TestClock};
use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{SECRET, bearer, call, guarded, hs256, msg};

/// A whole second, so that `T + 0.999` and `T + 1` are on either side of a
/// one-second boundary.
const T: u64 = 2_000_000_000;

fn at(clock: &TestClock, seconds: f64) {
    clock.set(Duration::from_secs(T) + Duration::from_secs_f64(seconds));
}

fn manager(clock: &TestClock, leeway: u64, cache: usize) -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(clock)
        .leeway(Duration::from_secs(leeway))
        .token_cache(cache)
        .build()
        .unwrap()
}

/// A Flask-layout access token with these time claims.
fn token(times: Value) -> String {
    let mut payload = json!({
        "fresh": false, "jti": "11111111-2222-4333-8444-555555555555",
        "type": "access", "sub": "test",
    });
    payload
        .as_object_mut()
        .unwrap()
        .extend(times.as_object().unwrap().clone());
    hs256(&payload)
}

fn expired() -> (StatusCode, Value) {
    (StatusCode::UNAUTHORIZED, msg("Token has expired"))
}

fn not_yet(claim: &str) -> (StatusCode, Value) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        msg(&format!("The token is not yet valid ({claim})")),
    )
}

#[actix_web::test]
async fn a_token_is_accepted_until_exp_plus_leeway_and_refused_from_then_on() {
    for (leeway, cache) in [(0, 0), (0, 4096), (10, 0), (10, 4096)] {
        let clock = TestClock::stopped_at(Duration::from_secs(T));
        let app = guarded!(manager(&clock, leeway, cache));
        let token = bearer(&token(json!({ "iat": T, "nbf": T, "exp": T + 60 })));
        let end = 60.0 + leeway as f64;
        // Just before the end: accepted (and, with the cache on, cached).
        at(&clock, end - 0.001);
        let case = format!("leeway {leeway}, cache {cache}");
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&token)).await.0,
            StatusCode::OK,
            "{case}"
        );
        // At the end, from the cache or not: expired.
        at(&clock, end);
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&token)).await,
            expired(),
            "{case}"
        );
        at(&clock, end + 1.0);
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&token)).await,
            expired(),
            "{case}"
        );
    }
}

#[actix_web::test]
async fn a_cached_token_is_refused_at_exp_plus_leeway_even_when_served_just_before() {
    let clock = TestClock::stopped_at(Duration::from_secs(T));
    let jwt = manager(&clock, 5, 4096);
    let app = guarded!(jwt.clone());
    let token = bearer(&token(json!({ "iat": T, "exp": T + 60 })));
    for seconds in [0.0, 30.0, 64.999] {
        at(&clock, seconds);
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&token)).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(jwt.token_cache_usage().0, 1);
    at(&clock, 65.0);
    assert_eq!(call(&app, Method::GET, "/p", Some(&token)).await, expired());
    // The entry is gone, not only skipped: going back in time does not
    // bring it back from the cache (the verifier accepts it again itself).
    assert_eq!(jwt.token_cache_usage().0, 0);
}

#[actix_web::test]
async fn nbf_and_iat_are_accepted_from_the_second_they_name_minus_leeway() {
    for claim in ["nbf", "iat"] {
        for leeway in [0, 5] {
            let clock = TestClock::stopped_at(Duration::from_secs(T));
            let app = guarded!(manager(&clock, leeway, 4096));
            let mut times = json!({ "exp": T + 600, "iat": T, "nbf": T });
            times[claim] = json!(T + 10);
            let token = bearer(&token(times));
            let start = 10.0 - leeway as f64;
            let case = format!("{claim}, leeway {leeway}");
            at(&clock, start - 0.001);
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&token)).await,
                not_yet(claim),
                "{case}"
            );
            at(&clock, start);
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&token)).await.0,
                StatusCode::OK,
                "{case}"
            );
        }
    }
}

#[actix_web::test]
async fn a_token_is_fresh_until_the_second_it_names_and_not_after() {
    let clock = TestClock::stopped_at(Duration::from_secs(T));
    let jwt = manager(&clock, 0, 4096);
    let app = guarded!(
        jwt.clone(),
        (
            "/fresh",
            actix_web::web::get()
                .to(actix_web::HttpResponse::Ok)
                .wrap(actix_jwt_extended::JwtRequired::new().fresh())
        )
    );
    let token = jwt
        .access_token_builder("test")
        .fresh(Duration::from_secs(300))
        .encode()
        .unwrap();
    // A float timestamp, as Flask-JWT-Extended writes it.
    assert_eq!(
        jwt.decode_token(&token).unwrap().claims()["fresh"],
        json!((T + 300) as f64)
    );
    let token = bearer(&token);
    at(&clock, 300.0);
    assert_eq!(
        call(&app, Method::GET, "/fresh", Some(&token)).await.0,
        StatusCode::OK
    );
    at(&clock, 300.001);
    assert_eq!(
        call(&app, Method::GET, "/fresh", Some(&token)).await,
        (StatusCode::UNAUTHORIZED, msg("Fresh token required"))
    );
    // Still a valid access token elsewhere.
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&token)).await.0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn minted_tokens_are_dated_by_the_clock_to_the_second() {
    let clock = TestClock::stopped_at(Duration::from_secs(T) + Duration::from_millis(999));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .access_token_expires(Duration::from_secs(60))
        .build()
        .unwrap();
    let claims = jwt
        .decode_token(&jwt.create_access_token("test").unwrap())
        .unwrap()
        .claims()
        .clone();
    // Whole seconds, rounded down as PyJWT does.
    assert_eq!(
        (&claims["iat"], &claims["nbf"], &claims["exp"]),
        (&json!(T), &json!(T), &json!(T + 60))
    );
    // So the token ends 59.001 s after it was minted, not 60 s.
    let app = guarded!(jwt.clone());
    let token = bearer(&jwt.create_access_token("test").unwrap());
    at(&clock, 59.999);
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&token)).await.0,
        StatusCode::OK
    );
    at(&clock, 60.0);
    assert_eq!(call(&app, Method::GET, "/p", Some(&token)).await, expired());
}
