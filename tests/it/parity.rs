//! Flask-JWT-Extended behaviours of the second parity round (issue #13):
//! decoding expired tokens, the token's location, per-route revocation
//! checks, per-call cookie options, cookie expiry.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use actix_jwt_extended::{
    Claims, JwtError, JwtIdentity, JwtManager, JwtRequestExt, JwtRequired, RefreshRequired,
    Require,
    config::{ConfigError, CookieConfig, ErrorFormat, FlaskConfig, TokenLocation},
    cookies::{CookieOptions, JwtCookies},
    manager::PairOptions,
    store::MemoryStore,
};
use actix_web::{App, HttpRequest, HttpResponse, http::Method, test as actix_test, web};
use serde_json::{Value, json};

use crate::common::{
    self, attributes, bearer, call, flask_payload, guarded, hs256, msg, now, persistent_attributes,
};

/// Answers the identity of the token in the `Authorization` header even when
/// it has expired, as a "who was I" route of a Flask app does with
/// `decode_token(token, allow_expired=True)`.
async fn who_was_i(
    req: HttpRequest,
    jwt: web::Data<JwtManager>,
) -> actix_web::Result<HttpResponse> {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let decoded = jwt.decode_token_allow_expired(token)?;
    Ok(HttpResponse::Ok().json(json!({
        "identity": decoded.identity(),
        "expired": decoded.expires_at().is_some_and(|exp| exp < common::now() as i64),
    })))
}

fn token_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut payload = flask_payload("access");
    edit(payload.as_object_mut().unwrap());
    hs256(&payload)
}

#[actix_web::test]
async fn decode_token_allow_expired_checks_everything_but_the_expiry() {
    let app = guarded!(common::manager(), ("/who_was_i", web::get().to(who_was_i)));
    let expired = token_with(|p| {
        p.insert("exp".into(), json!(now() - 10));
    });
    let (status, body) = call(&app, Method::GET, "/who_was_i", Some(&bearer(&expired))).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"identity": "test", "expired": true}))
    );
    let valid = hs256(&flask_payload("access"));
    let (status, body) = call(&app, Method::GET, "/who_was_i", Some(&bearer(&valid))).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"identity": "test", "expired": false}))
    );
    // The guarded route still refuses the expired token.
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&expired)))
            .await
            .0
            .as_u16(),
        401
    );

    // Every other check holds, with its own message rather than "expired".
    let mut wrong_secret = flask_payload("access");
    wrong_secret["exp"] = json!(now() - 10);
    let wrong_secret = common::forge(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &wrong_secret,
        "another-secret",
        jsonwebtoken::Algorithm::HS256,
    );
    let refused = [
        (wrong_secret, 422, "Signature verification failed"),
        (
            token_with(|p| {
                p.insert("exp".into(), json!(now() - 10));
                p.insert("type".into(), json!("id_token"));
            }),
            422,
            "Invalid token type: \"type\" must be \"access\" or \"refresh\"",
        ),
        (
            token_with(|p| {
                p.insert("exp".into(), json!(now() - 10));
                p.insert("nbf".into(), json!(now() + 60));
            }),
            422,
            "The token is not yet valid (nbf)",
        ),
        (
            token_with(|p| {
                p.insert("exp".into(), json!(now() - 10));
                p.remove("sub");
            }),
            422,
            "Missing claim: sub",
        ),
        (
            token_with(|p| {
                p.insert("exp".into(), json!("soon"));
            }),
            422,
            "Expiration Time claim (exp) must be an integer.",
        ),
        ("not.a.token".to_owned(), 422, "Invalid header padding"),
    ];
    for (token, status, message) in refused {
        let (got, body) = call(&app, Method::GET, "/who_was_i", Some(&bearer(&token))).await;
        assert_eq!((got.as_u16(), body), (status, msg(message)), "{token}");
    }
}

fn cookie_manager(config: CookieConfig) -> JwtManager {
    JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .access_token_expires(Duration::from_secs(600))
        .token_location([TokenLocation::Cookies])
        .cookies(config.secure(false))
        .build()
        .unwrap()
}

/// `POST /login?domain=..&max_age=..` sets both cookies with those
/// per-call options; `POST /logout?domain=..` clears them for that domain.
fn cookie_routes(config: &mut web::ServiceConfig) {
    #[derive(serde::Deserialize)]
    struct Query {
        domain: Option<String>,
        max_age: Option<u64>,
    }
    fn options(query: &Query) -> CookieOptions {
        let mut options = CookieOptions::new();
        if let Some(domain) = &query.domain {
            options = options.domain(domain);
        }
        if let Some(max_age) = query.max_age {
            options = options.max_age(Duration::from_secs(max_age));
        }
        options
    }
    config
        .route(
            "/login",
            web::post().to(
                |jwt: web::Data<JwtManager>, query: web::Query<Query>| async move {
                    let options = options(&query);
                    Ok::<_, actix_web::Error>(
                        HttpResponse::Ok()
                            .set_access_cookies_with(
                                &jwt,
                                &jwt.create_access_token("u")?,
                                &options,
                            )?
                            .set_refresh_cookies_with(
                                &jwt,
                                &jwt.create_refresh_token("u")?,
                                &options,
                            )?
                            .finish(),
                    )
                },
            ),
        )
        .route(
            "/logout",
            web::post().to(
                |jwt: web::Data<JwtManager>, query: web::Query<Query>| async move {
                    Ok::<_, actix_web::Error>(
                        HttpResponse::Ok()
                            .unset_jwt_cookies_with(&jwt, &options(&query))?
                            .finish(),
                    )
                },
            ),
        );
}

async fn cookies_of(
    app: &impl common::TestApp<actix_web::body::BoxBody>,
    uri: &str,
) -> (u16, Vec<String>) {
    let response =
        actix_test::call_service(app, actix_test::TestRequest::post().uri(uri).to_request()).await;
    let status = response.status().as_u16();
    (status, common::set_cookies(response.response()))
}

