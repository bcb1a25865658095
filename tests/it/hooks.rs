//! Issue-3 capabilities through real requests: freshness, optional routes,
//! claims, audience/issuer/leeway, identity and user loading, verification and
//! error-response hooks, RFC 6750 errors and Flask-named configuration.

use std::{
    convert::Infallible,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use crate::common::{
    SECRET, attributes, bearer, call, csrf_of, flask_manager, flask_payload, hs256, msg, now,
    set_cookies,
};
use actix_jwt_extended::{
    Claims, CurrentUser, JwtError, JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::{ConfigError, ErrorFormat, FlaskConfig},
    cookies::JwtCookies,
    manager::{JwtManagerBuilder, UserLoader},
    token::DecodedToken,
};
use actix_web::{
    App, HttpResponse, Responder,
    cookie::Cookie,
    http::{Method, StatusCode, header},
    test, web,
};
use serde_json::{Value, json};

fn builder() -> JwtManagerBuilder {
    JwtManager::builder().secret(SECRET).allow_short_secret()
}

async fn whoami(identity: JwtIdentity) -> impl Responder {
    web::Json(json!({ "logged_in_as": identity.as_str() }))
}

async fn maybe(identity: Option<JwtIdentity>) -> impl Responder {
    web::Json(json!({ "logged_in_as": identity.as_deref() }))
}

/// `/guarded` behind `JwtRequired`, `/fresh` behind `.fresh()`, `/optional`
/// behind `.optional()`, `/refresh` behind `RefreshRequired`, and `/bare`
/// protected by the extractor alone.
macro_rules! app {
    ($jwt:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .route("/guarded", web::get().to(whoami).wrap(JwtRequired::new()))
                .route(
                    "/fresh",
                    web::get().to(whoami).wrap(JwtRequired::new().fresh()),
                )
                .route(
                    "/optional",
                    web::get().to(maybe).wrap(JwtRequired::new().optional()),
                )
                .route(
                    "/refresh",
                    web::get().to(maybe).wrap(RefreshRequired::new().optional()),
                )
                .route("/bare", web::get().to(whoami)),
        )
        .await
    };
}

fn with(payload: Value, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut payload = payload;
    edit(payload.as_object_mut().unwrap());
    hs256(&payload)
}

#[actix_web::test]
async fn fresh_routes_take_fresh_and_fresh_until_tokens_only() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let get = |token: String| {
        let app = &app;
        async move { call(app, Method::GET, "/fresh", Some(&bearer(&token))).await }
    };
    let fresh = jwt.access_token_builder("a").fresh(true).encode().unwrap();
    let fresh_for = jwt
        .access_token_builder("a")
        .fresh(Duration::from_secs(600))
        .encode()
        .unwrap();
    let stale = jwt.create_access_token("a").unwrap();
    let until_passed = with(flask_payload("access"), |p| {
        p.insert("fresh".into(), json!(now() as f64 - 10.5));
    });
    let until_future = with(flask_payload("access"), |p| {
        p.insert("fresh".into(), json!(now() + 60));
    });
    assert_eq!(get(fresh).await.0, StatusCode::OK);
    assert_eq!(get(fresh_for.clone()).await.0, StatusCode::OK);
    assert_eq!(get(until_future).await.0, StatusCode::OK);
    for token in [stale, until_passed] {
        assert_eq!(
            get(token).await,
            (StatusCode::UNAUTHORIZED, msg("Fresh token required"))
        );
    }
    // Fresh-until is written as Flask writes a timedelta: a float timestamp.
    let decoded = jwt.decode_token(&fresh_for).unwrap();
    let until = decoded.claims()["fresh"].as_f64().unwrap();
    assert!((until - (decoded.issued_at().unwrap() as f64 + 600.0)).abs() < 1.0);
    // The type check comes before freshness, as in Flask.
    let refresh = jwt.create_refresh_token("a").unwrap();
    assert_eq!(
        get(refresh).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only non-refresh tokens are allowed")
        )
    );
}

