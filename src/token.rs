//! Tokens: the Flask-JWT-Extended claim layout, creating tokens and verifying them.
//!
//! Verification follows PyJWT as Flask-JWT-Extended 4.x calls it, check for
//! check and message for message: segments, base64, header and payload JSON,
//! the algorithm allow-list, the signature, then `iat`, `nbf`, `exp` with no
//! leeway, the type of `sub` and `jti`, and finally the identity claim.

use std::{
    borrow::Cow,
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::{Serialize, Serializer, de::DeserializeOwned, ser::SerializeMap};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{JwtError, JwtManager, config::Expiry};

/// The two kinds of token Flask-JWT-Extended issues, told apart by the `type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Reaches routes behind [`JwtRequired`](crate::JwtRequired). A token without a
    /// `type` claim (for example one from another issuer) counts as an access token.
    Access,
    /// Reaches only routes behind [`RefreshRequired`](crate::RefreshRequired), to mint
    /// new access tokens.
    Refresh,
}

impl TokenKind {
    /// The value of the `type` claim: `"access"` or `"refresh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token whose signature and registered claims have been verified.
///
/// Guards put one in the request extensions; [`JwtIdentity`](crate::JwtIdentity)
/// and [`Claims`](crate::Claims) read it from there. [`JwtManager::decode_token`]
/// returns one for tokens that arrive some other way.
#[derive(Clone)]
pub struct DecodedToken {
    header: Value,
    claims: Value,
    identity: Box<str>,
    kind: TokenKind,
    algorithm: Algorithm,
}

/// Shows what identifies the token, never the rest of its claims (`csrf` among them).
impl fmt::Debug for DecodedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedToken")
            .field("identity", &self.identity)
            .field("kind", &self.kind)
            .field("algorithm", &self.algorithm)
            .field("jti", &self.jti())
            .field("expires_at", &self.expires_at())
            .finish_non_exhaustive()
    }
}

impl DecodedToken {
    /// The identity: the `sub` claim (or the configured identity claim).
    /// A non-string value under a custom identity claim is given as its JSON text.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Access or refresh, from the `type` claim.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The algorithm the token was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Every claim of the payload, as sent.
    pub fn claims(&self) -> &Map<String, Value> {
        as_object(&self.claims)
    }

    /// Every field of the JOSE header, as sent.
    pub fn header(&self) -> &Map<String, Value> {
        as_object(&self.header)
    }

    /// The `jti` claim (a UUID in tokens from Flask-JWT-Extended or this crate).
    pub fn jti(&self) -> Option<&str> {
        self.claims().get("jti").and_then(Value::as_str)
    }

    /// The `exp` claim in seconds since the epoch; `None` for tokens that never expire.
    pub fn expires_at(&self) -> Option<i64> {
        self.claims()
            .get("exp")
            .and_then(numeric_date)
            .map(|t| t as i64)
    }

    /// The `iat` claim in seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.claims()
            .get("iat")
            .and_then(numeric_date)
            .map(|t| t as i64)
    }

    /// Whether the token is fresh as Flask-JWT-Extended reads `fresh`: `true`, or a
    /// timestamp that has not passed yet. A missing or other value is not fresh.
    pub fn is_fresh(&self) -> bool {
        match self.claims().get("fresh") {
            Some(Value::Bool(fresh)) => *fresh,
            Some(Value::Number(until)) => until.as_f64().is_some_and(|until| until >= now()),
            _ => false,
        }
    }

    /// Deserializes the whole payload into `T` (unknown claims are ignored unless
    /// `T` says otherwise). Fails with [`JwtError::ClaimsShape`].
    pub fn deserialize_claims<T: DeserializeOwned>(&self) -> Result<T, JwtError> {
        // serde's message would quote claim values: log only the type's name.
        T::deserialize(&self.claims).map_err(|_| {
            log::debug!(
                "actix-jwt-extended: the claims do not fit {}",
                std::any::type_name::<T>()
            );
            JwtError::ClaimsShape
        })
    }
}

