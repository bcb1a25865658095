//! Key rotation by `kid`, JWKS publishing and a verify-only service, in one
//! process:
//!
//! - the issuer on `$PORT` (default 5000) signs with the new key (`kid`
//!   `2026-11`), still verifies the old one (`2026-10`) and publishes both at
//!   `/.well-known/jwks.json`;
//! - the verify-only service on `$PORT + 1` holds nothing but that JWK Set.
//!
//! ```sh
//! cargo run --example key_rotation
//! TOKEN=$(curl -s -X POST localhost:5000/login | jq -r .access_token)
//! curl -s localhost:5001/protected -H "Authorization: Bearer $TOKEN"
//! ```
//!
//! The rotation procedure: (1) add the new key as a verification key and
//! publish it, (2) a cache period later switch signing to it and keep the old
//! key for verification, (3) once the old key's last tokens have expired
//! (the refresh token lifetime), drop it.

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, config::Algorithm, keys::Key};
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

/// The old key (`kid` 2026-10) and the new one (2026-11): example Ed25519
/// keys, inline so that the example runs anywhere. Generate your own
/// (`openssl genpkey -algorithm ed25519`) and load them from your secrets.
pub const OLD_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJVD2Wp8FUM6aePwDiOXL25XlQssZ5XB1ZZBHzktfMkw
-----END PRIVATE KEY-----";
/// See [`OLD_KEY`].
pub const NEW_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIZcXQQl9g9QBuqOSmf8ZdCAk8e9YiQzHmbo5PvhZtRu
-----END PRIVATE KEY-----";

/// The issuer during step (2): new key signs, old key still verifies.
pub fn issuer() -> Result<JwtManager, Box<dyn std::error::Error>> {
    let old = Key::private_pem(Algorithm::EdDSA, OLD_KEY)?.with_kid("2026-10");
    let new = Key::private_pem(Algorithm::EdDSA, NEW_KEY)?.with_kid("2026-11");
    Ok(JwtManager::builder()
        .signing_key(new)
        .verification_key(old.public_only())
        .build()?)
}

/// A service that trusts the issuer's published keys and nothing else.
pub fn verifier(jwks_document: &str) -> Result<JwtManager, Box<dyn std::error::Error>> {
    Ok(JwtManager::builder()
        .verification_jwks(jwks_document)?
        .build()?)
}

async fn login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(json!({ "access_token": jwt.create_access_token("test")? })))
}

async fn protected(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": identity.as_str() }))
}

/// The issuer's routes.
pub fn issuer_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(login))
        .route(
            "/.well-known/jwks.json",
            web::get().to(actix_jwt_extended::keys::serve_jwks),
        )
        .route(
            "/protected",
            web::get().to(protected).wrap(JwtRequired::new()),
        );
}

/// The verify-only service's routes.
pub fn verifier_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/protected",
        web::get().to(protected).wrap(JwtRequired::new()),
    );
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    log::warn!("this example signs with the example keys in its source: never use them elsewhere");
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let issuer = issuer()?;
    // Fetching the set over HTTP is the deployment's job; here it is handed over.
    let verifier = verifier(&serde_json::to_string(&issuer.jwk_set())?)?;

    log::info!(
        "issuer on http://127.0.0.1:{port}, verify-only service on http://127.0.0.1:{}",
        port + 1
    );
    let issuer_server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(issuer.clone()))
            .configure(issuer_routes)
    })
    .bind(("127.0.0.1", port))?
    .run();
    let verifier_server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .configure(verifier_routes)
    })
    .bind(("127.0.0.1", port + 1))?
    .run();
    futures_util::future::try_join(issuer_server, verifier_server).await?;
    Ok(())
}
