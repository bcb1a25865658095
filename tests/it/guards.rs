//! Guards and extractors through real requests: the seed flow, every error row,
//! token types, decode-once, OPTIONS, outer middleware, configuration options.

use std::time::Duration;

use crate::common::{SECRET, bearer, call, flask_payload, forge, hs256, manager, msg, now};
use actix_jwt_extended::{
    Claims, JwtError, JwtIdentity, JwtManager, JwtRequired, RefreshRequired, config::Expiry,
};
use actix_web::{
    App, HttpResponse, Responder,
    body::MessageBody,
    dev::ServiceRequest,
    http::{Method, StatusCode, header},
    middleware::{self, Next},
    test, web,
};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Value, json};

async fn protected(identity: JwtIdentity) -> impl Responder {
    web::Json(json!({ "logged_in_as": identity.as_str() }))
}

/// The seed app, as in the crate docs: guards on resources.
macro_rules! seed_app {
    ($jwt:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .service(
                    web::resource("/protected")
                        .wrap(JwtRequired::new())
                        .route(web::get().to(protected)),
                )
                .service(
                    web::resource("/refresh").wrap(RefreshRequired::new()).route(web::post().to(
                        |jwt: web::Data<JwtManager>, id: JwtIdentity| async move {
                            HttpResponse::Ok()
                                .json(json!({ "access_token": jwt.create_access_token(id.as_str()).unwrap() }))
                        },
                    )),
                ),
        )
        .await
    };
}

#[actix_web::test]
async fn seed_flow_login_protected_refresh_protected() {
    let jwt = manager();
    let app = seed_app!(jwt.clone());
    let access = jwt.create_access_token("test").unwrap();
    let refresh = jwt.create_refresh_token("test").unwrap();

    let (status, body) = call(&app, Method::GET, "/protected", Some(&bearer(&access))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "logged_in_as": "test" }))
    );

    let (status, body) = call(&app, Method::POST, "/refresh", Some(&bearer(&refresh))).await;
    assert_eq!(status, StatusCode::OK);
    let new_access = body["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);

    let (status, body) = call(&app, Method::GET, "/protected", Some(&bearer(new_access))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "logged_in_as": "test" }))
    );
}

#[actix_web::test]
async fn refresh_token_is_rejected_on_access_route_and_access_token_on_refresh_route() {
    let jwt = manager();
    let app = seed_app!(jwt.clone());
    let access = jwt.create_access_token("test").unwrap();
    let refresh = jwt.create_refresh_token("test").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&bearer(&refresh))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only non-refresh tokens are allowed")
        )
    );
    assert_eq!(
        call(&app, Method::POST, "/refresh", Some(&bearer(&access))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only refresh tokens are allowed")
        )
    );
    // A token without `type` (another issuer) is an access token, never a refresh token.
    let mut untyped = flask_payload("access");
    untyped.as_object_mut().unwrap().remove("type");
    let untyped = hs256(&untyped);
    assert_eq!(
        call(&app, Method::GET, "/protected", Some(&bearer(&untyped)))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::POST, "/refresh", Some(&bearer(&untyped))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only refresh tokens are allowed")
        )
    );
}

