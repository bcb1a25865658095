//! One request pipeline: each token is verified, checked against the store and
//! run through the hooks once per request, however many guards and
//! extractors read it; and every error the crate hands out answers the same
//! way, whether a guard, an extractor or a handler's `?` raised it.

use std::{
    convert::Infallible,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering::SeqCst},
    },
    time::Duration,
};

use actix_jwt_extended::{
    Claims, CurrentUser, JwtIdentity, JwtManager, JwtRequestExt, JwtRequired, RefreshRequired,
    Require,
    config::ErrorFormat,
    manager::{JwtManagerBuilder, UserLoader},
    store::{MemoryStore, StoreError, TokenFacts, TokenStore},
    token::DecodedToken,
};
use actix_web::{
    App, HttpRequest, HttpResponse,
    http::{Method, StatusCode, header},
    test, web,
};
use serde_json::{Value, json};

use crate::common::{SECRET, bearer, call, send};

/// How often each stateful step ran.
#[derive(Default)]
struct Counts {
    verify_claims: AtomicUsize,
    user_loads: AtomicUsize,
    store_lookups: AtomicUsize,
}

impl Counts {
    fn get(&self) -> [usize; 3] {
        [
            self.verify_claims.load(SeqCst),
            self.user_loads.load(SeqCst),
            self.store_lookups.load(SeqCst),
        ]
    }
}

struct CountingLoader(Arc<Counts>);

impl UserLoader for CountingLoader {
    type User = String;
    type Error = Infallible;

    async fn load(&self, token: &DecodedToken) -> Result<Option<String>, Infallible> {
        self.0.user_loads.fetch_add(1, SeqCst);
        // Yield, so that a second reader polled meanwhile would start its own load.
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        Ok(Some(format!("user {}", token.identity())))
    }
}

struct CountingStore(Arc<Counts>, MemoryStore);

impl TokenStore for CountingStore {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        self.0.store_lookups.fetch_add(1, SeqCst);
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        self.1.is_revoked(token).await
    }
}

/// A manager whose hooks, user loader and store count their calls; the
/// verified-token cache is off so nothing is served from memory.
fn counted() -> (JwtManager, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let seen = Arc::clone(&counts);
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_cache(0)
        .verify_claims(move |_| {
            seen.verify_claims.fetch_add(1, SeqCst);
            true
        })
        .user_loader(CountingLoader(Arc::clone(&counts)))
        .token_store(CountingStore(Arc::clone(&counts), MemoryStore::new()))
        .build()
        .unwrap();
    (jwt, counts)
}

async fn three_extractors(
    identity: JwtIdentity,
    claims: Claims,
    user: CurrentUser<String>,
) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "identity": identity.as_str(),
        "sub": claims["sub"],
        "user": *user,
    }))
}

#[actix_web::test]
async fn a_guard_and_three_extractors_verify_load_and_look_up_once() {
    let (jwt, counts) = counted();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(App::new().app_data(web::Data::new(jwt)).route(
        "/p",
        web::get().to(three_extractors).wrap(JwtRequired::new()),
    ))
    .await;
    for round in 1..=3 {
        let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"], "user alice");
        assert_eq!(counts.get(), [round; 3]);
    }
}

#[actix_web::test]
async fn three_extractors_without_a_guard_verify_load_and_look_up_once() {
    let (jwt, counts) = counted();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/p", web::get().to(three_extractors)),
    )
    .await;
    for round in 1..=3 {
        let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["identity"], "alice");
        assert_eq!(counts.get(), [round; 3]);
    }
    // A refused token stops at verification: no hook, no store.
    let refresh = {
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .build()
            .unwrap();
        jwt.create_refresh_token("alice").unwrap()
    };
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&refresh))).await;
    assert_eq!(status, 422);
    assert_eq!(body, json!({"msg": "Only non-refresh tokens are allowed"}));
    assert_eq!(counts.get(), [3; 3]);
}

