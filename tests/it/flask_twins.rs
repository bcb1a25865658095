//! Twins of Flask-JWT-Extended 4.7's own tests (`tests/` of its
//! repository), one module per Flask test file and one test per Flask test,
//! named after it and asserting the same statuses and bodies.

use actix_jwt_extended::{
    JwtManager, JwtRequired, RefreshRequired,
    config::{CookieConfig, TokenLocation},
    cookies::JwtCookies,
    store::{StoreError, TokenFacts, TokenStore},
};
use actix_web::{App, HttpRequest, HttpResponse, test as actix_test, web};
use serde_json::{Value, json};

use crate::common::{self, bearer, msg};

/// Flask's test secret.
const SECRET: &str = "foobarbaz";

fn builder() -> actix_jwt_extended::manager::JwtManagerBuilder {
    JwtManager::builder().secret(SECRET).allow_short_secret()
}

/// Status and JSON body of `req` on `app`.
async fn answer<B: actix_web::body::MessageBody>(
    app: &impl common::TestApp<B>,
    req: actix_test::TestRequest,
) -> (u16, Value) {
    let (status, body) = common::send(app, req).await;
    (status.as_u16(), body)
}

/// `tests/test_multiple_token_locations.py`.
mod multiple_token_locations {
    use super::*;

    async fn protected(req: HttpRequest) -> HttpResponse {
        use actix_jwt_extended::JwtRequestExt;
        let location = req.verified_token().and_then(|token| token.location());
        HttpResponse::Ok()
            .json(json!({"foo": "bar", "location": location.map(TokenLocation::as_str)}))
    }

    async fn cookie_login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
        Ok(HttpResponse::Ok()
            .set_access_cookies(&jwt, &jwt.create_access_token("username")?)?
            .json(json!({"login": true})))
    }

    const ALL: [TokenLocation; 4] = [
        TokenLocation::Headers,
        TokenLocation::Cookies,
        TokenLocation::QueryString,
        TokenLocation::Json,
    ];

    /// Flask's `app` fixture (the manager's locations) and
    /// `app_with_locations` (headers for the manager, all four on the route).
    fn managers(locations: &[TokenLocation]) -> JwtManager {
        builder()
            .token_location(locations.iter().copied())
            .cookies(CookieConfig::new().secure(false))
            .build()
            .unwrap()
    }

    macro_rules! app {
        ($jwt:expr, $guard:expr) => {
            actix_test::init_service(
                App::new()
                    .app_data(web::Data::new($jwt.clone()))
                    .route("/cookie_login", web::get().to(cookie_login))
                    .route("/protected", web::route().to(protected).wrap($guard)),
            )
            .await
        };
    }

    /// The `Cookie` header a browser sends after `/cookie_login`.
    async fn login_cookies<B: actix_web::body::MessageBody>(
        app: &impl common::TestApp<B>,
    ) -> String {
        let response = actix_test::call_service(
            app,
            actix_test::TestRequest::get()
                .uri("/cookie_login")
                .to_request(),
        )
        .await;
        response
            .response()
            .cookies()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Runs `check` on both of Flask's fixtures.
    macro_rules! on_both_apps {
        (|$app:ident, $jwt:ident| $body:block) => {{
            let $jwt = managers(&ALL);
            let $app = app!($jwt, JwtRequired::new());
            $body
            let $jwt = managers(&[TokenLocation::Headers]);
            let $app = app!($jwt, JwtRequired::new().locations(ALL));
            $body
        }};
    }

    #[actix_web::test]
    async fn test_header_access() {
        on_both_apps!(|app, jwt| {
            let token = jwt.create_access_token("username").unwrap();
            let req = actix_test::TestRequest::get()
                .uri("/protected")
                .insert_header(("Authorization", bearer(&token)));
            assert_eq!(
                answer(&app, req).await,
                (200, json!({"foo": "bar", "location": "headers"}))
            );
        });
    }

    #[actix_web::test]
    async fn test_cookie_access() {
        on_both_apps!(|app, jwt| {
            let _ = &jwt;
            let cookies = login_cookies(&app).await;
            let req = actix_test::TestRequest::get()
                .uri("/protected")
                .insert_header(("Cookie", cookies));
            assert_eq!(
                answer(&app, req).await,
                (200, json!({"foo": "bar", "location": "cookies"}))
            );
        });
    }

    #[actix_web::test]
    async fn test_query_string_access() {
        on_both_apps!(|app, jwt| {
            let token = jwt.create_access_token("username").unwrap();
            let req = actix_test::TestRequest::get().uri(&format!("/protected?jwt={token}"));
            assert_eq!(
                answer(&app, req).await,
                (200, json!({"foo": "bar", "location": "query_string"}))
            );
        });
    }

    #[actix_web::test]
    async fn test_json_access() {
        on_both_apps!(|app, jwt| {
            let token = jwt.create_access_token("username").unwrap();
            let req = actix_test::TestRequest::post()
                .uri("/protected")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(json!({"access_token": token}).to_string());
            assert_eq!(
                answer(&app, req).await,
                (200, json!({"foo": "bar", "location": "json"}))
            );
        });
    }

    #[actix_web::test]
    async fn test_no_jwt_in_request() {
        use TokenLocation::{Cookies, Headers, Json, QueryString};
        let cases = [
            (
                [Cookies, Headers],
                "Missing JWT in cookies or headers (Missing cookie \"access_token_cookie\"; Missing Authorization Header)",
            ),
            (
                [Json, QueryString],
                "Missing JWT in json or query_string (Invalid content-type. Must be application/json.; Missing 'jwt' query paramater)",
            ),
        ];
        for (locations, expected) in cases {
            let jwt = managers(&locations);
            let app = app!(jwt, JwtRequired::new());
            let req = actix_test::TestRequest::get().uri("/protected");
            assert_eq!(answer(&app, req).await, (401, msg(expected)));
        }
    }

    #[actix_web::test]
    async fn test_order_of_jwt_locations_in_request() {
        use TokenLocation::{Cookies, Headers};
        for locations in [[Cookies, Headers], [Headers, Cookies]] {
            let jwt = managers(&locations);
            let app = app!(jwt, JwtRequired::new());
            let cookies = login_cookies(&app).await;
            let req = actix_test::TestRequest::get()
                .uri("/protected")
                .insert_header(("Cookie", cookies));
            assert_eq!(
                answer(&app, req).await,
                (200, json!({"foo": "bar", "location": "cookies"}))
            );
        }
    }

    #[actix_web::test]
    async fn test_order_of_jwt_locations_with_one_invalid_token_in_request() {
        use TokenLocation::{Cookies, Headers};
        let cases = [
            (
                [Cookies, Headers],
                (200, json!({"foo": "bar", "location": "cookies"})),
            ),
            ([Headers, Cookies], (422, msg("Invalid header padding"))),
        ];
        for (locations, expected) in cases {
            let jwt = managers(&locations);
            let app = app!(jwt, JwtRequired::new());
            let token = jwt.create_access_token("username").unwrap();
            let invalid = format!("000000{}", &token[5..]);
            let cookies = login_cookies(&app).await;
            let req = actix_test::TestRequest::get()
                .uri("/protected")
                .insert_header(("Authorization", bearer(&invalid)))
                .insert_header(("Cookie", cookies));
            assert_eq!(answer(&app, req).await, expected, "{locations:?}");
        }
    }
}

/// `tests/test_blocklist.py`: `token_in_blocklist_loader` is a `TokenStore`
/// whose `is_revoked` answers.
mod blocklist {
    use super::*;

    /// Flask's `check_blocklisted`: the same answer for every token, after
    /// checking that it is the token the test minted.
    struct Blocklisted(bool);

    impl TokenStore for Blocklisted {
        async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
            assert_eq!(token.identity, "username");
            Ok(self.0)
        }
    }

    macro_rules! app {
        ($blocklisted:expr) => {{
            let jwt = builder().token_store(Blocklisted($blocklisted)).build().unwrap();
            let ok = || web::get().to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) });
            let app = actix_test::init_service(
                App::new()
                    .app_data(web::Data::new(jwt.clone()))
                    .route("/protected", ok().wrap(JwtRequired::new()))
                    .route(
                        "/protected_skip_blocklist",
                        ok().wrap(JwtRequired::new().any_kind().skip_revocation_check()),
                    )
                    .route("/protected_noskip_blocklist", ok().wrap(JwtRequired::new().any_kind()))
                    .route("/refresh_protected", ok().wrap(RefreshRequired::new())),
            )
            .await;
            (jwt, app)
        }};
    }

    fn get(path: &str, token: &str) -> actix_test::TestRequest {
        actix_test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", bearer(token)))
    }

    const FOO: fn() -> (u16, Value) = || (200, json!({"foo": "bar"}));
    const REVOKED: fn() -> (u16, Value) = || (401, msg("Token has been revoked"));

    #[actix_web::test]
    async fn test_blocklisted_access_token_revocation_skip() {
        let (jwt, app) = app!(true);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/protected_skip_blocklist", &token)).await,
            FOO()
        );
    }

    #[actix_web::test]
    async fn test_blocklisted_access_token_revocation_no_skip() {
        let (jwt, app) = app!(true);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/protected_noskip_blocklist", &token)).await,
            REVOKED()
        );
    }

    #[actix_web::test]
    async fn test_non_blocklisted_access_token() {
        let (jwt, app) = app!(false);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(answer(&app, get("/protected", &token)).await, FOO());
    }

    #[actix_web::test]
    async fn test_blocklisted_access_token() {
        let (jwt, app) = app!(true);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(answer(&app, get("/protected", &token)).await, REVOKED());
    }

    #[actix_web::test]
    async fn test_non_blocklisted_refresh_token() {
        let (jwt, app) = app!(false);
        let token = jwt.create_refresh_token("username").unwrap();
        assert_eq!(answer(&app, get("/refresh_protected", &token)).await, FOO());
    }

    #[actix_web::test]
    async fn test_blocklisted_refresh_token() {
        let (jwt, app) = app!(true);
        let token = jwt.create_refresh_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/refresh_protected", &token)).await,
            REVOKED()
        );
    }

    #[actix_web::test]
    async fn test_custom_blocklisted_message() {
        use actix_jwt_extended::JwtError;
        let jwt = builder()
            .token_store(Blocklisted(true))
            .error_response(|error, token| match error {
                JwtError::Revoked => {
                    let token = token.expect("the revoked token");
                    assert_eq!(token.header()["alg"], "HS256");
                    assert_eq!(token.identity(), "username");
                    Some(HttpResponse::NotFound().json(json!({"baz": "foo"})))
                }
                _ => None,
            })
            .build()
            .unwrap();
        let app = common::guarded!(jwt.clone());
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/p", &token)).await,
            (404, json!({"baz": "foo"}))
        );
    }
}

/// `tests/test_decode_tokens.py`: `decode_token` and token creation.
mod decode_tokens {
    use std::time::Duration;

    use actix_jwt_extended::{JwtError, config::Expiry};
    use jsonwebtoken::Algorithm;

    use super::*;

    const FLASK_SECRET: &str = "change_me";

    fn manager() -> JwtManager {
        configured(|builder| builder)
    }

    fn configured(
        configure: impl FnOnce(
            actix_jwt_extended::manager::JwtManagerBuilder,
        ) -> actix_jwt_extended::manager::JwtManagerBuilder,
    ) -> JwtManager {
        configure(
            JwtManager::builder()
                .secret(FLASK_SECRET)
                .allow_short_secret()
                .token_location([TokenLocation::Cookies, TokenLocation::Headers]),
        )
        .build()
        .unwrap()
    }

