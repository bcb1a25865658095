//! Signing: the [`Issuer`] writes new tokens in Flask-JWT-Extended's claim
//! layout with the manager's signing key, lifetimes and creation hooks.

use std::{
    borrow::Cow,
    collections::BTreeMap,
    panic::{AssertUnwindSafe, catch_unwind},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{
    JwtError,
    claims::{self, Clock, TokenKind},
    config::{ConfigError, Expiry, Hook},
    keyloader::EncodeKeyHook,
    keyring::{Key, KeyRing, LoadedKey, check_loaded},
    members::{HeaderMembers, check_header},
};

/// How fresh an access token is: Flask's `fresh=True`, `False` or a `timedelta`.
///
/// A fresh token proves the user just typed their password; routes behind
/// [`JwtRequired::fresh`](crate::JwtRequired::fresh) take only those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Freshness {
    /// Not fresh (`"fresh": false`): a token from a refresh, for example.
    /// The default.
    #[default]
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

/// Turns the identity given to `create_*_token` into the `sub` string.
pub(crate) type IdentityHook = dyn Fn(&Value) -> String + Send + Sync;
/// Returns a JSON object of claims or header fields for an identity.
pub(crate) type ObjectHook = dyn Fn(&Value) -> Value + Send + Sync;

/// The builder's token creation options.
#[derive(Debug, Clone)]
pub(crate) struct IssueOptions {
    pub(crate) access_expires: Expiry,
    pub(crate) refresh_expires: Expiry,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) nbf: bool,
    /// `None`: the longer of the two lifetimes.
    pub(crate) max_lifetime: Option<Expiry>,
    pub(crate) identity: Option<Hook<IdentityHook>>,
    pub(crate) claims: Option<Hook<ObjectHook>>,
    pub(crate) headers: Option<Hook<ObjectHook>>,
    pub(crate) key_loader: Option<Hook<EncodeKeyHook>>,
    pub(crate) clock: Clock,
}

impl Default for IssueOptions {
    fn default() -> Self {
        Self {
            access_expires: Expiry::ACCESS_DEFAULT,
            refresh_expires: Expiry::REFRESH_DEFAULT,
            audience: Vec::new(),
            issuer: None,
            nbf: true,
            max_lifetime: None,
            identity: None,
            claims: None,
            headers: None,
            key_loader: None,
            clock: Clock::default(),
        }
    }
}

/// One token to sign: what the token builder collected.
pub(crate) struct Draft<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) identity: &'a Value,
    pub(crate) fresh: Freshness,
    /// `None`: the configured lifetime of `kind`.
    pub(crate) expires: Option<Expiry>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) headers: Map<String, Value>,
    /// Chosen by the rotation helpers; otherwise a new UUID.
    pub(crate) jti: Option<&'a str>,
    pub(crate) family: Option<&'a str>,
    /// This token's own signing key, chosen by the caller.
    pub(crate) key: Option<&'a Key>,
}

/// Everything signing needs, prepared once when the manager is built.
#[derive(Debug)]
pub(crate) struct Issuer {
    /// The key ring's signing key, only if it can sign: `None` for a
    /// verify-only manager.
    key: Option<Key>,
    header: Header,
    /// `header` as PyJWT writes it, base64url: most tokens carry just it.
    header_segment: String,
    /// Whether verification picks keys by `kid` (some key has one).
    kid_routing: bool,
    access_expires: Expiry,
    refresh_expires: Expiry,
    /// The longest lifetime a token may be minted with.
    max_lifetime: Expiry,
    audience: Option<Value>,
    issuer: Option<Value>,
    nbf: bool,
    identity_claim: String,
    /// Flask-JWT-Extended writes `csrf` whenever cookie CSRF protection is on,
    /// which is its default, whatever the token locations.
    csrf: bool,
    identity_hook: Option<Hook<IdentityHook>>,
    claims_hook: Option<Hook<ObjectHook>>,
    headers_hook: Option<Hook<ObjectHook>>,
    /// Flask's `encode_key_loader`: a key per identity.
    key_loader: Option<Hook<EncodeKeyHook>>,
    allow_short_secret: bool,
    clock: Clock,
}

