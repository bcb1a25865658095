//! [`JwtManager`]: the handle every guard, extractor and handler shares, and
//! the token operations: creating, decoding, revoking and rotating tokens.

use std::{fmt, future::Future, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use futures_util::FutureExt;
use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;
use serde_json::Value;

use crate::pair::PairDraft;
use crate::{
    JwtError,
    builder::Parts,
    claims::{self, TokenKind},
    config::ConfigError,
    error::Handout,
    hooks::{Hooks, Renderer},
    issue::Issuer,
    locations::LocationConfig,
    store::{Cutoff, DynStore, Rotation, RotationRequest, SharedStore, StoreError},
    token::{DecodedToken, Rejection, TokenBuilder},
    verify::Verifier,
};
pub use crate::{
    builder::JwtManagerBuilder,
    hooks::UserLoader,
    pair::{PairOptions, TokenPair},
};

/// Configuration, keys, hooks and token operations, shared by every worker.
///
/// Cheap to clone (an `Arc` inside). Build one with [`JwtManager::builder`] at
/// start-up and register it with `App::app_data(web::Data::new(jwt.clone()))`;
/// guards and extractors find it there. `Debug` never shows key material.
///
/// An error a method returns answers with this manager's response (message
/// key, error format, `error_response` hook) when a handler returns it with `?`.
///
/// ```
/// use actix_jwt_extended::JwtManager;
///
/// let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
/// let access = jwt.create_access_token("alice")?;
/// assert_eq!(jwt.decode_token(&access)?.identity(), "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    parts: Arc<Parts>,
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JwtManager").field(&self.parts).finish()
    }
}

impl JwtManagerBuilder {
    /// Checks the options and prepares the keys: every mistake is reported
    /// here, at start-up.
    pub fn build(self) -> Result<JwtManager, ConfigError> {
        Ok(JwtManager {
            parts: Arc::new(self.freeze()?),
        })
    }
}