    /// Flask's `default_access_token` fixture, with `edit` applied.
    fn encode(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut claims = json!({
            "jti": "1234", "sub": "username", "type": "access", "fresh": true, "csrf": "abcd",
        });
        edit(claims.as_object_mut().unwrap());
        common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            FLASK_SECRET,
            Algorithm::HS256,
        )
    }

    fn error(jwt: &JwtManager, token: &str) -> String {
        jwt.decode_token(token).unwrap_err().to_string()
    }

    #[test]
    fn test_missing_claims() {
        let token = encode(|claims| {
            claims.remove("sub");
        });
        assert_eq!(error(&manager(), &token), "Missing claim: sub");
    }

    /// The `csrf` case of `test_missing_claims`: Flask's `decode_token` takes
    /// the CSRF value; here it comes with the cookie.
    #[actix_web::test]
    async fn test_missing_claims_csrf() {
        let jwt = manager();
        let app = actix_test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
            "/p",
            web::post().to(HttpResponse::Ok).wrap(JwtRequired::new()),
        ))
        .await;
        let token = encode(|claims| {
            claims.remove("csrf");
        });
        let req = actix_test::TestRequest::post()
            .uri("/p")
            .insert_header(("Cookie", format!("access_token_cookie={token}")))
            .insert_header(("X-CSRF-TOKEN", "abcd"));
        assert_eq!(answer(&app, req).await, (422, msg("Missing claim: csrf")));
    }

    #[test]
    fn test_default_decode_token_values() {
        let token = encode(|claims| {
            claims.remove("type");
            claims.remove("jti");
            claims.remove("fresh");
        });
        let decoded = manager().decode_token(&token).unwrap();
        assert_eq!(decoded.kind(), actix_jwt_extended::token::TokenKind::Access);
        assert_eq!(decoded.jti(), None);
        assert!(!decoded.is_fresh());
    }

    /// README, "Explicit token types": a `type` other than `access` or
    /// `refresh` is refused, by `decode_token` too (Flask decodes it).
    #[test]
    fn test_supports_decoding_other_token_types() {
        let token = encode(|claims| {
            claims.insert("type".into(), json!("app"));
        });
        assert_eq!(
            error(&manager(), &token),
            "Invalid token type: \"type\" must be \"access\" or \"refresh\""
        );
    }

    #[test]
    fn test_encode_decode_audience() {
        let token = manager().create_access_token("username").unwrap();
        assert!(
            manager()
                .decode_token(&token)
                .unwrap()
                .claims()
                .get("aud")
                .is_none()
        );

        let both = configured(|b| b.encode_audience(["foo"]).decode_audience(["foo"]));
        let decoded = both
            .decode_token(&both.create_access_token("username").unwrap())
            .unwrap();
        assert_eq!(decoded.claims()["aud"], "foo");

        let mismatch = configured(|b| b.encode_audience(["foo"]).decode_audience(["bar"]));
        let token = mismatch.create_access_token("username").unwrap();
        assert_eq!(error(&mismatch, &token), "Audience doesn't match");

        let no_encode = configured(|b| b.decode_audience(["foo"]));
        let token = no_encode.create_access_token("username").unwrap();
        assert_eq!(
            error(&no_encode, &token),
            "Token is missing the \"aud\" claim"
        );

        let no_decode = configured(|b| b.encode_audience(["foo"]));
        let decoded = no_decode
            .decode_token(&no_decode.create_access_token("username").unwrap())
            .unwrap();
        assert_eq!(decoded.claims()["aud"], "foo");
    }

    /// Flask mints with a negative `expires_delta`; here the token is
    /// signed five minutes past its expiry.
    fn expired(kind: &str) -> String {
        let mut payload = common::flask_payload(kind);
        payload["exp"] = json!(common::now() - 300);
        common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &payload,
            FLASK_SECRET,
            Algorithm::HS256,
        )
    }

    #[test]
    fn test_expired_token() {
        for kind in ["access", "refresh"] {
            assert_eq!(
                manager().decode_token(&expired(kind)).unwrap_err(),
                JwtError::Expired
            );
        }
    }

    #[test]
    fn test_allow_expired_token() {
        for kind in ["access", "refresh"] {
            let decoded = manager()
                .decode_token_allow_expired(&expired(kind))
                .unwrap();
            // common::flask_payload's identity.
            assert_eq!(decoded.claims()["sub"], "test");
            assert!(decoded.claims().contains_key("exp"));
        }
    }

    /// A token longer-lived than the configured lifetimes needs
    /// `max_token_lifetime`, so that revocations are kept as long (README,
    /// "Revocation across instances"); Flask takes `expires_delta=False` as is.
    #[test]
    fn test_never_expire_token() {
        let jwt = configured(|b| b.max_token_lifetime(Expiry::Never));
        let access = jwt
            .access_token_builder("username")
            .expires(Expiry::Never)
            .encode()
            .unwrap();
        let refresh = jwt
            .refresh_token_builder("username")
            .expires(Expiry::Never)
            .encode()
            .unwrap();
        for token in [access, refresh] {
            assert!(
                !jwt.decode_token(&token)
                    .unwrap()
                    .claims()
                    .contains_key("exp")
            );
        }
    }

    /// README, "Registered claims are ours": `nbf` cannot be an additional
    /// claim. A token from another issuer with `nbf` in the future is
    /// refused, and passes within the leeway, as in Flask.
    #[test]
    fn test_nbf_token_in_future() {
        let jwt = manager();
        let minted = jwt
            .access_token_builder("username")
            .claim("nbf", common::now() + 30)
            .encode();
        assert!(matches!(minted, Err(JwtError::Creation(_))));
        let mut payload = common::flask_payload("access");
        payload["nbf"] = json!(common::now() + 30);
        let token = common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &payload,
            FLASK_SECRET,
            Algorithm::HS256,
        );
        assert_eq!(error(&jwt, &token), "The token is not yet valid (nbf)");
        let lenient = configured(|b| b.leeway(Duration::from_secs(30)));
        assert!(lenient.decode_token(&token).is_ok());
        assert!(
            lenient
                .decode_token(&lenient.create_access_token("username").unwrap())
                .is_ok()
        );
    }

    #[test]
    fn test_alternate_identity_claim() {
        let banana = configured(|b| b.identity_claim("banana"));
        assert_eq!(error(&banana, &encode(|_| {})), "Missing claim: banana");
        let token = encode(|claims| {
            claims.remove("sub");
            claims.insert("banana".into(), json!("username"));
        });
        let decoded = banana.decode_token(&token).unwrap();
        assert!(decoded.claims().contains_key("banana") && !decoded.claims().contains_key("sub"));
        assert_eq!(decoded.identity(), "username");
    }

    #[test]
    fn test_get_jti() {
        assert_eq!(
            manager().decode_token(&encode(|_| {})).unwrap().jti(),
            Some("1234")
        );
    }

    /// Flask's default key callbacks return the configured secret; custom
    /// ones replace it. Flask calls the private callbacks; here the keys
    /// show in which tokens verify.
    #[test]
    fn test_encode_decode_callback_values() {
        use actix_jwt_extended::keys::Key;
        let default = configured(|b| b.secret("foobarbaz"));
        let token = default.create_access_token("username").unwrap();
        let foobarbaz = JwtManager::builder()
            .secret("foobarbaz")
            .allow_short_secret()
            .build()
            .unwrap();
        assert_eq!(
            foobarbaz.decode_token(&token).unwrap().identity(),
            "username"
        );

        let different = || Key::secret(Algorithm::HS256, "different secret").unwrap();
        let custom = configured(|b| {
            b.secret("foobarbaz")
                .encode_key_loader(move |_| Ok::<_, std::convert::Infallible>(Some(different())))
                .decode_key_loader(move |_, _| Ok::<_, std::convert::Infallible>(Some(different())))
        });
        let token = custom.create_access_token("username").unwrap();
        assert!(matches!(
            foobarbaz.decode_token(&token),
            Err(JwtError::InvalidSignature)
        ));
        let verifier = JwtManager::builder()
            .secret("different secret")
            .allow_short_secret()
            .build()
            .unwrap();
        assert_eq!(
            verifier.decode_token(&token).unwrap().identity(),
            "username"
        );
        assert_eq!(custom.decode_token(&token).unwrap().identity(), "username");
    }

    #[test]
    fn test_custom_encode_decode_key_callbacks() {
        use actix_jwt_extended::keys::Key;
        use std::convert::Infallible;
        let different = || Key::secret(Algorithm::HS256, "different secret").unwrap();
        let encode_only = |b: actix_jwt_extended::manager::JwtManagerBuilder| {
            b.secret("foobarbaz").encode_key_loader(move |identity| {
                assert_eq!(identity, "username");
                Ok::<_, Infallible>(Some(different()))
            })
        };
        let jwt = configured(encode_only);
        for token in [
            jwt.create_access_token("username").unwrap(),
            jwt.create_refresh_token("username").unwrap(),
        ] {
            assert!(matches!(
                jwt.decode_token(&token),
                Err(JwtError::InvalidSignature)
            ));
        }

        let jwt = configured(|b| {
            encode_only(b).decode_key_loader(move |header, claims| {
                assert_eq!(header["alg"], "HS256");
                assert_eq!(claims["sub"], "username");
                Ok::<_, Infallible>(Some(different()))
            })
        });
        for token in [
            jwt.create_access_token("username").unwrap(),
            jwt.create_refresh_token("username").unwrap(),
        ] {
            assert_eq!(jwt.decode_token(&token).unwrap().identity(), "username");
        }
    }

    #[test]
    fn test_valid_aud() {
        let jwt = configured(|b| b.decode_audience(["foo", "bar"]));
        for aud in [json!("foo"), json!(["bar"]), json!(["foo", "bar", "baz"])] {
            let token = encode(|claims| {
                claims.insert("aud".into(), aud.clone());
            });
            assert_eq!(jwt.decode_token(&token).unwrap().claims()["aud"], aud);
        }
    }

    #[test]
    fn test_invalid_aud() {
        let jwt = configured(|b| b.decode_audience(["foo"]));
        for aud in [json!("bar"), json!(["bar"]), json!(["bar", "baz"])] {
            let token = encode(|claims| {
                claims.insert("aud".into(), aud.clone());
            });
            assert_eq!(error(&jwt, &token), "Audience doesn't match", "{aud}");
        }
    }

    /// Not one of Flask's tests: PyJWT's `_validate_aud` over every JSON
    /// type, with the messages PyJWT 2 gives (recorded from the reference
    /// venv's PyJWT): what Python counts as false is missing, and anything
    /// but a string or a list of strings is malformed.
    #[test]
    fn aud_values_pyjwt_counts_as_missing_or_malformed() {
        let jwt = configured(|b| b.decode_audience(["foo"]));
        let missing = "Token is missing the \"aud\" claim";
        let malformed = "Invalid claim format in token";
        let cases = [
            (json!(null), missing),
            (json!(false), missing),
            (json!(""), missing),
            (json!([]), missing),
            (json!({}), missing),
            (json!(0), missing),
            (json!(0.0), missing),
            (json!({ "a": 1 }), malformed),
            (json!(1), malformed),
            (json!(true), malformed),
            (json!(["foo", 1]), malformed),
        ];
        for (aud, message) in cases {
            let token = encode(|claims| {
                claims.insert("aud".into(), aud.clone());
            });
            assert_eq!(error(&jwt, &token), message, "{aud}");
        }
    }

    #[test]
    fn test_verify_no_aud() {
        for aud in [json!("bar"), json!(["bar"]), json!(["bar", "baz"])] {
            let token = encode(|claims| {
                claims.insert("aud".into(), aud.clone());
            });
            assert_eq!(manager().decode_token(&token).unwrap().claims()["aud"], aud);
        }
    }

    #[test]
    fn test_invalid_sub_values() {
        for sub in [json!(123), json!({}), json!([]), json!(false)] {
            let token = encode(|claims| {
                claims.insert("sub".into(), sub.clone());
            });
            assert_eq!(
                error(&manager(), &token),
                "Subject must be a string",
                "{sub}"
            );
        }
    }

    #[test]
    fn test_invalid_sub_values_allowed_with_no_verify() {
        let jwt = configured(|b| b.verify_sub(false));
        for sub in [json!(123), json!({}), json!([]), json!(false)] {
            let token = encode(|claims| {
                claims.insert("sub".into(), sub.clone());
            });
            assert_eq!(jwt.decode_token(&token).unwrap().claims()["sub"], sub);
        }
    }

    #[test]
    fn test_encode_iss() {
        let jwt = configured(|b| b.encode_issuer("foobar"));
        let decoded = jwt
            .decode_token(&jwt.create_access_token("username").unwrap())
            .unwrap();
        assert_eq!(decoded.claims()["iss"], "foobar");
    }

    #[test]
    fn test_mismatch_iss() {
        let jwt = configured(|b| b.encode_issuer("foobar").decode_issuer("baz"));
        assert_eq!(
            error(&jwt, &jwt.create_access_token("username").unwrap()),
            "Invalid issuer"
        );
    }

    #[test]
    fn test_valid_decode_iss() {
        let jwt = configured(|b| b.decode_issuer("foobar"));
        let token = encode(|claims| {
            claims.insert("iss".into(), json!("foobar"));
        });
        assert_eq!(jwt.decode_token(&token).unwrap().claims()["iss"], "foobar");
    }

    #[test]
    fn test_invalid_decode_iss() {
        let jwt = configured(|b| b.decode_issuer("baz"));
        let token = encode(|claims| {
            claims.insert("iss".into(), json!("foobar"));
        });
        assert_eq!(error(&jwt, &token), "Invalid issuer");
    }

    #[test]
    fn test_malformed_token() {
        assert_eq!(error(&manager(), "foobarbaz"), "Not enough segments");
    }

    #[test]
    fn test_jwt_headers() {
        let jwt = manager();
        let access = jwt
            .access_token_builder("username")
            .header("foo", "bar")
            .encode()
            .unwrap();
        let refresh = jwt
            .refresh_token_builder("username")
            .header("foo", "bar")
            .encode()
            .unwrap();
        for token in [access, refresh] {
            assert_eq!(jwt.decode_token(&token).unwrap().header()["foo"], "bar");
        }
    }

    #[test]
    fn test_token_expires_time() {
        let jwt = configured(|b| {
            b.access_token_expires(Duration::from_secs(3600))
                .refresh_token_expires(Duration::from_secs(7200))
        });
        let now = common::now() as i64;
        let exp = |token: String| jwt.decode_token(&token).unwrap().expires_at().unwrap();
        assert!((exp(jwt.create_access_token("username").unwrap()) - (now + 3600)).abs() < 2);
        assert!((exp(jwt.create_refresh_token("username").unwrap()) - (now + 7200)).abs() < 2);
    }

    #[test]
    fn test_nbf_is_present_by_default() {
        let jwt = manager();
        let token = jwt
            .access_token_builder("username")
            .fresh(true)
            .encode()
            .unwrap();
        assert!(
            jwt.decode_token(&token)
                .unwrap()
                .claims()
                .contains_key("nbf")
        );
    }

    #[test]
    fn test_disable_nbf_encoding() {
        let jwt = configured(|b| b.encode_nbf(false));
        let token = jwt
            .access_token_builder("username")
            .fresh(true)
            .encode()
            .unwrap();
        assert!(
            !jwt.decode_token(&token)
                .unwrap()
                .claims()
                .contains_key("nbf")
        );
    }
}

