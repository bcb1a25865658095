//! Where tokens are read from. Headers for now, parsed as Flask-JWT-Extended does.

use std::borrow::Cow;

use actix_web::{HttpRequest, http::header::HeaderName};

use crate::JwtError;

/// Python's `str.isspace` over the Latin-1 characters a header value can hold,
/// which is what `str.split()` and `str.strip()` use in Flask-JWT-Extended.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\x1c'..='\x1f' | '\u{85}' | '\u{a0}'
    )
}

fn is_space_byte(b: &u8) -> bool {
    is_space(char::from(*b))
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
/// word `header_type`, and that part must be exactly two words.
pub(crate) fn from_header<'r>(
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

fn parse<'v>(value: &'v [u8], name: &str, header_type: &str) -> Result<&'v [u8], JwtError> {
    if value.is_empty() {
        return Err(missing_header(name));
    }
    if header_type.is_empty() {
        let mut parts = words(value);
        return match (parts.next(), parts.next()) {
            (Some(token), None) => Ok(token),
            _ => Err(bad_header(name, header_type)),
        };
    }
    // Flask-JWT-Extended crashes (500) when the first part is only whitespace,
    // as in `, ,Bearer <JWT>`: refuse that shape instead.
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
