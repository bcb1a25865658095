//! Revocation, "log out everywhere" and refresh-token rotation with the
//! in-memory store and custom stores, through real requests.

use crate::examples::blocklist;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use crate::common::{SECRET, bearer, call, guarded, manager_with, msg, revocation_of};
use actix_jwt_extended::{
    JwtError, JwtManager,
    store::{Cutoff, MemoryStore, StoreError, TokenFacts, TokenStore},
};
use actix_web::{App, http::Method, test, web};
use serde_json::json;

/// The blocklist example with a memory store.
macro_rules! blocklist_app {
    () => {
        test::init_service(
            App::new()
                .app_data(web::Data::new(
                    blocklist::manager(SECRET, MemoryStore::new()).unwrap(),
                ))
                .configure(blocklist::routes),
        )
        .await
    };
}

#[actix_web::test]
async fn the_blocklist_example_revokes_access_and_refresh_tokens() {
    let app = blocklist_app!();
    let (access, refresh) = example_login(&app).await;

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
        .revoke_identity(Cutoff::new(
            "carol",
            (crate::common::now() as i64 - 10) * 1000,
            None,
            None,
        ))
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
        .allow_short_secret()
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
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let token = jwt
        .decode_token(&jwt.create_access_token("x").unwrap())
        .unwrap();
    assert_eq!(
        jwt.revoke_token(&token).await.unwrap_err(),
        JwtError::Misconfigured(
            "revocation needs a token store: register one with JwtManagerBuilder::token_store"
        )
    );
}

/// Logs in through the blocklist example: its access and refresh tokens.
async fn example_login<S, B>(app: &S) -> (String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let login = test::TestRequest::post()
        .uri("/login")
        .set_json(json!({ "username": "test", "password": "test" }))
        .to_request();
    let tokens: serde_json::Value = test::call_and_read_body_json(app, login).await;
    (
        bearer(tokens["access_token"].as_str().unwrap()),
        bearer(tokens["refresh_token"].as_str().unwrap()),
    )
}

#[actix_web::test]
async fn logging_out_the_session_ends_its_access_and_refresh_tokens_from_either_one() {
    let app = blocklist_app!();
    let revoked = (
        actix_web::http::StatusCode::UNAUTHORIZED,
        msg("Token has been revoked"),
    );
    for logout_with_refresh in [false, true] {
        let (access, refresh) = example_login(&app).await;
        // An access token minted by /refresh joins the session.
        let (status, body) = call(&app, Method::POST, "/refresh", Some(&refresh)).await;
        assert_eq!(status, 200);
        let refreshed = bearer(body["access_token"].as_str().unwrap());
        let other_login = example_login(&app).await;

        let with = if logout_with_refresh {
            &refresh
        } else {
            &access
        };
        assert_eq!(
            call(&app, Method::DELETE, "/logout_session", Some(with)).await,
            (actix_web::http::StatusCode::OK, msg("Session ended"))
        );
        assert_eq!(
            call(&app, Method::GET, "/protected", Some(&access)).await,
            revoked
        );
        assert_eq!(
            call(&app, Method::GET, "/protected", Some(&refreshed)).await,
            revoked
        );
        assert_eq!(
            call(&app, Method::POST, "/refresh", Some(&refresh)).await,
            revoked
        );
        // Another login of the same user is another session.
        assert_eq!(
            call(&app, Method::GET, "/protected", Some(&other_login.0))
                .await
                .0,
            200
        );
    }
}

#[actix_web::test]
async fn logging_out_other_devices_keeps_only_the_callers_session() {
    let app = blocklist_app!();
    let (phone, phone_refresh) = example_login(&app).await;
    let (laptop, laptop_refresh) = example_login(&app).await;
    assert_eq!(
        call(&app, Method::DELETE, "/logout_other_devices", Some(&laptop)).await,
        (actix_web::http::StatusCode::OK, msg("Other sessions ended"))
    );
    for token in [&phone, &phone_refresh] {
        let path = if token == &phone {
            "/protected"
        } else {
            "/refresh"
        };
        let method = if token == &phone {
            Method::GET
        } else {
            Method::POST
        };
        assert_eq!(call(&app, method, path, Some(token)).await.0, 401, "{path}");
    }
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&laptop)).await.0,
        200
    );
    let (status, body) = call(&app, Method::POST, "/refresh", Some(&laptop_refresh)).await;
    assert_eq!(status, 200);
    let refreshed = bearer(body["access_token"].as_str().unwrap());
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&refreshed))
            .await
            .0,
        200
    );
    // A new login afterwards is not affected.
    let (tablet, _) = example_login(&app).await;
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&tablet)).await.0,
        200
    );
}