/// `tests/test_view_decorators.py`: the guards.
mod view_decorators {
    use actix_jwt_extended::{JwtError, JwtIdentity, token::DecodedToken};
    use jsonwebtoken::Algorithm;

    use super::*;

    fn foo(value: &str) -> (u16, Value) {
        (200, json!({ "foo": value }))
    }

    async fn optional(identity: Option<JwtIdentity>) -> HttpResponse {
        HttpResponse::Ok().json(json!({"foo": if identity.is_some() { "baz" } else { "bar" }}))
    }

    fn routes(config: &mut web::ServiceConfig) {
        let bar = || web::get().to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) });
        config
            .route("/protected", bar().wrap(JwtRequired::new()))
            .route("/fresh_protected", bar().wrap(JwtRequired::new().fresh()))
            .route("/refresh_protected", bar().wrap(RefreshRequired::new()))
            .route(
                "/optional_protected",
                web::get().to(optional).wrap(JwtRequired::new().optional()),
            )
            .route(
                "/no_typecheck_protected",
                bar().wrap(JwtRequired::new().any_kind()),
            );
    }

    macro_rules! app {
        ($jwt:expr) => {
            actix_test::init_service(
                App::new()
                    .app_data(web::Data::new($jwt.clone()))
                    .configure(routes),
            )
            .await
        };
    }

    fn get(path: &str, authorization: Option<&str>) -> actix_test::TestRequest {
        let req = actix_test::TestRequest::get().uri(path);
        match authorization {
            Some(value) => req.insert_header(("Authorization", value.to_owned())),
            None => req,
        }
    }

    /// The three tokens Flask's tests mint first.
    fn tokens(jwt: &JwtManager) -> (String, String, String) {
        (
            jwt.create_access_token("username").unwrap(),
            jwt.access_token_builder("username")
                .fresh(true)
                .encode()
                .unwrap(),
            jwt.create_refresh_token("username").unwrap(),
        )
    }

    fn signed(edit: impl FnOnce(&mut Value)) -> String {
        let mut payload = common::flask_payload("access");
        payload["sub"] = json!("username");
        edit(&mut payload);
        common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &payload,
            SECRET,
            Algorithm::HS256,
        )
    }

    const MISSING: &str = "Missing Authorization Header";

    #[actix_web::test]
    async fn test_jwt_required() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let (access, fresh, refresh) = tokens(&jwt);
        for token in [&access, &fresh] {
            assert_eq!(
                answer(&app, get("/protected", Some(&bearer(token)))).await,
                foo("bar")
            );
        }
        assert_eq!(
            answer(&app, get("/protected", None)).await,
            (401, msg(MISSING))
        );
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&refresh)))).await,
            (422, msg("Only non-refresh tokens are allowed"))
        );
    }

    #[actix_web::test]
    async fn test_fresh_jwt_required() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let (access, fresh, refresh) = tokens(&jwt);
        let timed = jwt
            .access_token_builder("username")
            .fresh(std::time::Duration::from_secs(300))
            .encode()
            .unwrap();
        // Flask's `fresh=timedelta(minutes=-1)`: fresh until a minute ago.
        let stale = signed(|p| p["fresh"] = json!(common::now() - 60));
        let url = "/fresh_protected";
        let stale_answer = (401, msg("Fresh token required"));
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&fresh)))).await,
            foo("bar")
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&access)))).await,
            stale_answer
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&timed)))).await,
            foo("bar")
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&stale)))).await,
            stale_answer
        );
        assert_eq!(answer(&app, get(url, None)).await, (401, msg(MISSING)));
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&refresh)))).await,
            (422, msg("Only non-refresh tokens are allowed"))
        );
        // Flask's needs_fresh_token_loader.
        let custom = builder()
            .error_response(|error, token| match error {
                JwtError::FreshTokenRequired => {
                    let token = token.expect("the stale token");
                    assert_eq!(token.header()["alg"], "HS256");
                    assert_eq!(token.identity(), "username");
                    Some(HttpResponse::Created().json(json!({"msg": "foobar"})))
                }
                _ => None,
            })
            .build()
            .unwrap();
        let app = app!(custom);
        let access = custom.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&access)))).await,
            (201, msg("foobar"))
        );
    }

    #[actix_web::test]
    async fn test_refresh_jwt_required() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let (access, fresh, refresh) = tokens(&jwt);
        let url = "/refresh_protected";
        for token in [&fresh, &access] {
            assert_eq!(
                answer(&app, get(url, Some(&bearer(token)))).await,
                (422, msg("Only refresh tokens are allowed"))
            );
        }
        assert_eq!(answer(&app, get(url, None)).await, (401, msg(MISSING)));
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&refresh)))).await,
            foo("bar")
        );
    }

    #[actix_web::test]
    async fn test_jwt_required_no_typecheck() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let (access, fresh, refresh) = tokens(&jwt);
        let url = "/no_typecheck_protected";
        for token in [&access, &fresh, &refresh] {
            assert_eq!(
                answer(&app, get(url, Some(&bearer(token)))).await,
                foo("bar")
            );
        }
        assert_eq!(answer(&app, get(url, None)).await, (401, msg(MISSING)));
    }

    #[actix_web::test]
    async fn test_jwt_optional() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let (access, fresh, refresh) = tokens(&jwt);
        let expired = signed(|p| p["exp"] = json!(common::now() - 60));
        let url = "/optional_protected";
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&fresh)))).await,
            foo("baz")
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&access)))).await,
            foo("baz")
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&refresh)))).await,
            (422, msg("Only non-refresh tokens are allowed"))
        );
        assert_eq!(
            answer(&app, get(url, Some(&bearer(&expired)))).await,
            (401, msg("Token has expired"))
        );
    }

    #[actix_web::test]
    async fn test_jwt_optional_with_no_valid_jwt() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let url = "/optional_protected";
        let bad = (
            422,
            msg("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"),
        );
        let segments = (422, msg("Not enough segments"));
        let cases = [
            (None, foo("bar")),
            (Some("basic creds"), foo("bar")),
            (Some("Bearer "), bad.clone()),
            (Some("Bearer xxx"), segments.clone()),
            (Some("Foo 1, Bar 2, Baz, 3"), foo("bar")),
            (Some("Foo 1, Bearer, Baz, 3"), bad.clone()),
            (Some("Foo 1, Bearer 2, Baz, 3"), segments),
            (Some("Bearer ,,0"), bad),
        ];
        for (authorization, expected) in cases {
            assert_eq!(
                answer(&app, get(url, authorization)).await,
                expected,
                "{authorization:?}"
            );
        }
    }

    /// The `INVALID_LOCATION` part has no twin: a location is an enum here,
    /// so a route cannot name one that does not exist.
    #[actix_web::test]
    async fn test_override_jwt_location() {
        let jwt = builder()
            .token_location([TokenLocation::Cookies])
            .build()
            .unwrap();
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .configure(routes)
                .route(
                    "/protected_other",
                    web::get()
                        .to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) })
                        .wrap(JwtRequired::new().locations([TokenLocation::Headers])),
                ),
        )
        .await;
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/protected_other", Some(&bearer(&token)))).await,
            foo("bar")
        );
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&token)))).await,
            (401, msg("Missing cookie \"access_token_cookie\""))
        );
    }

    #[actix_web::test]
    async fn test_invalid_jwt() {
        let invalid = bearer("aaaaa.bbbbb.ccccc");
        let app = app!(builder().build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", Some(&invalid))).await,
            (422, msg("Invalid header padding"))
        );
        // Flask's invalid_token_loader.
        let custom = builder()
            .error_response(|error, _| {
                matches!(error, JwtError::Malformed(_))
                    .then(|| HttpResponse::Created().json(json!({"msg": "foobar"})))
            })
            .build()
            .unwrap();
        let app = app!(custom);
        assert_eq!(
            answer(&app, get("/protected", Some(&invalid))).await,
            (201, msg("foobar"))
        );
    }

    #[actix_web::test]
    async fn test_jwt_missing_claims() {
        let app = app!(builder().build().unwrap());
        let token = common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &json!({"foo": "bar"}),
            SECRET,
            Algorithm::HS256,
        );
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&token)))).await,
            (422, msg("Missing claim: sub"))
        );
    }

    fn encode(claims: Value) -> String {
        common::forge(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            SECRET,
            Algorithm::HS256,
        )
    }

    #[actix_web::test]
    async fn test_jwt_invalid_audience() {
        let app = app!(builder().build().unwrap());
        let me = encode(json!({"sub": "me"}));
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&me)))).await.0,
            200
        );
        let app = app!(builder().decode_audience(["my_audience"]).build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&me)))).await,
            (422, msg("Token is missing the \"aud\" claim"))
        );
        let other = encode(json!({"aud": "different_audience", "sub": "me"}));
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&other)))).await,
            (422, msg("Audience doesn't match"))
        );
    }

    #[actix_web::test]
    async fn test_jwt_invalid_issuer() {
        let app = app!(builder().build().unwrap());
        let me = encode(json!({"sub": "me"}));
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&me)))).await.0,
            200
        );
        let app = app!(builder().decode_issuer("my_issuer").build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&me)))).await,
            (422, msg("Token is missing the \"iss\" claim"))
        );
        let other = encode(json!({"iss": "different_issuer", "sub": "me"}));
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&other)))).await,
            (422, msg("Invalid issuer"))
        );
    }

    #[actix_web::test]
    async fn test_malformed_token() {
        let app = app!(builder().build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer("foobarbaz")))).await,
            (422, msg("Not enough segments"))
        );
    }

    #[actix_web::test]
    async fn test_expired_token() {
        let expired = signed(|p| p["exp"] = json!(common::now() - 60));
        let app = app!(builder().build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&expired)))).await,
            (401, msg("Token has expired"))
        );
        // Flask's expired_token_loader, which sees the expired token.
        let custom = builder()
            .error_response(|error, token: Option<&DecodedToken>| match error {
                JwtError::Expired => {
                    let token = token.expect("the expired token");
                    assert_eq!(token.header()["alg"], "HS256");
                    assert_eq!(token.identity(), "username");
                    assert_eq!(token.claims()["type"], "access");
                    Some(HttpResponse::Created().json(json!({"msg": "foobar"})))
                }
                _ => None,
            })
            .build()
            .unwrap();
        let app = app!(custom);
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&expired)))).await,
            (201, msg("foobar"))
        );
    }

    #[actix_web::test]
    async fn test_expired_token_via_decode_token() {
        let custom = builder()
            .error_response(|error, _| {
                matches!(error, JwtError::Expired)
                    .then(|| HttpResponse::Unauthorized().json(json!({"msg": "foobar"})))
            })
            .build()
            .unwrap();
        let expired = signed(|p| p["exp"] = json!(common::now() - 60));
        let app =
            actix_test::init_service(App::new().app_data(web::Data::new(custom.clone())).route(
                "/test",
                web::get().to(move |jwt: web::Data<JwtManager>| {
                    let expired = expired.clone();
                    async move {
                        jwt.decode_token(&expired)?;
                        Ok::<_, actix_web::Error>(HttpResponse::Ok().json(json!({"msg": "baz"})))
                    }
                }),
            ))
            .await;
        assert_eq!(answer(&app, get("/test", None)).await, (401, msg("foobar")));
    }

    #[actix_web::test]
    async fn test_no_token() {
        let app = app!(builder().build().unwrap());
        assert_eq!(
            answer(&app, get("/protected", None)).await,
            (401, msg(MISSING))
        );
        // Flask's unauthorized_loader.
        let custom = builder()
            .error_response(|error, _| {
                matches!(error, JwtError::MissingToken(_))
                    .then(|| HttpResponse::Created().json(json!({"msg": "foobar"})))
            })
            .build()
            .unwrap();
        let app = app!(custom);
        assert_eq!(
            answer(&app, get("/protected", None)).await,
            (201, msg("foobar"))
        );
    }

    #[actix_web::test]
    async fn test_different_token_algorightm() {
        let token = builder()
            .build()
            .unwrap()
            .create_access_token("username")
            .unwrap();
        let hs512 = builder().algorithm(Algorithm::HS512).build().unwrap();
        let app = app!(hs512);
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&token)))).await,
            (422, msg("The specified alg value is not allowed"))
        );
    }

    /// Flask's `verify_jwt_in_request()` returns the header and claims; here
    /// the `Claims` extractor verifies and carries both.
    #[actix_web::test]
    async fn test_verify_jwt_in_request_returns_decoded_token() {
        let jwt = builder().build().unwrap();
        let app = actix_test::init_service(App::new().app_data(web::Data::new(jwt.clone())).route(
            "/custom",
            web::get().to(|claims: actix_jwt_extended::Claims| async move {
                assert_eq!(claims.token().header()["alg"], "HS256");
                assert_eq!(claims["sub"], "username");
                HttpResponse::Ok().json(json!({"foo": "bar"}))
            }),
        ))
        .await;
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get("/custom", Some(&bearer(&token)))).await,
            foo("bar")
        );
    }

    /// README, "Identities are strings": a numeric identity is written as
    /// its text, so the token passes where Flask's answers 422.
    #[actix_web::test]
    async fn test_non_string_identity() {
        let jwt = builder().build().unwrap();
        let app = app!(jwt);
        let token = jwt.create_access_token(1234).unwrap();
        assert_eq!(
            answer(&app, get("/protected", Some(&bearer(&token)))).await,
            foo("bar")
        );
        assert_eq!(jwt.decode_token(&token).unwrap().claims()["sub"], "1234");
    }
}

