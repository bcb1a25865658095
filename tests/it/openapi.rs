//! The OpenAPI description (feature `utoipa`): the schemes each manager
//! configuration yields, the requirements on guarded and public operations,
//! the document checked by a real validator (`openapi-spec-validator`), and
//! the example's `/openapi.json` against what its guards really do.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_jwt_extended::{
    JwtManager, JwtRequired, RefreshRequired, config::TokenLocation, cookies::CookieConfig,
    openapi::JwtSecurity,
};
use actix_web::http::{Method, header::HeaderName};
use serde_json::{Value, json};
use utoipa::{Modify, OpenApi};

use crate::common::{self, SECRET};

/// The described operations: only their `#[utoipa::path]` descriptions are used.
#[allow(dead_code)]
mod handlers {
    #[utoipa::path(post, path = "/login", responses((status = 200, description = "A token pair")))]
    pub(super) fn login() {}

    #[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
    pub(super) fn health() {}

    #[utoipa::path(get, path = "/api/items", responses((status = 200, description = "Items")))]
    pub(super) fn list_items() {}

    #[utoipa::path(post, path = "/api/items", responses((status = 201, description = "Added")))]
    pub(super) fn add_item() {}

    #[utoipa::path(delete, path = "/api/items/{id}", params(("id" = u32, Path, description = "The item")),
        responses((status = 204, description = "Deleted")))]
    pub(super) fn delete_item() {}

    #[utoipa::path(get, path = "/feed", responses((status = 200, description = "For anyone")))]
    pub(super) fn feed() {}

    #[utoipa::path(post, path = "/account/password", responses((status = 200, description = "Changed")))]
    pub(super) fn change_password() {}

    #[utoipa::path(post, path = "/refresh", responses((status = 200, description = "A new access token")))]
    pub(super) fn refresh() {}
}

#[derive(OpenApi)]
#[openapi(paths(
    handlers::login,
    handlers::health,
    handlers::list_items,
    handlers::add_item,
    handlers::delete_item,
    handlers::feed,
    handlers::change_password,
    handlers::refresh
))]
struct TestDoc;

/// Access-guarded operations of [`TestDoc`] under [`guards`].
const ACCESS: [(&str, &str); 4] = [
    ("get", "/api/items"),
    ("post", "/api/items"),
    ("delete", "/api/items/{id}"),
    ("post", "/account/password"),
];
const PUBLIC: [(&str, &str); 2] = [("post", "/login"), ("get", "/health")];

/// The app's guards, as its routes would wrap them.
fn guards(jwt: &JwtManager) -> JwtSecurity {
    JwtSecurity::new(jwt)
        .scope("/api", JwtRequired::new())
        .route(
            "/account/password",
            Method::POST,
            JwtRequired::new().fresh(),
        )
        .resource("/feed", JwtRequired::new().optional())
        .resource("/refresh", RefreshRequired::new())
}

/// [`TestDoc`] with `security` applied, as JSON.
fn document(security: &JwtSecurity) -> Value {
    let mut doc = TestDoc::openapi();
    security.apply(&mut doc).unwrap();
    serde_json::to_value(&doc).unwrap()
}

fn requirements_of(doc: &Value, method: &str, path: &str) -> Value {
    doc["paths"][path][method]
        .get("security")
        .cloned()
        .unwrap_or(Value::Null)
}

fn schemes(doc: &Value) -> &serde_json::Map<String, Value> {
    doc["components"]["securitySchemes"].as_object().unwrap()
}

/// What holds for every configuration: each guarded operation needs a token
/// (the optional one allows none, last), through registered schemes only;
/// no public operation has requirements.
fn assert_guarded_and_public(doc: &Value) {
    let registered = schemes(doc);
    let guarded = ACCESS
        .iter()
        .chain(&[("post", "/refresh"), ("get", "/feed")]);
    for &(method, path) in guarded {
        let requirements = requirements_of(doc, method, path);
        let requirements = requirements
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} is guarded but has no security: {doc:#}"));
        let (last, named) = match path {
            "/feed" => {
                let (last, named) = requirements.split_last().unwrap();
                (Some(last), named)
            }
            _ => (None, &requirements[..]),
        };
        assert!(
            last.is_none_or(|last| *last == json!({})),
            "{method} {path}"
        );
        assert!(!named.is_empty(), "{method} {path}");
        for requirement in named {
            let names = requirement.as_object().unwrap();
            assert!(!names.is_empty(), "{method} {path}: {requirements:?}");
            for name in names.keys() {
                assert!(registered.contains_key(name), "{name} is not registered");
            }
        }
    }
    for (method, path) in PUBLIC {
        assert_eq!(
            requirements_of(doc, method, path),
            Value::Null,
            "{method} {path}"
        );
    }
}

