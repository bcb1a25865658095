//! WebSockets authenticated by a token in the `Sec-WebSocket-Protocol`
//! header of the handshake
//! ([`TokenLocation::WebSocketProtocol`](crate::config::TokenLocation::WebSocketProtocol)).
//!
//! Page script cannot set headers on a WebSocket, but it can offer
//! subprotocols, and the access token travels as one, after a marker:
//!
//! ```js
//! const socket = new WebSocket("wss://example.com/ws", ["bearer", accessToken]);
//! ```
//!
//! The guard reads the entry after `bearer` (the marker: see
//! [`websocket_protocol`](crate::manager::JwtManagerBuilder::websocket_protocol))
//! as any other token, and on the handshake's 101 response selects
//! `Sec-WebSocket-Protocol: bearer`, which the browser needs, since it
//! offered protocols; it never sends the token back. A request without a
//! valid token gets the usual 401 or 422 JSON answer and no upgrade.
//!
//! ```
//! use actix_jwt_extended::{JwtIdentity, JwtRequired, config::TokenLocation};
//! use actix_web::{web, App, HttpRequest, HttpResponse};
//!
//! async fn ws(req: HttpRequest, body: web::Payload, identity: JwtIdentity) -> actix_web::Result<HttpResponse> {
//!     let (response, mut session, mut messages) = actix_ws::handle(&req, body)?;
//!     let identity = identity.to_string();
//!     actix_web::rt::spawn(async move {
//!         while let Some(Ok(actix_ws::Message::Text(text))) = messages.recv().await {
//!             if session.text(format!("{identity}: {text}")).await.is_err() {
//!                 break;
//!             }
//!         }
//!     });
//!     // The guard adds `Sec-WebSocket-Protocol: bearer` to this 101 response.
//!     Ok(response)
//! }
//!
//! let app = App::new().route(
//!     "/ws",
//!     web::get().to(ws).wrap(JwtRequired::new().locations([TokenLocation::WebSocketProtocol])),
//! );
//! ```
//!
//! # Cookies and cross-site WebSocket hijacking
//!
//! A handshake is a `GET`, which CSRF protection exempts, and browsers send
//! cookies on a handshake that another site's page starts. A WebSocket route
//! that takes its token from a cookie therefore lets that page talk to it in
//! the user's name (with the default `SameSite=Lax`, a page of the same
//! site; with `SameSite=None`, any page). The token in
//! `Sec-WebSocket-Protocol` is no ambient credential: only script that holds
//! it can send it. Prefer this location for WebSocket routes, or check the
//! `Origin` header before upgrading a cookie-authenticated one.
//!
//! # Why the handshake only
//!
//! The location is read on a `GET` with `Upgrade: websocket` and nowhere
//! else: browsers send the header on nothing else, and only the 101 response
//! of a handshake can select the marker back.

use actix_web::{HttpRequest, HttpResponse};

use crate::authn;

/// Selects the marker protocol (`Sec-WebSocket-Protocol: bearer`) on the
/// 101 `response` to the handshake `req`, when its token came from
/// `Sec-WebSocket-Protocol`, for a route that authenticates with an
/// extractor alone: [`JwtRequired`](crate::JwtRequired) and
/// [`RefreshRequired`](crate::RefreshRequired) do it themselves.
///
/// A protocol the handler selected stays, unless it holds the token (an
/// echo of everything offered): that is replaced by the marker, with a
/// warning in the log. Any other response is left as it is.
///
/// ```
/// use actix_jwt_extended::{JwtIdentity, websocket};
/// use actix_web::{web, HttpRequest, HttpResponse};
///
/// // `JwtIdentity` verifies the token itself; the manager's locations must
/// // include TokenLocation::WebSocketProtocol.
/// async fn ws(req: HttpRequest, body: web::Payload, identity: JwtIdentity) -> actix_web::Result<HttpResponse> {
///     let (mut response, session, messages) = actix_ws::handle(&req, body)?;
///     websocket::select_protocol(&req, &mut response);
///     // ... hand `session` and `messages` to a task.
///     Ok(response)
/// }
/// ```
pub fn select_protocol<B>(req: &HttpRequest, response: &mut HttpResponse<B>) {
    let status = response.status();
    authn::select_websocket_protocol(req, status, response.headers_mut());
}