#[actix_web::test]
async fn non_session_cookies_carry_expires_beside_max_age_as_flask_sends_them() {
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(cookie_manager(
                CookieConfig::new().session_cookie(false),
            )))
            .configure(cookie_routes),
    )
    .await;
    let (status, cookies) = common::in_one_second(async || cookies_of(&app, "/login").await).await;
    assert_eq!((status, cookies.len()), (200, 4));
    let refresh_lifetime = format!("Max-Age={}", 30 * 86_400);
    for (cookie, max_age) in cookies.iter().zip([
        "Max-Age=600",
        "Max-Age=600",
        &refresh_lifetime,
        &refresh_lifetime,
    ]) {
        assert!(
            persistent_attributes(cookie).contains(&max_age.to_owned()),
            "{cookie}"
        );
    }
    // Session cookies (the default) carry neither.
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(cookie_manager(CookieConfig::new())))
            .configure(cookie_routes),
    )
    .await;
    let (_, cookies) = cookies_of(&app, "/login").await;
    for cookie in cookies {
        assert!(
            !cookie.contains("Max-Age") && !cookie.contains("Expires"),
            "{cookie}"
        );
    }
}

#[actix_web::test]
async fn per_call_domain_and_max_age_override_the_configured_ones() {
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(cookie_manager(
                CookieConfig::new().domain("example.com"),
            )))
            .configure(cookie_routes),
    )
    .await;
    // Flask: set_access_cookies(response, token, max_age=60, domain="api.example.com").
    let (status, cookies) = cookies_of(&app, "/login?domain=api.example.com&max_age=60").await;
    assert_eq!((status, cookies.len()), (200, 4));
    for cookie in &cookies {
        let attributes = persistent_attributes(cookie);
        assert!(
            attributes.contains(&"Domain=api.example.com".to_owned()),
            "{cookie}"
        );
        assert!(attributes.contains(&"Max-Age=60".to_owned()), "{cookie}");
    }
    // Without options: the configured domain, session cookies.
    let (_, cookies) = cookies_of(&app, "/login").await;
    for cookie in &cookies {
        assert!(
            attributes(cookie).contains(&"Domain=example.com".to_owned()),
            "{cookie}"
        );
        assert!(!cookie.contains("Max-Age"), "{cookie}");
    }
    // Clearing for the other domain: the four cookies, expired, on that domain.
    let (status, cleared) = cookies_of(&app, "/logout?domain=api.example.com").await;
    assert_eq!((status, cleared.len()), (200, 4));
    for cookie in &cleared {
        let attributes = attributes(cookie);
        assert!(
            attributes.contains(&"Domain=api.example.com".to_owned()),
            "{cookie}"
        );
        assert!(
            attributes.contains(&"Expires=Thu, 01 Jan 1970 00:00:00 GMT".to_owned()),
            "{cookie}"
        );
    }
    // A domain that would add attributes, a lifetime past 9999: a JSON 500
    // from the handler's `?`, no cookie.
    for uri in [
        "/login?domain=example.com%3B%20SameSite%3DNone",
        "/logout?domain=a%20b",
        "/login?domain=",
        &format!("/login?max_age={}", u64::MAX),
    ] {
        let response =
            actix_test::call_service(&app, actix_test::TestRequest::post().uri(uri).to_request())
                .await;
        assert_eq!(response.status().as_u16(), 500, "{uri}");
        assert!(common::set_cookies(response.response()).is_empty(), "{uri}");
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/json",
            "{uri}"
        );
    }
}

#[test]
fn cookie_names_paths_and_domains_that_break_set_cookie_fail_at_build() {
    let build = |config: CookieConfig| {
        JwtManager::builder()
            .secret(common::SECRET)
            .allow_short_secret()
            .cookies(config)
            .build()
    };
    for config in [
        CookieConfig::new().cookie_names("access token", "r"),
        CookieConfig::new().cookie_names("a", "r;x"),
        CookieConfig::new().cookie_names("", "r"),
        CookieConfig::new().csrf_cookie_names("c=1", "r"),
        CookieConfig::new().cookie_paths("/; Domain=evil.example", "/"),
        CookieConfig::new().csrf_cookie_paths("/", ""),
        CookieConfig::new().domain("example.com; SameSite=None"),
        CookieConfig::new().domain("."),
    ] {
        let error = build(config.clone()).unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidCookie(_)),
            "{config:?}: {error}"
        );
    }
    for config in [
        CookieConfig::new().cookie_names("__Host-access", "refresh_token_cookie"),
        CookieConfig::new().cookie_paths("/api/", "/token/refresh"),
        CookieConfig::new().domain(".example.com"),
        CookieConfig::new().domain("localhost"),
    ] {
        assert!(build(config).is_ok());
    }
}

/// The location each reader reports: the extractors, and the request's
/// verified token.
async fn where_from(req: HttpRequest, claims: Claims, identity: JwtIdentity) -> HttpResponse {
    let token = req.verified_token().unwrap();
    assert_eq!(Some(claims.location()), token.location());
    HttpResponse::Ok().json(json!({
        "claims": claims.location().as_str(),
        "identity": identity.location().as_str(),
    }))
}

fn all_locations(order: [TokenLocation; 4]) -> JwtManager {
    JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .token_location(order)
        .cookies(CookieConfig::new().secure(false))
        .build()
        .unwrap()
}

