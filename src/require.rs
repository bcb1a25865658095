//! [`Require`]: conditions a guard puts on a verified token's claims
//! (roles, permissions, OAuth scopes), answered with 403.

use std::{
    borrow::Cow,
    fmt,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
};

use actix_web::HttpRequest;
use futures_util::{FutureExt, future::LocalBoxFuture};
use serde_json::Value;

use crate::{
    JwtError,
    authn::{Deferred, JwtRequestExt},
    manager::JwtManager,
    token::{DecodedToken, Rejection},
};

/// A condition a guard puts on a verified token's claims, beyond
/// authentication (see [`JwtRequired::require`](crate::JwtRequired::require)):
/// a failed one answers 403
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
pub(crate) struct Requires(Arc<[Require]>);

impl fmt::Debug for Requires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl Requires {
    pub(crate) fn add(&mut self, condition: Require) {
        self.0 = self.0.iter().cloned().chain([condition]).collect();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The conditions, in order, on the token the guard just admitted.
    pub(crate) async fn check(
        &self,
        req: &HttpRequest,
        manager: JwtManager,
    ) -> Result<(), Deferred> {
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
    pub(crate) fn check_now(
        &self,
        req: &HttpRequest,
        manager: &JwtManager,
    ) -> Option<Result<(), Deferred>> {
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
