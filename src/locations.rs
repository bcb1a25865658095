//! Where tokens are read from: headers, cookies (with CSRF), JSON bodies and
//! the query string, each parsed as Flask-JWT-Extended does, and the
//! `Sec-WebSocket-Protocol` header of a WebSocket handshake, which Flask
//! does not have.

use std::borrow::Cow;

use actix_web::{
    HttpMessage, HttpRequest,
    cookie::Cookie,
    http::header::{self, HeaderName, HeaderValue},
    web,
};
use serde_json::Value;

use crate::{
    JwtError,
    claims::TokenKind,
    config::{self, ConfigError, CookieConfig, TokenLocation},
    handshake,
};

/// The builder's options for finding tokens in requests.
#[derive(Debug, Clone)]
pub(crate) struct LocationOptions {
    pub(crate) header_name: String,
    pub(crate) header_type: String,
    pub(crate) locations: Vec<TokenLocation>,
    pub(crate) cookies: CookieConfig,
    pub(crate) json_key: String,
    pub(crate) refresh_json_key: String,
    pub(crate) query_string_name: String,
    pub(crate) query_string_value_prefix: String,
    pub(crate) websocket_protocol: String,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: std::time::Duration,
}

impl Default for LocationOptions {
    fn default() -> Self {
        Self {
            header_name: "Authorization".to_owned(),
            header_type: "Bearer".to_owned(),
            locations: vec![TokenLocation::Headers],
            cookies: CookieConfig::default(),
            json_key: "access_token".to_owned(),
            refresh_json_key: "refresh_token".to_owned(),
            query_string_name: "jwt".to_owned(),
            query_string_value_prefix: String::new(),
            websocket_protocol: "bearer".to_owned(),
            body_limit: 1024 * 1024,
            body_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// Where and how tokens are read, validated once when the manager is built.
#[derive(Debug)]
pub(crate) struct LocationConfig {
    header_name: HeaderName,
    /// The header name as configured, for messages.
    header_label: String,
    header_type: String,
    /// The manager's locations; a guard may choose its own.
    pub(crate) locations: Locations,
    pub(crate) cookies: CookieConfig,
    json_key: String,
    refresh_json_key: String,
    query_string_name: String,
    query_string_value_prefix: String,
    /// The marker protocol before the token in `Sec-WebSocket-Protocol`,
    /// ready to be selected on the handshake's response.
    websocket_protocol: HeaderValue,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: std::time::Duration,
}

impl LocationConfig {
    /// The `Authorization` header line for `token`, as configured: its name
    /// and value.
    #[cfg(feature = "test-util")]
    pub(crate) fn header_line(&self, token: &str) -> (HeaderName, HeaderValue) {
        let mut value: Vec<u8> = latin1(&self.header_type).collect();
        if !value.is_empty() {
            value.push(b' ');
        }
        value.extend_from_slice(token.as_bytes());
        let value = HeaderValue::from_bytes(&value).expect("a token is a header value");
        (self.header_name.clone(), value)
    }

    /// The header's name as configured and its type (`Authorization`,
    /// `Bearer`), for an API description.
    #[cfg(feature = "utoipa")]
    pub(crate) fn header(&self) -> (&str, &str) {
        (&self.header_label, &self.header_type)
    }

    /// The query string parameter's name and its value prefix (`jwt`, ``),
    /// for an API description.
    #[cfg(feature = "utoipa")]
    pub(crate) fn query_string(&self) -> (&str, &str) {
        (&self.query_string_name, &self.query_string_value_prefix)
    }

    /// The `Sec-WebSocket-Protocol` value a browser sends for `token`:
    /// `bearer, <token>`.
    #[cfg(feature = "test-util")]
    pub(crate) fn websocket_protocol_line(&self, token: &str) -> String {
        format!("{}, {token}", self.marker())
    }

    /// The WebSocket marker protocol, as configured.
    pub(crate) fn marker(&self) -> &str {
        self.websocket_protocol
            .to_str()
            .expect("validated as a token when built")
    }

    /// [`marker`](Self::marker) as the header value that selects it.
    pub(crate) fn marker_value(&self) -> &HeaderValue {
        &self.websocket_protocol
    }

    pub(crate) fn new(options: LocationOptions) -> Result<Self, ConfigError> {
        let header_name = HeaderName::try_from(options.header_name.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(options.header_name.clone()))?;
        if options
            .header_type
            .contains(|c: char| c == ',' || is_space(c) || c > '\u{ff}')
        {
            return Err(ConfigError::InvalidHeaderType(options.header_type));
        }
        options.cookies.validate()?;
        let websocket_protocol = config::is_token(options.websocket_protocol.as_bytes())
            .then(|| HeaderValue::from_str(&options.websocket_protocol).ok())
            .flatten()
            .ok_or(ConfigError::InvalidWebSocketProtocol(
                options.websocket_protocol,
            ))?;
        Ok(Self {
            header_name,
            header_label: options.header_name,
            header_type: options.header_type,
            locations: Locations::new(options.locations)
                .ok_or(ConfigError::EmptyName("the list of token locations"))?,
            cookies: options.cookies,
            json_key: options.json_key,
            refresh_json_key: options.refresh_json_key,
            query_string_name: options.query_string_name,
            query_string_value_prefix: options.query_string_value_prefix,
            websocket_protocol,
            body_limit: options.body_limit,
            body_timeout: options.body_timeout,
        })
    }

    /// Whether a token (JSON location) or a CSRF form field may be in the
    /// body of `req`, so a guard must read it.
    pub(crate) fn wants_body(&self, req: &HttpRequest, locations: Locations) -> bool {
        let json = locations.contains(TokenLocation::Json) && is_json(req);
        let form = locations.contains(TokenLocation::Cookies)
            && self.cookies.csrf_check_form
            && self.cookies.csrf_methods.contains(req.method())
            && is_form(req);
        json || form
    }
}

/// An ordered set of token locations, small enough to copy into every guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locations {
    list: [TokenLocation; 5],
    len: u8,
}

impl Locations {
    /// The locations in order, without repeats; `None` when there are none.
    pub(crate) fn new(locations: impl IntoIterator<Item = TokenLocation>) -> Option<Self> {
        let mut set = Self {
            list: [TokenLocation::Headers; 5],
            len: 0,
        };
        for location in locations {
            if !set.contains(location) && usize::from(set.len) < set.list.len() {
                set.list[usize::from(set.len)] = location;
                set.len += 1;
            }
        }
        (set.len > 0).then_some(set)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = TokenLocation> + '_ {
        self.list[..usize::from(self.len)].iter().copied()
    }

    pub(crate) fn contains(&self, location: TokenLocation) -> bool {
        self.iter().any(|l| l == location)
    }
}

/// A token found in a request, with the CSRF value sent beside it when it came
/// from a cookie on a method that needs one.
pub(crate) struct Found<'r> {
    pub(crate) token: Cow<'r, [u8]>,
    pub(crate) csrf: Option<Cow<'r, [u8]>>,
}

/// Flask's `request.is_json`: `application/json` or `application/*+json`.
fn is_json(req: &HttpRequest) -> bool {
    req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|suffix| suffix == "json"))
    })
}