/// PyJWT reads a signature with its base64 padding as the same bytes, and so
/// do we (the differential test found we refused it). Padding that is not
/// complete (the differential test found we took it), a padded signature of other bytes and a signature longer than
/// any key makes keep Flask's answers.
#[actix_web::test]
async fn a_padded_signature_is_the_same_signature() {
    let app = seed_app!(manager());
    let valid = hs256(&flask_payload("access"));
    let (signing_input, signature) = valid.rsplit_once('.').unwrap();
    assert_eq!(signature.len() % 4, 3, "one padding character completes it");
    let mut tampered = signature.to_owned();
    tampered.replace_range(10..11, if &signature[10..11] == "B" { "C" } else { "B" });
    let cases = [
        (format!("{valid}="), 200, None),
        (format!("{valid}=="), 422, Some("Invalid crypto padding")),
        // Part of the padding: 42 characters need two.
        (
            format!("{}=", &valid[..valid.len() - 1]),
            422,
            Some("Invalid crypto padding"),
        ),
        (
            format!("{signing_input}.{tampered}="),
            422,
            Some("Signature verification failed"),
        ),
        (
            format!("{signing_input}.{}", "A".repeat(1400)),
            422,
            Some("Signature verification failed"),
        ),
        // Bytes that decode whether or not the padding is whole: PyJWT
        // takes only the whole padding, also past the longest signature.
        (
            format!("{signing_input}.Zg="),
            422,
            Some("Invalid crypto padding"),
        ),
        (
            format!("{signing_input}.Zg=="),
            422,
            Some("Signature verification failed"),
        ),
        (
            format!("{signing_input}.{}Zg=", "A".repeat(1400)),
            422,
            Some("Invalid crypto padding"),
        ),
        (
            format!("{signing_input}.{}Zg==", "A".repeat(1400)),
            422,
            Some("Signature verification failed"),
        ),
    ];
    for (token, status, message) in cases {
        let (got, body) = call(&app, Method::GET, "/protected", Some(&bearer(&token))).await;
        assert_eq!(got.as_u16(), status, "{token}: {body}");
        if let Some(message) = message {
            assert_eq!(body, msg(message), "{token}");
        }
    }
}

#[actix_web::test]
async fn every_error_row_answers_like_flask() {
    let app = seed_app!(manager());
    let valid = hs256(&flask_payload("access"));
    let with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut payload = flask_payload("access");
        f(payload.as_object_mut().unwrap());
        hs256(&payload)
    };
    let (header, payload, _) = {
        let mut parts = valid.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let missing_bearer =
        "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
    let bad_header = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
    let cases: Vec<(String, Option<String>, u16, &str)> = vec![
        (
            "no header".into(),
            None,
            401,
            "Missing Authorization Header",
        ),
        (
            "lower-case scheme".into(),
            Some(format!("bearer {valid}")),
            401,
            missing_bearer,
        ),
        (
            "basic".into(),
            Some("Basic dGVzdDp0ZXN0".into()),
            401,
            missing_bearer,
        ),
        (
            "bearer without token".into(),
            Some("Bearer".into()),
            422,
            bad_header,
        ),
        (
            "bearer with two words".into(),
            Some(format!("Bearer {valid} x")),
            422,
            bad_header,
        ),
        (
            "one segment".into(),
            Some(bearer("abc")),
            422,
            "Not enough segments",
        ),
        (
            "two segments".into(),
            Some(bearer(&format!("{header}.{payload}"))),
            422,
            "Not enough segments",
        ),
        (
            "four segments".into(),
            Some(bearer(&format!("{valid}.x"))),
            422,
            "Invalid payload padding",
        ),
        (
            "bad base64 header".into(),
            Some(bearer(&format!("!{valid}"))),
            422,
            "Invalid header padding",
        ),
        (
            "bad base64 signature".into(),
            Some(bearer(&format!("{valid}*"))),
            422,
            "Invalid crypto padding",
        ),
        (
            "payload not JSON".into(),
            Some(bearer(&format!(
                "{header}.{}.{}",
                crate::common::b64(b"not json"),
                "c2ln"
            ))),
            422,
            "",
        ),
        (
            "payload a JSON array".into(),
            Some(bearer(&format!(
                "{header}.{}.c2ln",
                crate::common::b64(b"[1]")
            ))),
            422,
            "Invalid payload string: must be a json object",
        ),
        (
            "wrong secret".into(),
            Some(bearer(&forge(
                &json!({"alg": "HS256", "typ": "JWT"}),
                &flask_payload("access"),
                "other",
                Algorithm::HS256,
            ))),
            422,
            "Signature verification failed",
        ),
        (
            "tampered payload".into(),
            Some(bearer(&format!(
                "{header}.{}.{}",
                crate::common::b64(
                    flask_payload("access")
                        .to_string()
                        .replace("\"test\"", "\"admin\"")
                        .as_bytes()
                ),
                valid.rsplit('.').next().unwrap()
            ))),
            422,
            "Signature verification failed",
        ),
        (
            "HS512 when HS256 is configured".into(),
            Some(bearer(&forge(
                &json!({"alg": "HS512", "typ": "JWT"}),
                &flask_payload("access"),
                SECRET,
                Algorithm::HS512,
            ))),
            422,
            "The specified alg value is not allowed",
        ),
        (
            "expired".into(),
            Some(bearer(&with(&|p| {
                p.insert("exp".into(), json!(now() - 1));
            }))),
            401,
            "Token has expired",
        ),
        (
            "nbf in the future".into(),
            Some(bearer(&with(&|p| {
                p.insert("nbf".into(), json!(now() + 60));
            }))),
            422,
            "The token is not yet valid (nbf)",
        ),
        (
            "iat in the future".into(),
            Some(bearer(&with(&|p| {
                p.insert("iat".into(), json!(now() + 60));
            }))),
            422,
            "The token is not yet valid (iat)",
        ),
        (
            "exp a string".into(),
            Some(bearer(&with(&|p| {
                p.insert("exp".into(), json!("4102444800"));
            }))),
            422,
            "Expiration Time claim (exp) must be an integer.",
        ),
        (
            "no sub".into(),
            Some(bearer(&with(&|p| {
                p.remove("sub");
            }))),
            422,
            "Missing claim: sub",
        ),
        (
            "sub a number".into(),
            Some(bearer(&with(&|p| {
                p.insert("sub".into(), json!(7));
            }))),
            422,
            "Subject must be a string",
        ),
        (
            "expired refresh token on an access route".into(),
            Some(bearer(&{
                let mut p = flask_payload("refresh");
                p["exp"] = json!(now() - 1);
                hs256(&p)
            })),
            401,
            "Token has expired",
        ),
    ];
    for (name, authorization, status, message) in cases {
        let (got_status, body) =
            call(&app, Method::GET, "/protected", authorization.as_deref()).await;
        assert_eq!(got_status.as_u16(), status, "{name}: {body}");
        if message.is_empty() {
            assert!(
                body["msg"]
                    .as_str()
                    .unwrap()
                    .starts_with("Invalid payload string"),
                "{name}: {body}"
            );
        } else {
            assert_eq!(body, msg(message), "{name}");
        }
    }
}

