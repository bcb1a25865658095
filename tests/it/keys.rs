//! Asymmetric keys, key rings with kid, JWKS, verify-only services and
//! algorithm confusion, through real requests; interop with tokens
//! Flask-JWT-Extended minted with the same keys.

use crate::common::{SECRET, bearer, call, guarded, json_fixture, msg, pem};
use actix_jwt_extended::{
    JwtError, JwtManager,
    config::{Algorithm, ConfigError},
    keys::Key,
};
use actix_web::{App, http::Method, test as actix_test, web};
use serde_json::{Value, json};

/// (algorithm, private key file, public key file)
const PAIRS: [(Algorithm, &str, &str); 9] = [
    (Algorithm::RS256, "rs256_private.pem", "rs256_public.pem"),
    (Algorithm::RS384, "rs256_private.pem", "rs256_public.pem"),
    (
        Algorithm::RS512,
        "rs256_private_pkcs1.pem",
        "rs256_public.pem",
    ),
    (Algorithm::PS256, "rs256_private.pem", "rs256_public.pem"),
    (Algorithm::PS384, "rs256_private.pem", "rs256_public.pem"),
    (Algorithm::PS512, "rs256_private.pem", "rs256_public.pem"),
    (Algorithm::ES256, "es256_private.pem", "es256_public.pem"),
    (Algorithm::ES384, "es384_private.pem", "es384_public.pem"),
    (
        Algorithm::EdDSA,
        "ed25519_private.pem",
        "ed25519_public.pem",
    ),
];

/// PyJWT reads a signature with its whole base64 padding as the same bytes,
/// for every algorithm (jsonwebtoken reads it unpadded), and refuses part
/// of the padding: Flask-JWT-Extended 4.7.4 answers 200 and 422 `Invalid
/// crypto padding` to RS256 and ES256 tokens so edited.
#[actix_web::test]
async fn a_signature_with_its_whole_padding_verifies_for_every_algorithm() {
    for (algorithm, private, _) in PAIRS {
        let jwt = JwtManager::builder()
            .algorithm(algorithm)
            .private_key(pem(private))
            .build()
            .unwrap();
        let token = jwt.create_access_token("alice").unwrap();
        let signature = token.rsplit_once('.').unwrap().1;
        let whole = "=".repeat((4 - signature.len() % 4) % 4);
        let app = guarded!(jwt);
        let answer = |token: String| {
            let app = &app;
            async move { call(app, Method::GET, "/p", Some(&bearer(&token))).await }
        };
        assert_eq!(
            answer(format!("{token}{whole}")).await.0,
            200,
            "{algorithm:?}"
        );
        let part = if whole.len() == 2 { "=" } else { "==" };
        assert_eq!(
            answer(format!("{token}{part}")).await,
            (
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                msg("Invalid crypto padding")
            ),
            "{algorithm:?}"
        );
    }
}

#[actix_web::test]
async fn every_algorithm_round_trips_and_verifies_with_the_public_key_alone() {
    for (algorithm, private, public) in PAIRS {
        let issuer = JwtManager::builder()
            .algorithm(algorithm)
            .private_key(pem(private))
            .build()
            .unwrap();
        let token = issuer.create_access_token("alice").unwrap();
        assert_eq!(issuer.decode_token(&token).unwrap().algorithm(), algorithm);
        let verifier = JwtManager::builder()
            .algorithm(algorithm)
            .public_key(pem(public))
            .build()
            .unwrap();
        let app = guarded!(verifier.clone());
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
            200,
            "{algorithm:?}"
        );
        assert_verifies_only(&verifier, &format!("{algorithm:?}"));
    }
}

#[actix_web::test]
async fn tokens_minted_by_flask_with_the_same_keys_pass_our_guards() {
    let fixture = json_fixture("flask_asymmetric_tokens.json");
    for (name, entry) in fixture.as_object().unwrap() {
        let algorithm: Algorithm = name.parse().unwrap();
        let public = pem(entry["public_key"]
            .as_str()
            .unwrap()
            .trim_start_matches("keys/"));
        let jwt = JwtManager::builder()
            .algorithm(algorithm)
            .public_key(public)
            .build()
            .unwrap();
        let app = guarded!(jwt.clone());
        let access = entry["access_token"].as_str().unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(access))).await.0,
            200,
            "{name}"
        );
        let refresh = jwt
            .decode_token(entry["refresh_token"].as_str().unwrap())
            .unwrap();
        assert_eq!(refresh.identity(), "test");
        // Our tokens carry Flask's header, without a kid unless one is given.
        let private = pem(entry["private_key"]
            .as_str()
            .unwrap()
            .trim_start_matches("keys/"));
        let ours = JwtManager::builder()
            .algorithm(algorithm)
            .private_key(private)
            .build()
            .unwrap();
        let header = ours
            .decode_token(&ours.create_access_token("test").unwrap())
            .unwrap()
            .header()
            .clone();
        assert_eq!(Value::Object(header), entry["header"], "{name}");
    }
}

