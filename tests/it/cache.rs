//! The verified-token cache never serves an expired, not-yet-valid, revoked,
//! wrong-type or tampered token, keeps per-request checks, and stays within
//! its size.

use std::time::Duration;

use crate::common::{SECRET, bearer, call, flask_payload, hs256, msg, now};
use actix_jwt_extended::{
    JwtManager, JwtRequired, RefreshRequired, config::TokenLocation, store::MemoryStore,
};
use actix_web::{App, HttpResponse, http::Method, test, web};
use serde_json::json;

macro_rules! app {
    ($jwt:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .route(
                    "/p",
                    web::route().to(HttpResponse::Ok).wrap(JwtRequired::new()),
                )
                .route(
                    "/fresh",
                    web::get()
                        .to(HttpResponse::Ok)
                        .wrap(JwtRequired::new().fresh()),
                )
                .route(
                    "/r",
                    web::post()
                        .to(HttpResponse::Ok)
                        .wrap(RefreshRequired::new()),
                ),
        )
        .await
    };
}

#[actix_web::test]
async fn a_cached_token_stops_being_served_when_it_expires() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    // `exp` is whole seconds: a two-second token lives between one and two
    // seconds, long enough for the first two requests, over after 2.1 s.
    let token = bearer(
        &jwt.access_token_builder("x")
            .expires(Duration::from_secs(2))
            .encode()
            .unwrap(),
    );
    assert_eq!(call(&app, Method::GET, "/p", Some(&token)).await.0, 200);
    assert_eq!(call(&app, Method::GET, "/p", Some(&token)).await.0, 200);
    assert_eq!(jwt.token_cache_usage().0, 1);
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&token)).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has expired")
        )
    );
}

#[actix_web::test]
async fn tokens_that_fail_are_never_cached_and_tampering_misses() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let mut early = flask_payload("access");
    early["nbf"] = json!(now() + 60);
    let early = bearer(&hs256(&early));
    for _ in 0..2 {
        assert_eq!(call(&app, Method::GET, "/p", Some(&early)).await.0, 422);
    }
    assert_eq!(
        jwt.token_cache_usage().0,
        0,
        "a not-yet-valid token is not cached"
    );

    let token = jwt.create_access_token("x").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
        200
    );
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&tampered)))
            .await
            .0,
        422
    );
    let (header, rest) = token.split_once('.').unwrap();
    let payload_swap = format!("{header}.{}", rest.replacen(&rest[..4], "eyJz", 1));
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&payload_swap))).await,
        (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            msg("Signature verification failed")
        )
    );
}

#[actix_web::test]
async fn type_freshness_revocation_and_csrf_still_run_on_a_hit() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_store(MemoryStore::new())
        .token_location([TokenLocation::Headers, TokenLocation::Cookies])
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let refresh = jwt.create_refresh_token("x").unwrap();
    assert_eq!(
        call(&app, Method::POST, "/r", Some(&bearer(&refresh)))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&refresh))).await,
        (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only non-refresh tokens are allowed")
        )
    );
    let access = jwt.create_access_token("x").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&access)))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, Method::GET, "/fresh", Some(&bearer(&access))).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Fresh token required")
        )
    );
    // CSRF: the cached token from a cookie still needs its header on a POST.
    let cookie = || actix_web::cookie::Cookie::new("access_token_cookie", access.clone());
    let post = test::TestRequest::post()
        .uri("/p")
        .cookie(cookie())
        .to_request();
    assert_eq!(test::call_service(&app, post).await.status(), 401);
    let wrong = test::TestRequest::post()
        .uri("/p")
        .cookie(cookie())
        .insert_header(("X-CSRF-TOKEN", "nope"))
        .to_request();
    assert_eq!(test::call_service(&app, wrong).await.status(), 401);
    // Revocation after caching.
    jwt.revoke_token(&jwt.decode_token(&access).unwrap())
        .await
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&access))).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has been revoked")
        )
    );
}

