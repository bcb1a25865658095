//! Token locations, cookies and CSRF double submit through real requests.

use std::time::Duration;

use crate::common::{
    SECRET, attributes, csrf_of, flask_manager, msg, persistent_attributes, send, set_cookies,
};
use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::TokenLocation,
    cookies::{CookieConfig, ImplicitRefresh, JwtCookies},
    manager::JwtManagerBuilder,
};
use actix_web::{
    App, HttpResponse,
    cookie::SameSite,
    http::{Method, StatusCode, header},
    test, web,
};
use serde_json::{Value, json};

use TokenLocation::{Cookies, Headers, Json, QueryString};

fn builder() -> JwtManagerBuilder {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_location([Headers, Cookies, Json, QueryString])
}

async fn whoami(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": identity.as_str() }))
}

/// `/any` takes every location; `/headers` headers only; `/cookies` cookies
/// only; `/body` echoes the JSON body after the guard read a token from it;
/// `/refresh` takes refresh tokens from cookies.
macro_rules! app {
    ($jwt:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .route("/any", web::route().to(whoami).wrap(JwtRequired::new()))
                .route("/headers", web::route().to(whoami).wrap(JwtRequired::new().locations([Headers])))
                .route("/cookies", web::route().to(whoami).wrap(JwtRequired::new().locations([Cookies])))
                .route(
                    "/body",
                    web::post()
                        .to(|id: JwtIdentity, body: web::Json<Value>| async move {
                            HttpResponse::Ok().json(json!({ "id": id.as_str(), "body": body.into_inner() }))
                        })
                        .wrap(JwtRequired::new()),
                )
                .route("/refresh", web::post().to(whoami).wrap(RefreshRequired::new().locations([Cookies]))),
        )
        .await
    };
}

#[actix_web::test]
async fn every_location_reads_a_token() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("loc").unwrap();
    let ok = (StatusCode::OK, json!({ "id": "loc" }));
    let header = test::TestRequest::get()
        .uri("/any")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    assert_eq!(send(&app, header).await, ok);
    let cookie = test::TestRequest::get()
        .uri("/any")
        .cookie(actix_web::cookie::Cookie::new(
            "access_token_cookie",
            token.clone(),
        ));
    assert_eq!(send(&app, cookie).await, ok);
    let query = test::TestRequest::get().uri(&format!("/any?other=1&jwt={token}"));
    assert_eq!(send(&app, query).await, ok);
    let body = test::TestRequest::post()
        .uri("/any")
        .set_json(json!({ "access_token": token }));
    assert_eq!(send(&app, body).await, ok);
}

#[actix_web::test]
async fn a_missing_token_lists_every_locations_reason_like_flask() {
    let app = app!(builder().build().unwrap());
    let (status, body) = send(&app, test::TestRequest::get().uri("/any")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["msg"],
        "Missing JWT in headers, cookies, json or query_string (Missing Authorization Header; \
         Missing cookie \"access_token_cookie\"; Invalid content-type. Must be application/json.; \
         Missing 'jwt' query paramater)"
    );
    let (_, body) = send(
        &app,
        test::TestRequest::post()
            .uri("/any")
            .set_json(json!({ "x": 1 })),
    )
    .await;
    assert!(
        body["msg"]
            .as_str()
            .unwrap()
            .contains("Missing \"access_token\" key in json data.")
    );
}

#[actix_web::test]
async fn a_route_limited_to_headers_ignores_every_other_location() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("x").unwrap();
    let missing = (
        StatusCode::UNAUTHORIZED,
        json!({ "msg": "Missing Authorization Header" }),
    );
    let requests = [
        test::TestRequest::get()
            .uri("/headers")
            .cookie(actix_web::cookie::Cookie::new(
                "access_token_cookie",
                token.clone(),
            )),
        test::TestRequest::get().uri(&format!("/headers?jwt={token}")),
        test::TestRequest::post()
            .uri("/headers")
            .set_json(json!({ "access_token": token })),
    ];
    for req in requests {
        assert_eq!(send(&app, req).await, missing);
    }
    let cookies_only = test::TestRequest::get()
        .uri("/cookies")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    assert_eq!(
        send(&app, cookies_only).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "msg": "Missing cookie \"access_token_cookie\"" })
        )
    );
}

