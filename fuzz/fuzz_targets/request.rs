//! Arbitrary requests (method, path, headers, cookies, query string, body)
//! through guards that read every location with CSRF protection: no answer
//! is a server error, every refusal is JSON with a message, and a request
//! that reaches a handler carried a token valid for its route.
#![no_main]

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
use actix_jwt_extended_fuzz::manager;
use actix_web::{App, HttpResponse, http::Method, test, web};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::DELETE,
    Method::OPTIONS,
    Method::HEAD,
];
const PATHS: [&str; 4] = ["/protected", "/refresh", "/fresh", "/optional"];
const HEADERS: [&str; 8] = [
    "authorization",
    "cookie",
    "x-csrf-token",
    "content-type",
    "x-csrf-refresh-token",
    "origin",
    "upgrade",
    "sec-websocket-protocol",
];

#[derive(Arbitrary, Debug)]
struct Request {
    method: u8,
    path: u8,
    query: String,
    /// A known header name (by index) or any name, and its value.
    headers: Vec<(Result<u8, String>, Vec<u8>)>,
    body: Vec<u8>,
}

/// `$A`, `$R`, `$C` and `$D` stand for a valid access token, a valid
/// refresh token and their CSRF values, so the fuzzer reaches past the
/// signature check.
fn expand(jwt: &JwtManager, text: &[u8], tokens: &(String, String)) -> Vec<u8> {
    let csrf = |token: &str| {
        jwt.decode_token(token).unwrap().claims()["csrf"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let text = String::from_utf8_lossy(text);
    if !text.contains('$') {
        return text.into_owned().into_bytes();
    }
    text.replace("$A", &tokens.0)
        .replace("$R", &tokens.1)
        .replace("$C", &csrf(&tokens.0))
        .replace("$D", &csrf(&tokens.1))
        .into_bytes()
}

async fn whoami(identity: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().body(identity.as_str().to_owned())
}

fuzz_target!(|request: Request| {
    let jwt = manager();
    let tokens = (
        jwt.create_access_token("alice").unwrap(),
        jwt.create_refresh_token("alice").unwrap(),
    );
    actix_web::rt::System::new().block_on(async {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(jwt.clone()))
                .route(
                    "/protected",
                    web::route().to(whoami).wrap(JwtRequired::new()),
                )
                .route(
                    "/refresh",
                    web::route().to(whoami).wrap(RefreshRequired::new()),
                )
                .route(
                    "/fresh",
                    web::route().to(whoami).wrap(JwtRequired::new().fresh()),
                )
                .route(
                    "/optional",
                    web::route()
                        .to(|id: Option<JwtIdentity>| async move {
                            HttpResponse::Ok()
                                .body(id.map(|id| id.as_str().to_owned()).unwrap_or_default())
                        })
                        .wrap(JwtRequired::new().optional()),
                ),
        )
        .await;
        let path = PATHS[usize::from(request.path) % PATHS.len()];
        let query =
            String::from_utf8_lossy(&expand(jwt, request.query.as_bytes(), &tokens)).into_owned();
        let uri = format!("{path}?{}", query.replace(['#', ' '], ""));
        let Ok(uri) = uri.parse::<actix_web::http::Uri>() else {
            return;
        };
        let mut req = test::TestRequest::default()
            .method(METHODS[usize::from(request.method) % METHODS.len()].clone())
            .uri(&uri.to_string());
        for (name, value) in &request.headers {
            let name = match name {
                Ok(index) => HEADERS[usize::from(*index) % HEADERS.len()].to_owned(),
                Err(name) => name.clone(),
            };
            let (Ok(name), Ok(value)) = (
                actix_web::http::header::HeaderName::try_from(name),
                actix_web::http::header::HeaderValue::from_bytes(&expand(jwt, value, &tokens)),
            ) else {
                continue;
            };
            req = req.append_header((name, value));
        }
        let body = expand(jwt, &request.body, &tokens);
        let response = test::call_service(&app, req.set_payload(body).to_request()).await;
        let status = response.status();
        assert!(!status.is_server_error(), "{status}");
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let body = test::read_body(response).await;
        if status.is_client_error() {
            assert_eq!(
                content_type.as_deref(),
                Some("application/json"),
                "{status} {body:?}"
            );
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(
                json["msg"].as_str().is_some_and(|msg| !msg.is_empty()),
                "{json}"
            );
        } else if status.is_success() && path != "/optional" && !body.is_empty() {
            // A handler ran: it saw the identity of a valid token.
            assert_eq!(&body[..], b"alice");
        }
    });
});
