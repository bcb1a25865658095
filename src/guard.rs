//! [`JwtRequired`] and [`RefreshRequired`]: middleware that let only valid tokens of one kind through.

use std::{
    future::{Ready, ready},
    rc::Rc,
};

use actix_web::{
    Error, HttpMessage,
    body::EitherBody,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::Method,
};
use futures_util::future::LocalBoxFuture;

use crate::{JwtManager, extract::Verified, token::TokenKind};

/// Only requests with a valid **access** token pass (Flask's `@jwt_required()`).
///
/// Wrap an `App`, a `Scope` or a `Resource`. The token is verified once and
/// stored for [`JwtIdentity`](crate::JwtIdentity) and [`Claims`](crate::Claims).
/// A rejection is an ordinary response (401 or 422 with `{"msg": ...}`), so outer
/// middleware such as CORS still decorates it.
///
/// `OPTIONS` requests pass untouched (CORS preflights carry no credentials), as
/// Flask answers them before its decorators run: never serve anything private on
/// `OPTIONS` behind this guard alone. A handler that takes
/// [`JwtIdentity`](crate::JwtIdentity) still verifies the token itself.
///
/// ```
/// use actix_jwt_extended::JwtRequired;
/// use actix_web::{web, App, HttpResponse};
///
/// let app = App::new().service(
///     web::scope("/api")
///         .wrap(JwtRequired::new())
///         .route("/me", web::get().to(HttpResponse::Ok)),
/// );
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct JwtRequired {
    _private: (),
}

impl JwtRequired {
    /// A guard for access tokens read from the configured header.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Only requests with a valid **refresh** token pass (Flask's
/// `@jwt_required(refresh=True)`). Everything else is as for [`JwtRequired`].
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct RefreshRequired {
    _private: (),
}

impl RefreshRequired {
    /// A guard for refresh tokens read from the configured header.
    pub fn new() -> Self {
        Self::default()
    }
}

macro_rules! guard_transform {
    ($guard:ty, $kind:expr) => {
        impl<S, B> Transform<S, ServiceRequest> for $guard
        where
            S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
            B: 'static,
        {
            type Response = ServiceResponse<EitherBody<B>>;
            type Error = Error;
            type Transform = GuardMiddleware<S>;
            type InitError = ();
            type Future = Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, service: S) -> Self::Future {
                ready(Ok(GuardMiddleware {
                    service: Rc::new(service),
                    kind: $kind,
                }))
            }
        }
    };
}

guard_transform!(JwtRequired, TokenKind::Access);
guard_transform!(RefreshRequired, TokenKind::Refresh);

/// The service built by [`JwtRequired`] and [`RefreshRequired`].
pub struct GuardMiddleware<S> {
    service: Rc<S>,
    kind: TokenKind,
}

impl<S, B> Service<ServiceRequest> for GuardMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        // CORS preflights carry no credentials.
        if req.method() != Method::OPTIONS {
            let verified = JwtManager::from_app_data(req.request()).and_then(|manager| {
                manager
                    .verify_request(req.request(), self.kind)
                    .map_err(|error| manager.error(error))
            });
            match verified {
                Ok(token) => {
                    req.extensions_mut().insert(Verified::new(token));
                }
                Err(error) => {
                    let response = req.error_response(error).map_into_right_body();
                    return Box::pin(async move { Ok(response) });
                }
            }
        }
        let response = self.service.call(req);
        Box::pin(async move { Ok(response.await?.map_into_left_body()) })
    }
}
