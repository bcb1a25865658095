//! Crypto backend comparison: HS256 and RS256 verification of a
//! Flask-JWT-Extended style token with jsonwebtoken, plus the crate's own
//! HS256 verify path, under whichever backend feature is enabled.
//!
//! ```sh
//! cargo bench -p actix-jwt-extended-tests --bench backends                                              # aws_lc_rs
//! cargo bench -p actix-jwt-extended-tests --bench backends --no-default-features --features rust_crypto # rust_crypto
//! ```

use std::hint::black_box;

use actix_jwt_extended::JwtManager;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

const BACKEND: &str = if cfg!(feature = "aws_lc_rs") {
    "aws_lc_rs"
} else {
    "rust_crypto"
};

fn flask_claims() -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "fresh": false, "iat": now, "jti": "0b9f4a4e-3a0c-4e8e-9a39-9c0a3f1b2c3d",
        "type": "access", "nbf": now, "exp": now + 900, "sub": "test",
    })
}

fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("verify/{BACKEND}"));

    let secret = b"a-32-byte-long-secret-for-hs256!";
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &flask_claims(),
        &EncodingKey::from_secret(secret),
    )
    .unwrap();
    let key = DecodingKey::from_secret(secret);
    let hs256 = validation(Algorithm::HS256);
    group.bench_function("jsonwebtoken_decode_hs256", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(&token), &key, &hs256).unwrap())
    });
    // Without the verified-token cache, which would answer every call after the first.
    let manager = JwtManager::builder()
        .secret(secret)
        .token_cache(0)
        .build()
        .unwrap();
    group.bench_function("manager_decode_token_hs256", |b| {
        b.iter(|| manager.decode_token(black_box(&token)).unwrap())
    });

    let private = EncodingKey::from_rsa_pem(include_bytes!("keys/rsa_private.pem")).unwrap();
    let public = DecodingKey::from_rsa_pem(include_bytes!("keys/rsa_public.pem")).unwrap();
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &flask_claims(), &private).unwrap();
    let rs256 = validation(Algorithm::RS256);
    group.bench_function("jsonwebtoken_decode_rs256", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(&token), &public, &rs256).unwrap())
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
