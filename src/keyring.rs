//! Keys: HMAC secrets, RSA / RSA-PSS / ECDSA / EdDSA key pairs from PEM or
//! JWK, and the key ring a manager signs and verifies with. The public
//! `keys` module re-exports [`Key`].

use std::{fmt, path::Path, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, EncodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse},
};
use serde_json::Value;

use crate::{
    JwtError,
    config::{ConfigError, Secret},
    hmac::HmacKeys,
};

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
    /// Whether the JWKS publishes it: not a key imported from another
    /// issuer's JWK (Set), which is theirs to publish.
    published: bool,
    /// An HMAC secret's length in bytes; 0 for other keys.
    secret_len: usize,
    /// An HMAC secret, prepared for the backend once.
    hmac: Option<Arc<HmacKeys>>,
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

/// JWK members that only private keys have (RFC 7518 section 6).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

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
    /// The size of an RSA key's modulus, from its public JWK.
    fn rsa_bits(&self) -> Option<usize> {
        let AlgorithmParameters::RSA(rsa) = &self.jwk.as_ref()?.algorithm else {
            return None;
        };
        let modulus = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
        let modulus = &modulus[modulus.iter().take_while(|byte| **byte == 0).count()..];
        Some(modulus.first().map_or(0, |first| {
            modulus.len() * 8 - first.leading_zeros() as usize
        }))
    }

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
            published: true,
            secret_len: secret.as_ref().len(),
            hmac: Some(Arc::new(HmacKeys::new(secret.as_ref()))),
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
            published: true,
            secret_len: 0,
            hmac: None,
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
            published: true,
            secret_len: 0,
            hmac: None,
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
    /// (`oct`) keys are refused: they do not belong in a published set; so
    /// are encryption keys (`"use": "enc"`). The key is another issuer's:
    /// [`JwtManager::jwk_set`](crate::JwtManager::jwk_set) does not publish it.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, ConfigError> {
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|usage| *usage != PublicKeyUse::Signature)
        {
            return Err(invalid(
                "an encryption key (\"use\": \"enc\") never verifies signatures",
            ));
        }
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
            published: false,
            secret_len: 0,
            hmac: None,
        })
    }

    /// The signature keys of a JWK Set document (a verify-only service's
    /// keys). Keys this crate cannot verify with (no `alg`, `oct`, RSA-OAEP,
    /// `"use": "enc"`) are skipped with a warning that names them; a key that
    /// carries private members (`d`, `p`, ...) is refused, as is a set with no
    /// usable key.
    pub fn from_jwks(document: &str) -> Result<Vec<Self>, ConfigError> {
        let set: Value =
            serde_json::from_str(document).map_err(|e| invalid(format!("not a JWK Set: {e}")))?;
        let entries = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("not a JWK Set: no \"keys\" list"))?;
        let mut keys = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let name = match entry.get("kid").and_then(Value::as_str) {
                Some(kid) => format!("{kid:?}"),
                None => format!("#{index}"),
            };
            if entry.get("kty").and_then(Value::as_str) != Some("oct")
                && let Some(member) = PRIVATE_MEMBERS.iter().find(|m| entry.get(**m).is_some())
            {
                return Err(invalid(format!(
                    "JWK {name} holds the private member {member:?}: a verification key must be public"
                )));
            }
            let key = serde_json::from_value::<Jwk>(entry.clone())
                .map_err(|e| invalid(format!("not a JWK: {e}")))
                .and_then(|jwk| Self::from_jwk(&jwk));
            match key {
                Ok(key) => keys.push(key),
                Err(why) => log::warn!("actix-jwt-extended: skipping JWK {name}: {why}"),
            }
        }
        if keys.is_empty() {
            return Err(invalid("the JWK Set holds no usable signature key"));
        }
        Ok(keys)
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

    /// The secret prepared for HMAC, when the key is one made by
    /// [`Key::secret`].
    pub(crate) fn hmac(&self) -> Option<&HmacKeys> {
        self.hmac.as_deref()
    }

    /// The JWK to publish: ours, never a secret or another issuer's.
    pub(crate) fn public_jwk(&self) -> Option<&Jwk> {
        self.jwk.as_ref().filter(|_| self.published)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))
}

