//! Keys chosen per token (Flask's `encode_key_loader` and
//! `decode_key_loader`): one secret per tenant, a loader that awaits its
//! keys, algorithm pinning, failures, and every path that signs or verifies
//! (guards, extractors, cookies, `decode_token`, pairs and rotation).

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use crate::common::{SECRET, bearer, call, forge, msg, now, pem, send};
use actix_jwt_extended::{
    Claims, JwtError, JwtIdentity, JwtManager, JwtRequired, RefreshRequired,
    config::{Algorithm, ConfigError, TokenLocation},
    cookies::{CookieConfig, JwtCookies},
    keys::{DecodeKeyLoader, Key},
    manager::{JwtManagerBuilder, PairOptions},
    store::MemoryStore,
};
use actix_web::{
    App, HttpResponse,
    http::{Method, StatusCode, header},
    test as actix_test, web,
};
use serde_json::{Map, Value, json};

fn secret(byte: u8) -> Key {
    Key::secret(Algorithm::HS256, [byte; 32]).unwrap()
}

/// A token's unverified header and claims, as a loader sees them.
type Seen = (Map<String, Value>, Map<String, Value>);

/// Tenants and their keys, shared by the loaders and the test, which may
/// withdraw a key; counts the decode loader's calls.
#[derive(Clone, Default)]
struct Tenants {
    keys: Arc<Mutex<HashMap<String, Key>>>,
    decode_calls: Arc<AtomicUsize>,
    /// What the decode loader was last shown: (header, claims).
    seen: Arc<Mutex<Option<Seen>>>,
}

impl Tenants {
    fn new() -> Self {
        let tenants = Self::default();
        tenants.add("acme", secret(1));
        tenants.add("initech", secret(2));
        tenants
    }

    fn add(&self, tenant: &str, key: Key) {
        self.keys.lock().unwrap().insert(tenant.to_owned(), key);
    }

    fn withdraw(&self, tenant: &str) {
        self.keys.lock().unwrap().remove(tenant);
    }

    fn key(&self, tenant: Option<&str>) -> Option<Key> {
        self.keys.lock().unwrap().get(tenant?).cloned()
    }

    fn calls(&self) -> usize {
        self.decode_calls.load(Ordering::SeqCst)
    }

    /// The decode loader's answer for a token.
    fn decode(&self, header: &Map<String, Value>, claims: &Map<String, Value>) -> Option<Key> {
        self.decode_calls.fetch_add(1, Ordering::SeqCst);
        *self.seen.lock().unwrap() = Some((header.clone(), claims.clone()));
        self.key(claims.get("tenant").and_then(Value::as_str))
    }
}

/// An HS256 token of `claims` signed with `secret`.
fn hs256_with(secret: &str, claims: &Value) -> String {
    forge(
        &json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        secret,
        Algorithm::HS256,
    )
}

/// The bytes of `secret(byte)`, as text for `forge`.
fn secret_text(byte: u8) -> String {
    String::from_utf8(vec![byte; 32]).unwrap()
}

/// The tenant of an identity `user@tenant`.
fn tenant_of(identity: &Value) -> Option<&str> {
    identity.as_str()?.split('@').nth(1)
}

/// A decode key loader that really waits (a database round trip).
struct AwaitingLoader(Tenants);

impl DecodeKeyLoader for AwaitingLoader {
    type Error = Infallible;

    async fn decode_key(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> Result<Option<Key>, Infallible> {
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        Ok(self.0.decode(header, claims))
    }
}

/// Claims from the identity's tenant, and its key for signing.
fn signing_tenants(builder: JwtManagerBuilder, tenants: &Tenants) -> JwtManagerBuilder {
    let signing = tenants.clone();
    builder
        .additional_claims_loader(|identity| json!({ "tenant": tenant_of(identity) }))
        .encode_key_loader(move |identity| Ok::<_, Infallible>(signing.key(tenant_of(identity))))
}

/// A manager with no key of its own: both loaders; `wait`: the decode
/// loader awaits.
fn tenant_manager(tenants: &Tenants, wait: bool) -> JwtManagerBuilder {
    let builder = signing_tenants(JwtManager::builder(), tenants);
    if wait {
        builder.decode_key_loader_async(AwaitingLoader(tenants.clone()))
    } else {
        let verifying = tenants.clone();
        builder.decode_key_loader(move |header, claims| {
            Ok::<_, Infallible>(verifying.decode(header, claims))
        })
    }
}

/// [`tenant_manager`] with an awaited loader, reading tokens from
/// `locations`, cookies over plain HTTP.
fn cookie_manager(tenants: &Tenants, locations: &[TokenLocation]) -> JwtManager {
    tenant_manager(tenants, true)
        .token_location(locations.iter().copied())
        .cookies(CookieConfig::new().secure(false))
        .build()
        .unwrap()
}

async fn whoami(identity: JwtIdentity, claims: Claims<Value>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "identity": identity.as_str(),
        "tenant": claims["tenant"],
        "location": format!("{:?}", claims.location()),
    }))
}