/// The document passes `openapi-spec-validator` (`OPENAPI_SPEC_VALIDATOR`,
/// set by `.ci/run`, or on PATH).
fn assert_valid(doc: &Value) {
    static FILES: AtomicUsize = AtomicUsize::new(0);
    let Some(validator) = common::tool("OPENAPI_SPEC_VALIDATOR", "openapi-spec-validator") else {
        return;
    };
    let file = std::env::temp_dir().join(format!(
        "actix-jwt-extended-openapi-{}-{}.json",
        std::process::id(),
        FILES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let output = Command::new(&validator).arg(&file).output();
    let _ = std::fs::remove_file(&file);
    let output = output.unwrap_or_else(|err| panic!("cannot run {}: {err}", validator.display()));
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the document:\n{}{}\n{doc:#}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

fn manager(builder: actix_jwt_extended::manager::JwtManagerBuilder) -> JwtManager {
    builder.secret(SECRET).allow_short_secret().build().unwrap()
}

fn cookies_only() -> JwtManager {
    manager(JwtManager::builder().token_location([TokenLocation::Cookies]))
}

#[test]
fn headers_only_is_an_http_bearer_scheme_on_every_guarded_operation() {
    let doc = document(&guards(&common::manager()));

    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({ "jwt_header": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } })
    );
    for (method, path) in ACCESS.into_iter().chain([("post", "/refresh")]) {
        assert_eq!(
            requirements_of(&doc, method, path),
            json!([{ "jwt_header": [] }]),
            "{method} {path}"
        );
    }
    assert_eq!(
        requirements_of(&doc, "get", "/feed"),
        json!([{ "jwt_header": [] }, {}])
    );
    assert_guarded_and_public(&doc);
    assert_valid(&doc);
}

#[test]
fn cookies_need_the_csrf_header_with_them_on_state_changing_methods_only() {
    let doc = document(&guards(&cookies_only()));

    let access_cookie = json!({ "jwt_access_cookie": [] });
    let access_csrf = json!({ "jwt_access_cookie": [], "jwt_access_csrf": [] });
    assert_eq!(
        requirements_of(&doc, "get", "/api/items"),
        json!([access_cookie])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([access_csrf])
    );
    assert_eq!(
        requirements_of(&doc, "delete", "/api/items/{id}"),
        json!([access_csrf])
    );
    assert_eq!(
        requirements_of(&doc, "get", "/feed"),
        json!([access_cookie, {}])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/refresh"),
        json!([{ "jwt_refresh_cookie": [], "jwt_refresh_csrf": [] }])
    );

    let schemes = schemes(&doc);
    let mut names: Vec<_> = schemes.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "jwt_access_cookie",
            "jwt_access_csrf",
            "jwt_refresh_cookie",
            "jwt_refresh_csrf"
        ]
    );
    let located = |name: &str| {
        let scheme = &schemes[name];
        (
            scheme["type"].clone(),
            scheme["in"].clone(),
            scheme["name"].clone(),
        )
    };
    assert_eq!(
        located("jwt_access_cookie"),
        (
            "apiKey".into(),
            "cookie".into(),
            "access_token_cookie".into()
        )
    );
    assert_eq!(
        located("jwt_refresh_cookie"),
        (
            "apiKey".into(),
            "cookie".into(),
            "refresh_token_cookie".into()
        )
    );
    assert_eq!(
        located("jwt_access_csrf"),
        ("apiKey".into(), "header".into(), "x-csrf-token".into())
    );
    assert_eq!(
        located("jwt_refresh_csrf"),
        ("apiKey".into(), "header".into(), "x-csrf-token".into())
    );
    assert!(
        schemes["jwt_access_csrf"]["description"]
            .as_str()
            .unwrap()
            .contains("csrf_access_token")
    );
    assert!(
        schemes["jwt_refresh_csrf"]["description"]
            .as_str()
            .unwrap()
            .contains("csrf_refresh_token")
    );
    assert_guarded_and_public(&doc);
    assert_valid(&doc);
}