#[actix_web::test]
async fn algorithm_confusion_and_none_are_rejected_before_verification() {
    let fixture = json_fixture("flask_asymmetric_tokens.json");
    let rs256 = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .public_key(pem("rs256_public.pem"))
        .build()
        .unwrap();
    let app = guarded!(rs256);
    for attack in ["hs256_confusion_token", "none_token"] {
        let token = fixture["RS256"][attack].as_str().unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(token))).await,
            (
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                msg("The specified alg value is not allowed")
            ),
            "{attack}"
        );
    }
    // A ring that holds a secret too: the RSA key still verifies RS256 only.
    let ring = JwtManager::builder()
        .signing_key(
            Key::secret(Algorithm::HS256, "a-secret-of-more-than-thirty-two-bytes")
                .unwrap()
                .with_kid("h"),
        )
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem"))
                .unwrap()
                .with_kid("r"),
        )
        .build()
        .unwrap();
    let forged = crate::common::forge(
        &json!({ "alg": "HS256", "typ": "JWT", "kid": "r" }),
        &crate::common::flask_payload("access"),
        std::str::from_utf8(&pem("rs256_public.pem")).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    );
    assert_eq!(
        ring.decode_token(&forged).unwrap_err(),
        JwtError::AlgorithmNotAllowed
    );
}

#[actix_web::test]
async fn kids_pick_the_key_and_unknown_or_removed_keys_are_refused() {
    let old = Key::private_pem(Algorithm::RS256, pem("rs256_private.pem"))
        .unwrap()
        .with_kid("2026-10");
    let new = Key::private_pem(Algorithm::RS256, pem("rs256b_private.pem"))
        .unwrap()
        .with_kid("2026-11");
    let before = JwtManager::builder()
        .signing_key(old.clone())
        .build()
        .unwrap();
    let old_token = before.create_access_token("alice").unwrap();
    assert_eq!(
        before.decode_token(&old_token).unwrap().header()["kid"],
        "2026-10"
    );

    // Rotation: sign with the new key, keep the old one for verification.
    let during = JwtManager::builder()
        .signing_key(new.clone())
        .verification_key(old.public_only())
        .build()
        .unwrap();
    let app = guarded!(during.clone());
    let new_token = during.create_access_token("alice").unwrap();
    assert_eq!(
        during.decode_token(&new_token).unwrap().header()["kid"],
        "2026-11"
    );
    for token in [&old_token, &new_token] {
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(token))).await.0,
            200
        );
    }
    // A retired key's public half as the signing key: it verifies, and
    // the manager says it cannot sign rather than failing to.
    let retired = JwtManager::builder()
        .signing_key(old.public_only())
        .build()
        .unwrap();
    assert_eq!(
        retired.decode_token(&old_token).unwrap().header()["kid"],
        "2026-10"
    );
    assert_verifies_only(&retired, "a retired key");
    // A token whose kid names the old key but was signed by the new one fails.
    let swapped = new_token.replacen(
        &new_token[..new_token.find('.').unwrap()],
        &old_token[..old_token.find('.').unwrap()],
        1,
    );
    assert_eq!(
        during.decode_token(&swapped).unwrap_err(),
        JwtError::InvalidSignature
    );

    // After the old tokens expired: drop the old key; its tokens are refused.
    let after = JwtManager::builder().signing_key(new).build().unwrap();
    let app = guarded!(after);
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&old_token))).await,
        (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            msg("The token's kid names no known key")
        )
    );
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&new_token)))
            .await
            .0,
        200
    );
}