#[actix_web::test]
async fn optional_routes_pass_without_a_token_but_reject_bad_ones() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let get = |auth: Option<String>| {
        let app = &app;
        async move { call(app, Method::GET, "/optional", auth.as_deref()).await }
    };
    let anonymous = json!({ "logged_in_as": null });
    assert_eq!(get(None).await, (StatusCode::OK, anonymous.clone()));
    // Flask's optional swallows only "no token": another scheme counts as none.
    assert_eq!(
        get(Some("Basic dTpw".into())).await,
        (StatusCode::OK, anonymous.clone())
    );
    let valid = jwt.create_access_token("ann").unwrap();
    assert_eq!(
        get(Some(bearer(&valid))).await,
        (StatusCode::OK, json!({ "logged_in_as": "ann" }))
    );
    assert_eq!(
        get(Some(bearer("garbage"))).await,
        (StatusCode::UNPROCESSABLE_ENTITY, msg("Not enough segments"))
    );
    assert_eq!(
        get(Some("Bearer".into())).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'")
        )
    );
    let expired = with(flask_payload("access"), |p| {
        p.insert("exp".into(), json!(now() - 1));
    });
    assert_eq!(
        get(Some(bearer(&expired))).await,
        (StatusCode::UNAUTHORIZED, msg("Token has expired"))
    );
    // Optional refresh routes work the same way.
    assert_eq!(
        call(&app, Method::GET, "/refresh", None).await,
        (StatusCode::OK, anonymous)
    );
    let refresh = jwt.create_refresh_token("ann").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/refresh", Some(&bearer(&refresh))).await,
        (StatusCode::OK, json!({ "logged_in_as": "ann" }))
    );
}

#[actix_web::test]
async fn a_required_extractor_on_an_optional_route_without_token_is_401() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(builder().build().unwrap()))
            .route(
                "/x",
                web::get().to(whoami).wrap(JwtRequired::new().optional()),
            ),
    )
    .await;
    assert_eq!(
        call(&app, Method::GET, "/x", None).await,
        (
            StatusCode::UNAUTHORIZED,
            msg("Missing Authorization Header")
        )
    );
}

