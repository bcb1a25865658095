//! [`JwtManagerBuilder`]: every option, grouped by the part of the manager it
//! configures; `build()` validates each part once, at start-up.

use std::{sync::Arc, time::Duration};

use actix_web::HttpResponse;
use serde_json::{Map, Value};

use crate::{
    JwtError,
    config::{
        Algorithm, ConfigError, CookieConfig, ErrorFormat, Expiry, Hook, Secret, TokenLocation,
    },
    hooks::{ErrorOptions, Hooks, Renderer, UserLoader},
    issue::{IssueOptions, Issuer},
    keyloader::{DecodeKeyLoader, DecodeKeys},
    keyring::{Key, KeyRing, KeySource},
    locations::{LocationConfig, LocationOptions},
    store::{SharedStore, TokenStore},
    token::DecodedToken,
    verify::{Verifier, VerifyOptions},
};

/// Builds a [`JwtManager`](crate::JwtManager); every option defaults to
/// Flask-JWT-Extended's.
///
/// Only the secret is required. Mistakes are reported by
/// [`build`](Self::build) at start-up, never per request.
/// [`FlaskConfig`](crate::config::FlaskConfig) fills one from Flask's `JWT_*`
/// option names.
#[derive(Debug, Default)]
#[must_use = "call `build()` to get a JwtManager"]
pub struct JwtManagerBuilder {
    pub(crate) keys: KeySource,
    pub(crate) issue: IssueOptions,
    pub(crate) verify: VerifyOptions,
    pub(crate) locations: LocationOptions,
    pub(crate) hooks: Hooks,
    pub(crate) errors: ErrorOptions,
    pub(crate) store: Option<SharedStore>,
    /// How long a rotated refresh token may be presented again.
    pub(crate) reuse_interval: Duration,
}

/// The longest reuse interval a manager accepts.
const MAX_REUSE_INTERVAL: Duration = Duration::from_secs(3600);

/// A built manager's configuration, frozen: what `JwtManager` shares.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) issuer: Issuer,
    pub(crate) verifier: Verifier,
    pub(crate) locations: LocationConfig,
    pub(crate) hooks: Hooks,
    pub(crate) renderer: Renderer,
    pub(crate) store: Option<SharedStore>,
    pub(crate) reuse_interval: Duration,
}