#[actix_web::test]
async fn the_jwks_endpoint_publishes_usable_public_keys_only() {
    let jwt = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::ES256, pem("es256_private.pem"))
                .unwrap()
                .with_kid("ec-1"),
        )
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem"))
                .unwrap()
                .with_kid("rsa-0"),
        )
        .build()
        .unwrap();
    let app = guarded!(
        jwt.clone(),
        (
            "/.well-known/jwks.json",
            web::get().to(actix_jwt_extended::keys::serve_jwks)
        )
    );
    let res = actix_test::call_service(
        &app,
        actix_test::TestRequest::get()
            .uri("/.well-known/jwks.json")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("cache-control").unwrap(),
        "public, max-age=300"
    );
    let body: Value = actix_test::read_body_json(res).await;
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (
            keys[0]["kty"].clone(),
            keys[0]["alg"].clone(),
            keys[0]["use"].clone(),
            keys[0]["kid"].clone()
        ),
        (json!("EC"), json!("ES256"), json!("sig"), json!("ec-1"))
    );
    assert_eq!(
        (
            keys[0]["crv"].clone(),
            keys[1]["kty"].clone(),
            keys[1]["kid"].clone()
        ),
        (json!("P-256"), json!("RSA"), json!("rsa-0"))
    );
    // No private member of any key type (RFC 7518 section 6): the ES256 key
    // here was built from a private key, so `d` was there to leak.
    let private = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    for key in keys {
        let members = key.as_object().unwrap();
        assert!(
            private.iter().all(|member| !members.contains_key(*member)),
            "private material in {key}"
        );
    }
    // A secret is never published: an HMAC manager's set is empty.
    let hmac = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(hmac.jwk_set()).unwrap(),
        json!({ "keys": [] })
    );

    // A JWK library reads the set and verifies our tokens with it.
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(body.clone()).unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(set.find("ec-1").unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_nbf = true;
    let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], "alice");

    // A verify-only service built from the document.
    let verifier = JwtManager::builder()
        .verification_jwks(&body.to_string())
        .unwrap()
        .build()
        .unwrap();
    let app = guarded!(verifier.clone());
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
        200
    );
    let stranger = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::ES256, pem("es256_private.pem"))
                .unwrap()
                .with_kid("other"),
        )
        .build()
        .unwrap()
        .create_access_token("eve")
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&stranger)))
            .await
            .0,
        422
    );
    let hmac = crate::common::hs256(&crate::common::flask_payload("access"));
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&hmac))).await.0,
        422
    );
    assert!(verifier.create_access_token("x").is_err());
}

#[test]
fn mismatched_or_misplaced_keys_fail_at_build() {
    let invalid =
        |result: Result<JwtManager, ConfigError>| matches!(result, Err(ConfigError::InvalidKey(_)));
    let build = |alg, private: Option<&str>, public: Option<&str>| {
        let mut builder = JwtManager::builder().algorithm(alg);
        if let Some(private) = private {
            builder = builder.private_key(pem(private));
        }
        if let Some(public) = public {
            builder = builder.public_key(pem(public));
        }
        builder.build()
    };
    assert!(
        invalid(build(Algorithm::RS256, Some("es256_private.pem"), None)),
        "EC key for RS256"
    );
    assert!(
        invalid(build(Algorithm::ES256, Some("es384_private.pem"), None)),
        "P-384 key for ES256"
    );
    assert!(
        invalid(build(Algorithm::ES384, None, Some("es256_public.pem"))),
        "P-256 key for ES384"
    );
    assert!(
        invalid(build(Algorithm::EdDSA, Some("rs256_private.pem"), None)),
        "RSA key for EdDSA"
    );
    assert!(
        invalid(build(Algorithm::RS256, None, Some("rs256_private.pem"))),
        "private key as public"
    );
    assert!(
        invalid(build(
            Algorithm::RS256,
            Some("rs256_private.pem"),
            Some("rs256b_public.pem")
        )),
        "not a pair"
    );
    assert!(
        build(
            Algorithm::RS256,
            Some("rs256_private.pem"),
            Some("rs256_public.pem")
        )
        .is_ok()
    );
    assert!(matches!(
        JwtManager::builder()
            .algorithm(Algorithm::RS256)
            .secret("s")
            .build(),
        Err(ConfigError::UnsupportedAlgorithm(Algorithm::RS256))
    ));
    let twice = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::ES256, pem("es256_private.pem"))
                .unwrap()
                .with_kid("k"),
        )
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem"))
                .unwrap()
                .with_kid("k"),
        )
        .build();
    assert!(invalid(twice), "duplicate kid");
    let secret_jwk = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256","kid":"s"}]}"#;
    assert!(
        JwtManager::builder().verification_jwks(secret_jwk).is_err(),
        "secrets are not published keys"
    );
    let no_alg = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    assert!(
        JwtManager::builder().verification_jwks(no_alg).is_err(),
        "a JWK must name its alg"
    );
    assert!(
        format!(
            "{:?}",
            Key::private_pem(Algorithm::EdDSA, pem("ed25519_private.pem")).unwrap()
        )
        .contains("redacted")
    );
}