#[actix_web::test]
async fn csrf_double_submit_guards_state_changing_cookie_requests() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("c").unwrap();
    let csrf = csrf_of(&jwt, &token);
    let with_cookie = |method: Method| {
        test::TestRequest::default()
            .method(method)
            .uri("/cookies")
            .cookie(actix_web::cookie::Cookie::new(
                "access_token_cookie",
                token.clone(),
            ))
    };
    for exempt in [Method::GET, Method::HEAD] {
        assert_eq!(
            send(&app, with_cookie(exempt.clone())).await.0,
            StatusCode::OK,
            "{exempt}"
        );
    }
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        assert_eq!(
            send(&app, with_cookie(method.clone())).await,
            (
                StatusCode::UNAUTHORIZED,
                json!({ "msg": "Missing CSRF token" })
            ),
            "{method}"
        );
        // The CSRF cookie alone proves nothing: only the header counts.
        let cookie_only = with_cookie(method.clone()).cookie(actix_web::cookie::Cookie::new(
            "csrf_access_token",
            csrf.clone(),
        ));
        assert_eq!(send(&app, cookie_only).await.0, StatusCode::UNAUTHORIZED);
        let wrong = with_cookie(method.clone())
            .insert_header(("X-CSRF-TOKEN", "00000000-0000-4000-8000-000000000000"));
        assert_eq!(
            send(&app, wrong).await,
            (
                StatusCode::UNAUTHORIZED,
                json!({ "msg": "CSRF double submit tokens do not match" })
            )
        );
        let right = with_cookie(method.clone()).insert_header(("X-CSRF-TOKEN", csrf.clone()));
        assert_eq!(send(&app, right).await.0, StatusCode::OK, "{method}");
    }
    // Tokens from a header are never subject to CSRF checks.
    let header = test::TestRequest::post()
        .uri("/any")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    assert_eq!(send(&app, header).await.0, StatusCode::OK);
    // A cookie token without a csrf claim is refused once a CSRF value is sent.
    let plain = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .cookies(CookieConfig::new().csrf_protect(false))
        .build()
        .unwrap();
    let no_claim = plain.create_access_token("c").unwrap();
    assert!(
        plain
            .decode_token(&no_claim)
            .unwrap()
            .claims()
            .get("csrf")
            .is_none()
    );
    let req = test::TestRequest::post()
        .uri("/cookies")
        .cookie(actix_web::cookie::Cookie::new(
            "access_token_cookie",
            no_claim,
        ))
        .insert_header(("X-CSRF-TOKEN", "x"));
    assert_eq!(
        send(&app, req).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "msg": "Missing claim: csrf" })
        )
    );
}