/// `tests/test_cookies.py`: cookies and CSRF double submit.
mod cookies {
    use actix_jwt_extended::cookies::CookieOptions;
    use actix_web::{
        body::BoxBody,
        cookie::{Cookie, SameSite},
        dev::ServiceResponse,
    };

    use super::*;

    #[derive(serde::Deserialize)]
    struct Domain {
        domain: Option<String>,
    }

    fn options(query: &Domain) -> CookieOptions {
        match &query.domain {
            Some(domain) => CookieOptions::new().domain(domain),
            None => CookieOptions::new(),
        }
    }

    fn routes(config: &mut web::ServiceConfig) {
        let bar = || || async { HttpResponse::Ok().json(json!({"foo": "bar"})) };
        config
            .route(
                "/access_token",
                web::get().to(
                    |jwt: web::Data<JwtManager>, query: web::Query<Domain>| async move {
                        let token = jwt.create_access_token("username")?;
                        Ok::<_, actix_web::Error>(
                            HttpResponse::Ok()
                                .set_access_cookies_with(&jwt, &token, &options(&query))?
                                .json(json!({"login": true})),
                        )
                    },
                ),
            )
            .route(
                "/refresh_token",
                web::get().to(
                    |jwt: web::Data<JwtManager>, query: web::Query<Domain>| async move {
                        let token = jwt.create_refresh_token("username")?;
                        Ok::<_, actix_web::Error>(
                            HttpResponse::Ok()
                                .set_refresh_cookies_with(&jwt, &token, &options(&query))?
                                .json(json!({"login": true})),
                        )
                    },
                ),
            )
            .route(
                "/delete_tokens",
                web::get().to(
                    |jwt: web::Data<JwtManager>, query: web::Query<Domain>| async move {
                        Ok::<_, actix_web::Error>(
                            HttpResponse::Ok()
                                .unset_jwt_cookies_with(&jwt, &options(&query))?
                                .json(json!({"logout": true})),
                        )
                    },
                ),
            )
            .route(
                "/delete_access_tokens",
                web::get().to(
                    |jwt: web::Data<JwtManager>, query: web::Query<Domain>| async move {
                        Ok::<_, actix_web::Error>(
                            HttpResponse::Ok()
                                .unset_access_cookies_with(&jwt, &options(&query))?
                                .json(json!({"access_revoked": true})),
                        )
                    },
                ),
            )
            .route(
                "/delete_refresh_tokens",
                web::get().to(
                    |jwt: web::Data<JwtManager>, query: web::Query<Domain>| async move {
                        Ok::<_, actix_web::Error>(
                            HttpResponse::Ok()
                                .unset_refresh_cookies_with(&jwt, &options(&query))?
                                .json(json!({"refresh_revoked": true})),
                        )
                    },
                ),
            )
            .route("/protected", web::get().to(bar()).wrap(JwtRequired::new()))
            .route(
                "/post_protected",
                web::post().to(bar()).wrap(JwtRequired::new()),
            )
            .route(
                "/refresh_protected",
                web::get().to(bar()).wrap(RefreshRequired::new()),
            )
            .route(
                "/post_refresh_protected",
                web::post().to(bar()).wrap(RefreshRequired::new()),
            )
            .route(
                "/optional_post_protected",
                web::post().to(bar()).wrap(JwtRequired::new().optional()),
            );
    }

    /// Flask's fixture: cookies only, and `configure` for the test's options.
    fn manager(configure: impl FnOnce(CookieConfig) -> CookieConfig) -> JwtManager {
        builder()
            .token_location([TokenLocation::Cookies])
            .cookies(configure(CookieConfig::new().secure(false).same_site(None)))
            .build()
            .unwrap()
    }

    /// Flask's test client: keeps the cookies responses set or clear.
    struct Client<S> {
        app: S,
        jar: Vec<(String, String)>,
    }

