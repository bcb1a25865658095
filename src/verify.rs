//! Verification, check for check and message for message as PyJWT does it
//! when Flask-JWT-Extended 4.x calls it: segments, base64, header and payload
//! JSON, the algorithm allow-list, the signature, then `iat`, `nbf`, `exp`,
//! `iss`, `aud`, the types of `sub` and `jti`, and the identity claim.

use std::{
    borrow::Cow,
    panic::{AssertUnwindSafe, catch_unwind},
    time::Duration,
};

use base64::{
    Engine, alphabet,
    engine::{
        DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::URL_SAFE_NO_PAD,
    },
};
use futures_util::FutureExt;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use smallvec::SmallVec;
use subtle::ConstantTimeEq;

use crate::{
    JwtError,
    cache::TokenCache,
    claims::{self, Clock, TokenKind, numeric_date},
    config::ConfigError,
    json,
    keyloader::{DecodeKeys, LoaderError},
    keyring::{Key, KeyRing, LoadedKey},
    members::{ClaimMembers, HeaderMembers, check_header, is_at_jwt},
    token::{DecodedToken, Registered, Rejection},
};

/// The builder's verification options.
#[derive(Debug, Clone)]
pub(crate) struct VerifyOptions {
    pub(crate) leeway: std::time::Duration,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) issuer: Option<String>,
    pub(crate) verify_sub: bool,
    pub(crate) identity_claim: String,
    pub(crate) token_cache: usize,
    pub(crate) clock: Clock,
    pub(crate) key_loader: Option<DecodeKeys>,
    pub(crate) require_at_jwt: bool,
    pub(crate) require_exp: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            leeway: std::time::Duration::ZERO,
            audience: None,
            issuer: None,
            verify_sub: true,
            identity_claim: claims::SUB.to_owned(),
            token_cache: 4096,
            clock: Clock::default(),
            key_loader: None,
            require_at_jwt: false,
            require_exp: false,
        }
    }
}

/// Everything verification needs, prepared once when the manager is built.
#[derive(Debug)]
pub(crate) struct Verifier {
    /// Every verifying key; each is used only with its own algorithm.
    pub(crate) keys: KeyRing,
    identity_claim: String,
    /// Seconds of clock skew allowed on `iat`, `nbf` and `exp`.
    leeway: f64,
    /// Checked only when configured, as Flask-JWT-Extended does.
    audience: Option<Vec<String>>,
    issuer: Option<Vec<String>>,
    verify_sub: bool,
    /// Tokens that passed every check, served again until they expire.
    pub(crate) cache: Option<TokenCache>,
    clock: Clock,
    /// The application's choice of key per token; `None`: the key ring's.
    loader: Option<DecodeKeys>,
    /// Only RFC 9068 access tokens (`typ: at+jwt`).
    require_at_jwt: bool,
    /// A token without `exp` is refused (OAuth access tokens always have
    /// one; Flask-JWT-Extended may mint tokens that never expire).
    require_exp: bool,
}

impl Verifier {
    pub(crate) fn new(keys: KeyRing, options: VerifyOptions) -> Result<Self, ConfigError> {
        if options.identity_claim.is_empty() {
            return Err(ConfigError::EmptyName("the identity claim"));
        }
        // Another claim under the same name would overwrite the identity.
        let name = options.identity_claim.as_str();
        if name != claims::SUB
            && (claims::RESERVED.contains(&name) || [claims::AUD, claims::ISS].contains(&name))
        {
            return Err(ConfigError::InvalidOption(format!(
                "the identity claim {name:?} is a registered claim the crate writes itself; choose another name"
            )));
        }
        if claims::date_after(claims::now(), options.leeway).is_none() {
            return Err(ConfigError::OutOfRange(format!(
                "a leeway of {:?} reaches past the year 9999",
                options.leeway
            )));
        }
        Ok(Self {
            keys,
            identity_claim: options.identity_claim,
            leeway: options.leeway.as_secs_f64(),
            audience: options.audience,
            issuer: options.issuer.map(|issuer| vec![issuer]),
            verify_sub: options.verify_sub,
            // A loader's keys can change (a tenant's key rotated or
            // withdrawn): every token is verified with its key of the moment.
            cache: match options.key_loader {
                None => TokenCache::new(options.token_cache),
                Some(_) => None,
            },
            clock: options.clock,
            loader: options.key_loader,
            require_at_jwt: options.require_at_jwt,
            require_exp: options.require_exp,
        })
    }