#[actix_web::test]
async fn csrf_options_methods_form_field_and_off_switch() {
    let jwt = builder()
        .cookies(
            CookieConfig::new()
                .csrf_methods([Method::DELETE])
                .csrf_check_form(true),
        )
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("f").unwrap();
    let csrf = csrf_of(&jwt, &token);
    let cookie = || actix_web::cookie::Cookie::new("access_token_cookie", token.clone());
    assert_eq!(
        send(
            &app,
            test::TestRequest::post().uri("/cookies").cookie(cookie())
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        send(
            &app,
            test::TestRequest::delete().uri("/cookies").cookie(cookie())
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let form = test::TestRequest::delete()
        .uri("/cookies")
        .cookie(cookie())
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(format!("a=1&csrf_token={csrf}"));
    assert_eq!(send(&app, form).await.0, StatusCode::OK);

    let off = builder()
        .cookies(CookieConfig::new().csrf_protect(false))
        .build()
        .unwrap();
    let app = app!(off.clone());
    let token = off.create_access_token("f").unwrap();
    let post = test::TestRequest::post()
        .uri("/cookies")
        .cookie(actix_web::cookie::Cookie::new("access_token_cookie", token));
    assert_eq!(send(&app, post).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn refresh_cookies_use_the_refresh_csrf_header_and_names() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt.clone());
    let refresh = jwt.create_refresh_token("r").unwrap();
    let csrf = csrf_of(&jwt, &refresh);
    let req = || {
        test::TestRequest::post()
            .uri("/refresh")
            .cookie(actix_web::cookie::Cookie::new(
                "refresh_token_cookie",
                refresh.clone(),
            ))
    };
    assert_eq!(
        send(&app, req()).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "msg": "Missing CSRF token" })
        )
    );
    assert_eq!(
        send(&app, req().insert_header(("X-CSRF-TOKEN", csrf))).await,
        (StatusCode::OK, json!({ "id": "r" }))
    );
    // An access token in the access cookie is not a refresh token.
    let access = jwt.create_access_token("r").unwrap();
    let wrong = test::TestRequest::post()
        .uri("/refresh")
        .cookie(actix_web::cookie::Cookie::new(
            "access_token_cookie",
            access,
        ));
    assert_eq!(
        send(&app, wrong).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "msg": "Missing cookie \"refresh_token_cookie\"" })
        )
    );
}

#[actix_web::test]
async fn the_json_location_leaves_the_body_intact_for_the_handler_and_is_bounded() {
    let jwt = builder().body_limit(1024).build().unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("b").unwrap();
    let body = json!({ "access_token": token, "payload": [1, 2, 3] });
    let (status, answer) = send(
        &app,
        test::TestRequest::post()
            .uri("/body")
            .set_json(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({ "id": "b", "body": body }));
    // A header token with a JSON body: the body still reaches the handler.
    let header = test::TestRequest::post()
        .uri("/body")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .set_json(json!({ "n": 1 }));
    assert_eq!(send(&app, header).await.1["body"], json!({ "n": 1 }));
    // Exactly the limit passes; one byte more does not, whether the
    // `Content-Length` says so up front or the stream shows it.
    let padded = |length: usize| {
        let empty = json!({ "access_token": token, "pad": "" }).to_string();
        json!({ "access_token": token, "pad": "x".repeat(length - empty.len()) }).to_string()
    };
    let post = |body: String| {
        test::TestRequest::post()
            .uri("/body")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(body)
    };
    assert_eq!(send(&app, post(padded(1024))).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, post(padded(1025))).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let streamed = |body: String| {
        let mut req = post(body).to_request();
        req.headers_mut().remove(header::CONTENT_LENGTH);
        req
    };
    let status = |req| async { test::call_service(&app, req).await.status() };
    assert_eq!(status(streamed(padded(1024))).await, StatusCode::OK);
    assert_eq!(
        status(streamed(padded(1025))).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let big = json!({ "access_token": token, "pad": "x".repeat(2048) });
    assert_eq!(
        send(&app, test::TestRequest::post().uri("/body").set_json(big)).await,
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({ "msg": "Request body is too large" })
        )
    );
}

#[actix_web::test]
async fn the_query_string_prefix_is_enforced() {
    let jwt = builder()
        .query_string_name("token")
        .query_string_value_prefix("Bearer ")
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("q").unwrap();
    assert_eq!(
        send(
            &app,
            test::TestRequest::get().uri(&format!("/any?token=Bearer%20{token}"))
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        send(
            &app,
            test::TestRequest::get().uri(&format!("/any?token={token}"))
        )
        .await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "msg": "Invalid value for query parameter 'token'. Expected the value to start with 'Bearer '" })
        )
    );
}