/// `GET /p` behind `JwtRequired` with two extractors, `GET /bare` with the
/// extractors alone, `GET /optional`, and `POST /refresh` behind
/// `RefreshRequired`.
macro_rules! tenant_app {
    ($jwt:expr) => {
        actix_test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .route("/p", web::get().to(whoami).wrap(JwtRequired::new()))
                .route("/bare", web::get().to(whoami))
                .route(
                    "/optional",
                    web::get()
                        .to(|identity: Option<JwtIdentity>| async move {
                            HttpResponse::Ok().json(json!({
                                "identity": identity.map(|i| i.as_str().to_owned()),
                            }))
                        })
                        .wrap(JwtRequired::new().optional()),
                )
                .route(
                    "/refresh",
                    web::post()
                        .to(|identity: JwtIdentity| async move {
                            HttpResponse::Ok().json(json!({ "identity": identity.as_str() }))
                        })
                        .wrap(RefreshRequired::new()),
                ),
        )
        .await
    };
}

#[actix_web::test]
async fn each_tenant_signs_and_verifies_with_its_own_key() {
    for wait in [false, true] {
        let tenants = Tenants::new();
        let jwt = tenant_manager(&tenants, wait).build().unwrap();
        let app = tenant_app!(jwt.clone());
        for (user, tenant) in [("alice@acme", "acme"), ("bob@initech", "initech")] {
            let token = jwt.create_access_token(user).unwrap();
            let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
            assert_eq!(status, 200, "{wait} {body}");
            assert_eq!(body["identity"], user);
            assert_eq!(body["tenant"], tenant);
            assert_eq!(body["location"], "Headers");
            // Signed with the tenant's key, not another's.
            let other = if tenant == "acme" {
                secret(2)
            } else {
                secret(1)
            };
            let checker = JwtManager::builder()
                .verification_key(other)
                .build()
                .unwrap();
            assert!(matches!(
                checker.decode_token(&token),
                Err(JwtError::InvalidSignature)
            ));
        }
        // A token that names another tenant than the key that signed it.
        let acme = jwt.create_access_token("mallory@acme").unwrap();
        let payload = jwt.decode_token_async(&acme).await.unwrap();
        let mut claims = payload.claims().clone();
        claims.insert("tenant".into(), json!("initech"));
        let forged = hs256_with(&secret_text(1), &Value::Object(claims));
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&forged))).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                msg("Signature verification failed")
            ),
            "{wait}"
        );
    }
}

#[actix_web::test]
async fn the_loader_sees_the_unverified_header_and_claims() {
    for wait in [false, true] {
        let tenants = Tenants::new();
        let jwt = tenant_manager(&tenants, wait).build().unwrap();
        let app = tenant_app!(jwt.clone());
        let token = jwt
            .access_token_builder("alice@acme")
            .header("x-region", "eu")
            .encode()
            .unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
            200
        );
        let (header, claims) = tenants.seen.lock().unwrap().clone().unwrap();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["x-region"], "eu");
        assert_eq!(claims["sub"], "alice@acme");
        assert_eq!(claims["tenant"], "acme");
    }
}

#[actix_web::test]
async fn the_loader_runs_once_per_request_whoever_reads_the_token() {
    for wait in [false, true] {
        let tenants = Tenants::new();
        let jwt = tenant_manager(&tenants, wait).build().unwrap();
        let app = tenant_app!(jwt.clone());
        let token = jwt.create_access_token("alice@acme").unwrap();
        for path in ["/p", "/bare"] {
            let before = tenants.calls();
            let (status, body) = call(&app, Method::GET, path, Some(&bearer(&token))).await;
            assert_eq!(status, 200, "{path} {body}");
            assert_eq!(tenants.calls() - before, 1, "{wait} {path}");
        }
    }
}

