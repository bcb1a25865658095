//! Keys: HMAC secrets, RSA / RSA-PSS / ECDSA / EdDSA key pairs from PEM or
//! JWK, key rings with `kid`, and JWKS publishing.
//!
//! A token is verified only with the key its `kid` header names (or, without a
//! `kid`, the one configured key that has none), and only with that key's own
//! algorithm: the token's header never chooses a key type.
//!
//! ```
//! use actix_jwt_extended::{JwtManager, config::Algorithm, keys::Key};
//!
//! let private = include_bytes!("../tests/fixtures/keys/rs256_private.pem");
//! let jwt = JwtManager::builder()
//!     .signing_key(Key::private_pem(Algorithm::RS256, private)?.with_kid("2026-11"))
//!     .build()?;
//! let token = jwt.create_access_token("alice")?;
//! assert_eq!(jwt.decode_token(&token)?.header()["kid"], "2026-11");
//! // Publish jwt.jwks() so other services can verify with the public half.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{fmt, path::Path};

use actix_web::{HttpResponse, http::header};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, EncodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse},
};

use crate::{JwtManager, config::ConfigError};

/// One key: its algorithm, an optional `kid`, the verifying half, and the
/// signing half when it has one.
#[derive(Clone)]
pub struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: Algorithm,
    pub(crate) encoding: Option<EncodingKey>,
    pub(crate) decoding: DecodingKey,
    /// The public JWK; `None` for HMAC secrets, which are never published.
    jwk: Option<Jwk>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("can_sign", &self.encoding.is_some())
            .field("material", &"[redacted]")
            .finish()
    }
}

fn invalid(message: impl fmt::Display) -> ConfigError {
    ConfigError::InvalidKey(message.to_string())
}

/// The curve an ECDSA algorithm needs.
fn check_curve(algorithm: Algorithm, jwk: &Jwk) -> Result<(), ConfigError> {
    if let AlgorithmParameters::EllipticCurve(params) = &jwk.algorithm {
        let expected = match algorithm {
            Algorithm::ES256 => EllipticCurve::P256,
            _ => EllipticCurve::P384,
        };
        if params.curve != expected {
            return Err(invalid(format!(
                "{algorithm:?} needs a {expected:?} key, not {:?}",
                params.curve
            )));
        }
    }
    Ok(())
}

/// Signs and verifies a probe, so a key that does not fit its algorithm, or a
/// public key that is not the private key's half, fails at start-up.
fn probe(
    algorithm: Algorithm,
    encoding: &EncodingKey,
    decoding: &DecodingKey,
) -> Result<(), ConfigError> {
    let message = b"actix-jwt-extended key check";
    let signature = jsonwebtoken::crypto::sign(message, encoding, algorithm)
        .map_err(|e| invalid(format!("the {algorithm:?} key cannot sign: {e}")))?;
    match jsonwebtoken::crypto::verify(&signature, message, decoding, algorithm) {
        Ok(true) => Ok(()),
        _ => Err(invalid(format!(
            "the {algorithm:?} public key does not match the private key"
        ))),
    }
}

impl Key {
    /// An HMAC secret (HS256, HS384, HS512) that both signs and verifies.
    pub fn secret(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        if algorithm.family() != AlgorithmFamily::Hmac {
            return Err(ConfigError::UnsupportedAlgorithm(algorithm));
        }
        if secret.as_ref().is_empty() {
            return Err(ConfigError::MissingSecret);
        }
        Ok(Self {
            kid: None,
            algorithm,
            encoding: Some(EncodingKey::from_secret(secret.as_ref())),
            decoding: DecodingKey::from_secret(secret.as_ref()),
            jwk: None,
        })
    }