#[actix_web::test]
async fn nested_guards_verify_load_and_look_up_once() {
    let (jwt, counts) = counted();
    let token = jwt.create_access_token("alice").unwrap();
    let fresh = jwt
        .access_token_builder("alice")
        .fresh(true)
        .encode()
        .unwrap();
    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt)).service(
            web::scope("/api")
                .wrap(JwtRequired::new())
                .route(
                    "/p",
                    web::get().to(three_extractors).wrap(JwtRequired::new()),
                )
                .route(
                    "/fresh",
                    web::get()
                        .to(three_extractors)
                        .wrap(JwtRequired::new().fresh()),
                ),
        ),
    )
    .await;
    let (status, body) = call(&app, Method::GET, "/api/p", Some(&bearer(&token))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counts.get(), [1; 3]);
    // The inner guard's own policy still applies, without a second round of hooks.
    let (status, body) = call(&app, Method::GET, "/api/fresh", Some(&bearer(&token))).await;
    assert_eq!(status, 401);
    assert_eq!(body, json!({"msg": "Fresh token required"}));
    assert_eq!(counts.get(), [2; 3]);
    let (status, _) = call(&app, Method::GET, "/api/fresh", Some(&bearer(&fresh))).await;
    assert_eq!(status, 200);
    assert_eq!(counts.get(), [3; 3]);
}

/// Without a store or a user loader nothing is awaited: the claims hook
/// still runs once per request.
#[actix_web::test]
async fn without_a_store_or_loader_the_claims_hook_runs_once_per_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .verify_claims(move |_| {
            seen.fetch_add(1, SeqCst);
            true
        })
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let handler = |_: JwtIdentity, _: Claims, _: JwtIdentity| async { HttpResponse::Ok().finish() };
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/bare", web::get().to(handler))
            .service(
                web::scope("/api")
                    .wrap(JwtRequired::new())
                    .route("/p", web::get().to(handler).wrap(JwtRequired::new())),
            ),
    )
    .await;
    for (round, path) in [(1, "/bare"), (2, "/api/p"), (3, "/bare"), (4, "/api/p")] {
        assert_eq!(
            call(&app, Method::GET, path, Some(&bearer(&token))).await.0,
            200
        );
        assert_eq!(calls.load(SeqCst), round, "{path}");
    }
}

#[actix_web::test]
async fn the_error_response_hook_runs_once_for_several_failing_extractors() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .error_response(move |_, _| {
            seen.fetch_add(1, SeqCst);
            None
        })
        .build()
        .unwrap();
    let app =
        test::init_service(App::new().app_data(web::Data::new(jwt)).route(
            "/p",
            web::get().to(|_: JwtIdentity, _: Claims, _: JwtIdentity| async {
                HttpResponse::Ok().finish()
            }),
        ))
        .await;
    let (status, body) = call(&app, Method::GET, "/p", Some("Bearer not.a.token")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(calls.load(SeqCst), 1);
}

#[actix_web::test]
async fn other_middleware_reads_the_verified_token_through_the_extension_trait() {
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .wrap(actix_web::middleware::from_fn(
                |req, next: actix_web::middleware::Next<_>| async move {
                    let before = actix_jwt_extended::JwtRequestExt::verified_token(&req).is_none();
                    let mut res = next.call(req).await?;
                    let who = res
                        .verified_token()
                        .map_or("nobody".to_owned(), |token| token.identity().to_owned());
                    res.headers_mut().insert(
                        header::HeaderName::from_static("x-who"),
                        header::HeaderValue::from_str(&format!("{who} {before}")).unwrap(),
                    );
                    Ok::<_, actix_web::Error>(res)
                },
            ))
            .route(
                "/p",
                web::get()
                    .to(|req: HttpRequest| async move {
                        HttpResponse::Ok().body(req.verified_token().unwrap().identity().to_owned())
                    })
                    // A middleware inside the guard sees the token on the `ServiceRequest`.
                    .wrap(actix_web::middleware::from_fn(
                        |req: actix_web::dev::ServiceRequest,
                         next: actix_web::middleware::Next<_>| async move {
                            let who = req
                                .verified_token()
                                .map(|token| token.identity().to_owned());
                            let mut res = next.call(req).await?;
                            res.headers_mut().insert(
                                header::HeaderName::from_static("x-inner"),
                                header::HeaderValue::from_str(&who.unwrap_or_default()).unwrap(),
                            );
                            Ok::<_, actix_web::Error>(res)
                        },
                    ))
                    .wrap(JwtRequired::new()),
            )
            .route("/open", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/p")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.headers().get("x-who").unwrap(), "alice true");
    assert_eq!(res.headers().get("x-inner").unwrap(), "alice");
    assert_eq!(test::read_body(res).await, "alice");
    let req = test::TestRequest::get()
        .uri("/open")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.headers().get("x-who").unwrap(), "nobody true");
}