    /// Flask's `app.test_client()`.
    async fn client(jwt: &JwtManager) -> Client<impl common::TestApp<BoxBody>> {
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .configure(routes),
        )
        .await;
        Client {
            app,
            jar: Vec::new(),
        }
    }

    impl<S: common::TestApp<BoxBody>> Client<S> {
        /// Sends `req` with the jar's cookies; returns the `Set-Cookie`
        /// values, the status and the body.
        async fn send(
            &mut self,
            mut req: actix_test::TestRequest,
        ) -> (Vec<Cookie<'static>>, u16, Value) {
            for (name, value) in &self.jar {
                req = req.cookie(Cookie::new(name.clone(), value.clone()));
            }
            let response: ServiceResponse<BoxBody> =
                actix_test::call_service(&self.app, req.to_request()).await;
            let cookies: Vec<Cookie<'static>> = response
                .response()
                .cookies()
                .map(Cookie::into_owned)
                .collect();
            for cookie in &cookies {
                self.jar.retain(|(name, _)| name != cookie.name());
                if !cookie.value().is_empty() {
                    self.jar
                        .push((cookie.name().to_owned(), cookie.value().to_owned()));
                }
            }
            let status = response.status().as_u16();
            let body = actix_test::read_body(response).await;
            (
                cookies,
                status,
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }

        async fn get(&mut self, uri: &str) -> (Vec<Cookie<'static>>, u16, Value) {
            self.send(actix_test::TestRequest::get().uri(uri)).await
        }

        async fn post(&mut self, uri: &str, headers: &[(&str, &str)]) -> (u16, Value) {
            let mut req = actix_test::TestRequest::post().uri(uri);
            for (name, value) in headers {
                req = req.insert_header((*name, *value));
            }
            let (_, status, body) = self.send(req).await;
            (status, body)
        }

        async fn status(&mut self, uri: &str) -> (u16, Value) {
            let (_, status, body) = self.get(uri).await;
            (status, body)
        }
    }

    fn cookie<'a>(cookies: &'a [Cookie<'static>], name: &str) -> &'a Cookie<'static> {
        cookies
            .iter()
            .find(|cookie| cookie.name() == name)
            .unwrap_or_else(|| panic!("no {name} in {cookies:?}"))
    }

    const ACCESS: (&str, &str, &str, &str) = (
        "/access_token",
        "access_token_cookie",
        "/protected",
        "/delete_access_tokens",
    );
    const REFRESH: (&str, &str, &str, &str) = (
        "/refresh_token",
        "refresh_token_cookie",
        "/refresh_protected",
        "/delete_refresh_tokens",
    );

    #[actix_web::test]
    async fn test_jwt_refresh_required_with_cookies() {
        for (auth_url, cookie_name, protected_url, delete_url) in [REFRESH, ACCESS] {
            let jwt = manager(|c| c);
            let mut client = client(&jwt).await;
            let missing = (401, msg(&format!("Missing cookie \"{cookie_name}\"")));
            assert_eq!(client.status(protected_url).await, missing);
            client.get(auth_url).await;
            assert_eq!(
                client.status(protected_url).await,
                (200, json!({"foo": "bar"}))
            );
            client.get(delete_url).await;
            assert_eq!(client.status(protected_url).await, missing);
            client.get(auth_url).await;
            assert_eq!(client.status(protected_url).await.0, 200);
            client.get("/delete_tokens").await;
            assert_eq!(client.status(protected_url).await, missing);
        }
    }

    const POSTS: [(&str, &str, &str); 2] = [
        (
            "/refresh_token",
            "csrf_refresh_token",
            "/post_refresh_protected",
        ),
        ("/access_token", "csrf_access_token", "/post_protected"),
    ];

    #[actix_web::test]
    async fn test_default_access_csrf_protection() {
        for (auth_url, csrf_cookie, post_url) in POSTS {
            let jwt = manager(|c| c);
            let mut client = client(&jwt).await;
            let (cookies, ..) = client.get(auth_url).await;
            let csrf = cookie(&cookies, csrf_cookie).value().to_owned();
            assert_eq!(
                client.post(post_url, &[]).await,
                (401, msg("Missing CSRF token"))
            );
            assert_eq!(
                client.post(post_url, &[("X-CSRF-TOKEN", &csrf)]).await,
                (200, json!({"foo": "bar"}))
            );
        }
    }

    #[actix_web::test]
    async fn test_non_matching_csrf_token() {
        for (auth_url, _, post_url) in POSTS {
            let jwt = manager(|c| c);
            let mut client = client(&jwt).await;
            client.get(auth_url).await;
            assert_eq!(
                client
                    .post(post_url, &[("X-CSRF-TOKEN", "totally_wrong_token")])
                    .await,
                (401, msg("CSRF double submit tokens do not match"))
            );
        }
    }

    #[actix_web::test]
    async fn test_csrf_disabled() {
        for (auth_url, _, post_url) in POSTS {
            let jwt = manager(|c| c.csrf_protect(false));
            let mut client = client(&jwt).await;
            client.get(auth_url).await;
            assert_eq!(
                client.post(post_url, &[]).await,
                (200, json!({"foo": "bar"}))
            );
        }
    }

    #[actix_web::test]
    async fn test_csrf_with_custom_header_names() {
        for (auth_url, csrf_cookie, post_url) in POSTS {
            let foo = actix_web::http::header::HeaderName::from_static("foo");
            let jwt = manager(|c| c.csrf_header_names(foo.clone(), foo));
            let mut client = client(&jwt).await;
            let (cookies, ..) = client.get(auth_url).await;
            let csrf = cookie(&cookies, csrf_cookie).value().to_owned();
            assert_eq!(
                client.post(post_url, &[("FOO", &csrf)]).await,
                (200, json!({"foo": "bar"}))
            );
        }
    }

    async fn post_form(configure: fn(CookieConfig) -> CookieConfig, field: &str) {
        for (auth_url, csrf_cookie, post_url) in POSTS {
            let jwt = manager(configure);
            let mut client = client(&jwt).await;
            let (cookies, ..) = client.get(auth_url).await;
            let csrf = cookie(&cookies, csrf_cookie).value().to_owned();
            let req = actix_test::TestRequest::post()
                .uri(post_url)
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(format!("{field}={csrf}"));
            let (_, status, body) = client.send(req).await;
            assert_eq!((status, body), (200, json!({"foo": "bar"})), "{post_url}");
        }
    }

    #[actix_web::test]
    async fn test_csrf_with_default_form_field() {
        post_form(|c| c.csrf_check_form(true), "csrf_token").await;
    }

    #[actix_web::test]
    async fn test_csrf_with_custom_form_field() {
        post_form(
            |c| c.csrf_check_form(true).csrf_field_names("FOO", "FOO"),
            "FOO",
        )
        .await;
    }

    #[actix_web::test]
    async fn test_custom_csrf_methods() {
        let gets = [
            (
                "/refresh_token",
                "csrf_refresh_token",
                "/refresh_protected",
                "/post_refresh_protected",
            ),
            (
                "/access_token",
                "csrf_access_token",
                "/protected",
                "/post_protected",
            ),
        ];
        for (auth_url, csrf_cookie, get_url, post_url) in gets {
            let jwt = manager(|c| c.csrf_methods([actix_web::http::Method::GET]));
            let mut client = client(&jwt).await;
            let (cookies, ..) = client.get(auth_url).await;
            let csrf = cookie(&cookies, csrf_cookie).value().to_owned();
            assert_eq!(
                client.post(post_url, &[]).await,
                (200, json!({"foo": "bar"}))
            );
            assert_eq!(
                client.status(get_url).await,
                (401, msg("Missing CSRF token"))
            );
            let req = actix_test::TestRequest::get()
                .uri(get_url)
                .insert_header(("X-CSRF-TOKEN", csrf));
            let (_, status, body) = client.send(req).await;
            assert_eq!((status, body), (200, json!({"foo": "bar"})));
        }
    }

    /// README, "Secure cookies by default": with nothing configured our
    /// cookies are `Secure` and `SameSite=Lax`, where Flask sets neither;
    /// the rest is Flask's.
    #[actix_web::test]
    async fn test_default_cookie_options() {
        let jwt = builder()
            .token_location([TokenLocation::Cookies])
            .build()
            .unwrap();
        let mut client = client(&jwt).await;
        for (url, token_cookie, csrf_cookie) in [
            ("/access_token", "access_token_cookie", "csrf_access_token"),
            (
                "/refresh_token",
                "refresh_token_cookie",
                "csrf_refresh_token",
            ),
        ] {
            let (cookies, ..) = client.get(url).await;
            assert_eq!(cookies.len(), 2);
            let token = cookie(&cookies, token_cookie);
            assert_eq!((token.path(), token.http_only()), (Some("/"), Some(true)));
            let csrf = cookie(&cookies, csrf_cookie);
            assert_eq!((csrf.path(), csrf.http_only()), (Some("/"), None));
            for cookie in [token, csrf] {
                assert_eq!(cookie.same_site(), Some(SameSite::Lax));
                assert_eq!(cookie.secure(), Some(true));
                assert!(
                    cookie.max_age().is_none() && cookie.expires().is_none(),
                    "session cookies"
                );
            }
        }
    }

    #[actix_web::test]
    async fn test_custom_cookie_options() {
        let jwt = manager(|c| {
            c.secure(true)
                .domain("test.com")
                .session_cookie(false)
                .same_site(Some(SameSite::Strict))
        });
        let mut client = client(&jwt).await;
        for (url, token_cookie, csrf_cookie) in [
            ("/access_token", "access_token_cookie", "csrf_access_token"),
            (
                "/refresh_token",
                "refresh_token_cookie",
                "csrf_refresh_token",
            ),
        ] {
            let (cookies, ..) = client.get(url).await;
            assert_eq!(cookies.len(), 2);
            assert_eq!(cookie(&cookies, token_cookie).http_only(), Some(true));
            for cookie in [
                cookie(&cookies, token_cookie),
                cookie(&cookies, csrf_cookie),
            ] {
                assert_eq!(cookie.domain(), Some("test.com"));
                assert_eq!(cookie.path(), Some("/"));
                assert!(cookie.expires_datetime().is_some(), "{cookie}");
                assert_eq!(cookie.secure(), Some(true));
                assert_eq!(cookie.same_site(), Some(SameSite::Strict));
            }
        }
    }

    #[actix_web::test]
    async fn test_custom_cookie_names_and_paths() {
        let jwt = manager(|c| {
            c.csrf_cookie_names("access_foo_csrf", "refresh_foo_csrf")
                .csrf_cookie_paths("/protected", "/refresh_protected")
                .cookie_names("access_foo", "refresh_foo")
                .cookie_paths("/protected", "/refresh_protected")
        });
        let mut client = client(&jwt).await;
        for (url, names, path) in [
            (
                "/access_token",
                ["access_foo", "access_foo_csrf"],
                "/protected",
            ),
            (
                "/refresh_token",
                ["refresh_foo", "refresh_foo_csrf"],
                "/refresh_protected",
            ),
        ] {
            let (cookies, ..) = client.get(url).await;
            assert_eq!(cookies.len(), 2);
            for name in names {
                assert_eq!(cookie(&cookies, name).path(), Some(path));
            }
        }
    }

    #[actix_web::test]
    async fn test_csrf_token_not_in_cookie() {
        let jwt = manager(|c| c.csrf_in_cookies(false));
        let mut client = client(&jwt).await;
        for (url, name) in [
            ("/access_token", "access_token_cookie"),
            ("/refresh_token", "refresh_token_cookie"),
        ] {
            let (cookies, ..) = client.get(url).await;
            assert_eq!(cookies.len(), 1);
            cookie(&cookies, name);
        }
        // Logout clears the token cookies, and no CSRF cookie was set.
        let (cookies, ..) = client.get("/delete_tokens").await;
        assert_eq!(cookies.len(), 2);
        for name in ["access_token_cookie", "refresh_token_cookie"] {
            assert_eq!(cookie(&cookies, name).value(), "");
        }
    }

    #[actix_web::test]
    async fn test_cookies_without_csrf() {
        let jwt = manager(|c| c.csrf_protect(false));
        let mut client = client(&jwt).await;
        for (url, name) in [
            ("/access_token", "access_token_cookie"),
            ("/refresh_token", "refresh_token_cookie"),
        ] {
            let (cookies, ..) = client.get(url).await;
            assert_eq!(cookies.len(), 1);
            cookie(&cookies, name);
        }
        // Logout clears the token cookies, and no CSRF cookie was set.
        let (cookies, ..) = client.get("/delete_tokens").await;
        assert_eq!(cookies.len(), 2);
        for name in ["access_token_cookie", "refresh_token_cookie"] {
            assert_eq!(cookie(&cookies, name).value(), "");
        }
    }

    #[actix_web::test]
    async fn test_jwt_optional_with_csrf_enabled() {
        let jwt = manager(|c| c);
        let mut client = client(&jwt).await;
        assert_eq!(
            client.post("/optional_post_protected", &[]).await,
            (200, json!({"foo": "bar"}))
        );
        client.get("/access_token").await;
        assert_eq!(
            client.post("/optional_post_protected", &[]).await,
            (401, msg("Missing CSRF token"))
        );
    }

    #[actix_web::test]
    async fn test_override_domain_option() {
        for (auth_url, delete_url, token_cookie, csrf_cookie) in [
            (
                "/access_token",
                "/delete_access_tokens",
                "access_token_cookie",
                "csrf_access_token",
            ),
            (
                "/refresh_token",
                "/delete_refresh_tokens",
                "refresh_token_cookie",
                "csrf_refresh_token",
            ),
        ] {
            let jwt = manager(|c| c.domain("test.com"));
            let mut client = client(&jwt).await;
            for url in [auth_url, delete_url] {
                let (cookies, ..) = client.get(&format!("{url}?domain=yolo.com")).await;
                assert_eq!(cookies.len(), 2, "{url}");
                for name in [token_cookie, csrf_cookie] {
                    assert_eq!(cookie(&cookies, name).domain(), Some("yolo.com"), "{url}");
                }
            }
        }
    }
}

/// A manager from `configure`, and `/protected` behind `JwtRequired`
/// answering `{"foo": "bar"}`: the `app` fixture of several Flask files.
macro_rules! protected_app {
    ($jwt:expr) => {
        actix_test::init_service(
            App::new().app_data(web::Data::new($jwt.clone())).route(
                "/protected",
                web::get()
                    .to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) })
                    .wrap(JwtRequired::new()),
            ),
        )
        .await
    };
}

fn bar() -> (u16, Value) {
    (200, json!({"foo": "bar"}))
}

/// `GET uri` with `headers`.
fn get_with(uri: &str, headers: &[(&str, String)]) -> actix_test::TestRequest {
    headers.iter().fold(
        actix_test::TestRequest::get().uri(uri),
        |req, (name, value)| req.insert_header((*name, value.clone())),
    )
}

/// An `error_response` hook answering 201 `{"foo": "bar"}` for a missing
/// token: Flask's `unauthorized_loader` in its tests.
fn unauthorized_loader(
    builder: actix_jwt_extended::manager::JwtManagerBuilder,
) -> actix_jwt_extended::manager::JwtManagerBuilder {
    builder.error_response(|error, _| {
        matches!(error, actix_jwt_extended::JwtError::MissingToken(_))
            .then(|| HttpResponse::Created().json(json!({"foo": "bar"})))
    })
}

/// `tests/test_headers.py`.
mod headers {
    use super::*;

    #[actix_web::test]
    async fn test_default_headers() {
        let jwt = builder().build().unwrap();
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        let auth = |value: String| vec![("Authorization", value)];
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &auth("Basic basiccreds".into()))
            )
            .await,
            (
                401,
                msg(
                    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"
                )
            )
        );
        for value in [
            format!("Bearer {token}"),
            format!("Bearer {token}, Basic creds"),
            format!("Basic creds, Bearer {token}"),
        ] {
            assert_eq!(
                answer(&app, get_with("/protected", &auth(value))).await,
                bar()
            );
        }
    }

    #[actix_web::test]
    async fn test_header_with_trailing_spaces_and_commas() {
        let jwt = builder().build().unwrap();
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        let req = get_with(
            "/protected",
            &[("Authorization", format!("Bearer {token},   "))],
        );
        assert_eq!(answer(&app, req).await, bar());
    }

    #[actix_web::test]
    async fn test_custom_header_name() {
        let jwt = builder().header_name("Foo").build().unwrap();
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        let req = get_with(
            "/protected",
            &[("Authorization", format!("Bearer {token}"))],
        );
        assert_eq!(answer(&app, req).await, (401, msg("Missing Foo Header")));
        for value in [
            format!("Bearer {token}"),
            format!("Bearer {token}, Basic randomcredshere"),
            format!("Basic randomcredshere, Bearer {token}"),
        ] {
            assert_eq!(
                answer(&app, get_with("/protected", &[("Foo", value)])).await,
                bar()
            );
        }
    }

    #[actix_web::test]
    async fn test_custom_header_type() {
        let jwt = builder().header_type("JWT").build().unwrap();
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        let auth = |value: String| vec![("Authorization", value)];
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &auth(format!("Bearer {token}")))
            )
            .await,
            (
                401,
                msg(
                    "Missing 'JWT' type in 'Authorization' header. Expected 'Authorization: JWT <JWT>'"
                )
            )
        );
        for value in [
            format!("JWT {token}"),
            format!("JWT {token}, Basic creds"),
            format!("Basic creds, JWT {token}"),
        ] {
            assert_eq!(
                answer(&app, get_with("/protected", &auth(value))).await,
                bar()
            );
        }
        let bare = builder().header_type("").build().unwrap();
        let app = protected_app!(bare);
        assert_eq!(
            answer(&app, get_with("/protected", &auth(token.clone()))).await,
            bar()
        );
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &auth(format!("Bearer {token}")))
            )
            .await,
            (
                422,
                msg("Bad Authorization header. Expected 'Authorization: <JWT>'")
            )
        );
    }

    #[actix_web::test]
    async fn test_missing_headers() {
        let app = protected_app!(builder().build().unwrap());
        assert_eq!(
            answer(&app, get_with("/protected", &[])).await,
            (401, msg("Missing Authorization Header"))
        );
        let app = protected_app!(unauthorized_loader(builder()).build().unwrap());
        assert_eq!(
            answer(&app, get_with("/protected", &[])).await,
            (201, json!({"foo": "bar"}))
        );
    }

    #[actix_web::test]
    async fn test_header_without_jwt() {
        let app = protected_app!(builder().build().unwrap());
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[("Authorization", "Bearer ".into())])
            )
            .await,
            (
                422,
                msg("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'")
            )
        );
    }

    #[actix_web::test]
    async fn test_custom_error_msg_key() {
        let app = protected_app!(builder().error_message_key("message").build().unwrap());
        assert_eq!(
            answer(&app, get_with("/protected", &[])).await,
            (401, json!({"message": "Missing Authorization Header"}))
        );
    }
}

/// `tests/test_query_string.py`.
mod query_string {
    use super::*;

