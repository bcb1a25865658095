//! The cost of authentication, read as ratios within one run:
//!
//! - `request/*`: one request through `JwtRequired` + `JwtIdentity` with
//!   `actix_web::test` (HS256, RS256, ES256, EdDSA; cache on and off; cookies
//!   with CSRF), beside the same handler with no authentication;
//! - `decode/*`: `JwtManager::decode_token` (cache off) beside a raw
//!   `jsonwebtoken::decode` of the same token, the library baseline;
//! - `login/*`: creating an access + refresh pair (two calls, and one
//!   `create_token_pair`) beside one raw HS256 encode;
//! - `revocation/*`: the in-memory store's check.
//!
//! ```sh
//! cargo bench -p actix-jwt-extended-tests --bench verify
//! ```

use std::hint::black_box;

use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired,
    config::{Algorithm, TokenLocation},
    keys::Key,
    store::{MemoryStore, TokenFacts, TokenStore},
};
use actix_web::{App, HttpResponse, cookie::Cookie, rt::System, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";

fn key(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/keys/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// (name, manager with cache, raw decoding key and validation)
fn managers(cache: usize) -> Vec<(&'static str, JwtManager, DecodingKey, Algorithm)> {
    let asymmetric = |alg, private: &str, public: &str| {
        let manager = JwtManager::builder()
            .signing_key(Key::private_pem(alg, key(private)).unwrap())
            .token_cache(cache)
            .build()
            .unwrap();
        let decoding = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(&key(public)),
            Algorithm::ES256 => DecodingKey::from_ec_pem(&key(public)),
            _ => DecodingKey::from_ed_pem(&key(public)),
        }
        .unwrap();
        (manager, decoding)
    };
    let (rs, rs_key) = asymmetric(Algorithm::RS256, "rs256_private.pem", "rs256_public.pem");
    let (es, es_key) = asymmetric(Algorithm::ES256, "es256_private.pem", "es256_public.pem");
    let (ed, ed_key) = asymmetric(
        Algorithm::EdDSA,
        "ed25519_private.pem",
        "ed25519_public.pem",
    );
    vec![
        (
            "HS256",
            JwtManager::builder()
                .secret(SECRET)
                .token_cache(cache)
                .build()
                .unwrap(),
            DecodingKey::from_secret(SECRET.as_bytes()),
            Algorithm::HS256,
        ),
        ("RS256", rs, rs_key, Algorithm::RS256),
        ("ES256", es, es_key, Algorithm::ES256),
        ("EdDSA", ed, ed_key, Algorithm::EdDSA),
    ]
}

async fn whoami(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().body(identity.as_str().to_owned())
}

fn requests(c: &mut Criterion) {
    let system = System::new();
    let mut group = c.benchmark_group("request");
    // The same handler body and request headers as the protected routes, so
    // that the differences are authentication's. The guard wraps the
    // resource, as the README does (`Route::wrap` adds actix-web's `Compat`
    // adapter: the allocations bench measures it).
    let public = system.block_on(test::init_service(App::new().route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().body("test".to_owned()) }),
    )));
    let hs256 = JwtManager::builder().secret(SECRET).build().unwrap();
    let bearer = format!("Bearer {}", hs256.create_access_token("test").unwrap());
    group.bench_function("no_auth", |b| {
        b.iter(|| {
            let req = test::TestRequest::get()
                .uri("/")
                .insert_header(("Authorization", bearer.as_str()));
            system.block_on(test::call_service(&public, req.to_request()))
        })
    });
    for cache in [4096, 0] {
        for (name, jwt, _, _) in managers(cache) {
            let token = format!("Bearer {}", jwt.create_access_token("test").unwrap());
            let app = system.block_on(test::init_service(
                App::new().app_data(web::Data::new(jwt)).service(
                    web::resource("/")
                        .wrap(JwtRequired::new())
                        .route(web::get().to(whoami)),
                ),
            ));
            let label = format!("{name}_{}", if cache > 0 { "cached" } else { "uncached" });
            group.bench_function(label, |b| {
                b.iter(|| {
                    let req = test::TestRequest::get()
                        .uri("/")
                        .insert_header(("Authorization", token.as_str()));
                    let res = system.block_on(test::call_service(&app, req.to_request()));
                    assert!(res.status().is_success());
                })
            });
        }
    }
    for cache in [4096, 0] {
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .token_location([TokenLocation::Cookies])
            .token_cache(cache)
            .build()
            .unwrap();
        let token = jwt.create_access_token("test").unwrap();
        let csrf = jwt.decode_token(&token).unwrap().claims()["csrf"]
            .as_str()
            .unwrap()
            .to_owned();
        let app = system.block_on(test::init_service(
            App::new().app_data(web::Data::new(jwt)).service(
                web::resource("/")
                    .wrap(JwtRequired::new())
                    .route(web::post().to(whoami)),
            ),
        ));
        let label = if cache > 0 { "cached" } else { "uncached" };
        group.bench_function(format!("HS256_cookie_csrf_{label}"), |b| {
            b.iter(|| {
                let req = test::TestRequest::post()
                    .uri("/")
                    .cookie(Cookie::new("access_token_cookie", token.as_str()))
                    .insert_header(("X-CSRF-TOKEN", csrf.as_str()));
                let res = system.block_on(test::call_service(&app, req.to_request()));
                assert!(res.status().is_success());
            })
        });
    }
    group.finish();
}

fn decoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, jwt, raw_key, alg) in managers(0) {
        let token = jwt.create_access_token("test").unwrap();
        let mut validation = Validation::new(alg);
        validation.leeway = 0;
        validation.validate_nbf = true;
        group.bench_function(format!("{name}_jsonwebtoken"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&token), &raw_key, &validation).unwrap()
            })
        });
        group.bench_function(format!("{name}_manager"), |b| {
            b.iter(|| jwt.decode_token(black_box(&token)).unwrap())
        });
    }
    group.finish();
}

fn login(c: &mut Criterion) {
    let mut group = c.benchmark_group("login");
    let jwt = JwtManager::builder().secret(SECRET).build().unwrap();
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let claims = jwt
        .decode_token(&jwt.create_access_token("test").unwrap())
        .unwrap()
        .claims()
        .clone();
    group.bench_function("jsonwebtoken_encode_hs256", |b| {
        b.iter(|| jsonwebtoken::encode(&Header::default(), black_box(&claims), &key).unwrap())
    });
    group.bench_function("access_and_refresh_pair", |b| {
        b.iter(|| {
            (
                jwt.create_access_token("test").unwrap(),
                jwt.create_refresh_token("test").unwrap(),
            )
        })
    });
    group.bench_function("token_pair", |b| {
        b.iter(|| jwt.create_token_pair("test").unwrap())
    });
    group.finish();
}

fn revocation(c: &mut Criterion) {
    let system = System::new();
    let store = MemoryStore::new();
    system.block_on(async {
        for i in 0..10_000 {
            store
                .revoke(&format!("jti-{i}"), Some(i64::MAX))
                .await
                .unwrap();
        }
    });
    let facts = TokenFacts::new("not-revoked", "test", Some(1), None);
    c.bench_function("revocation/memory_store_is_revoked", |b| {
        b.iter(|| system.block_on(store.is_revoked(black_box(facts))).unwrap())
    });
}

criterion_group!(benches, requests, decoding, login, revocation);
criterion_main!(benches);