impl JwtManagerBuilder {
    /// The HMAC secret that signs and verifies tokens (Flask's `JWT_SECRET_KEY`).
    /// It must be at least as long as the hash output (RFC 7518 section 3.2):
    /// 32 bytes for HS256, 48 for HS384, 64 for HS512; a shorter one fails
    /// at [`build`](Self::build) unless
    /// [`allow_short_secret`](Self::allow_short_secret). Required: there is no
    /// default.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.keys.secret = Secret(secret.as_ref().to_vec());
        self
    }

    /// Accepts HMAC secrets shorter than RFC 7518 asks for (such as the
    /// Flask guide's `"super-secret"`), with a warning logged at build: for
    /// tests, examples, and a migration that must keep verifying tokens
    /// signed with an old short secret. Never for a new deployment: a short
    /// secret can be brute-forced from one token. Defaults to refusing them.
    pub fn allow_short_secret(mut self) -> Self {
        self.keys.allow_short_secret = true;
        self
    }

    /// The signing algorithm (Flask's `JWT_ALGORITHM`): `HS256`, `HS384` or
    /// `HS512` with [`secret`](Self::secret); `RS*`, `PS*`, `ES256`, `ES384`
    /// or `EdDSA` with [`private_key`](Self::private_key) /
    /// [`public_key`](Self::public_key). Defaults to `HS256`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.keys.algorithm = algorithm;
        self
    }

    /// The PEM private key for an asymmetric [`algorithm`](Self::algorithm)
    /// (Flask's `JWT_PRIVATE_KEY`); its public half verifies. Defaults to none.
    pub fn private_key(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.keys.private_key = Some(Secret(pem.as_ref().to_vec()));
        self
    }

    /// The PEM public key (Flask's `JWT_PUBLIC_KEY`): alone, a verify-only
    /// manager; with a private key, it must be that key's other half.
    /// Defaults to none.
    pub fn public_key(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.keys.public_key = Some(pem.as_ref().to_vec());
        self
    }

    /// The key that signs new tokens, usually with a `kid` (a key ring). It
    /// takes precedence over [`secret`](Self::secret) and
    /// [`private_key`](Self::private_key) and verifies too.
    pub fn signing_key(mut self, key: Key) -> Self {
        self.keys.signing_key = Some(key);
        self
    }

    /// Another key that verifies tokens: the previous signing key during a
    /// rotation, or another service's public key. Call once per key.
    pub fn verification_key(mut self, key: Key) -> Self {
        self.keys.verification_keys.push(key);
        self
    }

    /// Verifying keys from a JWK Set document: a verify-only service that
    /// trusts another's `/.well-known/jwks.json`.
    pub fn verification_jwks(mut self, document: &str) -> Result<Self, ConfigError> {
        self.keys
            .verification_keys
            .extend(Key::from_jwks(document)?);
        Ok(self)
    }

    /// Verify-only mode behind an OpenID provider (feature `oidc`): its
    /// access tokens, with keys from its discovery document or JWKS URL (see
    /// [`oidc`](crate::oidc)). Sets the decode issuer and audience, the
    /// asymmetric decode algorithms (RS, PS, ES, EdDSA), the leeway, RFC
    /// 9068 typing when asked, a required `exp`, and RFC 6750 error
    /// responses; later builder calls may change any of them but the
    /// required `exp`. Fails without an issuer or an audience.
    #[cfg(feature = "oidc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
    pub fn oidc(mut self, provider: crate::oidc::OidcProvider) -> Result<Self, ConfigError> {
        if provider.issuer.is_empty() {
            return Err(ConfigError::EmptyName("the OpenID provider's issuer"));
        }
        if provider.audience.is_empty() {
            return Err(ConfigError::EmptyName(
                "the audience of the API (OidcProvider::audience)",
            ));
        }
        self.verify.issuer = Some(provider.issuer.clone());
        self.verify.audience = Some(provider.audience.clone());
        self.verify.require_at_jwt = provider.require_at_jwt;
        // RFC 9068 section 2.2: an access token always expires.
        self.verify.require_exp = true;
        self.verify.leeway = provider.leeway;
        self.verify.key_loader = Some(DecodeKeys::Later(Hook(provider.remote_keys())));
        self.keys.decode_algorithms = Some(vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ]);
        self.errors.format = ErrorFormat::Rfc6750;
        Ok(self)
    }

    /// The algorithms a token may name to be verified (Flask's
    /// `JWT_DECODE_ALGORITHMS`); the token's `alg` never chooses anything else.
    /// Defaults to the signing algorithm alone.
    pub fn decode_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.keys.decode_algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Lifetime of access tokens (Flask's `JWT_ACCESS_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 15 minutes.
    pub fn access_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.issue.access_expires = expires.into();
        self
    }

    /// Lifetime of refresh tokens (Flask's `JWT_REFRESH_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 30 days.
    pub fn refresh_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.issue.refresh_expires = expires.into();
        self
    }

    /// The longest lifetime any token may be minted with, per-token
    /// [`expires`](crate::token::TokenBuilder::expires) included: "log out
    /// everywhere" and family revocations last this long (plus the leeway),
    /// so no token they cover outlives them. A token builder asked for a
    /// longer lifetime fails. At least the access and refresh lifetimes;
    /// [`Expiry::Never`] keeps those revocations for good. Defaults to the
    /// longer of the two lifetimes.
    pub fn max_token_lifetime(mut self, lifetime: impl Into<Expiry>) -> Self {
        self.issue.max_lifetime = Some(lifetime.into());
        self
    }

    /// Clock skew allowed when checking `exp`, `nbf` and `iat` (Flask's
    /// `JWT_DECODE_LEEWAY`). Defaults to zero.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.verify.leeway = leeway;
        self
    }

    /// The `aud` claim written into new tokens (Flask's `JWT_ENCODE_AUDIENCE`):
    /// one value is written as a string, several as a list. Defaults to none.
    pub fn encode_audience(
        mut self,
        audience: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.issue.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// The audiences a token must name in `aud` to be accepted (Flask's
    /// `JWT_DECODE_AUDIENCE`). Defaults to none: `aud` is then not checked, as
    /// in Flask-JWT-Extended.
    pub fn decode_audience(
        mut self,
        audience: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.verify.audience = Some(audience.into_iter().map(Into::into).collect());
        self
    }

    /// The `iss` claim written into new tokens (Flask's `JWT_ENCODE_ISSUER`).
    /// Defaults to none.
    pub fn encode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issue.issuer = Some(issuer.into());
        self
    }

    /// The issuer a token's `iss` must equal (Flask's `JWT_DECODE_ISSUER`).
    /// Defaults to none: `iss` is not checked.
    pub fn decode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.verify.issuer = Some(issuer.into());
        self
    }

    /// Whether new tokens carry `nbf` (Flask's `JWT_ENCODE_NBF`). A token's
    /// `nbf` is always checked when present. Defaults to `true`.
    pub fn encode_nbf(mut self, encode: bool) -> Self {
        self.issue.nbf = encode;
        self
    }

    /// Whether a `sub` that is not a string is refused (Flask's
    /// `JWT_VERIFY_SUB`). Defaults to `true`.
    pub fn verify_sub(mut self, verify: bool) -> Self {
        self.verify.verify_sub = verify;
        self
    }

    /// The request header that carries the token (Flask's `JWT_HEADER_NAME`).
    /// Defaults to `Authorization`.
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.locations.header_name = name.into();
        self
    }

    /// The word before the token in that header (Flask's `JWT_HEADER_TYPE`),
    /// matched case-sensitively against the header read as Latin-1, as Flask
    /// reads it; an empty type means the header holds the bare token.
    /// Defaults to `Bearer`. A type with whitespace, a comma or a character
    /// beyond Latin-1 fails the build: it could never match.
    pub fn header_type(mut self, header_type: impl Into<String>) -> Self {
        self.locations.header_type = header_type.into();
        self
    }

    /// Where tokens are read from, in order (Flask's `JWT_TOKEN_LOCATION`); a
    /// guard may choose its own with `JwtRequired::locations`. Defaults to
    /// headers only.
    pub fn token_location(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations.locations = locations.into_iter().collect();
        self
    }

    /// Cookie and CSRF settings. Defaults to Flask's, but `Secure` and
    /// `SameSite=Lax` (see [`CookieConfig`](crate::config::CookieConfig)).
    pub fn cookies(mut self, cookies: CookieConfig) -> Self {
        self.locations.cookies = cookies;
        self
    }

    /// The JSON body keys of access and refresh tokens (Flask's `JWT_JSON_KEY`,
    /// `JWT_REFRESH_JSON_KEY`). Defaults to `access_token` and `refresh_token`.
    pub fn json_keys(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.locations.json_key = access.into();
        self.locations.refresh_json_key = refresh.into();
        self
    }

    /// The query string parameter (Flask's `JWT_QUERY_STRING_NAME`). Defaults
    /// to `jwt`. Tokens in URLs end up in logs and browser history: prefer
    /// headers or cookies.
    pub fn query_string_name(mut self, name: impl Into<String>) -> Self {
        self.locations.query_string_name = name.into();
        self
    }

    /// A prefix the query parameter's value must start with, such as `Bearer `
    /// (Flask's `JWT_QUERY_STRING_VALUE_PREFIX`). Defaults to none.
    pub fn query_string_value_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.locations.query_string_value_prefix = prefix.into();
        self
    }

    /// The subprotocol that marks the token in the `Sec-WebSocket-Protocol`
    /// header of a WebSocket handshake
    /// ([`TokenLocation::WebSocketProtocol`]): a browser offers
    /// `new WebSocket(url, [marker, token])`, the token is the entry after
    /// the marker, and the 101 response selects the marker, never the token.
    /// Compared case-sensitively; `build()` refuses a marker that is not an
    /// HTTP token. Defaults to `bearer`.
    pub fn websocket_protocol(mut self, marker: impl Into<String>) -> Self {
        self.locations.websocket_protocol = marker.into();
        self
    }

    /// The largest request body a guard buffers to read a token (JSON location)
    /// or a CSRF form field from; larger bodies get 413. Defaults to 1 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.locations.body_limit = bytes;
        self
    }

    /// How long a guard waits for the whole body when it must read one (the
    /// JSON location, a CSRF form field); a slower body gets 408, so stalled
    /// clients cannot hold buffers open. Defaults to 5 seconds.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.locations.body_timeout = timeout;
        self
    }

    /// Dates and checks tokens by `clock`, which a test moves forward to
    /// expire tokens or end their freshness without sleeping (feature
    /// `test-util`). Defaults to the system clock.
    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn clock(mut self, clock: &crate::claims::TestClock) -> Self {
        self.issue.clock = clock.clock();
        self.verify.clock = clock.clock();
        self
    }

    /// How many verified tokens to remember, so a client that sends the same
    /// token again skips the signature and claim checks (0 turns the cache
    /// off). An entry is keyed by the token's full bytes and served only until
    /// the token expires; type, freshness, CSRF, revocation and hooks still
    /// run on every request. Tokens over 4 KiB are not cached. Memory stays
    /// within this many entries. Defaults to 4096.
    pub fn token_cache(mut self, entries: usize) -> Self {
        self.verify.token_cache = entries;
        self
    }

    /// The claim that holds the identity (Flask's `JWT_IDENTITY_CLAIM`); a
    /// registered claim the crate writes itself (`exp`, `type`, `jti`, ...)
    /// fails at [`build`](Self::build). Defaults to `sub`.
    pub fn identity_claim(mut self, claim: impl Into<String>) -> Self {
        self.verify.identity_claim = claim.into();
        self
    }

    /// The key of the message in error bodies (Flask's `JWT_ERROR_MESSAGE_KEY`).
    /// Defaults to `msg`.
    pub fn error_message_key(mut self, key: impl Into<String>) -> Self {
        self.errors.message_key = key.into();
        self
    }

    /// Flask-JWT-Extended's error statuses, or RFC 6750 bearer-token errors
    /// with `WWW-Authenticate`. Defaults to [`ErrorFormat::Flask`].
    pub fn error_format(mut self, format: ErrorFormat) -> Self {
        self.errors.format = format;
        self
    }

    /// Turns the identity given to `create_*_token` (serialized to JSON) into
    /// the `sub` string (Flask's `user_identity_loader`). Defaults to strings as
    /// they are and numbers as their decimal text; other values are an error.
    pub fn identity_loader(
        mut self,
        hook: impl Fn(&Value) -> String + Send + Sync + 'static,
    ) -> Self {
        self.issue.identity = Some(Hook(Arc::new(hook)));
        self
    }

    /// Claims added to every new token, from the identity given to
    /// `create_*_token` (Flask's `additional_claims_loader`). Must return a JSON
    /// object; a token's own [`claim`](crate::token::TokenBuilder::claim)s override it.
    /// Reserved claims are refused as for the token builder. Defaults to none.
    pub fn additional_claims_loader(
        mut self,
        hook: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.issue.claims = Some(Hook(Arc::new(hook)));
        self
    }

    /// Header fields added to every new token (Flask's
    /// `additional_headers_loader`). Must return a JSON object; `alg`, and a
    /// `crit` or `b64` verification would refuse, fail the creation
    /// ([`JwtError::Creation`]), as with
    /// [`TokenBuilder::header`](crate::token::TokenBuilder::header). Defaults
    /// to none.
    pub fn additional_headers_loader(
        mut self,
        hook: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.issue.headers = Some(Hook(Arc::new(hook)));
        self
    }

    /// Chooses the key that signs each new token from the identity given to
    /// `create_*_token` (Flask's `encode_key_loader`): one key per tenant,
    /// for example. `Ok(None)` signs with the manager's key; an error or a
    /// panic fails the creation ([`JwtError::Creation`], 500). The key must
    /// sign the manager's [`algorithm`](Self::algorithm) (a secret: any HMAC
    /// one), and a secret must be as long as [`secret`](Self::secret)
    /// requires; its `kid` goes into the header. Every token the manager
    /// mints uses it: the `create_*` methods, pairs, rotation, implicit
    /// refresh. For a key that must be awaited (a database), await it in the
    /// handler and pass it with
    /// [`TokenBuilder::signing_key`](crate::token::TokenBuilder::signing_key)
    /// or [`PairOptions::signing_key`](crate::manager::PairOptions::signing_key).
    /// Pair it with a decode key loader that finds the same key. Defaults to
    /// none: the manager's signing key.
    pub fn encode_key_loader<E: std::fmt::Display>(
        mut self,
        loader: impl Fn(&Value) -> Result<Option<Key>, E> + Send + Sync + 'static,
    ) -> Self {
        self.issue.key_loader = Some(Hook(Arc::new(move |identity: &Value| {
            loader(identity).map_err(|error| error.to_string())
        })));
        self
    }

    /// Chooses the key that verifies each token from its **unverified**
    /// header and claims (Flask's `decode_key_loader`), for keys that answer
    /// at once (a map in memory); see [`DecodeKeyLoader`] for what the
    /// answers mean and [`decode_key_loader_async`](Self::decode_key_loader_async)
    /// for keys that must be awaited. With a loader the manager needs no key
    /// of its own, and the verified-token cache is off, so that a key the
    /// loader withdraws stops its tokens at once. Defaults to none: the
    /// manager's keys.
    ///
    /// ```
    /// use actix_jwt_extended::{JwtManager, config::Algorithm, keys::Key};
    /// use serde_json::Value;
    /// use std::{collections::HashMap, convert::Infallible, sync::Arc};
    ///
    /// let tenants: Arc<HashMap<String, Key>> = Arc::new(HashMap::from([
    ///     ("acme".to_owned(), Key::secret(Algorithm::HS256, [7u8; 32])?),
    ///     ("initech".to_owned(), Key::secret(Algorithm::HS256, [9u8; 32])?),
    /// ]));
    /// let (signing, verifying) = (tenants.clone(), tenants);
    /// let jwt = JwtManager::builder()
    ///     .additional_claims_loader(|identity| {
    ///         let tenant = identity.as_str().and_then(|id| id.split('@').nth(1));
    ///         serde_json::json!({ "tenant": tenant })
    ///     })
    ///     .encode_key_loader(move |identity| {
    ///         let tenant = identity.as_str().and_then(|id| id.split('@').nth(1));
    ///         Ok::<_, Infallible>(tenant.and_then(|tenant| signing.get(tenant).cloned()))
    ///     })
    ///     .decode_key_loader(move |_header, claims| {
    ///         let tenant = claims.get("tenant").and_then(Value::as_str);
    ///         Ok::<_, Infallible>(tenant.and_then(|tenant| verifying.get(tenant).cloned()))
    ///     })
    ///     .build()?;
    /// let token = jwt.create_access_token("alice@acme")?;
    /// assert_eq!(jwt.decode_token(&token)?.claims()["tenant"], "acme");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_key_loader<E: std::fmt::Display>(
        mut self,
        loader: impl Fn(&Map<String, Value>, &Map<String, Value>) -> Result<Option<Key>, E>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.verify.key_loader = Some(DecodeKeys::Now(Hook(Arc::new(
            move |header: &Map<String, Value>, claims: &Map<String, Value>| {
                loader(header, claims).map_err(|error| error.to_string())
            },
        ))));
        self
    }

    /// [`decode_key_loader`](Self::decode_key_loader) for keys that must be
    /// awaited (a database, a key service): the guards and extractors wait
    /// for it, once per token per request. The calls that cannot wait
    /// answer [`JwtError::Misconfigured`]: use
    /// [`JwtManager::decode_token_async`](crate::JwtManager::decode_token_async)
    /// in place of `decode_token`; the cookie setters then read the token
    /// they are given without its signature (it is checked when it comes
    /// back). Defaults to none.
    pub fn decode_key_loader_async(mut self, loader: impl DecodeKeyLoader) -> Self {
        self.verify.key_loader = Some(DecodeKeys::Later(Hook(Arc::new(loader))));
        self
    }

    /// Accepts only RFC 9068 access tokens: the header's `typ` must be
    /// `at+jwt` (or `application/at+jwt`), so that an ID token or another
    /// JWT of the same provider is never taken for an access token. For a
    /// resource server whose provider types its access tokens so; tokens
    /// this crate or Flask-JWT-Extended mint say `typ: JWT`. Defaults to
    /// `false`.
    pub fn require_at_jwt(mut self, require: bool) -> Self {
        self.verify.require_at_jwt = require;
        self
    }

    /// Checks every verified token's claims before the handler runs (Flask's
    /// `token_verification_loader`): `false` rejects the request with 400
    /// `User claims verification failed`. Defaults to accepting all.
    pub fn verify_claims(
        mut self,
        hook: impl Fn(&DecodedToken) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.hooks.verify_claims = Some(Hook(Arc::new(hook)));
        self
    }

    /// Loads the user of every verified request once, for
    /// [`CurrentUser<U>`](crate::CurrentUser) (Flask's `user_lookup_loader`).
    /// Defaults to none.
    pub fn user_loader(mut self, loader: impl UserLoader) -> Self {
        self.hooks.user_loader = Some(Hook(Arc::new(loader)));
        self
    }

    /// Where revocations and rotation state live (Flask's
    /// `token_in_blocklist_loader`, built in): [`MemoryStore`](crate::store::MemoryStore)
    /// for one process, [`RedisStore`](crate::store) for many, or your own
    /// [`TokenStore`](crate::store::TokenStore). Every verified token is checked against it. Defaults to
    /// none: tokens cannot be revoked.
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.store = Some(SharedStore::new(store));
        self
    }

    /// How long after a rotation the replaced refresh token may be presented
    /// again to [`JwtManager::rotate_refresh_token`](crate::JwtManager::rotate_refresh_token)
    /// without counting as reuse (the "reuse interval" of identity
    /// providers): two tabs refreshing at once, or a client retrying after a
    /// lost response, then get a copy of the family's current refresh token
    /// instead of ending the session. The trade-off: within the interval, a
    /// thief who replays a token just rotated is not detected either. Keep it
    /// short (a few seconds); more than an hour fails at
    /// [`build`](Self::build). Defaults to zero: any reuse ends the session.
    pub fn refresh_reuse_interval(mut self, interval: Duration) -> Self {
        self.reuse_interval = interval;
        self
    }

    /// Called when a retired refresh token is presented to
    /// [`JwtManager::rotate_refresh_token`](crate::JwtManager::rotate_refresh_token) (a likely theft), after its family
    /// was revoked: alert the user, log the event. Defaults to none.
    pub fn on_refresh_reuse(
        mut self,
        hook: impl Fn(&DecodedToken) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.refresh_reuse = Some(Hook(Arc::new(hook)));
        self
    }

    /// Replaces the response for any error (Flask's `expired_token_loader`,
    /// `invalid_token_loader`, `unauthorized_loader`, `needs_fresh_token_loader`,
    /// `user_lookup_error_loader`, `token_verification_failed_loader`, ... in
    /// one place). It receives the error and, where one was verified, the token
    /// (for an expired token too); `None` keeps the default response.
    ///
    /// ```
    /// use actix_jwt_extended::{JwtError, JwtManager};
    /// use actix_web::HttpResponse;
    /// use serde_json::json;
    ///
    /// let jwt = JwtManager::builder()
    ///     .secret(b"change-me-to-a-long-random-secret")
    ///     .error_response(|error, _token| match error {
    ///         JwtError::Expired => Some(HttpResponse::Unauthorized().json(json!({
    ///             "code": "dave", "err": "I can't let you do that",
    ///         }))),
    ///         _ => None,
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_response(
        mut self,
        hook: impl Fn(&JwtError, Option<&DecodedToken>) -> Option<HttpResponse> + Send + Sync + 'static,
    ) -> Self {
        self.errors.hook = Some(Hook(Arc::new(hook)));
        self
    }

    /// Validates every part; `build()` wraps the result in a `JwtManager`.
    pub(crate) fn freeze(self) -> Result<Parts, ConfigError> {
        if self.reuse_interval > MAX_REUSE_INTERVAL {
            return Err(ConfigError::OutOfRange(format!(
                "the refresh reuse interval is {:?}; it must be at most an hour (a few seconds is enough)",
                self.reuse_interval
            )));
        }
        let algorithm = self.keys.algorithm;
        let mut source = self.keys;
        source.decode_loader = self.verify.key_loader.is_some();
        let keys = KeyRing::new(source)?;
        let locations = LocationConfig::new(self.locations)?;
        let issuer = Issuer::new(
            self.issue,
            &keys,
            algorithm,
            &self.verify.identity_claim,
            locations.cookies.csrf_protect,
        )?;
        Ok(Parts {
            issuer,
            verifier: Verifier::new(keys, self.verify)?,
            locations,
            hooks: self.hooks,
            renderer: Renderer::new(self.errors)?,
            store: self.store,
            reuse_interval: self.reuse_interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;

    use super::*;

    fn build(builder: JwtManagerBuilder) -> Result<Parts, ConfigError> {
        builder.freeze()
    }

    /// A builder with a (short) secret, otherwise Flask's defaults.
    fn base() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
            .secret("s")
            .allow_short_secret()
    }

    #[test]
    fn a_missing_or_empty_secret_is_a_build_error() {
        assert_eq!(
            build(JwtManagerBuilder::default()).unwrap_err(),
            ConfigError::MissingSecret
        );
        assert_eq!(
            build(JwtManagerBuilder::default().secret("")).unwrap_err(),
            ConfigError::MissingSecret
        );
    }

    #[test]
    fn asymmetric_algorithms_need_keys_not_secrets() {
        assert_eq!(
            build(base().algorithm(Algorithm::RS256)).unwrap_err(),
            ConfigError::UnsupportedAlgorithm(Algorithm::RS256)
        );
        assert!(matches!(
            build(base().decode_algorithms([Algorithm::HS256, Algorithm::ES256])),
            Err(ConfigError::InvalidKey(_))
        ));
        assert!(matches!(
            build(base().decode_algorithms([])),
            Err(ConfigError::EmptyName(_))
        ));
    }

    #[test]
    fn bad_options_fail_at_build() {
        assert!(matches!(
            build(base().header_name("bad name")),
            Err(ConfigError::InvalidHeaderName(_))
        ));
        for header_type in ["Bearer x", "Bearer,", "Bearer\u{85}", "Ωmega"] {
            assert!(matches!(
                build(base().header_type(header_type)),
                Err(ConfigError::InvalidHeaderType(_))
            ));
        }
        assert!(build(base().header_type("\u{ff}")).is_ok());
        assert!(matches!(
            build(base().identity_claim("")),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            build(base().error_message_key("")),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            build(base().token_location([])),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            build(base().access_token_expires(Duration::ZERO)),
            Err(ConfigError::ZeroLifetime(_))
        ));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let builder = JwtManagerBuilder::default()
            .secret("hunter2-hunter2")
            .allow_short_secret()
            .verify_claims(|_| true);
        assert!(!format!("{builder:?}").contains("hunter2"));
        let parts = build(builder).unwrap();
        let debug = format!("{parts:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("HS256"), "{debug}");
    }
}