    /// When a token that expires at `exp` stops being accepted: `exp` plus
    /// the leeway, rounded up to whole seconds; `None` for never.
    pub(crate) fn accepted_until(&self, exp: Option<i64>) -> Option<i64> {
        exp.map(|exp| exp.saturating_add(self.leeway.ceil() as i64))
    }

    /// Verifies `token`; `csrf` is the double submit value sent beside a token
    /// from a cookie, compared with its `csrf` claim. With an asynchronous
    /// decode key loader, see [`verify_async`](Self::verify_async).
    pub(crate) fn verify(
        &self,
        token: &[u8],
        csrf: Option<&[u8]>,
    ) -> Result<DecodedToken, Rejection> {
        self.verify_at(token, csrf, self.clock.now())
    }

    /// [`verify`](Self::verify), with the clock read by the caller: a cached
    /// token is served only before its end, at `now`.
    pub(crate) fn verify_at(
        &self,
        token: &[u8],
        csrf: Option<&[u8]>,
        now: Duration,
    ) -> Result<DecodedToken, Rejection> {
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get(token, now.as_secs_f64())
        {
            check_csrf(hit.csrf(), csrf)?;
            return Ok(hit);
        }
        let verified = self.verify_uncached(token, csrf, false)?;
        if let Some(cache) = &self.cache {
            let valid_until = verified
                .expires_at()
                .map_or(f64::INFINITY, |exp| exp as f64 + self.leeway);
            cache.insert(token, verified.clone(), valid_until);
        }
        Ok(verified)
    }

    /// Whether verification waits for an asynchronous decode key loader:
    /// then only [`verify_async`](Self::verify_async) can verify.
    pub(crate) fn waits_for_keys(&self) -> bool {
        matches!(self.loader, Some(DecodeKeys::Later(_)))
    }

    /// [`verify`](Self::verify) (or, with `allow_expired`,
    /// [`verify_allowing_expired`](Self::verify_allowing_expired)) that can
    /// wait for an asynchronous decode key loader.
    pub(crate) async fn verify_async(
        &self,
        token: &[u8],
        csrf: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Rejection> {
        let Some(DecodeKeys::Later(loader)) = &self.loader else {
            return match allow_expired {
                false => self.verify(token, csrf),
                true => self.verify_uncached(token, csrf, true),
            };
        };
        let parsed = self.parse(token)?;
        let (header, claims) = parsed.objects();
        let loaded = AssertUnwindSafe(loader.load(&header, &claims))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(LoaderError::Failed("it panicked".to_owned())));
        let key = loaded.map_err(JwtError::from)?;
        self.finish(parsed, key.as_ref(), csrf, allow_expired)
    }

    /// The clock tokens are checked by.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The claim that holds the identity.
    pub(crate) fn identity_claim(&self) -> &str {
        &self.identity_claim
    }

    /// Verifies `token` with every check but its expiry (Flask's
    /// `decode_token(token, allow_expired=True)`).
    pub(crate) fn verify_allowing_expired(&self, token: &[u8]) -> Result<DecodedToken, Rejection> {
        self.verify_uncached(token, None, true)
    }

    /// Reads `token` with every check but its signature and expiry, for the
    /// cookie setters when the keys are an asynchronous loader's: the token
    /// is the application's own, verified when it comes back.
    pub(crate) fn read_unverified(&self, token: &[u8]) -> Result<DecodedToken, Rejection> {
        let parsed = self.parse(token)?;
        self.validate(parsed, None, true)
    }

    fn verify_uncached(
        &self,
        token: &[u8],
        csrf: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Rejection> {
        let parsed = self.parse(token)?;
        let key = match &self.loader {
            None => None,
            Some(DecodeKeys::Now(loader)) => {
                let (header, claims) = parsed.objects();
                catch_unwind(AssertUnwindSafe(|| loader(&header, &claims)))
                    .unwrap_or_else(|_| Err("it panicked".to_owned()))
                    .map_err(loader_failed)?
            }
            Some(DecodeKeys::Later(_)) => {
                return Err(JwtError::Misconfigured(
                    "the decode key loader is asynchronous, and this call cannot wait for it: \
                     use JwtManager::decode_token_async (or register a closure with \
                     JwtManagerBuilder::decode_key_loader)",
                )
                .into());
            }
        };
        self.finish(parsed, key.as_ref(), csrf, allow_expired)
    }

    /// Everything PyJWT checks before it needs the key: segments, base64,
    /// the header and payload JSON, and the algorithm allow-list.
    fn parse<'t>(&self, token: &'t [u8]) -> Result<Parsed<'t>, Rejection> {
        let (signing_input, signature) =
            rsplit_once(token, b'.').ok_or_else(|| malformed("Not enough segments"))?;
        let (header, payload) =
            split_once(signing_input, b'.').ok_or_else(|| malformed("Not enough segments"))?;

