//! Audit findings (issue #11), one test per finding, named for the behaviour.

use std::time::Duration;

use actix_jwt_extended::{
    Claims, JwtError, JwtManager, JwtRequired,
    config::ErrorFormat,
    cookies::JwtCookies,
    manager::UserLoader,
    store::{Cutoff, MemoryStore, Rotation, RotationRequest, StoreError, TokenFacts, TokenStore},
    token::DecodedToken,
};
use actix_web::{
    App, HttpResponse,
    http::{Method, StatusCode, header},
    test, web,
};
use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::common::{
    SECRET, bearer, call, capture_logs, flask_payload, forge, hs256, logs, manager_with, msg, now,
};

/// A token accepted inside the leeway stays revoked inside the leeway: the
/// store keeps a revocation until `exp + leeway`, and revoking a token that
/// is already past `exp` but inside the leeway stores it.
#[actix_web::test]
async fn a_revocation_lasts_until_exp_plus_leeway() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .leeway(Duration::from_secs(60))
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    let mut payload = flask_payload("access");
    payload["exp"] = json!(now() - 5);
    let token = hs256(&payload);
    let app = test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
        "/p",
        web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
    ))
    .await;
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
        200
    );
    jwt.revoke_token(&jwt.decode_token(&token).unwrap())
        .await
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
        (StatusCode::UNAUTHORIZED, msg("Token has been revoked"))
    );
}

/// Stores whose writes panic: the panic is caught and answered with a 500
/// whose cause is logged, like a panic in `is_revoked`.
struct PanickingStore;

impl TokenStore for PanickingStore {
    async fn is_revoked(&self, _: TokenFacts<'_>) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn revoke(&self, _: &str, _: Option<i64>) -> Result<(), StoreError> {
        panic!("store-revoke-panic-51c2")
    }

    async fn revoke_identity(&self, _: Cutoff<'_>) -> Result<(), StoreError> {
        panic!("store-revoke-identity-panic")
    }

    async fn rotate(&self, _: RotationRequest<'_>) -> Result<Rotation, StoreError> {
        panic!("store-rotate-panic")
    }
}

#[actix_web::test]
async fn a_panic_in_a_stores_revoke_or_rotate_is_a_logged_500() {
    capture_logs();
    let jwt = manager_with(PanickingStore);
    let app = test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
        "/logout",
        web::delete().to(|jwt: web::Data<JwtManager>, claims: Claims| async move {
            jwt.revoke_token(claims.token()).await?;
            Ok::<_, actix_web::Error>(HttpResponse::Ok().finish())
        }),
    ))
    .await;
    let token = jwt.create_access_token("alice").unwrap();
    assert_eq!(
        call(&app, Method::DELETE, "/logout", Some(&bearer(&token))).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            msg("Internal server error")
        )
    );
    assert!(
        logs().iter().any(|line| line.contains("panicked")),
        "{:?}",
        logs()
    );

    let decoded = jwt.decode_token(&token).unwrap();
    assert!(matches!(
        jwt.revoke_all_tokens("alice").await,
        Err(JwtError::Hook(_))
    ));
    let pair = jwt.create_token_pair("alice").unwrap();
    let refresh = jwt.decode_token(&pair.refresh_token).unwrap();
    assert!(matches!(
        jwt.rotate_refresh_token(&refresh).await,
        Err(JwtError::Hook(_))
    ));
    assert!(matches!(
        jwt.revoke_token(&decoded).await,
        Err(JwtError::Hook(_))
    ));
}

/// Outside a guard, a refresh token revoked by its `jti` cannot be rotated.
#[actix_web::test]
async fn rotating_a_revoked_refresh_token_is_refused() {
    let jwt = manager_with(MemoryStore::new());
    let pair = jwt.create_token_pair("alice").unwrap();
    let refresh = jwt.decode_token(&pair.refresh_token).unwrap();
    jwt.revoke_token(&refresh).await.unwrap();
    assert_eq!(
        jwt.rotate_refresh_token(&refresh).await.unwrap_err(),
        JwtError::Revoked
    );
}

