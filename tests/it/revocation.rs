//! Revocation, "log out everywhere" and refresh-token rotation with the
//! in-memory store and custom stores, through real requests.

use crate::examples::blocklist;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use crate::common::{SECRET, bearer, call, guarded, manager_with, msg};
use actix_jwt_extended::{
    JwtError, JwtManager,
    store::{MemoryStore, StoreError, TokenFacts, TokenStore},
};
use actix_web::{App, http::Method, test, web};
use serde_json::json;

#[actix_web::test]
async fn the_blocklist_example_revokes_access_and_refresh_tokens() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(
                blocklist::manager(SECRET, MemoryStore::new()).unwrap(),
            ))
            .configure(blocklist::routes),
    )
    .await;
    let login = test::TestRequest::post()
        .uri("/login")
        .set_json(json!({ "username": "test", "password": "test" }))
        .to_request();
    let tokens: serde_json::Value = test::call_and_read_body_json(&app, login).await;
    let access = bearer(tokens["access_token"].as_str().unwrap());
    let refresh = bearer(tokens["refresh_token"].as_str().unwrap());

    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&access)).await.0,
        200
    );
    assert_eq!(
        call(&app, Method::DELETE, "/logout", Some(&access)).await,
        (
            actix_web::http::StatusCode::OK,
            msg("Access token successfully revoked")
        )
    );
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&access)).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has been revoked")
        )
    );
    assert_eq!(
        call(&app, Method::DELETE, "/logout", Some(&access)).await.0,
        401
    );

    assert_eq!(
        call(&app, Method::POST, "/refresh", Some(&refresh)).await.0,
        200
    );
    assert_eq!(
        call(&app, Method::DELETE, "/logout", Some(&refresh)).await,
        (
            actix_web::http::StatusCode::OK,
            msg("Refresh token successfully revoked")
        )
    );
    assert_eq!(
        call(&app, Method::POST, "/refresh", Some(&refresh)).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has been revoked")
        )
    );
}

#[actix_web::test]
async fn log_out_everywhere_revokes_every_earlier_token_of_one_identity() {
    let store = Arc::new(MemoryStore::new());
    let jwt = manager_with(Arc::clone(&store));
    let app = guarded!(jwt.clone());
    let alice = [
        jwt.create_access_token("alice").unwrap(),
        jwt.create_access_token("alice").unwrap(),
    ];
    let bob = jwt.create_access_token("bob").unwrap();
    jwt.revoke_all_tokens("alice").await.unwrap();
    for token in &alice {
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(token))).await,
            (
                actix_web::http::StatusCode::UNAUTHORIZED,
                msg("Token has been revoked")
            )
        );
    }
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&bob))).await.0,
        200
    );
    // Tokens issued after the cutoff pass (a cutoff in the past stands in for "later").
    store
        .revoke_identity("carol", crate::common::now() as i64 - 10, None)
        .await
        .unwrap();
    let carol = jwt.create_access_token("carol").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&carol))).await.0,
        200
    );
}

#[actix_web::test]
async fn rotation_chains_and_a_reused_refresh_token_revokes_the_family() {
    let reuses = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&reuses);
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .token_store(MemoryStore::new())
        .on_refresh_reuse(move |token| {
            assert_eq!(token.identity(), "alice");
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let app = guarded!(jwt.clone());
    let first = jwt.create_token_pair("alice").unwrap();
    let decoded = |token: &str| jwt.decode_token(token).unwrap();
    assert_eq!(
        decoded(&first.refresh_token).family(),
        decoded(&first.access_token).family()
    );

    let second = jwt
        .rotate_refresh_token(&decoded(&first.refresh_token))
        .await
        .unwrap();
    let third = jwt
        .rotate_refresh_token(&decoded(&second.refresh_token))
        .await
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&third.access_token)))
            .await
            .0,
        200
    );

    // The thief replays the second refresh token: the family dies.
    assert_eq!(
        jwt.rotate_refresh_token(&decoded(&second.refresh_token))
            .await
            .unwrap_err(),
        JwtError::Revoked
    );
    assert_eq!(reuses.load(Ordering::SeqCst), 1);
    for token in [&first.access_token, &third.access_token] {
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(token))).await,
            (
                actix_web::http::StatusCode::UNAUTHORIZED,
                msg("Token has been revoked")
            )
        );
    }
    // The user's current refresh token is dead too.
    assert_eq!(
        jwt.rotate_refresh_token(&decoded(&third.refresh_token))
            .await
            .unwrap_err(),
        JwtError::Revoked
    );
    // Another login starts a new, healthy family.
    let other = jwt.create_token_pair("alice").unwrap();
    assert!(
        jwt.rotate_refresh_token(&decoded(&other.refresh_token))
            .await
            .is_ok()
    );
    // Access tokens cannot be rotated.
    assert!(
        jwt.rotate_refresh_token(&decoded(&other.access_token))
            .await
            .is_err()
    );
}