        let header_json = b64(header).ok_or_else(|| malformed("Invalid header padding"))?;
        let header = HeaderMembers::read(&header_json)
            .map_err(|e| JwtError::Malformed(format!("Invalid header string: {e}").into()))?
            .ok_or_else(|| malformed("Invalid header string: must be a json object"))?;
        // RFC 7797 unencoded payloads are not supported; reject them as PyJWT does.
        let unencoded = header.b64 == Some(Value::Bool(false));
        if unencoded && !payload.is_empty() {
            return Err(malformed("Payload segment must be empty when 'b64' is false.").into());
        }
        let claims_json = b64(payload).ok_or_else(|| malformed("Invalid payload padding"))?;
        // Checked here for PyJWT's order of messages. Signatures are at most
        // 512 bytes (RSA-4096); a longer one is valid base64 that no key
        // signed, reported when the signature is checked.
        let mut raw = SmallVec::new();
        raw.resize(base64::decoded_len_estimate(signature.len()).min(1024), 0);
        let raw = match B64.decode_slice(signature, &mut raw) {
            Ok(length) if complete_padding(signature) => {
                raw.truncate(length);
                Some(raw)
            }
            Err(base64::DecodeSliceError::OutputSliceTooSmall) if complete_padding(signature) => {
                None
            }
            _ => return Err(malformed("Invalid crypto padding").into()),
        };
        check_header(&header, unencoded)?;

