//! Tokens: verified tokens ([`DecodedToken`]) and the builder that creates
//! them in Flask-JWT-Extended's claim layout ([`TokenBuilder`]).

use std::{
    borrow::Cow,
    fmt,
    sync::{Arc, OnceLock},
};

use jsonwebtoken::Algorithm;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    JwtError, claims,
    config::{Expiry, TokenLocation},
    error::Handout,
    issue::{Draft, Issuer},
    json,
    keyring::Key,
};
pub use crate::{claims::TokenKind, issue::Freshness};

/// A token whose signature and registered claims have been verified.
///
/// Cheap to clone: the claims are shared, never copied. Guards put one in the
/// request; [`JwtIdentity`](crate::JwtIdentity), [`Claims`](crate::Claims)
/// and [`JwtRequestExt`](crate::JwtRequestExt) read it from there.
/// [`JwtManager::decode_token`](crate::JwtManager::decode_token) returns one
/// for tokens that arrive some other way.
#[derive(Clone)]
pub struct DecodedToken {
    inner: Arc<Decoded>,
    /// Where a request carried it; `None` for `decode_token`.
    location: Option<TokenLocation>,
}

struct Decoded {
    /// The header's and the payload's JSON as signed; parsed into `header`
    /// and `claims` when something first asks for them.
    header_json: Vec<u8>,
    claims_json: Vec<u8>,
    header: OnceLock<Value>,
    claims: OnceLock<Value>,
    registered: Registered,
    identity: Box<str>,
    kind: TokenKind,
    algorithm: Algorithm,
}

/// The claims read on every request, taken out when the token was verified.
/// No `Debug`: `csrf` is a secret.
#[derive(Default)]
pub(crate) struct Registered {
    /// `exp` and `iat`, in whole seconds.
    pub(crate) expires_at: Option<i64>,
    pub(crate) issued_at: Option<i64>,
    pub(crate) jti: Option<Value>,
    pub(crate) family: Option<Value>,
    pub(crate) fresh: Option<Value>,
    pub(crate) csrf: Option<Value>,
}