    fn configured(
        configure: impl FnOnce(
            actix_jwt_extended::manager::JwtManagerBuilder,
        ) -> actix_jwt_extended::manager::JwtManagerBuilder,
    ) -> JwtManager {
        configure(builder().token_location([TokenLocation::QueryString]))
            .build()
            .unwrap()
    }

    #[actix_web::test]
    async fn test_default_query_paramater() {
        let jwt = configured(|b| b);
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get_with(&format!("/protected?jwt={token}"), &[])).await,
            bar()
        );
    }

    #[actix_web::test]
    async fn test_query_string_value_prefix() {
        let jwt = configured(|b| b.query_string_value_prefix("bearer "));
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(
                &app,
                get_with(&format!("/protected?jwt=bearer%20{token}"), &[])
            )
            .await,
            bar()
        );
        assert_eq!(
            answer(&app, get_with(&format!("/protected?jwt={token}"), &[])).await,
            (
                422,
                msg(
                    "Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '"
                )
            )
        );
    }

    #[actix_web::test]
    async fn test_custom_query_paramater() {
        let jwt = configured(|b| b.query_string_name("foo"));
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        assert_eq!(
            answer(&app, get_with(&format!("/protected?jwt={token}"), &[])).await,
            (401, msg("Missing 'foo' query paramater"))
        );
        assert_eq!(
            answer(&app, get_with(&format!("/protected?foo={token}"), &[])).await,
            bar()
        );
    }

    #[actix_web::test]
    async fn test_missing_query_paramater() {
        let jwt = configured(|b| b);
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("username").unwrap();
        let missing = (401, msg("Missing 'jwt' query paramater"));
        assert_eq!(answer(&app, get_with("/protected", &[])).await, missing);
        let header = [("Authorization", bearer(&token))];
        assert_eq!(answer(&app, get_with("/protected", &header)).await, missing);
        let app = protected_app!(configured(unauthorized_loader));
        assert_eq!(
            answer(&app, get_with("/protected", &[])).await,
            (201, json!({"foo": "bar"}))
        );
    }
}

/// `tests/test_json.py`.
mod json_body {
    use super::*;

    fn app_manager(
        configure: impl FnOnce(
            actix_jwt_extended::manager::JwtManagerBuilder,
        ) -> actix_jwt_extended::manager::JwtManagerBuilder,
    ) -> JwtManager {
        configure(builder().token_location([TokenLocation::Json]))
            .build()
            .unwrap()
    }

    macro_rules! app {
        ($jwt:expr) => {
            actix_test::init_service(
                App::new()
                    .app_data(web::Data::new($jwt.clone()))
                    .route(
                        "/protected",
                        web::post()
                            .to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) })
                            .wrap(JwtRequired::new()),
                    )
                    .route(
                        "/refresh",
                        web::post()
                            .to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) })
                            .wrap(RefreshRequired::new()),
                    ),
            )
            .await
        };
    }

    fn post(uri: &str, content_type: &str, body: String) -> actix_test::TestRequest {
        actix_test::TestRequest::post()
            .uri(uri)
            .insert_header(("Content-Type", content_type.to_owned()))
            .set_payload(body)
    }

    fn post_json(uri: &str, body: Value) -> actix_test::TestRequest {
        post(uri, "application/json", body.to_string())
    }

    #[actix_web::test]
    async fn test_content_type() {
        let jwt = app_manager(|b| b);
        let app = app!(jwt);
        let access = jwt.create_access_token("username").unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        let form = "application/x-www-form-urlencoded";
        let expected = (401, msg("Invalid content-type. Must be application/json."));
        let req = post("/protected", form, format!("access_token={access}"));
        assert_eq!(answer(&app, req).await, expected);
        let req = post("/refresh", form, format!("refresh_token={refresh}"));
        assert_eq!(answer(&app, req).await, expected);
    }

    #[actix_web::test]
    async fn test_custom_body_key() {
        let jwt = app_manager(|b| b.json_keys("Foo", "Bar"));
        let app = app!(jwt);
        let access = jwt.create_access_token("username").unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        assert_eq!(
            answer(
                &app,
                post_json("/protected", json!({"access_token": access}))
            )
            .await,
            (401, msg("Missing \"Foo\" key in json data."))
        );
        assert_eq!(
            answer(
                &app,
                post_json("/refresh", json!({"refresh_token": refresh}))
            )
            .await,
            (401, msg("Missing \"Bar\" key in json data."))
        );
        assert_eq!(
            answer(&app, post_json("/protected", json!({"Foo": access}))).await,
            bar()
        );
        assert_eq!(
            answer(&app, post_json("/refresh", json!({"Bar": refresh}))).await,
            bar()
        );
    }

    #[actix_web::test]
    async fn test_missing_keys() {
        let app = app!(app_manager(|b| b));
        let req = || post("/protected", "application/json", String::new());
        assert_eq!(
            answer(&app, req()).await,
            (401, msg("Missing \"access_token\" key in json data."))
        );
        let app = app!(app_manager(unauthorized_loader));
        assert_eq!(answer(&app, req()).await, (201, json!({"foo": "bar"})));
    }

    #[actix_web::test]
    async fn test_defaults() {
        let jwt = app_manager(|b| b);
        let app = app!(jwt);
        let access = jwt.create_access_token("username").unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        assert_eq!(
            answer(
                &app,
                post_json("/protected", json!({"access_token": access}))
            )
            .await,
            bar()
        );
        assert_eq!(
            answer(
                &app,
                post_json("/refresh", json!({"refresh_token": refresh}))
            )
            .await,
            bar()
        );
    }

    #[actix_web::test]
    async fn test_custom_content_type() {
        let jwt = app_manager(|b| b);
        let app = app!(jwt);
        let access = jwt.create_access_token("username").unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        let content_type = "application/json;charset=UTF-8";
        let req = post(
            "/protected",
            content_type,
            json!({"access_token": access}).to_string(),
        );
        assert_eq!(answer(&app, req).await, bar());
        let req = post(
            "/refresh",
            content_type,
            json!({"refresh_token": refresh}).to_string(),
        );
        assert_eq!(answer(&app, req).await, bar());
    }
}

/// `tests/test_options_method.py`. README, "OPTIONS without a token": a
/// preflight passes the guard with an empty 200 and never reaches the
/// handler (Flask runs the view, which answers "ok").
mod options_method {
    use super::*;

    async fn options(uri: &str) -> (u16, actix_web::web::Bytes) {
        let jwt = JwtManager::builder()
            .secret("secret")
            .allow_short_secret()
            .build()
            .unwrap();
        let ok = || web::route().to(|| async { HttpResponse::Ok().body("ok") });
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt))
                .route("/jwt_required", ok().wrap(JwtRequired::new()))
                .route("/fresh_jwt_required", ok().wrap(JwtRequired::new().fresh()))
                .route(
                    "/jwt_refresh_token_required",
                    ok().wrap(RefreshRequired::new()),
                ),
        )
        .await;
        let req = actix_test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(uri)
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        (
            response.status().as_u16(),
            actix_test::read_body(response).await,
        )
    }

    #[actix_web::test]
    async fn test_access_jwt_required_enpoint() {
        assert_eq!(options("/jwt_required").await, (200, "".into()));
    }

    #[actix_web::test]
    async fn test_access_jwt_refresh_token_required_enpoint() {
        assert_eq!(
            options("/jwt_refresh_token_required").await,
            (200, "".into())
        );
    }

    #[actix_web::test]
    async fn test_access_fresh_jwt_required_enpoint() {
        assert_eq!(options("/fresh_jwt_required").await, (200, "".into()));
    }
}

/// `tests/test_claims_verification.py`: `token_verification_loader` is
/// `verify_claims`, `token_verification_failed_loader` the `error_response`
/// hook.
mod claims_verification {
    use actix_jwt_extended::JwtError;

    use super::*;

    async fn check(verdict: bool, custom: bool, expected: (u16, Value)) {
        let mut jwt = builder()
            .additional_claims_loader(|_| json!({"foo": "bar"}))
            .verify_claims(move |token| {
                assert_eq!(token.header()["alg"], "HS256");
                assert_eq!(token.identity(), "username");
                verdict
            });
        if custom {
            jwt = jwt.error_response(|error, token| match error {
                JwtError::ClaimsVerificationFailed => {
                    let who = token.expect("the refused token").identity().to_owned();
                    Some(
                        HttpResponse::NotFound()
                            .json(json!({"msg": format!("claims failed for {who}")})),
                    )
                }
                _ => None,
            });
        }
        let jwt = jwt.build().unwrap();
        let route = || web::get().to(|| async { HttpResponse::Ok().json(json!({"foo": "bar"})) });
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .route("/protected1", route().wrap(JwtRequired::new()))
                .route("/protected2", route().wrap(JwtRequired::new().fresh()))
                .route("/protected3", route().wrap(JwtRequired::new().optional())),
        )
        .await;
        let token = jwt
            .access_token_builder("username")
            .fresh(true)
            .encode()
            .unwrap();
        for url in ["/protected1", "/protected2", "/protected3"] {
            let req = get_with(url, &[("Authorization", bearer(&token))]);
            assert_eq!(answer(&app, req).await, expected, "{url}");
        }
    }

    #[actix_web::test]
    async fn test_successful_claims_validation() {
        check(true, false, bar()).await;
    }

    #[actix_web::test]
    async fn test_unsuccessful_claims_validation() {
        check(false, false, (400, msg("User claims verification failed"))).await;
    }

    #[actix_web::test]
    async fn test_claims_validation_custom_error() {
        check(false, true, (404, msg("claims failed for username"))).await;
    }
}

/// `tests/test_get_methods_in_optional_endpoint.py`: on an optional route
/// without a token every reader is empty and the user loader never runs.
mod get_methods_in_optional_endpoint {
    use actix_jwt_extended::{
        Claims, CurrentUser, JwtIdentity, manager::UserLoader, token::DecodedToken,
    };

    use super::*;

    struct NeverCalled;

    impl UserLoader for NeverCalled {
        type User = String;
        type Error = std::convert::Infallible;
        async fn load(&self, _: &DecodedToken) -> Result<Option<String>, Self::Error> {
            panic!("the user loader ran for a request without a token");
        }
    }

    #[actix_web::test]
    async fn test_get_jwt_in_optional_route() {
        let jwt = builder().user_loader(NeverCalled).build().unwrap();
        let app = actix_test::init_service(
            App::new().app_data(web::Data::new(jwt)).route(
                "/optional",
                web::get()
                    .to(
                        |claims: Option<Claims>,
                         identity: Option<JwtIdentity>,
                         user: Option<CurrentUser<String>>| async move {
                            assert!(claims.is_none() && identity.is_none() && user.is_none());
                            HttpResponse::Ok().json(json!({"foo": "bar"}))
                        },
                    )
                    .wrap(JwtRequired::new().optional()),
            ),
        )
        .await;
        assert_eq!(answer(&app, get_with("/optional", &[])).await, bar());
    }
}

/// `tests/test_user_lookup.py`: `user_lookup_loader` is a `UserLoader`,
/// `current_user` and `get_current_user()` the `CurrentUser` extractor.
mod user_lookup {
    use actix_jwt_extended::{CurrentUser, JwtError, manager::UserLoader, token::DecodedToken};

    use super::*;

    /// Flask's `user_lookup_callback`: the user, or nobody.
    struct Users {
        found: bool,
    }

    impl UserLoader for Users {
        type User = Value;
        type Error = std::convert::Infallible;
        async fn load(&self, token: &DecodedToken) -> Result<Option<Value>, Self::Error> {
            Ok(self
                .found
                .then(|| json!({"username": token.claims()["sub"]})))
        }
    }

    async fn get_user(user: CurrentUser<Value>) -> HttpResponse {
        HttpResponse::Ok().json(json!({"foo": user["username"]}))
    }