        // Flask-JWT-Extended reads the payload before it checks the signature.
        let claims = ClaimMembers::read(&claims_json, &self.identity_claim)
            .map_err(|e| JwtError::Malformed(format!("Invalid payload string: {e}").into()))?
            .ok_or_else(|| malformed("Invalid payload string: must be a json object"))?;
        let algorithm = self.keys.allowed_algorithm(header.alg.as_ref())?;
        if self.require_at_jwt && !is_at_jwt(header.typ.as_ref()) {
            return Err(malformed("Invalid token type: the header's typ must be at+jwt").into());
        }
        Ok(Parsed {
            signing_input,
            signature,
            raw,
            header_json,
            claims_json,
            header,
            claims,
            algorithm,
        })
    }

    /// The signature, with `loaded` (a key loader's key) or the key ring's
    /// key for the token, then the claims.
    fn finish(
        &self,
        parsed: Parsed<'_>,
        loaded: Option<&Key>,
        csrf: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Rejection> {
        let algorithm = parsed.algorithm;
        let key = match loaded {
            None => self.keys.key_for(parsed.header.kid.as_ref(), algorithm)?,
            Some(key) => match self.keys.check_loaded(key, algorithm) {
                Ok(()) => key,
                Err(LoadedKey::WrongAlgorithm) => return Err(JwtError::AlgorithmNotAllowed.into()),
                Err(LoadedKey::Unfit(why)) => return Err(loader_failed(why).into()),
            },
        };
        let raw = parsed.raw.as_deref().ok_or(JwtError::InvalidSignature)?;
        let prepared = key
            .hmac()
            .and_then(|hmac| hmac.verify(algorithm, parsed.signing_input, raw));
        let valid = match prepared {
            Some(valid) => valid,
            None => {
                // jsonwebtoken reads the signature unpadded; PyJWT also takes
                // it with its padding, the same bytes.
                let unpadded;
                let signature = match std::str::from_utf8(parsed.signature) {
                    Ok(text) if !text.ends_with('=') => text,
                    _ => {
                        unpadded = URL_SAFE_NO_PAD.encode(raw);
                        unpadded.as_str()
                    }
                };
                let decoding = &key.decoding;
                jsonwebtoken::crypto::verify(signature, parsed.signing_input, decoding, algorithm)
                    .unwrap_or(false)
            }
        };
        if !valid {
            return Err(JwtError::InvalidSignature.into());
        }
        self.validate(parsed, csrf, allow_expired)
    }

    /// The claims, in Flask-JWT-Extended's order, once the signature holds.
    fn validate(
        &self,
        parsed: Parsed<'_>,
        csrf: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Rejection> {
        let Parsed {
            header_json,
            claims_json,
            mut claims,
            algorithm,
            ..
        } = parsed;
        // Flask-JWT-Extended decodes an expired token again without the `exp`
        // check, so later claim errors win over "expired".
        let expired = self.validate_registered_claims(&claims)?;
        let identity = match claims.take_identity(&self.identity_claim) {
            None => return Err(JwtError::MissingClaim(self.identity_claim.clone()).into()),
            Some(Value::String(identity)) => identity.into_boxed_str(),
            Some(other) => other.to_string().into_boxed_str(),
        };
        // Flask-JWT-Extended checks it before reporting an expired token.
        check_csrf(claims.csrf.as_ref(), csrf)?;
        // Explicit typing (RFC 8725 section 3.11): a `type` other than the
        // two Flask writes (or none, an access token) is refused, after
        // "expired" as Flask would report that first.
        let kind = TokenKind::of(claims.kind.as_ref());
        let token = kind.map(|kind| {
            let whole_seconds = |date: &Option<Value>| date.as_ref().and_then(numeric_date);
            let registered = Registered {
                expires_at: whole_seconds(&claims.exp).map(|t| t as i64),
                issued_at: whole_seconds(&claims.iat).map(|t| t as i64),
                jti: claims.jti,
                family: claims.family,
                fresh: claims.fresh,
                csrf: claims.csrf,
            };
            DecodedToken::new(
                header_json,
                claims_json,
                registered,
                identity,
                kind,
                algorithm,
            )
        });
        match (expired && !allow_expired, token) {
            (true, Some(token)) => Err(Rejection::with_token(JwtError::Expired, token)),
            (true, None) => Err(JwtError::Expired.into()),
            (false, Some(token)) => Ok(token),
            (false, None) => Err(invalid_claim(
                "Invalid token type: \"type\" must be \"access\" or \"refresh\"",
            )
            .into()),
        }
    }

    /// PyJWT's `_validate_claims` with Flask-JWT-Extended's options. Returns
    /// whether the token has expired, which Flask reports after the other claims.
    fn validate_registered_claims(&self, payload: &ClaimMembers) -> Result<bool, JwtError> {
        let (now, leeway) = (self.clock.now().as_secs_f64(), self.leeway);
        if let Some(iat) = &payload.iat {
            let iat = numeric_date(iat)
                .ok_or_else(|| invalid_claim("Issued At claim (iat) must be an integer."))?;
            if iat > now + leeway {
                return Err(JwtError::NotYetValid(claims::IAT));
            }
        }
        if let Some(nbf) = &payload.nbf {
            let nbf = numeric_date(nbf)
                .ok_or_else(|| invalid_claim("Not Before claim (nbf) must be an integer."))?;
            if nbf > now + leeway {
                return Err(JwtError::NotYetValid(claims::NBF));
            }
        }
        let expired = match &payload.exp {
            None if self.require_exp => {
                return Err(invalid_claim("Token is missing the \"exp\" claim"));
            }
            None => false,
            Some(exp) => {
                let exp = numeric_date(exp).ok_or_else(|| {
                    invalid_claim("Expiration Time claim (exp) must be an integer.")
                })?;
                exp <= now - leeway
            }
        };
        if let Some(issuers) = &self.issuer {
            match &payload.iss {
                None => return Err(invalid_claim("Token is missing the \"iss\" claim")),
                Some(Value::String(iss)) if issuers.contains(iss) => {}
                Some(Value::String(_)) => return Err(invalid_claim("Invalid issuer")),
                Some(_) => return Err(invalid_claim("Payload Issuer (iss) must be a string")),
            }
        }
        if let Some(audiences) = &self.audience {
            check_audience(payload.aud.as_ref(), audiences)?;
        }
        if self.verify_sub && payload.sub.as_ref().is_some_and(|sub| !sub.is_string()) {
            return Err(invalid_claim("Subject must be a string"));
        }
        if payload.jti.as_ref().is_some_and(|jti| !jti.is_string()) {
            return Err(invalid_claim("JWT ID must be a string"));
        }
        Ok(expired)
    }
}

/// A token taken apart, checked up to the point where the key is needed.
struct Parsed<'t> {
    signing_input: &'t [u8],
    signature: &'t [u8],
    /// The decoded signature (inline up to HMAC's 64 bytes); `None` when it
    /// is longer than any key signs.
    raw: Option<SmallVec<[u8; 64]>>,
    header_json: Vec<u8>,
    claims_json: Vec<u8>,
    header: HeaderMembers,
    claims: ClaimMembers,
    algorithm: Algorithm,
}

impl Parsed<'_> {
    /// The whole header and payload, for a decode key loader.
    fn objects(&self) -> (Map<String, Value>, Map<String, Value>) {
        (
            json::object(&self.header_json),
            json::object(&self.claims_json),
        )
    }
}

