//! The "Refresh Tokens" chapter of the Flask-JWT-Extended guide, route for route.
//!
//! ```sh
//! cargo run --example refresh_tokens            # 127.0.0.1:5000, secret "super-secret"
//! PORT=8080 JWT_SECRET_KEY=$(openssl rand -hex 32) cargo run --example refresh_tokens
//! ```

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, RefreshRequired};
use actix_web::{
    App, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, HttpServer, Resource, error,
    http::{Method, header, header::ContentType},
    web,
};
use serde_json::{Value, json};

async fn login(
    req: HttpRequest,
    jwt: web::Data<JwtManager>,
    body: web::Json<Value>,
) -> actix_web::Result<HttpResponse> {
    // Flask's `request.json` takes application/json and application/*+json only.
    if req
        .mime_type()?
        .is_none_or(|mime| mime.type_() != "application")
    {
        return Ok(unsupported_media_type());
    }
    let Some(body) = body.as_object() else {
        return Ok(jsonify(
            &mut HttpResponse::BadRequest(),
            json!({ "msg": "The request body must be a JSON object" }),
        ));
    };
    if body.get("username") != Some(&json!("test")) || body.get("password") != Some(&json!("test"))
    {
        return Ok(jsonify(
            &mut HttpResponse::Unauthorized(),
            json!({ "msg": "Bad username or password" }),
        ));
    }
    Ok(jsonify(
        &mut HttpResponse::Ok(),
        json!({
            "access_token": jwt.create_access_token("test")?,
            "refresh_token": jwt.create_refresh_token("test")?,
        }),
    ))
}

// Only a refresh token reaches this handler (RefreshRequired below).
async fn refresh(
    jwt: web::Data<JwtManager>,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    Ok(jsonify(
        &mut HttpResponse::Ok(),
        json!({ "access_token": jwt.create_access_token(identity.as_str())? }),
    ))
}

// Only an access token reaches this handler (JwtRequired below).
async fn protected(identity: JwtIdentity) -> HttpResponse {
    jsonify(
        &mut HttpResponse::Ok(),
        json!({ "logged_in_as": identity.as_str() }),
    )
}

/// Answers like Flask for what no route takes: `OPTIONS` with the allowed
/// methods, other methods with 405, unknown paths with 404, all in JSON.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        if req.method() == Method::OPTIONS {
            HttpResponse::Ok()
                .insert_header((header::ALLOW, allow))
                .finish()
        } else {
            jsonify(
                HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, allow)),
                json!({ "msg": "Method Not Allowed" }),
            )
        }
    }))
}

/// Flask's `jsonify`: the JSON text and a newline.
fn jsonify(response: &mut HttpResponseBuilder, body: Value) -> HttpResponse {
    response
        .content_type(ContentType::json())
        .body(format!("{body}\n"))
}

fn unsupported_media_type() -> HttpResponse {
    jsonify(
        &mut HttpResponse::UnsupportedMediaType(),
        json!({ "msg": "Invalid content-type. Must be application/json." }),
    )
}

/// `request.json` in Flask: JSON content type required, malformed JSON is a 400.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .content_type_required(true)
        .error_handler(|err, _| {
            let response = match &err {
                error::JsonPayloadError::ContentType => unsupported_media_type(),
                error::JsonPayloadError::Overflow { .. }
                | error::JsonPayloadError::OverflowKnownLength { .. } => jsonify(
                    &mut HttpResponse::PayloadTooLarge(),
                    json!({ "msg": "Request body is too large" }),
                ),
                _ => jsonify(
                    &mut HttpResponse::BadRequest(),
                    json!({ "msg": "The request body is not valid JSON" }),
                ),
            };
            error::InternalError::from_response(err, response).into()
        })
}

/// The seed's three routes, with Flask's answers for everything else.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .service(resource("/login", "POST, OPTIONS").route(web::post().to(login)))
        .service(
            resource("/refresh", "POST, OPTIONS")
                .route(web::post().to(refresh).wrap(RefreshRequired::new())),
        )
        .service(
            resource("/protected", "HEAD, GET, OPTIONS")
                .route(web::get().to(protected).wrap(JwtRequired::new()))
                .route(web::head().to(protected).wrap(JwtRequired::new())),
        )
        .default_service(web::to(|| async {
            jsonify(&mut HttpResponse::NotFound(), json!({ "msg": "Not Found" }))
        }));
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
    let jwt = JwtManager::builder()
        .secret(secret)
        // The chapter's "super-secret" is shorter than RFC 7518 asks for: it is
        // accepted, with a warning at start. Use a long random secret in production.
        .allow_short_secret()
        .build()
        .map_err(std::io::Error::other)?;

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