/// Threads, each with its own runtime, present one refresh token at the same
/// instant, round after round: exactly one wins, the rest are refused.
#[actix_web::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_through() {
    const THREADS: usize = 8;
    let jwt = manager_with(MemoryStore::new());
    for round in 0..20 {
        let pair = jwt.create_token_pair("race").unwrap();
        let token = jwt.decode_token(&pair.refresh_token).unwrap();
        let start = Arc::new(std::sync::Barrier::new(THREADS));
        let racers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (jwt, token, start) = (jwt.clone(), token.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(async move {
                        start.wait();
                        jwt.rotate_refresh_token(&token).await
                    })
                })
            })
            .collect();
        let results: Vec<_> = racers
            .into_iter()
            .map(|racer| racer.join().unwrap())
            .collect();
        assert_eq!(
            results.iter().filter(|result| result.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Ok(_) | Err(JwtError::Revoked))),
            "round {round}: {results:?}"
        );
    }
}

/// A store that cannot answer, or panics: requests are denied with 503.
struct Broken {
    panics: bool,
}

impl TokenStore for Broken {
    async fn is_revoked(&self, _: TokenFacts<'_>) -> Result<bool, StoreError> {
        if self.panics {
            panic!("store bug");
        }
        Err(StoreError::new("connection refused"))
    }
}

#[actix_web::test]
async fn a_failing_store_fails_closed_with_503() {
    for panics in [false, true] {
        let jwt = manager_with(Broken { panics });
        let app = guarded!(jwt.clone());
        let token = jwt.create_access_token("x").unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
            (
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                msg("Token revocation store unavailable")
            )
        );
        // Without a token the store is not consulted: the usual 401.
        assert_eq!(call(&app, Method::GET, "/p", None).await.0, 401);
        // This store cannot revoke: a clean error, not a panic.
        let decoded = jwt.decode_token(&token).unwrap();
        assert!(matches!(
            jwt.revoke_token(&decoded).await,
            Err(JwtError::StoreUnavailable(_))
        ));
    }
}

/// Flask's `token_in_blocklist_loader`: the app's own async check.
struct DenyList(Vec<String>);

impl TokenStore for DenyList {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        Ok(self.0.iter().any(|identity| identity == token.identity))
    }
}

#[actix_web::test]
async fn an_app_supplied_check_works_like_flasks_blocklist_loader() {
    let jwt = manager_with(DenyList(vec!["mallory".into()]));
    let app = guarded!(jwt.clone());
    let mallory = jwt.create_access_token("mallory").unwrap();
    let alice = jwt.create_access_token("alice").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&mallory)))
            .await
            .0,
        401
    );
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&alice))).await.0,
        200
    );
}

#[actix_web::test]
async fn revoking_without_a_store_is_a_logged_configuration_error() {
    let jwt = JwtManager::builder().secret(SECRET).build().unwrap();
    let token = jwt
        .decode_token(&jwt.create_access_token("x").unwrap())
        .unwrap();
    assert_eq!(
        jwt.revoke_token(&token).await.unwrap_err(),
        JwtError::NotConfigured
    );
}
