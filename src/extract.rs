//! Extractors: [`JwtIdentity`] and [`Claims`].

use std::{
    fmt,
    future::{Ready, ready},
    ops::Deref,
    sync::Arc,
};

use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;

use crate::{
    JwtManager,
    token::{DecodedToken, TokenKind},
};

/// The token a guard verified, kept in the request extensions.
#[derive(Clone)]
pub(crate) struct Verified(Arc<DecodedToken>);

impl Verified {
    pub(crate) fn new(token: DecodedToken) -> Self {
        Self(Arc::new(token))
    }
}

/// The verified token of this request: the one a guard stored, or, on a route
/// without a guard, the access token in the request, verified now and stored so
/// that other extractors on the same request do not verify it again.
fn verified_token(req: &HttpRequest) -> Result<Arc<DecodedToken>, Error> {
    if let Some(Verified(token)) = req.extensions().get::<Verified>() {
        return Ok(Arc::clone(token));
    }
    let manager = JwtManager::from_app_data(req)?;
    let token = manager
        .verify_request(req, TokenKind::Access)
        .map(Arc::new)
        .map_err(|error| manager.error(error))?;
    req.extensions_mut().insert(Verified(Arc::clone(&token)));
    Ok(token)
}

/// The identity of the caller: the `sub` claim of the verified token (Flask's
/// `get_jwt_identity()`).
///
/// Behind [`JwtRequired`](crate::JwtRequired) or [`RefreshRequired`](crate::RefreshRequired)
/// it reads the token the guard verified. On its own it protects the handler
/// like Flask's `@jwt_required()` on one view: it verifies the access token itself
/// and rejects the request with the same responses as the guard.
///
/// `Option<JwtIdentity>` yields `None` instead of rejecting, for any reason,
/// including an invalid token.
///
/// ```
/// use actix_jwt_extended::JwtIdentity;
/// use actix_web::{web, Responder};
///
/// async fn protected(identity: JwtIdentity) -> impl Responder {
///     web::Json(serde_json::json!({ "logged_in_as": identity.as_str() }))
/// }
/// ```
#[derive(Clone)]
pub struct JwtIdentity(Arc<DecodedToken>);

impl JwtIdentity {
    /// The identity as a string slice.
    pub fn as_str(&self) -> &str {
        self.0.identity()
    }

    /// The whole verified token, for its other claims.
    pub fn token(&self) -> &DecodedToken {
        &self.0
    }
}

impl Deref for JwtIdentity {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for JwtIdentity {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for JwtIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for JwtIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JwtIdentity").field(&self.as_str()).finish()
    }
}

impl FromRequest for JwtIdentity {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verified_token(req).map(JwtIdentity))
    }
}

/// The whole verified token, with its payload deserialized into `T` (Flask's
/// `get_jwt()`).
///
/// `T` is any `DeserializeOwned` type; it sees every claim, so a struct picks
/// the ones it names and ignores the rest. The default `serde_json::Value`
/// keeps them all. Verification works as for [`JwtIdentity`]. A payload that
/// does not fit `T` is rejected with 422.
///
/// ```
/// use actix_jwt_extended::Claims;
/// use actix_web::Responder;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Roles {
///     #[serde(default)]
///     roles: Vec<String>,
/// }
///
/// async fn admin(claims: Claims<Roles>) -> impl Responder {
///     format!("{} has roles {:?}", claims.identity(), claims.roles)
/// }
/// ```
pub struct Claims<T = serde_json::Value> {
    token: Arc<DecodedToken>,
    claims: T,
}

impl<T> Claims<T> {
    /// The identity claim (`sub`).
    pub fn identity(&self) -> &str {
        self.token.identity()
    }

    /// The verified token: header, raw claims, kind, expiry.
    pub fn token(&self) -> &DecodedToken {
        &self.token
    }

    /// The deserialized claims.
    pub fn into_inner(self) -> T {
        self.claims
    }
}

impl<T> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.claims
    }
}

impl<T: fmt::Debug> fmt::Debug for Claims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("claims", &self.claims)
            .finish()
    }
}

impl<T: DeserializeOwned> FromRequest for Claims<T> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verified_token(req).and_then(|token| {
            let claims =
                token.deserialize_claims().map_err(|error| {
                    match JwtManager::from_app_data(req) {
                        Ok(manager) => manager.error(error),
                        Err(not_configured) => not_configured,
                    }
                })?;
            Ok(Claims { token, claims })
        }))
    }
}
