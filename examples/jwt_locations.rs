//! The "JWT Locations" chapter of the Flask-JWT-Extended guide and its
//! implicit refreshing with cookies, route for route: tokens from headers,
//! cookies (with CSRF double submit), JSON bodies and the query string.
//!
//! ```sh
//! cargo run --example jwt_locations     # 127.0.0.1:5000, secret "super-secret"
//! curl -si -X POST localhost:5000/login_with_cookies
//! ```

use std::time::Duration;

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::TokenLocation,
    cookies::{CookieConfig, ImplicitRefresh, JwtCookies},
};
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, Resource,
    http::{Method, header},
    web,
};
use serde_json::json;

async fn login_without_cookies(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
    Ok(
        HttpResponse::Ok()
            .json(json!({ "access_token": jwt.create_access_token("example_user")? })),
    )
}

async fn login_with_cookies(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .set_access_cookies(&jwt, &jwt.create_access_token("example_user")?)?
        .set_refresh_cookies(&jwt, &jwt.create_refresh_token("example_user")?)?
        .json(json!({ "msg": "login successful" })))
}

// Only a refresh token from the refresh cookie (with its CSRF header) gets here.
async fn refresh_with_cookies(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .set_access_cookies(&jwt, &jwt.create_access_token(identity.as_str())?)?
        .json(json!({ "msg": "refresh successful" })))
}

async fn logout_with_cookies(jwt: web::Data<JwtManager>) -> HttpResponse {
    HttpResponse::Ok()
        .unset_jwt_cookies(&jwt)
        .json(json!({ "msg": "logout successful" }))
}

async fn protected() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "foo": "bar" }))
}

async fn only_headers() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "foo": "baz" }))
}

/// Answers like Flask for what no route takes: `OPTIONS` with the allowed
/// methods, other methods with 405, in JSON.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        if req.method() == Method::OPTIONS {
            HttpResponse::Ok()
                .insert_header((header::ALLOW, allow))
                .finish()
        } else {
            HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, allow))
                .json(json!({ "msg": "Method Not Allowed" }))
        }
    }))
}

/// The chapter's routes; HEAD is answered like GET, as Flask does.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let refresh_guard = RefreshRequired::new().locations([TokenLocation::Cookies]);
    let headers_only = JwtRequired::new().locations([TokenLocation::Headers]);
    cfg.service(
        resource("/login_without_cookies", "POST, OPTIONS")
            .route(web::post().to(login_without_cookies)),
    )
    .service(
        resource("/login_with_cookies", "POST, OPTIONS").route(web::post().to(login_with_cookies)),
    )
    .service(
        resource("/refresh_with_cookies", "POST, OPTIONS")
            .route(web::post().to(refresh_with_cookies).wrap(refresh_guard)),
    )
    .service(
        resource("/logout_with_cookies", "POST, OPTIONS")
            .route(web::post().to(logout_with_cookies)),
    )
    .service(
        resource("/protected", "HEAD, GET, POST, OPTIONS")
            .route(web::get().to(protected).wrap(JwtRequired::new()))
            .route(web::head().to(protected).wrap(JwtRequired::new()))
            .route(web::post().to(protected).wrap(JwtRequired::new())),
    )
    .service(
        resource("/only_headers", "HEAD, GET, OPTIONS")
            .route(web::get().to(only_headers).wrap(headers_only.clone()))
            .route(web::head().to(only_headers).wrap(headers_only)),
    )
    .default_service(web::to(|| async {
        HttpResponse::NotFound().json(json!({ "msg": "Not Found" }))
    }));
}

/// The chapter's configuration: every location, cookies over plain HTTP (for
/// local development only), access tokens for an hour.
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .token_location([
            TokenLocation::Headers,
            TokenLocation::Cookies,
            TokenLocation::Json,
            TokenLocation::QueryString,
        ])
        .cookies(CookieConfig::new().secure(false))
        .access_token_expires(Duration::from_secs(60 * 60))
        .build()
}

/// Flask's `after_request` hook of the chapter: re-issue access cookies that
/// expire within 30 minutes.
pub fn implicit_refresh() -> ImplicitRefresh {
    ImplicitRefresh::new(Duration::from_secs(30 * 60))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let secret = std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| {
        log::warn!("JWT_SECRET_KEY is not set: using \"super-secret\". Change this!");
        "super-secret".to_owned()
    });
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let jwt = manager(&secret).map_err(std::io::Error::other)?;

    log::info!("serving on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .wrap(implicit_refresh())
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