fn as_object(value: &Value) -> &Map<String, Value> {
    match value {
        Value::Object(map) => map,
        // Both are checked to be objects before a DecodedToken is built.
        _ => unreachable!("decoded header and claims are JSON objects"),
    }
}

/// Seconds since the epoch, with the fraction, as PyJWT's `now` is.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A JSON number read as PyJWT's `int(value)` does: truncated toward zero.
fn numeric_date(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64().map(f64::trunc),
        _ => None,
    }
}

/// Everything verification needs, prepared once when the manager is built.
pub(crate) struct Verifier {
    pub(crate) key: DecodingKey,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) identity_claim: String,
}

impl Verifier {
    pub(crate) fn verify(&self, token: &[u8]) -> Result<DecodedToken, JwtError> {
        let (signing_input, signature) =
            rsplit_once(token, b'.').ok_or(malformed("Not enough segments"))?;
        let (header, payload) =
            split_once(signing_input, b'.').ok_or(malformed("Not enough segments"))?;

        let header = b64(header).ok_or(malformed("Invalid header padding"))?;
        let header: Value = serde_json::from_slice(&header)
            .map_err(|e| JwtError::Malformed(format!("Invalid header string: {e}").into()))?;
        let Value::Object(fields) = &header else {
            return Err(malformed("Invalid header string: must be a json object"));
        };
        // RFC 7797 unencoded payloads are not supported; reject them as PyJWT does.
        let unencoded = fields.get("b64") == Some(&Value::Bool(false));
        if unencoded && !payload.is_empty() {
            return Err(malformed(
                "Payload segment must be empty when 'b64' is false.",
            ));
        }
        let payload = b64(payload).ok_or(malformed("Invalid payload padding"))?;
        // Checked here for PyJWT's order of messages; jsonwebtoken decodes it again.
        b64(signature).ok_or(malformed("Invalid crypto padding"))?;
        check_header(fields, unencoded)?;

        // Flask-JWT-Extended reads the payload before it checks the signature.
        let claims: Value = serde_json::from_slice(&payload)
            .map_err(|e| JwtError::Malformed(format!("Invalid payload string: {e}").into()))?;
        let Value::Object(fields) = &claims else {
            return Err(malformed("Invalid payload string: must be a json object"));
        };

        let algorithm = self.allowed_algorithm(&header)?;
        // The segment just decoded as base64, so it is ASCII.
        let signature = std::str::from_utf8(signature).map_err(|_| JwtError::InvalidSignature)?;
        if !jsonwebtoken::crypto::verify(signature, signing_input, &self.key, algorithm)
            .unwrap_or(false)
        {
            return Err(JwtError::InvalidSignature);
        }

        // Flask-JWT-Extended decodes an expired token again without the `exp`
        // check, so later claim errors win over "expired".
        let expired = validate_registered_claims(fields)?;
        let identity = match fields.get(&self.identity_claim) {
            None => return Err(JwtError::MissingClaim(self.identity_claim.clone())),
            Some(Value::String(identity)) => identity.as_str().into(),
            Some(other) => other.to_string().into_boxed_str(),
        };
        if expired {
            return Err(JwtError::Expired);
        }
        let kind = match fields.get("type").and_then(Value::as_str) {
            Some("refresh") => TokenKind::Refresh,
            _ => TokenKind::Access,
        };
        Ok(DecodedToken {
            header,
            claims,
            identity,
            kind,
            algorithm,
        })
    }

    fn allowed_algorithm(&self, header: &Value) -> Result<Algorithm, JwtError> {
        let alg = header
            .get("alg")
            .ok_or(malformed("Algorithm not specified"))?;
        // Pinned by configuration: the header only picks among the allowed algorithms.
        alg.as_str()
            .and_then(|alg| alg.parse::<Algorithm>().ok())
            .filter(|alg| self.algorithms.contains(alg))
            .ok_or(JwtError::AlgorithmNotAllowed)
    }
}