#[actix_web::test]
async fn the_token_reports_the_location_it_came_from_in_flasks_order() {
    use TokenLocation::{Cookies, Headers, Json, QueryString};
    let jwt = all_locations([Headers, Cookies, Json, QueryString]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route(
                "/guarded",
                web::route().to(where_from).wrap(JwtRequired::new()),
            )
            .route("/unguarded", web::get().to(where_from)),
    )
    .await;
    let token = jwt.create_access_token("u").unwrap();
    let invalid = format!("{token}x");
    let header = |token: &str| ("Authorization", bearer(token));
    let cookie = |token: &str| ("Cookie", format!("access_token_cookie={token}"));
    let get = |path: &str| actix_test::TestRequest::get().uri(path);
    let post_json = |token: &str| {
        actix_test::TestRequest::post()
            .uri("/guarded")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(json!({ "access_token": token }).to_string())
    };
    let cases = [
        (
            "header",
            get("/guarded").insert_header(header(&token)),
            "headers",
        ),
        (
            "cookie",
            get("/guarded").insert_header(cookie(&token)),
            "cookies",
        ),
        (
            "query string",
            get(&format!("/guarded?jwt={token}")),
            "query_string",
        ),
        ("json body", post_json(&token), "json"),
        (
            "header and cookie: the first configured wins",
            get("/guarded")
                .insert_header(header(&token))
                .insert_header(cookie(&token)),
            "headers",
        ),
        (
            "cookie and query string",
            get(&format!("/guarded?jwt={token}")).insert_header(cookie(&token)),
            "cookies",
        ),
        (
            "no guard",
            get("/unguarded").insert_header(cookie(&token)),
            "cookies",
        ),
    ];
    for (name, req, location) in cases {
        let (status, body) = common::send(&app, req).await;
        assert_eq!(
            (status.as_u16(), body),
            (200, json!({"claims": location, "identity": location})),
            "{name}"
        );
    }
    // As in Flask, only a missing token moves on to the next location: an
    // invalid one in the first location that holds one is the answer, even
    // with a valid one further on.
    let refused = [
        get("/guarded")
            .insert_header(header(&invalid))
            .insert_header(cookie(&token)),
        get(&format!("/guarded?jwt={token}")).insert_header(cookie(&invalid)),
        get("/unguarded")
            .insert_header(header(&invalid))
            .insert_header(cookie(&token)),
    ];
    for req in refused {
        let (status, body) = common::send(&app, req).await;
        assert_eq!(
            (status.as_u16(), body),
            (422, msg("Signature verification failed"))
        );
    }

    // Another order: cookies before headers.
    let jwt = all_locations([Cookies, QueryString, Headers, Json]);
    let app = actix_test::init_service(App::new().app_data(web::Data::new(jwt)).route(
        "/guarded",
        web::route().to(where_from).wrap(JwtRequired::new()),
    ))
    .await;
    let (status, body) = common::send(
        &app,
        get(&format!("/guarded?jwt={token}"))
            .insert_header(header(&token))
            .insert_header(cookie(&token)),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"claims": "cookies", "identity": "cookies"}))
    );
    let (status, body) = common::send(
        &app,
        get(&format!("/guarded?jwt={token}")).insert_header(header(&token)),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (
            200,
            json!({"claims": "query_string", "identity": "query_string"})
        )
    );
    // decode_token has no request, so no location.
    assert_eq!(
        common::manager()
            .decode_token(&hs256(&flask_payload("access")))
            .unwrap()
            .location(),
        None
    );
}

/// A manager with a memory store and hooks that count their runs.
fn counting_manager(claims_checks: Arc<AtomicUsize>) -> JwtManager {
    JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .token_store(MemoryStore::new())
        .verify_claims(move |_| {
            claims_checks.fetch_add(1, Ordering::SeqCst);
            true
        })
        .build()
        .unwrap()
}

#[actix_web::test]
async fn skip_revocation_check_lets_a_revoked_token_through_that_route_only() {
    let claims_checks = Arc::new(AtomicUsize::new(0));
    let jwt = counting_manager(claims_checks.clone());
    let ok = || web::get().to(HttpResponse::Ok);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/checked", ok().wrap(JwtRequired::new()))
            .route(
                "/skipped",
                ok().wrap(JwtRequired::new().skip_revocation_check()),
            )
            .route(
                "/refresh_skipped",
                web::post()
                    .to(HttpResponse::Ok)
                    .wrap(RefreshRequired::new().skip_revocation_check()),
            )
            .route(
                "/refresh_checked",
                web::post()
                    .to(HttpResponse::Ok)
                    .wrap(RefreshRequired::new()),
            )
            // Two guards on one request, both orders.
            .service(
                web::scope("/outer_checks")
                    .wrap(JwtRequired::new())
                    .route("", ok().wrap(JwtRequired::new().skip_revocation_check())),
            )
            .service(
                web::scope("/outer_skips")
                    .wrap(JwtRequired::new().skip_revocation_check())
                    .route("", ok().wrap(JwtRequired::new())),
            ),
    )
    .await;
    let access = jwt.create_access_token("u").unwrap();
    let refresh = jwt.create_refresh_token("u").unwrap();
    let status = |path: &'static str, token: String| {
        let app = &app;
        async move {
            let method = if path.starts_with("/refresh") {
                Method::POST
            } else {
                Method::GET
            };
            call(app, method, path, Some(&bearer(&token))).await
        }
    };
    for path in ["/checked", "/skipped", "/outer_checks", "/outer_skips"] {
        assert_eq!(status(path, access.clone()).await.0.as_u16(), 200, "{path}");
    }
    // Once per request, whichever guards ran and in whatever order.
    assert_eq!(claims_checks.load(Ordering::SeqCst), 4);

    jwt.revoke_token(&jwt.decode_token(&access).unwrap())
        .await
        .unwrap();
    jwt.revoke_token(&jwt.decode_token(&refresh).unwrap())
        .await
        .unwrap();
    let revoked = (401, msg("Token has been revoked"));
    let answer = |(status, body): (actix_web::http::StatusCode, Value)| (status.as_u16(), body);
    assert_eq!(answer(status("/checked", access.clone()).await), revoked);
    // Flask's order: the claims hook never sees a revoked token.
    assert_eq!(claims_checks.load(Ordering::SeqCst), 4);
    assert_eq!(status("/skipped", access.clone()).await.0.as_u16(), 200);
    assert_eq!(
        answer(status("/outer_checks", access.clone()).await),
        revoked
    );
    assert_eq!(
        answer(status("/outer_skips", access.clone()).await),
        revoked
    );
    assert_eq!(
        answer(status("/refresh_checked", refresh.clone()).await),
        revoked
    );
    assert_eq!(
        status("/refresh_skipped", refresh.clone()).await.0.as_u16(),
        200
    );
    // Every other check stays: an expired token is still refused.
    let expired = token_with(|p| {
        p.insert("exp".into(), json!(now() - 1));
    });
    assert_eq!(
        answer(status("/skipped", expired).await),
        (401, msg("Token has expired"))
    );
}

/// Routes behind each kind of condition; each answers the identity.
fn authorization_routes(config: &mut web::ServiceConfig) {
    let ok = |guard: JwtRequired| {
        web::get()
            .to(|id: JwtIdentity| async move { HttpResponse::Ok().body(id.to_string()) })
            .wrap(guard)
    };
    config
        .route(
            "/admin",
            ok(JwtRequired::new().require(Require::claim_equals("role", "admin"))),
        )
        .route(
            "/editor",
            ok(JwtRequired::new().require(Require::claim_contains("roles", "editor"))),
        )
        .route(
            "/write",
            ok(JwtRequired::new().require(Require::scopes(["articles:read", "articles:write"]))),
        )
        .route(
            "/both",
            ok(JwtRequired::new()
                .require(Require::claim_equals("role", "admin"))
                .require(Require::check_async(
                    "Not on weekends",
                    |token| async move { token.identity() != "weekend" },
                ))),
        )
        .route(
            "/optional_admin",
            ok(JwtRequired::new()
                .optional()
                .require(Require::claim_equals("role", "admin"))),
        )
        .route(
            "/panics",
            ok(JwtRequired::new()
                .require(Require::check("never", |_| panic!("a bug in a condition")))),
        )
        .route(
            "/refresh_admin",
            web::post()
                .to(HttpResponse::Ok)
                .wrap(RefreshRequired::new().require(Require::claim_equals("role", "admin"))),
        );
}

