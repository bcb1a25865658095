//! One event per rejected request, with why: through `tracing` with the
//! `tracing` feature, else through `log`; never a token or a CSRF value.

use actix_jwt_extended::JwtRequired;
use actix_web::{HttpResponse, http::Method, test, web};
use serde_json::json;

use crate::common::{bearer, call, flask_payload, hs256};

/// A Flask-style access token that expired a minute ago, signed with the
/// test secret.
fn expired_token() -> String {
    let mut payload = flask_payload("access");
    payload["exp"] = json!(crate::common::now() - 60);
    payload["iat"] = json!(crate::common::now() - 960);
    payload["nbf"] = payload["iat"].clone();
    hs256(&payload)
}

#[cfg(not(feature = "tracing"))]
#[actix_web::test]
async fn without_the_feature_a_rejection_is_one_log_line_with_its_fields() {
    crate::common::capture_logs();
    let jwt = crate::common::manager();
    let app = test::init_service(actix_web::App::new().app_data(web::Data::new(jwt)).route(
        "/log-events/{id}",
        web::get().to(HttpResponse::Ok).wrap(JwtRequired::new()),
    ))
    .await;
    let token = expired_token();
    let (status, _) = call(
        &app,
        Method::GET,
        "/log-events/7?x=1",
        Some(&bearer(&token)),
    )
    .await;
    assert_eq!(status, 401);
    let lines: Vec<String> = crate::common::logs()
        .into_iter()
        .filter(|line| line.contains("/log-events/"))
        .collect();
    assert_eq!(
        lines,
        [
            r#"actix-jwt-extended: request rejected reason=expired status=401 method="GET" route="/log-events/{id}" jti="11111111-2222-4333-8444-555555555555" sub="test""#
        ]
    );
    assert!(
        crate::common::logs()
            .iter()
            .all(|line| !line.contains(&token))
    );
}

/// Without the feature, a server-side failure is one ERROR line that names
/// its cause: the fix for a set-up mistake, or why a token could not be
/// created (which the client is not told).
#[cfg(not(feature = "tracing"))]
#[actix_web::test]
async fn without_the_feature_a_server_side_failure_logs_its_cause() {
    use actix_jwt_extended::{CurrentUser, JwtError, JwtManager};
    crate::common::capture_logs();
    async fn user(user: CurrentUser<String>) -> HttpResponse {
        HttpResponse::Ok().body(String::clone(&user))
    }
    async fn mint(jwt: web::Data<JwtManager>) -> Result<HttpResponse, JwtError> {
        let token = jwt
            .access_token_builder("alice")
            .claim("log_cause_uid", "mallory")
            .encode()?;
        Ok(HttpResponse::Ok().body(token))
    }
    let jwt = JwtManager::builder()
        .secret(crate::common::SECRET)
        .allow_short_secret()
        .identity_claim("log_cause_uid")
        .build()
        .unwrap();
    let token = jwt.create_access_token("alice").unwrap();
    let app = test::init_service(
        actix_web::App::new()
            .app_data(web::Data::new(jwt))
            .route("/log-causes/user", web::get().to(user))
            .route("/log-causes/mint", web::post().to(mint)),
    )
    .await;
    let unconfigured =
        test::init_service(actix_web::App::new().route("/log-causes/none", web::get().to(user)))
            .await;
    let answers = [
        call(&app, Method::GET, "/log-causes/user", Some(&bearer(&token))).await,
        call(&app, Method::POST, "/log-causes/mint", None).await,
        call(
            &unconfigured,
            Method::GET,
            "/log-causes/none",
            Some(&bearer(&token)),
        )
        .await,
    ];
    // The client gets each error's own message: a misconfiguration's fix,
    // and for the other two no cause.
    assert_eq!(
        answers.map(|(status, body)| (status.as_u16(), body)),
        [
            (
                500,
                json!({ "msg": "CurrentUser needs a user loader: register one with JwtManagerBuilder::user_loader" })
            ),
            (500, json!({ "msg": "Could not create a token" })),
            (
                500,
                json!({ "msg": "JWT authentication is not configured on this server" })
            ),
        ]
    );
    let lines: Vec<String> = crate::common::logs()
        .into_iter()
        .filter(|line| line.contains("/log-causes/") || line.contains("log_cause_uid"))
        .collect();
    assert_eq!(
        lines,
        [
            r#"actix-jwt-extended: request rejected reason=misconfigured status=500 method="GET" route="/log-causes/user" cause="CurrentUser needs a user loader: register one with JwtManagerBuilder::user_loader""#,
            r#"actix-jwt-extended: request rejected reason=creation_failed status=500 cause="could not create a token: claim \"log_cause_uid\" is reserved; use the TokenBuilder option for it""#,
            r#"actix-jwt-extended: request rejected reason=not_configured status=500 method="GET" route="/log-causes/none" cause="no JwtManager in app data; register it with `App::new().app_data(web::Data::new(jwt.clone()))`""#,
        ]
    );
}

