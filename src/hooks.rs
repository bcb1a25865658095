//! Request-time hooks (claims verification, user loading, refresh-token
//! reuse) and the one place errors become responses.

use std::{
    any::Any,
    fmt,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind},
    rc::Rc,
    sync::Arc,
};

use actix_web::{HttpResponse, error::InternalError};
use futures_util::{FutureExt, future::LocalBoxFuture};

use crate::{
    JwtError,
    config::{ConfigError, ErrorFormat, Hook},
    error::{DEFAULT_MESSAGE_KEY, Handout, handed},
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

    /// The response for `error`: the hook's, or the configured format's. The
    /// cause of a 500 or 503 is logged either way.
    pub(crate) fn render(&self, error: &JwtError, token: Option<&DecodedToken>) -> HttpResponse {
        error.log_cause();
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

    /// `rejection` as an actix error that carries its rendered response.
    pub(crate) fn reject(&self, rejection: Rejection) -> actix_web::Error {
        let response = self.render(&rejection.error, rejection.token.as_ref());
        InternalError::from_response(rejection.error, response).into()
    }

    /// Hands `rejection`'s error to user code, remembering its token for the hook.
    pub(crate) fn hand_out_rejection(&self, rejection: Rejection) -> JwtError {
        let renderer = self.clone();
        let token = rejection.token;
        handed::remember(
            &rejection.error,
            Rc::new(move |error| renderer.render(error, token.as_ref())),
        );
        rejection.error
    }
}

impl Handout for Renderer {
    fn hand_out(&self, error: JwtError) -> JwtError {
        self.hand_out_rejection(error.into())
    }
}