#[actix_web::test]
async fn require_answers_403_for_a_valid_token_that_lacks_the_claims() {
    let jwt = common::manager();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(authorization_routes),
    )
    .await;
    let token = |claims: Value| {
        jwt.access_token_builder("u")
            .claims(claims)
            .encode()
            .unwrap()
    };
    let insufficient = (403, msg("Insufficient permissions"));
    let scope = (403, msg("Insufficient scope"));
    let cases = [
        (
            "/admin",
            token(json!({"role": "admin"})),
            (200, Value::Null),
        ),
        (
            "/admin",
            token(json!({"role": "Admin"})),
            insufficient.clone(),
        ),
        (
            "/admin",
            token(json!({"role": ["admin"]})),
            insufficient.clone(),
        ),
        ("/admin", token(json!({})), insufficient.clone()),
        (
            "/editor",
            token(json!({"roles": ["viewer", "editor"]})),
            (200, Value::Null),
        ),
        (
            "/editor",
            token(json!({"roles": "editor"})),
            (200, Value::Null),
        ),
        (
            "/editor",
            token(json!({"roles": ["viewer"]})),
            insufficient.clone(),
        ),
        (
            "/editor",
            token(json!({"roles": [["editor"]]})),
            insufficient.clone(),
        ),
        (
            "/write",
            token(json!({"scope": "articles:write openid articles:read"})),
            (200, Value::Null),
        ),
        (
            "/write",
            token(json!({"scp": ["articles:read", "articles:write"]})),
            (200, Value::Null),
        ),
        (
            "/write",
            token(json!({"scp": "articles:read articles:write"})),
            (200, Value::Null),
        ),
        (
            "/write",
            token(json!({"scope": "articles:read"})),
            scope.clone(),
        ),
        (
            "/write",
            token(json!({"scope": "articles:read  articles:writer"})),
            scope.clone(),
        ),
        (
            "/write",
            token(json!({"scope": 7, "scp": {"articles:read": true, "articles:write": true}})),
            scope.clone(),
        ),
        ("/write", token(json!({})), scope.clone()),
        ("/both", token(json!({"role": "admin"})), (200, Value::Null)),
        (
            "/both",
            token(json!({"role": "user"})),
            insufficient.clone(),
        ),
        (
            "/both",
            jwt.access_token_builder("weekend")
                .claims(json!({"role": "admin"}))
                .encode()
                .unwrap(),
            (403, msg("Not on weekends")),
        ),
        (
            "/panics",
            token(json!({})),
            (500, msg("Internal server error")),
        ),
        // Authentication errors come first, with their own status.
        (
            "/admin",
            format!("{}x", token(json!({"role": "admin"}))),
            (422, msg("Signature verification failed")),
        ),
        (
            "/admin",
            jwt.create_refresh_token("u").unwrap(),
            (422, msg("Only non-refresh tokens are allowed")),
        ),
    ];
    for (path, token, expected) in cases {
        let (status, body) = call(&app, Method::GET, path, Some(&bearer(&token))).await;
        assert_eq!((status.as_u16(), body), expected, "{path} {token}");
    }
    // An optional route with a condition still needs a token.
    let (status, body) = call(&app, Method::GET, "/optional_admin", None).await;
    assert_eq!(
        (status.as_u16(), body),
        (401, msg("Missing Authorization Header"))
    );
    let refresh = jwt
        .refresh_token_builder("u")
        .claims(json!({"role": "user"}))
        .encode()
        .unwrap();
    let (status, body) = call(
        &app,
        Method::POST,
        "/refresh_admin",
        Some(&bearer(&refresh)),
    )
    .await;
    assert_eq!((status.as_u16(), body), insufficient);
}

#[actix_web::test]
async fn a_refused_condition_goes_through_the_error_format_and_the_error_response_hook() {
    let rfc = JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .error_format(ErrorFormat::Rfc6750)
        .build()
        .unwrap();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(rfc.clone()))
            .configure(authorization_routes),
    )
    .await;
    let challenges = [
        (
            "/write",
            json!({"scope": "articles:read"}),
            r#"Bearer error="insufficient_scope", error_description="Insufficient scope", scope="articles:read articles:write""#,
        ),
        (
            "/admin",
            json!({"role": "user"}),
            r#"Bearer error="insufficient_scope", error_description="Insufficient permissions""#,
        ),
    ];
    for (path, claims, challenge) in challenges {
        let token = rfc
            .access_token_builder("u")
            .claims(claims)
            .encode()
            .unwrap();
        let request = actix_test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", bearer(&token)));
        let response = actix_test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status().as_u16(), 403, "{path}");
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            challenge
        );
    }

    // The hook replaces it, and sees the token.
    let hooked = JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .error_response(|error, token| match error {
            JwtError::Forbidden { .. } => Some(HttpResponse::Forbidden().json(
                json!({"error": "forbidden", "who": token.map(|t| t.identity().to_owned())}),
            )),
            _ => None,
        })
        .build()
        .unwrap();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(hooked.clone()))
            .configure(authorization_routes),
    )
    .await;
    let token = hooked
        .access_token_builder("u")
        .claims(json!({"role": "user"}))
        .encode()
        .unwrap();
    let (status, body) = call(&app, Method::GET, "/admin", Some(&bearer(&token))).await;
    assert_eq!(
        (status.as_u16(), body),
        (403, json!({"error": "forbidden", "who": "u"}))
    );
}

#[test]
#[should_panic(expected = "is not an OAuth scope token")]
fn a_scope_that_cannot_go_into_a_challenge_is_a_start_up_panic() {
    let _ = Require::scopes(["read\", error=\"x"]);
}