/// A signed token whose `csrf` claim is not a value we mint never reaches a
/// `Set-Cookie` header: `x; Domain=evil.example` would add an attribute.
#[actix_web::test]
async fn a_csrf_claim_that_we_did_not_mint_is_never_written_into_a_cookie() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    for csrf in [
        "x; Domain=evil.example",
        "66666666-7777-4888-9999-000000000000\r\nX: y",
        "",
        "66666666-7777-4888-9999-00000000000",
    ] {
        let mut payload = flask_payload("access");
        payload["csrf"] = json!(csrf);
        let token = hs256(&payload);
        let set = HttpResponse::Ok()
            .set_access_cookies(&jwt, &token)
            .map(|response| response.finish());
        assert!(
            matches!(set, Err(JwtError::Creation(_))),
            "{csrf:?}: {set:?}"
        );
    }
    // Flask-JWT-Extended's own values (lower-case UUIDs) pass.
    let token = hs256(&flask_payload("access"));
    let response = HttpResponse::Ok()
        .set_access_cookies(&jwt, &token)
        .unwrap()
        .finish();
    let cookies = crate::common::set_cookies(&response);
    assert!(
        cookies[1].starts_with("csrf_access_token=66666666-7777-4888-9999-000000000000;"),
        "{cookies:?}"
    );
}

struct Nobody;

impl UserLoader for Nobody {
    type User = ();
    type Error = std::convert::Infallible;

    async fn load(&self, _: &DecodedToken) -> Result<Option<()>, Self::Error> {
        Ok(None)
    }
}

/// In RFC 6750 mode the error description goes into `WWW-Authenticate`; an
/// identity with control characters must not turn a 401 into a 500.
#[actix_web::test]
async fn control_characters_never_break_the_www_authenticate_header() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .error_format(ErrorFormat::Rfc6750)
        .user_loader(Nobody)
        .build()
        .unwrap();
    let app = test::init_service(App::new().app_data(web::Data::new(jwt)).route(
        "/p",
        web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
    ))
    .await;
    let mut payload = flask_payload("access");
    payload["sub"] = json!("eve\r\nSet-Cookie: x=1\u{7f}\u{0}");
    let token = forge(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &payload,
        SECRET,
        Algorithm::HS256,
    );
    let req = test::TestRequest::get()
        .uri("/p")
        .insert_header((header::AUTHORIZATION, bearer(&token)));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(
        challenge,
        r#"Bearer error="invalid_token", error_description="Error loading the user eve  Set-Cookie: x=1  ""#
    );
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(
        body,
        json!({ "msg": "Error loading the user eve\r\nSet-Cookie: x=1\u{7f}\u{0}" })
    );
}

/// `Debug` of `Claims` and of `FlaskConfig` never shows the CSRF value or a key.
#[actix_web::test]
async fn debug_output_never_shows_csrf_values_or_keys() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let csrf = crate::common::csrf_of(&jwt, &token);
    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt)).route(
            "/p",
            web::get()
                .to(|claims: Claims| async move { HttpResponse::Ok().body(format!("{claims:?}")) }),
        ),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/p")
        .insert_header((header::AUTHORIZATION, bearer(&token)));
    let body = test::call_and_read_body(&app, req.to_request()).await;
    let debug = String::from_utf8(body.to_vec()).unwrap();
    assert!(debug.contains("alice") && !debug.contains(&csrf), "{debug}");
}

