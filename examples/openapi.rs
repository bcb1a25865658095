//! An OpenAPI document for guarded routes (feature `utoipa`): utoipa
//! describes the handlers, `JwtSecurity` adds the token schemes and marks the
//! operations behind each guard, and `GET /openapi.json` serves the result.
//!
//! ```sh
//! cargo run --example openapi --features utoipa     # 127.0.0.1:5000, secret "super-secret"
//! curl -s localhost:5000/openapi.json
//! ```

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::TokenLocation,
    cookies::{CookieConfig, JwtCookies},
    openapi::{JwtSecurity, UnmatchedPaths},
};
use actix_web::{App, HttpResponse, HttpServer, http::Method, web};
use serde_json::json;
use utoipa::OpenApi;

#[utoipa::path(post, path = "/login", responses(
    (status = 200, description = "An access and a refresh token, in the body and in cookies"),
    (status = 401, description = "Bad username or password"),
))]
async fn login(
    jwt: web::Data<JwtManager>,
    body: web::Json<serde_json::Value>,
) -> actix_web::Result<HttpResponse> {
    if body["username"] != "test" || body["password"] != "test" {
        return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
    }
    let pair = jwt.create_token_pair("test")?;
    Ok(HttpResponse::Ok()
        .set_pair_cookies(&jwt, &pair)?
        .json(&pair))
}

#[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/feed", responses((status = 200, description = "The feed, for anyone")))]
async fn feed(identity: Option<JwtIdentity>) -> HttpResponse {
    let who = identity.map_or("anonymous".to_owned(), |identity| identity.to_string());
    HttpResponse::Ok().json(json!({ "feed_for": who }))
}

#[utoipa::path(get, path = "/api/me", responses((status = 200, description = "The caller's identity")))]
async fn me(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str() }))
}

#[utoipa::path(post, path = "/api/notes", responses((status = 201, description = "Note saved")))]
async fn add_note(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Created().json(json!({ "owner": identity.as_str() }))
}

#[utoipa::path(post, path = "/account/password", responses((status = 200, description = "Password changed")))]
async fn change_password(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "changed_for": identity.as_str() }))
}

#[utoipa::path(post, path = "/refresh", responses((status = 200, description = "A new access token")))]
async fn refresh(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    let access_token = jwt.create_access_token(identity.as_str())?;
    Ok(HttpResponse::Ok()
        .set_access_cookies(&jwt, &access_token)?
        .json(json!({ "access_token": access_token })))
}

async fn openapi_json(
    doc: web::Data<utoipa::openapi::OpenApi>,
) -> web::Json<utoipa::openapi::OpenApi> {
    web::Json(doc.get_ref().clone())
}

#[derive(OpenApi)]
#[openapi(paths(login, health, feed, me, add_note, change_password, refresh))]
struct ApiDoc;

// Each guard is named once: the routes wrap it and the document describes it.
fn api_guard() -> JwtRequired {
    JwtRequired::new()
}

fn fresh_guard() -> JwtRequired {
    JwtRequired::new().fresh()
}

fn optional_guard() -> JwtRequired {
    JwtRequired::new().optional()
}

fn refresh_guard() -> RefreshRequired {
    RefreshRequired::new()
}

/// The document: the handlers' paths, then the guards' security. Built once,
/// at start-up, where a guarded path that matches no operation stops the app.
pub fn api_doc(jwt: &JwtManager) -> Result<utoipa::openapi::OpenApi, UnmatchedPaths> {
    let mut doc = ApiDoc::openapi();
    JwtSecurity::new(jwt)
        .scope("/api", api_guard())
        .route("/account/password", Method::POST, fresh_guard())
        .resource("/feed", optional_guard())
        .resource("/refresh", refresh_guard())
        .apply(&mut doc)?;
    Ok(doc)
}

/// The routes; `/openapi.json` serves the `OpenApi` document in app data.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(login))
        .route("/health", web::get().to(health))
        .route("/openapi.json", web::get().to(openapi_json))
        .route("/feed", web::get().to(feed).wrap(optional_guard()))
        .route(
            "/account/password",
            web::post().to(change_password).wrap(fresh_guard()),
        )
        .route("/refresh", web::post().to(refresh).wrap(refresh_guard()))
        .service(
            web::scope("/api")
                .wrap(api_guard())
                .route("/me", web::get().to(me))
                .route("/notes", web::post().to(add_note)),
        );
}

/// Tokens from the `Authorization` header or from cookies (plain HTTP, for
/// local development only).
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // "super-secret" is shorter than RFC 7518 asks for: it is accepted,
        // with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .token_location([TokenLocation::Headers, TokenLocation::Cookies])
        .cookies(CookieConfig::new().secure(false))
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
    let doc = web::Data::new(api_doc(&jwt).map_err(std::io::Error::other)?);

    log::info!("serving on http://127.0.0.1:{port}, the document at /openapi.json");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .app_data(doc.clone())
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
