//! Tokens: kinds, verified tokens, and creating tokens in Flask-JWT-Extended's
//! claim layout.

use std::{
    borrow::Cow,
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, Header};
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
    pub(crate) fn new(
        header: Value,
        claims: Value,
        identity: Box<str>,
        kind: TokenKind,
        algorithm: Algorithm,
    ) -> Self {
        Self {
            header,
            claims,
            identity,
            kind,
            algorithm,
        }
    }

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

    /// The rotation family (`fam` claim) of tokens from
    /// [`JwtManager::create_token_pair`](crate::JwtManager::create_token_pair).
    pub fn family(&self) -> Option<&str> {
        self.claims().get("fam").and_then(Value::as_str)
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
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A JSON number read as PyJWT's `int(value)` does: truncated toward zero.
pub(crate) fn numeric_date(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64().map(f64::trunc),
        _ => None,
    }
}

/// Claims that only the token builder itself may write.
const RESERVED_CLAIMS: [&str; 8] = ["type", "fresh", "jti", "iat", "nbf", "exp", "csrf", "fam"];

/// How fresh an access token is: Flask's `fresh=True`, `False` or a `timedelta`.
///
/// A fresh token proves the user just typed their password; routes behind
/// [`JwtRequired::fresh`](crate::JwtRequired::fresh) take only those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Freshness {
    /// Not fresh (`"fresh": false`): a token from a refresh, for example.
    NotFresh,
    /// Fresh until it expires (`"fresh": true`).
    Fresh,
    /// Fresh for this long after issue, then not (`"fresh": <timestamp>`), as
    /// Flask writes a `timedelta`.
    FreshFor(Duration),
}

impl From<bool> for Freshness {
    fn from(fresh: bool) -> Self {
        if fresh { Self::Fresh } else { Self::NotFresh }
    }
}

impl From<Duration> for Freshness {
    fn from(duration: Duration) -> Self {
        Self::FreshFor(duration)
    }
}

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
    identity: Value,
    fresh: Freshness,
    expires: Option<Expiry>,
    claims: Map<String, Value>,
    headers: Map<String, Value>,
    /// Set by the rotation helpers: a chosen `jti` and the rotation family.
    jti: Option<String>,
    family: Option<String>,
    error: Option<Cow<'static, str>>,
}

impl<'a> TokenBuilder<'a> {
    pub(crate) fn new(manager: &'a JwtManager, kind: TokenKind, identity: impl Serialize) -> Self {
        let mut builder = Self {
            manager,
            kind,
            identity: Value::Null,
            fresh: Freshness::NotFresh,
            expires: None,
            claims: Map::new(),
            headers: Map::new(),
            jti: None,
            family: None,
            error: None,
        };
        match serde_json::to_value(identity) {
            Ok(identity) => builder.identity = identity,
            Err(error) => builder.fail(format!("the identity does not serialize: {error}")),
        }
        builder
    }

