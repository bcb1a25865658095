//! The "Blocklist and Token Revoking" chapter of the Flask-JWT-Extended
//! guide, route for route: `DELETE /logout` revokes whichever token it is
//! given. Revocations live in Redis when `REDIS_URL` is set, or in a Redis
//! Cluster when `REDIS_CLUSTER_URLS` is (comma-separated seed nodes), shared
//! by every instance; else in this process's memory.
//!
//! Logging out should end the whole session, not one token: a login here
//! starts a session (`create_token_pair`), `/refresh` mints into it, and
//! `DELETE /logout_session` ends it, access and refresh tokens alike.
//! `DELETE /logout_other_devices` ends every other session of the user.
//!
//! ```sh
//! cargo run --example blocklist
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run --example blocklist --features redis
//! REDIS_CLUSTER_URLS=redis://127.0.0.1:7000,redis://127.0.0.1:7001 cargo run --example blocklist --features redis
//! ```

use std::time::Duration;

use actix_jwt_extended::{
    Claims, JwtManager, JwtRequired, RefreshRequired, store::MemoryStore, token::TokenKind,
};
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

async fn login(
    req: HttpRequest,
    body: web::Bytes,
    jwt: web::Data<JwtManager>,
) -> actix_web::Result<HttpResponse> {
    let body = json_object(&req, &body);
    if body.get("username") != Some(&json!("test")) || body.get("password") != Some(&json!("test"))
    {
        return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
    }
    // Both tokens belong to one new session.
    Ok(HttpResponse::Ok().json(jwt.create_token_pair("example_user")?))
}

// The new access token joins the refresh token's session.
async fn refresh(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<HttpResponse> {
    let token = claims.token();
    let access_token = jwt
        .access_token_builder(token.identity())
        .in_session_of(token)
        .encode()?;
    Ok(HttpResponse::Ok().json(json!({ "access_token": access_token })))
}

// Ends the session of the token it was called with, access or refresh: every
// token of that login is revoked.
async fn logout_session(
    jwt: web::Data<JwtManager>,
    claims: Claims,
) -> actix_web::Result<HttpResponse> {
    jwt.end_session(claims.token()).await?;
    Ok(HttpResponse::Ok().json(json!({ "msg": "Session ended" })))
}

// Ends every other session of the user; this one goes on.
async fn logout_other_devices(
    jwt: web::Data<JwtManager>,
    claims: Claims,
) -> actix_web::Result<HttpResponse> {
    jwt.end_other_sessions(claims.token()).await?;
    Ok(HttpResponse::Ok().json(json!({ "msg": "Other sessions ended" })))
}

// The chapter's logout: revokes the one token it was called with, access or
// refresh (the other token of the login keeps working; prefer `logout_session`).
async fn logout(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<HttpResponse> {
    jwt.revoke_token(claims.token()).await?;
    let kind = match claims.token().kind() {
        TokenKind::Access => "Access",
        TokenKind::Refresh => "Refresh",
    };
    Ok(HttpResponse::Ok().json(json!({ "msg": format!("{kind} token successfully revoked") })))
}

async fn protected() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "hello": "world" }))
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
    cfg.service(resource("/login", "POST, OPTIONS").route(web::post().to(login)))
        .service(
            resource("/refresh", "POST, OPTIONS")
                .route(web::post().to(refresh).wrap(RefreshRequired::new())),
        )
        .service(
            resource("/logout", "DELETE, OPTIONS")
                .route(web::delete().to(logout).wrap(JwtRequired::new().any_kind())),
        )
        .service(
            resource("/logout_session", "DELETE, OPTIONS").route(
                web::delete()
                    .to(logout_session)
                    .wrap(JwtRequired::new().any_kind()),
            ),
        )
        .service(
            resource("/logout_other_devices", "DELETE, OPTIONS").route(
                web::delete()
                    .to(logout_other_devices)
                    .wrap(JwtRequired::new().any_kind()),
            ),
        )
        .service(
            resource("/protected", "HEAD, GET, OPTIONS")
                .route(web::get().to(protected).wrap(JwtRequired::new()))
                .route(web::head().to(protected).wrap(JwtRequired::new())),
        )
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(json!({ "msg": "Not Found" }))
        }));
}

/// The chapter's configuration (access tokens for an hour) with `store`.
pub fn manager(
    secret: &str,
    store: impl actix_jwt_extended::store::TokenStore,
) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .access_token_expires(Duration::from_secs(60 * 60))
        .token_store(store)
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
    let redis =
        (std::env::var("REDIS_URL").ok()).or_else(|| std::env::var("REDIS_CLUSTER_URLS").ok());
    let jwt = match redis {
        Some(_) => redis_manager(&secret)?,
        None => {
            log::info!(
                "neither REDIS_URL nor REDIS_CLUSTER_URLS is set: revocations live in this \
                 process's memory"
            );
            manager(&secret, MemoryStore::new()).map_err(std::io::Error::other)?
        }
    };

    log::info!("serving on http://127.0.0.1:{port}");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(routes)
    });
    // WORKERS: for benchmarks (benches/store_load.sh); defaults to one per core.
    let server = match std::env::var("WORKERS").ok().and_then(|n| n.parse().ok()) {
        Some(workers) => server.workers(workers),
        None => server,
    };
    server.bind(("127.0.0.1", port))?.run().await
}

/// A manager on `RedisStore`: one server (`REDIS_URL`) or a cluster
/// (`REDIS_CLUSTER_URLS`). The URLs may hold a password: they are not logged.
#[cfg(feature = "redis")]
fn redis_manager(secret: &str) -> std::io::Result<JwtManager> {
    use actix_jwt_extended::store::RedisStore;
    let builder = match std::env::var("REDIS_URL") {
        Ok(url) => {
            log::info!("revocations live in Redis (REDIS_URL)");
            RedisStore::builder(url)
        }
        Err(_) => {
            log::info!("revocations live in a Redis Cluster (REDIS_CLUSTER_URLS)");
            let nodes = std::env::var("REDIS_CLUSTER_URLS").unwrap_or_default();
            RedisStore::cluster_builder(nodes.split(',').map(str::to_owned))
        }
    };
    let store = builder.build().map_err(std::io::Error::other)?;
    manager(secret, store).map_err(std::io::Error::other)
}

#[cfg(not(feature = "redis"))]
fn redis_manager(_: &str) -> std::io::Result<JwtManager> {
    Err(std::io::Error::other(
        "REDIS_URL or REDIS_CLUSTER_URLS is set but this build has no Redis support: run \
         with `--features redis`",
    ))
}