#[actix_web::test]
async fn a_key_the_loader_withdraws_stops_its_tokens_at_once() {
    for wait in [false, true] {
        let tenants = Tenants::new();
        let jwt = tenant_manager(&tenants, wait).build().unwrap();
        let app = tenant_app!(jwt.clone());
        let token = jwt.create_access_token("alice@acme").unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
            200
        );
        // No verified-token cache keeps serving it.
        tenants.withdraw("acme");
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                msg("No key is known for this token")
            ),
            "{wait}"
        );
        // A key replaced by another.
        tenants.add("acme", secret(3));
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                msg("Signature verification failed")
            ),
        );
        assert_eq!(jwt.token_cache_usage(), (0, 0));
    }
}

#[actix_web::test]
async fn no_key_from_the_loader_falls_back_to_the_managers_keys() {
    let tenants = Tenants::new();
    let jwt = tenant_manager(&tenants, true)
        .secret(SECRET.repeat(4))
        .build()
        .unwrap();
    let app = tenant_app!(jwt.clone());
    // No tenant: the encode loader says None, the manager's secret signs,
    // and the decode loader's None verifies with it.
    let token = jwt.create_access_token("root").unwrap();
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
    assert_eq!(
        (status, &body["identity"]),
        (StatusCode::OK, &json!("root"))
    );
    // A tenant's key never verifies a token of the manager's secret.
    let mut claims = jwt
        .decode_token_async(&token)
        .await
        .unwrap()
        .claims()
        .clone();
    claims.insert("tenant".into(), json!("acme"));
    let forged = hs256_with(&SECRET.repeat(4), &Value::Object(claims));
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&forged))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Signature verification failed")
        ),
    );
}

#[actix_web::test]
async fn algorithms_stay_pinned_whatever_the_loader_returns() {
    for wait in [false, true] {
        let tenants = Tenants::new();
        // The RSA public key, as a loader that serves both kinds might return.
        tenants.add(
            "rsa",
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem")).unwrap(),
        );
        let jwt = tenant_manager(&tenants, wait)
            .decode_algorithms([Algorithm::HS256, Algorithm::RS256])
            .build()
            .unwrap();
        let app = tenant_app!(jwt.clone());
        let payload = |tenant: &str| json!({"sub": "eve", "type": "access", "tenant": tenant, "exp": now() + 60});
        // Algorithm confusion: HS256 keyed with the public key's PEM bytes.
        let public = String::from_utf8(pem("rs256_public.pem")).unwrap();
        let confused = hs256_with(&public, &payload("rsa"));
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&confused))).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                msg("The specified alg value is not allowed")
            ),
            "{wait}"
        );
        // An algorithm outside the decode set never reaches the loader.
        let before = tenants.calls();
        let hs512 = forge(
            &json!({"alg": "HS512", "typ": "JWT"}),
            &payload("acme"),
            &secret_text(1),
            Algorithm::HS512,
        );
        let none = format!(
            "{}.{}.",
            crate::common::b64(br#"{"alg":"none"}"#),
            crate::common::b64(payload("acme").to_string().as_bytes())
        );
        for token in [hs512, none] {
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    msg("The specified alg value is not allowed")
                ),
            );
        }
        // Nor does a token that is not one.
        for garbage in ["abc", "a.b", "e30.e30.!!"] {
            assert_eq!(
                call(&app, Method::GET, "/p", Some(&bearer(garbage)))
                    .await
                    .0,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{garbage}"
            );
        }
        assert_eq!(tenants.calls(), before, "{wait}");
    }
}