/// `FlaskConfig::from_env` reads this process's `JWT_*` variables and
/// `SECRET_KEY`, and no other; a value that is not UTF-8 is an error that
/// names its variable. The environment is the process's, so each case runs
/// in a child process of this test binary with an environment of its own.
#[test]
fn flask_config_from_env_reads_the_processs_jwt_variables() {
    const CASE: &str = "ACTIX_JWT_EXTENDED_FROM_ENV_CASE";
    const NAME: &str = "parity::flask_config_from_env_reads_the_processs_jwt_variables";
    match std::env::var(CASE).as_deref() {
        Ok("good") => {
            let jwt = FlaskConfig::from_env()
                .unwrap()
                .into_builder()
                .unwrap()
                .build()
                .unwrap();
            let token = jwt.create_access_token("env").unwrap();
            let claims = jwt.decode_token(&token).unwrap().claims().clone();
            assert_eq!(claims["user_id"], "env");
            assert_eq!(
                claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
                60
            );
            let mut payload = flask_payload("access");
            payload.as_object_mut().unwrap().remove("sub");
            payload["user_id"] = json!("flask");
            let secret = std::env::var("SECRET_KEY").unwrap();
            let flasks = common::forge(
                &json!({"alg": "HS256", "typ": "JWT"}),
                &payload,
                &secret,
                jsonwebtoken::Algorithm::HS256,
            );
            assert_eq!(jwt.decode_token(&flasks).unwrap().identity(), "flask");
            return;
        }
        Ok("not utf-8") => {
            let error = FlaskConfig::from_env().unwrap_err().to_string();
            assert!(
                error.contains("JWT_COOKIE_DOMAIN") && error.contains("not valid UTF-8"),
                "{error}"
            );
            return;
        }
        Ok(other) => panic!("unknown case {other}"),
        Err(_) => {}
    }
    let child = |case: &str, vars: &[(&str, &std::ffi::OsStr)]| {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", NAME, "--nocapture"])
            .env(CASE, case);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("JWT_") || name == "SECRET_KEY" {
                command.env_remove(&*name);
            }
        }
        command.envs(vars.iter().copied());
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{case}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let secret = "0123456789abcdef".repeat(4);
    child(
        "good",
        &[
            ("SECRET_KEY", secret.as_ref()),
            ("JWT_ACCESS_TOKEN_EXPIRES", "60".as_ref()),
            ("JWT_IDENTITY_CLAIM", "user_id".as_ref()),
            // Not `JWT_*`: not read (as a JWT_ALGORITHM it would fail).
            ("MY_JWT_ALGORITHM", "RS256".as_ref()),
        ],
    );
    use std::os::unix::ffi::OsStrExt;
    child(
        "not utf-8",
        &[
            ("SECRET_KEY", secret.as_ref()),
            (
                "JWT_COOKIE_DOMAIN",
                std::ffi::OsStr::from_bytes(b"ex\xffample.com"),
            ),
        ],
    );
}

/// A builder from `JWT_*` options in the environment's text forms.
fn from_vars(
    vars: &[(&str, &str)],
) -> Result<actix_jwt_extended::manager::JwtManagerBuilder, ConfigError> {
    FlaskConfig::from_vars(
        vars.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    )
    .unwrap()
    .into_builder()
}

/// Why the configuration is refused with `name` set to `value` (and the
/// secret set).
fn refused(name: &str, value: &str) -> String {
    from_vars(&[("JWT_SECRET_KEY", common::SECRET), (name, value)])
        .unwrap_err()
        .to_string()
}

/// Edges of reading a Flask configuration: flags written as text in any
/// case, an HMAC algorithm beside only one PEM key, and a decode algorithm
/// the key cannot verify, left out with one warning.
#[actix_web::test]
async fn flask_config_flags_lone_pem_keys_and_unverifiable_decode_algorithms() {
    // JWT_ENCODE_NBF from the environment: text that is not JSON.
    for (text, nbf) in [("TRUE", true), ("tRuE", true), ("FALSE", false)] {
        let jwt = from_vars(&[("JWT_SECRET_KEY", common::SECRET), ("JWT_ENCODE_NBF", text)])
            .unwrap()
            .allow_short_secret()
            .build()
            .unwrap();
        let token = jwt.create_access_token("u").unwrap();
        let claims = jwt.decode_token(&token).unwrap().claims().clone();
        assert_eq!(claims.contains_key("nbf"), nbf, "{text}");
    }
    let error = refused("JWT_ENCODE_NBF", "yes");
    assert!(
        error.contains("JWT_ENCODE_NBF must be true or false"),
        "{error}"
    );

    // HS256 beside only one of the PEM keys: the key is ignored, as Flask
    // ignores it.
    let hs256_token = hs256(&flask_payload("access"));
    for pem in ["JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"] {
        let file = if pem == "JWT_PRIVATE_KEY" {
            "rs256_private.pem"
        } else {
            "rs256_public.pem"
        };
        let jwt = common::flask_manager(json!({
            "JWT_ALGORITHM": "HS256",
            "JWT_SECRET_KEY": common::SECRET,
            pem: String::from_utf8(common::pem(file)).unwrap(),
        }));
        assert_eq!(answer(jwt, &hs256_token).await, (200, Value::Null), "{pem}");
    }

    // A decode algorithm the key cannot verify: left out, with one warning
    // naming it.
    common::capture_logs();
    let long_secret = "0123456789abcdef".repeat(4);
    let jwt = common::flask_manager(json!({
        "JWT_ALGORITHM": "HS384",
        "JWT_SECRET_KEY": long_secret,
        "JWT_DECODE_ALGORITHMS": ["HS384", "PS512"],
    }));
    let warnings: Vec<String> = common::logs()
        .into_iter()
        .filter(|line| line.contains("JWT_ALGORITHM=HS384"))
        .collect();
    assert_eq!(
        warnings,
        [
            "actix-jwt-extended: JWT_DECODE_ALGORITHMS names PS512, which the \
          JWT_ALGORITHM=HS384 key cannot verify (nor can Flask's); left out"
        ]
    );
    let hs384 = common::forge(
        &json!({"alg": "HS384", "typ": "JWT"}),
        &flask_payload("access"),
        &long_secret,
        jsonwebtoken::Algorithm::HS384,
    );
    assert_eq!(answer(jwt, &hs384).await, (200, Value::Null));
}

