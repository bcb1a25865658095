//! JWT authentication for actix-web 4: a login handler hands out an access
//! token and a refresh token, a middleware lets only valid access tokens
//! reach your routes (and only refresh tokens reach the route that mints new
//! access tokens), and extractors give each handler the caller's identity and
//! claims. The wire format is Flask-JWT-Extended 4.x's, so tokens pass
//! between a Python service and an actix one that share a key (see
//! [Migrating from Flask-JWT-Extended](#migrating-from-flask-jwt-extended)).
//!
//! # Quick start
//!
//! Put a [`JwtManager`] in app data, wrap routes in [`JwtRequired`] (access
//! tokens) or [`RefreshRequired`] (refresh tokens), and extract
//! [`JwtIdentity`] in handlers. This example runs as it is: it serves the
//! routes through `actix_web::test` and shows what a client gets.
//!
//! ```
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
//! use actix_web::{test, web, App, HttpResponse, Responder};
//! use serde_json::{json, Value};
//!
//! // POST /login: after checking the credentials, an access and a refresh token.
//! async fn login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
//!     Ok(HttpResponse::Ok().json(json!({
//!         "access_token": jwt.create_access_token("alice")?,
//!         "refresh_token": jwt.create_refresh_token("alice")?,
//!     })))
//! }
//!
//! // POST /refresh: only a refresh token gets here.
//! async fn refresh(jwt: web::Data<JwtManager>, identity: JwtIdentity) -> actix_web::Result<impl Responder> {
//!     Ok(web::Json(json!({ "access_token": jwt.create_access_token(identity.as_str())? })))
//! }
//!
//! // GET /protected: only an access token gets here.
//! async fn protected(identity: JwtIdentity) -> impl Responder {
//!     web::Json(json!({ "logged_in_as": identity.as_str() }))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // At least 32 random bytes for HS256, from your configuration.
//!     let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//!     let app = App::new()
//!         .app_data(web::Data::new(jwt.clone()))
//!         .route("/login", web::post().to(login))
//!         .route("/refresh", web::post().to(refresh).wrap(RefreshRequired::new()))
//!         .route("/protected", web::get().to(protected).wrap(JwtRequired::new()));
//!     // In a server: HttpServer::new(move || App::new()...).bind(("127.0.0.1", 5000))?.run().await
//!     let app = test::init_service(app).await;
//!
//!     let tokens: Value = test::call_and_read_body_json(&app, test::TestRequest::post().uri("/login").to_request()).await;
//!     let access = tokens["access_token"].as_str().unwrap();
//!     let refresh = tokens["refresh_token"].as_str().unwrap();
//!
//!     let get = |token: &str| test::TestRequest::get().uri("/protected")
//!         .insert_header(("Authorization", format!("Bearer {token}"))).to_request();
//!     let body: Value = test::call_and_read_body_json(&app, get(access)).await;
//!     assert_eq!(body, json!({ "logged_in_as": "alice" }));
//!
//!     // A refresh token is refused on an access route: 422 and a JSON reason.
//!     let response = test::call_service(&app, get(refresh)).await;
//!     assert_eq!(response.status(), 422);
//!     let body: Value = test::read_body_json(response).await;
//!     assert_eq!(body, json!({ "msg": "Only non-refresh tokens are allowed" }));
//!
//!     // No token: 401.
//!     let response = test::call_service(&app, test::TestRequest::get().uri("/protected").to_request()).await;
//!     assert_eq!(response.status(), 401);
//!     Ok(())
//! }
//! ```
//!
//! # What to wrap
//!
//! - [`JwtRequired`] lets only valid **access** tokens through, and
//!   [`RefreshRequired`] only valid **refresh** tokens. Wrap an `App`, a
//!   `Scope`, a `Resource`, or one `Route` (`web::get().to(h).wrap(..)`, which
//!   runs after method routing).
//! - `JwtRequired::new().fresh()` takes only fresh tokens (from a password
//!   login, not a refresh); `.optional()` lets requests without a token
//!   through (the handler's `Option<JwtIdentity>` is then `None`) but refuses
//!   bad ones; `.locations([..])` reads the token from other places for this
//!   route; `.require(..)` adds conditions on the claims (403, below).
//! - A token without a `type` claim counts as an access token (tokens from
//!   another issuer that shares the key work on access routes); any `type`
//!   but `"access"` and `"refresh"` is refused with 422 (explicit typing,
//!   RFC 8725 section 3.11).
//! - `OPTIONS` requests without a token (CORS preflights) pass the guards
//!   with an empty 200 and never reach a handler. A rejection is an ordinary
//!   response, so middleware wrapped outside (`actix-cors`, a logger) still
//!   sees it.
//!
//! ```
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
//! use actix_web::{web, App, HttpResponse};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//!     let fresh_token = jwt.access_token_builder("alice").fresh(true).encode()?;
//!     assert!(jwt.decode_token(&fresh_token)?.is_fresh());
//!     let app = App::new()
//!         .app_data(web::Data::new(jwt))
//!         // Every route of the scope needs an access token.
//!         .service(web::scope("/api").wrap(JwtRequired::new())
//!             // 401 "Fresh token required" unless the token is fresh.
//!             .route("/password", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new().fresh())))
//!         // No token: the handler runs with `None`; a bad token is still refused.
//!         .route("/feed", web::get()
//!             .to(|who: Option<JwtIdentity>| async move {
//!                 HttpResponse::Ok().body(who.map_or("anonymous".into(), |who| who.to_string()))
//!             })
//!             .wrap(JwtRequired::new().optional()));
//!     Ok(())
//! }
//! ```
//!
//! # What to extract
//!
//! - [`JwtIdentity`]: the identity (`sub`).
//! - [`Claims<T>`]: the whole payload, typed as your `T` (a
//!   `serde_json::Map` by default); [`Claims::token`] is the
//!   [`DecodedToken`](token::DecodedToken) with its header, `jti` and
//!   session.
//! - [`CurrentUser<U>`]: the user your [`UserLoader`](manager::UserLoader)
//!   loaded, once per request.
//! - `Option<_>` of any of them on an optional route.
//!
//! They read the token the guard verified; on a route without a guard they
//! verify the access token themselves, so an extractor alone protects a
//! handler. However many guards (nested scopes) and extractors read it, a
//! request's token is verified, checked against the token store and run
//! through the hooks once. Other middleware reads the result with
//! [`JwtRequestExt::verified_token`].
//!
//! ```
//! use actix_jwt_extended::{Claims, JwtManager};
//! use actix_web::{test, web, App, HttpResponse};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Tenant {
//!     sub: String,
//!     tenant: String,
//! }
//!
//! // No guard: the extractor verifies the access token itself.
//! async fn whoami(claims: Claims<Tenant>) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("{} of {}", claims.sub, claims.tenant))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//!     let token = jwt.access_token_builder("alice").claim("tenant", "acme").encode()?;
//!     let app = test::init_service(App::new()
//!         .app_data(web::Data::new(jwt))
//!         .route("/whoami", web::get().to(whoami))).await;
//!     let request = test::TestRequest::get().uri("/whoami")
//!         .insert_header(("Authorization", format!("Bearer {token}")));
//!     assert_eq!(test::call_and_read_body(&app, request.to_request()).await, "alice of acme");
//!     Ok(())
//! }
//! ```
//!
//! # What errors look like
//!
//! A rejection is a JSON body `{"msg": "..."}` with the status below (the
//! key is [`error_message_key`](manager::JwtManagerBuilder::error_message_key)).
//!
//! | situation | status | msg |
//! | --- | --- | --- |
//! | no token | 401 | `Missing Authorization Header` |
//! | no `Bearer` part in the header | 401 | `Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'` |
//! | a `Bearer` part that is not two words | 422 | `Bad Authorization header. Expected 'Authorization: Bearer <JWT>'` |
//! | expired | 401 | `Token has expired` |
//! | bad signature | 422 | `Signature verification failed` |
//! | algorithm not configured | 422 | `The specified alg value is not allowed` |
//! | malformed token | 422 | the parser's reason, e.g. `Not enough segments` |
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
//! Checks run in this order: token format, algorithm and signature,
//! `iat`/`nbf`/`exp`, `iss`/`aud`, `sub`, the token type, freshness, the
//! claims verification hook, the user loader; so an expired refresh token on
//! an access route is a 401, not a 422.
//!
//! Every error answers the same way, whoever raised it: a guard, an
//! extractor, or a manager method (`decode_token`, `revoke_token`,
//! `rotate_refresh_token`, the cookie helpers) whose [`JwtError`] a handler
//! returns with `?`.
//!
//! Each rejected request emits one event, target `actix_jwt_extended`:
//! `reason` ([`JwtError::code`]), `status`, `method`, `route` (the matched
//! pattern) and a verified token's `jti` and `sub`; never a token, a secret
//! or a CSRF value. A 4xx is a DEBUG event (`RUST_LOG=actix_jwt_extended=debug`
//! shows why requests are refused), a 5xx an ERROR with its cause. It is a
//! `log` line, or a `tracing` event inside the request's span (for
//! `tracing-actix-web`) with the `tracing` feature.
//! Replace any answer with the
//! [`error_response`](manager::JwtManagerBuilder::error_response) hook (it
//! also receives the verified token where there is one), or answer the RFC
//! 6750 way (401 with `WWW-Authenticate: Bearer error="invalid_token"`) with
//! [`ErrorFormat::Rfc6750`](config::ErrorFormat::Rfc6750).
//!
//! ```
//! use actix_jwt_extended::{JwtError, JwtManager, JwtRequired};
//! use actix_web::{test, web, App, HttpResponse};
//! use serde_json::json;
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder()
//!         .secret(b"change-me-to-a-long-random-secret")
//!         .error_response(|error, _token| match error {
//!             JwtError::MissingToken(_) => Some(HttpResponse::Unauthorized().json(json!({ "error": "login first" }))),
//!             _ => None, // the default answer
//!         })
//!         .build()?;
//!     let app = test::init_service(App::new()
//!         .app_data(web::Data::new(jwt))
//!         .route("/me", web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()))).await;
//!     let response = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
//!     assert_eq!(response.status(), 401);
//!     let body: serde_json::Value = test::read_body_json(response).await;
//!     assert_eq!(body, json!({ "error": "login first" }));
//!     Ok(())
//! }
//! ```
//!
//! # Token locations, cookies and CSRF
//!
//! Tokens can come from headers, cookies, a JSON body or the query string
//! ([`TokenLocation`](config::TokenLocation)), app-wide with
//! [`token_location`](manager::JwtManagerBuilder::token_location) or per
//! route with `.locations([..])`; the first location holding a token decides,
//! and a request with none gets `Missing JWT in headers, cookies, json or
//! query_string (...)`.
//! WebSocket routes opt in to one more: the token in the handshake's
//! `Sec-WebSocket-Protocol` (below).
//!
//! For browsers, keep tokens in HttpOnly cookies with
//! [`JwtCookies`](cookies::JwtCookies) (`set_access_cookies`,
//! `set_refresh_cookies`, `unset_jwt_cookies` on `HttpResponse` and
//! `HttpResponseBuilder`). State-changing requests with a cookie token must
//! send the CSRF double submit value (`X-CSRF-TOKEN`, read by page script
//! from the `csrf_access_token` cookie); it is compared in constant time.
//! [`ImplicitRefresh`](cookies::ImplicitRefresh) re-issues access cookies
//! close to expiry, into the same session, and only cookies: a token from a
//! header, the query string or a body never becomes a cookie. Cookies are
//! `Secure` and `SameSite=Lax` by default;
//! [`CookieConfig`](cookies::CookieConfig) has the opt-outs.
//!
//! ```
//! use actix_jwt_extended::{JwtManager, JwtRequired, RefreshRequired, config::TokenLocation, cookies::JwtCookies};
//! use actix_web::{web, App, HttpResponse};
//!
//! async fn login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
//!     let pair = jwt.create_token_pair("alice")?;
//!     Ok(HttpResponse::Ok()
//!         .set_access_cookies(&jwt, &pair.access_token)?
//!         .set_refresh_cookies(&jwt, &pair.refresh_token)?
//!         .json(serde_json::json!({ "msg": "login successful" })))
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder()
//!         .secret(b"change-me-to-a-long-random-secret")
//!         .token_location([TokenLocation::Headers, TokenLocation::Cookies])
//!         .build()?;
//!     let app = App::new()
//!         .app_data(web::Data::new(jwt))
//!         .route("/login", web::post().to(login))
//!         .route("/api/data", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new()))
//!         .route("/token/refresh", web::post().to(HttpResponse::Ok)
//!             .wrap(RefreshRequired::new().locations([TokenLocation::Cookies])));
//!     Ok(())
//! }
//! ```
//!
//! # WebSockets
//!
//! Page script cannot set headers on a WebSocket, but it can offer
//! subprotocols: `new WebSocket(url, ["bearer", accessToken])`. A route
//! that opts in to
//! [`TokenLocation::WebSocketProtocol`](config::TokenLocation::WebSocketProtocol)
//! reads the token after the `bearer` marker on the handshake, and the guard
//! selects `Sec-WebSocket-Protocol: bearer` on the 101 response (never the
//! token). The [`websocket`] module has a whole handler with `actix-ws`, and
//! why cookies are the wrong credential for WebSockets.
//!
//! ```
//! use actix_jwt_extended::{JwtRequired, config::TokenLocation};
//! use actix_web::{web, App, HttpResponse};
//!
//! let app = App::new().route(
//!     "/ws",
//!     web::get()
//!         .to(HttpResponse::SwitchingProtocols) // your actix_ws::handle(..) here
//!         .wrap(JwtRequired::new().locations([TokenLocation::WebSocketProtocol])),
//! );
//! ```
//!
//! # OpenAPI
//!
//! With the `utoipa` feature, `openapi::JwtSecurity` writes the security
//! schemes of the configured token locations into a utoipa OpenAPI document
//! (an HTTP bearer JWT, the cookies with their CSRF headers, the query
//! string, the WebSocket protocol), and marks the operations under each
//! guard as needing them, given the same `JwtRequired` / `RefreshRequired`
//! the app wraps: `JwtSecurity::new(&jwt).scope("/api", JwtRequired::new())
//! .apply(&mut doc)?`. The `openapi` module has a whole example.
//!
//! # Revocation, logout and refresh-token rotation
//!
//! Stateless tokens cannot be taken back, so revocation lives in a
//! [`TokenStore`](store::TokenStore): [`MemoryStore`](store::MemoryStore) for
//! one process, `RedisStore` (feature `redis`) for many instances (one Redis
//! server or a cluster, each instance answering from a local mirror), or your
//! own. Every guard and extractor consults it after the signature and claim
//! checks; a revoked token gets 401 `Token has been revoked`, and a store
//! that cannot answer denies the request with 503 (fail closed).
//!
//! - A login is a session: [`JwtManager::create_token_pair`] starts one, and
//!   every token minted from one of its tokens joins it
//!   ([`in_session_of`](token::TokenBuilder::in_session_of), rotation,
//!   [`ImplicitRefresh`](cookies::ImplicitRefresh)).
//! - [`JwtManager::end_session`] logs out: it revokes every access and
//!   refresh token of the session, until the last of them would have expired
//!   anyway. [`JwtManager::end_other_sessions`] logs out the user's other
//!   devices; [`JwtManager::revoke_all_tokens`] logs an identity out
//!   everywhere; [`JwtManager::revoke_token`] revokes one token.
//! - [`JwtManager::rotate_refresh_token`] trades a refresh token for a new
//!   pair and retires the old one. Presenting a retired refresh token revokes
//!   the whole session (RFC 9700, section 4.14) and calls the
//!   [`on_refresh_reuse`](manager::JwtManagerBuilder::on_refresh_reuse) hook;
//!   of two concurrent refreshes with one token exactly one succeeds. An
//!   opt-in [reuse interval](manager::JwtManagerBuilder::refresh_reuse_interval)
//!   forgives a token presented again within seconds of its rotation.
//!
//! ```
//! use actix_jwt_extended::{Claims, JwtManager, JwtRequired, RefreshRequired, store::MemoryStore};
//! use actix_web::{web, App, HttpResponse};
//!
//! // Every token of this login, access and refresh alike.
//! async fn logout(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<HttpResponse> {
//!     jwt.end_session(claims.token()).await?;
//!     Ok(HttpResponse::Ok().json(serde_json::json!({ "msg": "Session ended" })))
//! }
//!
//! // A new pair for the refresh token, which is retired.
//! async fn refresh(jwt: web::Data<JwtManager>, claims: Claims) -> actix_web::Result<HttpResponse> {
//!     Ok(HttpResponse::Ok().json(jwt.rotate_refresh_token(claims.token()).await?))
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder()
//!         .secret(b"change-me-to-a-long-random-secret")
//!         .token_store(MemoryStore::new())
//!         .build()?;
//!     let app = App::new()
//!         .app_data(web::Data::new(jwt))
//!         .route("/logout", web::delete().to(logout).wrap(JwtRequired::new().any_kind()))
//!         .route("/refresh", web::post().to(refresh).wrap(RefreshRequired::new()));
//!     Ok(())
//! }
//! ```
//!
//! # Keys: asymmetric algorithms, key rotation and JWKS
//!
//! RS, PS, ES and EdDSA algorithms take PEM keys
//! ([`private_key`](manager::JwtManagerBuilder::private_key),
//! [`public_key`](manager::JwtManagerBuilder::public_key)) or a key ring of
//! [`Key`](keys::Key)s with `kid`s; [`keys::serve_jwks`] publishes the
//! public keys, and
//! [`verification_jwks`](manager::JwtManagerBuilder::verification_jwks)
//! builds a verify-only manager from such a document. A token is verified
//! only with the key its `kid` names, and only with that key's own
//! algorithm: the token's header never chooses a key type.
//!
//! ```
//! use actix_jwt_extended::{JwtManager, config::Algorithm, keys::Key};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // An example Ed25519 key: generate your own (`openssl genpkey -algorithm ed25519`).
//!     let private = "-----BEGIN PRIVATE KEY-----
//! MC4CAQAwBQYDK2VwBCIEIJVD2Wp8FUM6aePwDiOXL25XlQssZ5XB1ZZBHzktfMkw
//! -----END PRIVATE KEY-----";
//!     let issuer = JwtManager::builder()
//!         .signing_key(Key::private_pem(Algorithm::EdDSA, private)?.with_kid("2026-12"))
//!         .build()?;
//!     let token = issuer.create_access_token("alice")?;
//!
//!     // Another service verifies with the published public key only.
//!     let document = serde_json::to_string(&issuer.jwk_set())?;
//!     let verifier = JwtManager::builder().verification_jwks(&document)?.build()?;
//!     assert_eq!(verifier.decode_token(&token)?.identity(), "alice");
//!     Ok(())
//! }
//! ```
//!
//! # Claims, identities and users
//!
//! - Per-token claims: `jwt.access_token_builder(id).claim("role", "admin")`;
//!   for every token:
//!   [`additional_claims_loader`](manager::JwtManagerBuilder::additional_claims_loader).
//!   The registered claims (`sub` or the identity claim, `type`, `fresh`,
//!   `jti`, `iat`, `nbf`, `exp`, `csrf`) and the `alg` header are reserved:
//!   setting one is an error at `encode()`, never a silently forged token.
//! - The identity may be any `Serialize` value: strings are kept, numbers
//!   become their decimal text, and
//!   [`identity_loader`](manager::JwtManagerBuilder::identity_loader) handles
//!   the rest.
//! - A [`UserLoader`](manager::UserLoader) loads the user once per request;
//!   [`CurrentUser<U>`] hands it to the handler, and an unknown user is a 401.
//! - [`verify_claims`](manager::JwtManagerBuilder::verify_claims) refuses
//!   tokens with 400. Audience, issuer, leeway, `nbf`, the decode algorithms
//!   and `sub` verification are builder options.
//!
//! ```
//! use actix_jwt_extended::{CurrentUser, JwtManager, manager::UserLoader, token::DecodedToken};
//! use actix_web::{test, web, App, HttpResponse};
//!
//! #[derive(Clone)]
//! struct User {
//!     name: String,
//!     admin: bool,
//! }
//!
//! struct Users;
//!
//! impl UserLoader for Users {
//!     type User = User;
//!     type Error = std::convert::Infallible;
//!
//!     // Your database lookup; `None` answers 401 "Error loading the user <identity>".
//!     async fn load(&self, token: &DecodedToken) -> Result<Option<User>, Self::Error> {
//!         Ok((token.identity() == "alice").then(|| User { name: "Alice".into(), admin: true }))
//!     }
//! }
//!
//! async fn profile(user: CurrentUser<User>) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("{} (admin: {})", user.name, user.admin))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder()
//!         .secret(b"change-me-to-a-long-random-secret")
//!         .user_loader(Users)
//!         .build()?;
//!     let token = jwt.create_access_token("alice")?;
//!     let app = test::init_service(App::new()
//!         .app_data(web::Data::new(jwt))
//!         .route("/profile", web::get().to(profile))).await;
//!     let request = test::TestRequest::get().uri("/profile")
//!         .insert_header(("Authorization", format!("Bearer {token}")));
//!     assert_eq!(test::call_and_read_body(&app, request.to_request()).await, "Alice (admin: true)");
//!     Ok(())
//! }
//! ```
//!
//! # Authorization (403)
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
//! Custom guards are a few lines of `actix_web::middleware::from_fn` on top
//! of ours: extract [`Claims`] (which verifies like [`JwtRequired`]) and
//! decide.
//!
//! ```
//! use actix_jwt_extended::Claims;
//! use actix_web::{body::MessageBody, dev::{ServiceRequest, ServiceResponse}, middleware::{from_fn, Next}, web, App, HttpResponse};
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
//!
//! let app = App::new().route("/admin", web::get().to(HttpResponse::Ok).wrap(from_fn(admin_required)));
//! ```
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
//! Tokens are interchangeable: the same claims (`fresh`, `iat`, `jti`,
//! `type`, `nbf`, `exp`, `sub`), the same header (`alg`, `typ: JWT`), the
//! same defaults (HS256, access tokens 15 minutes, refresh tokens 30 days,
//! `Authorization: Bearer`) and the same JSON errors. Configure the same
//! secret and a token minted by either side verifies on the other. The
//! README has every `JWT_*` option and the few deliberate differences; the
//! main names:
//!
//! | Flask-JWT-Extended | here |
//! | --- | --- |
//! | `JWTManager(app)`, `app.config["JWT_*"]` | [`JwtManager::builder()`](JwtManager::builder), or [`FlaskConfig`](config::FlaskConfig) with the `JWT_*` names |
//! | `@jwt_required()` | [`JwtRequired::new()`] |
//! | `@jwt_required(refresh=True)` | [`RefreshRequired::new()`] |
//! | `@jwt_required(fresh=True)`, `optional=True`, `locations=[..]`, `verify_type=False` | `.fresh()`, `.optional()`, `.locations([..])`, `.any_kind()` |
//! | `get_jwt_identity()`, `get_jwt()`, `current_user` | [`JwtIdentity`], [`Claims<T>`], [`CurrentUser<U>`] |
//! | `create_access_token(identity)`, `create_refresh_token(identity)` | [`JwtManager::create_access_token`], [`JwtManager::create_refresh_token`] |
//! | `create_access_token(identity, fresh=.., expires_delta=.., additional_claims=..)` | [`JwtManager::access_token_builder`]`(identity).fresh(..).expires(..).claims(..).encode()` |
//! | `decode_token(token)` | [`JwtManager::decode_token`] |
//! | `set_access_cookies`, `unset_jwt_cookies`, ... | the same names through [`JwtCookies`](cookies::JwtCookies) |
//! | `token_in_blocklist_loader` | a [`TokenStore`](store::TokenStore) |
//! | `user_lookup_loader` | a [`UserLoader`](manager::UserLoader) |
//! | `expired_token_loader`, `invalid_token_loader`, `unauthorized_loader`, ... | one [`error_response`](manager::JwtManagerBuilder::error_response) hook |
//!
//! ```no_run
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // JWT_SECRET_KEY=... JWT_ACCESS_TOKEN_EXPIRES=3600 JWT_DECODE_AUDIENCE=api
//!     let jwt = actix_jwt_extended::config::FlaskConfig::from_env()?.into_builder()?.build()?;
//!     Ok(())
//! }
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
//!   compiler. HMAC (HS256, the default algorithm) is as fast.
//!   Use it with `default-features = false, features = ["rust_crypto"]`.
//!
//! And, optionally:
//!
//! - `redis`: `store::RedisStore`, revocations shared by many instances
//!   through Redis or a Redis Cluster (the `redis` crate; its feed runs on a
//!   thread of its own with a small tokio runtime).
//! - `oidc`: the `oidc` module, verify-only mode behind an OpenID provider
//!   (discovery, a remote JWK Set kept with care, RFC 9068 access tokens;
//!   awc and rustls fetch the keys, with the crypto backend chosen above).
//! - `utoipa`: the `openapi` module, the guards in a [utoipa](https://docs.rs/utoipa)
//!   OpenAPI document: the security schemes of the configured token locations
//!   (HTTP bearer, the cookies with their CSRF header, the query string), and
//!   the operations behind each guard marked as needing them.
//! - `tracing`: the rejection events (see [Errors](#errors)) as `tracing`
//!   events inside the request's span (tracing-actix-web's root span), not
//!   `log` lines.
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
mod events;
mod extract;
mod flask;
mod guard;
mod handshake;
mod hmac;
mod hooks;
mod issue;
mod json;
mod keyloader;
mod keyring;
mod locations;
pub mod manager;
mod members;
#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub mod oidc;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
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
    //! fn main() -> Result<(), Box<dyn std::error::Error>> {
    //!     // An example key: generate your own (`openssl genpkey -algorithm ed25519`).
    //!     let private = "-----BEGIN PRIVATE KEY-----
    //! MC4CAQAwBQYDK2VwBCIEIJVD2Wp8FUM6aePwDiOXL25XlQssZ5XB1ZZBHzktfMkw
    //! -----END PRIVATE KEY-----";
    //!     let jwt = JwtManager::builder()
    //!         .signing_key(Key::private_pem(Algorithm::EdDSA, private)?.with_kid("2026-12"))
    //!         .build()?;
    //!     let token = jwt.create_access_token("alice")?;
    //!     assert_eq!(jwt.decode_token(&token)?.header()["kid"], "2026-12");
    //!     // Serve jwt.jwk_set() (keys::serve_jwks) so other services can verify
    //!     // with the public half.
    //!     Ok(())
    //! }
    //! ```

    pub use crate::{keyloader::DecodeKeyLoader, keyring::Key, manager::serve_jwks};
    /// jsonwebtoken's JWK types, as [`Key::from_jwk`] and
    /// [`JwtManager::jwk_set`](crate::JwtManager::jwk_set) take and give them
    /// (no need to depend on jsonwebtoken's exact version yourself).
    #[doc(no_inline)]
    pub use jsonwebtoken::jwk::{Jwk, JwkSet};
}

pub use authn::JwtRequestExt;
pub use error::JwtError;
pub use extract::{Claims, CurrentUser, JwtIdentity};
pub use guard::{JwtRequired, RefreshRequired};

pub mod dev {
    //! Types that appear in signatures but that an app rarely names (as in
    //! `actix_web::dev`): the services the middleware build, and the guard's
    //! future.

    pub use crate::cookies::service::ImplicitRefreshMiddleware;
    pub use crate::guard::{GuardFuture, GuardMiddleware};
}
pub use manager::JwtManager;
pub use require::Require;

/// The README's Rust blocks, compiled as doctests so that its Quick start
/// keeps building.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