#[actix_web::test]
async fn alg_none_is_rejected_in_any_case_before_any_key_is_used() {
    let app = seed_app!(manager());
    let payload = crate::common::b64(flask_payload("access").to_string().as_bytes());
    for alg in ["none", "None", "NONE", "nOnE", "", "hs256"] {
        let header = crate::common::b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
        for signature in ["", "c2lnbmF0dXJl"] {
            let token = format!("{header}.{payload}.{signature}");
            assert_eq!(
                call(&app, Method::GET, "/protected", Some(&bearer(&token))).await,
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    msg("The specified alg value is not allowed")
                ),
                "alg {alg:?}"
            );
        }
    }
    let header = crate::common::b64(br#"{"typ":"JWT"}"#);
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/protected",
            Some(&bearer(&format!("{header}.{payload}.")))
        )
        .await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Algorithm not specified")
        )
    );
}

#[actix_web::test]
async fn the_token_is_decoded_once_and_extractors_read_the_guards_result() {
    let jwt = manager();
    let refresh = jwt.create_refresh_token("test").unwrap();
    // Between the guard and the handler, replace the header with garbage: an
    // extractor that decoded again would reject the request.
    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt.clone())).service(
            web::resource("/refresh")
                .wrap(middleware::from_fn(
                    |mut req: ServiceRequest, next: Next<_>| async move {
                        req.headers_mut()
                            .insert(header::AUTHORIZATION, "Bearer garbage".parse().unwrap());
                        next.call(req).await
                    },
                ))
                .wrap(RefreshRequired::new())
                .route(
                    web::post().to(|id: JwtIdentity, claims: Claims| async move {
                        HttpResponse::Ok()
                            .json(json!({ "id": id.as_str(), "type": claims["type"] }))
                    }),
                ),
        ),
    )
    .await;
    let (status, body) = call(&app, Method::POST, "/refresh", Some(&bearer(&refresh))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "id": "test", "type": "refresh" }))
    );
}