#[actix_web::test]
async fn cookie_helpers_set_flask_cookies_secure_by_default() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let access = jwt.create_access_token("u").unwrap();
    let refresh = jwt.create_refresh_token("u").unwrap();
    let mut response = HttpResponse::Ok().finish();
    response
        .set_access_cookies(&jwt, &access)
        .unwrap()
        .set_refresh_cookies(&jwt, &refresh)
        .unwrap();
    let cookies = set_cookies(&response);
    let names: Vec<_> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
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
    assert!(cookies[0].starts_with(&format!("access_token_cookie={access};")));
    assert_eq!(
        attributes(&cookies[0]),
        ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]
    );
    assert!(cookies[1].starts_with(&format!("csrf_access_token={};", csrf_of(&jwt, &access))));
    assert_eq!(
        attributes(&cookies[1]),
        ["Path=/", "SameSite=Lax", "Secure"]
    );

    // The builder form, and the wrong kind of token is refused.
    let built = HttpResponse::Ok()
        .set_access_cookies(&jwt, &access)
        .unwrap()
        .finish();
    assert_eq!(set_cookies(&built).len(), 2);
    assert!(
        HttpResponse::Ok()
            .set_access_cookies(&jwt, &refresh)
            .is_err()
    );
    assert!(
        HttpResponse::Ok()
            .set_refresh_cookies(&jwt, "garbage")
            .is_err()
    );
}

#[actix_web::test]
async fn cookie_attributes_follow_the_configuration() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .access_token_expires(Duration::from_secs(600))
        .cookies(
            CookieConfig::new()
                .cookie_names("a", "r")
                .csrf_cookie_names("ca", "cr")
                .cookie_paths("/api/", "/token/refresh")
                .csrf_cookie_paths("/", "/")
                .domain("example.com")
                .secure(false)
                .same_site(Some(SameSite::Strict))
                .session_cookie(false),
        )
        .build()
        .unwrap();
    let cookies = crate::common::in_one_second(async || {
        let access = jwt.create_access_token("u").unwrap();
        let refresh = jwt.create_refresh_token("u").unwrap();
        let response = HttpResponse::Ok()
            .set_access_cookies(&jwt, &access)
            .unwrap()
            .set_refresh_cookies(&jwt, &refresh)
            .unwrap()
            .finish();
        set_cookies(&response)
    })
    .await;
    assert_eq!(
        persistent_attributes(&cookies[0]),
        [
            "Domain=example.com",
            "HttpOnly",
            "Max-Age=600",
            "Path=/api/",
            "SameSite=Strict"
        ]
    );
    assert!(cookies[1].starts_with("ca="));
    assert_eq!(
        persistent_attributes(&cookies[1]),
        [
            "Domain=example.com",
            "Max-Age=600",
            "Path=/",
            "SameSite=Strict"
        ]
    );
    assert!(cookies[2].starts_with("r="));
    assert!(persistent_attributes(&cookies[2]).contains(&"Path=/token/refresh".to_owned()));
    assert!(persistent_attributes(&cookies[2]).contains(&format!("Max-Age={}", 30 * 24 * 3600)));

    let cleared = HttpResponse::Ok().unset_jwt_cookies(&jwt).finish();
    let cleared = set_cookies(&cleared);
    assert_eq!(cleared.len(), 4);
    assert!(cleared[0].starts_with("a=;"));
    assert!(
        cleared
            .iter()
            .all(|c| c.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"))
    );
    let only_refresh = HttpResponse::Ok().unset_refresh_cookies(&jwt).finish();
    let names: Vec<_> = set_cookies(&only_refresh)
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["r", "cr"]);
}

/// An app with implicit refresh: `/any` takes every location, `/logout`
/// clears the cookies, `/fresh_login` sets a fresh access cookie.
macro_rules! refreshing_app {
    ($jwt:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($jwt.clone()))
                .wrap(ImplicitRefresh::new(Duration::from_secs(30 * 60)))
                .route("/any", web::route().to(whoami).wrap(JwtRequired::new()))
                .route("/public", web::get().to(HttpResponse::Ok))
                .route(
                    "/logout",
                    web::get()
                        .to(|jwt: web::Data<JwtManager>, _: JwtIdentity| async move {
                            HttpResponse::Ok().unset_jwt_cookies(&jwt).finish()
                        })
                        .wrap(JwtRequired::new()),
                )
                .route(
                    "/fresh_login",
                    web::get()
                        .to(|jwt: web::Data<JwtManager>, id: JwtIdentity| async move {
                            let fresh =
                                jwt.access_token_builder(id.as_str()).fresh(true).encode()?;
                            Ok::<_, actix_web::Error>(
                                HttpResponse::Ok()
                                    .set_access_cookies(&jwt, &fresh)?
                                    .finish(),
                            )
                        })
                        .wrap(JwtRequired::new()),
                ),
        )
        .await
    };
}

