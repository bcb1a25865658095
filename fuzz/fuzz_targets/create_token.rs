//! Tokens with arbitrary identities, claims, headers, freshness and
//! lifetimes: every token the crate mints verifies with the same contents,
//! and every cookie it writes for one is a valid header; what it refuses is
//! a creation error, never a panic.
#![no_main]

use std::time::Duration;

use actix_jwt_extended::{JwtError, cookies::JwtCookies};
use actix_jwt_extended_fuzz::manager;
use actix_web::HttpResponse;
use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// A JSON value of bounded depth.
fn value(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=if depth == 0 { 4 } else { 6 })? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        4 => Value::String(u.arbitrary()?),
        5 => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| value(u, depth - 1))
                .collect::<arbitrary::Result<_>>()?,
        ),
        _ => Value::Object(object(u, depth - 1)?),
    })
}

fn object(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Map<String, Value>> {
    (0..u.int_in_range(0..=4)?)
        .map(|_| Ok((u.arbitrary()?, value(u, depth)?)))
        .collect()
}

#[derive(Debug)]
struct Input {
    refresh: bool,
    identity: Value,
    claims: Map<String, Value>,
    headers: Map<String, Value>,
    fresh: Option<Result<bool, u64>>,
    expires: Option<u64>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            refresh: u.arbitrary()?,
            identity: value(u, 2)?,
            claims: object(u, 2)?,
            headers: object(u, 1)?,
            fresh: u.arbitrary()?,
            expires: u.arbitrary()?,
        })
    }
}

fuzz_target!(|input: Input| {
    let jwt = manager();
    let mut builder = if input.refresh {
        jwt.refresh_token_builder(&input.identity)
    } else {
        jwt.access_token_builder(&input.identity)
    };
    builder = builder.claims(&input.claims);
    for (name, value) in &input.headers {
        builder = builder.header(name, value);
    }
    match input.fresh {
        Some(Ok(fresh)) => builder = builder.fresh(fresh),
        Some(Err(seconds)) => builder = builder.fresh(Duration::from_secs(seconds)),
        None => {}
    }
    if let Some(seconds) = input.expires {
        builder = builder.expires(Duration::from_secs(seconds));
    }
    let token = match builder.encode() {
        Ok(token) => token,
        Err(JwtError::Creation(_)) => return,
        Err(other) => panic!("encode failed with {other:?}"),
    };
    // A lifetime of a second or two can end between minting and decoding
    // (the second turns): then, and only then, "expired" is the answer.
    let short_lived = input.expires.is_some_and(|seconds| seconds <= 2);
    let (decoded, expired) = match jwt.decode_token(&token) {
        Ok(decoded) => (decoded, false),
        Err(JwtError::Expired) if short_lived => (
            jwt.decode_token_allow_expired(&token)
                .unwrap_or_else(|error| panic!("a minted token was refused: {error:?}")),
            true,
        ),
        Err(error) => panic!("a minted token was refused: {error:?}"),
    };
    match &input.identity {
        Value::String(identity) => assert_eq!(decoded.identity(), identity),
        Value::Number(number) => assert_eq!(decoded.identity(), number.to_string()),
        _ => {}
    }
    for (name, value) in &input.claims {
        assert_eq!(decoded.claims().get(name), Some(value), "claim {name}");
    }
    let mut response = HttpResponse::Ok().finish();
    let set = if input.refresh {
        response.set_refresh_cookies(jwt, &token).map(drop)
    } else {
        response.set_access_cookies(jwt, &token).map(drop)
    };
    match set {
        Ok(()) => {}
        Err(JwtError::Expired) if expired || short_lived => return,
        Err(error) => panic!("a minted token has no cookie: {error:?}"),
    }
    for value in response
        .headers()
        .get_all(actix_web::http::header::SET_COOKIE)
    {
        let value = value.to_str().unwrap();
        let cookie = actix_web::cookie::Cookie::parse(value).unwrap();
        assert!(value.starts_with(&format!("{}=", cookie.name())));
    }
});
