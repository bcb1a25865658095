//! Configuration types used by [`JwtManagerBuilder`](crate::manager::JwtManagerBuilder):
//! lifetimes, token locations, cookie and CSRF settings, the error format,
//! build errors, and Flask's `JWT_*` options ([`FlaskConfig`]).

use std::{collections::BTreeMap, fmt, sync::Arc, time::Duration};

use actix_web::{
    cookie::SameSite,
    http::{Method, header::HeaderName},
};
use derive_more::{Display, Error};

use crate::claims::{self, TokenKind};

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
            Self::After(duration) if claims::date_after(claims::now(), duration).is_none() => {
                Err(ConfigError::OutOfRange(format!(
                    "{option} of {duration:?} ends after the year 9999; use Expiry::Never for tokens that never expire"
                )))
            }
            other => Ok(other),
        }
    }
}

/// Where a token may be read from (Flask's `JWT_TOKEN_LOCATION`), tried in
/// the configured order; the first location that holds a token decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// The `Authorization` header (or the configured one).
    Headers,
    /// The `access_token_cookie` / `refresh_token_cookie` cookies, with CSRF
    /// double submit protection.
    ///
    /// Not for WebSocket routes: a handshake is a `GET`, which CSRF
    /// protection exempts, and browsers send cookies on a handshake that
    /// another site's page starts (cross-site WebSocket hijacking; with the
    /// default `SameSite=Lax` only from a page of the same site, with
    /// `SameSite=None` from any). Use [`WebSocketProtocol`](Self::WebSocketProtocol)
    /// there, or check the `Origin` header before the upgrade.
    Cookies,
    /// The `access_token` / `refresh_token` key of an `application/json` body.
    /// Read by the guards, which buffer the body and hand it on intact; an
    /// extractor used without a guard cannot read the body.
    Json,
    /// The `jwt` query string parameter.
    QueryString,
    /// The `Sec-WebSocket-Protocol` header of a WebSocket handshake, where a
    /// browser puts it with `new WebSocket(url, ["bearer", token])` (page
    /// script cannot set any other header on a WebSocket): the entry right
    /// after the marker protocol (`bearer`, see
    /// [`websocket_protocol`](crate::manager::JwtManagerBuilder::websocket_protocol)).
    /// Not a Flask-JWT-Extended location: opt in per route with
    /// `JwtRequired::new().locations([TokenLocation::WebSocketProtocol])`
    /// or app-wide with `token_location`; `JWT_TOKEN_LOCATION` refuses it.
    ///
    /// Read only on a WebSocket handshake (`GET` with `Upgrade: websocket`):
    /// browsers send the header on nothing else, and only the handshake's
    /// 101 response can select the marker protocol back. The guards select it
    /// on that response when the token came from here and the handler
    /// selected none (a browser that offered protocols fails the connection
    /// when the server selects none); a route without a guard calls
    /// [`websocket::select_protocol`](crate::websocket::select_protocol).
    /// The token itself is never sent back.
    ///
    /// Parsing: the entries of every header line are trimmed of spaces and
    /// tabs, empty entries skipped; the marker is compared exactly
    /// (subprotocol names are case-sensitive) and must appear once, followed
    /// by an entry that is an HTTP token. A marker without such an entry, or
    /// given twice, is 422 `Bad Sec-WebSocket-Protocol header. Expected
    /// 'Sec-WebSocket-Protocol: bearer, <JWT>'`; no marker is 401 `Missing
    /// 'bearer' protocol in 'Sec-WebSocket-Protocol' header. ...`.
    ///
    /// Unlike a cookie, the token is no ambient credential: another site's
    /// page cannot put it on a handshake, so no CSRF or `Origin` check is
    /// needed for it.
    WebSocketProtocol,
}

