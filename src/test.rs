//! Test utilities for apps that use this crate (feature `test-util`): tokens
//! on an [`actix_web::test::TestRequest`] in one call, and a clock a test
//! moves forward to expire tokens or end their freshness without sleeping.
//!
//! ```
//! use std::time::Duration;
//! use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, test::{TestClock, TestRequestExt}};
//! use actix_web::{test, web, App, HttpResponse};
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = TestClock::new();
//! let jwt = JwtManager::builder()
//!     .secret(b"change-me-to-a-long-random-secret")
//!     .clock(&clock)
//!     .build()?;
//! let app = test::init_service(
//!     App::new().app_data(web::Data::new(jwt.clone())).route(
//!         "/me",
//!         web::get().to(|id: JwtIdentity| async move { HttpResponse::Ok().body(id.to_string()) })
//!             .wrap(JwtRequired::new()),
//!     ),
//! ).await;
//!
//! let req = test::TestRequest::get().uri("/me").with_access_token(&jwt, "alice");
//! assert_eq!(test::call_and_read_body(&app, req.to_request()).await, "alice");
//!
//! // Fifteen minutes later the same token has expired.
//! let token = jwt.create_access_token("alice")?;
//! clock.advance(Duration::from_secs(15 * 60 + 1));
//! let req = test::TestRequest::get().uri("/me").with_token(&token);
//! assert_eq!(test::call_service(&app, req.to_request()).await.status(), 401);
//! # Ok(()) }
//! ```

use actix_web::{cookie::Cookie, http::header, test::TestRequest};
use serde::Serialize;

pub use crate::claims::TestClock;
use crate::{manager::JwtManager, token::TokenKind};

/// Tokens on a test request, where the manager reads them.
///
/// # Panics
///
/// When the manager cannot mint the token (a verify-only manager, a hook
/// that fails): a test set-up mistake.
pub trait TestRequestExt: Sized {
    /// A new access token for `identity` in the configured header
    /// (`Authorization: Bearer <token>` by default).
    fn with_access_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self;

    /// A new refresh token for `identity` in the configured header.
    fn with_refresh_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self;

    /// A new access token for `identity` in its cookie, with the CSRF header
    /// a browser script would send beside it (needed on `POST`, `PUT`,
    /// `PATCH` and `DELETE`).
    fn with_jwt_cookies(self, jwt: &JwtManager, identity: impl Serialize) -> Self;

    /// A new refresh token for `identity` in its cookie, with its CSRF header.
    fn with_refresh_cookies(self, jwt: &JwtManager, identity: impl Serialize) -> Self;

    /// `token` as `Authorization: Bearer <token>`, whatever it is: an old
    /// token, a tampered one, another issuer's.
    fn with_token(self, token: &str) -> Self;

    /// A WebSocket handshake carrying a new access token for `identity` as a
    /// browser offers it, `Sec-WebSocket-Protocol: bearer, <token>` (the
    /// configured marker), with the handshake's other headers (`Upgrade`,
    /// `Connection`, `Sec-WebSocket-Version`, `Sec-WebSocket-Key`), so that
    /// `actix_ws::handle` accepts it. The method stays `GET`, the default.
    fn with_websocket_access_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self;
}

fn mint(jwt: &JwtManager, kind: TokenKind, identity: impl Serialize) -> String {
    let minted = match kind {
        TokenKind::Access => jwt.create_access_token(identity),
        TokenKind::Refresh => jwt.create_refresh_token(identity),
    };
    minted.unwrap_or_else(|error| panic!("the manager cannot mint a {kind} token: {error:?}"))
}

fn in_header(req: TestRequest, jwt: &JwtManager, token: &str) -> TestRequest {
    req.insert_header(jwt.locations().header_line(token))
}

fn in_cookie(
    req: TestRequest,
    jwt: &JwtManager,
    kind: TokenKind,
    identity: impl Serialize,
) -> TestRequest {
    let token = mint(jwt, kind, identity);
    let cookies = &jwt.locations().cookies;
    let (cookie, csrf_header, _) = cookies.read_names(kind);
    let req = req.cookie(Cookie::new(cookie.to_owned(), token.clone()));
    let csrf = jwt.read_own_token(&token).ok().and_then(|decoded| {
        decoded
            .claims()
            .get(crate::claims::CSRF)?
            .as_str()
            .map(str::to_owned)
    });
    match csrf {
        Some(csrf) => req.insert_header((csrf_header.clone(), csrf)),
        None => req,
    }
}

impl TestRequestExt for TestRequest {
    fn with_access_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self {
        in_header(self, jwt, &mint(jwt, TokenKind::Access, identity))
    }

    fn with_refresh_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self {
        in_header(self, jwt, &mint(jwt, TokenKind::Refresh, identity))
    }

    fn with_jwt_cookies(self, jwt: &JwtManager, identity: impl Serialize) -> Self {
        in_cookie(self, jwt, TokenKind::Access, identity)
    }

    fn with_refresh_cookies(self, jwt: &JwtManager, identity: impl Serialize) -> Self {
        in_cookie(self, jwt, TokenKind::Refresh, identity)
    }

    fn with_token(self, token: &str) -> Self {
        self.insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
    }

    fn with_websocket_access_token(self, jwt: &JwtManager, identity: impl Serialize) -> Self {
        let token = mint(jwt, TokenKind::Access, identity);
        let protocols = jwt.locations().websocket_protocol_line(&token);
        self.insert_header((header::UPGRADE, "websocket"))
            .insert_header((header::CONNECTION, "Upgrade"))
            .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
            // RFC 6455 section 1.3's sample key: any 16 bytes in base64 do.
            .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
            .insert_header((header::SEC_WEBSOCKET_PROTOCOL, protocols))
    }
}