#[cfg(feature = "tracing")]
mod with_tracing {
    use actix_jwt_extended::{
        Claims, JwtError, JwtIdentity, JwtManager,
        config::TokenLocation,
        cookies::CookieConfig,
        store::{MemoryStore, StoreError, TokenFacts, TokenStore},
    };
    use actix_web::{App, http::header};
    use jsonwebtoken::Algorithm;
    use tracing::Level;

    use super::*;
    use crate::common::{
        SECRET, csrf_of,
        events::{Captured, capture},
        forge, manager, manager_with, send,
    };

    /// A token store that is down.
    struct DownStore;

    impl TokenStore for DownStore {
        async fn is_revoked(&self, _: TokenFacts<'_>) -> Result<bool, StoreError> {
            Err(StoreError::new("connection refused (events-outage-91c2)"))
        }
    }

    /// The one rejection event of a request.
    fn one(events: Vec<Captured>) -> Captured {
        assert_eq!(events.len(), 1, "{events:#?}");
        events.into_iter().next().unwrap()
    }

    fn assert_fields(event: &Captured, expected: &[(&str, &str)]) {
        let fields: Vec<(&str, &str)> = event
            .fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(fields, expected, "{event:#?}");
    }

    /// No field or message of any event quotes one of `secrets`.
    fn assert_never_shown(events: &[Captured], secrets: &[&str]) {
        for event in events {
            for value in event.fields.values() {
                for secret in secrets {
                    assert!(!value.contains(secret), "{secret} in {event:#?}");
                }
            }
        }
    }