fn is_form(req: &HttpRequest) -> bool {
    req.content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// The first value of `name` in URL-encoded `pairs`, as Werkzeug's `args.get`.
fn first_value(pairs: &str, name: &str) -> Option<String> {
    web::Query::<Vec<(String, String)>>::from_query(pairs)
        .ok()?
        .into_inner()
        .into_iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Looks for the token in each location in order, as Flask-JWT-Extended's
/// `_decode_jwt_from_request` does: a location without a token adds its
/// reason to the "missing" message; any other problem stops the search.
/// `body` is the buffered request body, when a guard read it. A token found
/// comes with the location it was found in.
pub(crate) fn find_token<'r>(
    req: &'r HttpRequest,
    config: &LocationConfig,
    locations: Locations,
    kind: TokenKind,
    body: Option<&'r [u8]>,
) -> Result<(Found<'r>, TokenLocation), JwtError> {
    let mut missing = Vec::new();
    for location in locations.iter() {
        let found = match location {
            TokenLocation::Headers => from_header(
                req,
                &config.header_name,
                &config.header_label,
                &config.header_type,
            )
            .map(|token| Found { token, csrf: None }),
            TokenLocation::Cookies => from_cookie(req, config, kind, body),
            TokenLocation::Json => from_json(req, config, kind, body),
            TokenLocation::QueryString => from_query(req, config),
            TokenLocation::WebSocketProtocol => handshake::from_websocket(req, config.marker())
                .map(|token| Found {
                    token: Cow::Borrowed(token),
                    csrf: None,
                }),
        };
        match found {
            Err(JwtError::MissingToken(reason)) => missing.push(reason),
            other => return other.map(|found| (found, location)),
        }
    }
    Err(JwtError::MissingToken(if missing.len() > 1 {
        let names: Vec<_> = locations.iter().map(TokenLocation::as_str).collect();
        let (last, first) = names.split_last().unwrap_or((&"", &[]));
        format!(
            "Missing JWT in {} or {last} ({})",
            first.join(", "),
            missing.join("; ")
        )
    } else {
        missing.pop().unwrap_or_default()
    }))
}

fn from_cookie<'r>(
    req: &'r HttpRequest,
    config: &LocationConfig,
    kind: TokenKind,
    body: Option<&[u8]>,
) -> Result<Found<'r>, JwtError> {
    let cookies = &config.cookies;
    let (name, csrf_header, csrf_field) = cookies.read_names(kind);
    let token = match cookie(req, name) {
        Some(token) if !token.is_empty() => token,
        _ => return Err(JwtError::MissingToken(format!("Missing cookie \"{name}\""))),
    };
    let mut csrf = None;
    if cookies.csrf_protect && cookies.csrf_methods.contains(req.method()) {
        let header = req
            .headers()
            .get(csrf_header)
            .map(|value| Cow::Borrowed(value.as_bytes()));
        let field = || {
            let body = std::str::from_utf8(body?).ok()?;
            (cookies.csrf_check_form && is_form(req))
                .then(|| first_value(body, csrf_field))?
                .map(|value| Cow::Owned(value.into_bytes()))
        };
        let value = header.filter(|value| !value.is_empty()).or_else(field);
        csrf = Some(
            value
                .filter(|value| !value.is_empty())
                .ok_or(JwtError::CsrfMissing)?,
        );
    }
    let token = match token {
        Cow::Borrowed(token) => Cow::Borrowed(token.as_bytes()),
        Cow::Owned(token) => Cow::Owned(token.into_bytes()),
    };
    Ok(Found { token, csrf })
}