impl Issuer {
    /// `algorithm` names the header's `alg` when there is no signing key.
    pub(crate) fn new(
        options: IssueOptions,
        keys: &KeyRing,
        algorithm: Algorithm,
        identity_claim: &str,
        csrf: bool,
    ) -> Result<Self, ConfigError> {
        let key = keys.signing();
        let mut header = Header::new(key.map_or(algorithm, Key::algorithm));
        header.kid = key.and_then(|key| key.kid().map(str::to_owned));
        let access_expires = options
            .access_expires
            .validate("the access token lifetime")?;
        let refresh_expires = options
            .refresh_expires
            .validate("the refresh token lifetime")?;
        let longest = longer(access_expires, refresh_expires);
        let max_lifetime = match options.max_lifetime {
            None => longest,
            Some(max) if longer(max, longest) == max => {
                max.validate("the longest token lifetime")?
            }
            Some(_) => {
                return Err(ConfigError::InvalidOption(
                    "max_token_lifetime is shorter than the access or refresh token lifetime"
                        .into(),
                ));
            }
        };
        let header_segment = header_segment(&header)
            .map_err(|error| ConfigError::InvalidOption(error.to_string()))?;
        Ok(Self {
            key: key.filter(|key| key.can_sign()).cloned(),
            header,
            header_segment,
            kid_routing: keys.routes_by_kid(),
            access_expires,
            refresh_expires,
            max_lifetime,
            audience: match options.audience.as_slice() {
                [] => None,
                [one] => Some(Value::from(one.as_str())),
                several => Some(Value::from(several.to_vec())),
            },
            issuer: options.issuer.map(Value::from),
            nbf: options.nbf,
            identity_claim: identity_claim.to_owned(),
            csrf,
            identity_hook: options.identity,
            claims_hook: options.claims,
            headers_hook: options.headers,
            key_loader: options.key_loader,
            allow_short_secret: keys.allows_short_secret(),
            clock: options.clock,
        })
    }

    /// The configured lifetime of tokens of `kind`.
    pub(crate) fn lifetime(&self, kind: TokenKind) -> Expiry {
        match kind {
            TokenKind::Access => self.access_expires,
            TokenKind::Refresh => self.refresh_expires,
        }
    }

    /// When the longest-lived token issued up to `now` expires, dated as
    /// [`sign`](Self::sign) dates `exp` (and never past the last date a token
    /// can carry); `None` when tokens may never expire. A revocation that
    /// covers every token issued up to `now` must last that long.
    pub(crate) fn last_expiry_of_new(&self, now: Duration) -> Option<i64> {
        match self.max_lifetime {
            Expiry::After(lifetime) => Some(
                claims::date_after(now, lifetime)
                    .map_or(claims::LAST_DATE, |date| date.as_secs() as i64),
            ),
            Expiry::Never => None,
        }
    }

    /// The `sub` value for an identity given to the token builder.
    pub(crate) fn identity_of(&self, identity: &Value) -> Result<String, JwtError> {
        if let Some(hook) = &self.identity_hook {
            return catch_unwind(AssertUnwindSafe(|| hook(identity)))
                .map_err(|_| JwtError::Creation("the identity loader panicked".into()));
        }
        match identity {
            Value::String(identity) => Ok(identity.clone()),
            Value::Number(identity) => Ok(identity.to_string()),
            _ => Err(JwtError::Creation(
                "the identity must be a string or a number; register \
                 JwtManagerBuilder::identity_loader to turn other values into one"
                    .into(),
            )),
        }
    }