/// The same expired token, refused by a guard and by `decode_token` in a
/// handler that returns the error with `?`.
async fn guard_and_handler_answers(builder: JwtManagerBuilder) -> [(u16, String, String); 2] {
    let jwt = builder.build().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "alice", "type": "access", "iat": now - 60, "exp": now - 30}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route(
                "/guarded",
                web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
            )
            .route(
                "/decode",
                web::post().to(|jwt: web::Data<JwtManager>, token: String| async move {
                    let token = jwt.decode_token(&token)?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().body(token.identity().to_owned()))
                }),
            ),
    )
    .await;
    let guarded = test::TestRequest::get()
        .uri("/guarded")
        .insert_header((header::AUTHORIZATION, format!("Bearer {expired}")))
        .to_request();
    let handled = test::TestRequest::post()
        .uri("/decode")
        .set_payload(expired)
        .to_request();
    let mut answers = Vec::new();
    for req in [guarded, handled] {
        let res = test::call_service(&app, req).await;
        let status = res.status().as_u16();
        let challenge = res
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        answers.push((status, challenge, body));
    }
    answers.try_into().unwrap()
}

#[actix_web::test]
async fn an_error_returned_with_question_mark_answers_like_the_guard() {
    let base = || JwtManager::builder().secret(SECRET).allow_short_secret();

    let [guard, handler] = guard_and_handler_answers(base().error_response(|error, token| {
        let identity = token.map_or("none", |token| token.identity());
        Some(
            HttpResponse::Unauthorized().json(json!({ "err": error.to_string(), "who": identity })),
        )
    }))
    .await;
    assert_eq!(guard, handler);
    assert_eq!(guard.0, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&guard.2).unwrap(),
        json!({"err": "Token has expired", "who": "alice"})
    );

    let [guard, handler] = guard_and_handler_answers(base().error_message_key("error")).await;
    assert_eq!(guard, handler);
    assert_eq!(guard.2, "{\"error\":\"Token has expired\"}\n");

    let [guard, handler] =
        guard_and_handler_answers(base().error_format(ErrorFormat::Rfc6750)).await;
    assert_eq!(guard, handler);
    assert_eq!(
        guard.1,
        r#"Bearer error="invalid_token", error_description="Token has expired""#
    );
}

/// A handler that asks two managers and returns the first one's error
/// answers with the first one's response: each worker thread remembers the
/// errors its managers handed out (the last eight), not only the last.
#[actix_web::test]
async fn an_error_from_the_first_of_two_managers_answers_with_its_response() {
    let keyed = |key: &str| {
        JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .error_message_key(key)
            .build()
            .unwrap()
    };
    let first = keyed("first");
    let second = keyed("second");
    let now = crate::common::now();
    let expired = crate::common::hs256(&json!({"sub": "alice", "type": "access", "exp": now - 30}));
    let app = test::init_service(App::new().route(
        "/two",
        web::post().to(move |token: String| {
            let (first, second) = (first.clone(), second.clone());
            async move {
                // The first manager's error, then another from the second.
                let kept = first.decode_token(&token).unwrap_err();
                let _other = second.decode_token("not a token").unwrap_err();
                Err::<HttpResponse, _>(kept)
            }
        }),
    ))
    .await;
    let req = test::TestRequest::post()
        .uri("/two")
        .set_payload(expired)
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        test::read_body(res).await,
        "{\"first\":\"Token has expired\"}\n"
    );
}

#[actix_web::test]
async fn api_errors_in_handlers_use_the_message_key_and_the_hook() {
    let reused = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&reused);
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .error_message_key("error")
        .token_store(MemoryStore::new())
        .on_refresh_reuse(move |_| {
            seen.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let no_store = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .error_message_key("error")
        .build()
        .unwrap();
    let pair = jwt.create_token_pair("alice").unwrap();
    let app = test::init_service(
        App::new().app_data(web::Data::new(jwt)).route(
            "/refresh",
            web::post()
                .to(|jwt: web::Data<JwtManager>, claims: Claims| async move {
                    let pair = jwt.rotate_refresh_token(claims.token()).await?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().json(pair))
                })
                .wrap(RefreshRequired::new()),
        ),
    )
    .await;
    let refresh = |token: &str| {
        test::TestRequest::post()
            .uri("/refresh")
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .to_request()
    };
    let res = test::call_service(&app, refresh(&pair.refresh_token)).await;
    assert_eq!(res.status(), 200);
    let res = test::call_service(&app, refresh(&pair.refresh_token)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        test::read_body(res).await,
        "{\"error\":\"Token has been revoked\"}\n"
    );
    assert_eq!(reused.load(SeqCst), 1);

    // Revoking without a store: a 500 with the configured key, not `msg`.
    let app = test::init_service(App::new().app_data(web::Data::new(no_store)).route(
        "/logout",
        web::delete().to(|jwt: web::Data<JwtManager>, claims: Claims| async move {
            jwt.revoke_token(claims.token()).await?;
            Ok::<_, actix_web::Error>(HttpResponse::Ok())
        }),
    ))
    .await;
    let token = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap()
        .create_access_token("alice")
        .unwrap();
    let req = test::TestRequest::delete()
        .uri("/logout")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        test::read_body(res).await,
        "{\"error\":\"revocation needs a token store: register one with JwtManagerBuilder::token_store\"}\n"
    );
}