impl TokenLocation {
    /// Flask's name for the location, as in its error messages;
    /// `websocket_protocol` for the one Flask does not have.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Cookies => "cookies",
            Self::Json => "json",
            Self::QueryString => "query_string",
            Self::WebSocketProtocol => "websocket_protocol",
        }
    }

    /// A location of Flask's `JWT_TOKEN_LOCATION`: Flask's four only.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        [Self::Headers, Self::Cookies, Self::Json, Self::QueryString]
            .into_iter()
            .find(|location| location.as_str() == name)
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
    /// No key at all: no secret (or an empty one), no PEM key, no key ring
    /// (Flask: `JWT_SECRET_KEY`, `JWT_PRIVATE_KEY`).
    #[display(
        "no JWT secret or key configured: call JwtManagerBuilder::secret with a long random value (Flask: JWT_SECRET_KEY), or private_key / signing_key"
    )]
    MissingSecret,

    /// The algorithm does not fit the key material: an asymmetric algorithm
    /// with a secret, or an HMAC algorithm with a PEM key.
    #[display(
        "algorithm {_0:?} does not fit the key: HS256/384/512 take a secret, the others a private or public key"
    )]
    UnsupportedAlgorithm(#[error(not(source))] Algorithm),

    /// A key that cannot be used: unreadable, of the wrong type for its
    /// algorithm, a private key where a public one belongs, a public key that
    /// does not match the private key, or a duplicate `kid`.
    #[display("invalid key: {_0}")]
    InvalidKey(#[error(not(source))] String),

    /// A lifetime of zero was given; use [`Expiry::Never`] for tokens without `exp`.
    #[display("{_0} must be longer than zero (use Expiry::Never for tokens that never expire)")]
    ZeroLifetime(#[error(not(source))] &'static str),

    /// The header name is not a valid HTTP header name.
    #[display("header name {_0:?} is not a valid HTTP header name")]
    InvalidHeaderName(#[error(not(source))] String),

    /// The header type contains whitespace, a comma or a character beyond
    /// Latin-1 (what a header's bytes are read as), so it could never match.
    #[display("header type {_0:?} must be a single word of Latin-1 characters without commas")]
    InvalidHeaderType(#[error(not(source))] String),

    /// A claim or message key is empty.
    #[display("{_0} must not be empty")]
    EmptyName(#[error(not(source))] &'static str),

    /// A `JWT_*` option of [`FlaskConfig`] has a value of the wrong form.
    #[display("{_0}")]
    InvalidOption(#[error(not(source))] String),

    /// A `JWT_*` name Flask-JWT-Extended does not have (a typo?).
    #[display("unknown option {_0}")]
    UnknownOption(#[error(not(source))] String),

    /// An HMAC secret shorter than the hash output of its algorithm (RFC 7518
    /// section 3.2): 32 bytes for HS256, 48 for HS384, 64 for HS512.
    #[display(
        "the {algorithm:?} secret is {length} bytes; RFC 7518 section 3.2 asks for at least {minimum}: use a longer random secret, or accept this one with JwtManagerBuilder::allow_short_secret() (tests, examples, a migration)"
    )]
    ShortSecret {
        /// The HMAC algorithm.
        algorithm: Algorithm,
        /// The secret's length in bytes.
        length: usize,
        /// The least the algorithm asks for.
        minimum: usize,
    },

    /// A duration too long to mean anything: a token lifetime ending after
    /// the year 9999, a reuse interval of more than an hour.
    #[display("{_0}")]
    OutOfRange(#[error(not(source))] String),

    /// A cookie name, path or domain that cannot go into `Set-Cookie` as it
    /// is (a separator, `;`, a control character, or empty).
    #[display("{_0}")]
    InvalidCookie(#[error(not(source))] String),

    /// The WebSocket marker protocol is not an HTTP token (empty, or with a
    /// space, a comma or another separator), so no browser could offer it.
    #[display("WebSocket protocol {_0:?} must be a token (letters, digits and !#$%&'*+-.^_`|~)")]
    InvalidWebSocketProtocol(#[error(not(source))] String),
}

/// Flask-JWT-Extended's `JWT_*` options, under their Flask names and in
/// Flask's value forms: the migration path for a deployment configured for
/// Flask. Deserialize it from any serde format (a TOML or JSON file), or read
/// the environment with [`from_env`](Self::from_env), then turn it into a
/// builder and add the hooks:
///
/// ```
/// use actix_jwt_extended::config::FlaskConfig;
///
/// // HS512 among the decode algorithms: the secret needs 64 bytes.
/// let config: FlaskConfig = serde_json::from_value(serde_json::json!({
///     "JWT_SECRET_KEY": "change-me-to-a-long-random-secret-of-64-bytes-for-hs512-tokens!!",
///     "JWT_ACCESS_TOKEN_EXPIRES": 3600,
///     "JWT_REFRESH_TOKEN_EXPIRES": false,
///     "JWT_DECODE_ALGORITHMS": ["HS256", "HS512"],
/// }))?;
/// let jwt = config.into_builder()?.build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Lifetimes and leeway are seconds (an integer or a float), or `false` for
/// tokens that never expire; lists may also be given as comma-separated
/// strings; booleans as `true`/`false` (also `True`/`False`); keys as PEM
/// text. Unknown `JWT_*` names are refused, so a typo never goes unnoticed.
#[derive(Clone, Default, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct FlaskConfig {
    pub(crate) options: BTreeMap<String, serde_json::Value>,
}

/// Names the options and shows their values, except the keys'.
impl fmt::Debug for FlaskConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.options {
            if matches!(name.as_str(), "JWT_SECRET_KEY" | "JWT_PRIVATE_KEY") {
                map.entry(name, &"<redacted>");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// Cookie and CSRF settings, with Flask-JWT-Extended's names and defaults except
/// where Flask's are unsafe: cookies are `Secure` and `SameSite=Lax` unless you
/// opt out (Flask: neither). Set with
/// [`JwtManagerBuilder::cookies`](crate::manager::JwtManagerBuilder::cookies).
#[derive(Debug, Clone)]
#[must_use]
pub struct CookieConfig {
    pub(crate) access_cookie_name: String,
    pub(crate) refresh_cookie_name: String,
    pub(crate) access_cookie_path: String,
    pub(crate) refresh_cookie_path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) session_cookie: bool,
    pub(crate) csrf_protect: bool,
    pub(crate) csrf_in_cookies: bool,
    pub(crate) csrf_methods: Vec<Method>,
    pub(crate) access_csrf_cookie_name: String,
    pub(crate) refresh_csrf_cookie_name: String,
    pub(crate) access_csrf_cookie_path: String,
    pub(crate) refresh_csrf_cookie_path: String,
    pub(crate) access_csrf_header_name: HeaderName,
    pub(crate) refresh_csrf_header_name: HeaderName,
    pub(crate) csrf_check_form: bool,
    pub(crate) access_csrf_field_name: String,
    pub(crate) refresh_csrf_field_name: String,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            access_cookie_name: "access_token_cookie".into(),
            refresh_cookie_name: "refresh_token_cookie".into(),
            access_cookie_path: "/".into(),
            refresh_cookie_path: "/".into(),
            domain: None,
            secure: true,
            same_site: Some(SameSite::Lax),
            session_cookie: true,
            csrf_protect: true,
            csrf_in_cookies: true,
            csrf_methods: vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE],
            access_csrf_cookie_name: "csrf_access_token".into(),
            refresh_csrf_cookie_name: "csrf_refresh_token".into(),
            access_csrf_cookie_path: "/".into(),
            refresh_csrf_cookie_path: "/".into(),
            access_csrf_header_name: HeaderName::from_static("x-csrf-token"),
            refresh_csrf_header_name: HeaderName::from_static("x-csrf-token"),
            csrf_check_form: false,
            access_csrf_field_name: "csrf_token".into(),
            refresh_csrf_field_name: "csrf_token".into(),
        }
    }
}

impl CookieConfig {
    /// Flask's settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses names, paths and a domain that would break or extend the
    /// `Set-Cookie` header they go into.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let names = [
            &self.access_cookie_name,
            &self.refresh_cookie_name,
            &self.access_csrf_cookie_name,
            &self.refresh_csrf_cookie_name,
        ];
        if let Some(name) = names.into_iter().find(|name| !is_cookie_name(name)) {
            return Err(ConfigError::InvalidCookie(format!(
                "cookie name {name:?} must be a token (letters, digits and !#$%&'*+-.^_`|~)"
            )));
        }
        let paths = [
            &self.access_cookie_path,
            &self.refresh_cookie_path,
            &self.access_csrf_cookie_path,
            &self.refresh_csrf_cookie_path,
        ];
        if let Some(path) = paths.into_iter().find(|path| !is_cookie_path(path)) {
            return Err(ConfigError::InvalidCookie(format!(
                "cookie path {path:?} must not be empty or hold ';' or control characters"
            )));
        }
        match &self.domain {
            Some(domain) if !is_cookie_domain(domain) => Err(invalid_domain(domain)),
            _ => Ok(()),
        }
    }

    /// Names of the access and refresh token cookies (Flask's
    /// `JWT_ACCESS_COOKIE_NAME`, `JWT_REFRESH_COOKIE_NAME`). Defaults to
    /// `access_token_cookie` and `refresh_token_cookie`.
    pub fn cookie_names(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access_cookie_name = access.into();
        self.refresh_cookie_name = refresh.into();
        self
    }

    /// Paths of the access and refresh token cookies (Flask's
    /// `JWT_ACCESS_COOKIE_PATH`, `JWT_REFRESH_COOKIE_PATH`), e.g. `/api/` and
    /// `/token/refresh` so the refresh token travels only to the refresh route.
    /// Defaults to `/` for both.
    pub fn cookie_paths(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access_cookie_path = access.into();
        self.refresh_cookie_path = refresh.into();
        self
    }

    /// The cookies' `Domain` (Flask's `JWT_COOKIE_DOMAIN`). Defaults to none:
    /// the host that set them.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether cookies carry `Secure`, so browsers send them over HTTPS only
    /// (Flask's `JWT_COOKIE_SECURE`). Defaults to `true`, unlike Flask: turn it
    /// off only for plain-HTTP development.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The cookies' `SameSite` (Flask's `JWT_COOKIE_SAMESITE`); `None` leaves it
    /// out, as Flask does by default. Defaults to `Some(SameSite::Lax)`.
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.same_site = same_site;
        self
    }

    /// Session cookies (no `Max-Age`, gone when the browser closes) or cookies
    /// that live as long as their token (Flask's `JWT_SESSION_COOKIE`; Flask
    /// gives them a year). Defaults to `true`.
    pub fn session_cookie(mut self, session: bool) -> Self {
        self.session_cookie = session;
        self
    }

    /// CSRF double submit protection for tokens read from cookies (Flask's
    /// `JWT_COOKIE_CSRF_PROTECT`); new tokens carry a `csrf` claim only when it
    /// is on. Defaults to `true`.
    pub fn csrf_protect(mut self, protect: bool) -> Self {
        self.csrf_protect = protect;
        self
    }

    /// Whether the `set_*_cookies` helpers also set the readable CSRF cookies
    /// (Flask's `JWT_CSRF_IN_COOKIES`). Defaults to `true`.
    pub fn csrf_in_cookies(mut self, in_cookies: bool) -> Self {
        self.csrf_in_cookies = in_cookies;
        self
    }

    /// The methods that need the CSRF header (Flask's `JWT_CSRF_METHODS`).
    /// Defaults to `POST`, `PUT`, `PATCH`, `DELETE`.
    pub fn csrf_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.csrf_methods = methods.into_iter().collect();
        self
    }

    /// Names of the readable CSRF cookies (Flask's `JWT_ACCESS_CSRF_COOKIE_NAME`,
    /// `JWT_REFRESH_CSRF_COOKIE_NAME`). Defaults to `csrf_access_token` and
    /// `csrf_refresh_token`.
    pub fn csrf_cookie_names(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_cookie_name = access.into();
        self.refresh_csrf_cookie_name = refresh.into();
        self
    }

    /// Paths of the CSRF cookies (Flask's `JWT_ACCESS_CSRF_COOKIE_PATH`,
    /// `JWT_REFRESH_CSRF_COOKIE_PATH`). Defaults to `/` for both.
    pub fn csrf_cookie_paths(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_cookie_path = access.into();
        self.refresh_csrf_cookie_path = refresh.into();
        self
    }

    /// The request headers that carry the CSRF value (Flask's
    /// `JWT_ACCESS_CSRF_HEADER_NAME`, `JWT_REFRESH_CSRF_HEADER_NAME`); an invalid
    /// name is refused by `build()`. Defaults to `X-CSRF-TOKEN` for both.
    pub fn csrf_header_names(mut self, access: HeaderName, refresh: HeaderName) -> Self {
        self.access_csrf_header_name = access;
        self.refresh_csrf_header_name = refresh;
        self
    }

    /// Also accept the CSRF value from a form field of an
    /// `application/x-www-form-urlencoded` body (Flask's `JWT_CSRF_CHECK_FORM`).
    /// Defaults to `false`.
    pub fn csrf_check_form(mut self, check: bool) -> Self {
        self.csrf_check_form = check;
        self
    }

    /// Names of those form fields (Flask's `JWT_ACCESS_CSRF_FIELD_NAME`,
    /// `JWT_REFRESH_CSRF_FIELD_NAME`). Defaults to `csrf_token` for both.
    pub fn csrf_field_names(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_field_name = access.into();
        self.refresh_csrf_field_name = refresh.into();
        self
    }

    /// Where a token of `kind` is read from a request: its cookie, and the
    /// CSRF header and form field sent beside it.
    pub(crate) fn read_names(&self, kind: TokenKind) -> (&str, &HeaderName, &str) {
        match kind {
            TokenKind::Access => (
                &self.access_cookie_name,
                &self.access_csrf_header_name,
                &self.access_csrf_field_name,
            ),
            TokenKind::Refresh => (
                &self.refresh_cookie_name,
                &self.refresh_csrf_header_name,
                &self.refresh_csrf_field_name,
            ),
        }
    }

    /// Where a token of `kind` is written: the token cookie's and the CSRF
    /// cookie's names and paths.
    pub(crate) fn write_names(&self, kind: TokenKind) -> (&str, &str, &str, &str) {
        match kind {
            TokenKind::Access => (
                &self.access_cookie_name,
                &self.access_csrf_cookie_name,
                &self.access_cookie_path,
                &self.access_csrf_cookie_path,
            ),
            TokenKind::Refresh => (
                &self.refresh_cookie_name,
                &self.refresh_csrf_cookie_name,
                &self.refresh_cookie_path,
                &self.refresh_csrf_cookie_path,
            ),
        }
    }
}

/// Key material or a password: `Debug` prints `<redacted>`, so a struct that
/// holds one can derive `Debug` safely.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A hook given to the builder: `Debug` says only that it is set.
pub(crate) struct Hook<F: ?Sized>(pub(crate) Arc<F>);

impl<F: ?Sized> Clone for Hook<F> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<F: ?Sized> std::ops::Deref for Hook<F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.0
    }
}