/// Where the keys come from: the builder's key options, in Flask's terms.
#[derive(Debug, Clone)]
pub(crate) struct KeySource {
    pub(crate) secret: Secret,
    pub(crate) algorithm: Algorithm,
    pub(crate) private_key: Option<Secret>,
    pub(crate) public_key: Option<Vec<u8>>,
    pub(crate) signing_key: Option<Key>,
    pub(crate) verification_keys: Vec<Key>,
    pub(crate) decode_algorithms: Option<Vec<Algorithm>>,
    /// Accept HMAC secrets shorter than RFC 7518 asks for.
    pub(crate) allow_short_secret: bool,
    /// A decode key loader chooses the verifying keys: the ring may be empty.
    pub(crate) decode_loader: bool,
}

impl Default for KeySource {
    fn default() -> Self {
        Self {
            secret: Secret::default(),
            algorithm: Algorithm::HS256,
            private_key: None,
            public_key: None,
            signing_key: None,
            verification_keys: Vec::new(),
            decode_algorithms: None,
            allow_short_secret: false,
            decode_loader: false,
        }
    }
}

/// RFC 7518 section 3.2: an HMAC key at least as long as the hash output of
/// every algorithm it signs or verifies. `None` when `key` is long enough (or
/// not a secret).
fn short_secret(key: &Key, algorithms: &[Algorithm]) -> Option<ConfigError> {
    if key.secret_len == 0 {
        return None;
    }
    let (minimum, algorithm) = std::iter::once(key.algorithm)
        .chain(algorithms.iter().copied())
        .filter_map(|alg| match alg {
            Algorithm::HS256 => Some((32, alg)),
            Algorithm::HS384 => Some((48, alg)),
            Algorithm::HS512 => Some((64, alg)),
            _ => None,
        })
        .max_by_key(|(minimum, _)| *minimum)?;
    (key.secret_len < minimum).then_some(ConfigError::ShortSecret {
        algorithm,
        length: key.secret_len,
        minimum,
    })
}