    /// Signs `draft`. Fails with [`JwtError::Creation`] for a reserved claim,
    /// a failing hook or a verify-only manager.
    pub(crate) fn sign(&self, draft: Draft<'_>) -> Result<String, JwtError> {
        let identity = self.identity_of(draft.identity)?;
        let mut claims = run_object_hook(self.claims_hook.as_ref(), draft.identity, "claims")?;
        claims.extend(draft.claims);
        if let Some(name) = claims
            .keys()
            .find(|name| claims::RESERVED.contains(&name.as_str()) || **name == self.identity_claim)
        {
            return Err(JwtError::Creation(
                format!("claim {name:?} is reserved; use the TokenBuilder option for it").into(),
            ));
        }
        let mut headers = run_object_hook(self.headers_hook.as_ref(), draft.identity, "headers")?;
        headers.extend(draft.headers);
        let loaded = match (draft.key, &self.key_loader) {
            (None, Some(loader)) => self.load_key(loader, draft.identity)?,
            _ => None,
        };
        let chosen = draft.key.or(loaded.as_ref());
        // A chosen key names itself in the header, as the manager's key does.
        let base = match chosen {
            Some(key) if key.kid != self.header.kid => Cow::Owned(Header {
                kid: key.kid.clone(),
                ..self.header.clone()
            }),
            _ => Cow::Borrowed(&self.header),
        };
        let header_segment = match (headers.is_empty(), &base) {
            (true, Cow::Borrowed(_)) => Cow::Borrowed(self.header_segment.as_str()),
            (true, Cow::Owned(base)) => Cow::Owned(header_segment(base)?),
            (false, _) => Cow::Owned(header_segment(&custom_header(
                &base,
                headers,
                self.kid_routing,
            )?)?),
        };

        let lifetime = draft.expires.unwrap_or(self.lifetime(draft.kind));
        if longer(lifetime, self.max_lifetime) != self.max_lifetime {
            return Err(JwtError::Creation(
                "the token's lifetime is longer than the manager's longest; raise \
                 JwtManagerBuilder::max_token_lifetime so that revocations last as long"
                    .into(),
            ));
        }
        let issued = self.clock.now();
        let date_after = |duration: Duration, what: &str| {
            claims::date_after(issued, duration).ok_or_else(|| {
                let why = format!(
                    "the token's {what} ends after the year 9999: use Expiry::Never or fresh(true)"
                );
                JwtError::Creation(why.into())
            })
        };
        let expires = match lifetime {
            Expiry::After(lifetime) => Some(date_after(lifetime, "lifetime")?.as_secs()),
            Expiry::Never => None,
        };
        let fresh = match draft.fresh {
            Freshness::NotFresh => Value::Bool(false),
            Freshness::Fresh => Value::Bool(true),
            Freshness::FreshFor(duration) => {
                date_after(duration, "freshness")?.as_secs_f64().into()
            }
        };
        let (mut jti, mut csrf) = (Uuid::encode_buffer(), Uuid::encode_buffer());
        let payload = Payload {
            fresh: &fresh,
            iat: issued.as_secs(),
            jti: match draft.jti {
                Some(jti) => jti,
                None => claims::new_jti(issued).hyphenated().encode_lower(&mut jti),
            },
            kind: draft.kind,
            identity_claim: &self.identity_claim,
            identity: &identity,
            nbf: self.nbf,
            csrf: self
                .csrf
                .then(|| &*Uuid::new_v4().hyphenated().encode_lower(&mut csrf)),
            audience: self.audience.as_ref(),
            issuer: self.issuer.as_ref(),
            exp: expires,
            extra: &claims,
            family: draft.family,
        };
        let key = match chosen {
            Some(key) => self.check_chosen(key)?,
            None => self.key.as_ref().ok_or(JwtError::Creation(
                "this manager has no signing key: it only verifies tokens".into(),
            ))?,
        };
        let signing_failed = |error: &dyn std::fmt::Display| {
            JwtError::Creation(format!("signing failed: {error}").into())
        };
        // The token is written into one buffer: header, payload, signature.
        let mut json = Vec::with_capacity(512);
        serde_json::to_writer(&mut json, &payload).map_err(|error| signing_failed(&error))?;
        let mut token = String::with_capacity(header_segment.len() + json.len() * 4 / 3 + 100);
        token.push_str(&header_segment);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let algorithm = self.header.alg;
        let prepared = key
            .hmac()
            .and_then(|hmac| hmac.sign(algorithm, token.as_bytes()));
        let signature = match prepared {
            Some(tag) => URL_SAFE_NO_PAD.encode(tag),
            None => {
                let encoding = key
                    .encoding
                    .as_ref()
                    .ok_or_else(|| signing_failed(&"no signing half"))?;
                jsonwebtoken::crypto::sign(token.as_bytes(), encoding, algorithm)
                    .map_err(|error| signing_failed(&error))?
            }
        };
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }
}

impl Issuer {
    /// Runs the encode key loader for `identity`.
    fn load_key(
        &self,
        loader: &Hook<EncodeKeyHook>,
        identity: &Value,
    ) -> Result<Option<Key>, JwtError> {
        catch_unwind(AssertUnwindSafe(|| loader(identity)))
            .unwrap_or_else(|_| Err("it panicked".to_owned()))
            .map_err(|cause| {
                JwtError::Creation(format!("the encode key loader failed: {cause}").into())
            })
    }

    /// A key chosen per token, if it may sign this manager's tokens: their
    /// algorithm, a secret long enough, and a signing half.
    fn check_chosen<'k>(&self, key: &'k Key) -> Result<&'k Key, JwtError> {
        let algorithm = self.header.alg;
        match check_loaded(key, algorithm, self.allow_short_secret) {
            Ok(()) => {}
            Err(LoadedKey::WrongAlgorithm) => {
                return Err(JwtError::Creation(
                    format!(
                        "the chosen {:?} key cannot sign this manager's {algorithm:?} tokens",
                        key.algorithm()
                    )
                    .into(),
                ));
            }
            Err(LoadedKey::Unfit(why)) => return Err(JwtError::Creation(why.into())),
        }
        match key.encoding {
            Some(_) => Ok(key),
            None => Err(JwtError::Creation(
                "the chosen key cannot sign: it is a public key".into(),
            )),
        }
    }
}

