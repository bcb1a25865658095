//! [`JwtManager`]: configuration, keys, hooks, token creation and verification.

use std::{
    any::Any,
    fmt,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind},
    rc::Rc,
    sync::Arc,
    time::Duration,
};

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse, error::InternalError, http::header::HeaderName, web,
};
use futures_util::{FutureExt, future::LocalBoxFuture};
use jsonwebtoken::{Algorithm, AlgorithmFamily, Header, jwk::JwkSet};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    JwtError,
    cache::TokenCache,
    config::{ConfigError, ErrorFormat, Expiry, TokenLocation},
    cookies::CookieConfig,
    extract::{Anonymous, LoadedUser, Verified},
    guard::Requirement,
    keys::Key,
    locations::{self, Locations},
    store::{Rotation, StoreError, TokenFacts, TokenStore},
    token::{DecodedToken, TokenBuilder, TokenKind},
    verify::{Rejection, Verifier},
};

pub(crate) const DEFAULT_MESSAGE_KEY: &str = "msg";
const DEFAULT_TOKEN_CACHE: usize = 4096;

/// Looks up the user a verified token names (Flask's `user_lookup_loader`).
///
/// When a loader is configured, every request that passes a guard or an
/// extractor loads its user once, before the handler runs; a loader that finds
/// nobody rejects the request with 401 `Error loading the user <identity>`.
/// Handlers read the user with [`CurrentUser<U>`](crate::CurrentUser).
///
/// ```
/// use actix_jwt_extended::{manager::UserLoader, token::DecodedToken};
/// use std::convert::Infallible;
///
/// struct Users;
///
/// impl UserLoader for Users {
///     type User = String;
///     type Error = Infallible;
///
///     async fn load(&self, token: &DecodedToken) -> Result<Option<String>, Infallible> {
///         // A database query in a real application.
///         Ok((token.identity() == "1").then(|| "Bruce Wayne".to_owned()))
///     }
/// }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// What [`CurrentUser<U>`](crate::CurrentUser) hands to handlers.
    type User: 'static;
    /// A failure to look up (a database error): logged, answered with a 500.
    type Error: fmt::Display;

    /// Finds the user for `token`: `Ok(None)` when there is none.
    fn load(
        &self,
        token: &DecodedToken,
    ) -> impl Future<Output = Result<Option<Self::User>, Self::Error>>;
}

/// [`UserLoader`] with the user type erased, so the manager can hold any one.
trait ErasedUserLoader: Send + Sync {
    fn load<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn Any>>, String>>;
}

impl<L: UserLoader> ErasedUserLoader for L {
    fn load<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn Any>>, String>> {
        Box::pin(async move {
            match UserLoader::load(self, token).await {
                Ok(user) => Ok(user.map(|user| Rc::new(user) as Rc<dyn Any>)),
                Err(error) => Err(error.to_string()),
            }
        })
    }
}

/// [`TokenStore`] with its futures boxed, so the manager can hold any one.
trait ErasedStore: Send + Sync {
    fn is_revoked<'a>(
        &'a self,
        token: TokenFacts<'a>,
    ) -> LocalBoxFuture<'a, Result<bool, StoreError>>;
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;
    fn revoke_identity<'a>(
        &'a self,
        identity: &'a str,
        before: i64,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;
    fn rotate<'a>(
        &'a self,
        family: &'a str,
        presented: &'a str,
        next: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<Rotation, StoreError>>;
}

impl<T: TokenStore> ErasedStore for T {
    fn is_revoked<'a>(
        &'a self,
        token: TokenFacts<'a>,
    ) -> LocalBoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(TokenStore::is_revoked(self, token))
    }
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::revoke(self, jti, until))
    }
    fn revoke_identity<'a>(
        &'a self,
        identity: &'a str,
        before: i64,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::revoke_identity(self, identity, before, until))
    }
    fn rotate<'a>(
        &'a self,
        family: &'a str,
        presented: &'a str,
        next: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<Rotation, StoreError>> {
        Box::pin(TokenStore::rotate(self, family, presented, next, until))
    }
}

/// An access token and a refresh token of one rotation family.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token; present it to [`JwtManager::rotate_refresh_token`].
    pub refresh_token: String,
}

type ValueHook<T> = Arc<dyn Fn(&Value) -> T + Send + Sync>;
type ClaimsHook = Arc<dyn Fn(&DecodedToken) -> bool + Send + Sync>;
type TokenHook = Arc<dyn Fn(&DecodedToken) + Send + Sync>;
type ErrorHook =
    Arc<dyn Fn(&JwtError, Option<&DecodedToken>) -> Option<HttpResponse> + Send + Sync>;

#[derive(Default, Clone)]
struct Hooks {
    identity: Option<ValueHook<String>>,
    claims: Option<ValueHook<Value>>,
    headers: Option<ValueHook<Value>>,
    verify_claims: Option<ClaimsHook>,
    user_loader: Option<Arc<dyn ErasedUserLoader>>,
    error_response: Option<ErrorHook>,
    store: Option<Arc<dyn ErasedStore>>,
    refresh_reuse: Option<TokenHook>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("identity_loader", &self.identity.is_some())
            .field("additional_claims_loader", &self.claims.is_some())
            .field("additional_headers_loader", &self.headers.is_some())
            .field("verify_claims", &self.verify_claims.is_some())
            .field("user_loader", &self.user_loader.is_some())
            .field("error_response", &self.error_response.is_some())
            .field("token_store", &self.store.is_some())
            .field("on_refresh_reuse", &self.refresh_reuse.is_some())
            .finish()
    }
}

