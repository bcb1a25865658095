//! Extractors: [`JwtIdentity`] and [`Claims`].

use std::{
    any::Any,
    fmt,
    future::{Ready, ready},
    ops::Deref,
    rc::Rc,
    sync::Arc,
};

use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, dev::Payload};
use futures_util::{
    TryFutureExt,
    future::{Either, LocalBoxFuture, MapOk},
};
use serde::de::DeserializeOwned;

use crate::{JwtError, JwtManager, guard::Requirement, token::DecodedToken};

type TokenFuture = Either<
    Ready<Result<Arc<DecodedToken>, Error>>,
    LocalBoxFuture<'static, Result<Arc<DecodedToken>, Error>>,
>;

/// The token a guard or extractor verified, kept in the request extensions.
#[derive(Clone)]
pub(crate) struct Verified(pub(crate) Arc<DecodedToken>);

/// An optional route was reached without a token; why, for a required extractor.
pub(crate) struct Anonymous(pub(crate) JwtError);

/// The user the [`UserLoader`](crate::manager::UserLoader) found for this request.
pub(crate) struct LoadedUser(pub(crate) Rc<dyn Any>);

/// What a guard already decided for this request, if anything.
fn stored(req: &HttpRequest) -> Option<Result<Arc<DecodedToken>, Error>> {
    let extensions = req.extensions();
    if let Some(Verified(token)) = extensions.get::<Verified>() {
        return Some(Ok(Arc::clone(token)));
    }
    let Anonymous(reason) = extensions.get::<Anonymous>()?;
    let reason = reason.clone();
    drop(extensions);
    Some(Err(reject(req, reason)))
}

/// `error` as the response the request's manager gives it.
fn reject(req: &HttpRequest, error: JwtError) -> Error {
    match JwtManager::from_app_data(req) {
        Ok(manager) => manager.reject(error.into()),
        Err(not_configured) => not_configured,
    }
}

/// The verified token of this request: the one a guard stored, or, on a route
/// without a guard, the access token in the request, verified now (with every
/// hook) and stored so that other extractors do not verify it again.
fn verified_token(req: &HttpRequest) -> TokenFuture {
    if let Some(result) = stored(req) {
        return Either::Left(ready(result));
    }
    let req = req.clone();
    Either::Right(Box::pin(async move {
        JwtManager::from_app_data(&req)?
            .clone()
            .authenticate(&req, Requirement::ACCESS, None)
            .await?;
        stored(&req).unwrap_or_else(|| Err(JwtError::NotConfigured.into()))
    }))
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
    type Future = MapOk<TokenFuture, fn(Arc<DecodedToken>) -> Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        verified_token(req).map_ok(JwtIdentity)
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
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = verified_token(req);
        let req = req.clone();
        Box::pin(async move {
            let token = token.await?;
            let claims = token
                .deserialize_claims()
                .map_err(|error| reject(&req, error))?;
            Ok(Claims { token, claims })
        })
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
        let token = verified_token(req);
        let req = req.clone();
        Box::pin(async move {
            token.await?;
            let user = req
                .extensions()
                .get::<LoadedUser>()
                .map(|LoadedUser(user)| Rc::clone(user));
            let Some(user) = user else {
                log::error!(
                    "actix-jwt-extended: CurrentUser needs a user loader; register one with \
                     JwtManagerBuilder::user_loader"
                );
                return Err(JwtError::NotConfigured.into());
            };
            user.downcast::<U>().map(CurrentUser).map_err(|_| {
                log::error!(
                    "actix-jwt-extended: CurrentUser<{}> does not match the user loader's User type",
                    std::any::type_name::<U>()
                );
                JwtError::NotConfigured.into()
            })
        })
    }
}
