//! [`JwtRequired`] and [`RefreshRequired`]: middleware that let only valid tokens of one kind through.

use std::{
    future::{Ready, ready},
    rc::Rc,
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::EitherBody,
    dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{Method, header},
    web::{Bytes, BytesMut},
};
use futures_util::{StreamExt, future::LocalBoxFuture};

use crate::{
    JwtError,
    authn::{self, Accept, Deferred, Requirement},
    config::TokenLocation,
    locations::Locations,
    manager::JwtManager,
};

/// Only requests with a valid **access** token pass (Flask's `@jwt_required()`).
///
/// Wrap an `App`, a `Scope`, a `Resource` or a `Route`. The token is verified
/// once, with every configured hook, and stored for
/// [`JwtIdentity`](crate::JwtIdentity), [`Claims`](crate::Claims) and
/// [`CurrentUser`](crate::CurrentUser). A rejection is an ordinary response
/// (401 or 422 with `{"msg": ...}` by default), so outer middleware such as CORS
/// still decorates it.
///
/// `OPTIONS` requests without a valid token (CORS preflights carry no
/// credentials) pass the guard without a rejection: the guard answers them
/// itself with an empty 200, as Flask answers `OPTIONS` before its decorators
/// run, and never hands them to the handler. With a valid token an `OPTIONS`
/// request reaches the handler like any other. Wrap `actix-cors` outside the
/// guards so that it answers preflights first.
///
/// ```
/// use actix_jwt_extended::JwtRequired;
/// use actix_web::{web, App, HttpResponse};
///
/// let app = App::new()
///     .service(web::scope("/api").wrap(JwtRequired::new()).route("/me", web::get().to(HttpResponse::Ok)))
///     .route("/settings", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new().fresh()))
///     .route("/feed", web::get().to(HttpResponse::Ok).wrap(JwtRequired::new().optional()));
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct JwtRequired {
    requirement: Requirement,
}

impl Default for JwtRequired {
    fn default() -> Self {
        Self::new()
    }
}

impl JwtRequired {
    /// A guard for access tokens read from the configured header.
    pub fn new() -> Self {
        Self {
            requirement: Requirement::ACCESS,
        }
    }

    /// Only fresh access tokens pass (Flask's `fresh=True`); others get 401
    /// `Fresh token required`. Not fresh by default.
    pub fn fresh(mut self) -> Self {
        self.requirement.fresh = true;
        self
    }

    /// A request without a token passes too, with no identity (Flask's
    /// `optional=True`): `Option<JwtIdentity>` is then `None`. A token that is
    /// present but invalid, expired or of the wrong kind is still rejected.
    /// Required by default.
    pub fn optional(mut self) -> Self {
        self.requirement.optional = true;
        self
    }

    /// Lets revoked tokens through: the token store is not asked (Flask's
    /// `skip_revocation_check=True`), for example on a route that shows a
    /// logged-out session what it was. Every other check stays. Asks the
    /// store by default.
    pub fn skip_revocation_check(mut self) -> Self {
        self.requirement.skip_revocation_check = true;
        self
    }

    /// Accepts refresh tokens too (Flask's `verify_type=False`), e.g. for a
    /// logout route that revokes whichever token it is given. Access tokens
    /// only by default.
    pub fn any_kind(mut self) -> Self {
        self.requirement.accept = Accept::AnyKind;
        self
    }

    /// Reads the token only from these locations, in this order (Flask's
    /// `locations=` on one route). Defaults to the manager's
    /// [`token_location`](crate::manager::JwtManagerBuilder::token_location).
    ///
    /// # Panics
    ///
    /// When `locations` is empty: a route that reads no token would be a
    /// route nobody can reach, a set-up mistake caught at start-up.
    pub fn locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.requirement.locations = Some(
            Locations::new(locations).expect("JwtRequired::locations needs at least one location"),
        );
        self
    }
}

/// Only requests with a valid **refresh** token pass (Flask's
/// `@jwt_required(refresh=True)`). Everything else is as for [`JwtRequired`].
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct RefreshRequired {
    requirement: Requirement,
}

impl Default for RefreshRequired {
    fn default() -> Self {
        Self::new()
    }
}

impl RefreshRequired {
    /// A guard for refresh tokens read from the configured header.
    pub fn new() -> Self {
        Self {
            requirement: Requirement {
                accept: Accept::Refresh,
                ..Requirement::ACCESS
            },
        }
    }

    /// A request without a token passes too, as for [`JwtRequired::optional`].
    pub fn optional(mut self) -> Self {
        self.requirement.optional = true;
        self
    }

    /// Lets revoked refresh tokens through, as for
    /// [`JwtRequired::skip_revocation_check`]. Asks the store by default.
    pub fn skip_revocation_check(mut self) -> Self {
        self.requirement.skip_revocation_check = true;
        self
    }

    /// Reads the token only from these locations, as for
    /// [`JwtRequired::locations`] (Flask's `locations=["cookies"]` on a refresh
    /// route).
    ///
    /// # Panics
    ///
    /// When `locations` is empty.
    pub fn locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.requirement.locations = Some(
            Locations::new(locations)
                .expect("RefreshRequired::locations needs at least one location"),
        );
        self
    }
}

macro_rules! guard_transform {
    ($guard:ty) => {
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
                    requirement: self.requirement,
                }))
            }
        }
    };
}

guard_transform!(JwtRequired);
guard_transform!(RefreshRequired);

/// The service built by [`JwtRequired`] and [`RefreshRequired`].
pub struct GuardMiddleware<S> {
    service: Rc<S>,
    requirement: Requirement,
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

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let requirement = self.requirement;
        Box::pin(async move {
            if let Err(refused) = guard(&mut req, requirement).await {
                // CORS preflights carry no credentials: they pass, answered
                // here as Flask answers `OPTIONS`, so that no handler's
                // response reaches a request without a valid token.
                let response = if req.method() == Method::OPTIONS {
                    req.into_response(HttpResponse::Ok().finish())
                } else {
                    req.error_response(refused.into_error())
                };
                return Ok(response.map_into_right_body());
            }
            Ok(service.call(req).await?.map_into_left_body())
        })
    }
}

/// Buffers the body when the token or a CSRF field may be in it, then runs
/// the pipeline.
async fn guard(req: &mut ServiceRequest, requirement: Requirement) -> Result<(), Deferred> {
    let manager = JwtManager::from_app_data(req.request())
        .map_err(Deferred::Failed)?
        .clone();
    let locations = requirement
        .locations
        .unwrap_or(manager.locations().locations);
    let body = if manager.locations().wants_body(req.request(), locations) {
        let (limit, deadline) = (
            manager.locations().body_limit,
            manager.locations().body_timeout,
        );
        let buffered = match actix_web::rt::time::timeout(deadline, buffer_body(req, limit)).await {
            Ok(buffered) => buffered,
            Err(_elapsed) => Err(JwtError::BodyTimeout),
        };
        match buffered {
            Ok(body) => Some(body),
            Err(error) => return Err(Deferred::Rejected(manager, error.into())),
        }
    } else {
        None
    };
    authn::authenticate(req.request(), &manager, requirement, body.as_deref())
        .await
        .map_err(|rejection| Deferred::Rejected(manager, rejection))
}

/// Reads the body, up to `limit` bytes, and puts it back for the handler.
async fn buffer_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, JwtError> {
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > limit)
    {
        return Err(JwtError::BodyTooLarge);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| JwtError::BodyUnreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(JwtError::BodyTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    req.set_payload(Payload::from(body.clone()));
    Ok(body)
}