/// Ending a session revokes what rotation put in it, and a Flask-style
/// refresh token is a session of its own that access tokens can join.
pub async fn ending_a_session_covers_rotation_and_tokens_minted_outside_a_pair(jwt: &JwtManager) {
    let pair = jwt.create_token_pair("dave").unwrap();
    let decoded = |token: &str| jwt.decode_token(token).unwrap();
    let rotated = jwt
        .rotate_refresh_token(&decoded(&pair.refresh_token))
        .await
        .unwrap();
    jwt.end_session(&decoded(&pair.access_token)).await.unwrap();
    for token in [&rotated.access_token, &rotated.refresh_token] {
        assert_eq!(revocation_of(jwt, token).await, Some(JwtError::Revoked));
    }
    assert_eq!(
        jwt.rotate_refresh_token(&decoded(&rotated.refresh_token))
            .await
            .unwrap_err(),
        JwtError::Revoked
    );

    let refresh = decoded(&jwt.create_refresh_token("erin").unwrap());
    let minted = jwt
        .access_token_builder("erin")
        .in_session_of(&refresh)
        .encode()
        .unwrap();
    let unrelated = jwt.create_access_token("erin").unwrap();
    jwt.end_session(&refresh).await.unwrap();
    assert_eq!(revocation_of(jwt, &minted).await, Some(JwtError::Revoked));
    assert_eq!(revocation_of(jwt, &unrelated).await, None);
}

/// "Log out my other devices", twice from two devices, then everywhere: no
/// call lets a token revoked by an earlier one back in.
async fn verdicts(jwt: &JwtManager, tokens: [&String; 4]) -> Vec<bool> {
    let mut revoked = Vec::new();
    for token in tokens {
        revoked.push(revocation_of(jwt, token).await.is_some());
    }
    revoked
}

pub async fn other_devices_end_and_no_cutoff_undoes_another(jwt: &JwtManager) {
    let login = |_| jwt.create_token_pair("hank").unwrap();
    let (a, b, c) = (login(1), login(2), login(3));
    let decoded = |token: &str| jwt.decode_token(token).unwrap();
    jwt.end_other_sessions(&decoded(&a.access_token))
        .await
        .unwrap();
    let d = login(4);
    let tokens = [
        &a.access_token,
        &b.access_token,
        &c.refresh_token,
        &d.refresh_token,
    ];
    assert_eq!(verdicts(jwt, tokens).await, [false, true, true, false]);
    jwt.end_other_sessions(&decoded(&d.access_token))
        .await
        .unwrap();
    assert_eq!(verdicts(jwt, tokens).await, [true, true, true, false]);
    jwt.revoke_all_tokens("hank").await.unwrap();
    assert_eq!(verdicts(jwt, tokens).await, [true, true, true, true]);
    assert_eq!(revocation_of(jwt, &login(5).access_token).await, None);
}

/// "Log out everywhere" splits one second: tokens minted before the call
/// are refused, tokens minted after it accepted.
pub async fn log_out_everywhere_orders_tokens_within_the_same_second(jwt: &JwtManager) {
    let mut same_second = 0;
    for _ in 0..20 {
        let before = jwt.create_access_token("frank").unwrap();
        jwt.revoke_all_tokens("frank").await.unwrap();
        let after = jwt.create_access_token("frank").unwrap();
        let iat = |token: &str| jwt.decode_token(token).unwrap().issued_at();
        assert_eq!(revocation_of(jwt, &before).await, Some(JwtError::Revoked));
        assert_eq!(revocation_of(jwt, &after).await, None);
        same_second += usize::from(iat(&before) == iat(&after));
    }
    assert!(same_second > 0, "no round stayed within one second");
}