struct DownStore;

impl TokenStore for DownStore {
    async fn is_revoked(&self, _: TokenFacts<'_>) -> Result<bool, StoreError> {
        Err(StoreError::new("connection refused (store-outage-7f3a)"))
    }
}

#[actix_web::test]
async fn a_store_outage_is_logged_even_when_the_error_hook_answers() {
    crate::common::capture_logs();
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_store(DownStore)
        .error_response(|error, _| {
            let status = actix_web::ResponseError::status_code(error);
            Some(HttpResponse::build(status).json(json!({"code": "busy"})))
        })
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(App::new().app_data(web::Data::new(jwt)).route(
        "/p",
        web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
    ))
    .await;
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
    assert_eq!(status, 503);
    assert_eq!(body, json!({"code": "busy"}));
    let lines = crate::common::logs();
    assert!(
        lines.iter().any(|line| line.contains("store-outage-7f3a")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|line| !line.contains(&token)));
}

/// Every answer of a guard, for one manager: valid, expired, refresh and
/// missing tokens, `OPTIONS` with and without one, and passing, failing,
/// panicking and asynchronous conditions.
#[cfg(feature = "test-util")]
async fn guard_answers(
    jwt: JwtManager,
    clock: &actix_jwt_extended::test::TestClock,
) -> Vec<(u16, Value)> {
    use actix_jwt_extended::Require;
    let ok = |guard: JwtRequired| {
        web::route()
            .to(|id: JwtIdentity| async move { HttpResponse::Ok().json(json!({ "id": id.as_str() })) })
            .wrap(guard)
    };
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/plain", ok(JwtRequired::new()))
            .route("/fresh", ok(JwtRequired::new().fresh()))
            .route("/optional", ok(JwtRequired::new().optional()))
            .route(
                "/admin",
                ok(JwtRequired::new().require(Require::claim_equals("role", "admin"))),
            )
            .route(
                "/panics",
                ok(JwtRequired::new().require(Require::check("never", |_| panic!("a bug")))),
            )
            .route(
                "/later",
                ok(JwtRequired::new()
                    .require(Require::check_async("Not alice", |token| async move {
                        token.identity() != "alice"
                    }))),
            ),
    )
    .await;
    let admin = jwt
        .access_token_builder("bob")
        .claims(json!({ "role": "admin" }))
        .encode()
        .unwrap();
    let expired = jwt
        .access_token_builder("bob")
        .expires(Duration::from_secs(1))
        .encode()
        .unwrap();
    let tokens = [
        Some(jwt.create_access_token("alice").unwrap()),
        Some(admin),
        Some(jwt.create_refresh_token("bob").unwrap()),
        Some(format!("{}x", jwt.create_access_token("bob").unwrap())),
        None,
    ];
    clock.advance(Duration::from_millis(2100));
    let mut answers = Vec::new();
    for path in [
        "/plain",
        "/fresh",
        "/optional",
        "/admin",
        "/panics",
        "/later",
    ] {
        for token in tokens.iter().chain([&Some(expired.clone())]) {
            for method in [Method::GET, Method::OPTIONS] {
                let (status, body) =
                    call(&app, method, path, token.as_deref().map(bearer).as_deref()).await;
                answers.push((status.as_u16(), body));
            }
        }
    }
    answers
}

#[cfg(feature = "test-util")]
#[actix_web::test]
async fn a_guard_answers_alike_whether_it_decides_at_once_or_waits() {
    let clock = actix_jwt_extended::test::TestClock::new();
    let at_once = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .build()
        .unwrap();
    // A store and a user loader make every check wait.
    let waiting = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .clock(&clock)
        .token_store(MemoryStore::new())
        .user_loader(CountingLoader(Arc::default()))
        .build()
        .unwrap();
    let answers = guard_answers(at_once, &clock).await;
    assert_eq!(answers, guard_answers(waiting, &clock).await);
    // The cases differ from each other: a guard that said the same to all would pass above.
    let statuses: std::collections::BTreeSet<u16> =
        answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [200, 401, 403, 422, 500].into());
}