/// Shows what identifies the token, never the rest of its claims (`csrf` among them).
impl fmt::Debug for DecodedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedToken")
            .field("identity", &self.inner.identity)
            .field("kind", &self.inner.kind)
            .field("algorithm", &self.inner.algorithm)
            .field("jti", &self.jti())
            .field("expires_at", &self.expires_at())
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl DecodedToken {
    /// `header_json` and `claims_json` must be JSON objects (as
    /// [`json::read_members`] accepts them), `registered` read from the latter.
    pub(crate) fn new(
        header_json: Vec<u8>,
        claims_json: Vec<u8>,
        registered: Registered,
        identity: Box<str>,
        kind: TokenKind,
        algorithm: Algorithm,
    ) -> Self {
        Self {
            inner: Arc::new(Decoded {
                header_json,
                claims_json,
                header: OnceLock::new(),
                claims: OnceLock::new(),
                registered,
                identity,
                kind,
                algorithm,
            }),
            location: None,
        }
    }

    /// The same token, read from `location` of a request.
    pub(crate) fn read_from(mut self, location: TokenLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Where the request carried the token (Flask's
    /// `get_jwt_request_location()`): the first of the route's locations
    /// that held one. `None` for a token given to
    /// [`JwtManager::decode_token`](crate::JwtManager::decode_token).
    pub fn location(&self) -> Option<TokenLocation> {
        self.location
    }

    /// The identity: the `sub` claim (or the configured identity claim).
    /// A non-string value under a custom identity claim is given as its JSON text.
    pub fn identity(&self) -> &str {
        &self.inner.identity
    }

    /// Access or refresh, from the `type` claim.
    pub fn kind(&self) -> TokenKind {
        self.inner.kind
    }

    /// The algorithm the token was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.algorithm
    }

    /// Every claim of the payload, as sent. Verification reads only the
    /// claims it checks; the whole payload is parsed the first time this
    /// (or [`Claims`](crate::Claims), or a hook that calls it) asks, and
    /// kept with the token, cached ones included.
    pub fn claims(&self) -> &Map<String, Value> {
        as_object(self.claims_value())
    }

    /// The payload as one JSON value, shared with the token (parsed the
    /// first time it is asked for).
    pub(crate) fn claims_value(&self) -> &Value {
        let json = &self.inner.claims_json;
        self.inner
            .claims
            .get_or_init(|| Value::Object(json::object(json)))
    }

    /// Every field of the JOSE header, as sent (parsed on first use, as
    /// [`claims`](Self::claims) is).
    pub fn header(&self) -> &Map<String, Value> {
        let json = &self.inner.header_json;
        as_object(
            self.inner
                .header
                .get_or_init(|| Value::Object(json::object(json))),
        )
    }

    /// The `jti` claim (a UUID in tokens from Flask-JWT-Extended or this crate).
    pub fn jti(&self) -> Option<&str> {
        self.inner.registered.jti.as_ref().and_then(Value::as_str)
    }

    /// The rotation family (`fam` claim) of tokens from
    /// [`JwtManager::create_token_pair`](crate::JwtManager::create_token_pair).
    pub fn family(&self) -> Option<&str> {
        self.inner
            .registered
            .family
            .as_ref()
            .and_then(Value::as_str)
    }

    /// The `csrf` claim, which the double submit value must equal.
    pub(crate) fn csrf(&self) -> Option<&Value> {
        self.inner.registered.csrf.as_ref()
    }

    /// The login session the token belongs to: its family (`fam` claim), or,
    /// for a token minted outside one (Flask's `create_access_token`), the
    /// token's own `jti`, a session of one token. Ending the session
    /// ([`JwtManager::end_session`](crate::JwtManager::end_session)) revokes
    /// every token whose session this is.
    pub fn session(&self) -> Option<&str> {
        self.family().or_else(|| self.jti())
    }

    /// What a [`TokenStore`](crate::store::TokenStore) is asked about this
    /// token: call `store.is_revoked(token.revocation_facts())` to ask a
    /// store yourself, as the guards do.
    pub fn revocation_facts(&self) -> crate::store::TokenFacts<'_> {
        crate::store::TokenFacts {
            jti: self.jti(),
            identity: self.identity(),
            issued_at: self.issued_at(),
            issued_at_ms: self
                .issued_at()
                .map(|iat| claims::issued_at_ms(iat, self.jti())),
            session: self.session(),
        }
    }

    /// The `exp` claim in seconds since the epoch; `None` for tokens that never expire.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.registered.expires_at
    }

    /// The `iat` claim in seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.inner.registered.issued_at
    }

    /// Whether the token is fresh as Flask-JWT-Extended reads `fresh`: `true`, or a
    /// timestamp that has not passed yet. A missing or other value is not fresh.
    pub fn is_fresh(&self) -> bool {
        self.is_fresh_at(claims::now())
    }

    /// [`is_fresh`](Self::is_fresh) at `now` (since the epoch).
    pub(crate) fn is_fresh_at(&self, now: std::time::Duration) -> bool {
        match &self.inner.registered.fresh {
            Some(Value::Bool(fresh)) => *fresh,
            Some(Value::Number(until)) => until
                .as_f64()
                .is_some_and(|until| until >= now.as_secs_f64()),
            _ => false,
        }
    }

    /// Deserializes the whole payload into `T` (unknown claims are ignored unless
    /// `T` says otherwise). Fails with [`JwtError::ClaimsShape`].
    pub fn deserialize_claims<T: DeserializeOwned>(&self) -> Result<T, JwtError> {
        // serde's message would quote claim values: log only the type's name.
        T::deserialize(self.claims_value()).map_err(|_| {
            log::debug!(
                "actix-jwt-extended: the claims do not fit {}",
                std::any::type_name::<T>()
            );
            JwtError::ClaimsShape
        })
    }
}

fn as_object(value: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match value {
        Value::Object(map) => map,
        // `new` takes objects only.
        _ => EMPTY.get_or_init(Map::new),
    }
}

/// A refused token: the error, and the verified token where one exists (an
/// expired token, a token of the wrong kind), for the error response hook.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub(crate) error: JwtError,
    pub(crate) token: Option<DecodedToken>,
}

impl From<JwtError> for Rejection {
    fn from(error: JwtError) -> Self {
        Self { error, token: None }
    }
}

impl Rejection {
    pub(crate) fn with_token(error: JwtError, token: DecodedToken) -> Self {
        Self {
            error,
            token: Some(token),
        }
    }
}

/// One additional claim's value, or why it cannot be one.
pub(crate) fn claim_value(value: impl Serialize) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|error| format!("claim value does not serialize: {error}"))
}

/// Additional claims, which must serialize to a JSON object, or why not.
pub(crate) fn claims_object(claims: impl Serialize) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err("additional claims must serialize to a JSON object".to_owned()),
        Err(error) => Err(format!("additional claims do not serialize: {error}")),
    }
}