#[test]
fn several_locations_are_alternatives_in_the_configured_order_and_json_has_no_scheme() {
    let jwt = manager(
        JwtManager::builder()
            .token_location([
                TokenLocation::Headers,
                TokenLocation::Json,
                TokenLocation::Cookies,
                TokenLocation::QueryString,
            ])
            .query_string_name("token")
            .query_string_value_prefix("Bearer "),
    );
    let doc = document(&guards(&jwt));

    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([
            { "jwt_header": [] },
            { "jwt_access_cookie": [], "jwt_access_csrf": [] },
            { "jwt_query_string": [] },
        ])
    );
    assert_eq!(
        requirements_of(&doc, "get", "/feed"),
        json!([{ "jwt_header": [] }, { "jwt_access_cookie": [] }, { "jwt_query_string": [] }, {}])
    );
    let query = &schemes(&doc)["jwt_query_string"];
    assert_eq!(
        (&query["type"], &query["in"], &query["name"]),
        (&json!("apiKey"), &json!("query"), &json!("token"))
    );
    assert!(
        query["description"]
            .as_str()
            .unwrap()
            .contains("?token=Bearer <JWT>")
    );
    assert_guarded_and_public(&doc);
    assert_valid(&doc);
}

#[test]
fn the_websocket_protocol_is_an_alternative_on_get_operations_only() {
    let jwt = manager(
        JwtManager::builder()
            .token_location([TokenLocation::Headers, TokenLocation::WebSocketProtocol])
            .websocket_protocol("jwt-marker"),
    );
    let doc = document(&guards(&jwt));

    assert_eq!(
        requirements_of(&doc, "get", "/api/items"),
        json!([{ "jwt_header": [] }, { "jwt_websocket_protocol": [] }])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([{ "jwt_header": [] }])
    );
    let scheme = &schemes(&doc)["jwt_websocket_protocol"];
    assert_eq!(
        (&scheme["type"], &scheme["in"], &scheme["name"]),
        (
            &json!("apiKey"),
            &json!("header"),
            &json!("Sec-WebSocket-Protocol")
        )
    );
    assert!(
        scheme["description"]
            .as_str()
            .unwrap()
            .contains("jwt-marker, <JWT>"),
        "{scheme}"
    );
    assert_guarded_and_public(&doc);
    assert_valid(&doc);
}

#[test]
fn a_header_other_than_authorization_bearer_is_an_api_key_in_that_header() {
    for (name, header_type, shown) in [
        ("X-Api-Token", "", "`X-Api-Token: <JWT>`"),
        ("Authorization", "JWT", "`Authorization: JWT <JWT>`"),
    ] {
        let jwt = manager(
            JwtManager::builder()
                .header_name(name)
                .header_type(header_type),
        );
        let doc = document(&guards(&jwt));

        let scheme = &schemes(&doc)["jwt_header"];
        assert_eq!(
            (&scheme["type"], &scheme["in"], &scheme["name"]),
            (&json!("apiKey"), &json!("header"), &json!(name))
        );
        assert!(
            scheme["description"].as_str().unwrap().contains(shown),
            "{scheme}"
        );
        assert_eq!(
            requirements_of(&doc, "get", "/api/items"),
            json!([{ "jwt_header": [] }])
        );
        assert_guarded_and_public(&doc);
        assert_valid(&doc);
    }
}

#[test]
fn without_csrf_protection_the_cookie_alone_is_required() {
    let jwt = manager(
        JwtManager::builder()
            .token_location([TokenLocation::Cookies])
            .cookies(
                CookieConfig::new()
                    .csrf_protect(false)
                    .cookie_names("at", "rt"),
            ),
    );
    let doc = document(&guards(&jwt));

    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([{ "jwt_access_cookie": [] }])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/refresh"),
        json!([{ "jwt_refresh_cookie": [] }])
    );
    let schemes = schemes(&doc);
    assert_eq!(schemes.len(), 2, "{schemes:?}");
    assert_eq!(schemes["jwt_access_cookie"]["name"], "at");
    assert_eq!(schemes["jwt_refresh_cookie"]["name"], "rt");
    assert_guarded_and_public(&doc);
    assert_valid(&doc);
}