#[actix_web::test]
async fn a_failing_or_panicking_loader_denies_with_500_and_logs_the_cause() {
    crate::common::capture_logs();
    struct Failing(bool);
    impl DecodeKeyLoader for Failing {
        type Error = String;
        async fn decode_key(
            &self,
            _: &Map<String, Value>,
            _: &Map<String, Value>,
        ) -> Result<Option<Key>, String> {
            actix_web::rt::task::yield_now().await;
            assert!(!self.0, "the key database is on fire");
            Err("connection refused".to_owned())
        }
    }
    let token = JwtManager::builder()
        .secret(SECRET.repeat(4))
        .build()
        .unwrap()
        .create_access_token("alice")
        .unwrap();
    let sync_failing = JwtManager::builder()
        .decode_key_loader(|_, _| Err::<Option<Key>, _>("timeout"))
        .build()
        .unwrap();
    let sync_panicking = JwtManager::builder()
        .decode_key_loader(|_, _| -> Result<Option<Key>, Infallible> { panic!("boom") })
        .build()
        .unwrap();
    for (jwt, cause) in [
        (
            JwtManager::builder().decode_key_loader_async(Failing(false)),
            "connection refused",
        ),
        (
            JwtManager::builder().decode_key_loader_async(Failing(true)),
            "it panicked",
        ),
    ]
    .map(|(builder, cause)| (builder.build().unwrap(), cause))
    .into_iter()
    .chain([(sync_failing, "timeout"), (sync_panicking, "it panicked")])
    {
        let app = tenant_app!(jwt);
        let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains(cause), "{body}");
        let logs = crate::common::logs();
        assert!(
            logs.iter()
                .any(|line| line.contains(&format!("the decode key loader failed: {cause}"))),
            "{logs:?}"
        );
        assert!(!logs.iter().any(|line| line.contains(&token)));
    }
}