#[actix_web::test]
async fn jwt_identity_alone_protects_a_handler_as_an_access_token_check() {
    let jwt = manager();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/me", web::get().to(protected)),
    )
    .await;
    let access = jwt.create_access_token("alice").unwrap();
    let refresh = jwt.create_refresh_token("alice").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/me", Some(&bearer(&access))).await,
        (StatusCode::OK, json!({ "logged_in_as": "alice" }))
    );
    assert_eq!(
        call(&app, Method::GET, "/me", None).await,
        (
            StatusCode::UNAUTHORIZED,
            msg("Missing Authorization Header")
        )
    );
    assert_eq!(
        call(&app, Method::GET, "/me", Some(&bearer(&refresh))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only non-refresh tokens are allowed")
        )
    );
}

#[derive(Deserialize)]
struct RoleClaims {
    sub: String,
    role: String,
}

#[actix_web::test]
async fn typed_claims_carry_additional_claims_and_a_mismatch_is_a_422() {
    let jwt = manager();
    let app = test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
        "/role",
        web::get().to(|claims: Claims<RoleClaims>| async move {
            HttpResponse::Ok().json(
                json!({ "sub": claims.sub, "role": claims.role, "jti": claims.token().jti() }),
            )
        }),
    ))
    .await;
    let token = jwt
        .access_token_builder("bob")
        .claim("role", "admin")
        .encode()
        .unwrap();
    let (status, body) = call(&app, Method::GET, "/role", Some(&bearer(&token))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["sub"].clone(), body["role"].clone()),
        (json!("bob"), json!("admin"))
    );
    assert!(body["jti"].as_str().unwrap().len() == 36);

    let plain = jwt.create_access_token("bob").unwrap();
    assert_eq!(
        call(&app, Method::GET, "/role", Some(&bearer(&plain))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Token claims do not have the expected shape")
        )
    );
}

#[actix_web::test]
async fn options_requests_pass_the_guard_but_reach_the_handler_only_with_a_token() {
    let app = test::init_service(
        App::new().app_data(web::Data::new(manager())).service(
            web::resource("/protected")
                .wrap(JwtRequired::new())
                .route(web::get().to(protected))
                .route(web::method(Method::OPTIONS).to(HttpResponse::NoContent)),
        ),
    )
    .await;
    // No valid token: the guard answers the preflight itself.
    for authorization in [None, Some("Bearer garbage")] {
        assert_eq!(
            call(&app, Method::OPTIONS, "/protected", authorization).await,
            (StatusCode::OK, Value::Null)
        );
    }
    let token = manager().create_access_token("test").unwrap();
    assert_eq!(
        call(&app, Method::OPTIONS, "/protected", Some(&bearer(&token)))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, Method::GET, "/protected", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn with_cors_a_rejection_still_gets_the_outer_middleware_headers() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager()))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("Access-Control-Allow-Origin", "https://app.example")),
            )
            .service(
                web::resource("/protected")
                    .wrap(JwtRequired::new())
                    .route(web::get().to(protected)),
            ),
    )
    .await;
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/protected").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://app.example"
    );
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
}