/// Every view the extractors give of one request's identity, and their
/// `Debug`, which shows the identity and the user, never the token.
async fn every_view(
    identity: JwtIdentity,
    claims: Claims,
    user: CurrentUser<String>,
) -> HttpResponse {
    let as_ref: &str = identity.as_ref();
    HttpResponse::Ok().json(json!({
        "as_str": identity.as_str(),
        "as_ref": as_ref,
        "deref": &*identity,
        "display": identity.to_string(),
        "claims": claims.identity(),
        "debug": [format!("{identity:?}"), format!("{user:?}")],
    }))
}

#[actix_web::test]
async fn the_extractors_show_the_identity_every_way_and_debug_without_the_token() {
    let (jwt, _) = counted();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/p", web::get().to(every_view)),
    )
    .await;
    let (status, body) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "as_str": "alice", "as_ref": "alice", "deref": "alice",
            "display": "alice", "claims": "alice",
            "debug": ["JwtIdentity(\"alice\")", "CurrentUser(\"user alice\")"],
        })
    );
    assert!(!body.to_string().contains(&token));
}

#[actix_web::test]
async fn a_condition_debugs_as_its_message_and_scope() {
    assert_eq!(
        format!("{:?}", Require::claim_equals("role", "admin")),
        "Require { message: \"Insufficient permissions\", scope: None, .. }"
    );
    assert_eq!(
        format!("{:?}", Require::scopes(["a:read", "a:write"])),
        "Require { message: \"Insufficient scope\", scope: Some(\"a:read a:write\"), .. }"
    );
    // A guard lists its conditions.
    let guard = JwtRequired::new().require(Require::claim_equals("role", "admin"));
    assert!(
        format!("{guard:?}").contains(
            "requires: [Require { message: \"Insufficient permissions\", scope: None, .. }]"
        ),
        "{guard:?}"
    );
}

/// A synchronous condition before an asynchronous one runs once per
/// request, not once on the fast path and again on the awaited one.
#[actix_web::test]
async fn a_sync_condition_before_an_async_one_runs_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&runs);
    let guard = JwtRequired::new()
        .require(Require::check("Sync", move |_| {
            seen.fetch_add(1, SeqCst);
            true
        }))
        .require(Require::check_async("Async", |_| async { true }));
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route("/p", web::get().to(HttpResponse::Ok).wrap(guard)),
    )
    .await;
    for round in 1..=2 {
        let (status, _) = call(&app, Method::GET, "/p", Some(&bearer(&token))).await;
        assert_eq!(status, 200);
        assert_eq!(runs.load(SeqCst), round);
    }
}

/// Two guards on one request share a search only when they read the same
/// kind of token from the same locations: an access guard and a refresh
/// guard each read their own cookie, and a guard that reads cookies is not
/// satisfied by the token another guard found in the header.
#[actix_web::test]
async fn guards_share_a_search_only_for_the_same_kind_and_locations() {
    use actix_jwt_extended::config::TokenLocation::{Cookies, Headers};
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_location([Headers, Cookies])
        .build()
        .unwrap();
    let access = jwt.create_access_token("alice").unwrap();
    let refresh = jwt.create_refresh_token("alice").unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(jwt))
            .route(
                "/both-kinds",
                web::get()
                    .to(HttpResponse::Ok)
                    .wrap(RefreshRequired::new().locations([Cookies]))
                    .wrap(JwtRequired::new().locations([Cookies])),
            )
            .route(
                "/header-then-cookie",
                web::get()
                    .to(HttpResponse::Ok)
                    .wrap(JwtRequired::new().locations([Cookies]))
                    .wrap(JwtRequired::new().locations([Headers])),
            ),
    )
    .await;
    let get = |path: &str| test::TestRequest::get().uri(path);
    let cookies = format!("access_token_cookie={access}; refresh_token_cookie={refresh}");
    let both_kinds = get("/both-kinds").insert_header((header::COOKIE, cookies));
    assert_eq!(send(&app, both_kinds).await.0, 200);
    let header_only =
        get("/header-then-cookie").insert_header((header::AUTHORIZATION, bearer(&access)));
    assert_eq!(
        send(&app, header_only).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "msg": "Missing cookie \"access_token_cookie\"" })
        )
    );
    let header_and_cookie = get("/header-then-cookie")
        .insert_header((header::AUTHORIZATION, bearer(&access)))
        .insert_header((header::COOKIE, format!("access_token_cookie={access}")));
    assert_eq!(send(&app, header_and_cookie).await.0, 200);
}