fn expiring_in(jwt: &JwtManager, identity: &str, seconds: u64) -> String {
    jwt.access_token_builder(identity)
        .expires(Duration::from_secs(seconds))
        .encode()
        .unwrap()
}

/// The access cookie a response set, decoded.
fn new_access_cookie(
    jwt: &JwtManager,
    cookies: &[String],
) -> Option<actix_jwt_extended::token::DecodedToken> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix("access_token_cookie="))
        .map(|c| jwt.decode_token(c.split(';').next().unwrap()).unwrap())
}

#[actix_web::test]
async fn implicit_refresh_reissues_expiring_access_cookies_only() {
    let jwt = builder().build().unwrap();
    let app = refreshing_app!(jwt);
    let with_cookie = |token: String, path: &'static str| {
        let app = &app;
        async move {
            let req = test::TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, format!("access_token_cookie={token}")));
            let res = test::call_service(app, req.to_request()).await;
            assert!(res.status().is_success(), "{}", res.status());
            set_cookies(res.response())
        }
    };
    let cookies = with_cookie(expiring_in(&jwt, "soon", 10 * 60), "/any").await;
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[1].starts_with("csrf_access_token="));
    let renewed = new_access_cookie(&jwt, &cookies).unwrap();
    assert_eq!(renewed.identity(), "soon");
    assert!(!renewed.is_fresh());
    assert!(renewed.expires_at().unwrap() > crate::common::now() as i64 + 14 * 60);

    let default_lifetime = jwt.create_access_token("later").unwrap();
    assert_eq!(
        with_cookie(default_lifetime, "/any").await.len(),
        2,
        "15 minutes left is inside a 30-minute window"
    );
    assert!(
        with_cookie(expiring_in(&jwt, "later", 3600), "/any")
            .await
            .is_empty()
    );
    assert!(
        with_cookie(expiring_in(&jwt, "x", 60), "/public")
            .await
            .is_empty(),
        "nothing verified, nothing refreshed"
    );
}

#[actix_web::test]
async fn implicit_refresh_never_turns_a_header_query_or_body_token_into_a_cookie() {
    let jwt = builder().build().unwrap();
    let app = refreshing_app!(jwt);
    let token = expiring_in(&jwt, "attacker", 60);
    let requests = [
        test::TestRequest::get()
            .uri("/any")
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}"))),
        test::TestRequest::get().uri(&format!("/any?jwt={token}")),
        test::TestRequest::post()
            .uri("/any")
            .set_json(json!({ "access_token": token })),
    ];
    for req in requests {
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(set_cookies(res.response()), Vec::<String>::new());
    }
}

#[actix_web::test]
async fn implicit_refresh_mints_inside_the_session_of_the_old_token() {
    let jwt = builder().build().unwrap();
    let app = refreshing_app!(jwt);
    let pair = jwt.create_token_pair("alice").unwrap();
    let old = jwt.decode_token(&pair.access_token).unwrap();
    // A pair's access token lives 15 minutes: inside the 30-minute window.
    let req = test::TestRequest::get().uri("/any").insert_header((
        header::COOKIE,
        format!("access_token_cookie={}", pair.access_token),
    ));
    let res = test::call_service(&app, req.to_request()).await;
    let renewed = new_access_cookie(&jwt, &set_cookies(res.response())).unwrap();
    assert_eq!(renewed.session(), old.session());
    assert_eq!(renewed.family(), old.family());

    let legacy = jwt.decode_token(&expiring_in(&jwt, "bob", 60)).unwrap();
    let req = test::TestRequest::get().uri("/any").insert_header((
        header::COOKIE,
        format!("access_token_cookie={}", expiring_in(&jwt, "bob", 60)),
    ));
    let res = test::call_service(&app, req.to_request()).await;
    let renewed = new_access_cookie(&jwt, &set_cookies(res.response())).unwrap();
    assert!(renewed.session().is_some() && legacy.family().is_none());
}

