//! A browser app that keeps its tokens in cookies: one HTML page (plain
//! JavaScript, no build step) that logs in, calls a protected API with the CSRF
//! header, refreshes and logs out. The token cookies are HttpOnly; the page
//! reads the CSRF cookies and sends them back as `X-CSRF-TOKEN`.
//!
//! ```sh
//! cargo run --example browser_app     # then open http://127.0.0.1:5000/ (user test / test)
//! ```

use std::time::Duration;

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::TokenLocation,
    cookies::{CookieConfig, ImplicitRefresh, JwtCookies},
};
use actix_web::{App, HttpResponse, HttpServer, http::header::ContentType, web};
use serde::Deserialize;
use serde_json::{Value, json};

const PAGE: &str = include_str!("browser_app/index.html");

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::html())
        .body(PAGE)
}

async fn login(
    jwt: web::Data<JwtManager>,
    credentials: web::Json<Credentials>,
) -> actix_web::Result<HttpResponse> {
    if credentials.username != "test" || credentials.password != "test" {
        return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
    }
    Ok(HttpResponse::Ok()
        .set_access_cookies(
            &jwt,
            &jwt.access_token_builder(&credentials.username)
                .fresh(true)
                .encode()?,
        )?
        .set_refresh_cookies(&jwt, &jwt.create_refresh_token(&credentials.username)?)?
        .json(json!({ "msg": "login successful" })))
}

async fn me(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str() }))
}

// A state-changing call: with a cookie token it needs the CSRF header.
async fn echo(identity: JwtIdentity, body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str(), "echo": body.into_inner() }))
}

async fn refresh(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .set_access_cookies(&jwt, &jwt.create_access_token(identity.as_str())?)?
        .json(json!({ "msg": "refresh successful" })))
}

async fn logout(jwt: web::Data<JwtManager>) -> HttpResponse {
    HttpResponse::Ok()
        .unset_jwt_cookies(&jwt)
        .json(json!({ "msg": "logout successful" }))
}

/// The app: the page, and the API under `/api` with tokens in cookies only.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(page)).service(
        web::scope("/api")
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/me", web::get().to(me).wrap(JwtRequired::new()))
            .route("/echo", web::post().to(echo).wrap(JwtRequired::new()))
            .route(
                "/refresh",
                web::post().to(refresh).wrap(RefreshRequired::new()),
            ),
    );
}

/// Tokens in cookies only; the refresh cookie travels to `/api/refresh` alone.
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .token_location([TokenLocation::Cookies])
        .cookies(
            CookieConfig::new()
                .cookie_paths("/", "/api/refresh")
                // Plain HTTP on 127.0.0.1 for the demo: keep `Secure` (the
                // default) behind HTTPS in production.
                .secure(false),
        )
        .access_token_expires(Duration::from_secs(15 * 60))
        .build()
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

    log::info!("serving on http://127.0.0.1:{port}/");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .wrap(ImplicitRefresh::new(Duration::from_secs(5 * 60)))
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
