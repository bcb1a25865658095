//! An OAuth resource server's rules (RFC 9068 and RFC 6750): only
//! `typ: at+jwt` when asked, and a 503 when the keys cannot be had.

use crate::common::{SECRET, bearer};
use actix_jwt_extended::{
    JwtManager, JwtRequired, config::ErrorFormat, manager::JwtManagerBuilder,
};
use actix_web::{
    App, HttpResponse,
    http::{StatusCode, header},
    test as actix_test, web,
};

fn builder() -> JwtManagerBuilder {
    JwtManager::builder()
        .secret(SECRET.repeat(4))
        .error_format(ErrorFormat::Rfc6750)
}

/// Status and `WWW-Authenticate` of `GET /api/me` with `token`.
async fn answer(jwt: &JwtManager, token: &str) -> (StatusCode, String) {
    let app = actix_test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
        "/api/me",
        web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
    ))
    .await;
    let req = actix_test::TestRequest::get()
        .uri("/api/me")
        .insert_header((header::AUTHORIZATION, bearer(token)));
    let res = actix_test::call_service(&app, req.to_request()).await;
    let challenge = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status(), challenge)
}

#[actix_web::test]
async fn require_at_jwt_takes_only_rfc_9068_access_tokens() {
    let jwt = builder().require_at_jwt(true).build().unwrap();
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let token = jwt
            .access_token_builder("alice")
            .header("typ", typ)
            .encode()
            .unwrap();
        assert_eq!(answer(&jwt, &token).await.0, StatusCode::OK, "{typ}");
    }
    for typ in [Some("JWT"), Some("id_token+jwt"), None] {
        let mut token = jwt.access_token_builder("alice");
        if let Some(typ) = typ {
            token = token.header("typ", typ);
        } else {
            token = token.header("typ", serde_json::Value::Null);
        }
        let (status, challenge) = answer(&jwt, &token.encode().unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{typ:?}");
        assert!(
            challenge.starts_with(r#"Bearer error="invalid_token""#)
                && challenge.contains("typ must be at+jwt"),
            "{challenge}"
        );
    }
    // Off by default: Flask-JWT-Extended's `typ: JWT` passes.
    let flask = builder().build().unwrap();
    let token = flask.create_access_token("alice").unwrap();
    assert_eq!(answer(&flask, &token).await.0, StatusCode::OK);
}