#[actix_web::test]
async fn implicit_refresh_leaves_responses_that_set_or_clear_token_cookies_alone() {
    let jwt = builder().build().unwrap();
    let app = refreshing_app!(jwt);
    let cookie = format!("access_token_cookie={}", expiring_in(&jwt, "carol", 60));
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/logout")
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    let cookies = set_cookies(res.response());
    assert_eq!(cookies.len(), 4, "{cookies:?}");
    assert!(
        cookies.iter().all(|c| c.contains("=;")),
        "logout stays logged out: {cookies:?}"
    );

    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/fresh_login")
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    let cookies = set_cookies(res.response());
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(new_access_cookie(&jwt, &cookies).unwrap().is_fresh());
}

#[actix_web::test]
async fn flask_config_takes_the_location_and_cookie_options() {
    let jwt = flask_manager(json!({
        "JWT_SECRET_KEY": SECRET,
        "JWT_TOKEN_LOCATION": ["cookies", "json"],
        "JWT_ACCESS_COOKIE_NAME": "acc",
        "JWT_ACCESS_COOKIE_PATH": "/api/",
        "JWT_COOKIE_SECURE": false,
        "JWT_COOKIE_SAMESITE": "Strict",
        "JWT_SESSION_COOKIE": false,
        "JWT_CSRF_METHODS": ["post"],
        "JWT_ACCESS_CSRF_HEADER_NAME": "X-XSRF",
        "JWT_JSON_KEY": "tok",
        "JWT_COOKIE_DOMAIN": null,
    }));
    let token = jwt.create_access_token("cfg").unwrap();
    let csrf = csrf_of(&jwt, &token);
    let cookies = set_cookies(
        &HttpResponse::Ok()
            .set_access_cookies(&jwt, &token)
            .unwrap()
            .finish(),
    );
    assert!(cookies[0].starts_with("acc="));
    assert!(attributes(&cookies[0]).contains(&"SameSite=Strict".to_owned()));
    assert!(attributes(&cookies[0]).contains(&"Path=/api/".to_owned()));
    assert!(!cookies[0].contains("Secure"));
    assert!(cookies[0].contains("Max-Age="));

    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/x", web::route().to(whoami).wrap(JwtRequired::new())),
    )
    .await;
    let cookie = || actix_web::cookie::Cookie::new("acc", token.clone());
    let put = test::TestRequest::put().uri("/x").cookie(cookie());
    assert_eq!(
        send(&app, put).await.0,
        StatusCode::OK,
        "PUT is not a CSRF method here"
    );
    let bare_post = test::TestRequest::post().uri("/x").cookie(cookie());
    assert_eq!(
        send(&app, bare_post).await,
        (StatusCode::UNAUTHORIZED, msg("Missing CSRF token")),
        "POST (given as \"post\") is"
    );
    let post = test::TestRequest::post()
        .uri("/x")
        .cookie(cookie())
        .insert_header(("X-XSRF", csrf));
    assert_eq!(send(&app, post).await.0, StatusCode::OK);
    let json = test::TestRequest::post()
        .uri("/x")
        .set_json(json!({ "tok": token }));
    assert_eq!(send(&app, json).await.0, StatusCode::OK);
    let header = test::TestRequest::get()
        .uri("/x")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    assert_eq!(
        send(&app, header).await.0,
        StatusCode::UNAUTHORIZED,
        "headers are not a location here"
    );
}