/// The value of the first cookie named `name`, read as actix-web's
/// `HttpRequest::cookie` reads it (each `Cookie` header split on `;`, each
/// part percent-decoded, unparsable ones skipped, none at all when a header
/// is not UTF-8), without copying every cookie into the request.
fn cookie<'r>(req: &'r HttpRequest, name: &str) -> Option<Cow<'r, str>> {
    let lines = || req.headers().get_all(header::COOKIE);
    if lines().any(|line| std::str::from_utf8(line.as_bytes()).is_err()) {
        return None;
    }
    lines()
        .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
        .flat_map(|line| line.split(';').map(str::trim))
        .filter(|part| !part.is_empty())
        // Without a `%` there is nothing to decode: the same cookie, without
        // a byte-by-byte decoding pass over the token.
        .filter_map(|part| match part.contains('%') {
            true => Cookie::parse_encoded(part).ok(),
            false => Cookie::parse(part).ok(),
        })
        .find(|cookie| cookie.name() == name)
        .map(|cookie| match cookie.value_raw() {
            // Nothing was decoded: the value is a slice of the header.
            Some(raw) => Cow::Borrowed(raw),
            None => Cow::Owned(cookie.value().to_owned()),
        })
}

fn from_json<'r>(
    req: &'r HttpRequest,
    config: &LocationConfig,
    kind: TokenKind,
    body: Option<&'r [u8]>,
) -> Result<Found<'r>, JwtError> {
    if !is_json(req) {
        return Err(JwtError::MissingToken(
            "Invalid content-type. Must be application/json.".into(),
        ));
    }
    let key = match kind {
        TokenKind::Access => &config.json_key,
        TokenKind::Refresh => &config.refresh_json_key,
    };
    let missing = || JwtError::MissingToken(format!("Missing \"{key}\" key in json data."));
    let body: Value = body
        .and_then(|body| serde_json::from_slice(body).ok())
        .ok_or_else(missing)?;
    match body.get(key.as_str()) {
        Some(Value::String(token)) if !token.is_empty() => Ok(Found {
            token: Cow::Owned(token.clone().into_bytes()),
            csrf: None,
        }),
        // Python truthiness: null, "", 0, false, [] and {} count as missing.
        None | Some(Value::Null | Value::Bool(false) | Value::String(_)) => Err(missing()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Err(missing()),
        Some(Value::Array(items)) if items.is_empty() => Err(missing()),
        Some(Value::Object(fields)) if fields.is_empty() => Err(missing()),
        Some(_) => Err(JwtError::Malformed(
            "Invalid token type. Token must be a <class 'bytes'>".into(),
        )),
    }
}