/// `Debug` of a `TokenBuilder` shows the token's kind, freshness and
/// lifetime, never the identity, the claims, the headers or the key it is
/// about to sign with.
#[actix_web::test]
async fn a_token_builder_debugs_without_identity_claims_or_key() {
    use actix_jwt_extended::keys::Key;
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let secret = "another-secret-that-is-long-enough-for-hs256";
    let builder = jwt
        .refresh_token_builder("alice@example.com")
        .fresh(true)
        .expires(Duration::from_secs(90))
        .claim("ssn", "123-45-6789")
        .header("kid", "key-7")
        .signing_key(Key::secret(Algorithm::HS256, secret).unwrap());
    let debug = format!("{builder:?}");
    assert_eq!(
        debug,
        format!(
            "TokenBuilder {{ kind: Refresh, fresh: {:?}, expires: {:?}, .. }}",
            actix_jwt_extended::token::Freshness::from(true),
            Some(actix_jwt_extended::config::Expiry::from(
                Duration::from_secs(90)
            )),
        )
    );
    for secret in ["alice", "123-45-6789", "key-7", secret] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

/// `Debug` of a `JwtManager` (and of its builder) names each hook the app
/// set as `<hook>` and never shows the secret.
#[actix_web::test]
async fn a_manager_debugs_its_hooks_as_such_and_never_its_secret() {
    let secret = "a-secret-nobody-may-read-in-a-log-line";
    let builder = JwtManager::builder()
        .secret(secret)
        .verify_claims(|_| true)
        .additional_claims_loader(|_| json!({}));
    // Neither as text nor as bytes (`[97, 45, 115, ...`).
    let bytes = format!("{:?}", secret.as_bytes());
    let shows_secret = |debug: &str| debug.contains(secret) || debug.contains(&bytes[1..16]);
    let debug = format!("{builder:?}");
    assert!(
        !shows_secret(&debug) && debug.contains("<redacted>"),
        "{debug}"
    );
    assert_eq!(debug.matches("Some(<hook>)").count(), 2, "{debug}");
    let jwt = builder.build().unwrap();
    let debug = format!("{jwt:?}");
    assert!(
        debug.starts_with("JwtManager(") && !shows_secret(&debug),
        "{debug}"
    );
    assert_eq!(debug.matches("Some(<hook>)").count(), 2, "{debug}");
    let plain = format!(
        "{:?}",
        JwtManager::builder().secret(secret).build().unwrap()
    );
    assert_eq!(plain.matches("<hook>").count(), 0, "{plain}");
}

/// A full `MemoryStore` refuses a new revocation (fail closed, 503) instead of
/// evicting a live one; expired entries make room.
#[actix_web::test]
async fn a_full_memory_store_refuses_new_revocations_and_never_evicts_live_ones() {
    let now = now() as i64;
    let store = MemoryStore::with_capacity(2);
    store.revoke("dead", Some(now - 1)).await.unwrap();
    store.revoke("a", Some(now + 60)).await.unwrap();
    // The expired entry makes room.
    store.revoke("b", Some(now + 60)).await.unwrap();
    assert!(store.revoke("c", Some(now + 60)).await.is_err());
    // Revoking again what is already there needs no room.
    store.revoke("a", Some(now + 90)).await.unwrap();
    let facts = |jti| TokenFacts::new(jti, "u", Some(now), None);
    for jti in ["a", "b"] {
        assert!(store.is_revoked(facts(jti)).await.unwrap(), "{jti}");
    }
    assert!(!store.is_revoked(facts("c")).await.unwrap());

    let jwt = manager_with(MemoryStore::with_capacity(1));
    let first = jwt
        .decode_token(&jwt.create_access_token("alice").unwrap())
        .unwrap();
    let second = jwt
        .decode_token(&jwt.create_access_token("alice").unwrap())
        .unwrap();
    jwt.revoke_token(&first).await.unwrap();
    assert!(matches!(
        jwt.revoke_token(&second).await,
        Err(JwtError::StoreUnavailable(_))
    ));
    // Reuse detection still revokes a family when the store is full: its
    // revocation takes the place of the family's current token.
    let full = manager_with(MemoryStore::with_capacity(1));
    let pair = full.create_token_pair("alice").unwrap();
    let root = full.decode_token(&pair.refresh_token).unwrap();
    let rotated = full.rotate_refresh_token(&root).await.unwrap();
    assert_eq!(
        full.rotate_refresh_token(&root).await.unwrap_err(),
        JwtError::Revoked
    );
    let next = full.decode_token(&rotated.refresh_token).unwrap();
    assert_eq!(
        full.rotate_refresh_token(&next).await.unwrap_err(),
        JwtError::Revoked
    );
}

fn json_guarded(config: &mut web::ServiceConfig) {
    config.route(
        "/p",
        web::post()
            .to(HttpResponse::Ok)
            .wrap(JwtRequired::new().locations([actix_jwt_extended::config::TokenLocation::Json])),
    );
}

/// A client that announces a JSON body and never sends it gets a 408 once
/// the body deadline passes, instead of holding the guard's buffer open.
#[actix_web::test]
async fn a_stalled_body_is_answered_408_at_the_deadline() {
    use std::io::{Read, Write};

    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_location([actix_jwt_extended::config::TokenLocation::Json])
        .body_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let addr = crate::common::start_with(jwt, json_guarded);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = std::time::Instant::now();
    write!(
        stream,
        "POST /p HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{{\"access"
    )
    .unwrap();
    let mut answer = [0u8; 512];
    let read = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.ends_with("{\"msg\":\"Request body was not received in time\"}\n"),
        "{answer}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

/// Access routes take `"type": "access"` or no `type`, refresh routes only
/// `"refresh"`; every other value is refused with 422, by `decode_token` too.
#[actix_web::test]
async fn token_types_are_explicit_on_every_route() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route(
                "/access",
                web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
            )
            .route(
                "/refresh",
                web::get()
                    .to(HttpResponse::Ok)
                    .wrap(actix_jwt_extended::RefreshRequired::new()),
            )
            .route(
                "/any",
                web::get()
                    .to(HttpResponse::Ok)
                    .wrap(JwtRequired::new().any_kind()),
            ),
    )
    .await;
    let with_type = |kind: Option<serde_json::Value>| {
        let mut payload = flask_payload("access");
        let fields = payload.as_object_mut().unwrap();
        match kind {
            Some(kind) => fields.insert("type".into(), kind),
            None => fields.remove("type"),
        };
        hs256(&payload)
    };
    let invalid = msg(r#"Invalid token type: "type" must be "access" or "refresh""#);
    for kind in [
        json!("ACCESS"),
        json!("Refresh"),
        json!("id_token"),
        json!(null),
        json!(["refresh"]),
        json!(1),
        json!(""),
    ] {
        let token = with_type(Some(kind.clone()));
        for path in ["/access", "/refresh", "/any"] {
            assert_eq!(
                call(&app, Method::GET, path, Some(&bearer(&token))).await,
                (StatusCode::UNPROCESSABLE_ENTITY, invalid.clone()),
                "{kind} on {path}"
            );
        }
        assert!(matches!(
            jwt.decode_token(&token),
            Err(JwtError::InvalidClaim(_))
        ));
    }
    let ok = |path, token: String| {
        let app = &app;
        async move { call(app, Method::GET, path, Some(&bearer(&token))).await.0 }
    };
    assert_eq!(ok("/access", with_type(None)).await, 200);
    assert_eq!(ok("/access", with_type(Some(json!("access")))).await, 200);
    assert_eq!(ok("/refresh", with_type(Some(json!("refresh")))).await, 200);
    assert_eq!(ok("/refresh", with_type(None)).await, 422);
    assert_eq!(ok("/any", with_type(Some(json!("refresh")))).await, 200);
}

/// A handler registered for every method behind a guard never serves its
/// private response to an `OPTIONS` request without a valid token.
#[actix_web::test]
async fn options_without_a_token_never_reaches_a_private_handler() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .service(
                web::resource("/resource")
                    .wrap(JwtRequired::new())
                    .to(|| async { HttpResponse::Ok().body("private") }),
            )
            .route(
                "/route",
                web::route()
                    .to(|| async { HttpResponse::Ok().body("private") })
                    .wrap(JwtRequired::new()),
            ),
    )
    .await;
    for path in ["/resource", "/route"] {
        for authorization in [None, Some("Bearer garbage".to_owned())] {
            let mut req = test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri(path);
            if let Some(value) = &authorization {
                req = req.insert_header((header::AUTHORIZATION, value.clone()));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(test::read_body(res).await, "", "{path} {authorization:?}");
        }
        let req = test::TestRequest::default()
            .method(Method::OPTIONS)
            .uri(path)
            .insert_header((header::AUTHORIZATION, bearer(&token)));
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(test::read_body(res).await, "private", "{path}");
    }
}

