//! The server `benches/load.sh` measures: one unauthenticated route and the
//! same handler protected in several ways, on `127.0.0.1:$PORT` with
//! `$WORKERS` workers (default 1).
//!
//! - `GET /public`: no authentication (the baseline);
//! - `GET /protected`: `JwtRequired` + `JwtIdentity`, HS256, verified-token cache on (the default);
//! - `GET /route-wrapped/protected`: the same with the guard on the route (`Route::wrap`) instead
//!   of the resource;
//! - `GET /uncached/protected`: the same with the cache off;
//! - `GET /cookie/protected`, `GET /uncached/cookie/protected`: the token in a cookie, with the
//!   CSRF double submit header checked (on `GET` too, so that every route is a plain `GET`);
//! - `GET /es256/protected`, `GET /rs256/protected`: asymmetric keys, cache on;
//! - `GET /handwritten`, `GET /handwritten/es256`: what people write by hand: split the header,
//!   `jsonwebtoken::decode` with keys and `Validation` built once.
//!
//! Every route is a resource with its own app data, and every handler formats the same kind of
//! answer (`hello <name>`), so the routes differ only in authentication. `cargo run --release -p actix-jwt-extended-tests --example bench_server` prints one line per credential,
//! `<name> <token> [<csrf>]`, for `hs256`, `cookie`, `es256` and `rs256`.

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired,
    config::{Algorithm, CookieConfig, TokenLocation},
    keys::Key,
};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::Method, http::header, web};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";

async fn public() -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", "anonymous"))
}

async fn protected(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", identity.as_str()))
}

#[derive(Deserialize)]
struct Sub {
    sub: String,
}

/// The key and rules of a hand-written route, built once.
struct Handwritten {
    key: DecodingKey,
    validation: Validation,
}

impl Handwritten {
    fn new(key: DecodingKey, algorithm: jsonwebtoken::Algorithm) -> web::Data<Self> {
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.validate_nbf = true;
        web::Data::new(Self { key, validation })
    }
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

fn pem(file: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/keys/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn manager(builder: actix_jwt_extended::manager::JwtManagerBuilder) -> std::io::Result<JwtManager> {
    builder.build().map_err(std::io::Error::other)
}

/// A day-long token, so a long load run never sees it expire.
fn token(jwt: &JwtManager) -> std::io::Result<String> {
    jwt.access_token_builder("bench")
        .expires(std::time::Duration::from_secs(24 * 3600))
        .encode()
        .map_err(std::io::Error::other)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let workers: usize = std::env::var("WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let hs256 = || JwtManager::builder().secret(SECRET);
    let cookies = || {
        hs256()
            .token_location([TokenLocation::Cookies])
            .cookies(CookieConfig::new().csrf_methods([Method::GET]))
    };
    let asymmetric = |algorithm, file| -> std::io::Result<JwtManager> {
        let key = Key::private_pem(algorithm, pem(file)).map_err(std::io::Error::other)?;
        manager(JwtManager::builder().signing_key(key))
    };
    let cached = manager(hs256())?;
    let uncached = manager(hs256().token_cache(0))?;
    let cookie = manager(cookies())?;
    let uncached_cookie = manager(cookies().token_cache(0))?;
    let es256 = asymmetric(Algorithm::ES256, "es256_private.pem")?;
    let rs256 = asymmetric(Algorithm::RS256, "rs256_private.pem")?;

    let cookie_token = token(&cookie)?;
    let csrf = cookie
        .decode_token(&cookie_token)
        .map_err(std::io::Error::other)?
        .claims()["csrf"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    println!("hs256 {}", token(&cached)?);
    println!("cookie {cookie_token} {csrf}");
    println!("es256 {}", token(&es256)?);
    println!("rs256 {}", token(&rs256)?);

    let handwritten_hs256 = Handwritten::new(
        DecodingKey::from_secret(SECRET.as_bytes()),
        jsonwebtoken::Algorithm::HS256,
    );
    let handwritten_es256 = Handwritten::new(
        DecodingKey::from_ec_pem(&pem("es256_public.pem")).map_err(std::io::Error::other)?,
        jsonwebtoken::Algorithm::ES256,
    );
    // The guard on the resource, as on a scope (what the README writes).
    let guarded = |path: &'static str, jwt: &JwtManager| {
        web::resource(path)
            .app_data(web::Data::new(jwt.clone()))
            .wrap(JwtRequired::new())
            .route(web::get().to(protected))
    };

    HttpServer::new(move || {
        App::new()
            .service(
                web::resource("/public")
                    .app_data(web::Data::new(cached.clone()))
                    .route(web::get().to(public)),
            )
            .service(guarded("/protected", &cached))
            // actix-web's `Route::wrap` adapts the guard with its `Compat`
            // middleware and boxes the route: its own cost, measured here.
            .service(
                web::resource("/route-wrapped/protected")
                    .app_data(web::Data::new(cached.clone()))
                    .route(web::get().to(protected).wrap(JwtRequired::new())),
            )
            .service(guarded("/uncached/protected", &uncached))
            .service(guarded("/cookie/protected", &cookie))
            .service(guarded("/uncached/cookie/protected", &uncached_cookie))
            .service(guarded("/es256/protected", &es256))
            .service(guarded("/rs256/protected", &rs256))
            .service(
                web::resource("/handwritten")
                    .app_data(handwritten_hs256.clone())
                    .route(web::get().to(handwritten)),
            )
            .service(
                web::resource("/handwritten/es256")
                    .app_data(handwritten_es256.clone())
                    .route(web::get().to(handwritten)),
            )
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