#[test]
fn configured_csrf_headers_and_methods_are_described() {
    let jwt = manager(
        JwtManager::builder()
            .token_location([TokenLocation::Cookies])
            .cookies(
                CookieConfig::new()
                    .csrf_methods([Method::POST])
                    .csrf_header_names(
                        HeaderName::from_static("x-xsrf-access"),
                        HeaderName::from_static("x-xsrf-refresh"),
                    ),
            ),
    );
    let doc = document(&guards(&jwt));

    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([{ "jwt_access_cookie": [], "jwt_access_csrf": [] }])
    );
    assert_eq!(
        requirements_of(&doc, "delete", "/api/items/{id}"),
        json!([{ "jwt_access_cookie": [] }])
    );
    assert_eq!(schemes(&doc)["jwt_access_csrf"]["name"], "x-xsrf-access");
    assert_eq!(schemes(&doc)["jwt_refresh_csrf"]["name"], "x-xsrf-refresh");
    assert_valid(&doc);
}

#[test]
fn a_guards_own_locations_decide_its_operations_and_register_their_schemes() {
    let security = JwtSecurity::new(&common::manager())
        .scope("/api", JwtRequired::new())
        .resource(
            "/refresh",
            RefreshRequired::new().locations([TokenLocation::Cookies]),
        )
        .resource("/feed", JwtRequired::new().any_kind().optional());
    let doc = document(&security);

    assert_eq!(
        requirements_of(&doc, "get", "/api/items"),
        json!([{ "jwt_header": [] }])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/refresh"),
        json!([{ "jwt_refresh_cookie": [], "jwt_refresh_csrf": [] }])
    );
    // Either kind of token is read where access tokens are.
    assert_eq!(
        requirements_of(&doc, "get", "/feed"),
        json!([{ "jwt_header": [] }, {}])
    );
    assert!(schemes(&doc).contains_key("jwt_refresh_cookie"));
    assert_valid(&doc);
}

#[test]
fn the_most_specific_path_decides() {
    let jwt = manager(
        JwtManager::builder().token_location([TokenLocation::Headers, TokenLocation::QueryString]),
    );
    let security = JwtSecurity::new(&jwt)
        .scope("/api", JwtRequired::new())
        // Braces match any segment, whatever the parameter is called.
        .resource("/api/items/{item_id:\\d+}", JwtRequired::new().optional())
        .resource(
            "/api/items",
            JwtRequired::new().locations([TokenLocation::QueryString]),
        )
        .route(
            "/api/items",
            Method::POST,
            JwtRequired::new().locations([TokenLocation::Headers]),
        );
    let doc = document(&security);

    assert_eq!(
        requirements_of(&doc, "delete", "/api/items/{id}"),
        json!([{ "jwt_header": [] }, { "jwt_query_string": [] }, {}])
    );
    assert_eq!(
        requirements_of(&doc, "get", "/api/items"),
        json!([{ "jwt_query_string": [] }])
    );
    assert_eq!(
        requirements_of(&doc, "post", "/api/items"),
        json!([{ "jwt_header": [] }])
    );
    assert_eq!(requirements_of(&doc, "post", "/refresh"), Value::Null);
}

#[test]
fn a_path_that_matches_no_operation_is_an_error_and_the_rest_is_written() {
    let security = guards(&common::manager())
        .scope("/apii", JwtRequired::new())
        .route("/refresh", Method::GET, RefreshRequired::new());
    let mut doc = TestDoc::openapi();

    let err = security.apply(&mut doc).unwrap_err();
    assert_eq!(err.paths(), ["/apii", "GET /refresh"]);
    assert!(err.to_string().contains("/apii, GET /refresh"), "{err}");
    let doc = serde_json::to_value(&doc).unwrap();
    assert_guarded_and_public(&doc);
}

#[test]
fn as_a_modifier_it_writes_the_same_document_and_logs_unmatched_paths() {
    common::capture_logs();
    let security = guards(&common::manager()).scope("/nowhere-modify", JwtRequired::new());
    let mut modified = TestDoc::openapi();

    security.modify(&mut modified);
    let mut applied = TestDoc::openapi();
    let _ = security.apply(&mut applied);
    assert_eq!(
        serde_json::to_value(&modified).unwrap(),
        serde_json::to_value(&applied).unwrap()
    );
    assert!(
        common::logs()
            .iter()
            .any(|line| line.contains("/nowhere-modify") && line.contains("JwtSecurity")),
        "{:?}",
        common::logs()
    );
}

