//! Helpers shared by every area of the test binary.

use actix_jwt_extended::{JwtManager, store::TokenStore};
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

#[cfg(feature = "tracing")]
pub mod events;
pub mod replay;

pub fn manager() -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .build()
        .unwrap()
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

/// The result of the first run of `run` that starts and ends in the same
/// wall-clock second. A persistent cookie's `Max-Age` is its token's `exp`
/// minus the second the cookie is written, so a token minted just before a
/// second turns gets a cookie one second shorter than its lifetime; tests
/// that expect the whole lifetime mint and write within one second.
pub async fn in_one_second<T>(mut run: impl AsyncFnMut() -> T) -> T {
    loop {
        let start = now();
        let result = run().await;
        if now() == start {
            return result;
        }
    }
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
    let mut chunk = [0; 16 * 1024];
    // Read until the response is whole, not until the server closes: a
    // refused upgrade keeps the connection open for a while. A server may
    // close before reading everything we sent; what it answered is what counts.
    while !is_complete(&raw) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    }
    Response::parse(&raw)
}

/// Whether `raw` holds a whole response: its head, and its body as long as
/// `Content-Length` says or up to the last chunk. Without either, the
/// body ends when the server closes.
fn is_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    if header("transfer-encoding").as_deref() == Some("chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    header("content-length")
        .and_then(|length| length.parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
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
    start_with(jwt, crate::examples::refresh_tokens::routes)
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

/// Whether this run is CI's (`CI=true`), where every server the tests need
/// must be there: a missing one fails the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

/// The value of `variable`, set by `.ci/run` for a service it started
/// (`what`). Outside CI a missing one skips the test (`None`); under CI it
/// fails it.
pub fn service_var(variable: &str, what: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) => Some(value),
        Err(_) => {
            assert!(
                !in_ci(),
                "CI=true but {variable} is not set: .ci/run must start {what}"
            );
            skipped(&format!(
                "{variable} not set, no {what} (bash .ci/run starts it)"
            ));
            None
        }
    }
}

/// The path of an external program a test runs: `variable` as `.ci/run`
/// sets it, else `program` found on `PATH`. Outside CI a missing one skips
/// the test (`None`); under CI it fails it.
#[cfg_attr(not(feature = "utoipa"), allow(dead_code))]
pub fn tool(variable: &str, program: &str) -> Option<std::path::PathBuf> {
    let on_path = || {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    };
    let found = std::env::var_os(variable)
        .map(std::path::PathBuf::from)
        .or_else(on_path);
    if found.is_none() {
        assert!(
            !in_ci(),
            "CI=true but {program} was not found ({variable} is not set and it is not on PATH): .ci/run must install it"
        );
        skipped(&format!(
            "{program} not found: {variable} not set, not on PATH (bash .ci/run installs it)"
        ));
    }
    found
}

/// Says, where the test runner cannot swallow it, that a test passed only
/// because what it needs is missing outside CI.
pub fn skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // Straight to stderr: the runner captures only the print macros.
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {why}");
}

/// The seed's Flask-JWT-Extended reference server that `.ci/run` starts.
pub fn flask_reference() -> Option<String> {
    live_server_url("FLASK_REFERENCE_URL")
}

/// `tests/reference/jwt_locations.py`, which `.ci/run` starts.
pub fn flask_locations() -> Option<String> {
    live_server_url("FLASK_LOCATIONS_URL")
}

/// `tests/reference/interop_app.py`, which `.ci/run` starts.
pub fn flask_interop() -> Option<String> {
    live_server_url("FLASK_INTEROP_URL")
}

/// The `host:port` of the Flask server whose URL is in `variable`.
pub fn live_server_url(variable: &str) -> Option<String> {
    let url = service_var(variable, "Flask reference server")?;
    Some(
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
    )
}

/// The shared Redis that `.ci/run` starts.
#[cfg(feature = "redis")]
pub fn redis_url() -> Option<String> {
    service_var("REDIS_URL", "Redis")
}

/// The seed nodes of the Redis Cluster `.ci/run` starts.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub fn redis_cluster_urls() -> Option<Vec<String>> {
    let urls = service_var("REDIS_CLUSTER_URLS", "a Redis Cluster")?;
    Some(urls.split(',').map(str::to_owned).collect())
}

/// The README, as the published crate shows it.
pub fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// A file of `tests/fixtures/`, read at run time.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON file of `tests/fixtures/`.
pub fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A PEM key of `tests/fixtures/keys/`.
pub fn pem(name: &str) -> Vec<u8> {
    fixture(&format!("keys/{name}")).into_bytes()
}

/// A manager with `secret` (any length).
pub fn manager_with_secret(secret: &str) -> JwtManager {
    JwtManager::builder()
        .secret(secret)
        .allow_short_secret()
        .build()
        .unwrap()
}

/// A manager with the test secret and `store`.
pub fn manager_with(store: impl TokenStore) -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_store(store)
        .build()
        .unwrap()
}