/// A guard reads the body only where the token or a CSRF form field may be
/// (the JSON location, or a form sent with a cookie to a method CSRF
/// protects): elsewhere a body larger than the limit reaches the handler whole.
#[actix_web::test]
async fn a_guard_reads_the_body_only_where_a_token_or_csrf_field_may_be() {
    let jwt = builder()
        .token_location([Headers, Cookies])
        .cookies(CookieConfig::new().csrf_check_form(true))
        .body_limit(64)
        .build()
        .unwrap();
    let token = jwt.create_access_token("b").unwrap();
    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt)).route(
            "/length",
            web::route()
                .to(|body: web::Bytes| async move { HttpResponse::Ok().json(body.len()) })
                .wrap(JwtRequired::new()),
        ),
    )
    .await;
    let json_body = json!({ "pad": "x".repeat(1000) }).to_string();
    let form_body = format!("pad={}", "x".repeat(1000));
    let request = |method: Method, content_type: &str, body: &String| {
        test::TestRequest::default()
            .method(method)
            .uri("/length")
            .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
            .set_payload(body.clone())
    };
    let bearer = (header::AUTHORIZATION, format!("Bearer {token}"));
    let json_post =
        request(Method::POST, "application/json", &json_body).insert_header(bearer.clone());
    assert_eq!(
        send(&app, json_post).await,
        (StatusCode::OK, json!(json_body.len()))
    );
    let form_get =
        request(Method::GET, "application/x-www-form-urlencoded", &form_body).insert_header(bearer);
    assert_eq!(
        send(&app, form_get).await,
        (StatusCode::OK, json!(form_body.len()))
    );
    // A form posted with the cookie may carry the CSRF field: read, and bounded.
    let form_post = request(
        Method::POST,
        "application/x-www-form-urlencoded",
        &form_body,
    )
    .cookie(actix_web::cookie::Cookie::new("access_token_cookie", token));
    assert_eq!(send(&app, form_post).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The CSRF form field is read from a form only: a JSON body, read for the
/// JSON location, that happens to look like `csrf_token=<value>` does not
/// carry the CSRF value (Flask reads `request.form`, empty for JSON).
#[actix_web::test]
async fn the_csrf_form_field_is_read_from_forms_only() {
    let jwt = builder()
        .cookies(CookieConfig::new().csrf_check_form(true))
        .build()
        .unwrap();
    let app = app!(jwt.clone());
    let token = jwt.create_access_token("f").unwrap();
    let csrf = csrf_of(&jwt, &token);
    let post = |content_type: &str| {
        test::TestRequest::post()
            .uri("/any")
            .cookie(actix_web::cookie::Cookie::new(
                "access_token_cookie",
                token.clone(),
            ))
            .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
            .set_payload(format!("csrf_token={csrf}"))
    };
    assert_eq!(
        send(&app, post("application/x-www-form-urlencoded")).await,
        (StatusCode::OK, json!({ "id": "f" }))
    );
    assert_eq!(
        send(&app, post("application/json")).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "msg": "Missing CSRF token" })
        )
    );
}