/// A configured secret shorter than [`short_secret`] allows is refused, or,
/// with the opt-in, accepted with a warning.
fn check_secret_length(
    key: &Key,
    algorithms: &[Algorithm],
    allow_short_secret: bool,
) -> Result<(), ConfigError> {
    match short_secret(key, algorithms) {
        Some(short) if !allow_short_secret => Err(short),
        Some(ConfigError::ShortSecret {
            algorithm,
            length,
            minimum,
        }) => {
            log::warn!(
                "actix-jwt-extended: the {algorithm:?} secret is {length} bytes, shorter than the \
                 {minimum} RFC 7518 asks for; accepted because of allow_short_secret(). Use a \
                 long random secret in production"
            );
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A secret verifies every HMAC algorithm, as in Flask; any other key only
/// its own algorithm.
pub(crate) fn verifies(key: Algorithm, token: Algorithm) -> bool {
    let hmac = |alg: Algorithm| alg.family() == AlgorithmFamily::Hmac;
    key == token || (hmac(key) && hmac(token))
}

/// The signing key, every verifying key, and the algorithms a token may name.
#[derive(Debug)]
pub(crate) struct KeyRing {
    /// `None` for a verify-only manager.
    signing: Option<Key>,
    keys: Vec<Key>,
    algorithms: Vec<Algorithm>,
    allow_short_secret: bool,
}

/// [`KeyRing::check_loaded`] for a part that keeps only `allow_short_secret`.
pub(crate) fn check_loaded(
    key: &Key,
    algorithm: Algorithm,
    allow_short_secret: bool,
) -> Result<(), LoadedKey> {
    if !verifies(key.algorithm, algorithm) {
        return Err(LoadedKey::WrongAlgorithm);
    }
    match short_secret(key, &[algorithm]) {
        Some(short) if !allow_short_secret => Err(LoadedKey::Unfit(short.to_string())),
        _ => Ok(()),
    }
}

/// Why a key loader's key was not used.
pub(crate) enum LoadedKey {
    /// It is not for the token's algorithm: the token's fault.
    WrongAlgorithm,
    /// A secret too short: the application's.
    Unfit(String),
}

impl KeyRing {
    /// Assembles the ring from the secret, the PEM keys or the key ring, in
    /// that order of preference, and checks that every decode algorithm has
    /// a key and that no two keys share a `kid`.
    pub(crate) fn new(source: KeySource) -> Result<Self, ConfigError> {
        let KeySource {
            secret,
            algorithm,
            private_key,
            public_key,
            signing_key,
            verification_keys,
            decode_algorithms,
            allow_short_secret,
            decode_loader,
        } = source;
        if algorithm.family() == AlgorithmFamily::Hmac
            && signing_key.is_none()
            && (private_key.is_some() || public_key.is_some())
        {
            return Err(invalid(if secret.0.is_empty() {
                format!(
                    "a PEM key needs the algorithm of the key: call JwtManagerBuilder::algorithm \
                     (RS256, ES256, EdDSA, ...); {algorithm:?} takes a secret"
                )
            } else {
                format!(
                    "both a secret and a PEM key are set, and {algorithm:?} would use only the \
                     secret: remove one, or set the key's algorithm"
                )
            }));
        }
        let signing = match (signing_key, algorithm.family()) {
            (Some(key), _) => Some(key),
            (None, AlgorithmFamily::Hmac) if secret.0.is_empty() => None,
            (None, AlgorithmFamily::Hmac) => Some(Key::secret(algorithm, &secret.0)?),
            (None, _) => match &private_key {
                Some(pem) => Some(Key::private_pem(algorithm, &pem.0)?),
                None if public_key.is_none() && !secret.0.is_empty() => {
                    return Err(ConfigError::UnsupportedAlgorithm(algorithm));
                }
                None => None,
            },
        };
        let mut keys: Vec<Key> = signing.iter().cloned().collect();
        if let Some(pem) = &public_key {
            let public = Key::public_pem(algorithm, pem)?;
            match signing.as_ref().and_then(|key| key.encoding.as_ref()) {
                // Flask's JWT_PUBLIC_KEY beside JWT_PRIVATE_KEY: they must be one pair.
                Some(private) => probe(algorithm, private, &public.decoding)
                    .map_err(|_| invalid("the public key is not the private key's other half"))?,
                None => keys.push(public),
            }
        }
        keys.extend(verification_keys);
        // RFC 7518 section 3.3; one backend refuses smaller keys, the other
        // would take them.
        if let Some((key, bits)) = keys.iter().find_map(|key| {
            key.rsa_bits()
                .filter(|bits| *bits < 2048)
                .map(|bits| (key, bits))
        }) {
            return Err(invalid(format!(
                "the {:?} key's modulus is {bits} bits; RFC 7518 section 3.3 asks for 2048 or more",
                key.algorithm
            )));
        }
        if keys.is_empty() && !decode_loader {
            return Err(ConfigError::MissingSecret);
        }
        let mut kids: Vec<&str> = keys.iter().filter_map(Key::kid).collect();
        kids.sort_unstable();
        if let Some(pair) = kids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(invalid(format!("two keys share the kid {:?}", pair[0])));
        }
        let algorithms = decode_algorithms.unwrap_or_else(|| {
            let mut algorithms: Vec<Algorithm> = Vec::new();
            if keys.is_empty() {
                algorithms.push(algorithm);
            }
            for key in &keys {
                if !algorithms.contains(&key.algorithm) {
                    algorithms.push(key.algorithm);
                }
            }
            algorithms
        });
        if algorithms.is_empty() {
            return Err(ConfigError::EmptyName("the list of decode algorithms"));
        }
        if let Some(alg) = algorithms
            .iter()
            .find(|alg| !decode_loader && !keys.iter().any(|key| verifies(key.algorithm, **alg)))
        {
            return Err(invalid(format!("no configured key verifies {alg:?}")));
        }
        for key in keys.iter().filter(|key| key.secret_len > 0) {
            check_secret_length(key, &algorithms, allow_short_secret)?;
        }
        Ok(Self {
            signing,
            keys,
            algorithms,
            allow_short_secret,
        })
    }

    /// Whether a key loader's `key` may sign or verify a token of
    /// `algorithm`: the key's own algorithm (a secret: any HMAC one), and
    /// a secret as long as a configured one must be. The error says why not.
    pub(crate) fn check_loaded(&self, key: &Key, algorithm: Algorithm) -> Result<(), LoadedKey> {
        check_loaded(key, algorithm, self.allow_short_secret)
    }

    /// Whether short HMAC secrets were accepted with the opt-in.
    pub(crate) fn allows_short_secret(&self) -> bool {
        self.allow_short_secret
    }

    /// Whether a token's `kid` picks its verifying key: some key has one.
    pub(crate) fn routes_by_kid(&self) -> bool {
        self.keys.iter().any(|key| key.kid.is_some())
    }

    /// The key that signs new tokens, if any.
    pub(crate) fn signing(&self) -> Option<&Key> {
        self.signing.as_ref()
    }

    /// The public keys as a JWK Set; secrets are never included.
    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .filter_map(Key::public_jwk)
                .cloned()
                .collect(),
        }
    }

    /// The algorithm a token's header names, if the configuration allows it:
    /// the header only picks among the configured algorithms.
    pub(crate) fn allowed_algorithm(&self, alg: Option<&Value>) -> Result<Algorithm, JwtError> {
        let alg = alg.ok_or_else(|| JwtError::Malformed("Algorithm not specified".into()))?;
        alg.as_str()
            .and_then(|alg| alg.parse::<Algorithm>().ok())
            .filter(|alg| self.algorithms.contains(alg))
            .ok_or(JwtError::AlgorithmNotAllowed)
    }

    /// The key a token is verified with: the one its `kid` names, or, without
    /// a `kid` (or with one when no key is named), the single unnamed key; and
    /// only if that key verifies the token's algorithm.
    pub(crate) fn key_for(
        &self,
        kid: Option<&Value>,
        algorithm: Algorithm,
    ) -> Result<&Key, JwtError> {
        if self.keys.is_empty() {
            // Only a key loader's manager has none: it found none either.
            return Err(JwtError::Malformed("No key is known for this token".into()));
        }
        let kid = kid.and_then(Value::as_str);
        let named =
            kid.and_then(|kid| self.keys.iter().find(|key| key.kid.as_deref() == Some(kid)));
        let key = match named {
            Some(key) => key,
            None if kid.is_some() && self.keys.iter().any(|key| key.kid.is_some()) => {
                return Err(JwtError::Malformed(
                    "The token's kid names no known key".into(),
                ));
            }
            None => {
                let mut unnamed = self.keys.iter().filter(|key| key.kid.is_none());
                match (unnamed.next(), unnamed.next()) {
                    (Some(key), None) => key,
                    _ => {
                        return Err(JwtError::Malformed(
                            "The token has no kid and no single key fits it".into(),
                        ));
                    }
                }
            }
        };
        if !verifies(key.algorithm, algorithm) {
            return Err(JwtError::AlgorithmNotAllowed);
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_every_hmac_algorithm_and_other_keys_only_their_own() {
        assert!(verifies(Algorithm::HS256, Algorithm::HS512));
        assert!(verifies(Algorithm::RS256, Algorithm::RS256));
        assert!(!verifies(Algorithm::RS256, Algorithm::PS256));
        assert!(!verifies(Algorithm::HS256, Algorithm::RS256));
        assert!(!verifies(Algorithm::ES256, Algorithm::HS256));
    }
}
