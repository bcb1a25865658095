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

/// Where a token may be read from (Flask's `JWT_TOKEN_LOCATION`), tried in
/// the configured order; the first location that holds a token decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// The `Authorization` header (or the configured one).
    Headers,
    /// The `access_token_cookie` / `refresh_token_cookie` cookies, with CSRF
    /// double submit protection.
    Cookies,
    /// The `access_token` / `refresh_token` key of an `application/json` body.
    /// Read by the guards, which buffer the body and hand it on intact; an
    /// extractor used without a guard cannot read the body.
    Json,
    /// The `jwt` query string parameter.
    QueryString,
}

impl TokenLocation {
    /// Flask's name for the location, as in its error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Cookies => "cookies",
            Self::Json => "json",
            Self::QueryString => "query_string",
        }
    }

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

    /// The header type contains whitespace or a comma, so it could never match.
    #[display("header type {_0:?} must be a single word without commas")]
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
/// let config: FlaskConfig = serde_json::from_value(serde_json::json!({
///     "JWT_SECRET_KEY": "super-secret",
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
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct FlaskConfig {
    options: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Options whose values are taken verbatim from the environment.
const STRING_OPTIONS: [&str; 24] = [
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEY",
    "JWT_JSON_KEY",
    "JWT_REFRESH_JSON_KEY",
    "JWT_QUERY_STRING_NAME",
    "JWT_QUERY_STRING_VALUE_PREFIX",
    "JWT_ACCESS_COOKIE_NAME",
    "JWT_REFRESH_COOKIE_NAME",
    "JWT_ACCESS_COOKIE_PATH",
    "JWT_REFRESH_COOKIE_PATH",
    "JWT_ACCESS_CSRF_COOKIE_NAME",
    "JWT_REFRESH_CSRF_COOKIE_NAME",
    "JWT_ACCESS_CSRF_COOKIE_PATH",
    "JWT_REFRESH_CSRF_COOKIE_PATH",
    "JWT_ACCESS_CSRF_FIELD_NAME",
    "JWT_REFRESH_CSRF_FIELD_NAME",
    "JWT_SECRET_KEY",
    "JWT_ALGORITHM",
    "JWT_HEADER_NAME",
    "JWT_HEADER_TYPE",
    "JWT_IDENTITY_CLAIM",
    "JWT_ERROR_MESSAGE_KEY",
    "JWT_ENCODE_ISSUER",
    "JWT_DECODE_ISSUER",
];

/// Options this crate will not take, and why.
const LEFT_OUT_OPTIONS: [(&str, &str); 2] = [
    (
        "JWT_BLACKLIST_ENABLED",
        "it was removed in Flask-JWT-Extended 4; revocation is a token store here",
    ),
    (
        "JWT_BLACKLIST_TOKEN_CHECKS",
        "it was removed in Flask-JWT-Extended 4; revocation is a token store here",
    ),
];

impl FlaskConfig {
    /// Reads every `JWT_*` environment variable. Values are JSON where they
    /// parse as JSON (`900`, `false`, `["HS256"]`), Python's `True`/`False`, or
    /// plain strings; the secret and other string options are taken verbatim.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars_os().filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            name.starts_with("JWT_")
                .then(|| (name, value.into_string()))
        }))
    }

    fn from_vars(
        vars: impl IntoIterator<Item = (String, Result<String, std::ffi::OsString>)>,
    ) -> Result<Self, ConfigError> {
        let mut options = std::collections::BTreeMap::new();
        for (name, raw) in vars {
            let raw = raw.map_err(|_| invalid(&name, "is not valid UTF-8"))?;
            let value = if STRING_OPTIONS.contains(&name.as_str()) {
                serde_json::Value::String(raw)
            } else {
                match raw.trim() {
                    "True" => true.into(),
                    "False" => false.into(),
                    "None" => serde_json::Value::Null,
                    trimmed => {
                        serde_json::from_str(trimmed).unwrap_or(serde_json::Value::String(raw))
                    }
                }
            };
            options.insert(name, value);
        }
        Ok(Self { options })
    }

    /// A builder with these options set; add hooks to it, then `build()`.
    pub fn into_builder(self) -> Result<crate::manager::JwtManagerBuilder, ConfigError> {
        use std::time::Duration;

        let mut builder = crate::JwtManager::builder();
        let mut cookies = crate::cookies::CookieConfig::default();
        let mut json_keys = ("access_token".to_owned(), "refresh_token".to_owned());
        for (name, value) in self.options {
            let text = || string(&name, &value);
            let flag = || boolean(&name, &value);
            builder = match name.as_str() {
                "JWT_TOKEN_LOCATION" => builder.token_location(
                    list(&name, &value)?
                        .iter()
                        .map(|location| {
                            TokenLocation::parse(location).ok_or_else(|| {
                                invalid(&name, &format!("names an unknown location {location:?}"))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                "JWT_JSON_KEY" => set(&mut json_keys.0, text()?, builder),
                "JWT_REFRESH_JSON_KEY" => set(&mut json_keys.1, text()?, builder),
                "JWT_QUERY_STRING_NAME" => builder.query_string_name(text()?),
                "JWT_QUERY_STRING_VALUE_PREFIX" => builder.query_string_value_prefix(text()?),
                "JWT_ACCESS_COOKIE_NAME" => set(&mut cookies.access_cookie_name, text()?, builder),
                "JWT_REFRESH_COOKIE_NAME" => {
                    set(&mut cookies.refresh_cookie_name, text()?, builder)
                }
                "JWT_ACCESS_COOKIE_PATH" => set(&mut cookies.access_cookie_path, text()?, builder),
                "JWT_REFRESH_COOKIE_PATH" => {
                    set(&mut cookies.refresh_cookie_path, text()?, builder)
                }
                "JWT_COOKIE_DOMAIN" if value.is_null() => set(&mut cookies.domain, None, builder),
                "JWT_COOKIE_DOMAIN" => set(&mut cookies.domain, Some(text()?), builder),
                "JWT_COOKIE_SECURE" => set(&mut cookies.secure, flag()?, builder),
                "JWT_COOKIE_SAMESITE" => {
                    set(&mut cookies.same_site, same_site(&name, &value)?, builder)
                }
                "JWT_SESSION_COOKIE" => set(&mut cookies.session_cookie, flag()?, builder),
                "JWT_COOKIE_CSRF_PROTECT" => set(&mut cookies.csrf_protect, flag()?, builder),
                "JWT_CSRF_IN_COOKIES" => set(&mut cookies.csrf_in_cookies, flag()?, builder),
                "JWT_CSRF_CHECK_FORM" => set(&mut cookies.csrf_check_form, flag()?, builder),
                "JWT_CSRF_METHODS" => {
                    let methods = list(&name, &value)?
                        .iter()
                        .map(|method| {
                            actix_web::http::Method::from_bytes(
                                method.to_ascii_uppercase().as_bytes(),
                            )
                            .map_err(|_| {
                                invalid(&name, &format!("names an invalid method {method:?}"))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    set(&mut cookies.csrf_methods, methods, builder)
                }
                "JWT_ACCESS_CSRF_COOKIE_NAME" => {
                    set(&mut cookies.access_csrf_cookie_name, text()?, builder)
                }
                "JWT_REFRESH_CSRF_COOKIE_NAME" => {
                    set(&mut cookies.refresh_csrf_cookie_name, text()?, builder)
                }
                "JWT_ACCESS_CSRF_COOKIE_PATH" => {
                    set(&mut cookies.access_csrf_cookie_path, text()?, builder)
                }
                "JWT_REFRESH_CSRF_COOKIE_PATH" => {
                    set(&mut cookies.refresh_csrf_cookie_path, text()?, builder)
                }
                "JWT_ACCESS_CSRF_HEADER_NAME" => set(
                    &mut cookies.access_csrf_header_name,
                    header_name(&name, &text()?)?,
                    builder,
                ),
                "JWT_REFRESH_CSRF_HEADER_NAME" => set(
                    &mut cookies.refresh_csrf_header_name,
                    header_name(&name, &text()?)?,
                    builder,
                ),
                "JWT_PRIVATE_KEY" if value.is_null() => builder,
                "JWT_PUBLIC_KEY" if value.is_null() => builder,
                "JWT_PRIVATE_KEY" => builder.private_key(text()?),
                "JWT_PUBLIC_KEY" => builder.public_key(text()?),
                "JWT_ACCESS_CSRF_FIELD_NAME" => {
                    set(&mut cookies.access_csrf_field_name, text()?, builder)
                }
                "JWT_REFRESH_CSRF_FIELD_NAME" => {
                    set(&mut cookies.refresh_csrf_field_name, text()?, builder)
                }
                "JWT_SECRET_KEY" => builder.secret(string(&name, &value)?),
                "JWT_ALGORITHM" => builder.algorithm(algorithm(&name, &string(&name, &value)?)?),
                "JWT_DECODE_ALGORITHMS" => builder.decode_algorithms(
                    list(&name, &value)?
                        .iter()
                        .map(|alg| algorithm(&name, alg))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                "JWT_ACCESS_TOKEN_EXPIRES" => builder.access_token_expires(expiry(&name, &value)?),
                "JWT_REFRESH_TOKEN_EXPIRES" => {
                    builder.refresh_token_expires(expiry(&name, &value)?)
                }
                "JWT_DECODE_LEEWAY" => {
                    builder.leeway(Duration::from_secs_f64(seconds(&name, &value)?))
                }
                "JWT_ENCODE_AUDIENCE" => builder.encode_audience(list(&name, &value)?),
                "JWT_DECODE_AUDIENCE" if value.is_null() => builder,
                "JWT_DECODE_AUDIENCE" => builder.decode_audience(list(&name, &value)?),
                "JWT_ENCODE_ISSUER" | "JWT_DECODE_ISSUER" if value.is_null() => builder,
                "JWT_ENCODE_ISSUER" => builder.encode_issuer(string(&name, &value)?),
                "JWT_DECODE_ISSUER" => builder.decode_issuer(string(&name, &value)?),
                "JWT_ENCODE_NBF" => builder.encode_nbf(boolean(&name, &value)?),
                "JWT_VERIFY_SUB" => builder.verify_sub(boolean(&name, &value)?),
                "JWT_HEADER_NAME" => builder.header_name(string(&name, &value)?),
                "JWT_HEADER_TYPE" => builder.header_type(string(&name, &value)?),
                "JWT_IDENTITY_CLAIM" => builder.identity_claim(string(&name, &value)?),
                "JWT_ERROR_MESSAGE_KEY" => builder.error_message_key(string(&name, &value)?),
                other => {
                    return Err(
                        match LEFT_OUT_OPTIONS.iter().find(|(option, _)| *option == other) {
                            Some((_, why)) => invalid(&name, &format!("is not supported: {why}")),
                            None => ConfigError::UnknownOption(name),
                        },
                    );
                }
            };
        }
        Ok(builder.cookies(cookies).json_keys(json_keys.0, json_keys.1))
    }
}

/// Sets one option and hands the builder back, to keep the match flat.
fn set<T>(
    field: &mut T,
    value: T,
    builder: crate::manager::JwtManagerBuilder,
) -> crate::manager::JwtManagerBuilder {
    *field = value;
    builder
}

fn header_name(
    option: &str,
    name: &str,
) -> Result<actix_web::http::header::HeaderName, ConfigError> {
    actix_web::http::header::HeaderName::try_from(name)
        .map_err(|_| invalid(option, &format!("is not a valid header name: {name:?}")))
}

/// Flask's `JWT_COOKIE_SAMESITE`: `None` (no attribute), `"Lax"`, `"Strict"`
/// or `"None"` (the attribute `SameSite=None`, which needs `Secure`). An
/// explicit `None` is honoured: the configuration said so.
fn same_site(
    option: &str,
    value: &serde_json::Value,
) -> Result<Option<actix_web::cookie::SameSite>, ConfigError> {
    use actix_web::cookie::SameSite;
    let text = value.as_str().map(str::to_ascii_lowercase);
    match (value, text.as_deref()) {
        (serde_json::Value::Null, _) => Ok(None),
        (_, Some("lax")) => Ok(Some(SameSite::Lax)),
        (_, Some("strict")) => Ok(Some(SameSite::Strict)),
        (_, Some("none")) => Ok(Some(SameSite::None)),
        _ => Err(invalid(option, "must be Lax, Strict, None or null")),
    }
}

fn invalid(option: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidOption(format!("{option} {reason}"))
}

fn string(option: &str, value: &serde_json::Value) -> Result<String, ConfigError> {
    match value {
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Number(number) => Ok(number.to_string()),
        _ => Err(invalid(option, "must be a string")),
    }
}

fn list(option: &str, value: &serde_json::Value) -> Result<Vec<String>, ConfigError> {
    match value {
        serde_json::Value::String(text) => Ok(text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()),
        serde_json::Value::Array(items) => items.iter().map(|item| string(option, item)).collect(),
        _ => Err(invalid(option, "must be a string or a list of strings")),
    }
}

fn boolean(option: &str, value: &serde_json::Value) -> Result<bool, ConfigError> {
    match value {
        serde_json::Value::Bool(flag) => Ok(*flag),
        serde_json::Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        serde_json::Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(option, "must be true or false")),
    }
}

fn seconds(option: &str, value: &serde_json::Value) -> Result<f64, ConfigError> {
    value
        .as_f64()
        .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs < 1e12)
        .ok_or_else(|| invalid(option, "must be a number of seconds"))
}

fn expiry(option: &str, value: &serde_json::Value) -> Result<Expiry, ConfigError> {
    match value {
        serde_json::Value::Bool(false) => Ok(Expiry::Never),
        _ => Ok(Expiry::After(std::time::Duration::from_secs_f64(seconds(
            option, value,
        )?))),
    }
}

fn algorithm(option: &str, name: &str) -> Result<Algorithm, ConfigError> {
    name.parse()
        .map_err(|_| invalid(option, &format!("names an unknown algorithm {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<FlaskConfig, ConfigError> {
        FlaskConfig::from_vars(vars.iter().map(|(n, v)| (n.to_string(), Ok(v.to_string()))))
    }

    #[test]
    fn environment_values_take_flask_forms() {
        let config = env(&[
            ("JWT_SECRET_KEY", "123"),
            ("JWT_ACCESS_TOKEN_EXPIRES", "3600"),
            ("JWT_REFRESH_TOKEN_EXPIRES", "False"),
            ("JWT_DECODE_ALGORITHMS", "HS256,HS512"),
            ("JWT_ENCODE_NBF", "false"),
            ("JWT_TOKEN_LOCATION", "headers"),
        ])
        .unwrap();
        assert_eq!(config.options["JWT_SECRET_KEY"], "123");
        assert_eq!(config.options["JWT_ACCESS_TOKEN_EXPIRES"], 3600);
        assert_eq!(config.options["JWT_REFRESH_TOKEN_EXPIRES"], false);
        assert!(config.into_builder().unwrap().build().is_ok());
    }

    #[test]
    fn unknown_left_out_and_invalid_options_are_refused_by_name() {
        let err = |vars: &[(&str, &str)]| env(vars).unwrap().into_builder().unwrap_err();
        assert_eq!(
            err(&[("JWT_ACCES_TOKEN_EXPIRES", "1")]),
            ConfigError::UnknownOption("JWT_ACCES_TOKEN_EXPIRES".into())
        );
        assert!(matches!(
            err(&[("JWT_TOKEN_LOCATION", r#"["cookies", "body"]"#)]),
            ConfigError::InvalidOption(_)
        ));
        assert!(matches!(
            env(&[("JWT_PUBLIC_KEY", "not a key")])
                .unwrap()
                .into_builder()
                .unwrap()
                .build(),
            Err(ConfigError::InvalidKey(_))
        ));
        assert!(matches!(
            err(&[("JWT_BLACKLIST_ENABLED", "true")]),
            ConfigError::InvalidOption(_)
        ));
        assert!(matches!(
            err(&[("JWT_DECODE_ALGORITHMS", "HS256,XX")]),
            ConfigError::InvalidOption(_)
        ));
        assert!(matches!(
            err(&[("JWT_ACCESS_TOKEN_EXPIRES", "soon")]),
            ConfigError::InvalidOption(_)
        ));
        assert!(matches!(
            err(&[("JWT_ACCESS_TOKEN_EXPIRES", "-5")]),
            ConfigError::InvalidOption(_)
        ));
    }
}
