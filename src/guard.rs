//! [`JwtRequired`] and [`RefreshRequired`]: middleware that let only valid tokens of one kind through.

use std::{
    future::{Future, Ready, ready},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::EitherBody,
    dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{Method, StatusCode, header},
    web::{Bytes, BytesMut},
};
use futures_util::{StreamExt, future::LocalBoxFuture};
use pin_project_lite::pin_project;

use crate::{
    JwtError,
    authn::{self, Accept, Authentication, Deferred, Requirement},
    config::TokenLocation,
    locations::Locations,
    manager::JwtManager,
    require::{Require, Requires},
    token::Rejection,
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
#[derive(Debug, Clone)]
#[must_use]
pub struct JwtRequired {
    requirement: Requirement,
    requires: Requires,
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
            requires: Requires::default(),
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

    /// Adds a condition on the verified token's claims (a role, a
    /// permission, OAuth scopes): a token that fails it is refused with 403
    /// ([`JwtError::Forbidden`]), through the same rendering and
    /// `error_response` hook as every other error. Conditions run in the
    /// order added, after every other check (type, freshness, revocation,
    /// hooks). On an [`optional`](Self::optional) route a request without a
    /// token is refused as without `optional`: a condition needs claims.
    ///
    /// ```
    /// use actix_jwt_extended::{JwtRequired, Require};
    /// use actix_web::{web, HttpResponse};
    ///
    /// let admin = JwtRequired::new().require(Require::claim_equals("role", "admin"));
    /// let writer = JwtRequired::new().require(Require::scopes(["articles:write"]));
    /// let route = web::post().to(HttpResponse::Ok).wrap(writer);
    /// ```
    pub fn require(mut self, condition: Require) -> Self {
        self.requires.add(condition);
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
#[derive(Debug, Clone)]
#[must_use]
pub struct RefreshRequired {
    requirement: Requirement,
    requires: Requires,
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
            requires: Requires::default(),
        }
    }

    /// A request without a token passes too, as for [`JwtRequired::optional`].
    pub fn optional(mut self) -> Self {
        self.requirement.optional = true;
        self
    }

    /// Adds a condition on the refresh token's claims, as for
    /// [`JwtRequired::require`].
    pub fn require(mut self, condition: Require) -> Self {
        self.requires.add(condition);
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
                    requires: self.requires.clone(),
                }))
            }
        }
    };
}

guard_transform!(JwtRequired);
guard_transform!(RefreshRequired);

/// What the guard asks of a token, for the OpenAPI description.
#[cfg(feature = "utoipa")]
macro_rules! guard_requirement {
    ($guard:ty) => {
        impl $guard {
            pub(crate) fn requirement(&self) -> Requirement {
                self.requirement
            }
        }
    };
}

#[cfg(feature = "utoipa")]
guard_requirement!(JwtRequired);
#[cfg(feature = "utoipa")]
guard_requirement!(RefreshRequired);

/// The service built by [`JwtRequired`] and [`RefreshRequired`].
pub struct GuardMiddleware<S> {
    service: Rc<S>,
    requirement: Requirement,
    requires: Requires,
}

impl<S, B> Service<ServiceRequest> for GuardMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = GuardFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let mut requirement = self.requirement;
        // A condition needs claims: a request without a token is refused.
        requirement.optional &= self.requires.is_empty();
        match self.decide(&req, requirement) {
            Decision::Pass => GuardFuture::forward(self.service.call(req)),
            Decision::Refuse(refused) => answered(req, refused),
            Decision::ReadBody(manager) => {
                let (service, requires) = self.later();
                waiting(async move {
                    let mut req = req;
                    let authenticated = with_body(&mut req, manager, requirement).await;
                    then(service, req, requires, authenticated).await
                })
            }
            Decision::Conditions(manager) => {
                let (service, requires) = self.later();
                waiting(then(service, req, requires, Ok(manager)))
            }
            Decision::Wait(manager, pending) => {
                let (service, requires) = self.later();
                waiting(async move {
                    let authenticated = match pending.await {
                        Ok(()) => Ok(manager),
                        Err(rejection) => Err(Deferred::Rejected(manager, rejection)),
                    };
                    then(service, req, requires, authenticated).await
                })
            }
        }
    }
}

/// What a guard knows before it must wait.
enum Decision {
    /// Authenticated, and every condition met.
    Pass,
    Refuse(Deferred),
    /// The token or a CSRF field may be in the body: read it first.
    ReadBody(JwtManager),
    /// Authenticated; a condition must be awaited.
    Conditions(JwtManager),
    /// Authentication must be awaited.
    Wait(JwtManager, LocalBoxFuture<'static, Result<(), Rejection>>),
}

impl<S> GuardMiddleware<S> {
    /// What a future that must wait takes along; the common case takes
    /// nothing.
    fn later(&self) -> (Rc<S>, Requires) {
        (Rc::clone(&self.service), self.requires.clone())
    }