/// Records how long the manager asks a store to keep what it revokes.
#[derive(Default)]
struct KeepRecorder {
    keeps: std::sync::Mutex<Vec<Option<i64>>>,
    memory: MemoryStore,
}

impl TokenStore for KeepRecorder {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        self.memory.is_revoked(token).await
    }

    async fn revoke_identity(&self, cutoff: Cutoff<'_>) -> Result<(), StoreError> {
        self.keeps.lock().unwrap().push(cutoff.keep_until);
        self.memory.revoke_identity(cutoff).await
    }

    async fn revoke_session(&self, session: &str, keep: Option<i64>) -> Result<(), StoreError> {
        self.keeps.lock().unwrap().push(keep);
        self.memory.revoke_session(session, keep).await
    }

    async fn rotate(&self, rotation: RotationRequest<'_>) -> Result<Rotation, StoreError> {
        self.keeps.lock().unwrap().push(rotation.keep_until);
        self.memory.rotate(rotation).await
    }
}

/// "Log out everywhere" and family revocations last as long as the
/// longest-lived token the manager can mint, plus the leeway; a token
/// builder cannot mint past that.
#[actix_web::test]
async fn revocations_outlive_every_token_they_cover() {
    const DAY: u64 = 24 * 3600;
    let store = std::sync::Arc::new(KeepRecorder::default());
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .leeway(Duration::from_secs(30))
        .max_token_lifetime(Duration::from_secs(90 * DAY))
        .token_store(std::sync::Arc::clone(&store))
        .build()
        .unwrap();
    let long = jwt
        .access_token_builder("alice")
        .expires(Duration::from_secs(90 * DAY))
        .encode()
        .unwrap();
    let long = jwt.decode_token(&long).unwrap();
    jwt.revoke_all_tokens("alice").await.unwrap();
    let pair = jwt.create_token_pair("bob").unwrap();
    let root = jwt.decode_token(&pair.refresh_token).unwrap();
    jwt.rotate_refresh_token(&root).await.unwrap();
    let keeps = store.keeps.lock().unwrap().clone();
    assert_eq!(keeps.len(), 2);
    for keep in keeps {
        assert!(
            keep.unwrap() >= long.expires_at().unwrap() + 30,
            "kept until {keep:?}, token accepted until {}",
            long.expires_at().unwrap() + 30
        );
    }

    // Past the longest lifetime: refused, not silently unrevocable.
    assert!(matches!(
        jwt.access_token_builder("alice")
            .expires(Duration::from_secs(91 * DAY))
            .encode(),
        Err(JwtError::Creation(_))
    ));
    let default = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    assert!(
        default
            .access_token_builder("alice")
            .expires(Duration::from_secs(31 * DAY))
            .encode()
            .is_err()
    );
    assert!(
        default
            .access_token_builder("alice")
            .expires(actix_jwt_extended::config::Expiry::Never)
            .encode()
            .is_err()
    );
    // A manager that may mint tokens that never expire keeps them for good.
    let store = std::sync::Arc::new(KeepRecorder::default());
    let forever = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .max_token_lifetime(actix_jwt_extended::config::Expiry::Never)
        .token_store(std::sync::Arc::clone(&store))
        .build()
        .unwrap();
    forever.revoke_all_tokens("alice").await.unwrap();
    assert_eq!(store.keeps.lock().unwrap().clone(), [None]);
    // Shorter than the configured lifetimes: a build error.
    assert!(
        JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .max_token_lifetime(Duration::from_secs(60))
            .build()
            .is_err()
    );
}

