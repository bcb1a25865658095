//! HMAC keys prepared once per secret. jsonwebtoken builds a backend HMAC
//! key on every sign and verify (hashing the padded secret twice), which
//! costs about as much as the MAC of a whole token; here that is done when
//! the key is made. The MAC and its constant-time comparison are the crypto
//! backend's own.

use std::{fmt, sync::OnceLock};

use jsonwebtoken::Algorithm;

use crate::config::Secret;

/// A secret ready for HS256, HS384 and HS512: a secret verifies any HMAC
/// algorithm, as in Flask-JWT-Extended, and signs with its own. Each
/// algorithm's key is prepared when first used, so a key made for one
/// token (a key loader's) costs no more than before.
pub(crate) struct HmacKeys {
    secret: Secret,
    hs256: OnceLock<backend::Prepared>,
    hs384: OnceLock<backend::Prepared>,
    hs512: OnceLock<backend::Prepared>,
}

/// Never shows the secret.
impl fmt::Debug for HmacKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKeys(<redacted>)")
    }
}

impl HmacKeys {
    pub(crate) fn new(secret: &[u8]) -> Self {
        Self {
            secret: Secret(secret.to_vec()),
            hs256: OnceLock::new(),
            hs384: OnceLock::new(),
            hs512: OnceLock::new(),
        }
    }

    fn get(&self, algorithm: Algorithm) -> Option<&backend::Prepared> {
        let prepared = match algorithm {
            Algorithm::HS256 => &self.hs256,
            Algorithm::HS384 => &self.hs384,
            Algorithm::HS512 => &self.hs512,
            _ => return None,
        };
        Some(prepared.get_or_init(|| backend::Prepared::new(algorithm, &self.secret.0)))
    }

    /// The MAC of `message`; `None` for a non-HMAC algorithm.
    pub(crate) fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Option<Vec<u8>> {
        self.get(algorithm).map(|key| key.sign(message))
    }

    /// Whether `tag` is the MAC of `message`; `None` for a non-HMAC
    /// algorithm.
    pub(crate) fn verify(&self, algorithm: Algorithm, message: &[u8], tag: &[u8]) -> Option<bool> {
        self.get(algorithm).map(|key| key.verify(message, tag))
    }
}

#[cfg(feature = "aws_lc_rs")]
mod backend {
    use aws_lc_rs::hmac;
    use jsonwebtoken::Algorithm;

    #[derive(Clone)]
    pub(super) struct Prepared(hmac::Key);

    impl Prepared {
        pub(super) fn new(algorithm: Algorithm, secret: &[u8]) -> Self {
            let algorithm = match algorithm {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            Self(hmac::Key::new(algorithm, secret))
        }

        pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
            hmac::sign(&self.0, message).as_ref().to_vec()
        }

        pub(super) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
            hmac::verify(&self.0, message, tag).is_ok()
        }
    }
}

#[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
mod backend {
    use hmac::{Hmac, Mac};
    use jsonwebtoken::Algorithm;
    use sha2::{Sha256, Sha384, Sha512};

    /// The MAC state after the key: each use starts from a copy.
    #[derive(Clone)]
    pub(super) enum Prepared {
        Sha256(Hmac<Sha256>),
        Sha384(Hmac<Sha384>),
        Sha512(Hmac<Sha512>),
    }

    impl Prepared {
        pub(super) fn new(algorithm: Algorithm, secret: &[u8]) -> Self {
            // HMAC takes keys of any length.
            let invalid = "HMAC accepts keys of any length";
            match algorithm {
                Algorithm::HS384 => Self::Sha384(Hmac::new_from_slice(secret).expect(invalid)),
                Algorithm::HS512 => Self::Sha512(Hmac::new_from_slice(secret).expect(invalid)),
                _ => Self::Sha256(Hmac::new_from_slice(secret).expect(invalid)),
            }
        }

        pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
            fn mac<M: Mac + Clone>(key: &M, message: &[u8]) -> Vec<u8> {
                let mut mac = key.clone();
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            match self {
                Self::Sha256(key) => mac(key, message),
                Self::Sha384(key) => mac(key, message),
                Self::Sha512(key) => mac(key, message),
            }
        }

        pub(super) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
            fn check<M: Mac + Clone>(key: &M, message: &[u8], tag: &[u8]) -> bool {
                let mut mac = key.clone();
                mac.update(message);
                mac.verify_slice(tag).is_ok()
            }
            match self {
                Self::Sha256(key) => check(key, message, tag),
                Self::Sha384(key) => check(key, message, tag),
                Self::Sha512(key) => check(key, message, tag),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, EncodingKey};

    use super::*;

    /// The prepared keys sign and verify exactly as jsonwebtoken does.
    #[test]
    fn agrees_with_jsonwebtoken() {
        let secret = b"a secret of some length, not a multiple of the block";
        let keys = HmacKeys::new(secret);
        let (encoding, decoding) = (
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
        );
        for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let message = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
            let tag = keys.sign(algorithm, message).unwrap();
            let theirs = jsonwebtoken::crypto::sign(message, &encoding, algorithm).unwrap();
            use base64::Engine;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            assert_eq!(b64.encode(&tag), theirs, "{algorithm:?}");
            assert_eq!(keys.verify(algorithm, message, &tag), Some(true));
            assert!(jsonwebtoken::crypto::verify(&theirs, message, &decoding, algorithm).unwrap());
            let mut forged = tag.clone();
            forged[0] ^= 1;
            assert_eq!(keys.verify(algorithm, message, &forged), Some(false));
            assert_eq!(keys.verify(algorithm, b"other", &tag), Some(false));
            assert_eq!(
                keys.verify(algorithm, message, &tag[..tag.len() - 1]),
                Some(false)
            );
            assert_eq!(keys.verify(algorithm, message, &[]), Some(false));
        }
        // A tag of one algorithm never verifies under another.
        let tag = keys.sign(Algorithm::HS256, b"m").unwrap();
        assert_eq!(keys.verify(Algorithm::HS512, b"m", &tag), Some(false));
        assert_eq!(keys.sign(Algorithm::RS256, b"m"), None);
        assert_eq!(keys.verify(Algorithm::ES256, b"m", &tag), None);
        assert_eq!(format!("{keys:?}"), "HmacKeys(<redacted>)");
    }
}