    async fn both_urls(jwt: JwtManager, expected: (u16, Value)) {
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .route(
                    "/get_user1",
                    web::get().to(get_user).wrap(JwtRequired::new()),
                )
                .route(
                    "/get_user2",
                    web::get().to(get_user).wrap(JwtRequired::new()),
                ),
        )
        .await;
        let token = jwt.create_access_token("username").unwrap();
        for url in ["/get_user1", "/get_user2"] {
            let req = get_with(url, &[("Authorization", bearer(&token))]);
            assert_eq!(answer(&app, req).await, expected, "{url}");
        }
    }

    /// Flask raises a RuntimeError naming `@jwt.user_lookup_loader`; here a
    /// 500 names `JwtManagerBuilder::user_loader`.
    #[actix_web::test]
    async fn test_no_user_lookup_loader_specified() {
        let expected = (
            500,
            msg(
                "CurrentUser needs a user loader: register one with JwtManagerBuilder::user_loader",
            ),
        );
        both_urls(builder().build().unwrap(), expected).await;
    }

    #[actix_web::test]
    async fn test_load_valid_user() {
        let jwt = builder()
            .user_loader(Users { found: true })
            .build()
            .unwrap();
        both_urls(jwt, (200, json!({"foo": "username"}))).await;
    }

    #[actix_web::test]
    async fn test_load_invalid_user() {
        let jwt = builder()
            .user_loader(Users { found: false })
            .build()
            .unwrap();
        both_urls(jwt, (401, msg("Error loading the user username"))).await;
    }

    #[actix_web::test]
    async fn test_custom_user_lookup_errors() {
        let jwt = builder()
            .user_loader(Users { found: false })
            .error_response(|error, token| match error {
                JwtError::UserNotFound(_) => {
                    let token = token.expect("the token");
                    assert_eq!(token.header()["alg"], "HS256");
                    assert_eq!(token.identity(), "username");
                    Some(HttpResponse::Created().json(json!({"foo": "bar"})))
                }
                _ => None,
            })
            .build()
            .unwrap();
        both_urls(jwt, (201, json!({"foo": "bar"}))).await;
    }
}

/// The `/protected` (access) and `/protected2` (refresh) routes of
/// `test_additional_claims_loader.py` and `test_jwt_header_loader.py`,
/// answering with the token's claims or header.
async fn claims_and_header_answers(jwt: &JwtManager, access: &str, refresh: &str) -> [Value; 2] {
    use actix_jwt_extended::Claims;
    let claims = |claims: Claims| async move {
        HttpResponse::Ok()
            .json(json!({"claims": claims.token().claims(), "header": claims.token().header()}))
    };
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/protected", web::get().to(claims).wrap(JwtRequired::new()))
            .route(
                "/protected2",
                web::get().to(claims).wrap(RefreshRequired::new()),
            ),
    )
    .await;
    let mut answers = [Value::Null, Value::Null];
    for (answer_of, (url, token)) in answers
        .iter_mut()
        .zip([("/protected", access), ("/protected2", refresh)])
    {
        let (status, body) = answer(&app, get_with(url, &[("Authorization", bearer(token))])).await;
        assert_eq!(status, 200, "{url}: {body}");
        *answer_of = body;
    }
    answers
}

/// `tests/test_additional_claims_loader.py`.
mod additional_claims_loader {
    use actix_jwt_extended::JwtError;

    use super::*;

    fn with_loader(claims: Value) -> JwtManager {
        builder()
            .additional_claims_loader(move |_| claims.clone())
            .build()
            .unwrap()
    }

    async fn claims(jwt: &JwtManager, access: &str, refresh: &str) -> [Value; 2] {
        claims_and_header_answers(jwt, access, refresh)
            .await
            .map(|answer| answer["claims"].clone())
    }

    fn pair(jwt: &JwtManager) -> (String, String) {
        (
            jwt.create_access_token("username").unwrap(),
            jwt.create_refresh_token("username").unwrap(),
        )
    }

    #[actix_web::test]
    async fn test_additional_claims_in_access_token() {
        let jwt = with_loader(json!({"foo": "bar"}));
        let (access, refresh) = pair(&jwt);
        assert_eq!(claims(&jwt, &access, &refresh).await[0]["foo"], "bar");
    }

    /// Flask raises a TypeError for claims that are not a JSON object; here
    /// creating the token fails.
    #[test]
    fn test_non_serializable_claims() {
        let jwt = with_loader(json!(["not", "an", "object"]));
        assert!(matches!(
            jwt.create_access_token("username"),
            Err(JwtError::Creation(_))
        ));
    }

    #[actix_web::test]
    async fn test_token_from_complex_object() {
        #[derive(serde::Serialize)]
        struct TestObject {
            username: String,
        }
        let jwt = builder()
            .additional_claims_loader(|object| json!({"username": object["username"]}))
            .identity_loader(|object| object["username"].as_str().unwrap_or_default().to_owned())
            .build()
            .unwrap();
        let object = || TestObject {
            username: "username".into(),
        };
        let access = jwt.create_access_token(object()).unwrap();
        let decoded = jwt.decode_token(&access).unwrap();
        assert_eq!(
            (
                decoded.claims()["sub"].as_str(),
                decoded.claims()["username"].as_str()
            ),
            (Some("username"), Some("username"))
        );
        let refresh = jwt.create_refresh_token(object()).unwrap();
        assert_eq!(
            claims(&jwt, &access, &refresh).await[0]["username"],
            "username"
        );
    }

    #[actix_web::test]
    async fn test_additional_claims_in_refresh_token() {
        let jwt = with_loader(json!({"foo": "bar"}));
        let (access, refresh) = pair(&jwt);
        assert_eq!(claims(&jwt, &access, &refresh).await[1]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_additional_claims_in_refresh_token_specified_at_creation() {
        let jwt = builder().build().unwrap();
        let access = jwt.create_access_token("username").unwrap();
        let refresh = jwt
            .refresh_token_builder("username")
            .claims(json!({"foo": "bar"}))
            .encode()
            .unwrap();
        assert_eq!(claims(&jwt, &access, &refresh).await[1]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_additional_claims_in_access_token_specified_at_creation() {
        let jwt = builder().build().unwrap();
        let access = jwt
            .access_token_builder("username")
            .claims(json!({"foo": "bar"}))
            .encode()
            .unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        assert_eq!(claims(&jwt, &access, &refresh).await[0]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_addition_claims_merge() {
        let jwt = with_loader(json!({"default": "value"}));
        let access = jwt
            .access_token_builder("username")
            .claims(json!({"foo": "bar"}))
            .encode()
            .unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        let [claims, _] = claims(&jwt, &access, &refresh).await;
        assert_eq!(
            (claims["foo"].as_str(), claims["default"].as_str()),
            (Some("bar"), Some("value"))
        );
    }

    #[actix_web::test]
    async fn test_addition_claims_merge_tie_goes_to_create_access_token() {
        let jwt = with_loader(json!({"default": "value"}));
        let access = jwt
            .access_token_builder("username")
            .claims(json!({"default": "foo"}))
            .encode()
            .unwrap();
        let refresh = jwt.create_refresh_token("username").unwrap();
        assert_eq!(claims(&jwt, &access, &refresh).await[0]["default"], "foo");
    }
}

/// `tests/test_jwt_header_loader.py`.
mod jwt_header_loader {
    use actix_jwt_extended::JwtError;

    use super::*;

    fn with_loader(headers: Value) -> JwtManager {
        builder()
            .additional_headers_loader(move |_| headers.clone())
            .build()
            .unwrap()
    }

    async fn headers(jwt: &JwtManager, access: &str, refresh: &str) -> [Value; 2] {
        claims_and_header_answers(jwt, access, refresh)
            .await
            .map(|answer| answer["header"].clone())
    }

    fn minted(jwt: &JwtManager, extra: Option<(&str, &str)>) -> (String, String) {
        let mut access = jwt.access_token_builder("username");
        let mut refresh = jwt.refresh_token_builder("username");
        if let Some((name, value)) = extra {
            access = access.header(name, value);
            refresh = refresh.header(name, value);
        }
        (access.encode().unwrap(), refresh.encode().unwrap())
    }

    #[actix_web::test]
    async fn test_jwt_headers_in_access_token() {
        let jwt = with_loader(json!({"foo": "bar"}));
        let (access, refresh) = minted(&jwt, None);
        assert_eq!(headers(&jwt, &access, &refresh).await[0]["foo"], "bar");
    }

    /// Flask raises a TypeError; here creating the token fails.
    #[test]
    fn test_non_serializable_headers() {
        let jwt = with_loader(json!("not an object"));
        assert!(matches!(
            jwt.create_access_token("username"),
            Err(JwtError::Creation(_))
        ));
    }

    #[actix_web::test]
    async fn test_jwt_headers_in_refresh_token() {
        let jwt = with_loader(json!({"foo": "bar"}));
        let (access, refresh) = minted(&jwt, None);
        assert_eq!(headers(&jwt, &access, &refresh).await[1]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_jwt_header_in_refresh_token_specified_at_creation() {
        let jwt = builder().build().unwrap();
        let (access, refresh) = minted(&jwt, Some(("foo", "bar")));
        assert_eq!(headers(&jwt, &access, &refresh).await[1]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_jwt_header_in_access_token_specified_at_creation() {
        let jwt = builder().build().unwrap();
        let (access, refresh) = minted(&jwt, Some(("foo", "bar")));
        assert_eq!(headers(&jwt, &access, &refresh).await[0]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_jwt_header_in_access_token_specified_at_creation_override() {
        let jwt = with_loader(json!({"ping": "pong"}));
        let (access, refresh) = minted(&jwt, Some(("foo", "bar")));
        assert_eq!(headers(&jwt, &access, &refresh).await[0]["foo"], "bar");
    }

    #[actix_web::test]
    async fn test_jwt_header_in_refresh_token_specified_at_creation_override() {
        let jwt = with_loader(json!({"ping": "pong"}));
        let (access, refresh) = minted(&jwt, Some(("foo", "bar")));
        assert_eq!(headers(&jwt, &access, &refresh).await[1]["foo"], "bar");
    }
}

/// `tests/test_asymmetric_crypto.py`.
mod asymmetric_crypto {
    use jsonwebtoken::Algorithm;

    use super::*;

    /// Flask's test key is 1024 bits, which README's "RSA keys of 2048 bits
    /// or more" refuses; the test runs with the suite's 2048-bit pair.
    #[actix_web::test]
    async fn test_asymmetric_cropto() {
        let small = builder()
            .algorithm(Algorithm::RS256)
            .private_key(common::pem("rs1024_private.pem"))
            .public_key(common::pem("rs1024_public.pem"))
            .build();
        assert!(small.is_err());

        let hs256_token = builder()
            .build()
            .unwrap()
            .create_access_token("username")
            .unwrap();
        let rs256 = builder()
            .algorithm(Algorithm::RS256)
            .private_key(common::pem("rs256_private.pem"))
            .public_key(common::pem("rs256_public.pem"))
            .build()
            .unwrap();
        let rs256_token = rs256.create_access_token("username").unwrap();
        let app = protected_app!(rs256);
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[("Authorization", bearer(&hs256_token))])
            )
            .await,
            (422, msg("The specified alg value is not allowed"))
        );
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[("Authorization", bearer(&rs256_token))])
            )
            .await,
            bar()
        );
    }
}

/// `tests/test_get_jwt_in_non_protected_contexts.py`. README, "Extractors
/// protect unguarded routes": Flask's `get_jwt()` and friends raise a
/// RuntimeError outside `jwt_required`; our extractors verify the token
/// themselves, so without one the request is refused with 401.
mod get_jwt_in_non_protected_contexts {
    use actix_jwt_extended::{Claims, CurrentUser, JwtIdentity};

    use super::*;

    async fn unguarded<F, Args>(handler: F) -> (u16, Value)
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let jwt = builder().build().unwrap();
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(jwt))
                .route("/", web::get().to(handler)),
        )
        .await;
        answer(&app, get_with("/", &[])).await
    }

    fn refused() -> (u16, Value) {
        (401, msg("Missing Authorization Header"))
    }

    #[actix_web::test]
    async fn test_get_jwt_in_non_protected_route() {
        assert_eq!(
            unguarded(|_: Claims| async { HttpResponse::Ok().finish() }).await,
            refused()
        );
    }

    #[actix_web::test]
    async fn test_get_jwt_header_in_non_protected_route() {
        let header =
            |claims: Claims| async move { HttpResponse::Ok().json(claims.token().header()) };
        assert_eq!(unguarded(header).await, refused());
    }

    #[actix_web::test]
    async fn test_get_jwt_identity_in_non_protected_route() {
        assert_eq!(
            unguarded(|_: JwtIdentity| async { HttpResponse::Ok().finish() }).await,
            refused()
        );
    }

    #[actix_web::test]
    async fn test_current_user_in_non_protected_route() {
        let user = |_: CurrentUser<Value>| async { HttpResponse::Ok().finish() };
        assert_eq!(unguarded(user).await, refused());
    }

    #[actix_web::test]
    async fn test_get_current_user_in_non_protected_route() {
        let user = |_: CurrentUser<String>| async { HttpResponse::Ok().finish() };
        assert_eq!(unguarded(user).await, refused());
    }
}

/// `tests/test_config.py`, through `FlaskConfig`: Flask reads its config
/// object; here each option shows in what the manager does.
/// `test_config_json_encoder_flask21` and `test_config_json_encoder_flask`
/// have no twin: they test Flask's JSON encoder class.
mod config {
    use actix_jwt_extended::config::{ConfigError, FlaskConfig};

    use super::*;

    fn flask(options: Value) -> Result<JwtManager, ConfigError> {
        serde_json::from_value::<FlaskConfig>(options)
            .map_err(|error| ConfigError::InvalidOption(error.to_string()))?
            .into_builder()?
            .allow_short_secret()
            .build()
    }

    fn lifetime(jwt: &JwtManager, token: &str) -> Option<i64> {
        let decoded = jwt.decode_token(token).unwrap();
        Some(decoded.expires_at()? - decoded.claims()["iat"].as_i64().unwrap())
    }

    fn lifetimes(jwt: &JwtManager) -> (Option<i64>, Option<i64>) {
        (
            lifetime(jwt, &jwt.create_access_token("u").unwrap()),
            lifetime(jwt, &jwt.create_refresh_token("u").unwrap()),
        )
    }

    /// The `Set-Cookie` values for a new access and refresh token.
    fn cookies(jwt: &JwtManager) -> Vec<String> {
        let response = HttpResponse::Ok()
            .set_access_cookies(jwt, &jwt.create_access_token("u").unwrap())
            .unwrap()
            .set_refresh_cookies(jwt, &jwt.create_refresh_token("u").unwrap())
            .unwrap()
            .finish();
        common::set_cookies(&response)
    }

    #[actix_web::test]
    async fn test_default_configs() {
        let jwt = flask(json!({"JWT_SECRET_KEY": SECRET})).unwrap();
        assert_eq!(lifetimes(&jwt), (Some(15 * 60), Some(30 * 86_400)));
        let token = jwt.create_access_token("u").unwrap();
        let decoded = jwt.decode_token(&token).unwrap();
        assert_eq!(decoded.header()["alg"], "HS256");
        assert!(decoded.claims().contains_key("sub") && decoded.claims().contains_key("csrf"));
        let names: Vec<String> = cookies(&jwt)
            .iter()
            .map(|cookie| {
                assert!(
                    cookie.contains("Path=/") && !cookie.contains("Max-Age"),
                    "{cookie}"
                );
                cookie.split('=').next().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "access_token_cookie",
                "csrf_access_token",
                "refresh_token_cookie",
                "csrf_refresh_token"
            ]
        );
        // Headers only, `Authorization: Bearer`, errors under `msg`.
        let app = protected_app!(jwt);
        assert_eq!(
            answer(&app, get_with(&format!("/protected?jwt={token}"), &[])).await,
            (401, msg("Missing Authorization Header"))
        );
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[("Authorization", bearer(&token))])
            )
            .await,
            bar()
        );
    }