impl JwtManager {
    /// Starts a builder with Flask-JWT-Extended's defaults.
    pub fn builder() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
    }

    /// Creates an access token for `identity` with the configured lifetime
    /// (Flask's `create_access_token(identity)`). Not fresh; use
    /// [`access_token_builder`](Self::access_token_builder) for options.
    ///
    /// The identity becomes the `sub` claim: a string as is, a number as its
    /// decimal text, anything else through
    /// [`identity_loader`](JwtManagerBuilder::identity_loader).
    pub fn create_access_token(&self, identity: impl Serialize) -> Result<String, JwtError> {
        self.access_token_builder(identity).encode()
    }

    /// Creates a refresh token for `identity` (Flask's `create_refresh_token`).
    pub fn create_refresh_token(&self, identity: impl Serialize) -> Result<String, JwtError> {
        self.refresh_token_builder(identity).encode()
    }

    /// Starts an access token with options: freshness, lifetime, claims, headers.
    pub fn access_token_builder(&self, identity: impl Serialize) -> TokenBuilder<'_> {
        self.token(TokenKind::Access, identity)
    }

    /// Starts a refresh token with options: lifetime, claims, headers.
    pub fn refresh_token_builder(&self, identity: impl Serialize) -> TokenBuilder<'_> {
        self.token(TokenKind::Refresh, identity)
    }

    fn token(&self, kind: TokenKind, identity: impl Serialize) -> TokenBuilder<'_> {
        TokenBuilder::new(self.issuer(), self.renderer(), kind, identity)
    }

    /// Verifies a token of either kind (signature, algorithm, `iat`, `nbf`,
    /// `exp`, `iss`, `aud`, identity claim) and returns its contents (Flask's
    /// `decode_token`). The hooks that need a request (claims verification,
    /// user loading) do not run here.
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        self.verifier()
            .verify(token.as_bytes(), None)
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    /// [`decode_token`](Self::decode_token) that can wait for an
    /// asynchronous [decode key loader](JwtManagerBuilder::decode_key_loader_async)
    /// (which `decode_token` cannot); without one, the same as `decode_token`.
    pub async fn decode_token_async(&self, token: &str) -> Result<DecodedToken, JwtError> {
        self.verifier()
            .verify_async(token.as_bytes(), None, false)
            .await
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    /// [`decode_token_allow_expired`](Self::decode_token_allow_expired) that
    /// can wait for an asynchronous decode key loader.
    pub async fn decode_token_allow_expired_async(
        &self,
        token: &str,
    ) -> Result<DecodedToken, JwtError> {
        self.verifier()
            .verify_async(token.as_bytes(), None, true)
            .await
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    /// A token this application minted, read for the cookie helpers:
    /// [`decode_token`](Self::decode_token), or, when the keys are an
    /// asynchronous loader's (which cannot be awaited here), every check but
    /// the signature; the token is verified when it comes back.
    pub(crate) fn read_own_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        if !self.verifier().waits_for_keys() {
            return self.decode_token(token);
        }
        self.verifier()
            .read_unverified(token.as_bytes())
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    /// [`decode_token`](Self::decode_token) without the expiry check (Flask's
    /// `decode_token(token, allow_expired=True)`), for example to read the
    /// identity or session of an expired token. The signature, algorithm,
    /// `iat`, `nbf`, `iss`, `aud`, identity claim and `type` are checked as
    /// ever; it is not a way into a route, which still refuses the token.
    pub fn decode_token_allow_expired(&self, token: &str) -> Result<DecodedToken, JwtError> {
        self.verifier()
            .verify_allowing_expired(token.as_bytes())
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    /// Revokes `token` until it could no longer be accepted anyway, its `exp`
    /// plus the leeway (logout; Flask's blocklist pattern, built in). Needs a
    /// [`TokenStore`](crate::store::TokenStore).
    pub async fn revoke_token(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let revoked = async {
            let jti = token.jti().ok_or(JwtError::Creation(
                "a token without jti cannot be revoked".into(),
            ))?;
            // Kept while the token could still be accepted: until exp + leeway.
            let until = self.verifier().accepted_until(token.expires_at());
            store_call(self.writable_store()?.revoke(jti, until)).await
        };
        revoked.await.map_err(|error| self.hand_out(error))
    }

    /// Ends the login session `token` belongs to (logout): every access and
    /// refresh token of its [`session`](DecodedToken::session), whichever kind
    /// `token` is, including tokens minted later by rotation or implicit
    /// refresh. A token minted outside a session is its own session of one.
    /// Needs a [`TokenStore`](crate::store::TokenStore).
    pub async fn end_session(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let ended = async {
            let session = token.session().ok_or(JwtError::Creation(
                "a token without jti cannot be revoked".into(),
            ))?;
            // The session may hold the longest-lived token minted up to now.
            let keep = self.accepted_until_last_new(self.clock().now());
            store_call(self.writable_store()?.revoke_session(session, keep)).await
        };
        ended.await.map_err(|error| self.hand_out(error))
    }

    /// Revokes every token of `identity` issued before this call, on every
    /// device ("log out everywhere"). Tokens issued after it returns are
    /// accepted, in the same second too. Needs a
    /// [`TokenStore`](crate::store::TokenStore).
    pub async fn revoke_all_tokens(&self, identity: &str) -> Result<(), JwtError> {
        self.cut_off(identity, None).await
    }

    /// Ends every session of the token's identity except the token's own
    /// ("log out my other devices"): every token of the identity issued
    /// before this call is revoked, unless it belongs to the session of
    /// `token`. Needs a [`TokenStore`](crate::store::TokenStore).
    pub async fn end_other_sessions(&self, token: &DecodedToken) -> Result<(), JwtError> {
        match token.session() {
            Some(session) => self.cut_off(token.identity(), Some(session)).await,
            None => Err(self.hand_out(JwtError::Creation(
                "a token without jti has no session to keep".into(),
            ))),
        }
    }

    async fn cut_off(&self, identity: &str, except_session: Option<&str>) -> Result<(), JwtError> {
        let issued_up_to_ms = self.clock().now_ms();
        let cutoff = Cutoff {
            identity,
            issued_up_to_ms,
            except_session,
            keep_until: self.accepted_until_last_new(self.clock().now()),
        };
        let revoked = async { store_call(self.writable_store()?.revoke_identity(cutoff)).await };
        revoked.await.map_err(|error| self.hand_out(error))?;
        // Tokens carry their issue time to the millisecond: return once this
        // millisecond is over, so that every token minted afterwards is newer.
        self.clock().wait_past_ms(issued_up_to_ms);
        Ok(())
    }

    /// Until when the longest-lived token issued at `now` can be accepted:
    /// how long a revocation of everything issued up to now must last.
    fn accepted_until_last_new(&self, now: Duration) -> Option<i64> {
        let exp = self.issuer().last_expiry_of_new(now);
        self.verifier().accepted_until(exp)
    }

    /// Whether the token store says `token` was revoked; a store that cannot
    /// answer, or panics, denies (fail closed).
    pub(crate) async fn revocation_error(&self, token: &DecodedToken) -> Option<JwtError> {
        let store = self.store()?;
        match AssertUnwindSafe(store.is_revoked(token.revocation_facts()))
            .catch_unwind()
            .await
        {
            Ok(Ok(false)) => None,
            Ok(Ok(true)) => Some(JwtError::Revoked),
            Ok(Err(cause)) => Some(store_unavailable(cause)),
            Err(_) => Some(JwtError::StoreUnavailable(
                "the token store panicked".into(),
            )),
        }
    }

    /// An access and a refresh token that start a rotation family (at login),
    /// for [`rotate_refresh_token`](Self::rotate_refresh_token). Both carry the
    /// family in a `fam` claim, so revoking the family logs both out.
    pub fn create_token_pair(&self, identity: impl Serialize) -> Result<TokenPair, JwtError> {
        self.create_token_pair_with(identity, &PairOptions::new())
    }

    /// [`create_token_pair`](Self::create_token_pair) with claims, freshness
    /// and lifetimes for the pair.
    pub fn create_token_pair_with(
        &self,
        identity: impl Serialize,
        options: &PairOptions,
    ) -> Result<TokenPair, JwtError> {
        let identity = serde_json::to_value(identity).map_err(|e| {
            self.hand_out(JwtError::Creation(
                format!("the identity does not serialize: {e}").into(),
            ))
        })?;
        if let Some(error) = options.error() {
            return Err(self.hand_out(error));
        }
        let family = claims::new_jti(self.clock().now()).to_string();
        let draft = PairDraft {
            identity: &identity,
            family: &family,
            options,
            carried: None,
        };
        self.pair(&draft, family.clone())
    }

    /// Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP,
    /// RFC 9700 section 4.14): retires the verified refresh token `presented`
    /// and returns a new pair of the same family. Presenting a retired refresh
    /// token revokes the whole family, thief and user alike, calls the
    /// [`on_refresh_reuse`](JwtManagerBuilder::on_refresh_reuse) hook and fails
    /// with [`JwtError::Revoked`]. Of two concurrent calls with one token,
    /// exactly one succeeds. Needs a [`TokenStore`](crate::store::TokenStore).
    pub async fn rotate_refresh_token(
        &self,
        presented: &DecodedToken,
    ) -> Result<TokenPair, JwtError> {
        self.rotate_refresh_token_with(presented, &PairOptions::new())
            .await
    }

    /// [`rotate_refresh_token`](Self::rotate_refresh_token) with claims,
    /// freshness and lifetimes for the new pair; with
    /// [`PairOptions::carry_claims`], the presented token's claims too.
    pub async fn rotate_refresh_token_with(
        &self,
        presented: &DecodedToken,
        options: &PairOptions,
    ) -> Result<TokenPair, JwtError> {
        self.rotate(presented, options)
            .await
            .map_err(|rejection| self.renderer().hand_out_rejection(rejection))
    }

    async fn rotate(
        &self,
        presented: &DecodedToken,
        options: &PairOptions,
    ) -> Result<TokenPair, Rejection> {
        let reject = |error| Rejection::with_token(error, presented.clone());
        if let Some(error) = options.error() {
            return Err(reject(error));
        }
        if presented.kind() != TokenKind::Refresh {
            return Err(reject(JwtError::WrongTokenType {
                expected: TokenKind::Refresh,
            }));
        }
        let (Some(jti), Some(family)) = (presented.jti(), presented.session()) else {
            return Err(reject(JwtError::Creation(
                "a refresh token without jti cannot be rotated".into(),
            )));
        };
        let identity = Value::from(presented.identity());
        let next = claims::new_jti(self.clock().now()).to_string();
        // Minted before the store retires the presented token, so that a
        // token that cannot be minted never ends the session.
        let carried = options.carry_claims.then(|| self.carried_claims(presented));
        let draft = PairDraft {
            identity: &identity,
            family,
            options,
            carried: carried.as_ref(),
        };
        let pair = self.pair(&draft, next.clone()).map_err(reject)?;
        let store = self.writable_store().map_err(reject)?;
        // Outside a guard nothing else has asked the store yet.
        if let Some(error) = self.revocation_error(presented).await {
            return Err(reject(error));
        }
        let rotation = RotationRequest {
            family,
            presented: jti,
            next: &next,
            // The family covers every token minted into it, of either kind.
            keep_until: self.accepted_until_last_new(self.clock().now()),
            reuse_interval: self.parts.reuse_interval,
        };
        match store_call(store.rotate(rotation)).await.map_err(reject)? {
            Rotation::Rotated => Ok(pair),
            // Within the reuse interval: a copy of the current refresh token.
            Rotation::Repeated { current } => self.pair(&draft, current).map_err(reject),
            Rotation::Reused => {
                self.hooks().refresh_reused(presented);
                Err(reject(JwtError::Revoked))
            }
            _ => Err(reject(JwtError::Revoked)),
        }
    }

    /// The additional claims of `token`: all but the registered ones and
    /// those the configuration decides (`aud`, `iss`).
    fn carried_claims(&self, token: &DecodedToken) -> serde_json::Map<String, Value> {
        let identity_claim = self.verifier().identity_claim();
        token
            .claims()
            .iter()
            .filter(|(name, _)| {
                !claims::RESERVED.contains(&name.as_str())
                    && !["sub", "aud", "iss"].contains(&name.as_str())
                    && name.as_str() != identity_claim
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// An access token and a refresh token (with the `jti` `refresh_jti`) of
    /// the draft's family.
    fn pair(&self, draft: &PairDraft<'_>, refresh_jti: String) -> Result<TokenPair, JwtError> {
        let options = draft.options;
        let mut claims = draft.carried.cloned().unwrap_or_default();
        claims.extend(options.claims.clone());
        let mut access = self
            .access_token_builder(draft.identity)
            .rotation(None, draft.family)
            .claims(&claims)
            .fresh(options.fresh);
        if let Some(expires) = options.access_expires {
            access = access.expires(expires);
        }
        let mut refresh = self
            .refresh_token_builder(draft.identity)
            .rotation(Some(refresh_jti), draft.family)
            .claims(&claims);
        if let Some(key) = &options.key {
            access = access.signing_key(key.clone());
            refresh = refresh.signing_key(key.clone());
        }
        if let Some(expires) = options.refresh_expires {
            refresh = refresh.expires(expires);
        }
        Ok(TokenPair {
            access_token: access.encode()?,
            refresh_token: refresh.encode()?,
        })
    }

    /// How many verified tokens the cache holds, and its capacity (for
    /// monitoring; see [`JwtManagerBuilder::token_cache`]).
    pub fn token_cache_usage(&self) -> (usize, usize) {
        self.verifier()
            .cache
            .as_ref()
            .map_or((0, 0), |cache| (cache.len(), cache.capacity()))
    }

    /// The public keys as a JWK Set (`kty`, `alg`, `use`, `kid` and the key
    /// parameters), for [`keys::serve_jwks`](crate::keys::serve_jwks). Secrets are never
    /// included.
    pub fn jwk_set(&self) -> JwkSet {
        self.verifier().keys.jwks()
    }

    /// Renders `error` as this manager's guards would: the
    /// [`error_response`](JwtManagerBuilder::error_response) hook's answer, or
    /// the configured format (Flask's status and `{"msg": ...}` by default).
    /// Useful in a handler that answers with a response rather than returning
    /// the error with `?`. Emits the rejection event, as every rendered error
    /// does.
    pub fn render_error(&self, error: &JwtError) -> HttpResponse {
        self.renderer().render(error, None, None)
    }

    fn hand_out(&self, error: JwtError) -> JwtError {
        self.renderer().hand_out(error)
    }

    fn writable_store(&self) -> Result<&dyn DynStore, JwtError> {
        self.store()
            .map(|store| &**store)
            .ok_or(JwtError::Misconfigured(
                "revocation needs a token store: register one with JwtManagerBuilder::token_store",
            ))
    }

    /// The clock tokens are dated and checked by.
    pub(crate) fn clock(&self) -> &claims::Clock {
        self.verifier().clock()
    }

    pub(crate) fn issuer(&self) -> &Issuer {
        &self.parts.issuer
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.parts.verifier
    }

    pub(crate) fn locations(&self) -> &LocationConfig {
        &self.parts.locations
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        &self.parts.hooks
    }

    pub(crate) fn renderer(&self) -> &Renderer {
        &self.parts.renderer
    }

    pub(crate) fn store(&self) -> Option<&SharedStore> {
        self.parts.store.as_ref()
    }

    /// The manager registered in app data, as `web::Data<JwtManager>` or a plain `JwtManager`.
    pub(crate) fn from_app_data(req: &HttpRequest) -> Result<&JwtManager, actix_web::Error> {
        req.app_data::<web::Data<JwtManager>>()
            .map(|data| data.get_ref())
            .or_else(|| req.app_data::<JwtManager>())
            // The rejection event names the request and the fix.
            .ok_or_else(|| Renderer::fallback().reject(JwtError::NotConfigured.into(), req))
    }
}

fn store_unavailable(cause: StoreError) -> JwtError {
    JwtError::StoreUnavailable(cause.to_string().into())
}

/// A write to the token store: its failure is a 503, a panic in it a 500,
/// each with the cause logged.
async fn store_call<T>(write: impl Future<Output = Result<T, StoreError>>) -> Result<T, JwtError> {
    match AssertUnwindSafe(write).catch_unwind().await {
        Ok(result) => result.map_err(store_unavailable),
        Err(_) => Err(JwtError::Hook("the token store panicked".into())),
    }
}

/// Serves the manager's public keys as a JWK Set (`/.well-known/jwks.json`),
/// cacheable for five minutes: publish new keys a while before signing with
/// them.
///
/// ```
/// use actix_web::{web, App};
///
/// let app = App::new().route("/.well-known/jwks.json", web::get().to(actix_jwt_extended::keys::serve_jwks));
/// ```
pub async fn serve_jwks(req: HttpRequest) -> HttpResponse {
    match JwtManager::from_app_data(&req) {
        Ok(manager) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .json(manager.jwk_set()),
        Err(error) => HttpResponse::from_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let manager = JwtManager::builder()
            .secret("hunter2-hunter2")
            .allow_short_secret()
            .build()
            .unwrap();
        let debug = format!("{manager:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("HS256"), "{debug}");
        // A store is named, never dumped (it may hold a connection string).
        let with_store = JwtManager::builder()
            .secret("hunter2-hunter2")
            .allow_short_secret()
            .token_store(crate::store::MemoryStore::new())
            .build()
            .unwrap();
        let debug = format!("{with_store:?}");
        assert!(debug.contains("store: Some(<token store>)"), "{debug}");
    }

    #[test]
    fn debug_of_a_token_shows_the_identity_but_not_the_csrf_claim() {
        let jwt = JwtManager::builder()
            .secret("s")
            .allow_short_secret()
            .build()
            .unwrap();
        let token = jwt
            .decode_token(&jwt.create_access_token("alice").unwrap())
            .unwrap();
        let csrf = token.claims()["csrf"].as_str().unwrap().to_owned();
        let debug = format!("{token:?}");
        assert!(debug.contains("alice") && !debug.contains(&csrf), "{debug}");
    }

    #[test]
    fn decoded_tokens_share_their_claims_with_their_clones() {
        let jwt = JwtManager::builder()
            .secret("s")
            .allow_short_secret()
            .build()
            .unwrap();
        let token = jwt
            .decode_token(&jwt.create_access_token("alice").unwrap())
            .unwrap();
        assert!(std::ptr::eq(token.claims(), token.clone().claims()));
    }

    #[test]
    fn absurd_durations_are_errors_at_build_or_encode_never_panics() {
        use std::time::Duration;
        let base = || JwtManager::builder().secret("s").allow_short_secret();
        for builder in [
            base().refresh_token_expires(Duration::MAX),
            base().access_token_expires(Duration::from_secs(1 << 63)),
            base().max_token_lifetime(Duration::from_secs(9000 * 366 * 24 * 3600)),
            base().leeway(Duration::MAX),
        ] {
            assert!(
                matches!(builder.build(), Err(ConfigError::OutOfRange(_))),
                "an absurd duration was accepted"
            );
        }
        // A manager that may mint tokens that never expire: a token builder
        // asking for a date past the year 9999 fails at encode.
        let jwt = base()
            .refresh_token_expires(crate::config::Expiry::Never)
            .build()
            .unwrap();
        for token in [
            jwt.access_token_builder("a").expires(Duration::MAX),
            jwt.access_token_builder("a").fresh(Duration::MAX),
            jwt.access_token_builder("a")
                .expires(Duration::from_secs(1 << 63)),
        ] {
            assert!(matches!(token.encode(), Err(JwtError::Creation(_))));
        }
        let long = jwt
            .access_token_builder("a")
            .expires(Duration::from_secs(7000 * 365 * 24 * 3600))
            .encode()
            .unwrap();
        assert!(jwt.decode_token(&long).unwrap().expires_at().unwrap() <= claims::LAST_DATE);
        assert_eq!(jwt.issuer().last_expiry_of_new(claims::now()), None);
    }
}