#[actix_web::test]
async fn the_cache_stays_within_its_size_and_can_be_turned_off() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_cache(64)
        .build()
        .unwrap();
    for i in 0..1000 {
        let token = jwt.create_access_token(format!("user-{i}")).unwrap();
        let first = jwt.decode_token(&token).unwrap();
        let second = jwt.decode_token(&token).unwrap();
        // A hit hands out the cached token itself: the same claims in memory.
        assert!(
            std::ptr::eq(first.claims(), second.claims()),
            "token {i} was not served from the cache"
        );
        let (len, capacity) = jwt.token_cache_usage();
        assert!((1..=capacity).contains(&len), "{len} of {capacity}");
        assert_eq!(capacity, 64);
    }
    let off = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_cache(0)
        .build()
        .unwrap();
    let token = off.create_access_token("x").unwrap();
    let first = off.decode_token(&token).unwrap();
    let second = off.decode_token(&token).unwrap();
    assert!(!std::ptr::eq(first.claims(), second.claims()));
    assert_eq!(off.token_cache_usage(), (0, 0));
}

/// A token signed over payload JSON written by hand, repeated names and all.
fn signed_text(payload: &str) -> String {
    let input = format!(
        "{}.{}",
        crate::common::b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        crate::common::b64(payload.as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    format!("{input}.{signature}")
}

/// Verification reads only the claims it checks and keeps the payload's
/// JSON for the rest: whatever reads the claims later gets every one of them
/// as sent, on the first request and from the cache, and a repeated name
/// reads as its last value (as Python's `json.loads` and `serde_json::Value`
/// read it).
#[actix_web::test]
async fn every_claim_arrives_whole_first_and_from_the_cache() {
    let exp = now() + 900;
    let token = signed_text(&format!(
        r#"{{"sub":"first","type":"refresh","extra":{{"deep":[1,2.5,"\u00e9",null]}},"sub":"alice","type":"access","fresh":true,"exp":{exp},"role":"admin","role":"owner"}}"#
    ));
    for cache in [4096, 0] {
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .token_cache(cache)
            .verify_claims(|token| token.claims()["role"] == "owner")
            .build()
            .unwrap();
        let app = test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
            "/claims",
            web::get().to(
                |claims: actix_jwt_extended::Claims<serde_json::Value>| async move {
                    HttpResponse::Ok().json(claims.into_inner())
                },
            ),
        ))
        .await;
        for round in 0..2 {
            let (status, body) = call(&app, Method::GET, "/claims", Some(&bearer(&token))).await;
            assert_eq!(status, 200, "cache {cache}, round {round}: {body}");
            assert_eq!(body["sub"], "alice");
            assert_eq!(body["type"], "access");
            assert_eq!(body["role"], "owner");
            assert_eq!(body["extra"], json!({"deep": [1, 2.5, "é", null]}));
            assert_eq!(body["fresh"], true);
        }
        let decoded = jwt.decode_token(&token).unwrap();
        assert_eq!(decoded.identity(), "alice");
        assert!(decoded.is_fresh());
        assert_eq!(decoded.expires_at(), Some(exp as i64));
        assert_eq!(decoded.header()["typ"], "JWT");
    }
}

/// A claim that verification skips is still parsed as strictly as the ones
/// it reads: a payload that `serde_json::Value` refuses is refused, with the
/// same message, wherever the fault is.
#[actix_web::test]
async fn a_fault_in_a_skipped_claim_is_refused_like_one_in_a_read_claim() {
    let app = app!(crate::common::manager());
    let exp = now() + 900;
    for bad in [r#"1e400"#, r#""\ud800""#, r#""\q""#, r#"[1,]"#, r#"01"#] {
        let read = signed_text(&format!(r#"{{"sub":"a","exp":{exp},"jti":{bad}}}"#));
        let skipped = signed_text(&format!(r#"{{"sub":"a","exp":{exp},"other":{bad}}}"#));
        let (read_status, read_body) = call(&app, Method::GET, "/p", Some(&bearer(&read))).await;
        let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&skipped))).await;
        assert_eq!((read_status.as_u16(), status.as_u16()), (422, 422), "{bad}");
        let message = body["msg"].as_str().unwrap();
        assert!(
            message.starts_with("Invalid payload string: "),
            "{bad}: {message}"
        );
        let expected = serde_json::from_str::<serde_json::Value>(&format!(
            r#"{{"sub":"a","exp":{exp},"other":{bad}}}"#
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            message,
            format!("Invalid payload string: {expected}"),
            "{bad}"
        );
        // The same fault one member earlier is reported at its own place.
        assert!(
            read_body["msg"]
                .as_str()
                .unwrap()
                .starts_with("Invalid payload string: ")
        );
    }
}