impl<F: ?Sized> fmt::Debug for Hook<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hook>")
    }
}

/// RFC 6265 section 4.1.1: a cookie name is an RFC 7230 token.
fn is_cookie_name(name: &str) -> bool {
    is_token(name.as_bytes())
}

/// An RFC 9110 token (section 5.6.2): what a cookie name, a header type or a
/// WebSocket subprotocol is.
pub(crate) fn is_token(value: &[u8]) -> bool {
    !value.is_empty()
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

/// RFC 6265 section 4.1.1: any character but controls and `;`.
fn is_cookie_path(path: &str) -> bool {
    !path.is_empty() && path.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// A host name, optionally with a leading dot: letters, digits, `-`, `.`.
pub(crate) fn is_cookie_domain(domain: &str) -> bool {
    !domain.trim_start_matches('.').is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub(crate) fn invalid_domain(domain: &str) -> ConfigError {
    ConfigError::InvalidCookie(format!(
        "cookie domain {domain:?} must be a host name (letters, digits, '-' and '.')"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets_and_keys() {
        let config: FlaskConfig = serde_json::from_value(serde_json::json!({
            "JWT_SECRET_KEY": "hunter2-hunter2",
            "JWT_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----",
            "JWT_ALGORITHM": "HS256",
        }))
        .unwrap();
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("BEGIN"),
            "{debug}"
        );
        assert!(debug.contains("HS256"), "{debug}");
        assert_eq!(format!("{:?}", Secret(b"hunter2".to_vec())), "<redacted>");
    }
}
