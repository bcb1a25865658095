//! [`FlaskConfig`]: Flask-JWT-Extended's `JWT_*` options, read from the
//! environment or a file and turned into a builder. The options are a table:
//! each name, how its value is written, and where it goes.

use std::{collections::BTreeMap, ffi::OsString, time::Duration};

use actix_web::{
    cookie::SameSite,
    http::{Method, header::HeaderName},
};
use serde_json::Value;

use jsonwebtoken::AlgorithmFamily;

use crate::{
    builder::JwtManagerBuilder,
    config::{Algorithm, ConfigError, Expiry, FlaskConfig, Secret, TokenLocation},
};

type Apply = fn(&mut JwtManagerBuilder, Arg<'_>) -> Result<(), ConfigError>;

/// One `JWT_*` option.
struct FlaskOption {
    name: &'static str,
    /// A string taken verbatim from the environment, never parsed as JSON.
    verbatim: bool,
    /// `null` (Python's `None`) keeps the default.
    nullable: bool,
    apply: Apply,
}

const fn text(name: &'static str, apply: Apply) -> FlaskOption {
    FlaskOption {
        name,
        verbatim: true,
        nullable: false,
        apply,
    }
}

const fn value(name: &'static str, apply: Apply) -> FlaskOption {
    FlaskOption {
        name,
        verbatim: false,
        nullable: false,
        apply,
    }
}

impl FlaskOption {
    const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
}

/// Every option this crate takes, in Flask-JWT-Extended's documentation order.
const OPTIONS: [FlaskOption; 43] = [
    // General options.
    value("JWT_TOKEN_LOCATION", |b, v| {
        b.locations.locations = v.locations()?;
        Ok(())
    }),
    value("JWT_ACCESS_TOKEN_EXPIRES", |b, v| {
        b.issue.access_expires = v.expiry()?;
        Ok(())
    }),
    value("JWT_REFRESH_TOKEN_EXPIRES", |b, v| {
        b.issue.refresh_expires = v.expiry()?;
        Ok(())
    }),
    text("JWT_ALGORITHM", |b, v| {
        b.keys.algorithm = v.algorithm(&v.text()?)?;
        Ok(())
    }),
    value("JWT_DECODE_ALGORITHMS", |b, v| {
        let names = v.list()?;
        let algorithms = names.iter().map(|name| v.algorithm(name));
        b.keys.decode_algorithms = Some(algorithms.collect::<Result<_, _>>()?);
        Ok(())
    })
    .nullable(),
    // `None` (or empty): Flask falls back to `SECRET_KEY`, below.
    text("JWT_SECRET_KEY", |b, v| {
        b.keys.secret = Secret(v.text()?.into_bytes());
        Ok(())
    })
    .nullable(),
    text("JWT_PRIVATE_KEY", |b, v| {
        b.keys.private_key = Some(Secret(v.text()?.into_bytes()));
        Ok(())
    })
    .nullable(),
    text("JWT_PUBLIC_KEY", |b, v| {
        b.keys.public_key = Some(v.text()?.into_bytes());
        Ok(())
    })
    .nullable(),
    value("JWT_DECODE_LEEWAY", |b, v| {
        b.verify.leeway = Duration::from_secs_f64(v.seconds()?);
        Ok(())
    }),
    value("JWT_ENCODE_AUDIENCE", |b, v| {
        b.issue.audience = v.list()?;
        Ok(())
    })
    .nullable(),
    value("JWT_DECODE_AUDIENCE", |b, v| {
        b.verify.audience = Some(v.list()?);
        Ok(())
    })
    .nullable(),
    text("JWT_ENCODE_ISSUER", |b, v| {
        b.issue.issuer = Some(v.text()?);
        Ok(())
    })
    .nullable(),
    text("JWT_DECODE_ISSUER", |b, v| {
        b.verify.issuer = Some(v.text()?);
        Ok(())
    })
    .nullable(),
    value("JWT_ENCODE_NBF", |b, v| {
        b.issue.nbf = v.flag()?;
        Ok(())
    }),
    value("JWT_VERIFY_SUB", |b, v| {
        b.verify.verify_sub = v.flag()?;
        Ok(())
    }),
    text("JWT_IDENTITY_CLAIM", |b, v| {
        b.verify.identity_claim = v.text()?;
        Ok(())
    }),
    text("JWT_ERROR_MESSAGE_KEY", |b, v| {
        b.errors.message_key = v.text()?;
        Ok(())
    }),
    // Header options.
    text("JWT_HEADER_NAME", |b, v| {
        b.locations.header_name = v.text()?;
        Ok(())
    }),
    text("JWT_HEADER_TYPE", |b, v| {
        b.locations.header_type = v.text()?;
        Ok(())
    }),
    // Cookie options.
    text("JWT_ACCESS_COOKIE_NAME", |b, v| {
        b.locations.cookies.access_cookie_name = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_COOKIE_NAME", |b, v| {
        b.locations.cookies.refresh_cookie_name = v.text()?;
        Ok(())
    }),
    text("JWT_ACCESS_COOKIE_PATH", |b, v| {
        b.locations.cookies.access_cookie_path = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_COOKIE_PATH", |b, v| {
        b.locations.cookies.refresh_cookie_path = v.text()?;
        Ok(())
    }),
    value("JWT_COOKIE_SECURE", |b, v| {
        b.locations.cookies.secure = v.flag()?;
        Ok(())
    }),
    value("JWT_COOKIE_DOMAIN", |b, v| {
        b.locations.cookies.domain = Some(v.text()?);
        Ok(())
    })
    .nullable(),
    value("JWT_SESSION_COOKIE", |b, v| {
        b.locations.cookies.session_cookie = v.flag()?;
        Ok(())
    }),
    value("JWT_COOKIE_SAMESITE", |b, v| {
        b.locations.cookies.same_site = v.same_site()?;
        Ok(())
    }),
    value("JWT_COOKIE_CSRF_PROTECT", |b, v| {
        b.locations.cookies.csrf_protect = v.flag()?;
        Ok(())
    }),
    // Cross Site Request Forgery options.
    value("JWT_CSRF_METHODS", |b, v| {
        b.locations.cookies.csrf_methods = v.methods()?;
        Ok(())
    }),
    value("JWT_ACCESS_CSRF_HEADER_NAME", |b, v| {
        b.locations.cookies.access_csrf_header_name = v.header_name()?;
        Ok(())
    }),
    value("JWT_REFRESH_CSRF_HEADER_NAME", |b, v| {
        b.locations.cookies.refresh_csrf_header_name = v.header_name()?;
        Ok(())
    }),
    value("JWT_CSRF_IN_COOKIES", |b, v| {
        b.locations.cookies.csrf_in_cookies = v.flag()?;
        Ok(())
    }),
    text("JWT_ACCESS_CSRF_COOKIE_NAME", |b, v| {
        b.locations.cookies.access_csrf_cookie_name = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_CSRF_COOKIE_NAME", |b, v| {
        b.locations.cookies.refresh_csrf_cookie_name = v.text()?;
        Ok(())
    }),
    text("JWT_ACCESS_CSRF_COOKIE_PATH", |b, v| {
        b.locations.cookies.access_csrf_cookie_path = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_CSRF_COOKIE_PATH", |b, v| {
        b.locations.cookies.refresh_csrf_cookie_path = v.text()?;
        Ok(())
    }),
    value("JWT_CSRF_CHECK_FORM", |b, v| {
        b.locations.cookies.csrf_check_form = v.flag()?;
        Ok(())
    }),
    text("JWT_ACCESS_CSRF_FIELD_NAME", |b, v| {
        b.locations.cookies.access_csrf_field_name = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_CSRF_FIELD_NAME", |b, v| {
        b.locations.cookies.refresh_csrf_field_name = v.text()?;
        Ok(())
    }),
    // Query string options.
    text("JWT_QUERY_STRING_NAME", |b, v| {
        b.locations.query_string_name = v.text()?;
        Ok(())
    }),
    text("JWT_QUERY_STRING_VALUE_PREFIX", |b, v| {
        b.locations.query_string_value_prefix = v.text()?;
        Ok(())
    }),
    // JSON body options.
    text("JWT_JSON_KEY", |b, v| {
        b.locations.json_key = v.text()?;
        Ok(())
    }),
    text("JWT_REFRESH_JSON_KEY", |b, v| {
        b.locations.refresh_json_key = v.text()?;
        Ok(())
    }),
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

fn option(name: &str) -> Option<&'static FlaskOption> {
    OPTIONS.iter().find(|option| option.name == name)
}

impl FlaskConfig {
    /// Reads every `JWT_*` environment variable, and `SECRET_KEY`. Values
    /// are JSON where they parse as JSON (`900`, `false`, `["HS256"]`),
    /// Python's `True`/`False`/`None`, or plain strings; the secrets and
    /// other string options are taken verbatim.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(std::env::vars_os().filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            (name.starts_with("JWT_") || name == SECRET_KEY).then(|| (name, value.into_string()))
        }))
    }

    /// Reads `JWT_*` options from name and value pairs in the environment's
    /// text forms, as [`from_env`](Self::from_env) does: for another source
    /// of such pairs (a `.env` file, a secrets manager).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        Self::read(vars.into_iter().map(|(name, value)| (name, Ok(value))))
    }

    fn read(
        vars: impl IntoIterator<Item = (String, Result<String, OsString>)>,
    ) -> Result<Self, ConfigError> {
        let mut options = BTreeMap::new();
        for (name, raw) in vars {
            let raw = raw.map_err(|_| invalid(&name, "is not valid UTF-8"))?;
            let verbatim =
                name == SECRET_KEY || option(&name).is_some_and(|option| option.verbatim);
            let value = if verbatim {
                Value::String(raw)
            } else {
                match raw.trim() {
                    "True" => true.into(),
                    "False" => false.into(),
                    "None" => Value::Null,
                    trimmed => serde_json::from_str(trimmed).unwrap_or(Value::String(raw)),
                }
            };
            options.insert(name, value);
        }
        Ok(Self { options })
    }

    /// A builder with these options set; add hooks to it, then `build()`.
    /// Unknown `JWT_*` names and values of the wrong form are refused by
    /// name; other names (a Flask app's other settings) are left alone,
    /// but for `SECRET_KEY`, the secret when `JWT_SECRET_KEY` is unset.
    ///
    /// It accepts what a working Flask app has, as Flask-JWT-Extended reads
    /// it: `JWT_DECODE_ALGORITHMS` always includes `JWT_ALGORITHM`; decode
    /// algorithms Flask's one decode key cannot verify (an HMAC algorithm
    /// beside an asymmetric `JWT_ALGORITHM`, or the other way round) and,
    /// with an HMAC `JWT_ALGORITHM`, `JWT_PRIVATE_KEY` and `JWT_PUBLIC_KEY`
    /// are left out with a warning. The builder itself stays strict.
    pub fn into_builder(self) -> Result<JwtManagerBuilder, ConfigError> {
        let mut builder = JwtManagerBuilder::default();
        for (name, value) in &self.options {
            if !name.starts_with("JWT_") {
                continue;
            }
            let Some(option) = option(name) else {
                return Err(
                    match LEFT_OUT_OPTIONS.iter().find(|(option, _)| option == name) {
                        Some((_, why)) => invalid(name, &format!("is not supported: {why}")),
                        None => ConfigError::UnknownOption(name.clone()),
                    },
                );
            };
            if !(value.is_null() && option.nullable) {
                (option.apply)(&mut builder, Arg { name, value })?;
            }
        }
        self.flask_fallbacks(&mut builder);
        Ok(builder)
    }

    /// What Flask-JWT-Extended's configuration does beyond reading values.
    fn flask_fallbacks(&self, builder: &mut JwtManagerBuilder) {
        let keys = &mut builder.keys;
        if keys.secret.0.is_empty()
            && let Some(secret) = self.options.get(SECRET_KEY).and_then(string)
        {
            keys.secret = Secret(secret.into_bytes());
        }
        let hmac = |algorithm: Algorithm| algorithm.family() == AlgorithmFamily::Hmac;
        let algorithm = keys.algorithm;
        if hmac(algorithm) && (keys.private_key.is_some() || keys.public_key.is_some()) {
            log::warn!(
                "actix-jwt-extended: JWT_PRIVATE_KEY and JWT_PUBLIC_KEY are ignored with \
                 JWT_ALGORITHM={algorithm:?}, as Flask-JWT-Extended ignores them"
            );
            keys.private_key = None;
            keys.public_key = None;
        }
        if let Some(algorithms) = &mut keys.decode_algorithms {
            if !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
            algorithms.retain(|decode| {
                let verifiable = hmac(*decode) == hmac(algorithm);
                if !verifiable {
                    log::warn!(
                        "actix-jwt-extended: JWT_DECODE_ALGORITHMS names {decode:?}, which the \
                         JWT_ALGORITHM={algorithm:?} key cannot verify (nor can Flask's); left out"
                    );
                }
                verifiable
            });
        }
    }
}