    /// Marks an access token fresh (Flask's `fresh=`): `true`, `false`, or a
    /// `Duration` for "fresh for this long". Refresh tokens are never fresh.
    /// Defaults to not fresh.
    pub fn fresh(mut self, fresh: impl Into<Freshness>) -> Self {
        let fresh = fresh.into();
        if fresh != Freshness::NotFresh && self.kind == TokenKind::Refresh {
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

    /// Adds one claim (Flask's `additional_claims`); it overrides a claim of the
    /// same name from the manager's additional claims hook. The identity claim
    /// and `type`, `fresh`, `jti`, `iat`, `nbf`, `exp`, `csrf` are reserved:
    /// setting one makes [`encode`](Self::encode) fail rather than forge a
    /// token's meaning. `aud` and `iss` may be set here.
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
    /// (a map or a struct). The same rules as [`claim`](Self::claim) apply.
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

    /// A `jti` and rotation family chosen by the manager's rotation helpers.
    pub(crate) fn rotation(mut self, jti: Option<String>, family: &str) -> Self {
        self.jti = jti;
        self.family = Some(family.to_owned());
        self
    }

    fn fail(&mut self, reason: impl Into<Cow<'static, str>>) {
        self.error.get_or_insert(reason.into());
    }

    /// Signs the token. Fails with [`JwtError::Creation`] when an option was
    /// invalid (a reserved claim, an unserializable value) or a hook failed.
    pub fn encode(self) -> Result<String, JwtError> {
        if let Some(reason) = self.error {
            return Err(JwtError::Creation(reason));
        }
        let manager = self.manager;
        let config = manager.config();
        let identity = manager.identity_of(&self.identity)?;
        let mut claims = manager.hook_claims(&self.identity)?;
        claims.extend(self.claims);
        if let Some(name) = claims.keys().find(|name| {
            RESERVED_CLAIMS.contains(&name.as_str()) || **name == config.verifier.identity_claim
        }) {
            return Err(JwtError::Creation(
                format!("claim {name:?} is reserved; use the TokenBuilder option for it").into(),
            ));
        }
        let mut headers = manager.hook_headers(&self.identity)?;
        headers.extend(self.headers);
        let header = if headers.is_empty() {
            Cow::Borrowed(&config.header)
        } else {
            Cow::Owned(custom_header(&config.header, headers)?)
        };

        let issued = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let expires = match self.expires.unwrap_or(config.lifetime(self.kind)) {
            Expiry::After(lifetime) => Some((issued + lifetime).as_secs()),
            Expiry::Never => None,
        };
        let fresh = match self.fresh {
            Freshness::NotFresh => Value::Bool(false),
            Freshness::Fresh => Value::Bool(true),
            Freshness::FreshFor(duration) => (issued + duration).as_secs_f64().into(),
        };
        let (mut jti, mut csrf) = (Uuid::encode_buffer(), Uuid::encode_buffer());
        let claims = OutgoingClaims {
            fresh: &fresh,
            iat: issued.as_secs(),
            jti: match &self.jti {
                Some(jti) => jti,
                None => Uuid::new_v4().hyphenated().encode_lower(&mut jti),
            },
            kind: self.kind,
            identity_claim: &config.verifier.identity_claim,
            identity: &identity,
            nbf: config.encode_nbf,
            // Flask-JWT-Extended writes it whenever cookie CSRF protection is on,
            // which is its default, whatever the token locations.
            csrf: config
                .cookies
                .csrf_protect
                .then(|| &*Uuid::new_v4().hyphenated().encode_lower(&mut csrf)),
            audience: config.encode_audience.as_ref(),
            issuer: config.encode_issuer.as_ref(),
            exp: expires,
            extra: &claims,
            family: self.family.as_deref(),
        };
        let key = config
            .signing
            .as_ref()
            .and_then(|key| key.encoding.as_ref())
            .ok_or(JwtError::Creation(
                "this manager has no signing key: it only verifies tokens".into(),
            ))?;
        jsonwebtoken::encode(&header, &claims, key)
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
/// nbf, csrf, aud, iss, exp`, then the additional claims.
struct OutgoingClaims<'a> {
    fresh: &'a Value,
    iat: u64,
    jti: &'a str,
    kind: TokenKind,
    identity_claim: &'a str,
    identity: &'a str,
    nbf: bool,
    csrf: Option<&'a str>,
    audience: Option<&'a Value>,
    issuer: Option<&'a Value>,
    exp: Option<u64>,
    extra: &'a Map<String, Value>,
    family: Option<&'a str>,
}

impl Serialize for OutgoingClaims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(10 + self.extra.len()))?;
        map.serialize_entry("fresh", self.fresh)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("jti", self.jti)?;
        map.serialize_entry("type", self.kind.as_str())?;
        map.serialize_entry(self.identity_claim, self.identity)?;
        if self.nbf {
            map.serialize_entry("nbf", &self.iat)?;
        }
        if let Some(csrf) = self.csrf {
            map.serialize_entry("csrf", csrf)?;
        }
        // A per-token `aud`/`iss` replaces the configured one in its place, as
        // Python's dict.update does in Flask-JWT-Extended.
        for (name, configured) in [("aud", self.audience), ("iss", self.issuer)] {
            if let Some(configured) = configured {
                map.serialize_entry(name, self.extra.get(name).unwrap_or(configured))?;
            }
        }
        if let Some(exp) = self.exp {
            map.serialize_entry("exp", &exp)?;
        }
        if let Some(family) = self.family {
            map.serialize_entry("fam", family)?;
        }
        for (name, value) in self.extra {
            let placed = (name == "aud" && self.audience.is_some())
                || (name == "iss" && self.issuer.is_some());
            if !placed {
                map.serialize_entry(name, value)?;
            }
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
}