/// A JWK Set with keys this crate cannot verify with still yields its usable
/// signature keys; encryption keys never verify; private members are refused;
/// imported keys are not republished as ours.
#[actix_web::test]
async fn jwk_sets_keep_only_public_signature_keys_and_are_not_republished() {
    use actix_jwt_extended::keys::Key;
    let pem = crate::common::pem;
    capture_logs();
    let ec = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::ES256, pem("es256_private.pem"))
                .unwrap()
                .with_kid("ec"),
        )
        .build()
        .unwrap();
    let rsa = JwtManager::builder()
        .signing_key(
            Key::private_pem(Algorithm::RS256, pem("rs256_private.pem"))
                .unwrap()
                .with_kid("enc"),
        )
        .build()
        .unwrap();
    let ec_jwk = serde_json::to_value(ec.jwk_set()).unwrap()["keys"][0].clone();
    let rsa_jwk = serde_json::to_value(rsa.jwk_set()).unwrap()["keys"][0].clone();
    let with = |mut jwk: serde_json::Value, edits: serde_json::Value| {
        for (name, value) in edits.as_object().unwrap() {
            if value.is_null() {
                jwk.as_object_mut().unwrap().remove(name);
            } else {
                jwk[name] = value.clone();
            }
        }
        jwk
    };
    let document = json!({ "keys": [
        ec_jwk.clone(),
        { "kty": "oct", "k": "c2VjcmV0LXNlY3JldA", "alg": "HS256", "kid": "sym" },
        with(ec_jwk.clone(), json!({ "alg": null, "kid": "noalg-7d1e" })),
        with(rsa_jwk.clone(), json!({ "alg": "RSA-OAEP", "kid": "oaep-7d1e" })),
        with(rsa_jwk.clone(), json!({ "use": "enc" })),
    ]});
    let keys = Key::from_jwks(&document.to_string()).unwrap();
    let kids: Vec<_> = keys.iter().map(|key| key.kid().unwrap()).collect();
    assert_eq!(kids, ["ec"]);
    let lines = logs();
    for skipped in ["sym", "noalg-7d1e", "oaep-7d1e", "\"enc\""] {
        assert!(
            lines
                .iter()
                .any(|line| line.contains("skipping JWK") && line.contains(skipped)),
            "{skipped}: {lines:?}"
        );
    }
    // The encryption key's signatures are refused.
    let verifier = JwtManager::builder()
        .verification_jwks(&document.to_string())
        .unwrap()
        .build()
        .unwrap();
    let signed_by_enc = rsa.create_access_token("eve").unwrap();
    assert!(verifier.decode_token(&signed_by_enc).is_err());
    assert!(
        verifier
            .decode_token(&ec.create_access_token("alice").unwrap())
            .is_ok()
    );
    // Imported keys are the other issuer's to publish.
    assert_eq!(
        serde_json::to_value(verifier.jwk_set()).unwrap(),
        json!({ "keys": [] })
    );

    // A key with private members is refused, naming the member.
    let leaked = json!({ "keys": [with(ec_jwk, json!({ "d": "c2VjcmV0" }))] });
    let error = Key::from_jwks(&leaked.to_string()).unwrap_err().to_string();
    assert!(error.contains("\"d\""), "{error}");
    // A set with nothing usable is an error, not an empty key ring.
    let useless = json!({ "keys": [with(rsa_jwk, json!({ "use": "enc" }))] });
    assert!(Key::from_jwks(&useless.to_string()).is_err());
}

