//! [`JwtRequired`] and [`RefreshRequired`]: middleware that let only valid tokens of one kind through.

use std::{
    borrow::Cow,
    fmt,
    future::{Future, Ready, ready},
    panic::{AssertUnwindSafe, catch_unwind},
    pin::Pin,
    rc::Rc,
    sync::Arc,
    task::{Context, Poll},
};

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::EitherBody,
    dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{Method, header},
    web::{Bytes, BytesMut},
};
use futures_util::{FutureExt, StreamExt, future::LocalBoxFuture};
use pin_project_lite::pin_project;
use serde_json::Value;

use crate::{
    JwtError,
    authn::{self, Accept, Authentication, Deferred, JwtRequestExt, Requirement},
    config::TokenLocation,
    locations::Locations,
    manager::JwtManager,
    token::{DecodedToken, Rejection},
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
            StateProjection::Forward { future } => {
                future.poll(cx).map_ok(ServiceResponse::map_into_left_body)
            }
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

/// A refused request's response. CORS preflights carry no credentials: they
/// pass, answered here as Flask answers `OPTIONS`, so that no handler's
/// response reaches a request without a valid token.
fn refusal<B>(req: ServiceRequest, refused: Deferred) -> ServiceResponse<EitherBody<B>> {
    let response = if req.method() == Method::OPTIONS {
        req.into_response(HttpResponse::Ok().finish())
    } else {
        req.error_response(refused.into_error())
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
        Ok(()) => Ok(service.call(req).await?.map_into_left_body()),
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

/// A condition a guard puts on a verified token's claims, beyond
/// authentication (see [`JwtRequired::require`]): a failed one answers 403
/// [`JwtError::Forbidden`].
///
/// ```
/// use actix_jwt_extended::{JwtRequired, Require};
///
/// // Any predicate, with the message the client gets.
/// let staff = Require::check("Staff only", |token| {
///     token.claims().get("department").and_then(|d| d.as_str()) == Some("staff")
/// });
/// // An async check, e.g. a permission table in a database.
/// let owner = Require::check_async("Not your account", |token| async move {
///     token.identity() != "banned"
/// });
/// let guard = JwtRequired::new().require(staff).require(owner);
/// ```
#[derive(Clone)]
pub struct Require(Arc<Condition>);

struct Condition {
    /// What a refused client is told.
    message: Cow<'static, str>,
    /// The scopes asked for, for RFC 6750's challenge.
    scope: Option<Cow<'static, str>>,
    check: Check,
}

enum Check {
    Sync(Box<dyn Fn(&DecodedToken) -> bool + Send + Sync>),
    Async(Box<dyn Fn(DecodedToken) -> LocalBoxFuture<'static, bool> + Send + Sync>),
}

impl fmt::Debug for Require {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Require")
            .field("message", &self.0.message)
            .field("scope", &self.0.scope)
            .finish_non_exhaustive()
    }
}

impl Require {
    /// `check` must say yes; `message` is what a refused client is told.
    pub fn check(
        message: impl Into<Cow<'static, str>>,
        check: impl Fn(&DecodedToken) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self::new(message.into(), None, Check::Sync(Box::new(check)))
    }

    /// An asynchronous `check` (a database lookup): it gets the token,
    /// cheap to clone, and must resolve to `true`.
    pub fn check_async<F, Fut>(message: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: Fn(DecodedToken) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + 'static,
    {
        let check = move |token| check(token).boxed_local();
        Self::new(message.into(), None, Check::Async(Box::new(check)))
    }

    /// The claim `name` equals `value` (`Require::claim_equals("role",
    /// "admin")`). Refused with `Insufficient permissions`.
    pub fn claim_equals(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        Self::check(INSUFFICIENT, move |token| {
            token.claims().get(&name) == Some(&value)
        })
    }

    /// The claim `name` is a list holding `value`, or equals it
    /// (`Require::claim_contains("roles", "editor")`). Refused with
    /// `Insufficient permissions`.
    pub fn claim_contains(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        Self::check(INSUFFICIENT, move |token| match token.claims().get(&name) {
            Some(Value::Array(items)) => items.contains(&value),
            Some(other) => *other == value,
            None => false,
        })
    }

    /// The token grants every one of `scopes`, in its OAuth `scope` claim (a
    /// space-separated string, RFC 8693 and RFC 9068) or its `scp` claim, each
    /// a space-separated string or a list of strings, as providers write
    /// them; scopes compare exactly. Refused with
    /// `Insufficient scope`, and in the RFC 6750 format with
    /// `error="insufficient_scope", scope="<scopes>"`.
    ///
    /// # Panics
    ///
    /// When a scope is empty or holds a space, a quote, a backslash or a
    /// character outside printable ASCII (RFC 6749 section 3.3): a set-up
    /// mistake caught at start-up.
    pub fn scopes(scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        for scope in &scopes {
            assert!(
                !scope.is_empty()
                    && scope
                        .bytes()
                        .all(|b| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\\'),
                "Require::scopes: {scope:?} is not an OAuth scope token (RFC 6749 section 3.3)"
            );
        }
        let wanted = scopes.join(" ");
        let check = move |token: &DecodedToken| {
            let granted: Vec<&str> = ["scope", "scp"]
                .iter()
                .filter_map(|claim| token.claims().get(*claim))
                .flat_map(|value| match value {
                    Value::String(text) => text.split(' ').collect::<Vec<_>>(),
                    Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                })
                .collect();
            scopes.iter().all(|scope| granted.contains(&scope.as_str()))
        };
        Self::new(
            "Insufficient scope".into(),
            Some(wanted.into()),
            Check::Sync(Box::new(check)),
        )
    }

    fn new(message: Cow<'static, str>, scope: Option<Cow<'static, str>>, check: Check) -> Self {
        Self(Arc::new(Condition {
            message,
            scope,
            check,
        }))
    }

    fn is_sync(&self) -> bool {
        matches!(self.0.check, Check::Sync(_))
    }

    /// Whether `token` meets a synchronous condition; `None` for an
    /// asynchronous one. A panicking check is a 500.
    fn allows_now(&self, token: &DecodedToken) -> Option<Result<bool, JwtError>> {
        match &self.0.check {
            Check::Sync(check) => {
                Some(catch_unwind(AssertUnwindSafe(|| check(token))).map_err(|_| Self::panicked()))
            }
            Check::Async(_) => None,
        }
    }

    /// Whether `token` meets an asynchronous condition.
    async fn allows_later(&self, token: &DecodedToken) -> Result<bool, JwtError> {
        let Check::Async(check) = &self.0.check else {
            unreachable!("allows_later is for asynchronous conditions; allows_now answers the rest")
        };
        match catch_unwind(AssertUnwindSafe(|| check(token.clone()))) {
            Ok(future) => AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .map_err(|_| Self::panicked()),
            Err(_) => Err(Self::panicked()),
        }
    }

    fn panicked() -> JwtError {
        JwtError::Hook("a Require condition panicked".into())
    }

    /// Passes when the condition allowed the token; otherwise the refusal,
    /// or the 500 of a panicking check.
    fn verdict(
        &self,
        allowed: Result<bool, JwtError>,
        manager: &JwtManager,
        token: &DecodedToken,
    ) -> Result<(), Deferred> {
        let refusal = match allowed {
            Ok(true) => return Ok(()),
            Ok(false) => self.refusal(),
            Err(panicked) => panicked,
        };
        Err(Deferred::Rejected(
            manager.clone(),
            Rejection::with_token(refusal, token.clone()),
        ))
    }

    fn refusal(&self) -> JwtError {
        JwtError::Forbidden {
            message: self.0.message.clone(),
            scope: self.0.scope.clone(),
        }
    }
}

const INSUFFICIENT: &str = "Insufficient permissions";

/// A guard's conditions, shared by every worker's service.
#[derive(Clone, Default)]
struct Requires(Arc<[Require]>);

impl fmt::Debug for Requires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl Requires {
    fn add(&mut self, condition: Require) {
        self.0 = self.0.iter().cloned().chain([condition]).collect();
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The conditions, in order, on the token the guard just admitted.
    async fn check(&self, req: &HttpRequest, manager: JwtManager) -> Result<(), Deferred> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(token) = req.verified_token() else {
            return Ok(());
        };
        for condition in self.0.iter() {
            let allowed = match condition.allows_now(&token) {
                Some(allowed) => allowed,
                None => condition.allows_later(&token).await,
            };
            condition.verdict(allowed, &manager, &token)?;
        }
        Ok(())
    }

    /// [`check`](Self::check) when every condition is synchronous; `None`
    /// when one must be awaited.
    fn check_now(&self, req: &HttpRequest, manager: &JwtManager) -> Option<Result<(), Deferred>> {
        if self.is_empty() {
            return Some(Ok(()));
        }
        if !self.0.iter().all(Require::is_sync) {
            return None;
        }
        let Some(token) = req.verified_token() else {
            return Some(Ok(()));
        };
        for condition in self.0.iter() {
            let allowed = condition.allows_now(&token)?;
            if let Err(refused) = condition.verdict(allowed, manager, &token) {
                return Some(Err(refused));
            }
        }
        Some(Ok(()))
    }
}