/// Flask's own secret, which Flask-JWT-Extended falls back to.
const SECRET_KEY: &str = "SECRET_KEY";

fn invalid(option: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidOption(format!("{option} {reason}"))
}

/// One option's value, read in Flask's forms; errors name the option.
#[derive(Clone, Copy)]
struct Arg<'a> {
    name: &'a str,
    value: &'a Value,
}

impl Arg<'_> {
    fn invalid(&self, reason: &str) -> ConfigError {
        invalid(self.name, reason)
    }

    fn text(&self) -> Result<String, ConfigError> {
        string(self.value).ok_or_else(|| self.invalid("must be a string"))
    }

    fn flag(&self) -> Result<bool, ConfigError> {
        match self.value {
            Value::Bool(flag) => Ok(*flag),
            Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.invalid("must be true or false")),
        }
    }

    /// A list, or a comma-separated string.
    fn list(&self) -> Result<Vec<String>, ConfigError> {
        match self.value {
            Value::String(text) => Ok(text
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()),
            Value::Array(items) => items
                .iter()
                .map(|item| string(item).ok_or_else(|| self.invalid("must be a string")))
                .collect(),
            _ => Err(self.invalid("must be a string or a list of strings")),
        }
    }

    fn seconds(&self) -> Result<f64, ConfigError> {
        self.value
            .as_f64()
            .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs < 1e12)
            .ok_or_else(|| self.invalid("must be a number of seconds"))
    }

    /// Seconds, or `false` for tokens that never expire.
    fn expiry(&self) -> Result<Expiry, ConfigError> {
        match self.value {
            Value::Bool(false) => Ok(Expiry::Never),
            _ => Ok(Expiry::After(Duration::from_secs_f64(self.seconds()?))),
        }
    }

    fn algorithm(&self, name: &str) -> Result<Algorithm, ConfigError> {
        name.parse()
            .map_err(|_| self.invalid(&format!("names an unknown algorithm {name:?}")))
    }

    fn locations(&self) -> Result<Vec<TokenLocation>, ConfigError> {
        self.list()?
            .iter()
            .map(|location| {
                TokenLocation::parse(location).ok_or_else(|| match location.as_str() {
                    "websocket_protocol" | "websocket" => self.invalid(&format!(
                        "names {location:?}, which Flask-JWT-Extended does not have: opt in with JwtManagerBuilder::token_location or JwtRequired::locations and TokenLocation::WebSocketProtocol"
                    )),
                    _ => self.invalid(&format!("names an unknown location {location:?}")),
                })
            })
            .collect()
    }

    fn methods(&self) -> Result<Vec<Method>, ConfigError> {
        self.list()?
            .iter()
            .map(|method| {
                Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    .map_err(|_| self.invalid(&format!("names an invalid method {method:?}")))
            })
            .collect()
    }

    fn header_name(&self) -> Result<HeaderName, ConfigError> {
        let name = self.text()?;
        HeaderName::try_from(name.as_str())
            .map_err(|_| self.invalid(&format!("is not a valid header name: {name:?}")))
    }

    /// Flask's `JWT_COOKIE_SAMESITE`: `None` (no attribute), `"Lax"`,
    /// `"Strict"` or `"None"` (the attribute `SameSite=None`, which needs
    /// `Secure`). An explicit `None` is honoured: the configuration said so.
    fn same_site(&self) -> Result<Option<SameSite>, ConfigError> {
        let text = self.value.as_str().map(str::to_ascii_lowercase);
        match (self.value, text.as_deref()) {
            (Value::Null, _) => Ok(None),
            (_, Some("lax")) => Ok(Some(SameSite::Lax)),
            (_, Some("strict")) => Ok(Some(SameSite::Strict)),
            (_, Some("none")) => Ok(Some(SameSite::None)),
            _ => Err(self.invalid("must be Lax, Strict, None or null")),
        }
    }
}

