//! An API behind an OpenID provider: it mints no tokens, it verifies the
//! provider's access tokens (keys from discovery, kept and refreshed with
//! care; see the `oidc` module).
//!
//! ```sh
//! OIDC_ISSUER=https://login.example.com/realms/main OIDC_AUDIENCE=my-api \
//!   cargo run --example oidc_resource_server --features oidc
//! ```
//!
//! - `OIDC_ISSUER` (required): discovery at `$OIDC_ISSUER/.well-known/openid-configuration`.
//! - `OIDC_AUDIENCE` (required): the `aud` this API is.
//! - `OIDC_REQUIRE_AT_JWT=1`: only RFC 9068 access tokens (`typ: at+jwt`).
//! - `PORT`: defaults to 5000.
//!
//! `GET /api/me` answers `{"sub": ...}` for a valid access token;
//! `GET /api/admin` also needs the scope `admin` (a `scope` string or an
//! `scp` array), else 403 with `WWW-Authenticate: Bearer
//! error="insufficient_scope", scope="admin"`. Errors are RFC 6750's.

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, Require, oidc::OidcProvider};
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

async fn me(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": identity.as_str() }))
}

/// The API: `/api/me`, and `/api/admin` with the scope `admin`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/me", web::get().to(me).wrap(JwtRequired::new()))
            .route(
                "/admin",
                web::get()
                    .to(me)
                    .wrap(JwtRequired::new().require(Require::scopes(["admin"]))),
            ),
    );
}

fn required(name: &str) -> std::io::Result<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| std::io::Error::other(format!("{name} must be set")))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let issuer = required("OIDC_ISSUER")?;
    let audience = required("OIDC_AUDIENCE")?;
    let require_at_jwt = std::env::var("OIDC_REQUIRE_AT_JWT").is_ok_and(|value| value == "1");
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(5000);
    let provider = OidcProvider::discover(&issuer)
        .audience(audience)
        .require_at_jwt(require_at_jwt);
    let jwt = JwtManager::builder()
        .oidc(provider)
        .and_then(|builder| builder.build())
        .map_err(std::io::Error::other)?;

    log::info!("verifying access tokens of {issuer} on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