/// The header segment as PyJWT writes it: compact JSON with its keys sorted
/// (`{"alg":"HS256","typ":"JWT"}`), so our tokens carry Flask's bytes.
fn header_segment(header: &Header) -> Result<String, JwtError> {
    let fields: BTreeMap<String, Value> = match serde_json::to_value(header) {
        Ok(Value::Object(fields)) => fields.into_iter().collect(),
        _ => return Err(JwtError::Creation("the header does not serialize".into())),
    };
    let json = serde_json::to_vec(&fields).map_err(|error| {
        JwtError::Creation(format!("the header does not serialize: {error}").into())
    })?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The longer of two lifetimes; never expiring is the longest.
fn longer(a: Expiry, b: Expiry) -> Expiry {
    match (a, b) {
        (Expiry::After(a), Expiry::After(b)) => Expiry::After(a.max(b)),
        _ => Expiry::Never,
    }
}

/// Runs Flask's `additional_claims_loader` or `additional_headers_loader`.
fn run_object_hook(
    hook: Option<&Hook<ObjectHook>>,
    identity: &Value,
    what: &str,
) -> Result<Map<String, Value>, JwtError> {
    let Some(hook) = hook else {
        return Ok(Map::new());
    };
    match catch_unwind(AssertUnwindSafe(|| hook(identity))) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(JwtError::Creation(
            format!("the additional {what} hook must return a JSON object").into(),
        )),
        Err(_) => Err(JwtError::Creation(
            format!("the additional {what} hook panicked").into(),
        )),
    }
}

fn custom_header(
    base: &Header,
    extra: Map<String, Value>,
    kid_routing: bool,
) -> Result<Header, JwtError> {
    if extra.contains_key("alg") {
        return Err(JwtError::Creation(
            "header \"alg\" is reserved: it is the manager's algorithm".into(),
        ));
    }
    // Where keys have kids, the `kid` picks the verifying key: another than
    // the signing key's own would mint a token this manager refuses.
    if let Some(kid) = extra.get("kid")
        && kid_routing
        && kid.as_str() != base.kid.as_deref()
    {
        return Err(JwtError::Creation(
            format!(
                "header \"kid\" is the signing key's ({}): set it with Key::with_kid",
                base.kid.as_deref().unwrap_or("none")
            )
            .into(),
        ));
    }
    // A `crit` or `b64` the verifier refuses (PyJWT's rule) would mint a
    // token no one accepts: refuse it here, by the same rule.
    let members = HeaderMembers {
        alg: None,
        typ: None,
        kid: None,
        crit: extra.get("crit").cloned(),
        b64: extra.get("b64").cloned(),
    };
    check_header(&members, members.b64 == Some(Value::Bool(false))).map_err(|refused| {
        JwtError::Creation(format!("header refused by verification: {refused}").into())
    })?;
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
struct Payload<'a> {
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

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(10 + self.extra.len()))?;
        map.serialize_entry(claims::FRESH, self.fresh)?;
        map.serialize_entry(claims::IAT, &self.iat)?;
        map.serialize_entry(claims::JTI, self.jti)?;
        map.serialize_entry(claims::TYPE, self.kind.as_str())?;
        map.serialize_entry(self.identity_claim, self.identity)?;
        if self.nbf {
            map.serialize_entry(claims::NBF, &self.iat)?;
        }
        if let Some(csrf) = self.csrf {
            map.serialize_entry(claims::CSRF, csrf)?;
        }
        // A per-token `aud`/`iss` replaces the configured one in its place, as
        // Python's dict.update does in Flask-JWT-Extended.
        for (name, configured) in [(claims::AUD, self.audience), (claims::ISS, self.issuer)] {
            if let Some(configured) = configured {
                map.serialize_entry(name, self.extra.get(name).unwrap_or(configured))?;
            }
        }
        if let Some(exp) = self.exp {
            map.serialize_entry(claims::EXP, &exp)?;
        }
        if let Some(family) = self.family {
            map.serialize_entry(claims::FAMILY, family)?;
        }
        for (name, value) in self.extra {
            let placed = (name == claims::AUD && self.audience.is_some())
                || (name == claims::ISS && self.issuer.is_some());
            if !placed {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}