#[test]
fn a_guard_that_reads_only_json_bodies_leaves_its_operations_alone_with_a_warning() {
    common::capture_logs();
    let security = JwtSecurity::new(&common::manager()).resource(
        "/account/password",
        JwtRequired::new().locations([TokenLocation::Json]),
    );
    let doc = document(&security);

    assert_eq!(
        requirements_of(&doc, "post", "/account/password"),
        Value::Null
    );
    assert!(
        common::logs().iter().any(
            |line| line.contains("only from JSON bodies") && line.contains("/account/password")
        ),
        "{:?}",
        common::logs()
    );
}

mod example {
    use actix_web::{App, test, web};

    use super::*;
    use crate::examples::openapi;

    async fn app(
        jwt: &JwtManager,
    ) -> impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    > {
        test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .app_data(web::Data::new(openapi::api_doc(jwt).unwrap()))
                .configure(openapi::routes),
        )
        .await
    }

    fn request(method: &str, path: &str) -> test::TestRequest {
        let request = test::TestRequest::default()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
            .uri(path);
        match method {
            "get" | "head" => request,
            _ => request.set_json(json!({ "username": "test", "password": "test" })),
        }
    }

    /// Every operation needs a token exactly when the document says so: a
    /// request without one is refused on each operation with requirements
    /// (none of them `{}`), and on no other.
    #[actix_web::test]
    async fn serves_a_valid_document_that_says_which_operations_need_a_token() {
        let jwt = openapi::manager(SECRET).unwrap();
        let app = app(&jwt).await;

        let res = test::call_service(
            &app,
            test::TestRequest::get().uri("/openapi.json").to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        let doc: Value = test::read_body_json(res).await;
        assert_valid(&doc);

        let mut guarded = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let needs_token = operation["security"]
                    .as_array()
                    .is_some_and(|alternatives| !alternatives.contains(&json!({})));
                let res = test::call_service(&app, request(method, path).to_request()).await;
                assert_eq!(
                    res.status() == 401,
                    needs_token,
                    "{method} {path}: {}",
                    res.status()
                );
                if needs_token {
                    guarded.push(format!("{method} {path}"));
                }
            }
        }
        guarded.sort();
        assert_eq!(
            guarded,
            [
                "get /api/me",
                "post /account/password",
                "post /api/notes",
                "post /refresh"
            ]
        );
        assert_eq!(
            requirements_of(&doc, "get", "/feed"),
            json!([{ "jwt_header": [] }, { "jwt_access_cookie": [] }, {}])
        );
    }

    /// The document's CSRF requirement is the server's: a cookie passes a
    /// `GET` alone and a `POST` only with the CSRF header.
    #[actix_web::test]
    async fn the_documented_cookie_requirements_are_what_the_guards_check() {
        let jwt = openapi::manager(SECRET).unwrap();
        let app = app(&jwt).await;
        let doc = serde_json::to_value(openapi::api_doc(&jwt).unwrap()).unwrap();
        assert_eq!(
            requirements_of(&doc, "get", "/api/me")[1],
            json!({ "jwt_access_cookie": [] })
        );
        assert_eq!(
            requirements_of(&doc, "post", "/api/notes")[1],
            json!({ "jwt_access_cookie": [], "jwt_access_csrf": [] })
        );

        let token = jwt.create_access_token("test").unwrap();
        let cookie = ("Cookie", format!("access_token_cookie={token}"));
        let get = test::TestRequest::get()
            .uri("/api/me")
            .insert_header(cookie.clone());
        assert_eq!(
            test::call_service(&app, get.to_request()).await.status(),
            200
        );
        let post = test::TestRequest::post()
            .uri("/api/notes")
            .insert_header(cookie.clone());
        assert_eq!(
            test::call_service(&app, post.to_request()).await.status(),
            401
        );
        let post = test::TestRequest::post()
            .uri("/api/notes")
            .insert_header(cookie)
            .insert_header(("X-CSRF-TOKEN", common::csrf_of(&jwt, &token)));
        assert_eq!(
            test::call_service(&app, post.to_request()).await.status(),
            201
        );
    }
}
