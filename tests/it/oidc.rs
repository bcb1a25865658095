//! Verify-only mode behind an OpenID provider, against a real provider
//! process (`tests/reference/oidc_provider.py`, Flask and PyJWT, started per
//! test on a free port with the Python of `.ci/run`'s venv).
#![cfg(feature = "oidc")]

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use actix_jwt_extended::{JwtManager, config::ConfigError, oidc::OidcProvider};
use actix_web::{
    App,
    http::{StatusCode, header},
    test as actix_test, web,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::common::{bearer, in_ci, skipped};

/// A provider process of this test's own.
struct Provider {
    child: Child,
    /// `127.0.0.1:<port>`.
    addr: String,
    url: String,
}

impl Provider {
    fn start() -> Option<Self> {
        let python = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/ci/flask-venv/bin/python"
        );
        if !std::path::Path::new(python).exists() {
            assert!(
                !in_ci(),
                "CI=true but {python} is missing: .ci/run creates it"
            );
            skipped("no Flask venv for the OpenID provider (bash .ci/run creates it)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/reference/oidc_provider.py"
            ))
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let url = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the OpenID provider did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, addr, url })
    }

    /// POSTs `body` to the provider's test control `path`.
    fn post(&self, path: &str, body: Value) -> Value {
        let body = body.to_string();
        crate::common::http(&self.addr, "POST", path, &[], body.as_bytes()).json()
    }

    fn token(&self, request: Value) -> String {
        self.post("/token", request)["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn jwks_fetches(&self) -> u64 {
        self.stat("jwks_fetches")
    }

    /// Discovery and JWKS requests the provider refused while down.
    fn refused_fetches(&self) -> u64 {
        self.stat("refused_fetches")
    }

    fn stat(&self, name: &str) -> u64 {
        crate::common::http(&self.addr, "GET", "/stats", &[], b"").json()[name]
            .as_u64()
            .unwrap()
    }

    fn provider(&self) -> OidcProvider {
        OidcProvider::discover(&self.url).audience("api")
    }

    /// [`provider`](Self::provider), with a key set that the provider
    /// publishes for one second and that is kept that long.
    fn provider_with_a_one_second_set(&self) -> OidcProvider {
        self.post("/max_age", json!({ "seconds": 1 }));
        self.provider()
            .cache_bounds(Duration::from_secs(1), Duration::from_secs(60))
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example's routes on `jwt`.
macro_rules! api {
    ($jwt:expr) => {
        actix_test::init_service(
            App::new()
                .app_data(web::Data::new($jwt))
                .configure(crate::examples::oidc_resource_server::routes),
        )
        .await
    };
}

/// Status, `WWW-Authenticate` and body of `GET path` with `token`.
async fn get<B: actix_web::body::MessageBody>(
    app: &impl crate::common::TestApp<B>,
    path: &str,
    token: &str,
) -> (StatusCode, String, Value) {
    let req = actix_test::TestRequest::get()
        .uri(path)
        .insert_header((header::AUTHORIZATION, bearer(token)));
    let res = actix_test::call_service(app, req.to_request()).await;
    let status = res.status();
    let challenge = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = actix_test::read_body(res).await;
    (
        status,
        challenge,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn build(provider: OidcProvider) -> JwtManager {
    JwtManager::builder()
        .oidc(provider)
        .unwrap()
        .build()
        .unwrap()
}

/// `token` with its header's `kid` replaced (its signature no longer fits).
fn with_kid(token: &str, kid: &str) -> String {
    let (header, rest) = token.split_once('.').unwrap();
    let mut header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"] = json!(kid);
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

/// `token` with one payload claim changed, its signature kept.
fn tampered(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("mallory");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}

#[actix_web::test]
async fn valid_tokens_pass_and_every_bad_one_is_invalid_token() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider()));
    for alg in ["RS256", "ES256"] {
        let token = provider.token(json!({ "alg": alg }));
        let (status, _, body) = get(&app, "/api/me", &token).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({ "sub": "alice" })),
            "{alg}"
        );
    }
    let now = crate::common::now() as i64;
    let rs = |claims: Value| provider.token(json!({ "alg": "RS256", "claims": claims }));
    let bad = [
        ("wrong aud", rs(json!({ "aud": "other-api" }))),
        ("no aud", rs(json!({ "aud": null }))),
        ("wrong iss", rs(json!({ "iss": "https://evil.example" }))),
        ("expired", rs(json!({ "exp": now - 120 }))),
        ("no exp", rs(json!({ "exp": null }))),
        ("nbf in the future", rs(json!({ "nbf": now + 120 }))),
        ("alg none", provider.token(json!({ "alg": "none" }))),
        (
            "HS256 keyed with the RSA public key",
            provider
                .token(json!({ "alg": "HS256", "kid": "rs-1", "sign_with": "public-key-as-hmac" })),
        ),
        (
            "a kid naming a key of another algorithm",
            with_kid(&provider.token(json!({ "alg": "ES256" })), "rs-1"),
        ),
        ("a tampered payload", tampered(&rs(json!({})))),
        (
            "an unknown signing key",
            provider.token(json!({ "alg": "RS256", "sign_with": "unpublished" })),
        ),
    ];
    for (what, token) in bad {
        let (status, challenge, _) = get(&app, "/api/me", &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(
            challenge.starts_with(r#"Bearer error="invalid_token""#),
            "{what}: {challenge}"
        );
    }
    // No token: a bare challenge.
    let res = actix_test::call_service(
        &app,
        actix_test::TestRequest::get().uri("/api/me").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );
}

#[actix_web::test]
async fn scopes_are_required_whole() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider()));
    let with = |claims: Value| provider.token(json!({ "alg": "ES256", "claims": claims }));
    for granted in [
        json!({ "scope": "read admin" }),
        json!({ "scp": ["admin"] }),
    ] {
        assert_eq!(
            get(&app, "/api/admin", &with(granted.clone())).await.0,
            StatusCode::OK,
            "{granted}"
        );
    }
    for refused in [
        json!({}),
        json!({ "scope": "administrator read" }),
        json!({ "scp": ["admins"] }),
    ] {
        let (status, challenge, _) = get(&app, "/api/admin", &with(refused.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            challenge.starts_with(r#"Bearer error="insufficient_scope""#)
                && challenge.ends_with(r#"scope="admin""#),
            "{challenge}"
        );
    }
}

#[actix_web::test]
async fn a_rotated_key_is_picked_up_and_unknown_kids_cannot_flood_the_provider() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider()));
    let first = provider.token(json!({ "alg": "RS256" }));
    assert_eq!(get(&app, "/api/me", &first).await.0, StatusCode::OK);
    // The provider rotates: the first request with the new kid passes.
    let kid = provider.post("/rotate", json!({ "alg": "RS256" }))["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = provider.token(json!({ "alg": "RS256", "kid": kid }));
    assert_eq!(get(&app, "/api/me", &rotated).await.0, StatusCode::OK);
    // A hundred concurrent requests with made-up kids: at most one fetch.
    let before = provider.jwks_fetches();
    let forged: Vec<String> = (0..100)
        .map(|i| with_kid(&first, &format!("made-up-{i}")))
        .collect();
    let answers =
        futures_util::future::join_all(forged.iter().map(|token| get(&app, "/api/me", token)))
            .await;
    assert!(
        answers
            .iter()
            .all(|(status, ..)| *status == StatusCode::UNAUTHORIZED)
    );
    assert!(
        provider.jwks_fetches() - before <= 1,
        "{} fetches",
        provider.jwks_fetches() - before
    );
    // And one after another: one fetch per refetch interval (10 s), not
    // one per request.
    let before = provider.jwks_fetches();
    for token in &forged[..10] {
        assert_eq!(
            get(&app, "/api/me", token).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(
        provider.jwks_fetches() - before <= 1,
        "{} fetches",
        provider.jwks_fetches() - before
    );
}

#[actix_web::test]
async fn the_last_good_keys_serve_while_the_provider_is_down() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(
        provider
            .provider()
            .refetch_interval(Duration::from_millis(100))
    ));
    let token = provider.token(json!({ "alg": "ES256" }));
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    provider.post("/down", json!({}));
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    let kid = provider.post("/rotate", json!({ "alg": "ES256" }))["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = provider.token(json!({ "alg": "ES256", "kid": kid }));
    assert_eq!(
        get(&app, "/api/me", &rotated).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Back up: the new key is picked up.
    provider.post("/up", json!({}));
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(get(&app, "/api/me", &rotated).await.0, StatusCode::OK);
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn a_provider_down_at_start_answers_503_until_it_is_up() {
    let Some(provider) = Provider::start() else {
        return;
    };
    provider.post("/down", json!({}));
    let app = api!(build(provider.provider()));
    let token = provider.token(json!({ "alg": "RS256" }));
    let (status, _, body) = get(&app, "/api/me", &token).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "msg": "Signing keys unavailable" })
        )
    );
    provider.post("/up", json!({}));
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn a_dropped_key_stops_verifying_once_the_cached_set_expires() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider_with_a_one_second_set()));
    let token = provider.token(json!({ "alg": "RS256" }));
    // The fetch the manager starts with is done: the set it holds is the
    // one with the key, not one fetched after the drop.
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.jwks_fetches() == 0 {
        assert!(Instant::now() < deadline, "the keys were never fetched");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    // An unknown kid refetches the set now; that must not hold off the
    // fetch when the set expires.
    assert_eq!(
        get(&app, "/api/me", &with_kid(&token, "made-up")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let fetches = provider.jwks_fetches();
    provider.post("/drop", json!({ "kid": "rs-1" }));
    // Still cached: accepted.
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_fetches(), fetches);
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        get(&app, "/api/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn keys_published_without_alg_verify_their_type_s_one_algorithm() {
    let Some(provider) = Provider::start() else {
        return;
    };
    provider.post("/omit_alg", json!({}));
    let app = api!(build(provider.provider()));
    for alg in ["RS256", "ES256"] {
        let token = provider.token(json!({ "alg": alg }));
        assert_eq!(
            get(&app, "/api/me", &token).await.0,
            StatusCode::OK,
            "{alg}"
        );
    }
    // The RSA key verifies RS256 only.
    let ps256 = provider.token(json!({ "alg": "PS256", "kid": "rs-1" }));
    assert_eq!(
        get(&app, "/api/me", &ps256).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn keys_are_fetched_at_start_inside_the_runtime() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider()));
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.jwks_fetches() == 0 {
        assert!(Instant::now() < deadline, "no fetch at start");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let token = provider.token(json!({ "alg": "RS256" }));
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_fetches(), 1);
}

#[actix_web::test]
async fn require_at_jwt_refuses_typ_jwt() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider().require_at_jwt(true)));
    let at_jwt = provider.token(json!({ "alg": "RS256", "typ": "at+jwt" }));
    let plain = provider.token(json!({ "alg": "RS256", "typ": "JWT" }));
    assert_eq!(get(&app, "/api/me", &at_jwt).await.0, StatusCode::OK);
    assert_eq!(
        get(&app, "/api/me", &plain).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn a_provider_needs_an_audience() {
    let missing = JwtManager::builder().oidc(OidcProvider::discover("https://id.example"));
    assert!(matches!(missing, Err(ConfigError::EmptyName(_))));
}

/// A provider that accepts connections and never answers is given up on
/// after the provider's own timeout: the request is answered 503 in about
/// that time, not after the HTTP client's default of 5 s.
#[actix_web::test]
async fn a_silent_provider_is_given_up_on_after_its_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let app = api!(build(
        OidcProvider::discover(&url)
            .audience("api")
            .timeout(Duration::from_millis(300))
    ));
    let segment = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let token = format!(
        "{}.{}.c2ln",
        segment(json!({ "alg": "RS256", "kid": "k" })),
        segment(json!({ "sub": "x" }))
    );
    let started = Instant::now();
    let (status, _, body) = get(&app, "/api/me", &token).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "msg": "Signing keys unavailable" })
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
}

