//! Properties over whole input spaces (proptest): what the crate mints it
//! accepts unchanged, no edit of a token is accepted, the two kinds never
//! cross, and CSRF passes only equal values.

use actix_jwt_extended::{JwtManager, JwtRequired, RefreshRequired, config::TokenLocation};
use actix_web::{App, HttpResponse, http::header, test as actix_test, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::common::{SECRET, forge};

fn manager() -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_location([TokenLocation::Headers, TokenLocation::Cookies])
        .build()
        .unwrap()
}

/// JSON values of bounded depth and size.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Additional claims: any names but the registered ones.
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    const RESERVED: [&str; 9] = [
        "sub", "type", "fresh", "jti", "iat", "nbf", "exp", "csrf", "fam",
    ];
    prop::collection::btree_map(".{1,8}", json_value(), 0..5).prop_map(|map| {
        map.into_iter()
            .filter(|(name, _)| !RESERVED.contains(&name.as_str()))
            .collect()
    })
}

/// The base64url segments of a token, decoded as the verifier reads them
/// (padding absent or complete: the padded length a multiple of 4).
fn segments(token: &str) -> Option<Vec<Vec<u8>>> {
    token
        .split('.')
        .map(|segment| {
            let complete = !segment.ends_with('=') || segment.len() % 4 == 0;
            let data = segment.trim_end_matches('=');
            (complete && segment.len() - data.len() <= 2)
                .then(|| URL_SAFE_NO_PAD.decode(data).ok())
                .flatten()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_minted_token_decodes_to_its_identity_and_claims(
        identity in ".{0,24}",
        claims in claims(),
        refresh in any::<bool>(),
    ) {
        let jwt = manager();
        let builder = if refresh { jwt.refresh_token_builder(&identity) } else { jwt.access_token_builder(&identity) };
        let decoded = jwt.decode_token(&builder.claims(&claims).encode().unwrap()).unwrap();
        prop_assert_eq!(decoded.identity(), identity.as_str());
        for (name, value) in &claims {
            prop_assert_eq!(decoded.claims().get(name), Some(value), "claim {}", name);
        }
    }

    /// No edit of one byte (replaced, removed or inserted) is accepted,
    /// unless what the token says is unchanged: the signature covers the
    /// header and payload text as sent, and a segment is read as canonical
    /// base64url whose padding may be absent or complete (as PyJWT reads
    /// it), so only a padding edit of the signature could keep every decoded
    /// byte, and then the token is the same token.
    #[test]
    fn no_edit_of_a_token_is_accepted(
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        edit in 0..3u8,
    ) {
        let jwt = manager();
        let token = jwt.create_access_token("alice").unwrap();
        let mut bytes = token.clone().into_bytes();
        let at = at.index(bytes.len() + 1);
        match edit {
            0 if at < bytes.len() => bytes[at] = byte,
            1 if at < bytes.len() => { bytes.remove(at); }
            _ => bytes.insert(at, byte),
        }
        prop_assume!(bytes != token.as_bytes());
        let Ok(edited) = String::from_utf8(bytes) else { return Ok(()) };
        if jwt.decode_token(&edited).is_ok() {
            prop_assert_eq!(segments(&edited), segments(&token), "{} accepted", edited);
        }
    }

    /// Whatever its `type`, a token passes at most one of an access route
    /// and a refresh route.
    #[test]
    fn the_two_kinds_never_cross(kind in json_value(), with_kind in any::<bool>()) {
        let mut payload = json!({ "sub": "alice", "exp": crate::common::now() + 60 });
        if with_kind {
            payload["type"] = kind.clone();
        }
        let token = forge(&json!({ "alg": "HS256", "typ": "JWT" }), &payload, SECRET, jsonwebtoken::Algorithm::HS256);
        let passed = actix_web::rt::System::new().block_on(async {
            let app = actix_test::init_service(
                App::new()
                    .app_data(web::Data::new(manager()))
                    .route("/access", web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()))
                    .route("/refresh", web::get().to(HttpResponse::Ok).wrap(RefreshRequired::new())),
            )
            .await;
            let mut passed = Vec::new();
            for path in ["/access", "/refresh"] {
                let req = actix_test::TestRequest::get()
                    .uri(path)
                    .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
                passed.push(actix_test::call_service(&app, req.to_request()).await.status().is_success());
            }
            passed
        });
        prop_assert!(!(passed[0] && passed[1]), "type {} passed both", kind);
        let expected = match (with_kind, &kind) {
            (false, _) => [true, false],
            (true, Value::String(kind)) if kind == "access" => [true, false],
            (true, Value::String(kind)) if kind == "refresh" => [false, true],
            _ => [false, false],
        };
        prop_assert_eq!(passed, expected.to_vec(), "type {}", kind);
    }

    /// A cookie token on a state-changing request passes only with the very
    /// CSRF value it carries.
    #[test]
    fn csrf_passes_only_the_equal_value(sent in "[ -~]{0,40}", use_claim in any::<bool>()) {
        let jwt = manager();
        let token = jwt.create_access_token("alice").unwrap();
        let claim = crate::common::csrf_of(&jwt, &token);
        let sent = if use_claim { claim.clone() } else { sent };
        let status = actix_web::rt::System::new().block_on(async {
            let app = actix_test::init_service(
                App::new()
                    .app_data(web::Data::new(jwt.clone()))
                    .route("/p", web::post().to(HttpResponse::Ok).wrap(JwtRequired::new())),
            )
            .await;
            let req = actix_test::TestRequest::post()
                .uri("/p")
                .insert_header((header::COOKIE, format!("access_token_cookie={token}")))
                .insert_header(("X-CSRF-TOKEN", sent.clone()));
            actix_test::call_service(&app, req.to_request()).await.status()
        });
        prop_assert_eq!(status.is_success(), sent == claim, "sent {:?}, claim {:?}", sent, claim);
    }
}
