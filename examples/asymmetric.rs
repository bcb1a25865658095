//! The seed's routes (`/login`, `/refresh`, `/protected`) signed with RS256:
//! Flask's `JWT_ALGORITHM = "RS256"` with `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`.
//! Any service holding only the public key can verify the tokens.
//!
//! ```sh
//! cargo run --example asymmetric      # test keys from tests/fixtures/keys
//! JWT_PRIVATE_KEY_FILE=private.pem JWT_PUBLIC_KEY_FILE=public.pem cargo run --example asymmetric
//! ```

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired, RefreshRequired, config::Algorithm,
};
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

async fn login(
    jwt: web::Data<JwtManager>,
    body: web::Json<Value>,
) -> actix_web::Result<HttpResponse> {
    if body.get("username") != Some(&json!("test")) || body.get("password") != Some(&json!("test"))
    {
        return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
    }
    Ok(HttpResponse::Ok().json(json!({
        "access_token": jwt.create_access_token("test")?,
        "refresh_token": jwt.create_refresh_token("test")?,
    })))
}

async fn refresh(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(json!({ "access_token": jwt.create_access_token(identity.as_str())? })))
}

async fn protected(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str() }))
}

/// The seed's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(login))
        .route(
            "/refresh",
            web::post().to(refresh).wrap(RefreshRequired::new()),
        )
        .route(
            "/protected",
            web::get().to(protected).wrap(JwtRequired::new()),
        );
}

/// The key file named by `variable`; without one, the repository's test key
/// (a checkout of the repository has it, the published crate does not).
fn key_file(variable: &str, test_key: &str) -> std::io::Result<Vec<u8>> {
    let path = std::env::var(variable).unwrap_or_else(|_| {
        log::warn!("{variable} is not set: using the test key {test_key}. Change this!");
        format!(
            "{}/tests/fixtures/keys/{test_key}",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    std::fs::read(&path).map_err(|error| {
        std::io::Error::new(
            error.kind(),
            format!("{path}: {error}; set {variable} to a PEM key file"),
        )
    })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let jwt = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .private_key(key_file("JWT_PRIVATE_KEY_FILE", "rs256_private.pem")?)
        .public_key(key_file("JWT_PUBLIC_KEY_FILE", "rs256_public.pem")?)
        .build()
        .map_err(std::io::Error::other)?;

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