#[actix_web::test]
async fn without_a_manager_guards_and_extractors_answer_500_json_without_panicking() {
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/guarded")
                    .wrap(JwtRequired::new())
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .route("/extracted", web::get().to(protected)),
    )
    .await;
    for path in ["/guarded", "/extracted"] {
        assert_eq!(
            call(&app, Method::GET, path, Some("Bearer x.y.z")).await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                msg("JWT authentication is not configured on this server")
            ),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn a_plain_manager_in_app_data_is_found_too() {
    let jwt = manager();
    let token = jwt.create_access_token("test").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(jwt)
            .route("/me", web::get().to(protected)),
    )
    .await;
    assert_eq!(
        call(&app, Method::GET, "/me", Some(&bearer(&token)))
            .await
            .0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn header_name_header_type_identity_claim_and_message_key_are_configurable() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .header_name("X-Token")
        .header_type("")
        .identity_claim("identity")
        .error_message_key("error")
        .build()
        .unwrap();
    // A claim of the app's own after the identity claim is not the identity.
    let token = jwt
        .access_token_builder("carol")
        .claim("role", "admin")
        .encode()
        .unwrap();
    let claims = jwt.decode_token(&token).unwrap();
    assert_eq!(claims.identity(), "carol");
    assert_eq!(claims.claims()["identity"], "carol");
    assert!(claims.claims().get("sub").is_none());

    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt)).service(
            web::resource("/me")
                .wrap(JwtRequired::new())
                .route(web::get().to(protected)),
        ),
    )
    .await;
    let req = |value: Option<&str>| {
        let mut req = test::TestRequest::get().uri("/me");
        if let Some(value) = value {
            req = req.insert_header(("X-Token", value.to_owned()));
        }
        req.to_request()
    };
    let body: Value = test::call_and_read_body_json(&app, req(Some(&token))).await;
    assert_eq!(body, json!({ "logged_in_as": "carol" }));
    let res = test::call_service(&app, req(None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        test::read_body_json::<Value, _>(res).await,
        json!({ "error": "Missing X-Token Header" })
    );
    let res = test::call_service(&app, req(Some(&format!("Bearer {token}")))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        test::read_body_json::<Value, _>(res).await,
        json!({ "error": "Bad X-Token header. Expected 'X-Token: <JWT>'" })
    );
}

#[actix_web::test]
async fn tokens_have_flasks_claim_layout_and_lifetimes() {
    let jwt = manager();
    let before = now();
    let access = jwt
        .decode_token(&jwt.create_access_token("test").unwrap())
        .unwrap();
    let refresh = jwt
        .decode_token(&jwt.create_refresh_token("test").unwrap())
        .unwrap();
    let keys = |t: &actix_jwt_extended::token::DecodedToken| {
        t.claims().keys().cloned().collect::<Vec<_>>()
    };
    let mut expected = ["fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "exp"]
        .map(String::from)
        .to_vec();
    expected.sort();
    assert_eq!(keys(&access), expected);
    assert_eq!(keys(&refresh), expected);
    assert_eq!(access.header().get("typ"), Some(&json!("JWT")));
    assert_eq!(access.header().get("alg"), Some(&json!("HS256")));
    assert_eq!(access.claims()["fresh"], json!(false));
    assert_eq!(access.claims()["type"], "access");
    assert_eq!(refresh.claims()["type"], "refresh");
    let iat = access.issued_at().unwrap() as u64;
    assert!((before..=before + 1).contains(&iat));
    assert_eq!(access.claims()["nbf"], access.claims()["iat"]);
    assert_eq!(
        access.expires_at().unwrap() - access.issued_at().unwrap(),
        15 * 60
    );
    assert_eq!(
        refresh.expires_at().unwrap() - refresh.issued_at().unwrap(),
        30 * 24 * 3600
    );
    // A UUID as in Flask, version 7: it carries the issue time to the
    // millisecond, within the `iat` second.
    let jti = uuid::Uuid::parse_str(access.jti().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 7);
    let (seconds, _) = jti.get_timestamp().unwrap().to_unix();
    assert_eq!(seconds as i64, access.issued_at().unwrap());
    assert_ne!(access.jti(), refresh.jti());
}

#[actix_web::test]
async fn token_builder_options_fresh_expiry_claims_headers_and_never_expiring() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .access_token_expires(Expiry::Never)
        .build()
        .unwrap();
    let token = jwt
        .decode_token(&jwt.create_access_token("x").unwrap())
        .unwrap();
    assert!(token.expires_at().is_none() && token.claims().get("exp").is_none());

    let token = jwt
        .access_token_builder("x")
        .fresh(true)
        .expires(Duration::from_secs(60))
        .claims(json!({ "roles": ["a", "b"] }))
        .header("kid", "key-1")
        .encode()
        .unwrap();
    let token = jwt.decode_token(&token).unwrap();
    assert!(token.is_fresh());
    assert_eq!(token.expires_at().unwrap() - token.issued_at().unwrap(), 60);
    assert_eq!(token.claims()["roles"], json!(["a", "b"]));
    assert_eq!(token.header()["kid"], "key-1");

    for reserved in ["sub", "type", "fresh", "jti", "iat", "nbf", "exp", "csrf"] {
        let err = jwt
            .access_token_builder("x")
            .claim(reserved, 1)
            .encode()
            .unwrap_err();
        assert!(
            matches!(err, actix_jwt_extended::JwtError::Creation(_)),
            "{reserved}"
        );
    }
    assert!(
        jwt.access_token_builder("x")
            .header("alg", "none")
            .encode()
            .is_err()
    );
    assert!(jwt.refresh_token_builder("x").fresh(true).encode().is_err());
    assert!(
        jwt.access_token_builder("x")
            .claims(json!([1]))
            .encode()
            .is_err()
    );
    assert!(
        jwt.access_token_builder("x")
            .expires(Duration::ZERO)
            .encode()
            .is_err()
    );
}

