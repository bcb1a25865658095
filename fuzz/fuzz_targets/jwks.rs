//! Any text as a JWK Set: importing it never panics, and a manager built
//! from it publishes no private key material.
#![no_main]

use actix_jwt_extended::JwtManager;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(builder) = JwtManager::builder().verification_jwks(document) else {
        return;
    };
    let Ok(jwt) = builder.build() else {
        return;
    };
    let published = serde_json::to_value(jwt.jwk_set()).unwrap();
    for key in published["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "published {private}: {key}");
        }
    }
    // Whatever was imported verifies nothing without a valid signature.
    assert!(jwt.decode_token("eyJhbGciOiJub25lIn0.e30.").is_err());
});