/// A token lifetime in a Flask configuration is a non-negative number of
/// seconds under 10^12, or `false`; a value in range that still ends after
/// the year 9999 fails at build.
#[test]
fn flask_lifetimes_are_seconds_in_range() {
    let built = |seconds: Value| {
        from_vars(&[
            ("JWT_SECRET_KEY", common::SECRET),
            ("JWT_ACCESS_TOKEN_EXPIRES", &seconds.to_string()),
        ])
        .and_then(|builder| builder.allow_short_secret().build())
        .map(|_| ())
        .map_err(|error| error.to_string())
    };
    for seconds in [json!(-1), json!(1e12), json!(1.5e19), json!("1e3")] {
        assert_eq!(
            built(seconds.clone()),
            Err("JWT_ACCESS_TOKEN_EXPIRES must be a number of seconds".to_owned()),
            "{seconds}"
        );
    }
    let error = built(json!(999_999_999_999u64)).unwrap_err();
    assert!(error.contains("ends after the year 9999"), "{error}");
    assert_eq!(built(json!(0.5)), Ok(()));
    assert_eq!(built(json!(false)), Ok(()));
}

/// `JWT_COOKIE_SAMESITE` in each of Flask's forms, in any case, and a
/// number given for a string option, read as its text.
#[test]
fn flask_same_site_forms_and_numbers_for_string_options() {
    use actix_jwt_extended::cookies::JwtCookies;
    let same_site = |value: Value| {
        let jwt = common::flask_manager(json!({
            "JWT_SECRET_KEY": common::SECRET,
            "JWT_COOKIE_SECURE": true,
            "JWT_COOKIE_SAMESITE": value,
        }));
        let response = HttpResponse::Ok()
            .set_access_cookies(&jwt, &jwt.create_access_token("u").unwrap())
            .unwrap()
            .finish();
        let cookie = common::set_cookies(&response).remove(0);
        cookie
            .split("; ")
            .find_map(|attribute| attribute.strip_prefix("SameSite="))
            .map(str::to_owned)
    };
    for (value, attribute) in [
        (json!("Lax"), Some("Lax")),
        (json!("lax"), Some("Lax")),
        (json!("Strict"), Some("Strict")),
        (json!("STRICT"), Some("Strict")),
        (json!("None"), Some("None")),
        (json!("none"), Some("None")),
        (Value::Null, None),
    ] {
        assert_eq!(same_site(value.clone()).as_deref(), attribute, "{value}");
    }
    let error = refused("JWT_COOKIE_SAMESITE", "Relaxed");
    assert!(
        error.contains("JWT_COOKIE_SAMESITE must be Lax, Strict, None or null"),
        "{error}"
    );

    // Flask writes `token_data[42] = identity`, which json.dumps writes
    // as the key "42".
    let jwt = common::flask_manager(json!({
        "JWT_SECRET_KEY": common::SECRET,
        "JWT_IDENTITY_CLAIM": 42,
    }));
    let token = jwt.create_access_token("u").unwrap();
    assert_eq!(jwt.decode_token(&token).unwrap().claims()["42"], "u");
}

/// What `manager` answers on a guarded route for `token`.
async fn answer(manager: JwtManager, token: &str) -> (u16, Value) {
    let app = guarded!(manager);
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(token))).await;
    (status.as_u16(), body)
}

#[actix_web::test]
async fn flask_config_reads_a_working_flask_apps_configuration_as_flask_does() {
    let ok = (200, Value::Null);
    let hs256_token = hs256(&flask_payload("access"));
    // SECRET_KEY when JWT_SECRET_KEY is absent or None; the app's other
    // settings are not ours to refuse.
    for options in [
        json!({"SECRET_KEY": common::SECRET}),
        json!({"SECRET_KEY": common::SECRET, "JWT_SECRET_KEY": null, "DEBUG": true, "SQLALCHEMY_DATABASE_URI": "sqlite://"}),
        json!({"SECRET_KEY": "other", "JWT_SECRET_KEY": common::SECRET}),
    ] {
        assert_eq!(
            answer(common::flask_manager(options.clone()), &hs256_token).await,
            ok,
            "{options}"
        );
    }
    let from_env = FlaskConfig::from_vars([("SECRET_KEY".to_owned(), "null".to_owned())]).unwrap();
    let jwt = from_env
        .into_builder()
        .unwrap()
        .allow_short_secret()
        .build()
        .unwrap();
    let token = common::forge(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &flask_payload("access"),
        "null",
        jsonwebtoken::Algorithm::HS256,
    );
    assert_eq!(
        answer(jwt, &token).await,
        ok,
        "SECRET_KEY is taken verbatim from the environment"
    );

    // None wherever Flask takes it (its defaults).
    let nones = json!({
        "JWT_SECRET_KEY": common::SECRET, "JWT_ENCODE_AUDIENCE": null, "JWT_DECODE_AUDIENCE": null,
        "JWT_ENCODE_ISSUER": null, "JWT_DECODE_ISSUER": null, "JWT_DECODE_ALGORITHMS": null,
        "JWT_PRIVATE_KEY": null, "JWT_PUBLIC_KEY": null, "JWT_COOKIE_DOMAIN": null,
        "JWT_COOKIE_SAMESITE": null,
    });
    assert_eq!(answer(common::flask_manager(nones), &hs256_token).await, ok);

    // JWT_DECODE_ALGORITHMS always includes JWT_ALGORITHM.
    let long_secret = "0123456789abcdef".repeat(4);
    let jwt = common::flask_manager(
        json!({"JWT_SECRET_KEY": long_secret, "JWT_DECODE_ALGORITHMS": ["HS512"]}),
    );
    let hs256_long = common::forge(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &flask_payload("access"),
        &long_secret,
        jsonwebtoken::Algorithm::HS256,
    );
    let hs512_long = common::forge(
        &json!({"alg": "HS512", "typ": "JWT"}),
        &flask_payload("access"),
        &long_secret,
        jsonwebtoken::Algorithm::HS512,
    );
    assert_eq!(answer(jwt.clone(), &hs256_long).await, ok);
    assert_eq!(answer(jwt, &hs512_long).await, ok);

    // RS256 with ["HS512"]: Flask verifies RS256 tokens with the public key
    // and no HS512 token at all.
    let rsa = || {
        json!({
            "JWT_ALGORITHM": "RS256",
            "JWT_PRIVATE_KEY": String::from_utf8(common::pem("rs256_private.pem")).unwrap(),
            "JWT_PUBLIC_KEY": String::from_utf8(common::pem("rs256_public.pem")).unwrap(),
        })
    };
    let mut options = rsa();
    options["JWT_DECODE_ALGORITHMS"] = json!(["HS512"]);
    options["JWT_SECRET_KEY"] = json!(long_secret);
    let jwt = common::flask_manager(options);
    let rs256_token = jwt.create_access_token("u").unwrap();
    assert_eq!(answer(jwt.clone(), &rs256_token).await, ok);
    assert_eq!(
        answer(jwt, &hs512_long).await,
        (422, msg("The specified alg value is not allowed"))
    );

    // An HMAC JWT_ALGORITHM ignores the PEM keys, as Flask does.
    let mut options = rsa();
    options["JWT_ALGORITHM"] = json!("HS256");
    options["JWT_SECRET_KEY"] = json!(common::SECRET);
    let jwt = common::flask_manager(options);
    assert_eq!(answer(jwt.clone(), &hs256_token).await, ok);
    assert_eq!(
        answer(jwt, &rs256_token).await,
        (422, msg("The specified alg value is not allowed"))
    );
}