/// PyJWT's `crit` and `b64` rules apply when a token is minted, not only
/// when it is verified: the builder and the headers hook cannot write a
/// header the verifier refuses (found by the `create_token` fuzz target).
#[actix_web::test]
async fn crit_and_b64_headers_the_verifier_refuses_are_refused_when_minted() {
    let jwt = manager();
    let refused = [
        json!({ "crit": [] }),
        json!({ "crit": "b64", "b64": true }),
        json!({ "crit": ["exp"] }),
        json!({ "crit": ["b64"] }),
        json!({ "crit": ["b64", "exp"], "b64": true }),
        json!({ "b64": false }),
        json!({ "crit": ["b64"], "b64": false }),
    ];
    for headers in &refused {
        let mut builder = jwt.access_token_builder("x");
        for (name, value) in headers.as_object().unwrap() {
            builder = builder.header(name, value);
        }
        let error = builder.encode().unwrap_err();
        assert!(
            matches!(error, JwtError::Creation(_)),
            "{headers}: {error:?}"
        );

        let hooked = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .additional_headers_loader({
                let headers = headers.clone();
                move |_| headers.clone()
            })
            .build()
            .unwrap();
        let error = hooked.create_refresh_token("x").unwrap_err();
        assert!(
            matches!(error, JwtError::Creation(_)),
            "hook {headers}: {error:?}"
        );
    }

    // What PyJWT accepts is still minted, and verifies.
    for headers in [
        json!({ "crit": ["b64"], "b64": true }),
        json!({ "b64": true }),
    ] {
        let mut builder = jwt.access_token_builder("x");
        for (name, value) in headers.as_object().unwrap() {
            builder = builder.header(name, value);
        }
        let token = jwt.decode_token(&builder.encode().unwrap()).unwrap();
        for (name, value) in headers.as_object().unwrap() {
            assert_eq!(&token.header()[name], value, "{headers}");
        }
    }
}

