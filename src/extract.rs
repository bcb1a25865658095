//! Extractors: [`JwtIdentity`], [`Claims`] and [`CurrentUser`]. They read
//! what the request pipeline admitted (see `authn`).

use std::{any::Any, fmt, ops::Deref, rc::Rc};

use actix_web::{Error, FromRequest, HttpRequest, dev::Payload};
use futures_util::{
    TryFutureExt,
    future::{LocalBoxFuture, MapOk},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    JwtError,
    authn::{self, Admitted, Verified},
    claims,
    config::TokenLocation,
    manager::JwtManager,
    token::{DecodedToken, Rejection},
};

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
pub struct JwtIdentity(DecodedToken);

impl JwtIdentity {
    /// The identity as a string slice.
    pub fn as_str(&self) -> &str {
        self.0.identity()
    }

    /// The whole verified token, for its other claims.
    pub fn token(&self) -> &DecodedToken {
        &self.0
    }

    /// Where the request carried the token (Flask's
    /// `get_jwt_request_location()`).
    pub fn location(&self) -> TokenLocation {
        location(&self.0)
    }
}

/// Extractors read tokens that a request carried, which always have one.
fn location(token: &DecodedToken) -> TokenLocation {
    token.location().unwrap_or(TokenLocation::Headers)
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

/// As the identity string, so that it passes straight to token creation:
/// `jwt.create_access_token(&identity)`.
impl serde::Serialize for JwtIdentity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Debug for JwtIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JwtIdentity").field(&self.as_str()).finish()
    }
}

impl FromRequest for JwtIdentity {
    type Error = Error;
    type Future = MapOk<Verified, fn(Admitted) -> Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authn::verified(req).map_ok(|admitted| JwtIdentity(admitted.token))
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
pub struct Claims<T = Value> {
    token: DecodedToken,
    /// `None` when `T` is `Value`: the token's own claims serve, uncopied.
    claims: Option<T>,
}

impl<T: 'static> Claims<T> {
    /// The identity claim (`sub`).
    pub fn identity(&self) -> &str {
        self.token.identity()
    }

    /// The verified token: header, raw claims, kind, expiry.
    pub fn token(&self) -> &DecodedToken {
        &self.token
    }

    /// Where the request carried the token (Flask's
    /// `get_jwt_request_location()`).
    pub fn location(&self) -> TokenLocation {
        location(&self.token)
    }

    /// The deserialized claims.
    pub fn into_inner(self) -> T {
        match self.claims {
            Some(claims) => claims,
            None => *(Box::new(self.token.claims_value().clone()) as Box<dyn Any>)
                .downcast::<T>()
                .expect("Claims holds no claims only when T is serde_json::Value"),
        }
    }
}

impl<T: 'static> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.claims {
            Some(claims) => claims,
            None => (self.token.claims_value() as &dyn Any)
                .downcast_ref::<T>()
                .expect("Claims holds no claims only when T is serde_json::Value"),
        }
    }
}

/// Shows the claims, but never the CSRF double submit value of the token's
/// own payload.
impl<T: fmt::Debug + 'static> fmt::Debug for Claims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Payload<'a>(&'a serde_json::Map<String, Value>);
        impl fmt::Debug for Payload<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (name, value) in self.0 {
                    match name.as_str() {
                        claims::CSRF => map.entry(name, &"<redacted>"),
                        _ => map.entry(name, value),
                    };
                }
                map.finish()
            }
        }
        let mut debug = f.debug_struct("Claims");
        match &self.claims {
            Some(claims) => debug.field("claims", claims),
            None => debug.field("claims", &Payload(self.token.claims())),
        };
        debug.finish()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Claims<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = authn::verified(req);
        let req = req.clone();
        Box::pin(async move {
            let token = verified.await?.token;
            if std::any::TypeId::of::<T>() == std::any::TypeId::of::<Value>() {
                return Ok(Claims {
                    token,
                    claims: None,
                });
            }
            match token.deserialize_claims() {
                Ok(claims) => Ok(Claims {
                    token,
                    claims: Some(claims),
                }),
                Err(error) => Err(reject(&req, error, Some(token))),
            }
        })
    }
}

/// `error` (about `token`, when verified) as the response the request's
/// manager gives it.
fn reject(req: &HttpRequest, error: JwtError, token: Option<DecodedToken>) -> Error {
    let rejection = Rejection { error, token };
    match JwtManager::from_app_data(req) {
        Ok(manager) => manager.renderer().reject(rejection, req),
        Err(not_configured) => not_configured,
    }
}

/// The user the configured [`UserLoader`](crate::manager::UserLoader) loaded
/// for this request (Flask's `current_user`).
///
/// The loader runs once per request, in the guard or, on a route without one,
/// in this extractor; a loader that finds nobody rejects the request with 401
/// `Error loading the user <identity>`. `U` must be the loader's `User` type.
///
/// ```
/// use actix_jwt_extended::CurrentUser;
/// use actix_web::Responder;
///
/// struct User { name: String }
///
/// async fn who_am_i(user: CurrentUser<User>) -> impl Responder {
///     format!("hello {}", user.name)
/// }
/// ```
pub struct CurrentUser<U>(Rc<U>);

impl<U> Deref for CurrentUser<U> {
    type Target = U;

    fn deref(&self) -> &U {
        &self.0
    }
}

impl<U> Clone for CurrentUser<U> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<U: fmt::Debug> fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentUser").field(&self.0).finish()
    }
}

impl<U: 'static> FromRequest for CurrentUser<U> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = authn::verified(req);
        let req = req.clone();
        Box::pin(async move {
            let Some(user) = verified.await?.user else {
                let fix = "CurrentUser needs a user loader: register one with JwtManagerBuilder::user_loader";
                return Err(reject(&req, JwtError::Misconfigured(fix), None));
            };
            user.downcast::<U>().map(CurrentUser).map_err(|_| {
                log::error!(
                    "actix-jwt-extended: CurrentUser<{}> is not the user loader's User type",
                    std::any::type_name::<U>()
                );
                let fix = "CurrentUser<U> must name the user loader's User type";
                reject(&req, JwtError::Misconfigured(fix), None)
            })
        })
    }
}