/// Builds one token: `JwtManager::access_token_builder` / `refresh_token_builder`, then options,
/// then [`encode`](Self::encode).
///
/// ```
/// # use actix_jwt_extended::JwtManager;
/// # use std::time::Duration;
/// let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
/// let token = jwt
///     .access_token_builder("alice")
///     .fresh(true)
///     .expires(Duration::from_secs(300))
///     .claim("role", "admin")
///     .encode()?;
/// assert_eq!(jwt.decode_token(&token)?.claims()["role"], "admin");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a token builder does nothing until `encode` is called"]
pub struct TokenBuilder<'a> {
    issuer: &'a Issuer,
    handout: &'a (dyn Handout + Sync),
    kind: TokenKind,
    identity: Value,
    fresh: Freshness,
    expires: Option<Expiry>,
    claims: Map<String, Value>,
    headers: Map<String, Value>,
    /// Set by the rotation helpers: a chosen `jti` and the rotation family.
    jti: Option<String>,
    family: Option<String>,
    key: Option<Key>,
    error: Option<Cow<'static, str>>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("kind", &self.kind)
            .field("fresh", &self.fresh)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl<'a> TokenBuilder<'a> {
    /// A token of `kind` for `identity`, signed by `issuer`; its errors are
    /// handed out through `handout`.
    pub(crate) fn new(
        issuer: &'a Issuer,
        handout: &'a (dyn Handout + Sync),
        kind: TokenKind,
        identity: impl Serialize,
    ) -> Self {
        let mut builder = Self {
            issuer,
            handout,
            kind,
            identity: Value::Null,
            fresh: Freshness::NotFresh,
            expires: None,
            claims: Map::new(),
            headers: Map::new(),
            jti: None,
            family: None,
            key: None,
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
        match claim_value(value) {
            Ok(value) => {
                self.claims.insert(name.into(), value);
            }
            Err(error) => self.fail(error),
        }
        self
    }

    /// Adds every field of `claims`, which must serialize to a JSON object
    /// (a map or a struct). The same rules as [`claim`](Self::claim) apply.
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        match claims_object(claims) {
            Ok(claims) => self.claims.extend(claims),
            Err(error) => self.fail(error),
        }
        self
    }

    /// Adds a JOSE header field (Flask's `additional_headers`), e.g. `kid`.
    /// `alg` is reserved: the algorithm is the manager's. A `crit` or `b64`
    /// that verification would refuse (PyJWT's rule: `crit` may list only
    /// `b64`, set to `true`) fails [`encode`](Self::encode) with
    /// [`JwtError::Creation`].
    pub fn header(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.headers.insert(name.into(), value);
            }
            Err(error) => self.fail(format!("header value does not serialize: {error}")),
        }
        self
    }

    /// Mints the token into the login session of `token` (its
    /// [`session`](DecodedToken::session)), so that ending that session, or
    /// reuse detection on its refresh tokens, revokes this token too. Use it
    /// for every token minted from another one, such as the access token a
    /// refresh route returns. Defaults to a session of its own.
    pub fn in_session_of(mut self, token: &DecodedToken) -> Self {
        match token.session() {
            Some(session) => self.family = Some(session.to_owned()),
            None => self.fail("the token has neither a session (fam) nor a jti"),
        }
        self
    }

    /// Signs this token with `key` in place of the manager's signing key and
    /// the [encode key loader](crate::manager::JwtManagerBuilder::encode_key_loader),
    /// for a key the handler awaited (a tenant's key from a database). The
    /// key must sign the manager's algorithm (a secret: any HMAC one); its
    /// `kid` goes into the header. Whatever verifies the token must know the
    /// key: a [decode key loader](crate::manager::JwtManagerBuilder::decode_key_loader_async),
    /// or the manager's keys. Defaults to the manager's choice.
    pub fn signing_key(mut self, key: Key) -> Self {
        self.key = Some(key);
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
        let signed = match self.error {
            Some(reason) => Err(JwtError::Creation(reason)),
            None => self.issuer.sign(Draft {
                kind: self.kind,
                identity: &self.identity,
                fresh: self.fresh,
                expires: self.expires,
                claims: self.claims,
                headers: self.headers,
                jti: self.jti.as_deref(),
                family: self.family.as_deref(),
                key: self.key.as_ref(),
            }),
        };
        signed.map_err(|error| self.handout.hand_out(error))
    }
}
