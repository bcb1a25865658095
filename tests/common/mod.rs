//! Helpers shared by the black-box tests.
#![allow(dead_code)]

use actix_jwt_extended::JwtManager;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::Value;

pub const SECRET: &str = "super-secret";

/// The seed example itself, compiled into the test.
#[path = "../../examples/refresh_tokens.rs"]
#[allow(dead_code)]
pub mod example;

pub fn manager() -> JwtManager {
    JwtManager::builder().secret(SECRET).build().unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs arbitrary header and payload JSON with HMAC, the way an attacker or
/// another issuer would, without going through the crate.
pub fn forge(header: &Value, payload: &Value, secret: &str, algorithm: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &EncodingKey::from_secret(secret.as_bytes()),
        algorithm,
    )
    .unwrap();
    format!("{input}.{signature}")
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A Flask-JWT-Extended style payload valid for 15 minutes.
pub fn flask_payload(kind: &str) -> Value {
    let now = now();
    serde_json::json!({
        "fresh": false, "iat": now, "jti": "11111111-2222-4333-8444-555555555555", "type": kind,
        "sub": "test", "nbf": now, "csrf": "66666666-7777-4888-9999-000000000000", "exp": now + 900,
    })
}

pub fn hs256(payload: &Value) -> String {
    forge(
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        payload,
        SECRET,
        Algorithm::HS256,
    )
}