    /// Everything that can be done without waiting. The manager is borrowed
    /// from the request, and cloned only for what outlives this call.
    fn decide(&self, req: &ServiceRequest, requirement: Requirement) -> Decision {
        let manager = match JwtManager::from_app_data(req.request()) {
            Ok(manager) => manager,
            Err(not_configured) => return Decision::Refuse(Deferred::Failed(not_configured)),
        };
        let locations = requirement
            .locations
            .unwrap_or(manager.locations().locations);
        if manager.locations().wants_body(req.request(), locations) {
            return Decision::ReadBody(manager.clone());
        }
        match authn::authenticate(req.request(), manager, requirement, None) {
            Authentication::Done(Ok(())) => match self.requires.check_now(req.request(), manager) {
                Some(Ok(())) => Decision::Pass,
                Some(Err(refused)) => Decision::Refuse(refused),
                None => Decision::Conditions(manager.clone()),
            },
            Authentication::Done(Err(rejection)) => {
                Decision::Refuse(Deferred::Rejected(manager.clone(), rejection))
            }
            Authentication::Waiting(pending) => Decision::Wait(manager.clone(), pending),
        }
    }
}

pin_project! {
    /// The future of [`GuardMiddleware`]'s answer. When the guard decided
    /// without waiting (a cached token, no store and no asynchronous hook:
    /// the common case), it is the wrapped service's own future, or the
    /// refusal, with nothing boxed; otherwise a boxed future.
    pub struct GuardFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F, B> {
        Forward { #[pin] future: F },
        Answered { response: Option<ServiceResponse<EitherBody<B>>> },
        Waiting { future: LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, Error>> },
    }
}

impl<F, B> GuardFuture<F, B> {
    fn forward(future: F) -> Self {
        Self {
            state: State::Forward { future },
        }
    }
}

impl<F, B> Future for GuardFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Forward { future } => future.poll(cx).map_ok(passed),
            StateProjection::Answered { response } => Poll::Ready(Ok(response
                .take()
                .expect("GuardFuture polled after completion"))),
            StateProjection::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

fn answered<F, B>(req: ServiceRequest, refused: Deferred) -> GuardFuture<F, B> {
    GuardFuture {
        state: State::Answered {
            response: Some(refusal(req, refused)),
        },
    }
}

fn waiting<F, B>(
    future: impl Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>> + 'static,
) -> GuardFuture<F, B> {
    GuardFuture {
        state: State::Waiting {
            future: Box::pin(future),
        },
    }
}

/// The wrapped service's response. On the 101 of a WebSocket handshake whose
/// token came from `Sec-WebSocket-Protocol`, the marker protocol is selected
/// (a browser that offered protocols fails the connection when none is),
/// never the token.
fn passed<B>(mut res: ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> {
    if res.status() == StatusCode::SWITCHING_PROTOCOLS {
        let req = res.request().clone();
        authn::select_websocket_protocol(&req, res.status(), res.headers_mut());
    }
    res.map_into_left_body()
}

/// A refused request's response. CORS preflights carry no credentials: they
/// pass, answered here as Flask answers `OPTIONS`, so that no handler's
/// response reaches a request without a valid token.
fn refusal<B>(req: ServiceRequest, refused: Deferred) -> ServiceResponse<EitherBody<B>> {
    let response = if req.method() == Method::OPTIONS {
        req.into_response(HttpResponse::Ok().finish())
    } else {
        let error = refused.into_error(req.request());
        req.error_response(error)
    };
    response.map_into_right_body()
}

/// The rest of a guard's work once it had to wait: the conditions, then the
/// wrapped service or the refusal.
async fn then<S, B>(
    service: Rc<S>,
    req: ServiceRequest,
    requires: Requires,
    authenticated: Result<JwtManager, Deferred>,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    let guarded = match authenticated {
        Ok(manager) => requires.check(req.request(), manager).await,
        Err(refused) => Err(refused),
    };
    match guarded {
        Ok(()) => Ok(passed(service.call(req).await?)),
        Err(refused) => Ok(refusal(req, refused)),
    }
}

/// Buffers the body, where the token or a CSRF field may be, then runs the
/// pipeline.
async fn with_body(
    req: &mut ServiceRequest,
    manager: JwtManager,
    requirement: Requirement,
) -> Result<JwtManager, Deferred> {
    let (limit, deadline) = (
        manager.locations().body_limit,
        manager.locations().body_timeout,
    );
    let buffered = match actix_web::rt::time::timeout(deadline, buffer_body(req, limit)).await {
        Ok(buffered) => buffered,
        Err(_elapsed) => Err(JwtError::BodyTimeout),
    };
    let body = match buffered {
        Ok(body) => body,
        Err(error) => return Err(Deferred::Rejected(manager, error.into())),
    };
    let authenticated = authn::authenticate(req.request(), &manager, requirement, Some(&body));
    match authenticated.outcome().await {
        Ok(()) => Ok(manager),
        Err(rejection) => Err(Deferred::Rejected(manager, rejection)),
    }
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
