//! The request pipeline that guards, extractors and cookie helpers share:
//! what a route requires, finding the token, verifying it, the route's
//! policy (type, freshness), the stateful checks (revocation, the claims
//! hook, the user loader), and the outcome every later reader shares.
//!
//! Work is shared per request. Finding and verifying a token is done once per
//! place searched, and the stateful checks once per token, whoever asks
//! first: nested guards, or several extractors on a route without a guard.
//! actix-web creates every extractor's future before it polls any, so the
//! synchronous part runs in `from_request` and the asynchronous part is one
//! shared future that every reader awaits. Verification itself is
//! synchronous, unless the decode key loader must be awaited: then it is
//! shared the same way.

use std::{
    any::Any,
    borrow::Cow,
    cell::RefCell,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    HttpMessage, HttpRequest,
    dev::{ServiceRequest, ServiceResponse},
    http::{StatusCode, header::HeaderMap},
};
use futures_util::{
    FutureExt,
    future::{LocalBoxFuture, Shared},
};
use smallvec::SmallVec;

use crate::{
    JwtError,
    claims::TokenKind,
    config::TokenLocation,
    handshake,
    locations::{self, Locations},
    manager::JwtManager,
    token::{DecodedToken, Rejection},
};

/// Which kinds of token a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Access tokens, and tokens without a `type` claim.
    Access,
    /// Refresh tokens only.
    Refresh,
    /// Either kind (Flask's `verify_type=False`); read where access tokens are.
    AnyKind,
}

/// What a guard or extractor asks of a request's token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Requirement {
    pub(crate) accept: Accept,
    /// Only fresh tokens (Flask's `fresh=True`).
    pub(crate) fresh: bool,
    /// A request without a token passes too (Flask's `optional=True`).
    pub(crate) optional: bool,
    /// `None`: the manager's locations.
    pub(crate) locations: Option<Locations>,
    /// The token store is not asked (Flask's `skip_revocation_check=True`).
    pub(crate) skip_revocation_check: bool,
}

impl Requirement {
    /// What an extractor on a route without a guard asks: an access token.
    pub(crate) const ACCESS: Self = Self {
        accept: Accept::Access,
        fresh: false,
        optional: false,
        locations: None,
        skip_revocation_check: false,
    };

    /// The kind whose cookie and JSON key hold the token.
    pub(crate) fn reads(&self) -> TokenKind {
        match self.accept {
            Accept::Refresh => TokenKind::Refresh,
            Accept::Access | Accept::AnyKind => TokenKind::Access,
        }
    }

    /// The route's policy, in Flask's order: the type, then freshness (at
    /// `now`).
    fn admits(&self, token: &DecodedToken, now: Duration) -> Result<(), JwtError> {
        let wrong = match self.accept {
            Accept::Access => token.kind() == TokenKind::Refresh,
            Accept::Refresh => token.kind() != TokenKind::Refresh,
            Accept::AnyKind => false,
        };
        if wrong {
            return Err(JwtError::WrongTokenType {
                expected: self.reads(),
            });
        }
        if self.fresh && !token.is_fresh_at(now) {
            return Err(JwtError::FreshTokenRequired);
        }
        Ok(())
    }
}

/// A token that passed every check, and the user the loader found for it.
#[derive(Clone)]
pub struct Admitted {
    /// Carries the location it was read from.
    pub(crate) token: DecodedToken,
    pub(crate) user: Option<Rc<dyn Any>>,
}

/// What the request carried, as the last guard or the first extractor decided.
#[derive(Clone)]
enum Outcome {
    Admitted(Admitted),
    /// An optional route was reached without a token: why, for a required extractor.
    Anonymous(JwtError),
}

type Pending<T> = Shared<LocalBoxFuture<'static, Result<T, Rejection>>>;

/// Work shared per request: decided, or under way.
#[derive(Clone)]
enum Shareable<T: Clone> {
    Done(Result<T, Rejection>),
    Pending(Pending<T>),
}

impl<T: Clone + 'static> Shareable<T> {
    async fn outcome(self) -> Result<T, Rejection> {
        match self {
            Self::Done(outcome) => outcome,
            Self::Pending(pending) => pending.await,
        }
    }
}

/// The verification of one token: synchronous, unless the decode key
/// loader must be awaited.
type Verification = Shareable<DecodedToken>;
/// The hooks' checks of one token.
type Admission = Shareable<Admitted>;

/// One place searched for a token (locations and kind), and what came of it.
/// The revocation check and the hooks run at most once each per token; a
/// route that skips the revocation check does not wait for it.
struct Search {
    locations: Locations,
    kind: TokenKind,
    verified: Verification,
    revocation: Option<Pending<()>>,
    admission: Option<Admission>,
}

