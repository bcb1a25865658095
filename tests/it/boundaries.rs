//! Every time check at its exact boundary, on both sides, with a stopped
//! clock (`TestClock::stopped_at`) instead of sleeps: `exp` with and without
//! leeway (verified and served from the cache), `nbf` and `iat` with and
//! without leeway, fresh-until, the lifetimes the manager writes, how long
//! a revocation is kept, how long a token cookie lives, and when implicit
//! refresh starts.
//!
//! The rules are PyJWT's, as Flask-JWT-Extended applies them: a token has
//! expired once `now >= exp + leeway`; it is not yet valid while
//! `nbf > now + leeway` (likewise `iat`); it is fresh while
//! `now <= fresh-until`.

use std::{
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};

use actix_jwt_extended::{
    JwtError, JwtManager, JwtRequired,
    config::{CookieConfig, TokenLocation},
    cookies::{CookieOptions, ImplicitRefresh, JwtCookies},
    store::{Cutoff, MemoryStore, StoreError, TokenFacts, TokenStore},
    test::{TestClock, TestRequestExt},
};
use actix_web::{
    App, HttpResponse,
    http::{Method, StatusCode, header::HttpDate},
    web,
};
use serde_json::{Value, json};

use crate::common::{SECRET, bearer, call, guarded, hs256, msg, set_cookies};

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

/// Records how long the manager asks the store to keep each revocation.
#[derive(Default)]
struct Kept {
    until: std::sync::Mutex<Vec<Option<i64>>>,
    memory: MemoryStore,
}

impl Kept {
    fn take(&self) -> Vec<Option<i64>> {
        std::mem::take(&mut *self.until.lock().unwrap())
    }
}

impl TokenStore for Kept {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        self.memory.is_revoked(token).await
    }

    async fn revoke(&self, jti: &str, until: Option<i64>) -> Result<(), StoreError> {
        self.until.lock().unwrap().push(until);
        self.memory.revoke(jti, until).await
    }

    async fn revoke_session(&self, session: &str, until: Option<i64>) -> Result<(), StoreError> {
        self.until.lock().unwrap().push(until);
        self.memory.revoke_session(session, until).await
    }

    async fn revoke_identity(&self, cutoff: Cutoff<'_>) -> Result<(), StoreError> {
        self.until.lock().unwrap().push(cutoff.keep_until);
        self.memory.revoke_identity(cutoff).await
    }
}

/// A revocation is kept exactly as long as the token it covers can be
/// accepted: to `exp + leeway` (the leeway rounded up to a whole second, the
/// store's unit), whatever lifetime the token was minted with; and the token
/// is refused as revoked up to that instant, as expired from it.
#[actix_web::test]
async fn a_revocation_is_kept_exactly_until_its_token_can_no_longer_be_accepted() {
    const DAY: u64 = 24 * 3600;
    for (leeway, kept_past_exp) in [(0.0, 0), (10.0, 10), (0.5, 1)] {
        let clock = TestClock::stopped_at(Duration::from_secs(T) + Duration::from_millis(500));
        let store = Arc::new(Kept::default());
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .clock(&clock)
            .leeway(Duration::from_secs_f64(leeway))
            .max_token_lifetime(Duration::from_secs(60 * DAY))
            .token_store(Arc::clone(&store))
            .build()
            .unwrap();
        let app = guarded!(jwt.clone());
        let case = format!("leeway {leeway}");
        // Longer than the default lifetime, and the default.
        for lifetime in [2 * DAY, 15 * 60] {
            let token = jwt
                .access_token_builder("alice")
                .expires(Duration::from_secs(lifetime))
                .encode()
                .unwrap();
            let exp = T + lifetime;
            jwt.revoke_token(&jwt.decode_token(&token).unwrap())
                .await
                .unwrap();
            assert_eq!(
                store.take(),
                [Some((exp + kept_past_exp) as i64)],
                "{case}, {lifetime} s"
            );
            let token = bearer(&token);
            let end = lifetime as f64 + leeway;
            at(&clock, end - 0.001);
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&token)).await,
                (StatusCode::UNAUTHORIZED, msg("Token has been revoked")),
                "{case}, {lifetime} s"
            );
            at(&clock, end);
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&token)).await,
                expired(),
                "{case}, {lifetime} s"
            );
            at(&clock, 0.5);
        }

        // A session, and everything an identity was issued: as long as the
        // longest-lived token the manager can mint now.
        let pair = jwt.create_token_pair("alice").unwrap();
        let refresh = jwt.decode_token(&pair.refresh_token).unwrap();
        jwt.end_session(&refresh).await.unwrap();
        jwt.revoke_all_tokens("alice").await.unwrap();
        let last = Some((T + 60 * DAY + kept_past_exp) as i64);
        assert_eq!(store.take(), [last, last], "{case}");
    }
}