/// A token without a `kid` is verified with the provider's key only while
/// the provider publishes exactly one; with several, it names none of them
/// and is refused.
#[actix_web::test]
async fn a_token_without_a_kid_needs_a_provider_with_one_key() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let token = provider.token(json!({ "alg": "RS256", "kid": false }));
    let (header, _) = token.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert!(header.get("kid").is_none(), "{header}");

    let two_keys = api!(build(provider.provider()));
    assert_eq!(
        get(&two_keys, "/api/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );

    provider.post("/drop", json!({ "kid": "es-1" }));
    let one_key = api!(build(provider.provider()));
    assert_eq!(get(&one_key, "/api/me", &token).await.0, StatusCode::OK);
}

/// A known key is served from the cached set: requests do not ask the
/// provider again while the set is fresh, also more than a second after
/// the last fetch.
#[actix_web::test]
async fn a_known_key_is_served_from_the_cached_set_without_asking_again() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(provider.provider()));
    let token = provider.token(json!({ "alg": "RS256" }));
    assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    let fetches = provider.jwks_fetches();
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..3 {
        // A new token each time, so the verifier's cache does not answer.
        let token = provider.token(json!({ "alg": "RS256" }));
        assert_eq!(get(&app, "/api/me", &token).await.0, StatusCode::OK);
    }
    assert_eq!(provider.jwks_fetches(), fetches);
}

