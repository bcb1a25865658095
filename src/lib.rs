//! Flask-JWT-Extended's token model for actix-web: access tokens, refresh
//! tokens that can only mint new access tokens, guards and extractors, with
//! Flask's claim layout, defaults and error responses, so tokens pass freely
//! between a Flask service and an actix one that share a secret.
//!
//! # Quick start
//!
//! The "Refresh Tokens" chapter of the Flask-JWT-Extended guide, on actix-web:
//!
//! ```
//! use actix_jwt_extended::{Claims, JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
//! use actix_web::{web, App, HttpResponse, Responder};
//! use serde_json::json;
//!
//! async fn login(jwt: web::Data<JwtManager>, body: web::Json<serde_json::Value>) -> actix_web::Result<HttpResponse> {
//!     if body["username"] != "test" || body["password"] != "test" {
//!         return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
//!     }
//!     // {"access_token": ..., "refresh_token": ...}, one login session.
//!     Ok(HttpResponse::Ok().json(jwt.create_token_pair("test")?))
//! }
//!
//! // The new access token joins the refresh token's session.
//! async fn refresh(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<impl Responder> {
//!     let token = claims.token();
//!     let access_token = jwt.access_token(token.identity()).in_session_of(token).encode()?;
//!     Ok(web::Json(json!({ "access_token": access_token })))
//! }
//!
//! async fn protected(identity: JwtIdentity) -> impl Responder {
//!     web::Json(json!({ "logged_in_as": identity.as_str() }))
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // At least 32 random bytes for HS256, from your configuration. Change this!
//! let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//! let app = App::new()
//!     .app_data(web::Data::new(jwt.clone()))
//!     .route("/login", web::post().to(login))
//!     .service(web::resource("/refresh").wrap(RefreshRequired::new()).route(web::post().to(refresh)))
//!     .service(web::resource("/protected").wrap(JwtRequired::new()).route(web::get().to(protected)));
//! // HttpServer::new(move || app...).bind(("127.0.0.1", 5000))?.run().await
//! # let app = actix_web::test::init_service(app).await;
//! # let token = jwt.create_access_token("test")?;
//! # let req = actix_web::test::TestRequest::get().uri("/protected")
//! #     .insert_header(("Authorization", format!("Bearer {token}"))).to_request();
//! # let body: serde_json::Value = actix_web::test::call_and_read_body_json(&app, req).await;
//! # assert_eq!(body, json!({ "logged_in_as": "test" }));
//! # Ok(())
//! # }
//! ```
//!
//! # Guards and extractors
//!
//! - [`JwtRequired`] lets only valid **access** tokens through; [`RefreshRequired`]
//!   only valid **refresh** tokens. Wrap an `App`, a `Scope` or a `Resource`.
//! - [`JwtIdentity`] gives the handler the identity (`sub`); [`Claims<T>`] the
//!   whole payload typed as `T`. They read the token the guard verified.
//!   Without a guard they verify the access token themselves, which protects a
//!   single handler.
//! - Each request's token is verified, checked against the token store and run
//!   through the hooks once, however many guards (nested scopes) and
//!   extractors read it. Other middleware reads the result with
//!   [`JwtRequestExt::verified_token`].
//! - A token without a `type` claim counts as an access token, as in Flask, so
//!   tokens from other issuers that share the key work on access routes. Any
//!   `type` but `"access"` and `"refresh"` is refused with 422 (explicit
//!   typing, RFC 8725 section 3.11).
//! - `OPTIONS` requests without a token (CORS preflights) pass the guards with
//!   an empty 200 and never reach a handler; a rejection is an ordinary
//!   response that outer middleware still sees.
//!
//! # Fresh tokens and optional routes
//!
//! A token from a password login can be marked fresh, for sensitive routes; a
//! refreshed token is not (Flask's "Token Freshness" chapter). Freshness may
//! also last a while: `.fresh(Duration::from_secs(600))` writes Flask's
//! fresh-until timestamp.
//!
//! ```
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
//! use actix_web::{web, App, HttpResponse};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//! let fresh = jwt.access_token("alice").fresh(true).encode()?;
//! # let _ = fresh;
//! let app = App::new()
//!     .app_data(web::Data::new(jwt))
//!     // 401 "Fresh token required" unless the token is fresh.
//!     .route("/settings", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new().fresh()))
//!     // No token: the handler runs with `None`; a bad token is still refused.
//!     .route(
//!         "/feed",
//!         web::get()
//!             .to(|id: Option<JwtIdentity>| async move { HttpResponse::Ok().body(id.map_or("anonymous".into(), |id| id.to_string())) })
//!             .wrap(JwtRequired::new().optional()),
//!     );
//! # Ok(()) }
//! ```
//!
//! # Token locations, cookies and CSRF
//!
//! Tokens can come from headers, cookies, a JSON body or the query string
//! ([`TokenLocation`](config::TokenLocation), Flask's `JWT_TOKEN_LOCATION`),
//! app-wide or per route with `JwtRequired::new().locations([..])`; the first
//! location holding a token decides, and a request with none gets Flask's
//! `Missing JWT in headers, cookies, json or query_string (...)` message.
//! WebSocket routes opt in to one more, which Flask does not have: the
//! token in the handshake's `Sec-WebSocket-Protocol` (see [`websocket`]).
//!
//! For browsers, keep tokens in HttpOnly cookies with
//! [`JwtCookies`](cookies::JwtCookies) (`set_access_cookies`,
//! `set_refresh_cookies`, `unset_jwt_cookies` on `HttpResponse` and
//! `HttpResponseBuilder`). State-changing requests with a cookie token must
//! send the CSRF double submit value (`X-CSRF-TOKEN`, read by page script from
//! the `csrf_access_token` cookie); it is compared in constant time.
//! [`ImplicitRefresh`](cookies::ImplicitRefresh) re-issues access cookies
//! close to expiry, into the same session, and only cookies: a token from a
//! header, the query string or a body never becomes a cookie. Cookies are `Secure` and `SameSite=Lax` by default, unlike
//! Flask's; [`CookieConfig`](cookies::CookieConfig) has the opt-outs.
//!
//! ```
//! use actix_jwt_extended::{JwtManager, JwtRequired, RefreshRequired, config::TokenLocation};
//! use actix_web::{web, App, HttpResponse};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder()
//!     .secret(b"change-me-to-a-long-random-secret")
//!     .token_location([TokenLocation::Headers, TokenLocation::Cookies])
//!     .build()?;
//! let app = App::new()
//!     .app_data(web::Data::new(jwt))
//!     .route("/api/data", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new()))
//!     .route(
//!         "/token/refresh",
//!         web::post()
//!             .to(HttpResponse::Ok)
//!             .wrap(RefreshRequired::new().locations([TokenLocation::Cookies])),
//!     );
//! # Ok(()) }
//! ```
//!
//! # Revocation and refresh-token rotation
//!
//! Stateless tokens cannot be taken back, so revocation lives in a
//! [`TokenStore`](store::TokenStore): [`MemoryStore`](store::MemoryStore) for
//! one process, `RedisStore` (feature `redis`) for many instances (one Redis
//! server or a cluster; each instance answers from a local mirror kept
//! current by a feed from Redis), or your own
//! (Flask's `token_in_blocklist_loader`). Every guard and extractor consults it
//! after the signature and claim checks; a revoked token gets 401
//! `Token has been revoked`, and a store that cannot answer denies the request
//! with 503 (fail closed).
//!
//! - A login is a session: [`JwtManager::create_token_pair`] starts one, and
//!   every token minted from one of its tokens joins it
//!   ([`in_session_of`](token::TokenBuilder::in_session_of), rotation,
//!   [`ImplicitRefresh`](cookies::ImplicitRefresh)).
//! - [`JwtManager::end_session`] logs out: it revokes every access and
//!   refresh token of the session, from either kind of token, until the last
//!   of them would have expired anyway.
//!   [`JwtManager::end_other_sessions`] logs out the user's other devices;
//!   [`JwtManager::revoke_all_tokens`] logs an identity out everywhere
//!   (tokens minted after the call pass, in the same second too);
//!   [`JwtManager::revoke_token`] revokes one token (Flask's blocklist chapter).
//! - [`JwtManager::rotate_refresh_token`] trades a refresh token for a new pair
//!   and retires the old one. Presenting a retired refresh token revokes the
//!   whole family (RFC 9700, section 4.14) and calls the
//!   [`on_refresh_reuse`](manager::JwtManagerBuilder::on_refresh_reuse) hook;
//!   of two concurrent refreshes with one token exactly one succeeds. An
//!   opt-in [reuse interval](manager::JwtManagerBuilder::refresh_reuse_interval)
//!   forgives a token presented again within seconds of its rotation (two
//!   tabs, a retry).
//!
//! ```
//! use actix_jwt_extended::{Claims, JwtManager, JwtRequired, store::MemoryStore};
//! use actix_web::{web, App, HttpResponse};
//!
//! // Logs out: every token of this login, access and refresh alike.
//! async fn logout(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<HttpResponse> {
//!     jwt.end_session(claims.token()).await?;
//!     Ok(HttpResponse::Ok().json(serde_json::json!({ "msg": "Session ended" })))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").token_store(MemoryStore::new()).build()?;
//! let app = App::new()
//!     .app_data(web::Data::new(jwt))
//!     .route("/logout", web::delete().to(logout).wrap(JwtRequired::new().any_kind()));
//! # Ok(()) }
//! ```
//!
//! # Asymmetric keys and key rotation
//!
//! RS, PS, ES and EdDSA algorithms take PEM keys
//! ([`private_key`](manager::JwtManagerBuilder::private_key),
//! [`public_key`](manager::JwtManagerBuilder::public_key)) or a key ring of
//! [`Key`](keys::Key)s with `kid`s; [`keys::jwks`] publishes the public keys,
//! and [`jwks`](manager::JwtManagerBuilder::jwks) builds a verify-only manager
//! from such a document. A token is verified only with the key its `kid`
//! names, and only with that key's own algorithm.
//!
//! # Claims, identities and users
//!
//! - Per-token claims: `jwt.access_token(id).claim("role", "admin")`; for
//!   every token: [`additional_claims_loader`](manager::JwtManagerBuilder::additional_claims_loader).
//!   The registered claims (`sub` or the identity claim, `type`, `fresh`, `jti`,
//!   `iat`, `nbf`, `exp`, `csrf`) and the `alg` header are reserved: setting one
//!   is an error at `encode()`, never a silently forged token. A per-token claim
//!   overrides the loader's.
//! - [`Claims<T>`] deserializes the payload into your own type.
//! - The identity may be any `Serialize` value: strings are kept, numbers become
//!   their decimal text, and [`identity_loader`](manager::JwtManagerBuilder::identity_loader)
//!   handles the rest (Flask's `user_identity_loader`).
//! - A [`UserLoader`](manager::UserLoader) (Flask's `user_lookup_loader`) loads
//!   the user once per request; [`CurrentUser<U>`] hands it to the handler.
//! - [`verify_claims`](manager::JwtManagerBuilder::verify_claims) (Flask's
//!   `token_verification_loader`) refuses tokens with 400.
//! - Audience, issuer, leeway, `nbf`, the decode algorithms and `sub`
//!   verification are builder options, checked as PyJWT checks them.
//!
//! Guards and extractors share one verification path: a hook runs whether a
//! route uses a guard, an extractor alone, or both, and runs once per request.
//!
//! ## Authorization (403)
//!
//! A guard takes conditions on the verified token's claims with
//! [`JwtRequired::require`]: a valid token that fails one is refused with 403
//! ([`JwtError::Forbidden`]), rendered like every other error.
//!
//! ```
//! use actix_jwt_extended::{JwtRequired, Require};
//! use actix_web::{web, App, HttpResponse};
//!
//! let app = App::new()
//!     .route("/admin", web::get().to(HttpResponse::Ok)
//!         .wrap(JwtRequired::new().require(Require::claim_equals("role", "admin"))))
//!     .route("/articles", web::post().to(HttpResponse::Ok)
//!         .wrap(JwtRequired::new().require(Require::scopes(["articles:write"]))));
//! ```
//!
//! ## Your own guards
//!
//! Flask's custom decorators become a few lines of `actix_web::middleware::from_fn`
//! on top of ours: extract [`Claims`] (which verifies like [`JwtRequired`]) and
//! decide.
//!
//! ```
//! use actix_jwt_extended::Claims;
//! use actix_web::{body::MessageBody, dev::{ServiceRequest, ServiceResponse}, middleware::Next, HttpResponse};
//! use serde_json::json;
//!
//! async fn admin_required(
//!     mut req: ServiceRequest,
//!     next: Next<impl MessageBody + 'static>,
//! ) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
//!     let is_admin = match req.extract::<Claims>().await {
//!         Ok(claims) => claims["is_administrator"] == true,
//!         Err(rejected) => return Ok(req.error_response(rejected).map_into_right_body()),
//!     };
//!     if !is_admin {
//!         let forbidden = HttpResponse::Forbidden().json(json!({ "msg": "Admins only!" }));
//!         return Ok(req.into_response(forbidden).map_into_right_body());
//!     }
//!     Ok(next.call(req).await?.map_into_left_body())
//! }
//! // .route("/admin", web::get().to(admin).wrap(from_fn(admin_required)))
//! ```
//!
//! # Errors
//!
//! Rejections answer like Flask-JWT-Extended: the same status and a JSON body
//! `{"msg": "..."}` (the key is [`JwtManagerBuilder::error_message_key`](manager::JwtManagerBuilder::error_message_key)).
//!
//! | situation | status | msg |
//! | --- | --- | --- |
//! | no token | 401 | `Missing Authorization Header` |
//! | no `Bearer` part in the header | 401 | `Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'` |
//! | a `Bearer` part that is not two words | 422 | `Bad Authorization header. Expected 'Authorization: Bearer <JWT>'` |
//! | expired | 401 | `Token has expired` |
//! | bad signature | 422 | `Signature verification failed` |
//! | algorithm not configured | 422 | `The specified alg value is not allowed` |
//! | malformed token | 422 | PyJWT's reason, e.g. `Not enough segments` |
//! | `nbf` or `iat` in the future | 422 | `The token is not yet valid (nbf)` |
//! | no `sub` | 422 | `Missing claim: sub` |
//! | cookie token without / with a wrong `X-CSRF-TOKEN` | 401 | `Missing CSRF token` / `CSRF double submit tokens do not match` |
//! | revoked | 401 | `Token has been revoked` |
//! | token store cannot answer | 503 | `Token revocation store unavailable` (cause logged) |
//! | a body a guard must read (JSON token, CSRF form field) is over the limit / too slow | 413 / 408 | `Request body is too large` / `Request body was not received in time` |
//! | refresh token on an access route | 422 | `Only non-refresh tokens are allowed` |
//! | access token on a refresh route | 422 | `Only refresh tokens are allowed` |
//! | not fresh on a fresh route | 401 | `Fresh token required` |
//! | claims verification hook said no | 400 | `User claims verification failed` |
//! | user loader found nobody | 401 | `Error loading the user <identity>` |
//! | a [`Require`] condition refused a valid token | 403 | `Insufficient permissions`, `Insufficient scope` or the condition's message |
//! | a hook failed or panicked | 500 | `Internal server error` (cause logged) |
//! | no [`JwtManager`] in app data | 500 | logged with the fix |
//!
//! Checks run in Flask-JWT-Extended's order: token format, algorithm and
//! signature, `iat`/`nbf`/`exp`, `iss`/`aud`, `sub`, the token type,
//! freshness, the claims verification hook, then the user loader, so an
//! expired refresh token on an access route is a 401, not a 422.
//!
//! Every error the crate hands out answers the same way, whoever raised it: a
//! guard, an extractor, or a manager method (`decode_token`, `revoke_token`,
//! `rotate_refresh_token`, the cookie helpers, ...) whose error a handler
//! returns with `?`. The cause of a 500 or a 503 is logged in every case.
//!
//! Replace any response with
//! [`error_response`](manager::JwtManagerBuilder::error_response) (Flask's
//! `expired_token_loader`, `invalid_token_loader` and the rest, in one hook
//! that also receives the verified token where there is one), or answer in
//! RFC 6750 form (401 with `WWW-Authenticate: Bearer error="invalid_token"`)
//! with [`ErrorFormat::Rfc6750`](config::ErrorFormat::Rfc6750).
//!
//! # Testing your app
//!
//! With the `test-util` feature, `test::TestRequestExt` puts a token on a
//! test request where the manager reads it (`with_access_token`,
//! `with_refresh_token`, `with_jwt_cookies` with the CSRF header,
//! `with_token`), and a `test::TestClock` on the manager expires tokens and
//! freshness without sleeping:
//!
#![cfg_attr(feature = "test-util", doc = "```")]
#![cfg_attr(not(feature = "test-util"), doc = "```ignore")]
//! use std::time::Duration;
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
//! use actix_jwt_extended::test::{TestClock, TestRequestExt};
//! use actix_web::{test, web, App, HttpResponse};
//!
//! async fn me(identity: JwtIdentity) -> HttpResponse {
//!     HttpResponse::Ok().body(identity.to_string())
//! }
//!
//! #[actix_web::main] // in your test suite: #[actix_web::test] on each test
//! async fn main() {
//!     let clock = TestClock::new();
//!     let jwt = JwtManager::builder()
//!         .secret(b"change-me-to-a-long-random-secret")
//!         .clock(&clock)
//!         .build()
//!         .unwrap();
//!     let app = test::init_service(
//!         App::new()
//!             .app_data(web::Data::new(jwt.clone()))
//!             .route("/me", web::get().to(me).wrap(JwtRequired::new())),
//!     )
//!     .await;
//!
//!     let req = test::TestRequest::get().uri("/me").with_access_token(&jwt, "alice");
//!     assert_eq!(test::call_and_read_body(&app, req.to_request()).await, "alice");
//!
//!     let token = jwt.create_access_token("alice").unwrap();
//!     clock.advance(Duration::from_secs(15 * 60 + 1));
//!     let req = test::TestRequest::get().uri("/me").with_token(&token);
//!     assert_eq!(test::call_service(&app, req.to_request()).await.status(), 401);
//! }
//! ```
//!
//! # Migrating from Flask-JWT-Extended
//!
//! Tokens are interchangeable: the same claims (`fresh`, `iat`, `jti`, `type`,
//! `nbf`, `exp`, `sub`), the same header (`alg`, `typ: JWT`) and the same
//! defaults (HS256, access tokens 15 minutes, refresh tokens 30 days,
//! `Authorization: Bearer`). Configure the same secret and a token minted by
//! either side verifies on the other. The `JWT_*` options map to
//! [`JwtManagerBuilder`](manager::JwtManagerBuilder) methods (the README has
//! the table), and [`FlaskConfig`](config::FlaskConfig) takes them under their
//! Flask names, from a file or the environment:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // JWT_SECRET_KEY=... JWT_ACCESS_TOKEN_EXPIRES=3600 JWT_DECODE_AUDIENCE=api
//! let jwt = actix_jwt_extended::config::FlaskConfig::from_env()?.into_builder()?.build()?;
//! # let _ = jwt; Ok(()) }
//! ```
//!
//! # Crate features
//!
//! jsonwebtoken needs exactly one crypto backend; enable exactly one of:
//!
//! - `aws_lc_rs` (default): AWS-LC through `aws-lc-rs`. RSA verification is
//!   about 9x and ECDSA about 5x faster than RustCrypto; building it needs a C
//!   compiler.
//! - `rust_crypto`: pure-Rust RustCrypto crates, for targets without a C
//!   compiler. HMAC (HS256, Flask's default) is as fast.
//!   Use it with `default-features = false, features = ["rust_crypto"]`.
//!
//! And, optionally:
//!
//! - `redis`: `store::RedisStore`, revocations shared by many instances
//!   through Redis or a Redis Cluster (the `redis` crate; its feed runs on a
//!   thread of its own with a small tokio runtime).
//! - `oidc`: the [`oidc`] module, verify-only mode behind an OpenID provider
//!   (discovery, a remote JWK Set kept with care, RFC 9068 access tokens;
//!   awc and rustls fetch the keys, with the crypto backend chosen above).
//! - `test-util`: the `test` module, for your app's tests: tokens on
//!   `actix_web::test::TestRequest` and a test clock (a dev-dependency
//!   feature: `actix-jwt-extended = { version = "..", features = ["test-util"] }`
//!   under `[dev-dependencies]`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "rust_crypto", feature = "aws_lc_rs"))]
compile_error!(
    "actix-jwt-extended: enable exactly one crypto backend; add `default-features = false` to use `rust_crypto`"
);
#[cfg(not(any(feature = "rust_crypto", feature = "aws_lc_rs")))]
compile_error!(
    "actix-jwt-extended: enable one crypto backend feature: `rust_crypto` or `aws_lc_rs`"
);

