//! Helpers shared by the black-box tests.
#![allow(dead_code)]

use actix_jwt_extended::JwtManager;
use actix_web::{
    body::MessageBody,
    dev::ServiceResponse,
    http::{Method, StatusCode, header},
    test,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

pub const SECRET: &str = "super-secret";

/// The seed example itself, compiled into the test.
#[path = "../../examples/refresh_tokens.rs"]
#[allow(dead_code)]
pub mod example;
pub mod replay;

pub fn manager() -> JwtManager {
    JwtManager::builder().secret(SECRET).build().unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs arbitrary header and payload JSON with HMAC, the way an attacker or
/// another issuer would, without going through the crate.
pub fn forge(header: &Value, payload: &Value, secret: &str, algorithm: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &EncodingKey::from_secret(secret.as_bytes()),
        algorithm,
    )
    .unwrap();
    format!("{input}.{signature}")
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A Flask-JWT-Extended style payload valid for 15 minutes.
pub fn flask_payload(kind: &str) -> Value {
    let now = now();
    serde_json::json!({
        "fresh": false, "iat": now, "jti": "11111111-2222-4333-8444-555555555555", "type": kind,
        "sub": "test", "nbf": now, "csrf": "66666666-7777-4888-9999-000000000000", "exp": now + 900,
    })
}

pub fn hs256(payload: &Value) -> String {
    forge(
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        payload,
        SECRET,
        Algorithm::HS256,
    )
}

/// One HTTP/1.1 exchange over a fresh TCP connection, bytes exactly as given:
/// repeated header lines and odd bytes reach the server untouched.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !body.is_empty() {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    stream.write_all(&request).unwrap();
    let mut raw = Vec::new();
    // A server may close before reading everything we sent; what it answered is what counts.
    let _ = stream.read_to_end(&mut raw);
    Response::parse(&raw)
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete HTTP response head");
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect::<Vec<_>>();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v == "chunked")
        {
            body = dechunk(&body);
        }
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
    out
}

/// Serves the seed example on a free loopback port in a background thread.
pub fn start_example(jwt: JwtManager) -> String {
    start_with(jwt, example::routes)
}

/// Serves `routes` with `jwt` on a free loopback port in a background thread.
pub fn start_with(jwt: JwtManager, routes: fn(&mut actix_web::web::ServiceConfig)) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(actix_web::web::Data::new(jwt.clone()))
                    .configure(routes)
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap();
            tx.send(server.addrs()[0].to_string()).unwrap();
            server.run().await.unwrap();
        })
    });
    rx.recv().unwrap()
}

/// The seed's Flask-JWT-Extended reference server that `.ci/run` starts.
pub fn flask_reference() -> Option<String> {
    live_server("FLASK_REFERENCE_URL")
}

/// `tests/reference/jwt_locations.py`, which `.ci/run` starts.
pub fn flask_locations() -> Option<String> {
    live_server("FLASK_LOCATIONS_URL")
}

/// `tests/reference/interop_app.py`, which `.ci/run` starts.
pub fn flask_interop() -> Option<String> {
    live_server("FLASK_INTEROP_URL")
}

/// The address in `variable`. Under CI the server must be there: a missing one
/// fails the test instead of skipping it.
pub fn live_server_url(variable: &str) -> Option<String> {
    live_server(variable)
}

fn live_server(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) => Some(
            url.trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned(),
        ),
        Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but {variable} is not set: .ci/run must start the Flask servers")
        }
        Err(_) => {
            eprintln!("{variable} not set: skipping the live comparison (bash .ci/run sets it)");
            None
        }
    }
}

/// Calls `app` and returns the status and JSON body; checks that every error
/// answer is JSON.
pub async fn call<B: MessageBody>(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = test::TestRequest::default().method(method).uri(path);
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
    let body = test::read_body(res).await;
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        assert_eq!(
            content_type.unwrap(),
            "application/json",
            "{status} {body:?}"
        );
    }
    (status, json)
}

pub fn msg(text: &str) -> Value {
    json!({ "msg": text })
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