/// A decode key loader failed, panicked, or gave a key unfit for use.
fn loader_failed(cause: String) -> JwtError {
    LoaderError::Failed(cause).into()
}

/// The CSRF double submit check: the value sent beside a cookie token must
/// equal its `csrf` claim, compared in constant time.
fn check_csrf(claim: Option<&Value>, sent: Option<&[u8]>) -> Result<(), JwtError> {
    let Some(sent) = sent else { return Ok(()) };
    match claim {
        None => Err(JwtError::MissingClaim(claims::CSRF.into())),
        Some(Value::String(claim)) if bool::from(claim.as_bytes().ct_eq(sent)) => Ok(()),
        Some(_) => Err(JwtError::CsrfMismatch),
    }
}

/// PyJWT's `_validate_aud` (not strict): `aud` is a string or a list of
/// strings, and one of them must be a configured audience.
fn check_audience(aud: Option<&Value>, audiences: &[String]) -> Result<(), JwtError> {
    let present = match aud {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(list)) => !list.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Bool(true)) => true,
    };
    if !present {
        return Err(invalid_claim("Token is missing the \"aud\" claim"));
    }
    let claimed: Vec<&str> = match aud {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(list)) => list
            .iter()
            .map(Value::as_str)
            .collect::<Option<_>>()
            .ok_or_else(|| invalid_claim("Invalid claim format in token"))?,
        _ => return Err(invalid_claim("Invalid claim format in token")),
    };
    if audiences
        .iter()
        .any(|audience| claimed.contains(&audience.as_str()))
    {
        Ok(())
    } else {
        Err(invalid_claim("Audience doesn't match"))
    }
}

fn malformed(message: &'static str) -> JwtError {
    JwtError::Malformed(Cow::Borrowed(message))
}

fn invalid_claim(message: &'static str) -> JwtError {
    JwtError::InvalidClaim(Cow::Borrowed(message))
}

/// Base64url as PyJWT reads it: the URL-safe alphabet only, canonical trailing
/// bits, and padding either absent or complete (the segment's length a
/// multiple of 4); `complete_padding` checks the last.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `Indifferent` also takes part of the padding (`xx=` for `xx==`); PyJWT
/// does not.
fn complete_padding(segment: &[u8]) -> bool {
    !segment.ends_with(b"=") || segment.len().is_multiple_of(4)
}

fn b64(segment: &[u8]) -> Option<Vec<u8>> {
    complete_padding(segment)
        .then(|| B64.decode(segment).ok())
        .flatten()
}

fn split_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|b| *b == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

fn rsplit_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().rposition(|b| *b == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_token_is_cached_until_exp_plus_leeway() {
        let secret = b"a-secret-of-thirty-two-bytes-or-more";
        let keys = KeyRing::new(crate::keyring::KeySource {
            secret: crate::config::Secret(secret.to_vec()),
            ..Default::default()
        })
        .unwrap();
        let verifier = Verifier::new(
            keys,
            VerifyOptions {
                leeway: std::time::Duration::from_secs(5),
                ..VerifyOptions::default()
            },
        )
        .unwrap();
        let now = claims::now();
        let exp = now.as_secs() + 60;
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({ "sub": "alice", "type": "access", "iat": now.as_secs(), "exp": exp }),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap();
        verifier.verify_at(token.as_bytes(), None, now).unwrap();
        // Served from the cache through the whole leeway window, and not a
        // millisecond longer.
        let cache = verifier.cache.as_ref().unwrap();
        assert!(cache.get(token.as_bytes(), exp as f64 + 4.999).is_some());
        assert!(cache.get(token.as_bytes(), exp as f64 + 5.0).is_none());
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

    #[test]
    fn audience_rules_follow_pyjwt() {
        let configured = ["api".to_owned(), "web".to_owned()];
        let check = |aud: Value| check_audience(Some(&aud), &configured).map_err(|e| e.to_string());
        assert_eq!(check(serde_json::json!("api")), Ok(()));
        assert_eq!(check(serde_json::json!(["x", "web"])), Ok(()));
        assert_eq!(
            check(serde_json::json!("x")),
            Err("Audience doesn't match".into())
        );
        assert_eq!(
            check(serde_json::json!([1])),
            Err("Invalid claim format in token".into())
        );
        assert_eq!(
            check(serde_json::json!(7)),
            Err("Invalid claim format in token".into())
        );
        for missing in [
            serde_json::json!(""),
            serde_json::json!([]),
            serde_json::json!(null),
        ] {
            assert_eq!(
                check(missing),
                Err("Token is missing the \"aud\" claim".into())
            );
        }
    }
}