#[test]
fn flask_config_takes_the_pem_keys() {
    let config: actix_jwt_extended::config::FlaskConfig = serde_json::from_value(json!({
        "JWT_ALGORITHM": "ES256",
        "JWT_PRIVATE_KEY": String::from_utf8(pem("es256_private.pem")).unwrap(),
        "JWT_PUBLIC_KEY": String::from_utf8(pem("es256_public.pem")).unwrap(),
    }))
    .unwrap();
    let jwt = config.into_builder().unwrap().build().unwrap();
    let token = jwt.create_access_token("cfg").unwrap();
    assert_eq!(
        jwt.decode_token(&token).unwrap().algorithm(),
        Algorithm::ES256
    );
}

/// Live: Flask-JWT-Extended configured for RS256 and ES256 with the same keys
/// (tests/reference/asymmetric_app.py, started by .ci/run) accepts our tokens,
/// and ours accept the tokens its /login mints.
#[test]
fn asymmetric_tokens_cross_live_both_ways() {
    for (variable, algorithm, private, public) in [
        (
            "FLASK_RS256_URL",
            Algorithm::RS256,
            "rs256_private.pem",
            "rs256_public.pem",
        ),
        (
            "FLASK_ES256_URL",
            Algorithm::ES256,
            "es256_private.pem",
            "es256_public.pem",
        ),
    ] {
        let Some(flask) = crate::common::live_server_url(variable) else {
            return;
        };
        let jwt = JwtManager::builder()
            .algorithm(algorithm)
            .private_key(pem(private))
            .public_key(pem(public))
            .build()
            .unwrap();
        let ours = jwt.create_access_token("test").unwrap();
        let res = crate::common::http(
            &flask,
            "GET",
            "/protected",
            &[("Authorization", &bearer(&ours))],
            b"",
        );
        assert_eq!(
            (res.status, res.json()),
            (200, json!({ "logged_in_as": "test" })),
            "{algorithm:?}"
        );
        let refresh = jwt.create_refresh_token("test").unwrap();
        let res = crate::common::http(
            &flask,
            "POST",
            "/refresh",
            &[("Authorization", &bearer(&refresh))],
            b"",
        );
        assert_eq!(res.status, 200);
        let login = crate::common::http(
            &flask,
            "POST",
            "/login",
            &[("Content-Type", "application/json")],
            br#"{"username":"test","password":"test"}"#,
        )
        .json();
        for key in ["access_token", "refresh_token"] {
            assert_eq!(
                jwt.decode_token(login[key].as_str().unwrap())
                    .unwrap()
                    .identity(),
                "test"
            );
        }
    }
}

use crate::examples::key_rotation;

use crate::examples::asymmetric;

/// The key_rotation example: the verify-only service is built from the JWK Set
/// the issuer serves, and accepts the issuer's tokens, old key and new.
#[actix_web::test]
async fn the_key_rotation_example_issuer_and_verify_only_service_agree() {
    let issuer = key_rotation::issuer().unwrap();
    let issuer_app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(issuer.clone()))
            .configure(key_rotation::issuer_routes),
    )
    .await;
    let req = actix_test::TestRequest::get()
        .uri("/.well-known/jwks.json")
        .to_request();
    let jwks = actix_test::call_and_read_body(&issuer_app, req).await;
    let verifier = key_rotation::verifier(std::str::from_utf8(&jwks).unwrap()).unwrap();
    let verifier_app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .configure(key_rotation::verifier_routes),
    )
    .await;
    let login = actix_test::TestRequest::post().uri("/login").to_request();
    let token: Value = actix_test::call_and_read_body_json(&issuer_app, login).await;
    let token = token["access_token"].as_str().unwrap();
    assert_eq!(
        issuer.decode_token(token).unwrap().header()["kid"],
        "2026-11"
    );
    let old = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::EdDSA, key_rotation::OLD_KEY)
                .unwrap()
                .with_kid("2026-10"),
        )
        .build()
        .unwrap()
        .create_access_token("test")
        .unwrap();
    for token in [token, old.as_str()] {
        let (status, body) = call(
            &verifier_app,
            Method::GET,
            "/protected",
            Some(&bearer(token)),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body),
            (200, json!({ "logged_in_as": "test" }))
        );
    }
}