fn from_query<'r>(req: &'r HttpRequest, config: &LocationConfig) -> Result<Found<'r>, JwtError> {
    let name = &config.query_string_name;
    let value = first_value(req.query_string(), name).unwrap_or_default();
    if value.is_empty() {
        return Err(JwtError::MissingToken(format!(
            "Missing '{name}' query paramater"
        )));
    }
    let prefix = &config.query_string_value_prefix;
    let Some(token) = value.strip_prefix(prefix.as_str()) else {
        return Err(JwtError::InvalidQueryParameter(format!(
            "Invalid value for query parameter '{name}'. Expected the value to start with '{prefix}'"
        )));
    };
    Ok(Found {
        token: Cow::Owned(token.as_bytes().to_vec()),
        csrf: None,
    })
}

/// Python's `str.isspace` over the Latin-1 characters a header value can hold,
/// which is what `str.split()` and `str.strip()` use in Flask-JWT-Extended.
const fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\x1c'..='\x1f' | '\u{85}' | '\u{a0}'
    )
}

/// [`is_space`] for each byte, read as Latin-1: the header parser looks up
/// every byte of the token.
const SPACE_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_space(byte as u8 as char);
        byte += 1;
    }
    table
};

fn is_space_byte(b: &u8) -> bool {
    SPACE_BYTES[usize::from(*b)]
}

fn words(field: &[u8]) -> impl Iterator<Item = &[u8]> {
    field.split(is_space_byte).filter(|word| !word.is_empty())
}

fn trim(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !is_space_byte(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_space_byte(b))
        .map_or(start, |i| i + 1);
    let value = &value[start..end];
    // Then `.strip(",")`: commas only, as Flask does.
    let start = value.iter().position(|b| *b != b',').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| *b != b',')
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// The token in the `name` header, as `<type> <JWT>` (or the bare token when
/// `header_type` is empty). `label` is the header name as configured, for messages.
///
/// Several header lines are joined with commas, as a WSGI server does. The value
/// is trimmed and split on commas; exactly one part must start with the exact
/// word `header_type`, and that part must be exactly two words. Bytes are
/// read as Latin-1, as a WSGI server decodes headers for Flask.
fn from_header<'r>(
    req: &'r HttpRequest,
    name: &HeaderName,
    label: &str,
    header_type: &str,
) -> Result<Cow<'r, [u8]>, JwtError> {
    let mut lines = req.headers().get_all(name);
    let Some(first) = lines.next() else {
        return Err(missing_header(label));
    };
    let mut rest = lines.peekable();
    if rest.peek().is_none() {
        return parse(trim(first.as_bytes()), label, header_type).map(Cow::Borrowed);
    }
    let mut joined = first.as_bytes().to_vec();
    for line in rest {
        joined.push(b',');
        joined.extend_from_slice(line.as_bytes());
    }
    parse(trim(&joined), label, header_type).map(|token| Cow::Owned(token.to_vec()))
}

fn missing_header(label: &str) -> JwtError {
    JwtError::MissingToken(format!("Missing {label} Header"))
}

/// `value` is trimmed. The common shape, `<type> <JWT>` and nothing else,
/// is taken with two scans that the compiler vectorises; any other shape
/// goes through one pass over the comma-separated parts.
fn parse<'v>(value: &'v [u8], name: &str, header_type: &str) -> Result<&'v [u8], JwtError> {
    if value.is_empty() {
        return Err(missing_header(name));
    }
    if let Some(token) = typed_token(value, header_type) {
        return Ok(token);
    }
    if header_type.is_empty() {
        let mut parts = words(value);
        return match (parts.next(), parts.next()) {
            (Some(token), None) => Ok(token),
            _ => Err(bad_header(name, header_type)),
        };
    }
    let missing_type = || {
        JwtError::MissingToken(format!(
            "Missing '{header_type}' type in '{name}' header. Expected '{name}: {header_type} <JWT>'"
        ))
    };
    let mut typed = None;
    for (index, field) in value.split(|b| *b == b',').enumerate() {
        let mut parts = words(field);
        let first = parts.next();
        // Flask-JWT-Extended crashes (500) when the first part is only
        // whitespace, as in `, ,Bearer <JWT>`: refuse that shape instead.
        if index == 0 && !field.is_empty() && first.is_none() {
            return Err(bad_header(name, header_type));
        }
        if first.is_some_and(|word| word.iter().copied().eq(latin1(header_type))) {
            if typed.is_some() {
                return Err(missing_type());
            }
            typed = Some(parts);
        }
    }
    let mut parts = typed.ok_or_else(missing_type)?;
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(token),
        _ => Err(bad_header(name, header_type)),
    }
}