mod authn;
mod builder;
mod cache;
mod claims;
pub mod config;
pub mod cookies;
mod error;
mod extract;
mod flask;
mod guard;
mod hmac;
mod hooks;
mod issue;
mod keyloader;
mod keyring;
mod locations;
pub mod manager;
#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub mod oidc;
mod pair;
mod require;
pub mod store;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test;
pub mod token;
mod verify;
pub mod websocket;

pub mod keys {
    //! Keys: HMAC secrets, RSA / RSA-PSS / ECDSA / EdDSA key pairs from PEM or
    //! JWK, key rings with `kid`, and JWKS publishing.
    //!
    //! A token is verified only with the key its `kid` header names (or, without a
    //! `kid`, the one configured key that has none), and only with that key's own
    //! algorithm: the token's header never chooses a key type.
    //!
    //! Keys not known in advance (one per tenant, kept in a database) are
    //! chosen per token by loaders: `JwtManagerBuilder::encode_key_loader`,
    //! `decode_key_loader`, and `decode_key_loader_async` with a
    //! [`DecodeKeyLoader`] that awaits.
    //!
    //! ```
    //! use actix_jwt_extended::{JwtManager, config::Algorithm, keys::Key};
    //!
    //! let private = include_bytes!("../tests/fixtures/keys/rs256_private.pem");
    //! let jwt = JwtManager::builder()
    //!     .signing_key(Key::private_pem(Algorithm::RS256, private)?.with_kid("2026-11"))
    //!     .build()?;
    //! let token = jwt.create_access_token("alice")?;
    //! assert_eq!(jwt.decode_token(&token)?.header()["kid"], "2026-11");
    //! // Publish jwt.jwks() so other services can verify with the public half.
    //! # Ok::<(), Box<dyn std::error::Error>>(())
    //! ```

    pub use crate::{keyloader::DecodeKeyLoader, keyring::Key, manager::jwks};
}

pub use authn::JwtRequestExt;
pub use error::JwtError;
pub use extract::{Claims, CurrentUser, JwtIdentity};
pub use guard::{GuardFuture, GuardMiddleware, JwtRequired, RefreshRequired};
pub use manager::JwtManager;
pub use require::Require;