#[test]
fn each_key_misconfiguration_says_what_is_wrong() {
    let pem = common::pem("rs256_private.pem");
    let message = |builder: actix_jwt_extended::manager::JwtManagerBuilder| {
        builder.build().unwrap_err().to_string()
    };
    let no_algorithm = message(JwtManager::builder().private_key(&pem));
    assert!(
        no_algorithm.contains("a PEM key needs the algorithm of the key"),
        "{no_algorithm}"
    );
    assert!(
        no_algorithm.contains("JwtManagerBuilder::algorithm"),
        "{no_algorithm}"
    );
    let public_only = message(JwtManager::builder().public_key(common::pem("rs256_public.pem")));
    assert!(
        public_only.contains("a PEM key needs the algorithm of the key"),
        "{public_only}"
    );
    let both = message(
        JwtManager::builder()
            .secret(common::SECRET)
            .allow_short_secret()
            .private_key(&pem),
    );
    assert!(
        both.contains("both a secret and a PEM key are set"),
        "{both}"
    );
    // Nothing at all is still "no secret or key".
    assert!(message(JwtManager::builder()).starts_with("no JWT secret or key configured"));
}

#[test]
fn rsa_keys_under_2048_bits_are_refused_at_build() {
    let private = JwtManager::builder()
        .algorithm(jsonwebtoken::Algorithm::RS256)
        .private_key(common::pem("rs1024_private.pem"))
        .build();
    assert!(
        matches!(private, Err(ConfigError::InvalidKey(_))),
        "{private:?}"
    );
    let public = JwtManager::builder()
        .algorithm(jsonwebtoken::Algorithm::RS256)
        .public_key(common::pem("rs1024_public.pem"))
        .build();
    assert!(
        matches!(public, Err(ConfigError::InvalidKey(_))),
        "{public:?}"
    );
}

fn pair_manager() -> JwtManager {
    JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .token_store(MemoryStore::new())
        .token_location([TokenLocation::Headers, TokenLocation::Cookies])
        .cookies(CookieConfig::new().secure(false))
        .build()
        .unwrap()
}

/// A user's role, looked up the way a database would be: asynchronously.
async fn role_of(user: &str) -> &'static str {
    actix_web::rt::task::yield_now().await;
    if user == "alice" { "admin" } else { "viewer" }
}

#[derive(serde::Deserialize)]
struct PairQuery {
    user: Option<String>,
    mode: Option<String>,
}

fn pair_routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/login",
            web::post().to(|jwt: web::Data<JwtManager>, query: web::Query<PairQuery>| async move {
                let user = query.user.clone().unwrap_or_default();
                let options = PairOptions::new().claim("role", role_of(&user).await).fresh(true).access_expires(Duration::from_secs(60));
                let pair = jwt.create_token_pair_with(&user, &options)?;
                Ok::<_, actix_web::Error>(HttpResponse::Ok().set_pair_cookies(&jwt, &pair)?.json(&pair))
            }),
        )
        .route(
            "/rotate",
            web::post()
                .to(|jwt: web::Data<JwtManager>, claims: Claims, query: web::Query<PairQuery>| async move {
                    let options = match query.mode.as_deref() {
                        Some("carry") => PairOptions::new().carry_claims(),
                        Some("replace") => PairOptions::new().carry_claims().claim("role", "viewer"),
                        Some("reserved") => PairOptions::new().claim("type", "access"),
                        _ => PairOptions::new(),
                    };
                    let pair = jwt.rotate_refresh_token_with(claims.token(), &options).await?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().json(&pair))
                })
                .wrap(RefreshRequired::new()),
        )
        .route(
            "/reissue",
            web::post()
                .to(|jwt: web::Data<JwtManager>, identity: JwtIdentity| async move {
                    let token = jwt.create_access_token(&identity)?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().json(json!({ "access_token": token })))
                })
                .wrap(JwtRequired::new()),
        )
        .route(
            "/admin",
            web::get()
                .to(HttpResponse::Ok)
                .wrap(JwtRequired::new().require(Require::claim_equals("role", "admin"))),
        );
}

