//! The `test` module (feature `test-util`): tokens on test requests where
//! the manager reads them, and a clock that expires tokens without sleeping.

use std::time::Duration;

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::{CookieConfig, TokenLocation},
    cookies::ImplicitRefresh,
    test::{TestClock, TestRequestExt},
    token::Freshness,
};
use actix_web::{App, HttpResponse, test as actix_test, web};
use serde_json::{Value, json};

use crate::common::{self, msg};

fn manager(clock: &TestClock) -> JwtManager {
    JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .clock(clock)
        .token_location([TokenLocation::Headers, TokenLocation::Cookies])
        .cookies(CookieConfig::new().secure(false))
        .build()
        .unwrap()
}

/// The routes below, served with `jwt`.
macro_rules! app {
    ($jwt:expr) => {
        actix_test::init_service(
            App::new()
                .app_data(web::Data::new($jwt.clone()))
                .configure(routes),
        )
        .await
    };
}

fn routes(config: &mut web::ServiceConfig) {
    let me =
        || |id: JwtIdentity| async move { HttpResponse::Ok().json(json!({ "me": id.as_str() })) };
    config
        .route("/me", web::route().to(me()).wrap(JwtRequired::new()))
        .route(
            "/fresh",
            web::get().to(me()).wrap(JwtRequired::new().fresh()),
        )
        .route(
            "/refresh",
            web::post().to(me()).wrap(RefreshRequired::new()),
        );
}

async fn answer<B: actix_web::body::MessageBody>(
    app: &impl common::TestApp<B>,
    req: actix_test::TestRequest,
) -> (u16, Value) {
    let (status, body) = common::send(app, req).await;
    (status.as_u16(), body)
}

#[actix_web::test]
async fn test_requests_carry_tokens_where_the_manager_reads_them() {
    let clock = TestClock::new();
    let jwt = manager(&clock);
    let app = app!(jwt);
    let me = (200, json!({ "me": "alice" }));
    let get = || actix_test::TestRequest::get().uri("/me");
    let post = |uri: &str| actix_test::TestRequest::post().uri(uri);
    assert_eq!(
        answer(&app, get().with_access_token(&jwt, "alice")).await,
        me
    );
    assert_eq!(
        answer(&app, post("/refresh").with_refresh_token(&jwt, "alice")).await,
        me
    );
    // Cookies and their CSRF header: a POST passes.
    assert_eq!(
        answer(&app, post("/me").with_jwt_cookies(&jwt, "alice")).await,
        me
    );
    assert_eq!(
        answer(&app, post("/refresh").with_refresh_cookies(&jwt, "alice")).await,
        me
    );
    // The kinds still never cross.
    assert_eq!(
        answer(&app, get().with_refresh_token(&jwt, "alice")).await,
        (422, msg("Only non-refresh tokens are allowed"))
    );
    // Any token, as it is.
    let token = jwt.create_access_token("alice").unwrap();
    assert_eq!(answer(&app, get().with_token(&token)).await, me);
    assert_eq!(
        answer(&app, get().with_token(&format!("{token}x"))).await,
        (422, msg("Signature verification failed"))
    );

    // The configured header name and type.
    let custom = JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .header_name("X-Api-Token")
        .header_type("JWT")
        .build()
        .unwrap();
    let app = app!(custom);
    let req = get().with_access_token(&custom, "alice").to_http_request();
    let line = req.headers().get("x-api-token").unwrap().to_str().unwrap();
    assert!(line.starts_with("JWT ey"), "{line}");
    assert!(req.headers().get("authorization").is_none());
    let (status, body) = answer(&app, get().with_access_token(&custom, "alice")).await;
    assert_eq!((status, body), me);
}

#[actix_web::test]
async fn a_test_clock_expires_tokens_and_freshness_without_sleeping() {
    let clock = TestClock::new();
    let jwt = manager(&clock);
    let app = app!(jwt);
    let get = |uri: &str, token: &str| actix_test::TestRequest::get().uri(uri).with_token(token);
    let access = jwt.create_access_token("alice").unwrap();
    let fresh = jwt
        .access_token_builder("alice")
        .fresh(Freshness::FreshFor(Duration::from_secs(60)))
        .encode()
        .unwrap();
    assert_eq!(answer(&app, get("/me", &access)).await.0, 200);
    assert_eq!(answer(&app, get("/fresh", &fresh)).await.0, 200);

    clock.advance(Duration::from_secs(61));
    assert_eq!(clock.ahead(), Duration::from_secs(61));
    assert_eq!(
        answer(&app, get("/fresh", &fresh)).await,
        (401, msg("Fresh token required"))
    );
    assert_eq!(
        answer(&app, get("/me", &access)).await.0,
        200,
        "still within 15 minutes"
    );

    // Past the access lifetime, though the verified-token cache holds it.
    clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(
        answer(&app, get("/me", &access)).await,
        (401, msg("Token has expired"))
    );

    // Tokens are dated by the clock: one minted now is valid here, and from
    // the future for a manager on the system clock.
    let later = jwt.create_access_token("alice").unwrap();
    assert_eq!(answer(&app, get("/me", &later)).await.0, 200);
    assert_eq!(
        common::manager()
            .decode_token(&later)
            .unwrap_err()
            .to_string(),
        "The token is not yet valid (iat)"
    );
}

#[actix_web::test]
async fn implicit_refresh_follows_the_test_clock() {
    let clock = TestClock::new();
    let jwt = manager(&clock);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .wrap(ImplicitRefresh::new(Duration::from_secs(5 * 60)))
            .configure(routes),
    )
    .await;
    let request = || {
        actix_test::TestRequest::get()
            .uri("/me")
            .with_jwt_cookies(&jwt, "alice")
    };
    let refreshed = |response: &actix_web::dev::ServiceResponse<_>| {
        common::set_cookies(response.response())
            .iter()
            .any(|cookie| cookie.starts_with("access_token_cookie="))
    };
    let response = actix_test::call_service(&app, request().to_request()).await;
    assert!(!refreshed(&response), "fifteen minutes left");
    // A cookie minted now, read eleven minutes later: four minutes left.
    let req = request().to_request();
    clock.advance(Duration::from_secs(11 * 60));
    let response = actix_test::call_service(&app, req).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(refreshed(&response), "within the five-minute window");
}

/// Moving a clock by the longest `Duration` saturates at the latest time it
/// can hold, stopped or running: it never wraps around to the epoch, and a
/// running clock never turns into a stopped one.
#[test]
fn advancing_a_clock_by_the_longest_duration_saturates() {
    let year_3000 = Duration::from_secs(32_503_680_000);
    let stopped = TestClock::stopped_at(Duration::from_secs(1_700_000_000));
    stopped.advance(Duration::MAX);
    assert!(stopped.ahead() > year_3000, "{:?}", stopped.ahead());
    let running = TestClock::new();
    running.advance(Duration::MAX);
    assert!(running.ahead() > year_3000, "{:?}", running.ahead());
    // Still running: it is as far ahead a moment later, not stopped.
    let ahead = running.ahead();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(running.ahead(), ahead);
}