/// Presenting a just-rotated refresh token again: reuse with `strict`, a
/// copy of the current token within the reuse interval of `lenient`.
pub async fn a_refresh_within_the_reuse_interval_is_not_theft(
    strict: &JwtManager,
    lenient: &JwtManager,
) {
    for jwt in [strict, lenient] {
        let decoded = |token: &str| jwt.decode_token(token).unwrap();
        let login = jwt.create_token_pair("gina").unwrap();
        let presented = decoded(&login.refresh_token);
        let first_tab = jwt.rotate_refresh_token(&presented).await.unwrap();
        let second_tab = jwt.rotate_refresh_token(&presented).await;
        if std::ptr::eq(jwt, strict) {
            assert_eq!(second_tab.unwrap_err(), JwtError::Revoked);
            assert_eq!(
                revocation_of(jwt, &first_tab.access_token).await,
                Some(JwtError::Revoked)
            );
            continue;
        }
        // Both tabs hold the family's current refresh token, and either
        // one rotates on.
        let second_tab = second_tab.unwrap();
        let jti = |token: &str| decoded(token).jti().unwrap().to_owned();
        assert_eq!(
            jti(&second_tab.refresh_token),
            jti(&first_tab.refresh_token)
        );
        assert_eq!(revocation_of(jwt, &second_tab.access_token).await, None);
        let next = jwt
            .rotate_refresh_token(&decoded(&second_tab.refresh_token))
            .await
            .unwrap();
        // The first token is now two rotations old: reuse.
        assert_eq!(
            jwt.rotate_refresh_token(&presented).await.unwrap_err(),
            JwtError::Revoked
        );
        assert_eq!(
            revocation_of(jwt, &next.access_token).await,
            Some(JwtError::Revoked)
        );
        // Two sessions' second tabs, interleaved: each family remembers its
        // own previous refresh token.
        let [a, b] = [(); 2].map(|()| jwt.create_token_pair("gina").unwrap());
        let mut first_tabs = Vec::new();
        for login in [&a, &b] {
            let presented = decoded(&login.refresh_token);
            first_tabs.push(jwt.rotate_refresh_token(&presented).await.unwrap());
        }
        for (login, first_tab) in [&a, &b].into_iter().zip(&first_tabs) {
            let second_tab = jwt
                .rotate_refresh_token(&decoded(&login.refresh_token))
                .await
                .unwrap();
            assert_eq!(
                jti(&second_tab.refresh_token),
                jti(&first_tab.refresh_token)
            );
        }
    }
}

pub fn with_reuse_interval(store: impl TokenStore) -> JwtManager {
    with_reuse_interval_of(store, std::time::Duration::from_secs(5))
}

fn with_reuse_interval_of(store: impl TokenStore, interval: std::time::Duration) -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_store(store)
        .refresh_reuse_interval(interval)
        .build()
        .unwrap()
}

/// The reuse interval is at most an hour: exactly an hour builds, a
/// millisecond more (and the longest `Duration`) is refused at build with the
/// value it was given.
#[actix_web::test]
async fn the_reuse_interval_is_at_most_an_hour() {
    let hour = std::time::Duration::from_secs(3600);
    let build = |interval| {
        JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .refresh_reuse_interval(interval)
            .build()
    };
    assert!(build(hour).is_ok());
    for interval in [
        hour + std::time::Duration::from_millis(1),
        std::time::Duration::MAX,
    ] {
        let error = build(interval).unwrap_err();
        assert!(
            matches!(error, actix_jwt_extended::config::ConfigError::OutOfRange(ref why)
                if why.contains(&format!("{interval:?}")) && why.contains("at most an hour")),
            "{error:?}"
        );
    }
    // An hour's interval works: a second tab within it is not theft.
    a_refresh_within_the_reuse_interval_is_not_theft(
        &manager_with(MemoryStore::new()),
        &with_reuse_interval_of(MemoryStore::new(), hour),
    )
    .await;
}

/// The reuse interval ends: a refresh token presented again after it (the
/// store's own clock, here 200 ms) is reuse, and ends the session.
pub async fn a_refresh_after_the_reuse_interval_is_theft(store: impl TokenStore) {
    let jwt = with_reuse_interval_of(store, std::time::Duration::from_millis(200));
    let login = jwt.create_token_pair("hugo").unwrap();
    let presented = jwt.decode_token(&login.refresh_token).unwrap();
    let first_tab = jwt.rotate_refresh_token(&presented).await.unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        jwt.rotate_refresh_token(&presented).await.unwrap_err(),
        JwtError::Revoked
    );
    assert_eq!(
        revocation_of(&jwt, &first_tab.access_token).await,
        Some(JwtError::Revoked)
    );
}

#[actix_web::test]
async fn sessions_other_devices_same_second_and_reuse_interval_in_memory() {
    let jwt = manager_with(MemoryStore::new());
    ending_a_session_covers_rotation_and_tokens_minted_outside_a_pair(&jwt).await;
    other_devices_end_and_no_cutoff_undoes_another(&jwt).await;
    log_out_everywhere_orders_tokens_within_the_same_second(&jwt).await;
    let lenient = with_reuse_interval(MemoryStore::new());
    a_refresh_within_the_reuse_interval_is_not_theft(&jwt, &lenient).await;
    a_refresh_after_the_reuse_interval_is_theft(MemoryStore::new()).await;
}