/// RFC 7518 section 3.2: an HMAC key at least as long as the hash output,
/// for every algorithm it signs or verifies, through `secret` and key rings
/// alike; shorter only through the named opt-in, with a warning.
#[actix_web::test]
async fn short_hmac_secrets_are_refused_at_build_unless_the_app_opts_in() {
    use actix_jwt_extended::{config::ConfigError, keys::Key};
    let short = |error: Result<JwtManager, ConfigError>| match error {
        Err(error @ ConfigError::ShortSecret { .. }) => error.to_string(),
        other => panic!("expected ShortSecret, got {other:?}"),
    };
    let message = short(JwtManager::builder().secret("super-secret").build());
    assert!(message.contains("allow_short_secret()"), "{message}");
    assert!(
        message.contains("12 bytes") && message.contains("32"),
        "{message}"
    );

    let bytes = |n: usize| vec![b'k'; n];
    assert!(JwtManager::builder().secret(bytes(32)).build().is_ok());
    short(JwtManager::builder().secret(bytes(31)).build());
    short(
        JwtManager::builder()
            .secret(bytes(47))
            .algorithm(Algorithm::HS384)
            .build(),
    );
    assert!(
        JwtManager::builder()
            .secret(bytes(64))
            .algorithm(Algorithm::HS512)
            .build()
            .is_ok()
    );
    // A secret that also verifies HS512 tokens must be long enough for HS512.
    short(
        JwtManager::builder()
            .secret(bytes(32))
            .decode_algorithms([Algorithm::HS256, Algorithm::HS512])
            .build(),
    );
    // A one-byte key in a key ring.
    short(
        JwtManager::builder()
            .signing_key(Key::secret(Algorithm::HS256, b"k").unwrap().with_kid("one"))
            .build(),
    );

    capture_logs();
    let jwt = JwtManager::builder()
        .secret("super-secret-opt-in")
        .allow_short_secret()
        .build()
        .unwrap();
    assert!(jwt.create_access_token("a").is_ok());
    assert!(
        logs()
            .iter()
            .any(|line| line.contains("19 bytes") && line.contains("allow_short_secret()")),
        "{:?}",
        logs()
    );
    assert!(
        !logs()
            .iter()
            .any(|line| line.contains("super-secret-opt-in"))
    );
}
