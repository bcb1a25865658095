//! [`JwtManager`]: configuration, keys, token creation and verification.

use std::{fmt, sync::Arc};

use actix_web::{HttpRequest, HttpResponse, error::InternalError, http::header::HeaderName, web};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header};

use crate::{
    JwtError,
    config::{ConfigError, Expiry},
    locations,
    token::{DecodedToken, TokenBuilder, TokenKind, Verifier},
};

pub(crate) const DEFAULT_MESSAGE_KEY: &str = "msg";

/// Configuration, keys and token operations, shared by every worker.
///
/// Cheap to clone (an `Arc` inside). Build one with [`JwtManager::builder`] at
/// start-up and register it with `App::app_data(web::Data::new(jwt.clone()))`;
/// guards and extractors find it there.
///
/// ```
/// use actix_jwt_extended::JwtManager;
///
/// let jwt = JwtManager::builder().secret(b"change-me").build()?;
/// let access = jwt.create_access_token("alice")?;
/// assert_eq!(jwt.decode_token(&access)?.identity(), "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    inner: Arc<Config>,
}

pub(crate) struct Config {
    pub(crate) encoding_key: EncodingKey,
    pub(crate) header: Header,
    pub(crate) verifier: Verifier,
    pub(crate) access_expires: Expiry,
    pub(crate) refresh_expires: Expiry,
    pub(crate) header_name: HeaderName,
    pub(crate) header_label: String,
    pub(crate) header_type: String,
    pub(crate) message_key: String,
}

impl JwtManager {
    /// Starts a builder with Flask-JWT-Extended's defaults.
    pub fn builder() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner
    }

    /// Creates an access token for `identity` with the configured lifetime
    /// (Flask's `create_access_token(identity)`). Not fresh; use
    /// [`access_token`](Self::access_token) for options.
    pub fn create_access_token(&self, identity: impl Into<String>) -> Result<String, JwtError> {
        self.access_token(identity).encode()
    }

    /// Creates a refresh token for `identity` (Flask's `create_refresh_token`).
    pub fn create_refresh_token(&self, identity: impl Into<String>) -> Result<String, JwtError> {
        self.refresh_token(identity).encode()
    }

    /// Starts an access token with options: freshness, lifetime, claims, headers.
    pub fn access_token(&self, identity: impl Into<String>) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenKind::Access, identity.into())
    }

    /// Starts a refresh token with options: lifetime, claims, headers.
    pub fn refresh_token(&self, identity: impl Into<String>) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenKind::Refresh, identity.into())
    }

    /// Verifies a token of either kind (signature, algorithm, `iat`, `nbf`, `exp`,
    /// identity claim) and returns its contents (Flask's `decode_token`).
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        self.inner.verifier.verify(token.as_bytes())
    }

    /// Finds the token in the request, verifies it and checks its kind.
    pub(crate) fn verify_request(
        &self,
        req: &HttpRequest,
        kind: TokenKind,
    ) -> Result<DecodedToken, JwtError> {
        let config = self.config();
        let token = locations::from_header(
            req,
            &config.header_name,
            &config.header_label,
            &config.header_type,
        )?;
        let token = config.verifier.verify(&token)?;
        if (token.kind() == TokenKind::Refresh) != (kind == TokenKind::Refresh) {
            return Err(JwtError::WrongTokenType { expected: kind });
        }
        Ok(token)
    }

    /// The response this manager sends for `error`: Flask's status and
    /// `{"<message key>": "<message>"}`.
    pub fn error_response(&self, error: &JwtError) -> HttpResponse {
        error.response_with_key(&self.inner.message_key)
    }

    /// `error` as an actix error that renders with [`error_response`](Self::error_response).
    pub(crate) fn error(&self, error: JwtError) -> actix_web::Error {
        let response = self.error_response(&error);
        InternalError::from_response(error, response).into()
    }

    /// The manager registered in app data, as `web::Data<JwtManager>` or a plain `JwtManager`.
    pub(crate) fn from_app_data(req: &HttpRequest) -> Result<&JwtManager, actix_web::Error> {
        req.app_data::<web::Data<JwtManager>>()
            .map(|data| data.get_ref())
            .or_else(|| req.app_data::<JwtManager>())
            .ok_or_else(|| {
                log::error!(
                    "actix-jwt-extended: no JwtManager in app data for {} {}; register it with \
                     `App::new().app_data(web::Data::new(jwt.clone()))`",
                    req.method(),
                    req.path()
                );
                JwtError::NotConfigured.into()
            })
    }
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.config();
        f.debug_struct("JwtManager")
            .field("algorithm", &config.header.alg)
            .field("keys", &"[redacted]")
            .field("access_expires", &config.access_expires)
            .field("refresh_expires", &config.refresh_expires)
            .field("header_name", &config.header_label)
            .field("header_type", &config.header_type)
            .field("identity_claim", &config.verifier.identity_claim)
            .field("message_key", &config.message_key)
            .finish()
    }
}

/// Builds a [`JwtManager`]; every option defaults to Flask-JWT-Extended's.
///
/// Only the secret is required. Mistakes are reported by [`build`](Self::build)
/// at start-up, never per request.
#[must_use = "call `build()` to get a JwtManager"]
pub struct JwtManagerBuilder {
    secret: Vec<u8>,
    algorithm: Algorithm,
    access_expires: Expiry,
    refresh_expires: Expiry,
    header_name: String,
    header_type: String,
    identity_claim: String,
    message_key: String,
}

impl Default for JwtManagerBuilder {
    fn default() -> Self {
        Self {
            secret: Vec::new(),
            algorithm: Algorithm::HS256,
            access_expires: Expiry::ACCESS_DEFAULT,
            refresh_expires: Expiry::REFRESH_DEFAULT,
            header_name: "Authorization".to_owned(),
            header_type: "Bearer".to_owned(),
            identity_claim: "sub".to_owned(),
            message_key: DEFAULT_MESSAGE_KEY.to_owned(),
        }
    }
}