#[actix_web::test]
async fn a_short_secret_from_a_loader_is_refused_unless_allowed() {
    let short = Key::secret(Algorithm::HS256, b"tiny").unwrap();
    let (signing, verifying) = (short.clone(), short.clone());
    let build = |allow: bool| {
        let (signing, verifying) = (signing.clone(), verifying.clone());
        let builder = JwtManager::builder()
            .encode_key_loader(move |_| Ok::<_, Infallible>(Some(signing.clone())))
            .decode_key_loader(move |_, _| Ok::<_, Infallible>(Some(verifying.clone())));
        if allow {
            builder.allow_short_secret()
        } else {
            builder
        }
        .build()
        .unwrap()
    };
    let strict = build(false);
    assert!(matches!(
        strict.create_access_token("alice"),
        Err(JwtError::Creation(why)) if why.contains("RFC 7518")
    ));
    let relaxed = build(true);
    let token = relaxed.create_access_token("alice").unwrap();
    assert_eq!(relaxed.decode_token(&token).unwrap().identity(), "alice");
    let app = tenant_app!(strict);
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[actix_web::test]
async fn the_encode_loader_chooses_the_key_and_its_kid() {
    let jwt = JwtManager::builder()
        .secret(SECRET.repeat(4))
        .encode_key_loader(|identity| {
            Ok::<_, Infallible>(match identity.as_str() {
                Some("tenant-user") => Some(secret(5).with_kid("tenant-5")),
                _ => None,
            })
        })
        .build()
        .unwrap();
    let token = jwt.create_access_token("tenant-user").unwrap();
    let plain = jwt.create_access_token("someone").unwrap();
    // Without a decode loader the manager knows only its own secret.
    assert!(matches!(
        jwt.decode_token(&token),
        Err(JwtError::InvalidSignature)
    ));
    assert_eq!(jwt.decode_token(&plain).unwrap().header().get("kid"), None);
    let tenant = JwtManager::builder()
        .verification_key(secret(5).with_kid("tenant-5"))
        .build()
        .unwrap();
    let decoded = tenant.decode_token(&token).unwrap();
    assert_eq!(decoded.header()["kid"], "tenant-5");
    assert_eq!(decoded.identity(), "tenant-user");
}

#[actix_web::test]
async fn an_encode_loader_key_that_cannot_sign_the_managers_tokens_fails_creation() {
    let rsa_private = pem("rs256_private.pem");
    let cases: Vec<(Key, &str)> = vec![
        (
            Key::private_pem(Algorithm::RS256, &rsa_private).unwrap(),
            "cannot sign this manager's HS256 tokens",
        ),
        (
            Key::public_pem(Algorithm::RS256, pem("rs256_public.pem")).unwrap(),
            "cannot sign this manager's HS256 tokens",
        ),
        (
            Key::secret(Algorithm::HS512, [1u8; 64])
                .unwrap()
                .public_only(),
            "it is a public key",
        ),
    ];
    for (key, why) in cases {
        let jwt = JwtManager::builder()
            .secret(SECRET.repeat(4))
            .encode_key_loader(move |_| Ok::<_, Infallible>(Some(key.clone())))
            .build()
            .unwrap();
        match jwt.create_access_token("alice") {
            Err(JwtError::Creation(reason)) => assert!(reason.contains(why), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
    // A secret signs and verifies any HMAC algorithm, as in Flask.
    let key = Key::secret(Algorithm::HS256, [4u8; 64]).unwrap();
    let verifying = key.clone();
    let hs512 = JwtManager::builder()
        .algorithm(Algorithm::HS512)
        .secret([9u8; 64])
        .encode_key_loader(move |_| Ok::<_, Infallible>(Some(key.clone())))
        .decode_key_loader(move |_, _| Ok::<_, Infallible>(Some(verifying.clone())))
        .build()
        .unwrap();
    let token = hs512.create_access_token("alice").unwrap();
    assert_eq!(
        hs512.decode_token(&token).unwrap().algorithm(),
        Algorithm::HS512
    );
}

#[actix_web::test]
async fn a_failing_or_panicking_encode_loader_fails_creation() {
    let failing = JwtManager::builder()
        .secret(SECRET.repeat(4))
        .encode_key_loader(|_| Err::<Option<Key>, _>("vault sealed"))
        .build()
        .unwrap();
    let panicking = JwtManager::builder()
        .secret(SECRET.repeat(4))
        .encode_key_loader(|_| -> Result<Option<Key>, Infallible> { panic!("boom") })
        .build()
        .unwrap();
    for (jwt, cause) in [(failing, "vault sealed"), (panicking, "it panicked")] {
        for result in [
            jwt.create_access_token("a"),
            jwt.create_refresh_token("a"),
            jwt.create_token_pair("a").map(|pair| pair.access_token),
        ] {
            match result {
                Err(JwtError::Creation(reason)) => {
                    assert_eq!(reason, format!("the encode key loader failed: {cause}"))
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[actix_web::test]
async fn a_key_passed_per_call_signs_tokens_and_pairs() {
    let tenants = Tenants::new();
    let jwt = tenant_manager(&tenants, true)
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    // A key the handler awaited, for a tenant the encode loader does not know.
    let awaited = secret(7);
    tenants.add("globex", awaited.clone());
    let token = jwt
        .access_token_builder("hank")
        .claim("tenant", "globex")
        .signing_key(awaited.clone())
        .encode()
        .unwrap();
    assert_eq!(
        jwt.decode_token_async(&token).await.unwrap().identity(),
        "hank"
    );
    let options = PairOptions::new()
        .claim("tenant", "globex")
        .signing_key(awaited.clone());
    let pair = jwt.create_token_pair_with("hank", &options).unwrap();
    let app = tenant_app!(jwt.clone());
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&pair.access_token))).await;
    assert_eq!(
        (status, &body["tenant"]),
        (StatusCode::OK, &json!("globex"))
    );
    // Rotation with the same key; the old refresh token is then reused.
    let refresh = jwt.decode_token_async(&pair.refresh_token).await.unwrap();
    let rotated = jwt
        .rotate_refresh_token_with(&refresh, &options)
        .await
        .unwrap();
    let req = actix_test::TestRequest::post()
        .uri("/refresh")
        .insert_header((header::AUTHORIZATION, bearer(&rotated.refresh_token)));
    assert_eq!(send(&app, req).await.0, 200);
    assert!(matches!(
        jwt.rotate_refresh_token_with(&refresh, &options).await,
        Err(JwtError::Revoked)
    ));
    // The family was revoked with it: checked through the awaited loader.
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/p",
            Some(&bearer(&rotated.access_token))
        )
        .await,
        (StatusCode::UNAUTHORIZED, msg("Token has been revoked"))
    );
}

#[actix_web::test]
async fn every_route_policy_holds_with_an_awaited_loader() {
    let tenants = Tenants::new();
    let jwt = tenant_manager(&tenants, true)
        .access_token_expires(Duration::from_secs(60))
        .error_response(|error, token| match (error, token) {
            (JwtError::Expired, Some(token)) => {
                Some(HttpResponse::Unauthorized().json(json!({ "expired": token.identity() })))
            }
            _ => None,
        })
        .build()
        .unwrap();
    let app = tenant_app!(jwt.clone());
    let access = jwt.create_access_token("alice@acme").unwrap();
    let refresh = jwt.create_refresh_token("alice@acme").unwrap();
    // Kinds never cross.
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&refresh))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only non-refresh tokens are allowed")
        )
    );
    let post = |token: &str| {
        actix_test::TestRequest::post()
            .uri("/refresh")
            .insert_header((header::AUTHORIZATION, bearer(token)))
    };
    assert_eq!(
        send(&app, post(&access)).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("Only refresh tokens are allowed")
        )
    );
    assert_eq!(send(&app, post(&refresh)).await.0, 200);
    // Optional: no token passes; a bad one does not.
    assert_eq!(
        call(&app, Method::GET, "/optional", None).await,
        (StatusCode::OK, json!({ "identity": null }))
    );
    assert_eq!(
        call(&app, Method::GET, "/optional", Some(&bearer(&access))).await,
        (StatusCode::OK, json!({ "identity": "alice@acme" }))
    );
    assert_eq!(
        call(&app, Method::GET, "/optional", Some("Bearer x.y.z"))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Expired: 401, and the response hook gets the token.
    // Minted valid (its `exp` is rewritten below): a one-second token could
    // already have expired when decoded, on the next second.
    let expired = jwt.create_access_token("old@acme").unwrap();
    let mut claims = jwt
        .decode_token_async(&expired)
        .await
        .unwrap()
        .claims()
        .clone();
    claims.insert("exp".into(), json!(now() - 10));
    let expired = hs256_with(&secret_text(1), &Value::Object(claims));
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&expired))).await,
        (StatusCode::UNAUTHORIZED, json!({ "expired": "old@acme" }))
    );
    assert!(matches!(
        jwt.decode_token_async(&expired).await,
        Err(JwtError::Expired)
    ));
    let decoded = jwt
        .decode_token_allow_expired_async(&expired)
        .await
        .unwrap();
    assert_eq!(decoded.identity(), "old@acme");
    // Missing token: Flask's message.
    assert_eq!(
        call(&app, Method::GET, "/p", None).await,
        (
            StatusCode::UNAUTHORIZED,
            msg("Missing Authorization Header")
        )
    );
}