/// The token of a trimmed `value` that is exactly `<type>`, whitespace and
/// one word, with no comma; `None` for any other shape, and for a header
/// type beyond ASCII, whose Latin-1 bytes the general parser compares.
fn typed_token<'v>(value: &'v [u8], header_type: &str) -> Option<&'v [u8]> {
    // The type holds no whitespace and no comma: checked when built.
    if header_type.is_empty() || !header_type.is_ascii() {
        return None;
    }
    let rest = value.strip_prefix(header_type.as_bytes())?;
    let start = rest.iter().position(|b| !is_space_byte(b))?;
    let token = &rest[start..];
    // Without early exit, so that it is vectorised: tokens are long. A JWT
    // is all `-` to `~` (base64url and dots), one comparison a byte; other
    // bytes get the full check for whitespace and commas.
    let jwt_bytes = token
        .iter()
        .fold(true, |all, &b| all & (b.wrapping_sub(b'-') <= b'~' - b'-'));
    let split = !jwt_bytes
        && token.iter().fold(false, |found, &b| {
            found | is_space_arithmetic(b) | (b == b',')
        });
    (start > 0 && !split).then_some(token)
}

/// [`is_space_byte`] as comparisons, which vectorise where a table does not.
const fn is_space_arithmetic(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0x1c..=0x1f | 0x85 | 0xa0)
}

/// `text` as Latin-1 bytes, as a WSGI server decodes a header (the header
/// type is checked to be Latin-1 when the manager is built).
fn latin1(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.chars().map(|c| u8::try_from(c).unwrap_or(b'?'))
}

