//! The members of a token's header and payload that verification reads
//! (the rest stays in the JSON until something asks for it), and PyJWT's
//! checks of the header.

use std::borrow::Cow;

use serde_json::Value;

use crate::{JwtError, claims, json};

/// The header parameters verification reads.
pub(crate) struct HeaderMembers {
    pub(crate) alg: Option<Value>,
    pub(crate) typ: Option<Value>,
    pub(crate) kid: Option<Value>,
    pub(crate) crit: Option<Value>,
    pub(crate) b64: Option<Value>,
}

impl HeaderMembers {
    pub(crate) fn read(json: &[u8]) -> Result<Option<Self>, serde_json::Error> {
        let position = |name: &str| match name {
            "alg" => Some(0),
            "typ" => Some(1),
            "kid" => Some(2),
            "crit" => Some(3),
            "b64" => Some(4),
            _ => None,
        };
        let members = json::read_members(json, position)?;
        Ok(members.map(|[alg, typ, kid, crit, b64]| Self {
            alg,
            typ,
            kid,
            crit,
            b64,
        }))
    }
}

/// The claims verification and every request read; the others stay in the
/// payload's JSON until something asks for them.
pub(crate) struct ClaimMembers {
    pub(crate) iat: Option<Value>,
    pub(crate) nbf: Option<Value>,
    pub(crate) exp: Option<Value>,
    pub(crate) iss: Option<Value>,
    pub(crate) aud: Option<Value>,
    pub(crate) sub: Option<Value>,
    pub(crate) jti: Option<Value>,
    pub(crate) kind: Option<Value>,
    pub(crate) fresh: Option<Value>,
    pub(crate) csrf: Option<Value>,
    pub(crate) family: Option<Value>,
    /// The identity claim, when it is not `sub`.
    other_identity: Option<Value>,
}

impl ClaimMembers {
    pub(crate) fn read(
        json: &[u8],
        identity_claim: &str,
    ) -> Result<Option<Self>, serde_json::Error> {
        // `claims::RESERVED` and the rest; a custom identity claim never
        // takes one of these names but `sub` (`Verifier::new`).
        let position = |name: &str| match name {
            claims::SUB => Some(0),
            claims::IAT => Some(1),
            claims::NBF => Some(2),
            claims::EXP => Some(3),
            claims::ISS => Some(4),
            claims::AUD => Some(5),
            claims::JTI => Some(6),
            claims::TYPE => Some(7),
            claims::FRESH => Some(8),
            claims::CSRF => Some(9),
            claims::FAMILY => Some(10),
            _ if name == identity_claim => Some(11),
            _ => None,
        };
        let members = json::read_members(json, position)?;
        Ok(members.map(
            |[
                sub,
                iat,
                nbf,
                exp,
                iss,
                aud,
                jti,
                kind,
                fresh,
                csrf,
                family,
                other_identity,
            ]| Self {
                iat,
                nbf,
                exp,
                iss,
                aud,
                sub,
                jti,
                kind,
                fresh,
                csrf,
                family,
                other_identity,
            },
        ))
    }

    /// The identity claim's value, taken out once the claims are checked.
    pub(crate) fn take_identity(&mut self, identity_claim: &str) -> Option<Value> {
        match identity_claim {
            claims::SUB => self.sub.take(),
            _ => self.other_identity.take(),
        }
    }
}

/// RFC 9068 section 4: `at+jwt`, or the media type `application/at+jwt`,
/// compared without case.
pub(crate) fn is_at_jwt(typ: Option<&Value>) -> bool {
    typ.and_then(Value::as_str).is_some_and(|typ| {
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
    })
}

/// PyJWT's header checks: `kid` is a string, `crit` lists only what is
/// understood (nothing but `b64`), and unencoded payloads are refused.
pub(crate) fn check_header(header: &HeaderMembers, unencoded: bool) -> Result<(), JwtError> {
    if header.kid.as_ref().is_some_and(|kid| !kid.is_string()) {
        return Err(malformed("Key ID header parameter must be a string"));
    }
    let mut b64_critical = false;
    if let Some(crit) = &header.crit {
        let crit = match crit.as_array() {
            Some(crit) if !crit.is_empty() => crit,
            _ => return Err(malformed("Invalid 'crit' header: must be a non-empty list")),
        };
        for extension in crit {
            match extension.as_str() {
                None => return Err(malformed("Invalid 'crit' header: values must be strings")),
                Some("b64") if header.b64.is_none() => {
                    return Err(malformed(
                        "Critical extension 'b64' is missing from headers",
                    ));
                }
                Some("b64") => b64_critical = true,
                Some(other) => return Err(unsupported_extension(other)),
            }
        }
    }
    match (unencoded, b64_critical) {
        (false, _) => Ok(()),
        (true, false) => Err(malformed(
            "The 'b64' header parameter requires 'b64' to be listed in 'crit'.",
        )),
        (true, true) => Err(malformed(
            "It is required that you pass in a value for the \"detached_payload\" argument to decode a message having the b64 header set to false.",
        )),
    }
}

/// PyJWT names the extension; echo it only when it looks like a parameter
/// name, so the response never reflects arbitrary token content.
fn unsupported_extension(name: &str) -> JwtError {
    let plain = name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        JwtError::Malformed(format!("Unsupported critical extension: {name}").into())
    } else {
        malformed("Unsupported critical extension")
    }
}

fn malformed(message: &'static str) -> JwtError {
    JwtError::Malformed(Cow::Borrowed(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_critical_extensions_are_named_only_when_plain() {
        assert_eq!(
            unsupported_extension("exp").to_string(),
            "Unsupported critical extension: exp"
        );
        assert_eq!(
            unsupported_extension("x-ext_1").to_string(),
            "Unsupported critical extension: x-ext_1"
        );
        for hostile in ["<script>", &"x".repeat(33), "a b"] {
            assert_eq!(
                unsupported_extension(hostile).to_string(),
                "Unsupported critical extension"
            );
        }
    }

    #[test]
    fn at_jwt_is_matched_as_rfc_9068_says() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+JWT",
        ] {
            assert!(is_at_jwt(Some(&Value::from(typ))), "{typ}");
        }
        for typ in [
            Value::from("JWT"),
            Value::from("at+jwt "),
            Value::from("application/jwt"),
            Value::Null,
            serde_json::json!(["at+jwt"]),
        ] {
            assert!(!is_at_jwt(Some(&typ)), "{typ}");
        }
        assert!(!is_at_jwt(None));
    }
}