/// The pipeline's state for one request, in the request extensions: one
/// allocation when a request searches one place, as nearly all do.
#[derive(Default)]
struct RequestAuth {
    searches: RefCell<SmallVec<[Search; 1]>>,
    decided: RefCell<Option<Outcome>>,
}

/// Runs `f` on the request's state, creating it first. Never hold the
/// extensions while reading the request: reading cookies writes to them.
fn with_state<R>(req: &HttpRequest, f: impl FnOnce(&RequestAuth) -> R) -> R {
    if let Some(state) = req.extensions().get::<RequestAuth>() {
        return f(state);
    }
    req.extensions_mut().insert(RequestAuth::default());
    let extensions = req.extensions();
    let state = extensions
        .get::<RequestAuth>()
        .expect("inserted just above");
    f(state)
}

fn decided(req: &HttpRequest) -> Option<Outcome> {
    let extensions = req.extensions();
    let state = extensions.get::<RequestAuth>()?;
    state.decided.borrow().clone()
}

/// How far [`begin`] got without waiting.
enum Step {
    Done(Result<Outcome, Rejection>),
    Waiting(LocalBoxFuture<'static, Result<Outcome, Rejection>>),
}

/// Everything up to the stateful checks, synchronously where it can: find
/// and verify the token (once per place searched), apply the route's policy,
/// then start or join the stateful checks of that token.
fn begin(
    req: &HttpRequest,
    manager: &JwtManager,
    requirement: Requirement,
    body: Option<&[u8]>,
) -> Step {
    // One clock reading serves the cache and the freshness check.
    let now = manager.clock().now();
    let (index, verification) = search(req, manager, requirement, body, now);
    match verification {
        Shareable::Done(verified) => proceed(req, manager, requirement, index, verified, now),
        Shareable::Pending(pending) => {
            let (req, manager) = (req.clone(), manager.clone());
            Step::Waiting(Box::pin(async move {
                let verified = pending.await;
                let now = manager.clock().now();
                finish(proceed(&req, &manager, requirement, index, verified, now)).await
            }))
        }
    }
}

/// The search of the requirement's locations for its kind of token: the
/// one already made on this request, or a new one.
fn search(
    req: &HttpRequest,
    manager: &JwtManager,
    requirement: Requirement,
    body: Option<&[u8]>,
    now: Duration,
) -> (usize, Verification) {
    let locations = requirement
        .locations
        .unwrap_or(manager.locations().locations);
    let kind = requirement.reads();
    let found = with_state(req, |state| {
        let searches = state.searches.borrow();
        searches
            .iter()
            .position(|search| search.locations == locations && search.kind == kind)
            .map(|index| (index, searches[index].verified.clone()))
    });
    if let Some(found) = found {
        return found;
    }
    let verified = match locations::find_token(req, manager.locations(), locations, kind, body) {
        Err(missing) => Shareable::Done(Err(missing.into())),
        Ok((found, from)) if manager.verifier().waits_for_keys() => {
            let (token, csrf) = (found.token.into_owned(), found.csrf.map(Cow::into_owned));
            let manager = manager.clone();
            Shareable::Pending(
                async move {
                    let verifier = manager.verifier();
                    let verified = verifier.verify_async(&token, csrf.as_deref(), false);
                    Ok(verified.await?.read_from(from))
                }
                .boxed_local()
                .shared(),
            )
        }
        Ok((found, from)) => Shareable::Done(
            manager
                .verifier()
                .verify_at(&found.token, found.csrf.as_deref(), now)
                .map(|token| token.read_from(from)),
        ),
    };
    with_state(req, |state| {
        let mut searches = state.searches.borrow_mut();
        searches.push(Search {
            locations,
            kind,
            verified: verified.clone(),
            revocation: None,
            admission: None,
        });
        (searches.len() - 1, verified)
    })
}

/// The route's policy on the verified token of search `index` (at `now`),
/// then the stateful checks: started, or joined when another reader started
/// them.
fn proceed(
    req: &HttpRequest,
    manager: &JwtManager,
    requirement: Requirement,
    index: usize,
    verified: Result<DecodedToken, Rejection>,
    now: Duration,
) -> Step {
    let token = match verified {
        Ok(found) => found,
        Err(Rejection {
            error: missing @ JwtError::MissingToken(_),
            ..
        }) if requirement.optional => return Step::Done(Ok(Outcome::Anonymous(missing))),
        Err(rejection) => return Step::Done(Err(rejection)),
    };
    if let Err(error) = requirement.admits(&token, now) {
        return Step::Done(Err(Rejection::with_token(error, token)));
    }
    let checks_revocation = manager.store().is_some() && !requirement.skip_revocation_check;
    let (revocation, admission) = with_state(req, |state| {
        let search = &mut state.searches.borrow_mut()[index];
        let revocation = checks_revocation.then(|| {
            search
                .revocation
                .get_or_insert_with(|| revocation(manager.clone(), token.clone()))
                .clone()
        });
        let admission = search
            .admission
            .get_or_insert_with(|| admission(manager, token))
            .clone();
        (revocation, admission)
    });
    match (revocation, admission) {
        (None, Shareable::Done(admitted)) => Step::Done(admitted.map(Outcome::Admitted)),
        // Flask's order: revocation first; the hooks start only after it.
        (revocation, admission) => Step::Waiting(Box::pin(async move {
            if let Some(revocation) = revocation {
                revocation.await?;
            }
            admission.outcome().await.map(Outcome::Admitted)
        })),
    }
}

/// The revocation check of `token`, as a future to share.
fn revocation(manager: JwtManager, token: DecodedToken) -> Pending<()> {
    async move {
        match manager.revocation_error(&token).await {
            Some(error) => Err(Rejection::with_token(error, token)),
            None => Ok(()),
        }
    }
    .boxed_local()
    .shared()
}

/// Starts the hooks' checks of `token`: at once when nothing is to be
/// awaited (the claims hook alone is cheap), else as a future to share,
/// which runs when first awaited: with a token store, only after the
/// revocation check passed, as Flask orders them.
fn admission(manager: &JwtManager, token: DecodedToken) -> Admission {
    if manager.store().is_some() || manager.hooks().loads_users() {
        return Shareable::Pending(admit(manager.clone(), token).boxed_local().shared());
    }
    Shareable::Done(match manager.hooks().verify_claims(&token) {
        Ok(()) => Ok(Admitted { token, user: None }),
        Err(error) => Err(Rejection::with_token(error, token)),
    })
}

async fn finish(step: Step) -> Result<Outcome, Rejection> {
    match step {
        Step::Done(outcome) => outcome,
        Step::Waiting(rest) => rest.await,
    }
}

/// The hooks, in Flask's order: the claims verification hook, then the
/// user loader.
async fn admit(manager: JwtManager, token: DecodedToken) -> Result<Admitted, Rejection> {
    let hooks = manager.hooks();
    if let Err(error) = hooks.verify_claims(&token) {
        return Err(Rejection::with_token(error, token));
    }
    match hooks.load_user(&token).await {
        Ok(user) => Ok(Admitted { token, user }),
        Err(error) => Err(Rejection::with_token(error, token)),
    }
}

fn record(req: &HttpRequest, outcome: Outcome) {
    with_state(req, |state| *state.decided.borrow_mut() = Some(outcome));
}

/// A guard's check of a request's token: decided at once when nothing had
/// to be awaited (the common case: a cached token, no store, no async hook),
/// or under way.
pub(crate) enum Authentication {
    Done(Result<(), Rejection>),
    Waiting(LocalBoxFuture<'static, Result<(), Rejection>>),
}

impl Authentication {
    pub(crate) async fn outcome(self) -> Result<(), Rejection> {
        match self {
            Self::Done(outcome) => outcome,
            Self::Waiting(rest) => rest.await,
        }
    }
}

/// For guards: checks the request's token against `requirement` and records
/// the outcome for the extractors, or says why not. `body` is the buffered
/// request body, when the guard read it.
pub(crate) fn authenticate(
    req: &HttpRequest,
    manager: &JwtManager,
    requirement: Requirement,
    body: Option<&[u8]>,
) -> Authentication {
    match begin(req, manager, requirement, body) {
        Step::Done(outcome) => Authentication::Done(outcome.map(|outcome| record(req, outcome))),
        Step::Waiting(rest) => {
            let req = req.clone();
            Authentication::Waiting(Box::pin(async move {
                record(&req, rest.await?);
                Ok(())
            }))
        }
    }
}

/// A guard's refusal, not made into an error yet: a CORS preflight is
/// answered without it.
pub(crate) enum Deferred {
    Rejected(JwtManager, Rejection),
    Failed(actix_web::Error),
}

impl Deferred {
    pub(crate) fn into_error(self, req: &HttpRequest) -> actix_web::Error {
        match self {
            Self::Rejected(manager, rejection) => manager.renderer().reject(rejection, req),
            Self::Failed(error) => error,
        }
    }
}

/// The outcome an extractor reads; see [`verified`]. A rejection is an
/// error rendered only when actix-web answers with it (see `hooks`), so of
/// several failing extractors only the one reported runs the
/// `error_response` hook, and an `Option` extractor's `None` runs nothing.
pub struct Verified(Reading);

enum Reading {
    Ready(Option<Result<Admitted, actix_web::Error>>),
    Pending(LocalBoxFuture<'static, Result<Admitted, actix_web::Error>>),
}

impl Future for Verified {
    type Output = Result<Admitted, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Reading::Ready(outcome) => {
                Poll::Ready(outcome.take().expect("Verified polled after completion"))
            }
            Reading::Pending(future) => future.poll_unpin(cx),
        }
    }
}

/// For extractors: the token a guard admitted, or, on a route without a
/// guard, the access token in the request, checked now (with every hook)
/// and shared with every other extractor of the request.
pub(crate) fn verified(req: &HttpRequest) -> Verified {
    let decided = decided(req);
    if let Some(Outcome::Admitted(admitted)) = decided {
        return Verified(Reading::Ready(Some(Ok(admitted))));
    }
    let manager = match JwtManager::from_app_data(req) {
        Ok(manager) => manager,
        Err(not_configured) => return Verified(Reading::Ready(Some(Err(not_configured)))),
    };
    let outcome = match decided {
        Some(outcome) => Ok(outcome),
        None => match begin(req, manager, Requirement::ACCESS, None) {
            Step::Done(Ok(outcome)) => {
                record(req, outcome.clone());
                Ok(outcome)
            }
            Step::Done(Err(rejection)) => Err(rejection),
            step @ Step::Waiting(_) => {
                let (req, manager) = (req.clone(), manager.clone());
                return Verified(Reading::Pending(Box::pin(async move {
                    let outcome = finish(step).await;
                    if let Ok(outcome) = &outcome {
                        record(&req, outcome.clone());
                    }
                    outcome
                        .and_then(admitted)
                        .map_err(|rejection| manager.renderer().reject(rejection, &req))
                })));
            }
        },
    };
    let admitted = outcome.and_then(admitted);
    Verified(Reading::Ready(Some(
        admitted.map_err(|rejection| manager.renderer().reject(rejection, req)),
    )))
}

fn admitted(outcome: Outcome) -> Result<Admitted, Rejection> {
    match outcome {
        Outcome::Admitted(admitted) => Ok(admitted),
        Outcome::Anonymous(reason) => Err(reason.into()),
    }
}

/// The response to a request (`status`, `headers`): when it is the 101 of a
/// WebSocket handshake whose admitted token came from `Sec-WebSocket-Protocol`,
/// selects the marker protocol on it, never the token.
pub(crate) fn select_websocket_protocol(
    req: &HttpRequest,
    status: StatusCode,
    headers: &mut HeaderMap,
) {
    if status != StatusCode::SWITCHING_PROTOCOLS {
        return;
    }
    let location = req.verified_token().and_then(|token| token.location());
    if location != Some(TokenLocation::WebSocketProtocol) {
        return;
    }
    if let Ok(manager) = JwtManager::from_app_data(req) {
        handshake::select_marker(req, manager.locations().marker_value(), headers);
    }
}

/// The verified token of a request, for middleware and handlers: in the
/// spirit of actix-identity's `IdentityExt`.
///
/// It reads what [`JwtRequired`](crate::JwtRequired),
/// [`RefreshRequired`](crate::RefreshRequired) or an extractor admitted; it
/// never verifies anything itself.
///
/// ```
/// use actix_jwt_extended::JwtRequestExt;
/// use actix_web::{body::MessageBody, dev::{ServiceRequest, ServiceResponse}, middleware::Next};
///
/// // An outer middleware that logs who made each request.
/// async fn audit(
///     req: ServiceRequest,
///     next: Next<impl MessageBody>,
/// ) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
///     let response = next.call(req).await?;
///     if let Some(token) = response.verified_token() {
///         log::info!("{} by {}", response.request().path(), token.identity());
///     }
///     Ok(response)
/// }
/// ```
pub trait JwtRequestExt {
    /// The token a guard or an extractor admitted for this request; `None`
    /// before that, when none did, or on an optional route reached without
    /// a token.
    fn verified_token(&self) -> Option<DecodedToken>;
}

impl JwtRequestExt for HttpRequest {
    fn verified_token(&self) -> Option<DecodedToken> {
        match decided(self)? {
            Outcome::Admitted(admitted) => Some(admitted.token),
            Outcome::Anonymous(_) => None,
        }
    }
}

impl JwtRequestExt for ServiceRequest {
    fn verified_token(&self) -> Option<DecodedToken> {
        self.request().verified_token()
    }
}

impl<B> JwtRequestExt for ServiceResponse<B> {
    fn verified_token(&self) -> Option<DecodedToken> {
        self.request().verified_token()
    }
}
