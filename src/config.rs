//! Configuration types used by [`JwtManagerBuilder`](crate::manager::JwtManagerBuilder).

use std::time::Duration;

use derive_more::{Display, Error};

pub use jsonwebtoken::Algorithm;

/// How long a token lives: Flask-JWT-Extended's `JWT_*_TOKEN_EXPIRES`, which
/// takes a `timedelta` or `False`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// The token carries `exp = iat + duration` (whole seconds, as PyJWT writes it).
    After(Duration),
    /// The token carries no `exp` claim and never expires (Flask's `False`).
    /// Such a token is valid until the secret changes: prefer short lifetimes.
    Never,
}

impl From<Duration> for Expiry {
    fn from(duration: Duration) -> Self {
        Self::After(duration)
    }
}

impl Expiry {
    /// Flask's default access token lifetime: 15 minutes.
    pub const ACCESS_DEFAULT: Self = Self::After(Duration::from_secs(15 * 60));
    /// Flask's default refresh token lifetime: 30 days.
    pub const REFRESH_DEFAULT: Self = Self::After(Duration::from_secs(30 * 24 * 60 * 60));

    pub(crate) fn validate(self, option: &'static str) -> Result<Self, ConfigError> {
        match self {
            // Flask treats a zero timedelta as "never expires" because it is falsy;
            // that surprise is not worth copying, and an already expired token is useless.
            Self::After(duration) if duration.is_zero() => Err(ConfigError::ZeroLifetime(option)),
            other => Ok(other),
        }
    }
}

/// How errors are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// Flask-JWT-Extended's statuses (401, 422, ...) and `{"msg": ...}`, no
    /// `WWW-Authenticate` header: what clients of a Flask service expect.
    #[default]
    Flask,
    /// RFC 6750: token errors are 401 with `WWW-Authenticate: Bearer
    /// error="invalid_token", error_description="..."`, a malformed
    /// `Authorization` header is 400 `invalid_request`, a missing token a bare
    /// `Bearer` challenge, a stale token `insufficient_user_authentication`
    /// (RFC 9470). The JSON body stays.
    Rfc6750,
}

/// A configuration mistake found by [`JwtManagerBuilder::build`](crate::manager::JwtManagerBuilder::build).
#[derive(Debug, Display, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No signing secret was given, or it was empty (Flask: `JWT_SECRET_KEY`).
    #[display(
        "no JWT secret configured: call JwtManagerBuilder::secret with a long random value (Flask: JWT_SECRET_KEY)"
    )]
    MissingSecret,

    /// The algorithm needs keys this version cannot take yet (RSA, EC, EdDSA).
    #[display("algorithm {_0:?} is not supported with a shared secret: use HS256, HS384 or HS512")]
    UnsupportedAlgorithm(#[error(not(source))] Algorithm),

    /// A lifetime of zero was given; use [`Expiry::Never`] for tokens without `exp`.
    #[display("{_0} must be longer than zero (use Expiry::Never for tokens that never expire)")]
    ZeroLifetime(#[error(not(source))] &'static str),

    /// The header name is not a valid HTTP header name.
    #[display("header name {_0:?} is not a valid HTTP header name")]
    InvalidHeaderName(#[error(not(source))] String),

    /// The header type contains whitespace or a comma, so it could never match.
    #[display("header type {_0:?} must be a single word without commas")]
    InvalidHeaderType(#[error(not(source))] String),

    /// A claim or message key is empty.
    #[display("{_0} must not be empty")]
    EmptyName(#[error(not(source))] &'static str),
}
