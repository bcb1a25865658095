//! The chapters "Automatic User Loading", "Storing Additional Data in JWTs",
//! "Partially Protecting Routes", "Changing Default Behaviors" and "Custom
//! Decorators" of the Flask-JWT-Extended guide, in one app, route for route.
//!
//! ```sh
//! cargo run --example claims_and_loaders     # 127.0.0.1:5000, secret "super-secret"
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "batman", "password": "password"}'
//! ```

use std::convert::Infallible;

use actix_jwt_extended::{
    Claims, CurrentUser, JwtError, JwtIdentity, JwtManager, JwtRequired, Require,
    manager::UserLoader, token::DecodedToken,
};
use actix_web::{
    App, HttpMessage, HttpRequest, HttpResponse, HttpServer, Resource,
    http::{Method, header},
    web,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// id -> (username, full name, is administrator)
const USERS: [(u64, &str, &str, bool); 3] = [
    (1, "batman", "Bruce Wayne", true),
    (2, "panther", "Ann Takamaki", false),
    (3, "little_sapphire", "Jester Lavore", false),
];

fn user(id: u64) -> Option<User> {
    USERS
        .iter()
        .find(|user| user.0 == id)
        .map(|&(id, username, full_name, _)| User {
            id,
            username,
            full_name,
        })
}

struct User {
    id: u64,
    username: &'static str,
    full_name: &'static str,
}

/// Automatic user loading: the `sub` of every verified token names a user.
struct Users;

impl UserLoader for Users {
    type User = User;
    type Error = Infallible;

    async fn load(&self, token: &DecodedToken) -> Result<Option<User>, Infallible> {
        let sub = token.identity();
        let id = sub
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| sub.parse().ok())
            .flatten();
        Ok(id.and_then(user))
    }
}

/// Flask's `request.get_json(silent=True) or {}`: a JSON object body, or empty.
fn json_object(req: &HttpRequest, body: &[u8]) -> Map<String, Value> {
    let json = req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|suffix| suffix == "json"))
    });
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) if json => object,
        _ => Map::new(),
    }
}

async fn login(
    req: HttpRequest,
    body: web::Bytes,
    jwt: web::Data<JwtManager>,
) -> actix_web::Result<HttpResponse> {
    let body = json_object(&req, &body);
    let id = USERS
        .iter()
        .find(|user| body.get("username") == Some(&json!(user.1)))
        .map(|user| user.0);
    let Some(id) = id.filter(|_| body.get("password") == Some(&json!("password"))) else {
        return Ok(
            HttpResponse::Unauthorized().json(json!({ "msg": "Wrong username or password" }))
        );
    };
    // Storing additional data: these claims join the loader's `is_administrator`.
    let token = jwt
        .access_token_builder(id)
        .claim("aud", "some_audience")
        .claim("foo", "bar")
        .encode()?;
    Ok(HttpResponse::Ok().json(json!({ "access_token": token })))
}

async fn who_am_i(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "id": user.id, "full_name": user.full_name, "username": user.username }))
}

#[derive(Deserialize)]
struct FooAndAudience {
    foo: Value,
    aud: Value,
}

async fn claims(claims: Claims<FooAndAudience>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "foo": claims.foo, "aud": claims.aud }))
}

// Partially protected: an identity if a token came, none if not.
async fn optionally_protected(identity: Option<JwtIdentity>) -> HttpResponse {
    let name = identity
        .as_deref()
        .filter(|name| !name.is_empty())
        .unwrap_or("anonymous user")
        .to_owned();
    HttpResponse::Ok().json(json!({ "logged_in_as": name }))
}

async fn admin() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "foo": "bar" }))
}

/// Python's truthiness, which Flask's `if get_jwt().get("is_administrator")` uses.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
    }
}

/// The chapter's `admin_required` decorator: a condition on the guard, which
/// refuses a valid token without `is_administrator` with 403 (a custom
/// decorator of your own is `middleware::from_fn` extracting `Claims`, as the
/// crate docs show).
fn admin_required() -> JwtRequired {
    JwtRequired::new().require(Require::check("Admins only!", |token| {
        token.claims().get("is_administrator").is_some_and(truthy)
    }))
}

/// Answers like Flask for what no route takes: `OPTIONS` with the allowed
/// methods, other methods with 405, in JSON.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        if req.method() == Method::OPTIONS {
            HttpResponse::Ok()
                .insert_header((header::ALLOW, allow))
                .finish()
        } else {
            HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, allow))
                .json(json!({ "msg": "Method Not Allowed" }))
        }
    }))
}

/// The chapters' routes; HEAD is answered like GET, as Flask does.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/login", "POST, OPTIONS").route(web::post().to(login)))
        .service(
            resource("/who_am_i", "HEAD, GET, OPTIONS")
                .route(web::get().to(who_am_i).wrap(JwtRequired::new()))
                .route(web::head().to(who_am_i).wrap(JwtRequired::new())),
        )
        .service(
            resource("/claims", "HEAD, GET, OPTIONS")
                .route(web::get().to(claims).wrap(JwtRequired::new()))
                .route(web::head().to(claims).wrap(JwtRequired::new())),
        )
        .service(
            resource("/optionally_protected", "HEAD, GET, OPTIONS")
                .route(
                    web::get()
                        .to(optionally_protected)
                        .wrap(JwtRequired::new().optional()),
                )
                .route(
                    web::head()
                        .to(optionally_protected)
                        .wrap(JwtRequired::new().optional()),
                ),
        )
        .service(
            resource("/admin", "HEAD, GET, OPTIONS")
                .route(web::get().to(admin).wrap(admin_required()))
                .route(web::head().to(admin).wrap(admin_required())),
        )
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(json!({ "msg": "Not Found" }))
        }));
}

/// The chapters' manager: identity and claims loaders, user loading, and a
/// custom response for expired tokens.
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        // Flask's user_identity_loader: `str(user_id)`.
        .identity_loader(|id| {
            id.as_u64().map_or_else(
                || id.as_str().unwrap_or_default().to_owned(),
                |id| id.to_string(),
            )
        })
        // Flask's additional_claims_loader.
        .additional_claims_loader(|id| {
            let admin = USERS
                .iter()
                .any(|user| Some(user.0) == id.as_u64() && user.3);
            json!({ "is_administrator": admin })
        })
        .user_loader(Users)
        // Flask's expired_token_loader.
        .error_response(|error, _token| match error {
            JwtError::Expired => Some(
                HttpResponse::Unauthorized()
                    .json(json!({ "code": "dave", "err": "I can't let you do that" })),
            ),
            _ => None,
        })
        .build()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let secret = std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| {
        log::warn!("JWT_SECRET_KEY is not set: using \"super-secret\". Change this!");
        "super-secret".to_owned()
    });
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let jwt = manager(&secret).map_err(std::io::Error::other)?;

    log::info!("serving on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .configure(routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