    #[actix_web::test]
    async fn each_client_rejection_is_one_debug_event_with_its_reason() {
        let (events, _guard) = capture();
        let jwt = manager();
        let app = crate::common::guarded!(
            jwt.clone(),
            (
                "/users/{id}",
                web::get().to(HttpResponse::Ok).wrap(JwtRequired::new())
            )
        );

        assert_eq!(call(&app, Method::GET, "/p", None).await.0, 401);
        let missing = one(events.take_rejections());
        assert_eq!(missing.level, Level::DEBUG);
        assert_fields(
            &missing,
            &[
                ("message", "request rejected"),
                ("method", "GET"),
                ("reason", "missing_token"),
                ("route", "/p"),
                ("status", "401"),
            ],
        );

        // An expired token's signature held: its jti and identity are facts.
        let expired = expired_token();
        let (status, _) = call(
            &app,
            Method::GET,
            "/users/42?page=2",
            Some(&bearer(&expired)),
        )
        .await;
        assert_eq!(status, 401);
        let event = one(events.take_rejections());
        assert_fields(
            &event,
            &[
                ("jti", "11111111-2222-4333-8444-555555555555"),
                ("message", "request rejected"),
                ("method", "GET"),
                ("reason", "expired"),
                ("route", "/users/{id}"),
                ("status", "401"),
                ("sub", "test"),
            ],
        );

        // A forged token shows nothing of its claims.
        let forged = forge(
            &json!({"alg": "HS256"}),
            &flask_payload("access"),
            "not-the-secret",
            Algorithm::HS256,
        );
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&forged)))
                .await
                .0,
            422
        );
        let event = one(events.take_rejections());
        assert_eq!(event.field("reason"), Some("invalid_signature"));
        assert_eq!(event.field("status"), Some("422"));
        assert_eq!((event.field("jti"), event.field("sub")), (None, None));

        let refresh = jwt.create_refresh_token("bob").unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&refresh)))
                .await
                .0,
            422
        );
        let event = one(events.take_rejections());
        assert_eq!(event.field("reason"), Some("wrong_token_type"));
        assert_eq!(event.field("sub"), Some("bob"));
        let refresh_jti = jwt
            .decode_token(&refresh)
            .unwrap()
            .jti()
            .unwrap()
            .to_owned();
        assert_eq!(event.field("jti"), Some(refresh_jti.as_str()));

        assert_eq!(
            call(&app, Method::GET, "/p", Some("Bearer a b")).await.0,
            422
        );
        assert_eq!(
            one(events.take_rejections()).field("reason"),
            Some("bad_authorization_header")
        );

        let access = jwt.create_access_token("carol").unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&access)))
                .await
                .0,
            200
        );
        assert!(events.rejections().is_empty());
        assert_never_shown(
            &events.rejections(),
            &[&expired, &forged, &refresh, &access, SECRET],
        );
    }

    #[actix_web::test]
    async fn a_revoked_token_is_named_by_its_jti_and_identity() {
        let (events, _guard) = capture();
        let jwt = manager_with(MemoryStore::new());
        let app = crate::common::guarded!(jwt.clone());
        let token = jwt.create_access_token("dave").unwrap();
        let decoded = jwt.decode_token(&token).unwrap();
        jwt.revoke_token(&decoded).await.unwrap();
        assert_eq!(
            call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
            401
        );
        let event = one(events.rejections());
        assert_eq!(event.field("reason"), Some("revoked"));
        assert_eq!(event.field("jti"), decoded.jti());
        assert_eq!(event.field("sub"), Some("dave"));
        assert_never_shown(&[event], &[&token]);
    }

    #[actix_web::test]
    async fn a_csrf_mismatch_never_shows_the_csrf_values_or_the_token() {
        let (events, _guard) = capture();
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .token_location([TokenLocation::Cookies])
            .cookies(CookieConfig::new())
            .build()
            .unwrap();
        let app = crate::common::guarded!(
            jwt.clone(),
            (
                "/cookies",
                web::post().to(HttpResponse::Ok).wrap(JwtRequired::new())
            )
        );
        let token = jwt.create_access_token("erin").unwrap();
        let csrf = csrf_of(&jwt, &token);
        let sent = "00000000-0000-4000-8000-000000000000";
        let req = test::TestRequest::post()
            .uri("/cookies")
            .cookie(actix_web::cookie::Cookie::new(
                "access_token_cookie",
                token.clone(),
            ))
            .cookie(actix_web::cookie::Cookie::new(
                "csrf_access_token",
                csrf.clone(),
            ))
            .insert_header(("X-CSRF-TOKEN", sent));
        assert_eq!(send(&app, req).await.0, 401);
        let event = one(events.rejections());
        assert_eq!(event.field("reason"), Some("csrf_mismatch"));
        assert_eq!(event.field("route"), Some("/cookies"));
        assert_never_shown(&[event], &[&token, &csrf, sent]);
    }

    #[actix_web::test]
    async fn nested_guards_and_extractors_emit_one_event_per_request() {
        let (events, _guard) = capture();
        let jwt = manager_with(MemoryStore::new());
        async fn both(identity: JwtIdentity, claims: Claims) -> HttpResponse {
            HttpResponse::Ok().body(format!("{} {}", identity.as_str(), claims.identity()))
        }
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .service(web::scope("/api").wrap(JwtRequired::new()).route(
                    "/settings",
                    web::post().to(both).wrap(JwtRequired::new().fresh()),
                ))
                .route("/open", web::get().to(both)),
        )
        .await;
        let stale = jwt.create_access_token("frank").unwrap();
        for (method, path, authorization, reason) in [
            (
                Method::POST,
                "/api/settings",
                Some(bearer(&stale)),
                "not_fresh",
            ),
            (Method::POST, "/api/settings", None, "missing_token"),
            (Method::GET, "/open", None, "missing_token"),
            (
                Method::GET,
                "/open",
                Some(bearer(&expired_token())),
                "expired",
            ),
        ] {
            let (status, _) = call(&app, method, path, authorization.as_deref()).await;
            assert!(status.is_client_error(), "{path}: {status}");
            let event = one(events.take_rejections());
            assert_eq!(event.field("reason"), Some(reason), "{path}");
        }
    }

    #[actix_web::test]
    async fn a_store_outage_is_one_error_event_with_its_cause() {
        let (events, _guard) = capture();
        let jwt = manager_with(DownStore);
        async fn both(identity: JwtIdentity, claims: Claims) -> HttpResponse {
            HttpResponse::Ok().body(format!("{} {}", identity.as_str(), claims.identity()))
        }
        async fn maybe(identity: Option<JwtIdentity>) -> HttpResponse {
            HttpResponse::Ok().body(identity.map(|id| id.to_string()).unwrap_or_default())
        }
        let app = crate::common::guarded!(
            jwt.clone(),
            ("/both", web::get().to(both)),
            ("/maybe", web::get().to(maybe))
        );
        let token = jwt.create_access_token("grace").unwrap();
        for path in ["/p", "/both"] {
            assert_eq!(
                call(&app, Method::GET, path, Some(&bearer(&token))).await.0,
                503
            );
            let event = one(events.take_rejections());
            assert_eq!(event.level, Level::ERROR, "{path}");
            assert_eq!(event.field("reason"), Some("store_unavailable"));
            assert_eq!(event.field("status"), Some("503"));
            assert_eq!(event.field("route"), Some(path));
            assert!(
                event.field("cause").unwrap().contains("events-outage-91c2"),
                "{event:#?}"
            );
        }
        // `Option<JwtIdentity>` takes `None`: no rejection, but the outage
        // is still reported.
        assert_eq!(
            call(&app, Method::GET, "/maybe", Some(&bearer(&token)))
                .await
                .0,
            200
        );
        let event = one(events.take_rejections());
        assert_eq!(event.field("reason"), Some("store_unavailable"));
        assert_eq!(event.level, Level::ERROR);
        // Without a token an optional extractor rejects nothing.
        assert_eq!(call(&app, Method::GET, "/maybe", None).await.0, 200);
        assert!(events.rejections().is_empty());
    }

    /// Two extractors that fail at once, with nothing to wait for: one
    /// error is answered, the other dropped; one event.
    #[actix_web::test]
    async fn two_failing_extractors_emit_one_event() {
        let (events, _guard) = capture();
        async fn both(identity: JwtIdentity, claims: Claims) -> HttpResponse {
            HttpResponse::Ok().body(format!("{} {}", identity.as_str(), claims.identity()))
        }
        let panicking = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .verify_claims(|_| panic!("a bug in the claims hook"))
            .build()
            .unwrap();
        let token = panicking.create_access_token("ivan").unwrap();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(panicking))
                .route("/both", web::get().to(both)),
        )
        .await;
        assert_eq!(
            call(&app, Method::GET, "/both", Some(&bearer(&token)))
                .await
                .0,
            500
        );
        let event = one(events.take_rejections());
        assert_eq!(event.field("reason"), Some("hook_failed"));
        assert_eq!(event.field("sub"), Some("ivan"));

        // No manager at all: the event names the route and the fix.
        let unconfigured = test::init_service(App::new().route("/both", web::get().to(both))).await;
        assert_eq!(call(&unconfigured, Method::GET, "/both", None).await.0, 500);
        let event = one(events.take_rejections());
        assert_eq!(event.field("reason"), Some("not_configured"));
        assert_eq!(event.field("route"), Some("/both"));
        assert!(
            event.field("cause").unwrap().contains("app_data"),
            "{event:#?}"
        );
    }

    #[actix_web::test]
    async fn a_token_in_the_query_string_never_reaches_the_event() {
        let (events, _guard) = capture();
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .allow_short_secret()
            .token_location([TokenLocation::QueryString])
            .build()
            .unwrap();
        let app = crate::common::guarded!(jwt.clone());
        let refresh = jwt.create_refresh_token("heidi").unwrap();
        let (status, _) = call(&app, Method::GET, &format!("/p?jwt={refresh}"), None).await;
        assert_eq!(status, 422);
        let event = one(events.rejections());
        assert_eq!(event.field("route"), Some("/p"));
        assert_never_shown(&[event], &[&refresh]);
    }

    #[actix_web::test]
    async fn an_error_a_handler_returns_is_reported_once_without_a_route() {
        let (events, _guard) = capture();
        async fn decode(
            jwt: web::Data<JwtManager>,
            body: String,
        ) -> Result<HttpResponse, JwtError> {
            let token = jwt.decode_token(&body)?;
            Ok(HttpResponse::Ok().body(token.identity().to_owned()))
        }
        let jwt = manager();
        let app = crate::common::guarded!(jwt.clone(), ("/decode", web::post().to(decode)));
        let req = test::TestRequest::post()
            .uri("/decode")
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload(expired_token());
        assert_eq!(send(&app, req).await.0, 401);
        let event = one(events.rejections());
        assert_eq!(event.field("reason"), Some("expired"));
        assert_eq!(event.field("route"), None);
    }
}