fn bad_header(name: &str, header_type: &str) -> JwtError {
    let expected = if header_type.is_empty() {
        String::new()
    } else {
        format!("{header_type} ")
    };
    JwtError::BadAuthorizationHeader(format!(
        "Bad {name} header. Expected '{name}: {expected}<JWT>'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_bearer(value: &str) -> Result<&str, JwtError> {
        parse(trim(value.as_bytes()), "Authorization", "Bearer")
            .map(|token| std::str::from_utf8(token).unwrap())
    }

    #[test]
    fn accepts_the_bearer_part_among_others() {
        assert_eq!(parse_bearer("Bearer abc"), Ok("abc"));
        assert_eq!(parse_bearer("  Bearer\tabc , "), Ok("abc"));
        assert_eq!(parse_bearer("Basic x, Bearer abc"), Ok("abc"));
        assert_eq!(parse_bearer(",Bearer abc,"), Ok("abc"));
        assert_eq!(parse_bearer("Bearer abc,,Basic x"), Ok("abc"));
    }

    #[test]
    fn rejects_like_flask() {
        let missing = "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
        let bad = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
        assert_eq!(
            parse_bearer(""),
            Err(JwtError::MissingToken(
                "Missing Authorization Header".into()
            ))
        );
        assert_eq!(
            parse_bearer(" ,, "),
            Err(JwtError::MissingToken(
                "Missing Authorization Header".into()
            ))
        );
        assert_eq!(
            parse_bearer("bearer abc"),
            Err(JwtError::MissingToken(missing.into()))
        );
        assert_eq!(
            parse_bearer("Bearer a, Bearer b"),
            Err(JwtError::MissingToken(missing.into()))
        );
        assert_eq!(
            parse_bearer("Bearer"),
            Err(JwtError::BadAuthorizationHeader(bad.into()))
        );
        assert_eq!(
            parse_bearer("Bearer a b"),
            Err(JwtError::BadAuthorizationHeader(bad.into()))
        );
    }

    /// The parser as first written, a filter per rule: the model the
    /// one-pass parser must agree with.
    fn model<'v>(value: &'v [u8], name: &str, header_type: &str) -> Result<&'v [u8], JwtError> {
        if value.is_empty() {
            return Err(missing_header(name));
        }
        let first = value.split(|b| *b == b',').next().unwrap_or_default();
        if !first.is_empty() && words(first).next().is_none() {
            return Err(bad_header(name, header_type));
        }
        let mut typed = value
            .split(|b| *b == b',')
            .filter(|field| words(field).next() == Some(header_type.as_bytes()));
        let field = match (typed.next(), typed.next()) {
            (Some(field), None) => field,
            _ => {
                return Err(JwtError::MissingToken(format!(
                    "Missing '{header_type}' type in '{name}' header. Expected '{name}: {header_type} <JWT>'"
                )));
            }
        };
        let mut parts = words(field).skip(1);
        match (parts.next(), parts.next()) {
            (Some(token), None) => Ok(token),
            _ => Err(bad_header(name, header_type)),
        }
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_model() {
        let pieces: [&[u8]; 8] = [
            b"Bearer", b"bearer", b"x", b" ", b",", b"\t", b"\xa0", b"Basic",
        ];
        let mut inputs = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .flat_map(|input| {
                    pieces
                        .iter()
                        .map(move |piece| [input.as_slice(), piece].concat())
                })
                .collect();
            for input in &longer {
                let value = trim(input);
                assert_eq!(
                    parse(value, "Authorization", "Bearer"),
                    model(value, "Authorization", "Bearer"),
                    "{:?}",
                    String::from_utf8_lossy(input)
                );
            }
            inputs = longer;
        }
    }

    #[test]
    fn the_space_tests_are_python_isspace_over_latin_1() {
        for byte in 0..=255u8 {
            assert_eq!(is_space_byte(&byte), is_space(char::from(byte)), "{byte}");
            assert_eq!(
                is_space_arithmetic(byte),
                is_space(char::from(byte)),
                "{byte}"
            );
        }
    }

    #[test]
    fn cookies_are_read_as_actix_web_reads_them() {
        use actix_web::{http::header::HeaderValue, test::TestRequest};
        let name = "access_token_cookie";
        let parts: [&[u8]; 12] = [
            b"access_token_cookie=abc",
            b"access_token_cookie=",
            b"access_token_cookie=\"quoted\"",
            b"access%5Ftoken_cookie=renamed",
            b"access_token_cookie=%41b%2e",
            b"access_token_cookie=%zz",
            b"access_token_cookie=%FF",
            b"=nameless",
            b"no_pair",
            b" access_token_cookie = spaced ",
            b"other=x",
            b"\xff=latin1",
        ];
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for a in parts {
            for b in parts {
                for separator in [&b"; "[..], b";", b" ;; "] {
                    lines.push([a, separator, b].concat());
                }
            }
        }
        for (i, first) in lines.iter().enumerate() {
            // Alone, and followed by a second header line.
            for second in [None, Some(&lines[(i * 7) % lines.len()])] {
                let mut req = TestRequest::default()
                    .append_header((header::COOKIE, HeaderValue::from_bytes(first).unwrap()));
                if let Some(second) = second {
                    req = req
                        .append_header((header::COOKIE, HeaderValue::from_bytes(second).unwrap()));
                }
                let req = req.to_http_request();
                assert_eq!(
                    cookie(&req, name).map(Cow::into_owned),
                    req.cookie(name).map(|cookie| cookie.value().to_owned()),
                    "{:?} then {:?}",
                    String::from_utf8_lossy(first),
                    second.map(|second| String::from_utf8_lossy(second)),
                );
            }
        }
    }

    #[test]
    fn the_marker_must_be_a_token() {
        for marker in ["", "two words", "a,b", "\"quoted\"", "caf\u{e9}"] {
            let options = LocationOptions {
                websocket_protocol: marker.into(),
                ..LocationOptions::default()
            };
            assert_eq!(
                LocationConfig::new(options).unwrap_err(),
                ConfigError::InvalidWebSocketProtocol(marker.into())
            );
        }
        let options = LocationOptions {
            websocket_protocol: "access_token".into(),
            ..LocationOptions::default()
        };
        assert!(LocationConfig::new(options).is_ok());
    }

    #[test]
    fn every_location_fits_in_a_set() {
        let all = [
            TokenLocation::WebSocketProtocol,
            TokenLocation::Headers,
            TokenLocation::Cookies,
            TokenLocation::Json,
            TokenLocation::QueryString,
        ];
        let set = Locations::new(all.into_iter().chain(all)).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), all);
    }

    #[test]
    fn an_empty_header_type_takes_the_bare_token() {
        let parse_bare = |v: &str| parse(trim(v.as_bytes()), "X-Token", "").map(<[u8]>::to_vec);
        assert_eq!(parse_bare(" abc "), Ok(b"abc".to_vec()));
        assert_eq!(
            parse_bare("Bearer abc"),
            Err(JwtError::BadAuthorizationHeader(
                "Bad X-Token header. Expected 'X-Token: <JWT>'".into()
            ))
        );
    }
}