/// PyJWT's header checks: `kid` is a string, `crit` lists only what is
/// understood (nothing but `b64`), and unencoded payloads are refused.
fn check_header(header: &Map<String, Value>, unencoded: bool) -> Result<(), JwtError> {
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Err(malformed("Key ID header parameter must be a string"));
    }
    let mut b64_critical = false;
    if let Some(crit) = header.get("crit") {
        let crit = match crit.as_array() {
            Some(crit) if !crit.is_empty() => crit,
            _ => return Err(malformed("Invalid 'crit' header: must be a non-empty list")),
        };
        for extension in crit {
            match extension.as_str() {
                None => return Err(malformed("Invalid 'crit' header: values must be strings")),
                Some("b64") if !header.contains_key("b64") => {
                    return Err(malformed(
                        "Critical extension 'b64' is missing from headers",
                    ));
                }
                Some("b64") => b64_critical = true,
                Some(other) => return Err(unsupported_extension(other)),
            }
        }
    }
    match (unencoded, b64_critical) {
        (false, _) => Ok(()),
        (true, false) => Err(malformed(
            "The 'b64' header parameter requires 'b64' to be listed in 'crit'.",
        )),
        (true, true) => Err(malformed(
            "It is required that you pass in a value for the \"detached_payload\" argument to decode a message having the b64 header set to false.",
        )),
    }
}

/// PyJWT names the extension; echo it only when it looks like a parameter
/// name, so the response never reflects arbitrary token content.
fn unsupported_extension(name: &str) -> JwtError {
    let plain = name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        JwtError::Malformed(format!("Unsupported critical extension: {name}").into())
    } else {
        malformed("Unsupported critical extension")
    }
}

/// PyJWT's `_validate_claims` with Flask-JWT-Extended's options and no leeway.
/// Returns whether the token has expired, which Flask reports last.
fn validate_registered_claims(claims: &Map<String, Value>) -> Result<bool, JwtError> {
    let now = now();
    if let Some(iat) = claims.get("iat") {
        let iat =
            numeric_date(iat).ok_or(invalid_claim("Issued At claim (iat) must be an integer."))?;
        if iat > now {
            return Err(JwtError::NotYetValid("iat"));
        }
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf =
            numeric_date(nbf).ok_or(invalid_claim("Not Before claim (nbf) must be an integer."))?;
        if nbf > now {
            return Err(JwtError::NotYetValid("nbf"));
        }
    }
    let expired = match claims.get("exp") {
        None => false,
        Some(exp) => {
            numeric_date(exp).ok_or(invalid_claim(
                "Expiration Time claim (exp) must be an integer.",
            ))? <= now
        }
    };
    if claims.get("sub").is_some_and(|sub| !sub.is_string()) {
        return Err(invalid_claim("Subject must be a string"));
    }
    if claims.get("jti").is_some_and(|jti| !jti.is_string()) {
        return Err(invalid_claim("JWT ID must be a string"));
    }
    Ok(expired)
}

fn malformed(message: &'static str) -> JwtError {
    JwtError::Malformed(Cow::Borrowed(message))
}

fn invalid_claim(message: &'static str) -> JwtError {
    JwtError::InvalidClaim(Cow::Borrowed(message))
}

/// Base64url as PyJWT reads it: the URL-safe alphabet only, canonical trailing
/// bits, and padding either absent or complete.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn b64(segment: &[u8]) -> Option<Vec<u8>> {
    B64.decode(segment).ok()
}

fn split_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|b| *b == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

fn rsplit_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().rposition(|b| *b == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

/// Claims that only the token builder itself may write.
const RESERVED_CLAIMS: [&str; 7] = ["type", "fresh", "jti", "iat", "nbf", "exp", "csrf"];

/// Builds one token: `JwtManager::access_token` / `refresh_token`, then options,
/// then [`encode`](Self::encode).
///
/// ```
/// # use actix_jwt_extended::JwtManager;
/// # use std::time::Duration;
/// let jwt = JwtManager::builder().secret(b"change-me").build()?;
/// let token = jwt
///     .access_token("alice")
///     .fresh(true)
///     .expires(Duration::from_secs(300))
///     .claim("role", "admin")
///     .encode()?;
/// assert_eq!(jwt.decode_token(&token)?.claims()["role"], "admin");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a token builder does nothing until `encode` is called"]
pub struct TokenBuilder<'a> {
    manager: &'a JwtManager,
    kind: TokenKind,
    identity: String,
    fresh: bool,
    expires: Option<Expiry>,
    claims: Map<String, Value>,
    headers: Map<String, Value>,
    error: Option<Cow<'static, str>>,
}

