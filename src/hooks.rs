//! Request-time hooks (claims verification, user loading, refresh-token
//! reuse) and the one place errors become responses.

use std::{
    any::Any,
    cell::Cell,
    fmt,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind},
    rc::Rc,
    sync::Arc,
};

use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, http::StatusCode};
use futures_util::{FutureExt, future::LocalBoxFuture};

use crate::{
    JwtError,
    config::{ConfigError, ErrorFormat, Hook},
    error::{DEFAULT_MESSAGE_KEY, Handout, handed},
    events::Seen,
    token::{DecodedToken, Rejection},
};

/// Looks up the user a verified token names (Flask's `user_lookup_loader`).
///
/// When a loader is configured, every request that passes a guard or an
/// extractor loads its user once, before the handler runs; a loader that finds
/// nobody rejects the request with 401 `Error loading the user <identity>`.
/// Handlers read the user with [`CurrentUser<U>`](crate::CurrentUser).
///
/// ```
/// use actix_jwt_extended::{manager::UserLoader, token::DecodedToken};
/// use std::convert::Infallible;
///
/// struct Users;
///
/// impl UserLoader for Users {
///     type User = String;
///     type Error = Infallible;
///
///     async fn load(&self, token: &DecodedToken) -> Result<Option<String>, Infallible> {
///         // A database query in a real application.
///         Ok((token.identity() == "1").then(|| "Bruce Wayne".to_owned()))
///     }
/// }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// What [`CurrentUser<U>`](crate::CurrentUser) hands to handlers.
    type User: 'static;
    /// A failure to look up (a database error): logged, answered with a 500.
    type Error: fmt::Display;

    /// Finds the user for `token`: `Ok(None)` when there is none.
    fn load(
        &self,
        token: &DecodedToken,
    ) -> impl Future<Output = Result<Option<Self::User>, Self::Error>>;
}

/// [`UserLoader`] with the user type erased, so the manager can hold any one.
pub(crate) trait DynUserLoader: Send + Sync {
    fn load<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn Any>>, String>>;
}

impl<L: UserLoader> DynUserLoader for L {
    fn load<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn Any>>, String>> {
        Box::pin(async move {
            match UserLoader::load(self, token).await {
                Ok(user) => Ok(user.map(|user| Rc::new(user) as Rc<dyn Any>)),
                Err(error) => Err(error.to_string()),
            }
        })
    }
}

pub(crate) type ClaimsHook = dyn Fn(&DecodedToken) -> bool + Send + Sync;
pub(crate) type TokenHook = dyn Fn(&DecodedToken) + Send + Sync;
pub(crate) type ErrorHook =
    dyn Fn(&JwtError, Option<&DecodedToken>) -> Option<HttpResponse> + Send + Sync;

/// The hooks that run on verified tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) verify_claims: Option<Hook<ClaimsHook>>,
    pub(crate) user_loader: Option<Hook<dyn DynUserLoader>>,
    pub(crate) refresh_reuse: Option<Hook<TokenHook>>,
}

impl Hooks {
    /// Flask's `token_verification_loader`: `false` is a 400, a panic a 500.
    pub(crate) fn verify_claims(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let Some(verify) = &self.verify_claims else {
            return Ok(());
        };
        match catch_unwind(AssertUnwindSafe(|| verify(token))) {
            Ok(true) => Ok(()),
            Ok(false) => Err(JwtError::ClaimsVerificationFailed),
            Err(_) => Err(JwtError::Hook(
                "the claims verification hook panicked".into(),
            )),
        }
    }

    /// Whether a user loader is configured: the one hook that is awaited.
    pub(crate) fn loads_users(&self) -> bool {
        self.user_loader.is_some()
    }

    /// Flask's `user_lookup_loader`: nobody is a 401, a failure or panic a 500.
    pub(crate) async fn load_user(
        &self,
        token: &DecodedToken,
    ) -> Result<Option<Rc<dyn Any>>, JwtError> {
        let Some(loader) = &self.user_loader else {
            return Ok(None);
        };
        match AssertUnwindSafe(loader.load(token)).catch_unwind().await {
            Ok(Ok(Some(user))) => Ok(Some(user)),
            Ok(Ok(None)) => Err(JwtError::UserNotFound(token.identity().to_owned())),
            Ok(Err(cause)) => Err(JwtError::Hook(
                format!("the user loader failed: {cause}").into(),
            )),
            Err(_) => Err(JwtError::Hook("the user loader panicked".into())),
        }
    }

    /// Tells the application that a retired refresh token came back.
    pub(crate) fn refresh_reused(&self, token: &DecodedToken) {
        if let Some(hook) = &self.refresh_reuse
            && catch_unwind(AssertUnwindSafe(|| hook(token))).is_err()
        {
            log::error!("actix-jwt-extended: the refresh reuse hook panicked");
        }
    }
}

