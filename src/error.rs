//! Request-time errors and their Flask-compatible responses.

use std::{borrow::Cow, cell::RefCell, collections::VecDeque, rc::Rc};

use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{self, ContentType},
    },
};
use derive_more::{Display, Error};

use crate::{
    claims::TokenKind,
    config::ErrorFormat,
    events::{self, Rejected, Seen},
};

/// The key of the message in error bodies unless configured otherwise.
pub(crate) const DEFAULT_MESSAGE_KEY: &str = "msg";

/// Everything that can go wrong while reading, verifying or creating a token.
///
/// Each variant answers with Flask-JWT-Extended's status and message (see the
/// crate docs' error table). Every error the crate hands out answers with the
/// response of the [`JwtManager`](crate::JwtManager) that raised it (its
/// message key, error format and `error_response` hook): a rejection by a
/// guard or an extractor, and an error from a manager method (`decode_token`,
/// `revoke_token`, `rotate_refresh_token`, ...) that a handler returns with
/// `?`. A `JwtError` the application builds itself answers in Flask's format
/// with the key `msg`.
#[derive(Debug, Display, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// No token where one is required (401), e.g. `Missing Authorization Header`.
    #[display("{_0}")]
    MissingToken(#[error(not(source))] String),

    /// The `Authorization` header holds a token part that is not `<type> <JWT>`,
    /// or a WebSocket handshake's `Sec-WebSocket-Protocol` a marker that is
    /// not followed by one token (422).
    #[display("{_0}")]
    BadAuthorizationHeader(#[error(not(source))] String),

    /// The query string parameter does not start with the configured prefix (422).
    #[display("{_0}")]
    InvalidQueryParameter(#[error(not(source))] String),

    /// A token came from a cookie on a state-changing request without the
    /// CSRF header (401).
    #[display("Missing CSRF token")]
    CsrfMissing,

    /// The CSRF header does not match the cookie token's `csrf` claim (401).
    #[display("CSRF double submit tokens do not match")]
    CsrfMismatch,

    /// The request body, read for a token in it, is larger than the
    /// configured limit (413).
    #[display("Request body is too large")]
    BodyTooLarge,

    /// The request body could not be read (400).
    #[display("Could not read the request body")]
    BodyUnreadable,

    /// The request body, read for a token in it, did not arrive within the
    /// configured time (408).
    #[display("Request body was not received in time")]
    BodyTimeout,

    /// The token is not a well-formed JWT: segments, base64 or JSON (422).
    #[display("{_0}")]
    Malformed(#[error(not(source))] Cow<'static, str>),

    /// The token's `alg` is not one the manager is configured to accept (422).
    #[display("The specified alg value is not allowed")]
    AlgorithmNotAllowed,

    /// The signature does not match the token's contents (422).
    #[display("Signature verification failed")]
    InvalidSignature,

    /// The token's `exp` has passed (401).
    #[display("Token has expired")]
    Expired,

    /// The token's `nbf` or `iat` lies in the future (422).
    #[display("The token is not yet valid ({_0})")]
    NotYetValid(#[error(not(source))] &'static str),

    /// A registered claim has the wrong type, e.g. a string `exp` (422).
    #[display("{_0}")]
    InvalidClaim(#[error(not(source))] Cow<'static, str>),

    /// The identity claim (`sub` by default) is absent (422).
    #[display("Missing claim: {_0}")]
    MissingClaim(#[error(not(source))] String),

    /// An access token on a refresh route or the other way round (422).
    #[display("{}", wrong_type_message(*expected))]
    WrongTokenType {
        /// The kind of token the route accepts.
        expected: TokenKind,
    },

    /// The route needs a fresh token and this one is not, or no longer, fresh (401).
    #[display("Fresh token required")]
    FreshTokenRequired,

    /// The token was revoked (logout, "log out everywhere", a reused refresh
    /// token's family) (401).
    #[display("Token has been revoked")]
    Revoked,

    /// The token store could not answer; the request is denied (503; the
    /// cause is logged, not sent).
    #[display("Token revocation store unavailable")]
    StoreUnavailable(#[error(not(source))] Cow<'static, str>),

    /// The keys that verify tokens could not be had: a remote JWK Set that
    /// was never fetched (503; the cause is logged, not sent).
    #[display("Signing keys unavailable")]
    KeysUnavailable(#[error(not(source))] Cow<'static, str>),

    /// The claims verification hook refused the token (400).
    #[display("User claims verification failed")]
    ClaimsVerificationFailed,

    /// The user loader found nobody for this identity (401).
    #[display("Error loading the user {_0}")]
    UserNotFound(#[error(not(source))] String),

    /// The token is valid, but a route's [`Require`](crate::Require) refused
    /// it: a role, a permission, an OAuth scope (403). In the RFC 6750
    /// format it is an `insufficient_scope` challenge, with the scopes the
    /// route needs when it asked for scopes.
    #[display("{message}")]
    Forbidden {
        /// What the client is told.
        message: Cow<'static, str>,
        /// The scopes the route needs, space-separated, for the challenge.
        scope: Option<Cow<'static, str>>,
    },

    /// The verified claims do not fit the type asked for by `Claims<T>` (422).
    #[display("Token claims do not have the expected shape")]
    ClaimsShape,

    /// No [`JwtManager`](crate::JwtManager) in app data: a set-up mistake (500).
    #[display("JWT authentication is not configured on this server")]
    NotConfigured,

    /// A feature used without what it needs, named with the fix (500):
    /// `CurrentUser` without a user loader, revocation without a token store.
    #[display("{_0}")]
    Misconfigured(#[error(not(source))] &'static str),

    /// A hook (user loader, claims verifier) failed or panicked (500; the cause
    /// is logged, not sent).
    #[display("Internal server error")]
    Hook(#[error(not(source))] Cow<'static, str>),

    /// A token could not be created, e.g. a reserved claim was passed as an
    /// additional claim (500; the reason is logged, not sent).
    #[display("Could not create a token")]
    Creation(#[error(not(source))] Cow<'static, str>),
}

fn wrong_type_message(expected: TokenKind) -> &'static str {
    match expected {
        TokenKind::Access => "Only non-refresh tokens are allowed",
        TokenKind::Refresh => "Only refresh tokens are allowed",
    }
}

impl JwtError {
    /// The JSON body Flask-JWT-Extended sends for this error, byte for byte:
    /// `{"<key>":"<message>"}` and a newline, as Flask's `jsonify` writes it.
    pub(crate) fn json_body(&self, message_key: &str) -> String {
        let mut body = serde_json::Map::with_capacity(1);
        body.insert(message_key.to_owned(), self.to_string().into());
        let mut body = serde_json::Value::Object(body).to_string();
        body.push('\n');
        body
    }

    /// A stable, snake_case code for this kind of error, for logs, metrics
    /// and the rejection events (`reason`). Codes never change meaning; a new
    /// variant brings a new code.
    ///
    /// | code | variant |
    /// | --- | --- |
    /// | `missing_token` | [`MissingToken`](Self::MissingToken) |
    /// | `bad_authorization_header` | [`BadAuthorizationHeader`](Self::BadAuthorizationHeader) |
    /// | `invalid_query_parameter` | [`InvalidQueryParameter`](Self::InvalidQueryParameter) |
    /// | `csrf_missing` | [`CsrfMissing`](Self::CsrfMissing) |
    /// | `csrf_mismatch` | [`CsrfMismatch`](Self::CsrfMismatch) |
    /// | `body_too_large` | [`BodyTooLarge`](Self::BodyTooLarge) |
    /// | `body_unreadable` | [`BodyUnreadable`](Self::BodyUnreadable) |
    /// | `body_timeout` | [`BodyTimeout`](Self::BodyTimeout) |
    /// | `malformed` | [`Malformed`](Self::Malformed) |
    /// | `algorithm_not_allowed` | [`AlgorithmNotAllowed`](Self::AlgorithmNotAllowed) |
    /// | `invalid_signature` | [`InvalidSignature`](Self::InvalidSignature) |
    /// | `expired` | [`Expired`](Self::Expired) |
    /// | `not_yet_valid` | [`NotYetValid`](Self::NotYetValid) |
    /// | `invalid_claim` | [`InvalidClaim`](Self::InvalidClaim) |
    /// | `missing_claim` | [`MissingClaim`](Self::MissingClaim) |
    /// | `wrong_token_type` | [`WrongTokenType`](Self::WrongTokenType) |
    /// | `not_fresh` | [`FreshTokenRequired`](Self::FreshTokenRequired) |
    /// | `revoked` | [`Revoked`](Self::Revoked) |
    /// | `store_unavailable` | [`StoreUnavailable`](Self::StoreUnavailable) |
    /// | `keys_unavailable` | [`KeysUnavailable`](Self::KeysUnavailable) |
    /// | `claims_verification_failed` | [`ClaimsVerificationFailed`](Self::ClaimsVerificationFailed) |
    /// | `user_not_found` | [`UserNotFound`](Self::UserNotFound) |
    /// | `forbidden` | [`Forbidden`](Self::Forbidden) |
    /// | `claims_shape` | [`ClaimsShape`](Self::ClaimsShape) |
    /// | `not_configured` | [`NotConfigured`](Self::NotConfigured) |
    /// | `misconfigured` | [`Misconfigured`](Self::Misconfigured) |
    /// | `hook_failed` | [`Hook`](Self::Hook) |
    /// | `creation_failed` | [`Creation`](Self::Creation) |
    ///
    /// ```
    /// use actix_jwt_extended::JwtError;
    ///
    /// assert_eq!(JwtError::Expired.code(), "expired");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken(_) => "missing_token",
            Self::BadAuthorizationHeader(_) => "bad_authorization_header",
            Self::InvalidQueryParameter(_) => "invalid_query_parameter",
            Self::CsrfMissing => "csrf_missing",
            Self::CsrfMismatch => "csrf_mismatch",
            Self::BodyTooLarge => "body_too_large",
            Self::BodyUnreadable => "body_unreadable",
            Self::BodyTimeout => "body_timeout",
            Self::Malformed(_) => "malformed",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::InvalidSignature => "invalid_signature",
            Self::Expired => "expired",
            Self::NotYetValid(_) => "not_yet_valid",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongTokenType { .. } => "wrong_token_type",
            Self::FreshTokenRequired => "not_fresh",
            Self::Revoked => "revoked",
            Self::StoreUnavailable(_) => "store_unavailable",
            Self::KeysUnavailable(_) => "keys_unavailable",
            Self::ClaimsVerificationFailed => "claims_verification_failed",
            Self::UserNotFound(_) => "user_not_found",
            Self::Forbidden { .. } => "forbidden",
            Self::ClaimsShape => "claims_shape",
            Self::NotConfigured => "not_configured",
            Self::Misconfigured(_) => "misconfigured",
            Self::Hook(_) => "hook_failed",
            Self::Creation(_) => "creation_failed",
        }
    }

    /// What the client is not told: the cause of a 500 or a 503, for the log.
    fn cause(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Creation(reason) => Some(format!("could not create a token: {reason}").into()),
            Self::Hook(reason) => Some(Cow::Borrowed(reason)),
            Self::Misconfigured(fix) => Some(Cow::Borrowed(fix)),
            Self::StoreUnavailable(cause) | Self::KeysUnavailable(cause) => {
                Some(format!("denying the request, {cause}").into())
            }
            Self::NotConfigured => Some(Cow::Borrowed(
                "no JwtManager in app data; register it with \
                 `App::new().app_data(web::Data::new(jwt.clone()))`",
            )),
            _ => None,
        }
    }

    /// Emits the rejection event: the code, the status sent, what the
    /// request showed, and for a server-side failure its cause. Never the
    /// message, which may quote what the client sent.
    pub(crate) fn report(&self, status: StatusCode, seen: Seen<'_>) {
        let cause = self.cause();
        events::rejected(&Rejected {
            reason: self.code(),
            status: status.as_u16(),
            server_side: self.status_code().is_server_error(),
            cause: cause.as_deref(),
            seen,
        });
    }

    /// The default response in the given format, with `message_key` in the body.
    pub(crate) fn response(&self, format: ErrorFormat, message_key: &str) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if format == ErrorFormat::Rfc6750
            && let Some((status, challenge)) = self.rfc6750()
        {
            response
                .status(status)
                .insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response
            .insert_header(ContentType::json())
            .body(self.json_body(message_key))
    }

    /// RFC 6750 section 3 (and RFC 9470 for freshness): the status and
    /// `WWW-Authenticate` challenge, for errors about the bearer token.
    fn rfc6750(&self) -> Option<(StatusCode, String)> {
        let (status, code) = match self {
            // No credentials at all: a bare challenge, no error code.
            Self::MissingToken(_) => return Some((StatusCode::UNAUTHORIZED, "Bearer".to_owned())),
            Self::BadAuthorizationHeader(_) | Self::InvalidQueryParameter(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            Self::FreshTokenRequired => {
                (StatusCode::UNAUTHORIZED, "insufficient_user_authentication")
            }
            Self::Forbidden { .. } => (StatusCode::FORBIDDEN, "insufficient_scope"),
            Self::NotConfigured
            | Self::Misconfigured(_)
            | Self::Creation(_)
            | Self::Hook(_)
            | Self::StoreUnavailable(_)
            | Self::KeysUnavailable(_)
            | Self::BodyTooLarge
            | Self::BodyUnreadable
            | Self::BodyTimeout => return None,
            _ => (StatusCode::UNAUTHORIZED, "invalid_token"),
        };
        // A quoted-string (RFC 9110 section 5.6.4): quotes and backslashes
        // escaped, control characters (which no header may carry) as spaces.
        let mut description = String::new();
        for c in self.to_string().chars() {
            match c {
                '\\' | '"' => description.extend(['\\', c]),
                c if c.is_control() => description.push(' '),
                c => description.push(c),
            }
        }
        let mut challenge = format!("Bearer error=\"{code}\", error_description=\"{description}\"");
        if let Self::Forbidden {
            scope: Some(scope), ..
        } = self
        {
            // Scope tokens are printable ASCII without quotes or backslashes
            // (RFC 6749 section 3.3); `Require::scopes` keeps only those.
            challenge.push_str(&format!(", scope=\"{scope}\""));
        }
        Some((status, challenge))
    }
}

impl ResponseError for JwtError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingToken(_)
            | Self::CsrfMissing
            | Self::CsrfMismatch
            | Self::Expired
            | Self::FreshTokenRequired
            | Self::Revoked
            | Self::UserNotFound(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::StoreUnavailable(_) | Self::KeysUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::ClaimsVerificationFailed | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::NotConfigured | Self::Misconfigured(_) | Self::Creation(_) | Self::Hook(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::BadAuthorizationHeader(_)
            | Self::InvalidQueryParameter(_)
            | Self::Malformed(_)
            | Self::AlgorithmNotAllowed
            | Self::InvalidSignature
            | Self::NotYetValid(_)
            | Self::InvalidClaim(_)
            | Self::MissingClaim(_)
            | Self::WrongTokenType { .. }
            | Self::ClaimsShape => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(render) = handed::take(self) {
            return render(self);
        }
        let response = self.response(ErrorFormat::Flask, DEFAULT_MESSAGE_KEY);
        self.report(response.status(), Seen::default());
        response
    }
}

/// Renders an error the way one manager is configured to.
pub(crate) type Render = Rc<dyn Fn(&JwtError) -> HttpResponse>;

/// Hands errors to user code so that they answer with the manager's response.
pub(crate) trait Handout {
    /// Records `error` as handed out by this manager and returns it.
    fn hand_out(&self, error: JwtError) -> JwtError;
}

/// Errors handed out by a manager, remembered until a handler returns them.
///
/// `JwtError` is a plain enum that users match on, so it cannot carry its
/// manager. actix-web turns a handler's error into a response on the worker
/// thread that ran the handler, right after it returns, so each thread keeps
/// the last few errors its managers handed out, with how to render them. An
/// equal error that a handler returns renders with that manager's response;
/// any other renders with the defaults.
pub(crate) mod handed {
    use super::*;

    /// Enough for the errors of the requests one worker interleaves.
    const REMEMBERED: usize = 8;

    thread_local! {
        static HANDED: RefCell<VecDeque<(JwtError, Render)>> = const { RefCell::new(VecDeque::new()) };
    }

    pub(crate) fn remember(error: &JwtError, render: Render) {
        HANDED.with_borrow_mut(|handed| {
            if handed.len() == REMEMBERED {
                handed.pop_front();
            }
            handed.push_back((error.clone(), render));
        });
    }

    /// How to render `error`, if a manager on this thread handed it out.
    pub(super) fn take(error: &JwtError) -> Option<Render> {
        HANDED.with_borrow_mut(|handed| {
            let at = handed.iter().rposition(|(seen, _)| seen == error)?;
            handed.remove(at).map(|(_, render)| render)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_flask_jwt_extended() {
        let cases = [
            (JwtError::Expired, "Token has expired", 401),
            (
                JwtError::InvalidSignature,
                "Signature verification failed",
                422,
            ),
            (
                JwtError::AlgorithmNotAllowed,
                "The specified alg value is not allowed",
                422,
            ),
            (
                JwtError::MissingClaim("sub".into()),
                "Missing claim: sub",
                422,
            ),
            (
                JwtError::NotYetValid("nbf"),
                "The token is not yet valid (nbf)",
                422,
            ),
            (
                JwtError::WrongTokenType {
                    expected: TokenKind::Access,
                },
                "Only non-refresh tokens are allowed",
                422,
            ),
            (
                JwtError::WrongTokenType {
                    expected: TokenKind::Refresh,
                },
                "Only refresh tokens are allowed",
                422,
            ),
        ];
        for (error, msg, status) in cases {
            assert_eq!(error.to_string(), msg);
            assert_eq!(error.status_code().as_u16(), status);
        }
    }

    #[test]
    fn body_uses_the_given_message_key_and_escapes_json() {
        let error = JwtError::MissingToken("Missing \"x\" Header".into());
        let body: serde_json::Value = serde_json::from_str(&error.json_body("error")).unwrap();
        assert_eq!(body, serde_json::json!({"error": "Missing \"x\" Header"}));
    }

    #[test]
    fn rfc6750_challenges_name_the_error_and_escape_the_description() {
        let response = JwtError::InvalidClaim("Token is missing the \"aud\" claim".into())
            .response(ErrorFormat::Rfc6750, "msg");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            r#"Bearer error="invalid_token", error_description="Token is missing the \"aud\" claim""#
        );
        let missing = JwtError::MissingToken("Missing Authorization Header".into())
            .response(ErrorFormat::Rfc6750, "msg");
        assert_eq!(
            missing.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer"
        );
        let flask = JwtError::Expired.response(ErrorFormat::Flask, "msg");
        assert!(flask.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn creation_errors_do_not_reveal_their_reason() {
        let error = JwtError::Creation("claim 'exp' is reserved".into());
        assert_eq!(error.to_string(), "Could not create a token");
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