impl<'a> TokenBuilder<'a> {
    pub(crate) fn new(manager: &'a JwtManager, kind: TokenKind, identity: String) -> Self {
        Self {
            manager,
            kind,
            identity,
            fresh: false,
            expires: None,
            claims: Map::new(),
            headers: Map::new(),
            error: None,
        }
    }

    /// Marks an access token fresh: the user just proved who they are (Flask's
    /// `fresh=True`). Refresh tokens are never fresh. Defaults to `false`.
    pub fn fresh(mut self, fresh: bool) -> Self {
        if fresh && self.kind == TokenKind::Refresh {
            self.fail("refresh tokens cannot be fresh");
        }
        self.fresh = fresh;
        self
    }

    /// This token's lifetime, in place of the manager's (Flask's `expires_delta`).
    /// Defaults to the manager's access or refresh lifetime.
    pub fn expires(mut self, expires: impl Into<Expiry>) -> Self {
        match expires.into().validate("a token's lifetime") {
            Ok(expires) => self.expires = Some(expires),
            Err(error) => self.fail(error.to_string()),
        }
        self
    }

    /// Adds one claim (Flask's `additional_claims`). The identity claim and
    /// `type`, `fresh`, `jti`, `iat`, `nbf`, `exp`, `csrf` are reserved: setting one
    /// makes [`encode`](Self::encode) fail rather than forge a token's meaning.
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.claims.insert(name.into(), value);
            }
            Err(error) => self.fail(format!("claim value does not serialize: {error}")),
        }
        self
    }

    /// Adds every field of `claims`, which must serialize to a JSON object
    /// (a map or a struct). The same reserved names as [`claim`](Self::claim) apply.
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        match serde_json::to_value(claims) {
            Ok(Value::Object(claims)) => self.claims.extend(claims),
            Ok(_) => self.fail("additional claims must serialize to a JSON object"),
            Err(error) => self.fail(format!("additional claims do not serialize: {error}")),
        }
        self
    }

    /// Adds a JOSE header field (Flask's `additional_headers`), e.g. `kid`.
    /// `alg` is reserved: the algorithm is the manager's.
    pub fn header(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.headers.insert(name.into(), value);
            }
            Err(error) => self.fail(format!("header value does not serialize: {error}")),
        }
        self
    }

    fn fail(&mut self, reason: impl Into<Cow<'static, str>>) {
        self.error.get_or_insert(reason.into());
    }

    /// Signs the token. Fails with [`JwtError::Creation`] when an option was
    /// invalid (a reserved claim, an unserializable value).
    pub fn encode(self) -> Result<String, JwtError> {
        if let Some(reason) = self.error {
            return Err(JwtError::Creation(reason));
        }
        let config = self.manager.config();
        if let Some(name) = self.claims.keys().find(|name| {
            RESERVED_CLAIMS.contains(&name.as_str()) || **name == config.verifier.identity_claim
        }) {
            return Err(JwtError::Creation(
                format!("claim {name:?} is reserved; use the TokenBuilder option for it").into(),
            ));
        }
        let header = if self.headers.is_empty() {
            Cow::Borrowed(&config.header)
        } else {
            Cow::Owned(custom_header(&config.header, self.headers)?)
        };
        let issued = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let expires = match self.expires.unwrap_or(match self.kind {
            TokenKind::Access => config.access_expires,
            TokenKind::Refresh => config.refresh_expires,
        }) {
            Expiry::After(lifetime) => Some((issued + lifetime).as_secs()),
            Expiry::Never => None,
        };
        let (mut jti, mut csrf) = (Uuid::encode_buffer(), Uuid::encode_buffer());
        let claims = OutgoingClaims {
            fresh: self.fresh,
            iat: issued.as_secs(),
            jti: Uuid::new_v4().hyphenated().encode_lower(&mut jti),
            kind: self.kind,
            identity_claim: &config.verifier.identity_claim,
            identity: &self.identity,
            // Flask-JWT-Extended writes it whenever cookie CSRF protection is on,
            // which is its default, whatever the token locations.
            csrf: Uuid::new_v4().hyphenated().encode_lower(&mut csrf),
            exp: expires,
            extra: &self.claims,
        };
        jsonwebtoken::encode(&header, &claims, &config.encoding_key)
            .map_err(|error| JwtError::Creation(format!("signing failed: {error}").into()))
    }
}