/// The builder's error options.
#[derive(Debug, Clone)]
pub(crate) struct ErrorOptions {
    pub(crate) message_key: String,
    pub(crate) format: ErrorFormat,
    pub(crate) hook: Option<Hook<ErrorHook>>,
}

impl Default for ErrorOptions {
    fn default() -> Self {
        Self {
            message_key: DEFAULT_MESSAGE_KEY.to_owned(),
            format: ErrorFormat::Flask,
            hook: None,
        }
    }
}

/// Turns every error the manager hands out into its response: guards,
/// extractors and API calls alike.
#[derive(Debug, Clone)]
pub(crate) struct Renderer {
    message_key: Arc<str>,
    format: ErrorFormat,
    hook: Option<Hook<ErrorHook>>,
}

impl Renderer {
    pub(crate) fn new(options: ErrorOptions) -> Result<Self, ConfigError> {
        if options.message_key.is_empty() {
            return Err(ConfigError::EmptyName("the error message key"));
        }
        Ok(Self {
            message_key: options.message_key.into(),
            format: options.format,
            hook: options.hook,
        })
    }

    /// The renderer of a request that reached no manager: Flask's format,
    /// the key `msg`, no hook.
    pub(crate) fn fallback() -> Self {
        Self {
            message_key: DEFAULT_MESSAGE_KEY.into(),
            format: ErrorFormat::Flask,
            hook: None,
        }
    }

    /// The response for `error`: the hook's, or the configured format's.
    /// Emits the rejection event either way, with the cause of a 500 or 503.
    pub(crate) fn render(
        &self,
        error: &JwtError,
        token: Option<&DecodedToken>,
        req: Option<&HttpRequest>,
    ) -> HttpResponse {
        let response = self.respond(error, token);
        report(error, response.status(), token, req);
        response
    }

    fn respond(&self, error: &JwtError, token: Option<&DecodedToken>) -> HttpResponse {
        if let Some(hook) = &self.hook {
            match catch_unwind(AssertUnwindSafe(|| hook(error, token))) {
                Ok(Some(response)) => return response,
                Ok(None) => {}
                Err(_) => log::error!(
                    "actix-jwt-extended: the error response hook panicked; sending the default response"
                ),
            }
        }
        error.response(self.format, &self.message_key)
    }

    /// `rejection` of `req` as an actix error, rendered when actix-web turns
    /// it into the response.
    pub(crate) fn reject(&self, rejection: Rejection, req: &HttpRequest) -> actix_web::Error {
        Refusal {
            error: rejection.error,
            token: rejection.token,
            req: req.clone(),
            renderer: self.clone(),
            rendered: Cell::new(false),
        }
        .into()
    }

    /// Hands `rejection`'s error to user code, remembering its token for the hook.
    pub(crate) fn hand_out_rejection(&self, rejection: Rejection) -> JwtError {
        let renderer = self.clone();
        let token = rejection.token;
        handed::remember(
            &rejection.error,
            Rc::new(move |error| renderer.render(error, token.as_ref(), None)),
        );
        rejection.error
    }
}

impl Handout for Renderer {
    fn hand_out(&self, error: JwtError) -> JwtError {
        self.hand_out_rejection(error.into())
    }
}

/// A guard's or an extractor's rejection, rendered (hook, response, event)
/// only when actix-web answers with it: an error that `Option<JwtIdentity>`
/// turns into `None` refuses nothing, so it emits no event, unless it is a
/// server-side failure, whose cause is reported when it is dropped.
struct Refusal {
    error: JwtError,
    token: Option<DecodedToken>,
    req: HttpRequest,
    renderer: Renderer,
    rendered: Cell<bool>,
}

impl fmt::Debug for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.rendered.set(true);
        self.renderer
            .render(&self.error, self.token.as_ref(), Some(&self.req))
    }
}

impl Drop for Refusal {
    fn drop(&mut self) {
        if !self.rendered.get() && self.error.status_code().is_server_error() {
            report(
                &self.error,
                self.error.status_code(),
                self.token.as_ref(),
                Some(&self.req),
            );
        }
    }
}

/// A request's rejection event was emitted: one per request, whichever of
/// its readers (nested guards, several extractors) reports first.
struct Reported;

/// Emits the rejection event of `error`, answered with `status`, once per
/// request: the route, and the `jti` and identity of a verified token.
fn report(
    error: &JwtError,
    status: StatusCode,
    token: Option<&DecodedToken>,
    req: Option<&HttpRequest>,
) {
    if let Some(req) = req {
        if req.extensions().contains::<Reported>() {
            return;
        }
        req.extensions_mut().insert(Reported);
    }
    // The matched pattern, else the path: never the query string, where a
    // token may be.
    let route = req.map(|req| req.match_pattern().unwrap_or_else(|| req.path().to_owned()));
    error.report(
        status,
        Seen {
            method: req.map(|req| req.method().as_str()),
            route: route.as_deref(),
            jti: token.and_then(DecodedToken::jti),
            sub: token.map(DecodedToken::identity),
        },
    );
}
