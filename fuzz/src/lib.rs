//! What the fuzz targets share: the managers they attack and the invariants
//! every answer must keep.

use std::sync::OnceLock;

use actix_jwt_extended::{
    JwtError, JwtManager,
    config::{Algorithm, TokenLocation},
    keys::Key,
};
use actix_web::ResponseError;

/// The secret of the Flask reference apps and the committed fixtures, so
/// that seeds made from them verify.
pub const SECRET: &str = "super-secret";

/// A manager holding an HMAC secret and a key ring of RS256, ES256 and EdDSA
/// public keys, each with its `kid`, so that `kid` and `alg` routing is
/// exercised; tokens are read from every location, with CSRF protection.
pub fn manager() -> &'static JwtManager {
    static MANAGER: OnceLock<JwtManager> = OnceLock::new();
    MANAGER.get_or_init(|| {
        let key = |algorithm, pem: &[u8], kid: &str| {
            Key::public_pem(algorithm, pem).unwrap().with_kid(kid)
        };
        JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .verification_key(key(
                Algorithm::RS256,
                include_bytes!("../../tests/fixtures/keys/rs256_public.pem"),
                "rs",
            ))
            .verification_key(key(
                Algorithm::ES256,
                include_bytes!("../../tests/fixtures/keys/es256_public.pem"),
                "es",
            ))
            .verification_key(key(
                Algorithm::EdDSA,
                include_bytes!("../../tests/fixtures/keys/ed25519_public.pem"),
                "ed",
            ))
            .token_location([
                TokenLocation::Headers,
                TokenLocation::Cookies,
                TokenLocation::Json,
                TokenLocation::QueryString,
                TokenLocation::WebSocketProtocol,
            ])
            .build()
            .unwrap()
    })
}

/// An error the crate hands out for a bad token: one of the documented
/// statuses (README "Errors"), never a server error, with a message.
pub fn assert_documented(error: &JwtError) {
    let status = error.status_code().as_u16();
    assert!(
        matches!(status, 400 | 401 | 422),
        "{error:?} answered {status}"
    );
    assert!(!error.to_string().is_empty(), "{error:?} has no message");
}