/// While the provider is down and the cached set has expired, a known key
/// is served from the last good set, and the provider is asked again at most
/// once a second, even with a refetch interval shorter than that (the
/// interval paces fetches for unknown `kid`s, not retries against a provider
/// that is down).
#[actix_web::test]
async fn a_provider_that_is_down_is_retried_at_most_once_a_second_for_known_keys() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = api!(build(
        provider
            .provider_with_a_one_second_set()
            .refetch_interval(Duration::from_millis(50))
    ));
    // New tokens for each request, so the verifier's cache never answers;
    // minted now, so the requests below are all in this process.
    let tokens: Vec<String> = (0..7)
        .map(|_| provider.token(json!({ "alg": "RS256" })))
        .collect();
    let [first, expired, inside @ .., last] = tokens.as_slice() else {
        unreachable!("seven tokens")
    };
    let status = async |token: &str| get(&app, "/api/me", token).await.0;
    assert_eq!(status(first).await, StatusCode::OK);
    provider.post("/down", json!({}));
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    // The set has expired: this request tries a fetch, which is refused,
    // and is answered from the last good set.
    let before = Instant::now();
    assert_eq!(status(expired).await, StatusCode::OK);
    let after = Instant::now();
    assert_eq!(provider.refused_fetches(), 1);
    // Within the second after that try, known keys are served without
    // asking the provider again (a loaded machine may leave fewer requests
    // inside the second; each one inside it is checked).
    let mut checked = 0;
    for token in inside {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let sent = before.elapsed();
        assert_eq!(status(token).await, StatusCode::OK);
        if sent < Duration::from_millis(900) {
            assert_eq!(provider.refused_fetches(), 1, "{sent:?} after the try");
            checked += 1;
        }
    }
    assert!(checked > 0, "no request within the second");
    // A second after it, the provider is asked again.
    let due = after + Duration::from_millis(1050);
    actix_web::rt::time::sleep(due.saturating_duration_since(Instant::now())).await;
    assert_eq!(status(last).await, StatusCode::OK);
    assert_eq!(provider.refused_fetches(), 2);
}