    #[actix_web::test]
    async fn test_override_configs() {
        let long_secret = "0123456789abcdef".repeat(4);
        let jwt = flask(json!({
            "JWT_SECRET_KEY": long_secret,
            "JWT_TOKEN_LOCATION": ["cookies", "query_string", "json"],
            "JWT_HEADER_NAME": "TestHeader",
            "JWT_HEADER_TYPE": "TestType",
            "JWT_JSON_KEY": "TestKey",
            "JWT_REFRESH_JSON_KEY": "TestRefreshKey",
            "JWT_DECODE_ISSUER": "TestEncodeIssuer",
            "JWT_ENCODE_ISSUER": "TestEncodeIssuer",
            "JWT_QUERY_STRING_NAME": "banana",
            "JWT_QUERY_STRING_VALUE_PREFIX": "kiwi",
            "JWT_ACCESS_COOKIE_NAME": "new_access_cookie",
            "JWT_REFRESH_COOKIE_NAME": "new_refresh_cookie",
            "JWT_ACCESS_COOKIE_PATH": "/access/path",
            "JWT_REFRESH_COOKIE_PATH": "/refresh/path",
            "JWT_COOKIE_SECURE": true,
            "JWT_COOKIE_DOMAIN": ".example.com",
            "JWT_SESSION_COOKIE": false,
            "JWT_COOKIE_SAMESITE": "Strict",
            "JWT_COOKIE_CSRF_PROTECT": true,
            "JWT_CSRF_METHODS": ["GET"],
            "JWT_CSRF_IN_COOKIES": false,
            "JWT_ACCESS_CSRF_COOKIE_NAME": "access_csrf_cookie",
            "JWT_REFRESH_CSRF_COOKIE_NAME": "refresh_csrf_cookie",
            "JWT_ACCESS_CSRF_COOKIE_PATH": "/csrf/access/path",
            "JWT_REFRESH_CSRF_COOKIE_PATH": "/csrf/refresh/path",
            "JWT_ACCESS_CSRF_HEADER_NAME": "X-ACCESS-CSRF",
            "JWT_REFRESH_CSRF_HEADER_NAME": "X-REFRESH-CSRF",
            "JWT_ACCESS_TOKEN_EXPIRES": 300,
            "JWT_REFRESH_TOKEN_EXPIRES": 432000,
            "JWT_ALGORITHM": "HS512",
            "JWT_DECODE_ALGORITHMS": ["HS512", "HS256"],
            "JWT_IDENTITY_CLAIM": "foo",
            "JWT_ERROR_MESSAGE_KEY": "message",
        }))
        .unwrap();
        assert_eq!(lifetimes(&jwt), (Some(300), Some(5 * 86_400)));
        let token = jwt.create_access_token("u").unwrap();
        let decoded = jwt.decode_token(&token).unwrap();
        assert_eq!(decoded.header()["alg"], "HS512");
        assert_eq!(
            (
                decoded.claims()["foo"].as_str(),
                decoded.claims()["iss"].as_str()
            ),
            (Some("u"), Some("TestEncodeIssuer"))
        );
        // CSRF stays in the token, not in a cookie: two cookies, each with
        // the configured name, path, domain and a lifetime.
        let set = common::in_one_second(async || cookies(&jwt)).await;
        assert_eq!(set.len(), 2);
        for (cookie, (name, path, max_age)) in set.iter().zip([
            ("new_access_cookie", "/access/path", 300),
            ("new_refresh_cookie", "/refresh/path", 432_000),
        ]) {
            assert!(cookie.starts_with(&format!("{name}=")), "{cookie}");
            let attributes = common::persistent_attributes(cookie);
            for expected in [
                format!("Path={path}"),
                "Domain=example.com".to_owned(),
                "Secure".to_owned(),
                "SameSite=Strict".to_owned(),
                format!("Max-Age={max_age}"),
            ] {
                assert!(attributes.contains(&expected), "{cookie}: {expected}");
            }
        }
        // The query string with its name and prefix; CSRF on GET with the
        // configured header; errors under `message`.
        let app = protected_app!(jwt);
        assert_eq!(
            answer(
                &app,
                get_with(&format!("/protected?banana=kiwi{token}"), &[])
            )
            .await,
            bar()
        );
        let csrf = decoded.claims()["csrf"].as_str().unwrap().to_owned();
        let cookie = ("Cookie", format!("new_access_cookie={token}"));
        assert_eq!(
            answer(&app, get_with("/protected", std::slice::from_ref(&cookie))).await,
            (401, json!({"message": "Missing CSRF token"}))
        );
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[cookie, ("X-ACCESS-CSRF", csrf)])
            )
            .await,
            bar()
        );
    }

    #[test]
    fn test_tokens_never_expire() {
        let jwt = flask(json!({
            "JWT_SECRET_KEY": SECRET, "JWT_ACCESS_TOKEN_EXPIRES": false, "JWT_REFRESH_TOKEN_EXPIRES": false,
        }))
        .unwrap();
        assert_eq!(lifetimes(&jwt), (None, None));
    }

    #[test]
    fn test_tokens_with_int_values() {
        let jwt = flask(json!({
            "JWT_SECRET_KEY": SECRET, "JWT_ACCESS_TOKEN_EXPIRES": 300, "JWT_REFRESH_TOKEN_EXPIRES": 432000,
        }))
        .unwrap();
        assert_eq!(lifetimes(&jwt), (Some(300), Some(432_000)));
    }

    #[test]
    fn test_symmetric_secret_key() {
        assert_eq!(flask(json!({})).unwrap_err(), ConfigError::MissingSecret);
        let minted_with = |secret: &str, token: &str| {
            common::manager_with_secret(secret)
                .decode_token(token)
                .is_ok()
        };
        let fallback = flask(json!({"SECRET_KEY": "foobar"})).unwrap();
        assert!(minted_with(
            "foobar",
            &fallback.create_access_token("u").unwrap()
        ));
        let own = flask(json!({"SECRET_KEY": "foobar", "JWT_SECRET_KEY": "foobarbaz"})).unwrap();
        assert!(minted_with(
            "foobarbaz",
            &own.create_access_token("u").unwrap()
        ));
    }

    #[test]
    fn test_default_with_asymmetric_secret_key() {
        for options in [
            json!({"JWT_ALGORITHM": "RS256"}),
            json!({"JWT_ALGORITHM": "RS256", "SECRET_KEY": "foobar"}),
            json!({"JWT_ALGORITHM": "RS256", "JWT_SECRET_KEY": "foobarbaz"}),
        ] {
            assert!(flask(options.clone()).is_err(), "{options}");
        }
        let pem = |name| String::from_utf8(common::pem(name)).unwrap();
        let jwt = flask(json!({
            "JWT_ALGORITHM": "RS256",
            "JWT_SECRET_KEY": "foobarbaz",
            "JWT_PRIVATE_KEY": pem("rs256_private.pem"),
            "JWT_PUBLIC_KEY": pem("rs256_public.pem"),
        }))
        .unwrap();
        let token = jwt.create_access_token("u").unwrap();
        assert_eq!(jwt.decode_token(&token).unwrap().header()["alg"], "RS256");
    }

    #[test]
    fn test_invalid_config_options() {
        for (name, value) in [
            ("JWT_TOKEN_LOCATION", json!([])),
            ("JWT_TOKEN_LOCATION", json!("banana")),
            ("JWT_TOKEN_LOCATION", json!(1)),
            ("JWT_TOKEN_LOCATION", json!({"location": "headers"})),
            (
                "JWT_TOKEN_LOCATION",
                json!(["headers", "cookies", "banana"]),
            ),
            ("JWT_HEADER_NAME", json!("")),
            ("JWT_ACCESS_TOKEN_EXPIRES", json!("banana")),
            ("JWT_REFRESH_TOKEN_EXPIRES", json!("banana")),
            ("JWT_ACCESS_TOKEN_EXPIRES", json!(true)),
            ("JWT_REFRESH_TOKEN_EXPIRES", json!(true)),
        ] {
            let options = json!({"JWT_SECRET_KEY": SECRET, name: value});
            assert!(flask(options).is_err(), "{name} = {value}");
        }
    }

    #[test]
    fn test_jwt_token_locations_config() {
        let names = ["headers", "cookies", "query_string", "json"];
        for location in names {
            assert!(
                flask(json!({"JWT_SECRET_KEY": SECRET, "JWT_TOKEN_LOCATION": location})).is_ok()
            );
        }
        for count in 1..=names.len() {
            let locations = &names[..count];
            assert!(
                flask(json!({"JWT_SECRET_KEY": SECRET, "JWT_TOKEN_LOCATION": locations})).is_ok()
            );
            let text = locations.join(",");
            assert!(flask(json!({"JWT_SECRET_KEY": SECRET, "JWT_TOKEN_LOCATION": text})).is_ok());
        }
    }

    #[test]
    fn test_csrf_protect_config() {
        for (protect, set) in [(true, 4), (false, 2)] {
            let jwt = flask(json!({"JWT_SECRET_KEY": SECRET, "JWT_COOKIE_CSRF_PROTECT": protect}))
                .unwrap();
            assert_eq!(cookies(&jwt).len(), set, "{protect}");
            let token = jwt.create_access_token("u").unwrap();
            assert_eq!(
                jwt.decode_token(&token)
                    .unwrap()
                    .claims()
                    .contains_key("csrf"),
                protect
            );
        }
    }

    /// README, "Unverifiable decode algorithms": Flask lists HS512 beside
    /// RS256 and then cannot verify it; `FlaskConfig` leaves it out.
    #[actix_web::test]
    async fn test_missing_algorithm_in_decode_algorithms() {
        let pem = |name| String::from_utf8(common::pem(name)).unwrap();
        let jwt = flask(json!({
            "JWT_ALGORITHM": "RS256",
            "JWT_DECODE_ALGORITHMS": ["HS512"],
            "JWT_PRIVATE_KEY": pem("rs256_private.pem"),
            "JWT_PUBLIC_KEY": pem("rs256_public.pem"),
        }))
        .unwrap();
        let app = protected_app!(jwt);
        let token = jwt.create_access_token("u").unwrap();
        assert_eq!(
            answer(
                &app,
                get_with("/protected", &[("Authorization", bearer(&token))])
            )
            .await,
            bar()
        );
    }
}
