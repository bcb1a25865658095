//! The server `benches/load.sh` measures: one unauthenticated route and the
//! same route protected three ways, on `127.0.0.1:$PORT` with one worker.
//!
//! - `GET /public`: no authentication (the baseline);
//! - `GET /protected`: `JwtRequired` + `JwtIdentity`, verified-token cache on (the default);
//! - `GET /uncached/protected`: the same with the cache off;
//! - `GET /handwritten`: what people write by hand: split the header, `jsonwebtoken::decode`
//!   with keys and `Validation` built once.
//!
//! `cargo run --release --example bench_server` prints a token for the routes.

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::header, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";

async fn public() -> HttpResponse {
    HttpResponse::Ok().body("hello")
}

async fn protected(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", identity.as_str()))
}

#[derive(Deserialize)]
struct Sub {
    sub: String,
}

struct Handwritten {
    key: DecodingKey,
    validation: Validation,
}

async fn handwritten(req: HttpRequest, state: web::Data<Handwritten>) -> HttpResponse {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token.map(|token| jsonwebtoken::decode::<Sub>(token, &state.key, &state.validation)) {
        Some(Ok(data)) => HttpResponse::Ok().body(format!("hello {}", data.claims.sub)),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let cached = JwtManager::builder()
        .secret(SECRET)
        .build()
        .map_err(std::io::Error::other)?;
    let uncached = JwtManager::builder()
        .secret(SECRET)
        .token_cache(0)
        .build()
        .map_err(std::io::Error::other)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    let state = web::Data::new(Handwritten {
        key: DecodingKey::from_secret(SECRET.as_bytes()),
        validation,
    });
    // A day-long token, so a long load run never sees it expire.
    let token = cached
        .access_token("bench")
        .expires(std::time::Duration::from_secs(24 * 3600))
        .encode()
        .map_err(std::io::Error::other)?;
    println!("{token}");

    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(cached.clone()))
            .app_data(state.clone())
            .route("/public", web::get().to(public))
            .route(
                "/protected",
                web::get().to(protected).wrap(JwtRequired::new()),
            )
            .route("/handwritten", web::get().to(handwritten))
            .service(
                web::scope("/uncached")
                    .app_data(web::Data::new(uncached.clone()))
                    .route(
                        "/protected",
                        web::get().to(protected).wrap(JwtRequired::new()),
                    ),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