/// With a stopped clock, "log out everywhere" returns at once, and the
/// clock reads the next millisecond: tokens minted afterwards are accepted,
/// tokens minted before are not.
#[actix_web::test]
async fn log_out_everywhere_on_a_stopped_clock_returns_and_dates_what_follows_after_it() {
    let clock = TestClock::stopped_at(Duration::from_secs(T));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    let app = guarded!(jwt.clone());
    let before = bearer(&jwt.create_access_token("alice").unwrap());
    // On a thread of its own, so that a call that never returns fails the
    // test instead of hanging the suite.
    let (done, returned) = std::sync::mpsc::channel();
    let revoking = jwt.clone();
    std::thread::spawn(move || {
        let revoked = actix_web::rt::System::new()
            .block_on(async move { revoking.revoke_all_tokens("alice").await.is_ok() });
        let _ = done.send(revoked);
    });
    assert_eq!(
        returned.recv_timeout(Duration::from_secs(10)),
        Ok(true),
        "revoke_all_tokens returns on a stopped clock"
    );
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&before)).await,
        (StatusCode::UNAUTHORIZED, msg("Token has been revoked"))
    );
    let after = bearer(&jwt.create_access_token("alice").unwrap());
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&after)).await.0,
        StatusCode::OK
    );
}

/// `Set-Cookie` for the access cookie of `token` at the clock's time: its
/// `Max-Age` and `Expires`.
fn access_cookie(
    jwt: &JwtManager,
    token: &str,
    options: &CookieOptions,
) -> Result<(String, String), JwtError> {
    let mut response = HttpResponse::Ok().finish();
    response.set_access_cookies_with(jwt, token, options)?;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|cookie| cookie.starts_with("access_token_cookie="))
        .unwrap();
    let attribute = |name: &str| {
        cookie
            .split("; ")
            .find_map(|attribute| attribute.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {cookie}"))
            .to_owned()
    };
    Ok((attribute("Max-Age="), attribute("Expires=")))
}

fn http_date(seconds: u64) -> String {
    HttpDate::from(UNIX_EPOCH + Duration::from_secs(seconds)).to_string()
}

/// A persistent cookie (`session_cookie(false)`) lives until its token's
/// `exp`, to the second, however late in the token's life it is written;
/// from `exp` on there is nothing to write.
#[actix_web::test]
async fn a_token_cookie_lives_until_its_token_expires_to_the_second() {
    let clock = TestClock::stopped_at(Duration::from_secs(T) + Duration::from_millis(999));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .access_token_expires(Duration::from_secs(60))
        .cookies(CookieConfig::new().session_cookie(false))
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let options = CookieOptions::new();
    let until = http_date(T + 60);
    assert_eq!(
        access_cookie(&jwt, &token, &options).unwrap(),
        ("60".to_owned(), until.clone())
    );
    at(&clock, 59.999);
    assert_eq!(
        access_cookie(&jwt, &token, &options).unwrap(),
        ("1".to_owned(), until)
    );
    at(&clock, 60.0);
    assert!(matches!(
        access_cookie(&jwt, &token, &options),
        Err(JwtError::Expired)
    ));
}

/// `CookieOptions::max_age` may reach the last second of the year 9999 (the
/// latest date a cookie can carry) and not one second more.
#[actix_web::test]
async fn a_cookie_max_age_reaches_the_end_of_9999_and_not_a_second_past_it() {
    const LAST_SECOND_OF_9999: u64 = 253_402_300_799;
    let clock = TestClock::stopped_at(Duration::from_secs(T));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let longest = Duration::from_secs(LAST_SECOND_OF_9999 - T);
    assert_eq!(
        access_cookie(&jwt, &token, &CookieOptions::new().max_age(longest)).unwrap(),
        (
            (LAST_SECOND_OF_9999 - T).to_string(),
            "Fri, 31 Dec 9999 23:59:59 GMT".to_owned()
        )
    );
    let past = CookieOptions::new().max_age(longest + Duration::from_secs(1));
    assert!(matches!(
        access_cookie(&jwt, &token, &past),
        Err(JwtError::Creation(_))
    ));
}

/// `ImplicitRefresh` replaces the access cookie once the token expires
/// within the window, strictly (Flask: `now + window > exp`): not when it
/// ends exactly at the window's end, and one millisecond later, yes.
#[actix_web::test]
async fn implicit_refresh_starts_one_millisecond_after_the_window_reaches_exp() {
    let clock = TestClock::stopped_at(Duration::from_secs(T));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .token_location([TokenLocation::Cookies])
        .cookies(CookieConfig::new().secure(false))
        .build()
        .unwrap();
    let app = actix_web::test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .wrap(ImplicitRefresh::new(Duration::from_secs(300)))
            .route(
                "/p",
                web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
            ),
    )
    .await;
    // Fifteen minutes: exp is T + 900, the window opens after T + 600.
    for (seconds, refreshed) in [(599.999, false), (600.0, false), (600.001, true)] {
        at(&clock, 0.0);
        let req = actix_web::test::TestRequest::get()
            .uri("/p")
            .with_jwt_cookies(&jwt, "alice")
            .to_request();
        at(&clock, seconds);
        let res = actix_web::test::call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::OK, "at {seconds}");
        let cookies = set_cookies(res.response());
        assert_eq!(
            cookies
                .iter()
                .any(|cookie| cookie.starts_with("access_token_cookie=")),
            refreshed,
            "at {seconds}: {cookies:?}"
        );
    }
}
