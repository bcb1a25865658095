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
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
//! use actix_web::{web, App, HttpResponse, Responder};
//! use serde_json::json;
//!
//! async fn login(jwt: web::Data<JwtManager>, body: web::Json<serde_json::Value>) -> actix_web::Result<HttpResponse> {
//!     if body["username"] != "test" || body["password"] != "test" {
//!         return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
//!     }
//!     Ok(HttpResponse::Ok().json(json!({
//!         "access_token": jwt.create_access_token("test")?,
//!         "refresh_token": jwt.create_refresh_token("test")?,
//!     })))
//! }
//!
//! async fn refresh(jwt: web::Data<JwtManager>, identity: JwtIdentity) -> actix_web::Result<impl Responder> {
//!     Ok(web::Json(json!({ "access_token": jwt.create_access_token(identity.as_str())? })))
//! }
//!
//! async fn protected(identity: JwtIdentity) -> impl Responder {
//!     web::Json(json!({ "logged_in_as": identity.as_str() }))
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder().secret(b"super-secret").build()?; // Change this!
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
//!   whole payload typed as `T`. They read the token the guard verified, so a
//!   token is decoded once per request. Without a guard they verify the access
//!   token themselves, which protects a single handler.
//! - A token without a `type` claim counts as an access token, as in Flask, so
//!   tokens from other issuers that share the key work on access routes.
//! - `OPTIONS` requests pass the guards untouched (CORS preflights), and a
//!   rejection is an ordinary response that outer middleware still sees.
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
//! | refresh token on an access route | 422 | `Only non-refresh tokens are allowed` |
//! | access token on a refresh route | 422 | `Only refresh tokens are allowed` |
//! | no [`JwtManager`] in app data | 500 | logged with the fix |
//!
//! Checks run in Flask-JWT-Extended's order: token format, algorithm and
//! signature, `iat`/`nbf`/`exp` (no leeway), `sub`, then the token type, so an
//! expired refresh token on an access route is a 401, not a 422.
//!
//! # Migrating from Flask-JWT-Extended
//!
//! Tokens are interchangeable: the same claims (`fresh`, `iat`, `jti`, `type`,
//! `nbf`, `exp`, `sub`), the same header (`alg`, `typ: JWT`) and the same
//! defaults (HS256, access tokens 15 minutes, refresh tokens 30 days,
//! `Authorization: Bearer`). Configure the same secret and a token minted by
//! either side verifies on the other. The `JWT_*` options map to
//! [`JwtManagerBuilder`](manager::JwtManagerBuilder) methods; the README has the table.
//!
//! # Crate features
//!
//! jsonwebtoken needs exactly one crypto backend; enable exactly one of:
//!
//! - `aws_lc_rs` (default): AWS-LC through `aws-lc-rs`. RSA verification is
//!   about 9x and ECDSA about 5x faster than RustCrypto; building it needs a C
//!   compiler.
//! - `rust_crypto`: pure-Rust RustCrypto crates, for targets without a C
//!   compiler. HMAC (HS256, Flask's default) is as fast or slightly faster.
//!   Use it with `default-features = false, features = ["rust_crypto"]`.
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

pub mod config;
mod error;
mod extract;
mod guard;
mod locations;
pub mod manager;
pub mod token;
mod verify;

pub use error::JwtError;
pub use extract::{Claims, CurrentUser, JwtIdentity};
pub use guard::{GuardMiddleware, JwtRequired, RefreshRequired};
pub use manager::JwtManager;