#[actix_web::test]
async fn audience_and_issuer_are_written_and_checked_like_pyjwt() {
    let jwt = builder()
        .encode_audience(["api"])
        .decode_audience(["api", "web"])
        .encode_issuer("https://issuer.example")
        .decode_issuer("https://issuer.example")
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("u").unwrap();
    let decoded = jwt.decode_token(&token).unwrap();
    assert_eq!(
        (
            decoded.claims()["aud"].clone(),
            decoded.claims()["iss"].clone()
        ),
        (json!("api"), json!("https://issuer.example"))
    );
    assert_eq!(
        call(&app, Method::GET, "/guarded", Some(&bearer(&token)))
            .await
            .0,
        StatusCode::OK
    );

    let base = || {
        let mut p = flask_payload("access");
        p["aud"] = json!("api");
        p["iss"] = json!("https://issuer.example");
        p
    };
    let cases = [
        (
            with(base(), |p| {
                p.remove("aud");
            }),
            "Token is missing the \"aud\" claim",
        ),
        (
            with(base(), |p| {
                p.insert("aud".into(), json!("other"));
            }),
            "Audience doesn't match",
        ),
        (
            with(base(), |p| {
                p.insert("aud".into(), json!(["x", 1]));
            }),
            "Invalid claim format in token",
        ),
        (
            with(base(), |p| {
                p.remove("iss");
            }),
            "Token is missing the \"iss\" claim",
        ),
        (
            with(base(), |p| {
                p.insert("iss".into(), json!("evil"));
            }),
            "Invalid issuer",
        ),
        (
            with(base(), |p| {
                p.insert("iss".into(), json!(1));
            }),
            "Payload Issuer (iss) must be a string",
        ),
    ];
    for (token, message) in cases {
        assert_eq!(
            call(&app, Method::GET, "/guarded", Some(&bearer(&token))).await,
            (StatusCode::UNPROCESSABLE_ENTITY, msg(message)),
        );
    }
    let list = with(base(), |p| {
        p.insert("aud".into(), json!(["x", "web"]));
    });
    assert_eq!(
        call(&app, Method::GET, "/guarded", Some(&bearer(&list)))
            .await
            .0,
        StatusCode::OK
    );

    // Without a decode audience, `aud` is not looked at (Flask), whatever it holds.
    let plain = app!(builder().build().unwrap());
    let odd = with(flask_payload("access"), |p| {
        p.insert("aud".into(), json!(5));
    });
    assert_eq!(
        call(&plain, Method::GET, "/guarded", Some(&bearer(&odd)))
            .await
            .0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn leeway_accepts_a_just_expired_token_and_rejects_one_past_it() {
    let app = app!(builder().leeway(Duration::from_secs(30)).build().unwrap());
    let at = |field: &str, offset: i64| {
        with(flask_payload("access"), |p| {
            p.insert(field.into(), json!(now() as i64 + offset));
        })
    };
    let get = |token: String| {
        let app = &app;
        async move { call(app, Method::GET, "/guarded", Some(&bearer(&token))).await }
    };
    assert_eq!(get(at("exp", -10)).await.0, StatusCode::OK);
    assert_eq!(
        get(at("exp", -60)).await,
        (StatusCode::UNAUTHORIZED, msg("Token has expired"))
    );
    assert_eq!(get(at("nbf", 10)).await.0, StatusCode::OK);
    assert_eq!(
        get(at("nbf", 60)).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("The token is not yet valid (nbf)")
        )
    );
}

#[actix_web::test]
async fn encode_nbf_verify_sub_and_decode_algorithms_are_options() {
    let jwt = builder()
        .encode_nbf(false)
        .verify_sub(false)
        .decode_algorithms([
            jsonwebtoken::Algorithm::HS256,
            jsonwebtoken::Algorithm::HS512,
        ]);
    let jwt = jwt.build().unwrap();
    let token = jwt
        .decode_token(&jwt.create_access_token("x").unwrap())
        .unwrap();
    assert!(token.claims().get("nbf").is_none());
    let integer_sub = with(flask_payload("access"), |p| {
        p.insert("sub".into(), json!(7));
    });
    assert_eq!(jwt.decode_token(&integer_sub).unwrap().identity(), "7");
    let hs512 = crate::common::forge(
        &json!({ "alg": "HS512", "typ": "JWT" }),
        &flask_payload("access"),
        SECRET,
        jsonwebtoken::Algorithm::HS512,
    );
    assert!(jwt.decode_token(&hs512).is_ok());
    let hs384 = crate::common::forge(
        &json!({ "alg": "HS384", "typ": "JWT" }),
        &flask_payload("access"),
        SECRET,
        jsonwebtoken::Algorithm::HS384,
    );
    assert_eq!(
        jwt.decode_token(&hs384).unwrap_err(),
        JwtError::AlgorithmNotAllowed
    );
}

#[actix_web::test]
async fn identity_and_additional_claims_loaders_shape_new_tokens() {
    let plain = builder().build().unwrap();
    assert_eq!(
        plain
            .decode_token(&plain.create_access_token(42).unwrap())
            .unwrap()
            .identity(),
        "42"
    );
    assert!(matches!(
        plain.create_access_token(json!({ "id": 1 })),
        Err(JwtError::Creation(_))
    ));

    let jwt = builder()
        .identity_loader(|identity| format!("user-{}", identity["id"]))
        .additional_claims_loader(
            |identity| json!({ "role": "reader", "tenant": identity["tenant"] }),
        )
        .additional_headers_loader(|_| json!({ "kid": "k1" }))
        .build()
        .unwrap();
    let token = jwt
        .access_token_builder(json!({ "id": 7, "tenant": "acme" }))
        .claim("role", "admin")
        .encode()
        .unwrap();
    let token = jwt.decode_token(&token).unwrap();
    assert_eq!(token.identity(), "user-7");
    assert_eq!(
        token.claims()["role"],
        "admin",
        "per-token claims override the loader's"
    );
    assert_eq!(token.claims()["tenant"], "acme");
    assert_eq!(token.header()["kid"], "k1");
    // Refresh tokens get the loader's claims too, as in Flask.
    let refresh = jwt
        .decode_token(&jwt.create_refresh_token(json!({ "id": 7 })).unwrap())
        .unwrap();
    assert_eq!(refresh.claims()["role"], "reader");

    let reserved = builder()
        .additional_claims_loader(|_| json!({ "type": "refresh" }))
        .build()
        .unwrap();
    assert!(matches!(
        reserved.create_access_token("x"),
        Err(JwtError::Creation(_))
    ));
    let not_object = builder()
        .additional_claims_loader(|_| json!([1]))
        .build()
        .unwrap();
    assert!(matches!(
        not_object.create_access_token("x"),
        Err(JwtError::Creation(_))
    ));
    let panics = builder()
        .identity_loader(|_| panic!("boom"))
        .build()
        .unwrap();
    assert!(matches!(
        panics.create_access_token("x"),
        Err(JwtError::Creation(_))
    ));
}

#[actix_web::test]
async fn the_claims_verification_hook_runs_for_guards_and_bare_extractors() {
    let jwt = builder()
        .verify_claims(|token| token.claims().get("role").and_then(Value::as_str) != Some("banned"))
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let banned = jwt
        .access_token_builder("x")
        .claim("role", "banned")
        .encode()
        .unwrap();
    let fine = jwt
        .access_token_builder("x")
        .claim("role", "ok")
        .encode()
        .unwrap();
    for path in ["/guarded", "/bare", "/optional"] {
        assert_eq!(
            call(&app, Method::GET, path, Some(&bearer(&banned))).await,
            (
                StatusCode::BAD_REQUEST,
                msg("User claims verification failed")
            ),
            "{path}"
        );
        assert_eq!(
            call(&app, Method::GET, path, Some(&bearer(&fine))).await.0,
            StatusCode::OK
        );
    }
}

#[derive(Clone)]
struct CountingUsers(Arc<AtomicUsize>);

impl UserLoader for CountingUsers {
    type User = String;
    type Error = String;

    async fn load(&self, token: &DecodedToken) -> Result<Option<String>, String> {
        self.0.fetch_add(1, Ordering::SeqCst);
        match token.identity() {
            "db-down" => Err("connection refused".into()),
            "panic" => panic!("loader bug"),
            "ghost" => Ok(None),
            name => Ok(Some(format!("User {name}"))),
        }
    }
}

#[actix_web::test]
async fn the_user_loader_runs_once_per_request_and_its_failures_are_clean() {
    let calls = Arc::new(AtomicUsize::new(0));
    let jwt = builder()
        .user_loader(CountingUsers(Arc::clone(&calls)))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route(
                "/me",
                web::get()
                    .to(
                        |user: CurrentUser<String>,
                         again: CurrentUser<String>,
                         id: JwtIdentity,
                         _: Claims| async move {
                            assert_eq!(*user, *again);
                            HttpResponse::Ok().json(json!({ "user": *user, "id": id.as_str() }))
                        },
                    )
                    .wrap(JwtRequired::new()),
            )
            .route(
                "/bare",
                web::get().to(|user: CurrentUser<String>| async move {
                    HttpResponse::Ok().body((*user).clone())
                }),
            )
            .route(
                "/wrong-type",
                web::get().to(|_: CurrentUser<u64>| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    let token = |name: &str| bearer(&jwt.create_access_token(name).unwrap());

    assert_eq!(
        call(&app, Method::GET, "/me", Some(&token("bruce"))).await,
        (
            StatusCode::OK,
            json!({ "user": "User bruce", "id": "bruce" })
        )
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one load for a guard and three extractors"
    );
    assert_eq!(
        call(&app, Method::GET, "/bare", Some(&token("ann")))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    assert_eq!(
        call(&app, Method::GET, "/me", Some(&token("ghost"))).await,
        (
            StatusCode::UNAUTHORIZED,
            msg("Error loading the user ghost")
        )
    );
    for name in ["db-down", "panic"] {
        assert_eq!(
            call(&app, Method::GET, "/me", Some(&token(name))).await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                msg("Internal server error")
            ),
            "{name}"
        );
    }
    assert_eq!(
        call(&app, Method::GET, "/wrong-type", Some(&token("ann")))
            .await
            .0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // The worker survived the panicking loader.
    assert_eq!(
        call(&app, Method::GET, "/bare", Some(&token("ann")))
            .await
            .0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn current_user_without_a_loader_is_a_logged_500() {
    let jwt = builder().build().unwrap();
    let token = jwt.create_access_token("x").unwrap();
    let app = test::init_service(App::new().app_data(web::Data::new(jwt)).route(
        "/me",
        web::get().to(|_: CurrentUser<String>| async { HttpResponse::Ok().finish() }),
    ))
    .await;
    assert_eq!(
        call(&app, Method::GET, "/me", Some(&bearer(&token))).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            msg(
                "CurrentUser needs a user loader: register one with JwtManagerBuilder::user_loader"
            )
        )
    );
}

#[actix_web::test]
async fn the_error_response_hook_replaces_each_kind_and_sees_the_token() {
    let jwt = builder()
        .verify_claims(|token| token.claims().get("deny").is_none())
        .user_loader(CountingUsers(Arc::default()))
        .error_response(|error, token| {
            let kind = match error {
                JwtError::Expired => "expired",
                JwtError::MissingToken(_) => "unauthorized",
                JwtError::Malformed(_) | JwtError::InvalidSignature => "invalid",
                JwtError::WrongTokenType { .. } => "wrong_type",
                JwtError::FreshTokenRequired => "needs_fresh",
                JwtError::ClaimsVerificationFailed => "verification_failed",
                JwtError::UserNotFound(_) => "user_lookup",
                JwtError::NotYetValid(_) => panic!("a hook bug"),
                _ => return None,
            };
            Some(
                HttpResponse::ImATeapot()
                    .json(json!({ "kind": kind, "sub": token.map(DecodedToken::identity) })),
            )
        })
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let expired = with(flask_payload("access"), |p| {
        p.insert("exp".into(), json!(now() - 5));
    });
    let cases = [
        (
            "/guarded",
            None,
            json!({ "kind": "unauthorized", "sub": null }),
        ),
        (
            "/guarded",
            Some(bearer("x.y")),
            json!({ "kind": "invalid", "sub": null }),
        ),
        (
            "/guarded",
            Some(bearer(&expired)),
            json!({ "kind": "expired", "sub": "test" }),
        ),
        (
            "/guarded",
            Some(bearer(&jwt.create_refresh_token("r").unwrap())),
            json!({ "kind": "wrong_type", "sub": "r" }),
        ),
        (
            "/fresh",
            Some(bearer(&jwt.create_access_token("s").unwrap())),
            json!({ "kind": "needs_fresh", "sub": "s" }),
        ),
        (
            "/guarded",
            Some(bearer(
                &jwt.access_token_builder("d")
                    .claim("deny", true)
                    .encode()
                    .unwrap(),
            )),
            json!({ "kind": "verification_failed", "sub": "d" }),
        ),
        (
            "/guarded",
            Some(bearer(&jwt.create_access_token("ghost").unwrap())),
            json!({ "kind": "user_lookup", "sub": "ghost" }),
        ),
    ];
    for (path, auth, expected) in cases {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(auth) = &auth {
            req = req.insert_header((header::AUTHORIZATION, auth.as_str()));
        }
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT, "{expected}");
        assert_eq!(test::read_body_json::<Value, _>(res).await, expected);
    }
    // `None` keeps the default; a panicking hook falls back to it too.
    let future_nbf = with(flask_payload("access"), |p| {
        p.insert("nbf".into(), json!(now() + 60));
    });
    assert_eq!(
        call(&app, Method::GET, "/guarded", Some(&bearer(&future_nbf))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("The token is not yet valid (nbf)")
        )
    );
    // A handler rendering an error itself gets the same answers.
    let rendered = jwt.render_error(&JwtError::FreshTokenRequired);
    assert_eq!(rendered.status(), StatusCode::IM_A_TEAPOT);
    let body = actix_web::body::to_bytes(rendered.into_body())
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({ "kind": "needs_fresh", "sub": null })
    );
    let rendered = jwt.render_error(&JwtError::Revoked);
    assert_eq!(rendered.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn rfc6750_errors_carry_www_authenticate() {
    let jwt = builder()
        .error_format(ErrorFormat::Rfc6750)
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let challenge = |auth: Option<&str>, path: &'static str| {
        let app = &app;
        let auth = auth.map(str::to_owned);
        async move {
            let mut req = test::TestRequest::get().uri(path);
            if let Some(auth) = auth {
                req = req.insert_header((header::AUTHORIZATION, auth));
            }
            let res = test::call_service(app, req.to_request()).await;
            let header = res
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .map(|v| v.to_str().unwrap().to_owned());
            (res.status(), header)
        }
    };
    assert_eq!(
        challenge(None, "/guarded").await,
        (StatusCode::UNAUTHORIZED, Some("Bearer".into()))
    );
    assert_eq!(
        challenge(Some("Bearer x"), "/guarded").await,
        (
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer error="invalid_token", error_description="Not enough segments""#.into())
        )
    );
    assert_eq!(
        challenge(Some("Bearer a b"), "/guarded").await.0,
        StatusCode::BAD_REQUEST,
        "a malformed header is invalid_request"
    );
    let stale = bearer(&jwt.create_access_token("s").unwrap());
    assert_eq!(
        challenge(Some(&stale), "/fresh").await,
        (
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer error="insufficient_user_authentication", error_description="Fresh token required""#.into())
        )
    );
}

#[actix_web::test]
async fn flask_config_builds_a_working_manager_from_jwt_option_names() {
    let jwt = flask_manager(json!({
        "JWT_SECRET_KEY": SECRET,
        "JWT_ACCESS_TOKEN_EXPIRES": 60,
        "JWT_REFRESH_TOKEN_EXPIRES": false,
        "JWT_HEADER_TYPE": "JWT",
        "JWT_IDENTITY_CLAIM": "identity",
        "JWT_ERROR_MESSAGE_KEY": "error",
        "JWT_ENCODE_AUDIENCE": "api",
        "JWT_DECODE_AUDIENCE": ["api"],
        "JWT_DECODE_LEEWAY": 5,
        "JWT_ENCODE_NBF": false,
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_COOKIE_CSRF_PROTECT": true,
    }));
    let access = jwt
        .decode_token(&jwt.create_access_token("cfg").unwrap())
        .unwrap();
    assert_eq!(access.claims()["identity"], "cfg");
    assert_eq!(access.claims()["aud"], "api");
    assert!(access.claims().get("nbf").is_none());
    assert_eq!(
        access.expires_at().unwrap() - access.issued_at().unwrap(),
        60
    );
    let refresh = jwt
        .decode_token(&jwt.create_refresh_token("cfg").unwrap())
        .unwrap();
    assert!(refresh.expires_at().is_none());

    let token = jwt.create_access_token("cfg").unwrap();
    let app = app!(jwt);
    let req = test::TestRequest::get()
        .uri("/guarded")
        .insert_header((header::AUTHORIZATION, format!("JWT {token}")));
    assert_eq!(
        test::call_service(&app, req.to_request()).await.status(),
        StatusCode::OK
    );
    let res = test::call_service(&app, test::TestRequest::get().uri("/guarded").to_request()).await;
    assert_eq!(
        test::read_body_json::<Value, _>(res).await,
        json!({ "error": "Missing Authorization Header" })
    );
}

#[actix_web::test]
async fn infallible_loaders_compile_with_a_plain_error_type() {
    struct Anyone;
    impl UserLoader for Anyone {
        type User = ();
        type Error = Infallible;
        async fn load(&self, _: &DecodedToken) -> Result<Option<()>, Infallible> {
            Ok(Some(()))
        }
    }
    let jwt = builder().user_loader(Anyone).build().unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("x").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/guarded", Some(&bearer(&token)))
            .await
            .0,
        StatusCode::OK
    );
}

/// Every name `FlaskConfig` takes, and the test that shows it takes effect.
const FLASK_OPTIONS: [(&str, &str); 43] = [
    (
        "JWT_TOKEN_LOCATION",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_ACCESS_TOKEN_EXPIRES",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_REFRESH_TOKEN_EXPIRES",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_ALGORITHM",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_DECODE_ALGORITHMS",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_SECRET_KEY",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    ("JWT_PRIVATE_KEY", "keys::flask_config_takes_the_pem_keys"),
    ("JWT_PUBLIC_KEY", "keys::flask_config_takes_the_pem_keys"),
    (
        "JWT_DECODE_LEEWAY",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_ENCODE_AUDIENCE",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_DECODE_AUDIENCE",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_ENCODE_ISSUER",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_DECODE_ISSUER",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_ENCODE_NBF",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_VERIFY_SUB",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_IDENTITY_CLAIM",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_ERROR_MESSAGE_KEY",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_HEADER_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_HEADER_TYPE",
        "flask_config_builds_a_working_manager_from_jwt_option_names",
    ),
    (
        "JWT_ACCESS_COOKIE_NAME",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_REFRESH_COOKIE_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_ACCESS_COOKIE_PATH",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_REFRESH_COOKIE_PATH",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_COOKIE_SECURE",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_COOKIE_DOMAIN",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_SESSION_COOKIE",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_COOKIE_SAMESITE",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_COOKIE_CSRF_PROTECT",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_CSRF_METHODS",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_ACCESS_CSRF_HEADER_NAME",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_REFRESH_CSRF_HEADER_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_CSRF_IN_COOKIES",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_ACCESS_CSRF_COOKIE_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_REFRESH_CSRF_COOKIE_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_ACCESS_CSRF_COOKIE_PATH",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_REFRESH_CSRF_COOKIE_PATH",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_CSRF_CHECK_FORM",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_ACCESS_CSRF_FIELD_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_REFRESH_CSRF_FIELD_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_QUERY_STRING_NAME",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_QUERY_STRING_VALUE_PREFIX",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
    (
        "JWT_JSON_KEY",
        "locations::flask_config_takes_the_location_and_cookie_options",
    ),
    (
        "JWT_REFRESH_JSON_KEY",
        "every_supported_flask_option_takes_effect_by_its_jwt_name",
    ),
];

/// The list above is every option the crate takes: the names in
/// `src/flask.rs`'s table, no more and no fewer.
#[actix_web::test]
async fn the_flask_option_list_is_every_option_the_crate_takes() {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../src/flask.rs")).unwrap();
    let table = &source
        [source.find("const OPTIONS").unwrap()..source.find("const LEFT_OUT_OPTIONS").unwrap()];
    let mut taken: Vec<&str> = table
        .split('"')
        .filter(|part| part.starts_with("JWT_"))
        .collect();
    taken.sort_unstable();
    let mut listed: Vec<&str> = FLASK_OPTIONS.iter().map(|(name, _)| *name).collect();
    listed.sort_unstable();
    assert_eq!(taken, listed);
    for (name, _) in FLASK_OPTIONS {
        let config: FlaskConfig = serde_json::from_value(json!({ name: null })).unwrap();
        assert!(
            !matches!(config.into_builder(), Err(ConfigError::UnknownOption(_))),
            "{name}"
        );
    }
}

#[actix_web::test]
async fn every_supported_flask_option_takes_effect_by_its_jwt_name() {
    let jwt = flask_manager(json!({
        "JWT_SECRET_KEY": SECRET,
        "JWT_ALGORITHM": "HS512",
        "JWT_DECODE_ALGORITHMS": "HS512",
        "JWT_ENCODE_ISSUER": "me",
        "JWT_DECODE_ISSUER": "me",
        "JWT_VERIFY_SUB": false,
        "JWT_HEADER_NAME": "X-Auth",
    }));
    let token = jwt.create_access_token("x").unwrap();
    let decoded = jwt.decode_token(&token).unwrap();
    assert_eq!(decoded.header()["alg"], "HS512");
    assert_eq!(decoded.claims()["iss"], "me");
    // HS256 is no longer accepted, an integer sub is.
    assert_eq!(
        jwt.decode_token(&hs256(&flask_payload("access")))
            .unwrap_err(),
        JwtError::AlgorithmNotAllowed
    );
    let integer_sub = crate::common::forge(
        &json!({ "alg": "HS512", "typ": "JWT" }),
        &json!({ "sub": 5, "iss": "me", "exp": now() + 60 }),
        SECRET,
        jsonwebtoken::Algorithm::HS512,
    );
    assert_eq!(jwt.decode_token(&integer_sub).unwrap().identity(), "5");
    let app = app!(jwt);
    let req = test::TestRequest::get()
        .uri("/guarded")
        .insert_header(("X-Auth", format!("Bearer {token}")));
    assert_eq!(
        test::call_service(&app, req.to_request()).await.status(),
        StatusCode::OK
    );

    // The cookie, CSRF, query string and JSON options.
    let jwt = flask_manager(json!({
        "JWT_SECRET_KEY": SECRET,
        "JWT_TOKEN_LOCATION": ["cookies", "query_string", "json"],
        "JWT_COOKIE_CSRF_PROTECT": true,
        "JWT_COOKIE_DOMAIN": "example.com",
        "JWT_REFRESH_COOKIE_NAME": "ref",
        "JWT_REFRESH_COOKIE_PATH": "/auth/",
        "JWT_ACCESS_CSRF_COOKIE_NAME": "xa",
        "JWT_REFRESH_CSRF_COOKIE_NAME": "xr",
        "JWT_ACCESS_CSRF_COOKIE_PATH": "/a/",
        "JWT_REFRESH_CSRF_COOKIE_PATH": "/r/",
        "JWT_REFRESH_CSRF_HEADER_NAME": "X-Refresh-Csrf",
        "JWT_CSRF_CHECK_FORM": true,
        "JWT_ACCESS_CSRF_FIELD_NAME": "af",
        "JWT_REFRESH_CSRF_FIELD_NAME": "rf",
        "JWT_QUERY_STRING_NAME": "token",
        "JWT_QUERY_STRING_VALUE_PREFIX": "Bearer ",
        "JWT_REFRESH_JSON_KEY": "rt",
    }));
    let access = jwt.create_access_token("cfg").unwrap();
    let refresh = jwt.create_refresh_token("cfg").unwrap();
    let (access_csrf, refresh_csrf) = (csrf_of(&jwt, &access), csrf_of(&jwt, &refresh));
    let response = HttpResponse::Ok()
        .set_access_cookies(&jwt, &access)
        .unwrap()
        .set_refresh_cookies(&jwt, &refresh)
        .unwrap()
        .finish();
    let cookies: Vec<(String, Vec<String>)> = set_cookies(&response)
        .iter()
        .map(|cookie| {
            (
                cookie.split('=').next().unwrap().to_owned(),
                attributes(cookie),
            )
        })
        .collect();
    let names: Vec<&str> = cookies.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["access_token_cookie", "xa", "ref", "xr"]);
    for ((_, attributes), path) in cookies.iter().zip(["/", "/a/", "/auth/", "/r/"]) {
        assert!(
            attributes.contains(&format!("Path={path}")),
            "{attributes:?}"
        );
        assert!(
            attributes.contains(&"Domain=example.com".to_owned()),
            "{attributes:?}"
        );
    }

    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/x", web::route().to(whoami).wrap(JwtRequired::new()))
            .route(
                "/refresh",
                web::post().to(whoami).wrap(RefreshRequired::new()),
            ),
    )
    .await;
    let status = |req: test::TestRequest| {
        let app = &app;
        async move {
            test::call_service(app, req.to_request())
                .await
                .status()
                .as_u16()
        }
    };
    let access_cookie = || Cookie::new("access_token_cookie", access.clone());
    let refresh_cookie = || Cookie::new("ref", refresh.clone());
    let form = |field: &str, value: &str| {
        test::TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("{field}={value}"))
    };
    // The CSRF form fields, by their configured names.
    assert_eq!(
        status(form("af", &access_csrf).uri("/x").cookie(access_cookie())).await,
        200
    );
    assert_eq!(
        status(
            form("csrf_token", &access_csrf)
                .uri("/x")
                .cookie(access_cookie())
        )
        .await,
        401
    );
    assert_eq!(
        status(
            form("rf", &refresh_csrf)
                .uri("/refresh")
                .cookie(refresh_cookie())
        )
        .await,
        200
    );
    // The refresh CSRF header, by its configured name.
    let with_header = |name: &str| {
        test::TestRequest::post()
            .uri("/refresh")
            .cookie(refresh_cookie())
            .insert_header((name, refresh_csrf.clone()))
    };
    assert_eq!(status(with_header("X-Refresh-Csrf")).await, 200);
    assert_eq!(status(with_header("X-CSRF-TOKEN")).await, 401);
    // The query string name and prefix.
    let query = |value: &str| test::TestRequest::get().uri(&format!("/x?token={value}"));
    assert_eq!(status(query(&format!("Bearer%20{access}"))).await, 200);
    assert_eq!(status(query(&access)).await, 422);
    // The refresh token's JSON key.
    let json_body = |key: &str| {
        test::TestRequest::post()
            .uri("/refresh")
            .set_json(json!({ key: refresh }))
    };
    assert_eq!(status(json_body("rt")).await, 200);
    assert_eq!(status(json_body("refresh_token")).await, 401);

    // Without the CSRF cookies, and without CSRF protection at all.
    let cookie_names = |options: Value| {
        let jwt = flask_manager(options);
        let token = jwt.create_access_token("cfg").unwrap();
        let response = HttpResponse::Ok()
            .set_access_cookies(&jwt, &token)
            .unwrap()
            .finish();
        let has_csrf_claim = jwt
            .decode_token(&token)
            .unwrap()
            .claims()
            .contains_key("csrf");
        let names: Vec<String> = set_cookies(&response)
            .iter()
            .map(|cookie| cookie.split('=').next().unwrap().to_owned())
            .collect();
        (names, has_csrf_claim)
    };
    assert_eq!(
        cookie_names(json!({ "JWT_SECRET_KEY": SECRET, "JWT_CSRF_IN_COOKIES": false })),
        (vec!["access_token_cookie".to_owned()], true)
    );
    assert_eq!(
        cookie_names(json!({ "JWT_SECRET_KEY": SECRET, "JWT_COOKIE_CSRF_PROTECT": false })),
        (vec!["access_token_cookie".to_owned()], false)
    );
}

/// Found by the `flask_config` fuzz target: `JWT_IDENTITY_CLAIM=exp` wrote
/// the identity and `exp` under one name, and the identity read back was the
/// expiry time. A registered claim name is refused at build.
#[actix_web::test]
async fn an_identity_claim_named_like_a_registered_claim_fails_at_build() {
    for name in [
        "exp", "iat", "nbf", "jti", "type", "fresh", "csrf", "fam", "aud", "iss",
    ] {
        let built = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .identity_claim(name)
            .build();
        assert!(
            matches!(built, Err(ConfigError::InvalidOption(ref why)) if why.contains(name)),
            "{name}: {built:?}"
        );
    }
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .identity_claim("user_id")
        .build()
        .unwrap();
    let token = jwt.create_access_token("fuzz").unwrap();
    assert_eq!(jwt.decode_token(&token).unwrap().identity(), "fuzz");
}

/// A refusal that reaches code of the app's own (an extractor called by
/// hand, a middleware that reads errors) shows its error: `Display` and
/// `Debug` of the `JwtError`, the status of the error table, and the JSON
/// answer when it is rendered.
#[actix_web::test]
async fn a_refusal_shows_its_error_and_status_to_the_app() {
    use actix_web::FromRequest;
    let jwt = builder().build().unwrap();
    let expired = {
        let mut payload = flask_payload("access");
        payload["exp"] = json!(now() - 100);
        hs256(&payload)
    };
    for (auth, error, status) in [
        (
            None,
            JwtError::MissingToken("Missing Authorization Header".into()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some("Bearer a b".to_owned()),
            JwtError::BadAuthorizationHeader(
                "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'".into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(bearer(&expired)),
            JwtError::Expired,
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let mut req = test::TestRequest::get().app_data(web::Data::new(jwt.clone()));
        if let Some(auth) = &auth {
            req = req.insert_header((header::AUTHORIZATION, auth.as_str()));
        }
        let refusal = JwtIdentity::extract(&req.to_http_request())
            .await
            .unwrap_err();
        assert_eq!(refusal.to_string(), error.to_string(), "{auth:?}");
        assert_eq!(format!("{refusal:?}"), format!("{error:?}"), "{auth:?}");
        assert_eq!(
            refusal.as_response_error().status_code(),
            status,
            "{auth:?}"
        );
        let response = refusal.error_response();
        assert_eq!(response.status(), status, "{auth:?}");
    }
}