fn custom_header(base: &Header, extra: Map<String, Value>) -> Result<Header, JwtError> {
    if extra.contains_key("alg") {
        return Err(JwtError::Creation(
            "header \"alg\" is reserved: it is the manager's algorithm".into(),
        ));
    }
    let mut fields = match serde_json::to_value(base) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    fields.extend(extra);
    serde_json::from_value(Value::Object(fields))
        .map_err(|error| JwtError::Creation(format!("invalid header field: {error}").into()))
}

/// The payload in Flask-JWT-Extended's order: `fresh, iat, jti, type, <identity>,
/// nbf, csrf, exp`, then the additional claims.
struct OutgoingClaims<'a> {
    fresh: bool,
    iat: u64,
    jti: &'a str,
    kind: TokenKind,
    identity_claim: &'a str,
    identity: &'a str,
    csrf: &'a str,
    exp: Option<u64>,
    extra: &'a Map<String, Value>,
}

impl Serialize for OutgoingClaims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(8 + self.extra.len()))?;
        map.serialize_entry("fresh", &self.fresh)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("jti", self.jti)?;
        map.serialize_entry("type", self.kind.as_str())?;
        map.serialize_entry(self.identity_claim, self.identity)?;
        map.serialize_entry("nbf", &self.iat)?;
        map.serialize_entry("csrf", self.csrf)?;
        if let Some(exp) = self.exp {
            map.serialize_entry("exp", &exp)?;
        }
        for (name, value) in self.extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dates_truncate_like_python_int() {
        assert_eq!(numeric_date(&serde_json::json!(1.9)), Some(1.0));
        assert_eq!(numeric_date(&serde_json::json!(-1.9)), Some(-1.0));
        assert_eq!(numeric_date(&serde_json::json!("1")), None);
        assert_eq!(numeric_date(&serde_json::json!(true)), None);
    }

    #[test]
    fn debug_shows_the_identity_but_not_the_csrf_claim() {
        let jwt = JwtManager::builder().secret("s").build().unwrap();
        let token = jwt
            .decode_token(&jwt.create_access_token("alice").unwrap())
            .unwrap();
        let csrf = token.claims()["csrf"].as_str().unwrap().to_owned();
        let debug = format!("{token:?}");
        assert!(debug.contains("alice") && !debug.contains(&csrf), "{debug}");
    }

    #[test]
    fn unsupported_critical_extensions_are_named_only_when_plain() {
        assert_eq!(
            unsupported_extension("exp").to_string(),
            "Unsupported critical extension: exp"
        );
        for hostile in ["<script>", &"x".repeat(33), "a b"] {
            assert_eq!(
                unsupported_extension(hostile).to_string(),
                "Unsupported critical extension"
            );
        }
    }

    #[test]
    fn splits_like_pyjwt() {
        assert_eq!(
            rsplit_once(b"a.b.c.d", b'.'),
            Some((&b"a.b.c"[..], &b"d"[..]))
        );
        assert_eq!(split_once(b"a.b.c", b'.'), Some((&b"a"[..], &b"b.c"[..])));
        assert_eq!(rsplit_once(b"abc", b'.'), None);
    }
}