/// Configuration, keys, hooks and token operations, shared by every worker.
///
/// Cheap to clone (an `Arc` inside). Build one with [`JwtManager::builder`] at
/// start-up and register it with `App::app_data(web::Data::new(jwt.clone()))`;
/// guards and extractors find it there.
///
/// ```
/// use actix_jwt_extended::JwtManager;
///
/// let jwt = JwtManager::builder().secret(b"change-me").build()?;
/// let access = jwt.create_access_token("alice")?;
/// assert_eq!(jwt.decode_token(&access)?.identity(), "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    inner: Arc<Config>,
}

pub(crate) struct Config {
    /// `None` for a verify-only manager.
    pub(crate) signing: Option<Key>,
    pub(crate) header: Header,
    pub(crate) verifier: Verifier,
    pub(crate) access_expires: Expiry,
    pub(crate) refresh_expires: Expiry,
    pub(crate) encode_audience: Option<Value>,
    pub(crate) encode_issuer: Option<Value>,
    pub(crate) encode_nbf: bool,
    pub(crate) header_name: HeaderName,
    pub(crate) header_label: String,
    pub(crate) header_type: String,
    pub(crate) locations: Locations,
    pub(crate) cookies: CookieConfig,
    pub(crate) json_key: String,
    pub(crate) refresh_json_key: String,
    pub(crate) query_string_name: String,
    pub(crate) query_string_value_prefix: String,
    pub(crate) body_limit: usize,
    pub(crate) message_key: String,
    pub(crate) error_format: ErrorFormat,
    hooks: Hooks,
}

/// What a request carried: a verified token (and its user), or, on an
/// optional route, nothing.
enum Outcome {
    Token(Arc<DecodedToken>, Option<Rc<dyn Any>>),
    Anonymous(JwtError),
}

impl Config {
    /// The configured lifetime of tokens of `kind`.
    pub(crate) fn lifetime(&self, kind: TokenKind) -> Expiry {
        match kind {
            TokenKind::Access => self.access_expires,
            TokenKind::Refresh => self.refresh_expires,
        }
    }
}