#[actix_web::test]
async fn several_authorization_lines_are_joined_like_a_wsgi_server_does() {
    let jwt = manager();
    let app = seed_app!(jwt.clone());
    let token = jwt.create_access_token("test").unwrap();
    let req = test::TestRequest::get()
        .uri("/protected")
        .append_header((header::AUTHORIZATION, "Basic dGVzdDp0ZXN0"))
        .append_header((header::AUTHORIZATION, bearer(&token)))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    let req = test::TestRequest::get()
        .uri("/protected")
        .append_header((header::AUTHORIZATION, bearer(&token)))
        .append_header((header::AUTHORIZATION, bearer(&token)))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn a_guard_on_the_whole_app_covers_every_route() {
    let jwt = manager();
    let token = jwt.create_access_token("dave").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .wrap(JwtRequired::new())
            .route(
                "/x",
                web::get()
                    .to(|id: JwtIdentity| async move { HttpResponse::Ok().body(id.to_string()) }),
            ),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/x")
        .insert_header((header::AUTHORIZATION, bearer(&token)));
    let body = test::call_and_read_body(&app, req.to_request()).await;
    assert_eq!(body.try_into_bytes().unwrap(), "dave");
    assert_eq!(
        call(&app, Method::GET, "/x", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Every truncation, single-byte substitution and a stream of random byte
/// strings: always a clean 401/422 JSON answer, never a panic or a 5xx.
#[actix_web::test]
async fn mutated_and_random_tokens_never_panic_or_answer_5xx() {
    let jwt = manager();
    let app = seed_app!(jwt.clone());
    let valid = jwt.create_access_token("test").unwrap();
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for cut in 0..valid.len() {
        candidates.push(valid.as_bytes()[..cut].to_vec());
    }
    for (at, _) in valid.bytes().enumerate().step_by(3) {
        for replacement in [b'.', b'A', b'-', b'_', b'=', b'+', b'/', 0x80, b'"'] {
            let mut token = valid.as_bytes().to_vec();
            token[at] = replacement;
            candidates.push(token);
        }
    }
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"abcXYZ019-_.=+/ {}\":,";
    for _ in 0..2_000 {
        let len = (next() % 120) as usize;
        candidates.push(
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect(),
        );
    }

    for token in &candidates {
        if let Ok(text) = std::str::from_utf8(token) {
            // Anything but the untouched token must fail to verify.
            assert!(text == valid || jwt.decode_token(text).is_err(), "{text}");
        }
        let Ok(value) = header::HeaderValue::from_bytes(&[b"Bearer ", token.as_slice()].concat())
        else {
            continue;
        };
        let req = test::TestRequest::get()
            .uri("/protected")
            .insert_header((header::AUTHORIZATION, value));
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status().as_u16();
        assert!(
            status == 401 || status == 422 || (status == 200 && token == valid.as_bytes()),
            "{status} for {token:?}"
        );
        if status != 200 {
            let body: Value = test::read_body_json(res).await;
            assert!(body["msg"].is_string());
        }
    }
}

#[actix_web::test]
async fn a_guard_on_a_scope_covers_its_routes_only() {
    let jwt = manager();
    let token = jwt.create_access_token("erin").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/public", web::get().to(HttpResponse::Ok))
            .service(
                web::scope("/api")
                    .wrap(JwtRequired::new())
                    .route("/me", web::get().to(protected)),
            ),
    )
    .await;
    assert_eq!(
        call(&app, Method::GET, "/public", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::GET, "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, Method::GET, "/api/me", Some(&bearer(&token))).await,
        (StatusCode::OK, json!({ "logged_in_as": "erin" }))
    );
}

/// Found by the property tests: serde_json's fast float parsing read
/// 6.294142881196541e155 back as ...542e155, so a float claim changed
/// between signing and the handler.
#[actix_web::test]
async fn a_float_claim_decodes_to_the_number_that_was_signed() {
    let jwt = crate::common::manager();
    for number in [6.294142881196541e155, 0.1 + 0.2, 1e-300, f64::MAX] {
        let token = jwt
            .access_token_builder("alice")
            .claim("f", number)
            .encode()
            .unwrap();
        let decoded = jwt.decode_token(&token).unwrap();
        assert_eq!(decoded.claims()["f"].as_f64(), Some(number));
    }
}