impl fmt::Debug for JwtManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtManagerBuilder")
            .field("secret", &"[redacted]")
            .field("algorithm", &self.algorithm)
            .field("access_expires", &self.access_expires)
            .field("refresh_expires", &self.refresh_expires)
            .field("header_name", &self.header_name)
            .field("header_type", &self.header_type)
            .field("identity_claim", &self.identity_claim)
            .field("message_key", &self.message_key)
            .finish()
    }
}

impl JwtManagerBuilder {
    /// The HMAC secret that signs and verifies tokens (Flask's `JWT_SECRET_KEY`).
    /// Use at least 32 random bytes. Required: there is no default.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = secret.as_ref().to_vec();
        self
    }

    /// The signing algorithm (Flask's `JWT_ALGORITHM`); it is also the only one
    /// accepted when decoding. `HS256`, `HS384` or `HS512`. Defaults to `HS256`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Lifetime of access tokens (Flask's `JWT_ACCESS_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 15 minutes.
    pub fn access_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.access_expires = expires.into();
        self
    }

    /// Lifetime of refresh tokens (Flask's `JWT_REFRESH_TOKEN_EXPIRES`): a
    /// `Duration` or [`Expiry::Never`]. Defaults to 30 days.
    pub fn refresh_token_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.refresh_expires = expires.into();
        self
    }

    /// The request header that carries the token (Flask's `JWT_HEADER_NAME`).
    /// Defaults to `Authorization`.
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header_name = name.into();
        self
    }

    /// The word before the token in that header (Flask's `JWT_HEADER_TYPE`),
    /// matched case-sensitively; an empty type means the header holds the bare
    /// token. Defaults to `Bearer`.
    pub fn header_type(mut self, header_type: impl Into<String>) -> Self {
        self.header_type = header_type.into();
        self
    }

    /// The claim that holds the identity (Flask's `JWT_IDENTITY_CLAIM`).
    /// Defaults to `sub`.
    pub fn identity_claim(mut self, claim: impl Into<String>) -> Self {
        self.identity_claim = claim.into();
        self
    }

    /// The key of the message in error bodies (Flask's `JWT_ERROR_MESSAGE_KEY`).
    /// Defaults to `msg`.
    pub fn error_message_key(mut self, key: impl Into<String>) -> Self {
        self.message_key = key.into();
        self
    }

    /// Checks the options and prepares the keys.
    pub fn build(self) -> Result<JwtManager, ConfigError> {
        if self.secret.is_empty() {
            return Err(ConfigError::MissingSecret);
        }
        if self.algorithm.family() != AlgorithmFamily::Hmac {
            return Err(ConfigError::UnsupportedAlgorithm(self.algorithm));
        }
        if self.secret.len() < 32 {
            log::warn!(
                "actix-jwt-extended: the JWT secret is shorter than 32 bytes; use a long random secret in production"
            );
        }
        let header_name = HeaderName::try_from(self.header_name.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(self.header_name.clone()))?;
        if self
            .header_type
            .contains(|c: char| c == ',' || locations::is_space(c))
        {
            return Err(ConfigError::InvalidHeaderType(self.header_type));
        }
        if self.identity_claim.is_empty() {
            return Err(ConfigError::EmptyName("the identity claim"));
        }
        if self.message_key.is_empty() {
            return Err(ConfigError::EmptyName("the error message key"));
        }
        let config = Config {
            encoding_key: EncodingKey::from_secret(&self.secret),
            header: Header::new(self.algorithm),
            verifier: Verifier {
                key: DecodingKey::from_secret(&self.secret),
                algorithms: vec![self.algorithm],
                identity_claim: self.identity_claim,
            },
            access_expires: self.access_expires.validate("the access token lifetime")?,
            refresh_expires: self
                .refresh_expires
                .validate("the refresh token lifetime")?,
            header_name,
            header_label: self.header_name,
            header_type: self.header_type,
            message_key: self.message_key,
        };
        Ok(JwtManager {
            inner: Arc::new(config),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_missing_or_empty_secret_is_a_build_error() {
        assert_eq!(
            JwtManager::builder().build().unwrap_err(),
            ConfigError::MissingSecret
        );
        assert_eq!(
            JwtManager::builder().secret("").build().unwrap_err(),
            ConfigError::MissingSecret
        );
    }

    #[test]
    fn asymmetric_algorithms_need_keys_this_version_does_not_take() {
        let error = JwtManager::builder()
            .secret("s")
            .algorithm(Algorithm::RS256)
            .build();
        assert_eq!(
            error.unwrap_err(),
            ConfigError::UnsupportedAlgorithm(Algorithm::RS256)
        );
    }

    #[test]
    fn bad_options_fail_at_build() {
        let base = || JwtManager::builder().secret("s");
        assert!(matches!(
            base().header_name("bad name").build(),
            Err(ConfigError::InvalidHeaderName(_))
        ));
        assert!(matches!(
            base().header_type("Bearer x").build(),
            Err(ConfigError::InvalidHeaderType(_))
        ));
        assert!(matches!(
            base().identity_claim("").build(),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            base().error_message_key("").build(),
            Err(ConfigError::EmptyName(_))
        ));
        assert!(matches!(
            base().access_token_expires(Duration::ZERO).build(),
            Err(ConfigError::ZeroLifetime(_))
        ));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let builder = JwtManager::builder().secret("hunter2-hunter2");
        assert!(!format!("{builder:?}").contains("hunter2"));
        let manager = builder.build().unwrap();
        let debug = format!("{manager:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("HS256"));
    }
}