/// A string option's value: a string, or a number as its text.
fn string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<FlaskConfig, ConfigError> {
        FlaskConfig::from_vars(vars.iter().map(|(n, v)| (n.to_string(), v.to_string())))
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
        assert!(
            config
                .into_builder()
                .unwrap()
                .allow_short_secret()
                .freeze()
                .is_ok()
        );
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
        // Flask has no WebSocket location: the message says where it is.
        let websocket = err(&[("JWT_TOKEN_LOCATION", "headers,websocket_protocol")]);
        assert!(
            websocket
                .to_string()
                .contains("TokenLocation::WebSocketProtocol"),
            "{websocket}"
        );
        assert!(matches!(
            env(&[("JWT_ALGORITHM", "RS256"), ("JWT_PUBLIC_KEY", "not a key")])
                .unwrap()
                .into_builder()
                .unwrap()
                .freeze(),
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

    #[test]
    fn option_names_are_unique_and_none_is_left_out_too() {
        for (i, option) in OPTIONS.iter().enumerate() {
            assert!(option.name.starts_with("JWT_"), "{}", option.name);
            assert!(
                OPTIONS[i + 1..]
                    .iter()
                    .all(|other| other.name != option.name),
                "{} twice",
                option.name
            );
            assert!(
                LEFT_OUT_OPTIONS
                    .iter()
                    .all(|(name, _)| *name != option.name),
                "{}",
                option.name
            );
        }
    }
}