/// A JSON token value Python counts as false (`null`, `false`, `""`, `0`,
/// `0.0`, `[]`, `{}`) is a missing token, and the search goes on; any other
/// value that is not a string is refused. The answers are Flask-JWT-Extended
/// 4.7.4's, recorded from `tests/reference/jwt_locations.py`.
#[actix_web::test]
async fn json_token_values_python_counts_as_false_are_missing() {
    let jwt = builder().build().unwrap();
    let app = app!(jwt);
    let missing = json!({ "msg": "Missing JWT in headers, cookies, json or query_string (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing \"access_token\" key in json data.; Missing 'jwt' query paramater)" });
    let invalid = json!({ "msg": "Invalid token type. Token must be a <class 'bytes'>" });
    let cases = [
        ("null", StatusCode::UNAUTHORIZED, &missing),
        ("false", StatusCode::UNAUTHORIZED, &missing),
        ("\"\"", StatusCode::UNAUTHORIZED, &missing),
        ("0", StatusCode::UNAUTHORIZED, &missing),
        ("0.0", StatusCode::UNAUTHORIZED, &missing),
        ("-0.0", StatusCode::UNAUTHORIZED, &missing),
        ("[]", StatusCode::UNAUTHORIZED, &missing),
        ("{}", StatusCode::UNAUTHORIZED, &missing),
        ("1", StatusCode::UNPROCESSABLE_ENTITY, &invalid),
        ("0.5", StatusCode::UNPROCESSABLE_ENTITY, &invalid),
        ("true", StatusCode::UNPROCESSABLE_ENTITY, &invalid),
        ("[0]", StatusCode::UNPROCESSABLE_ENTITY, &invalid),
        ("{\"a\":0}", StatusCode::UNPROCESSABLE_ENTITY, &invalid),
    ];
    for (value, status, body) in cases {
        let req = test::TestRequest::post()
            .uri("/any")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(format!("{{\"access_token\": {value}}}"));
        assert_eq!(send(&app, req).await, (status, body.clone()), "{value}");
    }
}

/// Flask reads a header as Latin-1 (a WSGI server decodes it so), and so
/// do we: a header type beyond ASCII matches its Latin-1 byte, never its
/// UTF-8 bytes (`é` is `C3 A9`, read as `Ã©`; `Å` is `C3 85`, and `85` is
/// NEL, whitespace to Python). Checked against Flask-JWT-Extended 4.7.4.
#[actix_web::test]
async fn a_header_type_beyond_ascii_is_matched_as_latin_1() {
    for header_type in ["é", "Å"] {
        let jwt = builder().header_type(header_type).build().unwrap();
        let token = jwt.create_access_token("a").unwrap();
        let app = app!(jwt.clone());
        let request = |type_bytes: &[u8]| {
            let mut value = type_bytes.to_vec();
            value.push(b' ');
            value.extend_from_slice(token.as_bytes());
            test::TestRequest::get().uri("/headers").insert_header((
                header::AUTHORIZATION,
                header::HeaderValue::from_bytes(&value).unwrap(),
            ))
        };
        let latin_1 = [header_type.chars().next().unwrap() as u8];
        assert_eq!(
            send(&app, request(&latin_1)).await,
            (StatusCode::OK, json!({ "id": "a" })),
            "{header_type}"
        );
        assert_eq!(
            send(&app, request(header_type.as_bytes())).await,
            (
                StatusCode::UNAUTHORIZED,
                json!({ "msg": format!("Missing '{header_type}' type in 'Authorization' header. Expected 'Authorization: {header_type} <JWT>'") })
            )
        );
        // The test helpers write the header as it is read.
        #[cfg(feature = "test-util")]
        {
            use actix_jwt_extended::test::TestRequestExt;
            let req = test::TestRequest::get()
                .uri("/headers")
                .with_access_token(&jwt, "b");
            assert_eq!(
                send(&app, req).await,
                (StatusCode::OK, json!({ "id": "b" }))
            );
        }
    }
}

/// A token goes only into its own kind's cookie; the error says which kind
/// went where.
#[actix_web::test]
async fn a_token_goes_only_into_its_own_kinds_cookie() {
    let jwt = builder().build().unwrap();
    let access = jwt.create_access_token("u").unwrap();
    let refresh = jwt.create_refresh_token("u").unwrap();
    let cause = |result: Result<&mut HttpResponse, actix_jwt_extended::JwtError>| match result {
        Err(actix_jwt_extended::JwtError::Creation(cause)) => cause.to_string(),
        other => panic!("{other:?}"),
    };
    let mut response = HttpResponse::Ok().finish();
    assert_eq!(
        cause(response.set_access_cookies(&jwt, &refresh)),
        "refresh tokens cannot go into the access cookie"
    );
    assert_eq!(
        cause(response.set_refresh_cookies(&jwt, &access)),
        "access tokens cannot go into the refresh cookie"
    );
    assert!(set_cookies(&response).is_empty());
}