/// The `csrf` claim of `token`.
pub fn csrf_of(jwt: &JwtManager, token: &str) -> String {
    jwt.decode_token(token).unwrap().claims()["csrf"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An app with `jwt` in app data and `GET /p` behind `JwtRequired`,
/// answering 200, plus any further `(path, route)` pairs.
macro_rules! guarded {
    ($jwt:expr $(, ($path:expr, $route:expr))* $(,)?) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($jwt))
                .route(
                    "/p",
                    actix_web::web::get()
                        .to(actix_web::HttpResponse::Ok)
                        .wrap(actix_jwt_extended::JwtRequired::new()),
                )
                $(.route($path, $route))*,
        )
        .await
    };
}
pub(crate) use guarded;

/// A service built by `actix_web::test::init_service`.
pub trait TestApp<B>:
    actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >
{
}

impl<S, B> TestApp<B> for S where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >
{
}

/// Sends `req` to `app` and returns the status and JSON body; checks that
/// every error answer is JSON.
pub async fn send<B: MessageBody>(
    app: &impl TestApp<B>,
    req: test::TestRequest,
) -> (StatusCode, Value) {
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

/// Calls `app` with `method`, `path` and an optional `Authorization` value;
/// see [`send`].
pub async fn call<B: MessageBody>(
    app: &impl TestApp<B>,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = test::TestRequest::default().method(method).uri(path);
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }
    send(app, req).await
}

/// What `jwt`'s guards say of `token` (of either kind) after verifying it:
/// `None` when it passes, `Some(JwtError::Revoked)` when it was revoked.
pub async fn revocation_of(jwt: &JwtManager, token: &str) -> Option<actix_jwt_extended::JwtError> {
    let app = test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(jwt.clone()))
            .route(
                "/",
                actix_web::web::get()
                    .to(actix_web::HttpResponse::Ok)
                    .wrap(actix_jwt_extended::JwtRequired::new().any_kind()),
            ),
    )
    .await;
    match call(&app, Method::GET, "/", Some(&bearer(token))).await {
        (StatusCode::OK, _) => None,
        (StatusCode::UNAUTHORIZED, body) if body == msg("Token has been revoked") => {
            Some(actix_jwt_extended::JwtError::Revoked)
        }
        other => panic!("neither accepted nor revoked: {other:?}"),
    }
}

/// A manager from Flask's `JWT_*` options, with the guide's short secret
/// allowed.
pub fn flask_manager(options: Value) -> JwtManager {
    serde_json::from_value::<actix_jwt_extended::config::FlaskConfig>(options)
        .unwrap()
        .into_builder()
        .unwrap()
        .allow_short_secret()
        .build()
        .unwrap()
}

pub fn msg(text: &str) -> Value {
    json!({ "msg": text })
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The `name=value` pairs of a response's `Set-Cookie` headers.
pub fn cookie_jar(response: &Response) -> Vec<(String, String)> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .filter_map(|(_, value)| value.split(';').next()?.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// A `Cookie` header that sends every cookie of `jar`.
pub fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of the cookie `name` in `jar`.
pub fn jar_value(jar: &[(String, String)], name: &str) -> String {
    jar.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// Every log line of the test binary from the first call on, so that a test
/// can check what is logged (and what is not), and with the `tracing`
/// feature every event. Idempotent.
pub fn capture_logs() {
    struct Capture;
    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let mut lines = LOGS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            lines.push(record.args().to_string());
        }
        fn flush(&self) {}
    }
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        log::set_boxed_logger(Box::new(Capture)).expect("the only logger of the test binary");
        log::set_max_level(log::LevelFilter::Trace);
        #[cfg(feature = "tracing")]
        events::into_logs();
    });
}

static LOGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The lines logged since [`capture_logs`].
pub fn logs() -> Vec<String> {
    LOGS.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// The `Set-Cookie` headers of a response, as sent.
pub fn set_cookies<B>(res: &actix_web::HttpResponse<B>) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A `Set-Cookie` value's attributes (after `name=value`), sorted.
pub fn attributes(cookie: &str) -> Vec<String> {
    let mut parts: Vec<String> = cookie.split("; ").skip(1).map(str::to_owned).collect();
    parts.sort();
    parts
}

/// A persistent cookie's attributes without `Expires`, after checking that
/// `Expires` is `Max-Age` seconds from now: Flask (Werkzeug) writes both.
pub fn persistent_attributes(cookie: &str) -> Vec<String> {
    let parsed = actix_web::cookie::Cookie::parse(cookie).unwrap();
    let max_age = parsed.max_age().expect("Max-Age").whole_seconds();
    let expires = parsed.expires_datetime().expect("Expires").unix_timestamp();
    let from_now = expires - now() as i64;
    assert!(
        (max_age - 2..=max_age + 1).contains(&from_now),
        "Expires {from_now} s from now, Max-Age {max_age}: {cookie}"
    );
    attributes(cookie)
        .into_iter()
        .filter(|attribute| !attribute.starts_with("Expires="))
        .collect()
}