    /// A private key in PEM (PKCS#8, or PKCS#1 for RSA) for an asymmetric
    /// algorithm (Flask's `JWT_PRIVATE_KEY`); it signs, and its public half
    /// verifies and is published in the JWKS.
    pub fn private_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        let encoding = match algorithm.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(invalid("HMAC algorithms take a secret, not a PEM key"));
            }
        }
        .map_err(|e| invalid(format!("not a {algorithm:?} private key: {e}")))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, algorithm)
            .map_err(|e| invalid(format!("not a {algorithm:?} private key: {e}")))?;
        check_curve(algorithm, &jwk)?;
        let decoding = DecodingKey::from_jwk(&jwk).map_err(invalid)?;
        probe(algorithm, &encoding, &decoding)?;
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self {
            kid: None,
            algorithm,
            encoding: Some(encoding),
            decoding,
            jwk: Some(jwk),
        })
    }

    /// A public key in PEM (SPKI, or PKCS#1 for RSA) that only verifies
    /// (Flask's `JWT_PUBLIC_KEY`). A private key is refused here.
    pub fn public_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        if String::from_utf8_lossy(pem).contains("PRIVATE KEY") {
            return Err(invalid(
                "a private key was given where only a public key belongs",
            ));
        }
        let decoding = match algorithm.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(invalid("HMAC algorithms take a secret, not a PEM key"));
            }
        }
        .map_err(|e| invalid(format!("not a {algorithm:?} public key: {e}")))?;
        let mut jwk = Jwk::from_decoding_key(&decoding, Some(algorithm))
            .map_err(|e| invalid(format!("not a {algorithm:?} public key: {e}")))?;
        check_curve(algorithm, &jwk)?;
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self {
            kid: None,
            algorithm,
            encoding: None,
            decoding,
            jwk: Some(jwk),
        })
    }

    /// [`private_pem`](Self::private_pem) from a file.
    pub fn private_pem_file(
        algorithm: Algorithm,
        path: impl AsRef<Path>,
    ) -> Result<Self, ConfigError> {
        Self::private_pem(algorithm, read(path.as_ref())?)
    }

    /// [`public_pem`](Self::public_pem) from a file.
    pub fn public_pem_file(
        algorithm: Algorithm,
        path: impl AsRef<Path>,
    ) -> Result<Self, ConfigError> {
        Self::public_pem(algorithm, read(path.as_ref())?)
    }

    /// A verifying key from a JWK with its `alg` (and usually `kid`). Secret
    /// (`oct`) keys are refused: they do not belong in a published set.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, ConfigError> {
        let algorithm = jwk
            .common
            .key_algorithm
            .ok_or_else(|| invalid("a JWK without \"alg\" cannot be pinned to an algorithm"))
            .and_then(|alg| {
                Algorithm::try_from(alg)
                    .map_err(|_| invalid(format!("unsupported JWK alg {alg:?}")))
            })?;
        let family_matches = matches!(
            (&jwk.algorithm, algorithm.family()),
            (AlgorithmParameters::RSA(_), AlgorithmFamily::Rsa)
                | (AlgorithmParameters::EllipticCurve(_), AlgorithmFamily::Ec)
                | (AlgorithmParameters::OctetKeyPair(_), AlgorithmFamily::Ed)
        );
        if !family_matches {
            return Err(invalid(format!(
                "the JWK's key type does not fit its alg {algorithm:?}"
            )));
        }
        check_curve(algorithm, jwk)?;
        let decoding = DecodingKey::from_jwk(jwk).map_err(invalid)?;
        let mut jwk = jwk.clone();
        jwk.common
            .public_key_use
            .get_or_insert(PublicKeyUse::Signature);
        Ok(Self {
            kid: jwk.common.key_id.clone(),
            algorithm,
            encoding: None,
            decoding,
            jwk: Some(jwk),
        })
    }

    /// Every key of a JWK Set document (a verify-only service's keys).
    pub fn from_jwks(document: &str) -> Result<Vec<Self>, ConfigError> {
        let set: JwkSet =
            serde_json::from_str(document).map_err(|e| invalid(format!("not a JWK Set: {e}")))?;
        set.keys.iter().map(Self::from_jwk).collect()
    }

    /// [`from_jwks`](Self::from_jwks) from a file.
    pub fn from_jwks_file(path: impl AsRef<Path>) -> Result<Vec<Self>, ConfigError> {
        let document = read(path.as_ref())?;
        Self::from_jwks(&String::from_utf8_lossy(&document))
    }

    /// Names the key: the signing key's `kid` goes into every token header,
    /// and a token is verified only with the key its `kid` names.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        if let Some(jwk) = &mut self.jwk {
            jwk.common.key_id = Some(kid.clone());
        }
        self.kid = Some(kid);
        self
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key is used with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether the key can sign (it has a private half or is a secret).
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }

    /// The verifying half alone: what a key ring keeps of a retired signing key.
    pub fn public_only(&self) -> Self {
        Self {
            encoding: None,
            ..self.clone()
        }
    }

    pub(crate) fn public_jwk(&self) -> Option<&Jwk> {
        self.jwk.as_ref()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))
}

/// Serves the manager's public keys as a JWK Set (`/.well-known/jwks.json`),
/// cacheable for five minutes: publish new keys a while before signing with
/// them.
///
/// ```
/// use actix_web::{web, App};
///
/// let app = App::new().route("/.well-known/jwks.json", web::get().to(actix_jwt_extended::keys::jwks));
/// ```
pub async fn jwks(req: actix_web::HttpRequest) -> HttpResponse {
    match JwtManager::from_app_data(&req) {
        Ok(manager) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .json(manager.jwks()),
        Err(error) => HttpResponse::from_error(error),
    }
}