#[actix_web::test]
async fn decode_token_cannot_wait_for_an_awaited_loader_and_says_what_to_use() {
    let tenants = Tenants::new();
    let jwt = tenant_manager(&tenants, true).build().unwrap();
    let token = jwt.create_access_token("alice@acme").unwrap();
    for result in [
        jwt.decode_token(&token),
        jwt.decode_token_allow_expired(&token),
    ] {
        match result {
            Err(JwtError::Misconfigured(fix)) => {
                assert!(fix.contains("decode_token_async"), "{fix}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(tenants.calls(), 0);
    let decoded = jwt.decode_token_async(&token).await.unwrap();
    assert_eq!(decoded.claims()["tenant"], "acme");
    // A closure answers at once: decode_token uses it.
    let sync = tenant_manager(&tenants, false).build().unwrap();
    assert_eq!(sync.decode_token(&token).unwrap().identity(), "alice@acme");
}

#[actix_web::test]
async fn cookies_and_csrf_work_with_an_awaited_loader() {
    let tenants = Tenants::new();
    let jwt = cookie_manager(&tenants, &[TokenLocation::Cookies]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route(
                "/login",
                web::post().to(|jwt: web::Data<JwtManager>| async move {
                    let pair = jwt.create_token_pair("alice@acme")?;
                    Ok::<_, JwtError>(HttpResponse::Ok().set_pair_cookies(&jwt, &pair)?.finish())
                }),
            )
            .route("/p", web::post().to(whoami).wrap(JwtRequired::new())),
    )
    .await;
    let login = actix_test::call_service(
        &app,
        actix_test::TestRequest::post().uri("/login").to_request(),
    )
    .await;
    assert_eq!(login.status(), 200);
    let cookies: HashMap<String, String> = login
        .response()
        .cookies()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    let access = &cookies["access_token_cookie"];
    let csrf = &cookies["csrf_access_token"];
    let request = |csrf: &str| {
        actix_test::TestRequest::post()
            .uri("/p")
            .cookie(actix_web::cookie::Cookie::new(
                "access_token_cookie",
                access.clone(),
            ))
            .insert_header(("X-CSRF-TOKEN", csrf.to_owned()))
    };
    let (status, body) = send(&app, request(csrf)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["location"], "Cookies");
    assert_eq!(
        send(&app, request("not-the-csrf")).await,
        (
            StatusCode::UNAUTHORIZED,
            msg("CSRF double submit tokens do not match")
        )
    );
    // The setters still refuse what is not a token of the right kind.
    let mut response = HttpResponse::Ok();
    assert!(response.set_access_cookies(&jwt, "garbage").is_err());
    assert!(
        response
            .set_access_cookies(&jwt, &cookies["refresh_token_cookie"])
            .is_err()
    );
}

#[actix_web::test]
async fn a_manager_with_loaders_needs_no_key_of_its_own() {
    let tenants = Tenants::new();
    assert!(tenant_manager(&tenants, true).build().is_ok());
    // Signing alone, with nothing to verify: refused as before.
    assert_eq!(
        signing_tenants(JwtManager::builder(), &tenants)
            .build()
            .unwrap_err(),
        ConfigError::MissingSecret
    );
    // A decode loader alone: verifies, cannot sign.
    let verify_only = JwtManager::builder()
        .decode_key_loader(|_, _| Ok::<_, Infallible>(Some(secret(1))))
        .build()
        .unwrap();
    assert!(matches!(
        verify_only.create_access_token("a"),
        Err(JwtError::Creation(_))
    ));
    // Decode algorithms that no configured key verifies are the loader's.
    assert!(
        JwtManager::builder()
            .secret(SECRET.repeat(4))
            .decode_algorithms([Algorithm::HS256, Algorithm::RS256])
            .decode_key_loader(|_, _| Ok::<_, Infallible>(None))
            .build()
            .is_ok()
    );
}

#[actix_web::test]
async fn a_request_without_a_manager_key_or_a_loader_key_is_refused() {
    let jwt = JwtManager::builder()
        .decode_key_loader_async(AwaitingLoader(Tenants::default()))
        .build()
        .unwrap();
    let token = hs256_with(&SECRET.repeat(4), &json!({"sub": "x", "tenant": "nobody"}));
    let app = tenant_app!(jwt);
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            msg("No key is known for this token")
        )
    );
}

#[cfg(feature = "test-util")]
#[actix_web::test]
async fn the_test_utilities_work_with_an_awaited_loader() {
    use actix_jwt_extended::test::TestRequestExt;
    let tenants = Tenants::new();
    let jwt = cookie_manager(&tenants, &[TokenLocation::Cookies, TokenLocation::Headers]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/p", web::post().to(whoami).wrap(JwtRequired::new())),
    )
    .await;
    let cookies = actix_test::TestRequest::post()
        .uri("/p")
        .with_jwt_cookies(&jwt, "alice@acme");
    let (status, body) = send(&app, cookies).await;
    assert_eq!(
        (status, &body["location"]),
        (StatusCode::OK, &json!("Cookies"))
    );
    let header = actix_test::TestRequest::post()
        .uri("/p")
        .with_access_token(&jwt, "bob@initech");
    let (status, body) = send(&app, header).await;
    assert_eq!(
        (status, &body["tenant"]),
        (StatusCode::OK, &json!("initech"))
    );
}

#[actix_web::test]
async fn implicit_refresh_reissues_the_cookie_with_the_tenants_key() {
    use actix_jwt_extended::cookies::ImplicitRefresh;
    let tenants = Tenants::new();
    let jwt = cookie_manager(&tenants, &[TokenLocation::Cookies]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .wrap(ImplicitRefresh::new(Duration::from_secs(30 * 60)))
            .route("/p", web::get().to(whoami).wrap(JwtRequired::new())),
    )
    .await;
    let token = jwt.create_access_token("alice@acme").unwrap();
    let req = actix_test::TestRequest::get()
        .uri("/p")
        .cookie(actix_web::cookie::Cookie::new("access_token_cookie", token));
    let res = actix_test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    let renewed = res
        .response()
        .cookies()
        .find(|cookie| cookie.name() == "access_token_cookie")
        .expect("an access token expiring within the window is renewed")
        .value()
        .to_owned();
    // Signed with acme's key: the tenant's own verifier accepts it.
    let acme = JwtManager::builder()
        .verification_key(secret(1))
        .build()
        .unwrap();
    let decoded = acme.decode_token(&renewed).unwrap();
    assert_eq!(
        (decoded.identity(), &decoded.claims()["tenant"]),
        ("alice@acme", &json!("acme"))
    );
}