impl JwtManager {
    /// Starts a builder with Flask-JWT-Extended's defaults.
    pub fn builder() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner
    }

    /// Creates an access token for `identity` with the configured lifetime
    /// (Flask's `create_access_token(identity)`). Not fresh; use
    /// [`access_token`](Self::access_token) for options.
    ///
    /// The identity becomes the `sub` claim: a string as is, a number as its
    /// decimal text, anything else through
    /// [`identity_loader`](JwtManagerBuilder::identity_loader).
    pub fn create_access_token(&self, identity: impl Serialize) -> Result<String, JwtError> {
        self.access_token(identity).encode()
    }

    /// Creates a refresh token for `identity` (Flask's `create_refresh_token`).
    pub fn create_refresh_token(&self, identity: impl Serialize) -> Result<String, JwtError> {
        self.refresh_token(identity).encode()
    }

    /// Starts an access token with options: freshness, lifetime, claims, headers.
    pub fn access_token(&self, identity: impl Serialize) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenKind::Access, identity)
    }

    /// Starts a refresh token with options: lifetime, claims, headers.
    pub fn refresh_token(&self, identity: impl Serialize) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenKind::Refresh, identity)
    }

    /// Verifies a token of either kind (signature, algorithm, `iat`, `nbf`,
    /// `exp`, `iss`, `aud`, identity claim) and returns its contents (Flask's
    /// `decode_token`). The hooks that need a request (claims verification,
    /// user loading) do not run here.
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        self.inner
            .verifier
            .verify(token.as_bytes(), None)
            .map(Arc::unwrap_or_clone)
            .map_err(|rejection| rejection.error)
    }

    /// Reads, verifies and checks the request's token for `requirement` and
    /// stores the outcome in the request extensions for the extractors.
    pub(crate) async fn authenticate(
        &self,
        req: &HttpRequest,
        requirement: Requirement,
        body: Option<&[u8]>,
    ) -> Result<(), actix_web::Error> {
        match self.check(req, requirement, body).await {
            Ok(Outcome::Token(token, user)) => {
                let mut extensions = req.extensions_mut();
                extensions.insert(Verified(token));
                if let Some(user) = user {
                    extensions.insert(LoadedUser(user));
                }
                Ok(())
            }
            Ok(Outcome::Anonymous(reason)) => {
                req.extensions_mut().insert(Anonymous(reason));
                Ok(())
            }
            Err(rejection) => Err(self.reject(rejection)),
        }
    }

    /// Flask-JWT-Extended's order: find the token, verify it, its type, its
    /// freshness, the claims verification hook, then load the user.
    async fn check(
        &self,
        req: &HttpRequest,
        requirement: Requirement,
        body: Option<&[u8]>,
    ) -> Result<Outcome, Rejection> {
        let config = self.config();
        let locations = requirement.locations.unwrap_or(config.locations);
        let found = match locations::find_token(req, config, locations, requirement.kind, body) {
            Ok(found) => found,
            Err(missing @ JwtError::MissingToken(_)) if requirement.optional => {
                return Ok(Outcome::Anonymous(missing));
            }
            Err(error) => return Err(error.into()),
        };
        let token = config
            .verifier
            .verify(&found.token, found.csrf.as_deref())?;
        drop(found);
        if !requirement.any_kind
            && (token.kind() == TokenKind::Refresh) != (requirement.kind == TokenKind::Refresh)
        {
            let error = JwtError::WrongTokenType {
                expected: requirement.kind,
            };
            return Err(Rejection::with_token(error, token));
        }
        if requirement.fresh && !token.is_fresh() {
            return Err(Rejection::with_token(JwtError::FreshTokenRequired, token));
        }
        if let Some(error) = self.revocation_error(&token).await {
            return Err(Rejection::with_token(error, token));
        }
        if let Some(verify) = &config.hooks.verify_claims {
            match catch_unwind(AssertUnwindSafe(|| verify(&token))) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Rejection::with_token(
                        JwtError::ClaimsVerificationFailed,
                        token,
                    ));
                }
                Err(_) => {
                    let error = JwtError::Hook("the claims verification hook panicked".into());
                    return Err(Rejection::with_token(error, token));
                }
            }
        }
        let Some(loader) = &config.hooks.user_loader else {
            return Ok(Outcome::Token(token, None));
        };
        let loaded = AssertUnwindSafe(loader.load(&token)).catch_unwind().await;
        let error = match loaded {
            Ok(Ok(Some(user))) => return Ok(Outcome::Token(token, Some(user))),
            Ok(Ok(None)) => JwtError::UserNotFound(token.identity().to_owned()),
            Ok(Err(cause)) => JwtError::Hook(format!("the user loader failed: {cause}").into()),
            Err(_) => JwtError::Hook("the user loader panicked".into()),
        };
        Err(Rejection::with_token(error, token))
    }

    /// Asks the token store, if one is configured, whether `token` was revoked.
    async fn revocation_error(&self, token: &DecodedToken) -> Option<JwtError> {
        let store = self.config().hooks.store.as_ref()?;
        let facts = TokenFacts {
            jti: token.jti(),
            identity: token.identity(),
            issued_at: token.issued_at(),
            family: token.family(),
        };
        match AssertUnwindSafe(store.is_revoked(facts))
            .catch_unwind()
            .await
        {
            Ok(Ok(false)) => None,
            Ok(Ok(true)) => Some(JwtError::Revoked),
            Ok(Err(cause)) => Some(JwtError::StoreUnavailable(cause.to_string().into())),
            Err(_) => Some(JwtError::StoreUnavailable(
                "the token store panicked".into(),
            )),
        }
    }

    fn store(&self) -> Result<&dyn ErasedStore, JwtError> {
        self.config().hooks.store.as_deref().ok_or_else(|| {
            log::error!(
                "actix-jwt-extended: revocation needs a token store; register one with \
                 JwtManagerBuilder::token_store"
            );
            JwtError::NotConfigured
        })
    }

    /// When a token of `kind` issued at `now` expires (a second late, to
    /// round up); `None` when such tokens never expire.
    fn expiry_of_new(&self, kind: TokenKind, now: i64) -> Option<i64> {
        match self.config().lifetime(kind) {
            Expiry::After(lifetime) => Some(now + lifetime.as_secs() as i64 + 1),
            Expiry::Never => None,
        }
    }

    /// Revokes `token` until it would have expired anyway (logout; Flask's
    /// blocklist pattern, built in). Needs a [`TokenStore`].
    pub async fn revoke_token(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let jti = token.jti().ok_or(JwtError::Creation(
            "a token without jti cannot be revoked".into(),
        ))?;
        self.store()?
            .revoke(jti, token.expires_at())
            .await
            .map_err(|cause| JwtError::StoreUnavailable(cause.to_string().into()))
    }

    /// Revokes every token of `identity` issued up to now, on every device
    /// ("log out everywhere"): tokens issued in this same second are revoked
    /// too. Needs a [`TokenStore`].
    pub async fn revoke_all_tokens(&self, identity: &str) -> Result<(), JwtError> {
        let now = crate::store::now();
        // Remembered as long as the longest-lived token issued now.
        let keep = [TokenKind::Access, TokenKind::Refresh]
            .map(|kind| self.expiry_of_new(kind, now))
            .into_iter()
            .try_fold(now, |latest, until| until.map(|until| latest.max(until)));
        self.store()?
            .revoke_identity(identity, now, keep)
            .await
            .map_err(|cause| JwtError::StoreUnavailable(cause.to_string().into()))
    }

    /// An access and a refresh token that start a rotation family (at login),
    /// for [`rotate_refresh_token`](Self::rotate_refresh_token). Both carry the
    /// family in a `fam` claim, so revoking the family logs both out.
    pub fn create_token_pair(&self, identity: impl Serialize) -> Result<TokenPair, JwtError> {
        let identity = serde_json::to_value(identity).map_err(|e| {
            JwtError::Creation(format!("the identity does not serialize: {e}").into())
        })?;
        let family = uuid::Uuid::new_v4().to_string();
        Ok(TokenPair {
            access_token: self
                .access_token(&identity)
                .rotation(None, &family)
                .encode()?,
            refresh_token: self
                .refresh_token(&identity)
                .rotation(Some(family.clone()), &family)
                .encode()?,
        })
    }

    /// Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP,
    /// RFC 9700 section 4.14): retires the verified refresh token `presented`
    /// and returns a new pair of the same family. Presenting a retired refresh
    /// token revokes the whole family, thief and user alike, calls the
    /// [`on_refresh_reuse`](JwtManagerBuilder::on_refresh_reuse) hook and fails
    /// with [`JwtError::Revoked`]. Of two concurrent calls with one token,
    /// exactly one succeeds. Needs a [`TokenStore`].
    pub async fn rotate_refresh_token(
        &self,
        presented: &DecodedToken,
    ) -> Result<TokenPair, JwtError> {
        if presented.kind() != TokenKind::Refresh {
            return Err(JwtError::WrongTokenType {
                expected: TokenKind::Refresh,
            });
        }
        let jti = presented.jti().ok_or(JwtError::Creation(
            "a refresh token without jti cannot be rotated".into(),
        ))?;
        // A refresh token from before rotation starts its own family.
        let family = presented.family().unwrap_or(jti);
        let next = uuid::Uuid::new_v4().to_string();
        let identity = Value::from(presented.identity());
        let pair = TokenPair {
            access_token: self
                .access_token(&identity)
                .rotation(None, family)
                .encode()?,
            refresh_token: self
                .refresh_token(&identity)
                .rotation(Some(next.clone()), family)
                .encode()?,
        };
        let keep_until = self.expiry_of_new(TokenKind::Refresh, crate::store::now());
        let outcome = self
            .store()?
            .rotate(family, jti, &next, keep_until)
            .await
            .map_err(|cause| JwtError::StoreUnavailable(cause.to_string().into()))?;
        match outcome {
            Rotation::Rotated => Ok(pair),
            Rotation::Reused => {
                if let Some(hook) = &self.config().hooks.refresh_reuse
                    && catch_unwind(AssertUnwindSafe(|| hook(presented))).is_err()
                {
                    log::error!("actix-jwt-extended: the refresh reuse hook panicked");
                }
                Err(JwtError::Revoked)
            }
            _ => Err(JwtError::Revoked),
        }
    }

    /// How many verified tokens the cache holds, and its capacity (for
    /// monitoring; see [`JwtManagerBuilder::token_cache`]).
    pub fn token_cache_usage(&self) -> (usize, usize) {
        self.config()
            .verifier
            .cache
            .as_ref()
            .map_or((0, 0), |cache| (cache.len(), cache.capacity()))
    }

    /// The public keys as a JWK Set (`kty`, `alg`, `use`, `kid` and the key
    /// parameters), for [`keys::jwks`](crate::keys::jwks). Secrets are never
    /// included.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .config()
                .verifier
                .keys
                .iter()
                .filter_map(Key::public_jwk)
                .cloned()
                .collect(),
        }
    }

    /// The response this manager sends for `error`: the error response hook's,
    /// or Flask's status and `{"<message key>": "<message>"}`.
    pub fn error_response(&self, error: &JwtError) -> HttpResponse {
        self.response_for(error, None)
    }

    fn response_for(&self, error: &JwtError, token: Option<&DecodedToken>) -> HttpResponse {
        let config = self.config();
        if let Some(hook) = &config.hooks.error_response {
            match catch_unwind(AssertUnwindSafe(|| hook(error, token))) {
                Ok(Some(response)) => return response,
                Ok(None) => {}
                Err(_) => log::error!(
                    "actix-jwt-extended: the error response hook panicked; sending the default response"
                ),
            }
        }
        error.response(config.error_format, &config.message_key)
    }

    /// `rejection` as an actix error that renders with this manager's response.
    pub(crate) fn reject(&self, rejection: Rejection) -> actix_web::Error {
        let response = self.response_for(&rejection.error, rejection.token.as_deref());
        InternalError::from_response(rejection.error, response).into()
    }

    /// The `sub` value for an identity given to the token builder.
    pub(crate) fn identity_of(&self, identity: &Value) -> Result<String, JwtError> {
        if let Some(hook) = &self.config().hooks.identity {
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

    /// Claims from the additional claims hook (Flask's `additional_claims_loader`).
    pub(crate) fn hook_claims(&self, identity: &Value) -> Result<Map<String, Value>, JwtError> {
        run_object_hook(
            self.config().hooks.claims.as_ref(),
            identity,
            "additional claims",
        )
    }

    /// Headers from the additional headers hook (Flask's `additional_headers_loader`).
    pub(crate) fn hook_headers(&self, identity: &Value) -> Result<Map<String, Value>, JwtError> {
        run_object_hook(
            self.config().hooks.headers.as_ref(),
            identity,
            "additional headers",
        )
    }

    /// The manager registered in app data, as `web::Data<JwtManager>` or a plain `JwtManager`.
    pub(crate) fn from_app_data(req: &HttpRequest) -> Result<&JwtManager, actix_web::Error> {
        req.app_data::<web::Data<JwtManager>>()
            .map(|data| data.get_ref())
            .or_else(|| req.app_data::<JwtManager>())
            .ok_or_else(|| {
                log::error!(
                    "actix-jwt-extended: no JwtManager in app data for {} {}; register it with \
                     `App::new().app_data(web::Data::new(jwt.clone()))`",
                    req.method(),
                    req.path()
                );
                JwtError::NotConfigured.into()
            })
    }
}

fn run_object_hook(
    hook: Option<&ValueHook<Value>>,
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
            format!("the {what} hook must return a JSON object").into(),
        )),
        Err(_) => Err(JwtError::Creation(
            format!("the {what} hook panicked").into(),
        )),
    }
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.config();
        f.debug_struct("JwtManager")
            .field("algorithm", &config.header.alg)
            .field("decode_algorithms", &config.verifier.algorithms)
            .field("keys", &"[redacted]")
            .field("access_expires", &config.access_expires)
            .field("refresh_expires", &config.refresh_expires)
            .field("header_name", &config.header_label)
            .field("header_type", &config.header_type)
            .field("locations", &config.locations)
            .field("identity_claim", &config.verifier.identity_claim)
            .field("message_key", &config.message_key)
            .field("error_format", &config.error_format)
            .field("hooks", &config.hooks)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtManager`]; every option defaults to Flask-JWT-Extended's.
///
/// Only the secret is required. Mistakes are reported by [`build`](Self::build)
/// at start-up, never per request. [`FlaskConfig`](crate::config::FlaskConfig)
/// fills one from Flask's `JWT_*` option names.
#[must_use = "call `build()` to get a JwtManager"]
pub struct JwtManagerBuilder {
    secret: Vec<u8>,
    algorithm: Algorithm,
    private_key: Option<Vec<u8>>,
    public_key: Option<Vec<u8>>,
    signing_key: Option<Key>,
    verification_keys: Vec<Key>,
    decode_algorithms: Option<Vec<Algorithm>>,
    access_expires: Expiry,
    refresh_expires: Expiry,
    leeway: Duration,
    encode_audience: Vec<String>,
    decode_audience: Option<Vec<String>>,
    encode_issuer: Option<String>,
    decode_issuer: Option<String>,
    encode_nbf: bool,
    verify_sub: bool,
    header_name: String,
    header_type: String,
    locations: Vec<TokenLocation>,
    cookies: CookieConfig,
    json_keys: (String, String),
    query_string_name: String,
    query_string_value_prefix: String,
    body_limit: usize,
    token_cache: usize,
    identity_claim: String,
    message_key: String,
    error_format: ErrorFormat,
    hooks: Hooks,
}

impl Default for JwtManagerBuilder {
    fn default() -> Self {
        Self {
            secret: Vec::new(),
            algorithm: Algorithm::HS256,
            private_key: None,
            public_key: None,
            signing_key: None,
            verification_keys: Vec::new(),
            decode_algorithms: None,
            access_expires: Expiry::ACCESS_DEFAULT,
            refresh_expires: Expiry::REFRESH_DEFAULT,
            leeway: Duration::ZERO,
            encode_audience: Vec::new(),
            decode_audience: None,
            encode_issuer: None,
            decode_issuer: None,
            encode_nbf: true,
            verify_sub: true,
            header_name: "Authorization".to_owned(),
            header_type: "Bearer".to_owned(),
            locations: vec![TokenLocation::Headers],
            cookies: CookieConfig::default(),
            json_keys: ("access_token".to_owned(), "refresh_token".to_owned()),
            query_string_name: "jwt".to_owned(),
            query_string_value_prefix: String::new(),
            body_limit: 1024 * 1024,
            token_cache: DEFAULT_TOKEN_CACHE,
            identity_claim: "sub".to_owned(),
            message_key: DEFAULT_MESSAGE_KEY.to_owned(),
            error_format: ErrorFormat::Flask,
            hooks: Hooks::default(),
        }
    }
}

impl fmt::Debug for JwtManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtManagerBuilder")
            .field("secret", &"[redacted]")
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[redacted]"),
            )
            .field("public_key", &self.public_key.is_some())
            .field("signing_key", &self.signing_key)
            .field("verification_keys", &self.verification_keys)
            .field("algorithm", &self.algorithm)
            .field("decode_algorithms", &self.decode_algorithms)
            .field("access_expires", &self.access_expires)
            .field("refresh_expires", &self.refresh_expires)
            .field("leeway", &self.leeway)
            .field("encode_audience", &self.encode_audience)
            .field("decode_audience", &self.decode_audience)
            .field("encode_issuer", &self.encode_issuer)
            .field("decode_issuer", &self.decode_issuer)
            .field("encode_nbf", &self.encode_nbf)
            .field("verify_sub", &self.verify_sub)
            .field("header_name", &self.header_name)
            .field("header_type", &self.header_type)
            .field("locations", &self.locations)
            .field("cookies", &self.cookies)
            .field("json_keys", &self.json_keys)
            .field("query_string_name", &self.query_string_name)
            .field("query_string_value_prefix", &self.query_string_value_prefix)
            .field("body_limit", &self.body_limit)
            .field("token_cache", &self.token_cache)
            .field("identity_claim", &self.identity_claim)
            .field("message_key", &self.message_key)
            .field("error_format", &self.error_format)
            .field("hooks", &self.hooks)
            .finish()
    }
}

impl JwtManagerBuilder {
    /// The HMAC secret that signs and verifies tokens (Flask's `JWT_SECRET_KEY`).
    /// Use at least 32 random bytes. Required: there is no default.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = secret.as_ref().to_vec();
        self
    }

    /// The signing algorithm (Flask's `JWT_ALGORITHM`): `HS256`, `HS384` or
    /// `HS512` with [`secret`](Self::secret); `RS*`, `PS*`, `ES256`, `ES384`
    /// or `EdDSA` with [`private_key`](Self::private_key) /
    /// [`public_key`](Self::public_key). Defaults to `HS256`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The PEM private key for an asymmetric [`algorithm`](Self::algorithm)
    /// (Flask's `JWT_PRIVATE_KEY`); its public half verifies. Defaults to none.
    pub fn private_key(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.private_key = Some(pem.as_ref().to_vec());
        self
    }

    /// The PEM public key (Flask's `JWT_PUBLIC_KEY`): alone, a verify-only
    /// manager; with a private key, it must be that key's other half.
    /// Defaults to none.
    pub fn public_key(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.public_key = Some(pem.as_ref().to_vec());
        self
    }

    /// The key that signs new tokens, usually with a `kid` (a key ring). It
    /// takes precedence over [`secret`](Self::secret) and
    /// [`private_key`](Self::private_key) and verifies too.
    pub fn signing_key(mut self, key: Key) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Another key that verifies tokens: the previous signing key during a
    /// rotation, or another service's public key. Call once per key.
    pub fn verification_key(mut self, key: Key) -> Self {
        self.verification_keys.push(key);
        self
    }

    /// Verifying keys from a JWK Set document: a verify-only service that
    /// trusts another's `/.well-known/jwks.json`.
    pub fn jwks(mut self, document: &str) -> Result<Self, ConfigError> {
        self.verification_keys.extend(Key::from_jwks(document)?);
        Ok(self)
    }

    /// The algorithms a token may name to be verified (Flask's
    /// `JWT_DECODE_ALGORITHMS`); the token's `alg` never chooses anything else.
    /// Defaults to the signing algorithm alone.
    pub fn decode_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.decode_algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Lifetime of access tokens (Flask's `JWT_ACCESS_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 15 minutes.
    pub fn access_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.access_expires = expires.into();
        self
    }

    /// Lifetime of refresh tokens (Flask's `JWT_REFRESH_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 30 days.
    pub fn refresh_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.refresh_expires = expires.into();
        self
    }

    /// Clock skew allowed when checking `exp`, `nbf` and `iat` (Flask's
    /// `JWT_DECODE_LEEWAY`). Defaults to zero.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The `aud` claim written into new tokens (Flask's `JWT_ENCODE_AUDIENCE`):
    /// one value is written as a string, several as a list. Defaults to none.
    pub fn encode_audience(
        mut self,
        audience: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.encode_audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// The audiences a token must name in `aud` to be accepted (Flask's
    /// `JWT_DECODE_AUDIENCE`). Defaults to none: `aud` is then not checked, as
    /// in Flask-JWT-Extended.
    pub fn decode_audience(
        mut self,
        audience: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.decode_audience = Some(audience.into_iter().map(Into::into).collect());
        self
    }

    /// The `iss` claim written into new tokens (Flask's `JWT_ENCODE_ISSUER`).
    /// Defaults to none.
    pub fn encode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.encode_issuer = Some(issuer.into());
        self
    }

    /// The issuer a token's `iss` must equal (Flask's `JWT_DECODE_ISSUER`).
    /// Defaults to none: `iss` is not checked.
    pub fn decode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.decode_issuer = Some(issuer.into());
        self
    }

    /// Whether new tokens carry `nbf` (Flask's `JWT_ENCODE_NBF`). A token's
    /// `nbf` is always checked when present. Defaults to `true`.
    pub fn encode_nbf(mut self, encode: bool) -> Self {
        self.encode_nbf = encode;
        self
    }

    /// Whether a `sub` that is not a string is refused (Flask's
    /// `JWT_VERIFY_SUB`). Defaults to `true`.
    pub fn verify_sub(mut self, verify: bool) -> Self {
        self.verify_sub = verify;
        self
    }

    /// The request header that carries the token (Flask's `JWT_HEADER_NAME`).
    /// Defaults to `Authorization`.
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header_name = name.into();
        self
    }

    /// The word before the token in that header (Flask's `JWT_HEADER_TYPE`),
    /// matched case-sensitively; an empty type means the header holds the bare
    /// token. Defaults to `Bearer`.
    pub fn header_type(mut self, header_type: impl Into<String>) -> Self {
        self.header_type = header_type.into();
        self
    }

    /// Where tokens are read from, in order (Flask's `JWT_TOKEN_LOCATION`); a
    /// guard may choose its own with `JwtRequired::locations`. Defaults to
    /// headers only.
    pub fn token_location(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations = locations.into_iter().collect();
        self
    }

    /// Cookie and CSRF settings. Defaults to Flask's, but `Secure` and
    /// `SameSite=Lax` (see [`CookieConfig`]).
    pub fn cookies(mut self, cookies: CookieConfig) -> Self {
        self.cookies = cookies;
        self
    }

    /// The JSON body keys of access and refresh tokens (Flask's `JWT_JSON_KEY`,
    /// `JWT_REFRESH_JSON_KEY`). Defaults to `access_token` and `refresh_token`.
    pub fn json_keys(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.json_keys = (access.into(), refresh.into());
        self
    }

    /// The query string parameter (Flask's `JWT_QUERY_STRING_NAME`). Defaults
    /// to `jwt`. Tokens in URLs end up in logs and browser history: prefer
    /// headers or cookies.
    pub fn query_string_name(mut self, name: impl Into<String>) -> Self {
        self.query_string_name = name.into();
        self
    }

    /// A prefix the query parameter's value must start with, such as `Bearer `
    /// (Flask's `JWT_QUERY_STRING_VALUE_PREFIX`). Defaults to none.
    pub fn query_string_value_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.query_string_value_prefix = prefix.into();
        self
    }

    /// The largest request body a guard buffers to read a token (JSON location)
    /// or a CSRF form field from; larger bodies get 413. Defaults to 1 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How many verified tokens to remember, so a client that sends the same
    /// token again skips the signature and claim checks (0 turns the cache
    /// off). An entry is keyed by the token's full bytes and served only until
    /// the token expires; type, freshness, CSRF, revocation and hooks still
    /// run on every request. Tokens over 4 KiB are not cached. Memory stays
    /// within this many entries. Defaults to 4096.
    pub fn token_cache(mut self, entries: usize) -> Self {
        self.token_cache = entries;
        self
    }

    /// The claim that holds the identity (Flask's `JWT_IDENTITY_CLAIM`).
    /// Defaults to `sub`.
    pub fn identity_claim(mut self, claim: impl Into<String>) -> Self {
        self.identity_claim = claim.into();
        self
    }

    /// The key of the message in error bodies (Flask's `JWT_ERROR_MESSAGE_KEY`).
    /// Defaults to `msg`.
    pub fn error_message_key(mut self, key: impl Into<String>) -> Self {
        self.message_key = key.into();
        self
    }

    /// Flask-JWT-Extended's error statuses, or RFC 6750 bearer-token errors
    /// with `WWW-Authenticate`. Defaults to [`ErrorFormat::Flask`].
    pub fn error_format(mut self, format: ErrorFormat) -> Self {
        self.error_format = format;
        self
    }

    /// Turns the identity given to `create_*_token` (serialized to JSON) into
    /// the `sub` string (Flask's `user_identity_loader`). Defaults to strings as
    /// they are and numbers as their decimal text; other values are an error.
    pub fn identity_loader(
        mut self,
        hook: impl Fn(&Value) -> String + Send + Sync + 'static,
    ) -> Self {
        self.hooks.identity = Some(Arc::new(hook));
        self
    }

    /// Claims added to every new token, from the identity given to
    /// `create_*_token` (Flask's `additional_claims_loader`). Must return a JSON
    /// object; a token's own [`claim`](TokenBuilder::claim)s override it.
    /// Reserved claims are refused as for the token builder. Defaults to none.
    pub fn additional_claims_loader(
        mut self,
        hook: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.hooks.claims = Some(Arc::new(hook));
        self
    }

    /// Header fields added to every new token (Flask's
    /// `additional_headers_loader`). Must return a JSON object. Defaults to none.
    pub fn additional_headers_loader(
        mut self,
        hook: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.hooks.headers = Some(Arc::new(hook));
        self
    }

    /// Checks every verified token's claims before the handler runs (Flask's
    /// `token_verification_loader`): `false` rejects the request with 400
    /// `User claims verification failed`. Defaults to accepting all.
    pub fn verify_claims(
        mut self,
        hook: impl Fn(&DecodedToken) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.hooks.verify_claims = Some(Arc::new(hook));
        self
    }

    /// Loads the user of every verified request once, for
    /// [`CurrentUser<U>`](crate::CurrentUser) (Flask's `user_lookup_loader`).
    /// Defaults to none.
    pub fn user_loader(mut self, loader: impl UserLoader) -> Self {
        self.hooks.user_loader = Some(Arc::new(loader));
        self
    }

    /// Where revocations and rotation state live (Flask's
    /// `token_in_blocklist_loader`, built in): [`MemoryStore`](crate::store::MemoryStore)
    /// for one process, [`RedisStore`](crate::store) for many, or your own
    /// [`TokenStore`]. Every verified token is checked against it. Defaults to
    /// none: tokens cannot be revoked.
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.hooks.store = Some(Arc::new(store));
        self
    }

    /// Called when a retired refresh token is presented to
    /// [`JwtManager::rotate_refresh_token`] (a likely theft), after its family
    /// was revoked: alert the user, log the event. Defaults to none.
    pub fn on_refresh_reuse(
        mut self,
        hook: impl Fn(&DecodedToken) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.refresh_reuse = Some(Arc::new(hook));
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
    ///     .secret(b"change-me")
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
        self.hooks.error_response = Some(Arc::new(hook));
        self
    }

    /// The signing key and every verifying key, from the secret, the PEM keys
    /// or the key ring, in that order of preference.
    fn keys(&mut self) -> Result<(Option<Key>, Vec<Key>), ConfigError> {
        let algorithm = self.algorithm;
        let signing = match (self.signing_key.take(), algorithm.family()) {
            (Some(key), _) => Some(key),
            (None, AlgorithmFamily::Hmac) if self.secret.is_empty() => None,
            (None, AlgorithmFamily::Hmac) => {
                if self.secret.len() < 32 {
                    log::warn!(
                        "actix-jwt-extended: the JWT secret is shorter than 32 bytes; use a long random secret in production"
                    );
                }
                Some(Key::secret(algorithm, &self.secret)?)
            }
            (None, _) => match &self.private_key {
                Some(pem) => Some(Key::private_pem(algorithm, pem)?),
                None if self.public_key.is_none() && !self.secret.is_empty() => {
                    return Err(ConfigError::UnsupportedAlgorithm(algorithm));
                }
                None => None,
            },
        };
        let mut keys: Vec<Key> = signing.iter().cloned().collect();
        if let Some(pem) = &self.public_key {
            let public = Key::public_pem(algorithm, pem)?;
            match &signing {
                // Flask's JWT_PUBLIC_KEY beside JWT_PRIVATE_KEY: they must be one pair.
                Some(private) if private.encoding.is_some() => {
                    let probe = b"actix-jwt-extended key pair check";
                    let encoding = private.encoding.as_ref().expect("checked");
                    let signature = jsonwebtoken::crypto::sign(probe, encoding, algorithm)
                        .map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
                    if !jsonwebtoken::crypto::verify(&signature, probe, &public.decoding, algorithm)
                        .unwrap_or(false)
                    {
                        return Err(ConfigError::InvalidKey(
                            "the public key is not the private key's other half".into(),
                        ));
                    }
                }
                _ => keys.push(public),
            }
        }
        keys.append(&mut self.verification_keys);
        if keys.is_empty() {
            return Err(ConfigError::MissingSecret);
        }
        let mut kids: Vec<&str> = keys.iter().filter_map(Key::kid).collect();
        kids.sort_unstable();
        if let Some(pair) = kids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ConfigError::InvalidKey(format!(
                "two keys share the kid {:?}",
                pair[0]
            )));
        }
        Ok((signing, keys))
    }

    /// Checks the options and prepares the keys.
    pub fn build(mut self) -> Result<JwtManager, ConfigError> {
        let (signing, keys) = self.keys()?;
        let decode_algorithms = match self.decode_algorithms.take() {
            Some(algorithms) => algorithms,
            None => {
                let mut algorithms: Vec<Algorithm> = Vec::new();
                for key in &keys {
                    if !algorithms.contains(&key.algorithm) {
                        algorithms.push(key.algorithm);
                    }
                }
                algorithms
            }
        };
        if decode_algorithms.is_empty() {
            return Err(ConfigError::EmptyName("the list of decode algorithms"));
        }
        let fits = |alg: Algorithm, key: &Key| {
            key.algorithm == alg
                || (alg.family() == AlgorithmFamily::Hmac
                    && key.algorithm.family() == AlgorithmFamily::Hmac)
        };
        if let Some(alg) = decode_algorithms
            .iter()
            .find(|alg| !keys.iter().any(|key| fits(**alg, key)))
        {
            return Err(ConfigError::InvalidKey(format!(
                "no configured key verifies {alg:?}"
            )));
        }
        let header_name = HeaderName::try_from(self.header_name.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(self.header_name.clone()))?;
        if self
            .header_type
            .contains(|c: char| c == ',' || locations::is_space(c))
        {
            return Err(ConfigError::InvalidHeaderType(self.header_type));
        }
        if self.identity_claim.is_empty() {
            return Err(ConfigError::EmptyName("the identity claim"));
        }
        if self.message_key.is_empty() {
            return Err(ConfigError::EmptyName("the error message key"));
        }
        let encode_audience = match self.encode_audience.as_slice() {
            [] => None,
            [one] => Some(Value::from(one.as_str())),
            several => Some(Value::from(several.to_vec())),
        };
        let mut header = Header::new(signing.as_ref().map_or(self.algorithm, Key::algorithm));
        header.kid = signing.as_ref().and_then(|key| key.kid.clone());
        let config = Config {
            signing,
            header,
            verifier: Verifier {
                keys,
                algorithms: decode_algorithms,
                identity_claim: self.identity_claim,
                leeway: self.leeway.as_secs_f64(),
                audience: self.decode_audience,
                issuer: self.decode_issuer.map(|issuer| vec![issuer]),
                verify_sub: self.verify_sub,
                cache: TokenCache::new(self.token_cache),
            },
            access_expires: self.access_expires.validate("the access token lifetime")?,
            refresh_expires: self
                .refresh_expires
                .validate("the refresh token lifetime")?,
            encode_audience,
            encode_issuer: self.encode_issuer.map(Value::from),
            encode_nbf: self.encode_nbf,
            header_name,
            header_label: self.header_name,
            header_type: self.header_type,
            locations: Locations::new(self.locations)
                .ok_or(ConfigError::EmptyName("the list of token locations"))?,
            cookies: self.cookies,
            json_key: self.json_keys.0,
            refresh_json_key: self.json_keys.1,
            query_string_name: self.query_string_name,
            query_string_value_prefix: self.query_string_value_prefix,
            body_limit: self.body_limit,
            message_key: self.message_key,
            error_format: self.error_format,
            hooks: self.hooks,
        };
        Ok(JwtManager {
            inner: Arc::new(config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_secret_is_a_build_error() {
        assert_eq!(
            JwtManager::builder().build().unwrap_err(),
            ConfigError::MissingSecret
        );
        assert_eq!(
            JwtManager::builder().secret("").build().unwrap_err(),
            ConfigError::MissingSecret
        );
    }

    #[test]
    fn asymmetric_algorithms_need_keys_not_secrets() {
        let error = JwtManager::builder()
            .secret("s")
            .algorithm(Algorithm::RS256)
            .build();
        assert_eq!(
            error.unwrap_err(),
            ConfigError::UnsupportedAlgorithm(Algorithm::RS256)
        );
        let error = JwtManager::builder()
            .secret("s")
            .decode_algorithms([Algorithm::HS256, Algorithm::ES256])
            .build();
        assert!(matches!(error, Err(ConfigError::InvalidKey(_))));
        let error = JwtManager::builder()
            .secret("s")
            .decode_algorithms([])
            .build();
        assert!(matches!(error, Err(ConfigError::EmptyName(_))));
    }

    #[test]
    fn bad_options_fail_at_build() {
        let base = || JwtManager::builder().secret("s");
        assert!(matches!(
            base().header_name("bad name").build(),
            Err(ConfigError::InvalidHeaderName(_))
        ));
        assert!(matches!(
            base().header_type("Bearer x").build(),
            Err(ConfigError::InvalidHeaderType(_))
        ));
        assert!(matches!(
            base().identity_claim("").build(),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            base().error_message_key("").build(),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            base().access_token_expires(Duration::ZERO).build(),
            Err(ConfigError::ZeroLifetime(_))
        ));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let builder = JwtManager::builder().secret("hunter2-hunter2");
        assert!(!format!("{builder:?}").contains("hunter2"));
        let manager = builder.build().unwrap();
        let debug = format!("{manager:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("HS256"));
    }
}
