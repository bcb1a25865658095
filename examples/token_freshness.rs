//! The "Token Freshness" chapter of the Flask-JWT-Extended guide, route for
//! route: a fresh access token at login, non-fresh ones from `/refresh`, and
//! `/protected_fresh` that only a fresh token reaches.
//!
//! ```sh
//! cargo run --example token_freshness     # 127.0.0.1:5000, secret "super-secret"
//! ```

use std::time::Duration;

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
use actix_web::{
    App, HttpMessage, HttpRequest, HttpResponse, HttpServer, Resource,
    http::{Method, header},
    web,
};
use serde_json::{Map, Value, json};

/// Flask's `request.get_json(silent=True) or {}`: a JSON object body, or empty.
fn json_object(req: &HttpRequest, body: &[u8]) -> Map<String, Value> {
    let json = req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|suffix| suffix == "json"))
    });
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) if json => object,
        _ => Map::new(),
    }
}

fn credentials_ok(req: &HttpRequest, body: &[u8]) -> bool {
    let body = json_object(req, body);
    body.get("username") == Some(&json!("test")) && body.get("password") == Some(&json!("test"))
}

fn bad_credentials() -> HttpResponse {
    HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" }))
}

async fn login(
    req: HttpRequest,
    body: web::Bytes,
    jwt: web::Data<JwtManager>,
) -> actix_web::Result<HttpResponse> {
    if !credentials_ok(&req, &body) {
        return Ok(bad_credentials());
    }
    Ok(HttpResponse::Ok().json(json!({
        "access_token": jwt.access_token_builder("example_user").fresh(true).encode()?,
        "refresh_token": jwt.create_refresh_token("example_user")?,
    })))
}

// Re-authenticates for a fresh access token, without a new refresh token.
async fn fresh_login(
    req: HttpRequest,
    body: web::Bytes,
    jwt: web::Data<JwtManager>,
) -> actix_web::Result<HttpResponse> {
    if !credentials_ok(&req, &body) {
        return Ok(bad_credentials());
    }
    Ok(HttpResponse::Ok().json(
        json!({ "access_token": jwt.access_token_builder("example_user").fresh(true).encode()? }),
    ))
}

async fn refresh(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    let access = jwt
        .access_token_builder(identity.as_str())
        .fresh(false)
        .encode()?;
    Ok(HttpResponse::Ok().json(json!({ "access_token": access })))
}

async fn protected(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str() }))
}

async fn protected_fresh() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "foo": "bar" }))
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

/// The chapter's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/login", "POST, OPTIONS").route(web::post().to(login)))
        .service(resource("/fresh_login", "POST, OPTIONS").route(web::post().to(fresh_login)))
        .service(
            resource("/refresh", "POST, OPTIONS")
                .route(web::post().to(refresh).wrap(RefreshRequired::new())),
        )
        .service(
            resource("/protected", "HEAD, GET, OPTIONS")
                .route(web::get().to(protected).wrap(JwtRequired::new()))
                .route(web::head().to(protected).wrap(JwtRequired::new())),
        )
        .service(
            resource("/protected_fresh", "HEAD, GET, OPTIONS")
                .route(
                    web::get()
                        .to(protected_fresh)
                        .wrap(JwtRequired::new().fresh()),
                )
                .route(
                    web::head()
                        .to(protected_fresh)
                        .wrap(JwtRequired::new().fresh()),
                ),
        )
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(json!({ "msg": "Not Found" }))
        }));
}

/// The chapter's configuration: access tokens live an hour.
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .access_token_expires(Duration::from_secs(60 * 60))
        .refresh_token_expires(Duration::from_secs(30 * 24 * 60 * 60))
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

    log::info!("serving on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