#[actix_web::test]
async fn token_pairs_and_rotations_take_claims_freshness_and_lifetimes() {
    let jwt = pair_manager();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(pair_routes),
    )
    .await;
    let post = |uri: &str, token: &str| {
        actix_test::TestRequest::post()
            .uri(uri)
            .insert_header(("Authorization", bearer(token)))
    };
    let response = actix_test::call_service(
        &app,
        actix_test::TestRequest::post()
            .uri("/login?user=alice")
            .to_request(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let cookies = common::set_cookies(response.response());
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "access_token_cookie",
            "csrf_access_token",
            "refresh_token_cookie",
            "csrf_refresh_token"
        ]
    );
    let pair: Value = actix_test::read_body_json(response).await;
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    assert!(cookies[0].starts_with(&format!("access_token_cookie={access};")));
    let decoded_access = jwt.decode_token(access).unwrap();
    let decoded_refresh = jwt.decode_token(refresh).unwrap();
    assert_eq!(decoded_access.claims()["role"], "admin");
    assert_eq!(decoded_refresh.claims()["role"], "admin");
    assert!(decoded_access.is_fresh() && !decoded_refresh.is_fresh());
    let lifetime = |token: &actix_jwt_extended::token::DecodedToken| {
        token.expires_at().unwrap() - token.claims()["iat"].as_i64().unwrap()
    };
    assert_eq!(lifetime(&decoded_access), 60);
    assert_eq!(lifetime(&decoded_refresh), 30 * 86_400);
    assert_eq!(
        call(&app, Method::GET, "/admin", Some(&bearer(access)))
            .await
            .0
            .as_u16(),
        200
    );

    // Rotation carries the claims over, replaces them, or leaves them behind.
    let rotate = |mode: &'static str, refresh: String| {
        let (app, jwt) = (&app, &jwt);
        async move {
            let (status, body) =
                common::send(app, post(&format!("/rotate?mode={mode}"), &refresh)).await;
            assert_eq!(status.as_u16(), 200, "{mode}: {body}");
            let access = jwt
                .decode_token(body["access_token"].as_str().unwrap())
                .unwrap();
            let refresh = body["refresh_token"].as_str().unwrap().to_owned();
            (access, refresh)
        }
    };
    let (carried, refresh) = rotate("carry", refresh.to_owned()).await;
    assert_eq!(carried.claims()["role"], "admin");
    assert!(!carried.is_fresh(), "a rotation is not a login");
    assert_eq!(carried.session(), decoded_access.session());
    let (replaced, refresh) = rotate("replace", refresh).await;
    assert_eq!(replaced.claims()["role"], "viewer");
    let (plain, refresh) = rotate("plain", refresh).await;
    assert!(plain.claims().get("role").is_none());
    // A registered claim among the options: a 500, and the session lives on.
    let (status, _) = common::send(&app, post("/rotate?mode=reserved", &refresh)).await;
    assert_eq!(status.as_u16(), 500);
    let _ = rotate("carry", refresh).await;

    // An identity goes straight back into token creation.
    let (status, body) = common::send(&app, post("/reissue", access)).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(
        jwt.decode_token(body["access_token"].as_str().unwrap())
            .unwrap()
            .identity(),
        "alice"
    );

    // Bob is no admin.
    let (_, body) =
        common::send(&app, actix_test::TestRequest::post().uri("/login?user=bob")).await;
    let (status, body) = call(
        &app,
        Method::GET,
        "/admin",
        Some(&bearer(body["access_token"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (403, msg("Insufficient permissions"))
    );
}

/// PyJWT writes the header compact with sorted keys: our tokens carry the
/// same bytes (they carried `{"typ":"JWT","alg":"HS256"}`).
#[test]
fn token_headers_are_flasks_bytes() {
    let jwt = common::manager();
    let header = |token: &str| token.split('.').next().unwrap().to_owned();
    // Flask-JWT-Extended 4.7.4's HS256 header, as in tests/fixtures.
    assert_eq!(
        header(&jwt.create_access_token("u").unwrap()),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    );
    assert_eq!(
        header(&jwt.create_refresh_token("u").unwrap()),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    );
    let custom = jwt
        .access_token_builder("u")
        .header("x5t", "abc")
        .header("cty", "at")
        .encode()
        .unwrap();
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        header(&custom),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"alg":"HS256","cty":"at","typ":"JWT","x5t":"abc"}"#
    );
    assert_eq!(jwt.decode_token(&custom).unwrap().identity(), "u");
}

/// Guards are built once, outside `HttpServer::new`'s closure, and moved
/// into it: with conditions too, they must be `Send + Sync`.
#[test]
fn guards_with_conditions_are_send_and_sync() {
    fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    let guard = JwtRequired::new()
        .require(Require::check("x", |_| true))
        .require(Require::check_async("y", |_| async { true }));
    shareable(&guard);
    shareable(&RefreshRequired::new().require(Require::scopes(["a"])));
}

/// With a custom identity claim, a rotation that carries the presented
/// token's claims carries the app's own claims and leaves the identity to
/// the new pair, as it does `sub`.
#[actix_web::test]
async fn a_rotation_carries_claims_but_not_a_custom_identity_claim() {
    let jwt = JwtManager::builder()
        .secret(common::SECRET)
        .allow_short_secret()
        .identity_claim("user_id")
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    let login = jwt
        .create_token_pair_with("alice", &PairOptions::new().claim("role", "admin"))
        .unwrap();
    let presented = jwt.decode_token(&login.refresh_token).unwrap();
    let pair = jwt
        .rotate_refresh_token_with(&presented, &PairOptions::new().carry_claims())
        .await
        .unwrap();
    for token in [&pair.access_token, &pair.refresh_token] {
        let claims = jwt.decode_token(token).unwrap().claims().clone();
        assert_eq!(claims["user_id"], "alice");
        assert_eq!(claims["role"], "admin");
        assert!(!claims.contains_key("sub"), "{claims:?}");
    }
}

/// `PairOptions::claims` adds every field of a map or struct to both tokens
/// of a pair; anything else fails the creation, as `TokenBuilder::claims`.
#[test]
fn pair_options_claims_go_into_both_tokens() {
    let jwt = common::manager();
    #[derive(serde::Serialize)]
    struct Extra {
        role: &'static str,
        level: u8,
    }
    for options in [
        PairOptions::new().claims(json!({ "role": "admin", "level": 3 })),
        PairOptions::new().claims(Extra {
            role: "admin",
            level: 3,
        }),
    ] {
        let pair = jwt.create_token_pair_with("alice", &options).unwrap();
        for token in [&pair.access_token, &pair.refresh_token] {
            let claims = jwt.decode_token(token).unwrap().claims().clone();
            assert_eq!(
                (&claims["role"], &claims["level"]),
                (&json!("admin"), &json!(3))
            );
        }
    }
    assert!(matches!(
        jwt.create_token_pair_with("alice", &PairOptions::new().claims(5)),
        Err(JwtError::Creation(_))
    ));
    // Each token's lifetime, on its own.
    let options = PairOptions::new()
        .access_expires(Duration::from_secs(60))
        .refresh_expires(Duration::from_secs(3_600));
    let pair = jwt.create_token_pair_with("alice", &options).unwrap();
    for (token, lifetime) in [(&pair.access_token, 60), (&pair.refresh_token, 3_600)] {
        let decoded = jwt.decode_token(token).unwrap();
        assert_eq!(
            decoded.expires_at().unwrap() - decoded.issued_at().unwrap(),
            lifetime
        );
    }
}