#[actix_web::test]
async fn the_asymmetric_example_runs_the_seed_flow_with_rs256() {
    let jwt = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .private_key(pem("rs256_private.pem"))
        .public_key(pem("rs256_public.pem"))
        .build()
        .unwrap();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .configure(asymmetric::routes),
    )
    .await;
    let login = actix_test::TestRequest::post()
        .uri("/login")
        .set_json(json!({ "username": "test", "password": "test" }))
        .to_request();
    let tokens: Value = actix_test::call_and_read_body_json(&app, login).await;
    let (status, _) = call(
        &app,
        Method::POST,
        "/refresh",
        Some(&bearer(tokens["refresh_token"].as_str().unwrap())),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &app,
        Method::GET,
        "/protected",
        Some(&bearer(tokens["access_token"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({ "logged_in_as": "test" }))
    );
}

/// Found by the `create_token` fuzz target: a `kid` header naming another
/// key than the signing key minted a token the same manager refused
/// ("The token's kid names no known key"). Where keys have kids, the header
/// may only repeat the signing key's; without kids it stays informational,
/// as in Flask.
#[actix_web::test]
async fn a_kid_header_never_mints_a_token_its_own_manager_refuses() {
    let signing = Key::private_pem(Algorithm::ES256, pem("es256_private.pem"))
        .unwrap()
        .with_kid("es");
    let jwt = JwtManager::builder()
        .signing_key(signing)
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem"))
                .unwrap()
                .with_kid("rs"),
        )
        .build()
        .unwrap();
    for other in [json!("rs"), json!("unknown"), json!(1), json!(null)] {
        assert!(
            matches!(
                jwt.access_token_builder("alice")
                    .header("kid", &other)
                    .encode(),
                Err(JwtError::Creation(_))
            ),
            "kid {other}"
        );
    }
    let own = jwt
        .access_token_builder("alice")
        .header("kid", "es")
        .encode()
        .unwrap();
    assert_eq!(jwt.decode_token(&own).unwrap().header()["kid"], "es");

    let hmac = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let informational = hmac
        .access_token_builder("alice")
        .header("kid", "k1")
        .encode()
        .unwrap();
    assert_eq!(
        hmac.decode_token(&informational).unwrap().header()["kid"],
        "k1"
    );
}

/// `jwt` has no key to sign with, and says so when asked for a token.
fn assert_verifies_only(jwt: &JwtManager, context: &str) {
    match jwt.create_access_token("x") {
        Err(JwtError::Creation(cause)) => assert_eq!(
            cause.to_string(),
            "this manager has no signing key: it only verifies tokens",
            "{context}"
        ),
        other => panic!("{context}: {other:?}"),
    }
}

/// RFC 7518's 2048-bit floor is about the modulus's bits, not its bytes:
/// leading zero bytes and bits do not count.
#[test]
fn an_rsa_modulus_is_measured_to_the_bit() {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let build = |first: &[u8], rest: usize| {
        let modulus = [first, &vec![0xab; rest]].concat();
        let jwk = json!({
            "kty": "RSA", "alg": "RS256", "e": "AQAB", "kid": "k",
            "n": URL_SAFE_NO_PAD.encode(modulus),
        });
        let key = Key::from_jwk(&serde_json::from_value(jwk).unwrap()).unwrap();
        JwtManager::builder().verification_key(key).build()
    };
    for (first, rest) in [
        (&[0x80][..], 255),
        (&[0x00, 0x80][..], 255),
        (&[0x01][..], 256),
    ] {
        assert!(build(first, rest).is_ok(), "{first:?}");
    }
    let error = build(&[0x40], 255).unwrap_err().to_string();
    assert!(error.contains("modulus is 2047 bits"), "{error}");
}

/// Key files are read whole: the two halves of a PEM pair and a JWK Set;
/// a file that cannot be read is a configuration error naming it.
#[test]
fn keys_are_read_from_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys");
    let private = Key::private_pem_file(Algorithm::RS256, format!("{dir}/rs256_private.pem"))
        .unwrap()
        .with_kid("file");
    let public = Key::public_pem_file(Algorithm::RS256, format!("{dir}/rs256_public.pem"))
        .unwrap()
        .with_kid("file");
    assert!(private.can_sign() && !public.can_sign());
    let signer = JwtManager::builder().signing_key(private).build().unwrap();
    let token = signer.create_access_token("alice").unwrap();
    let verifies = |key: Key| {
        JwtManager::builder()
            .verification_key(key)
            .build()
            .unwrap()
            .decode_token(&token)
            .is_ok()
    };
    assert!(verifies(public));

    let set = serde_json::to_string(&signer.jwk_set()).unwrap();
    let path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, set).unwrap();
    let keys = Key::from_jwks_file(&path);
    std::fs::remove_file(&path).unwrap();
    let mut keys = keys.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid(), Some("file"));
    assert!(verifies(keys.remove(0)));

    let missing = format!("{dir}/missing.json");
    let error = Key::from_jwks_file(&missing).err().unwrap().to_string();
    assert!(error.contains(&format!("cannot read {missing}")), "{error}");
}
