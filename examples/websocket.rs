//! A WebSocket authenticated by an access token in `Sec-WebSocket-Protocol`,
//! the one place page script can put it on a WebSocket:
//! `new WebSocket(url, ["bearer", accessToken])`. The guard reads the token
//! there and selects `Sec-WebSocket-Protocol: bearer` on the 101 response;
//! without a valid token the handshake gets the usual JSON 401 or 422.
//!
//! ```sh
//! cargo run --example websocket        # 127.0.0.1:5000, secret "super-secret"
//! # then open http://127.0.0.1:5000/ in a browser
//! ```
//!
//! Not cookies for WebSockets: a handshake is a `GET`, which CSRF protection
//! exempts, and browsers send cookies on handshakes that other pages start
//! (cross-site WebSocket hijacking). A cookie-authenticated WebSocket route
//! must check the `Origin` header itself.

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, config::TokenLocation};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use actix_ws::Message;
use serde_json::{Value, json};

async fn login(
    jwt: web::Data<JwtManager>,
    body: web::Json<Value>,
) -> actix_web::Result<HttpResponse> {
    if body["username"] != "test" || body["password"] != "test" {
        return Ok(HttpResponse::Unauthorized().json(json!({ "msg": "Bad username or password" })));
    }
    Ok(HttpResponse::Ok().json(json!({ "access_token": jwt.create_access_token("test")? })))
}

// Only a handshake with a valid access token in Sec-WebSocket-Protocol gets
// here (the guard below); every text message comes back with the identity.
async fn ws(
    req: HttpRequest,
    body: web::Payload,
    identity: JwtIdentity,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut messages) = actix_ws::handle(&req, body)?;
    let identity = identity.to_string();
    actix_web::rt::spawn(async move {
        while let Some(Ok(message)) = messages.recv().await {
            let sent = match message {
                Message::Text(text) => session.text(format!("{identity}: {text}")).await,
                Message::Ping(bytes) => session.pong(&bytes).await,
                Message::Close(reason) => {
                    let _ = session.close(reason).await;
                    return;
                }
                _ => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
        let _ = session.close(None).await;
    });
    // The guard adds `Sec-WebSocket-Protocol: bearer`, never the token.
    Ok(response)
}

/// A page to try it in a browser: log in, connect, send.
const PAGE: &str = r#"<!doctype html>
<title>actix-jwt-extended WebSocket</title>
<input id="text" value="hello"> <button id="send" disabled>send</button>
<pre id="log"></pre>
<script>
const send = document.getElementById("send");
const log = (line) => (document.getElementById("log").textContent += line + "\n");
(async () => {
  const login = await fetch("/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "test", password: "test" }),
  });
  const { access_token } = await login.json();
  const socket = new WebSocket(`ws://${location.host}/ws`, ["bearer", access_token]);
  socket.onopen = () => { log(`open, protocol ${socket.protocol}`); send.disabled = false; };
  socket.onmessage = (event) => log(event.data);
  socket.onclose = (event) => log(`closed (${event.code})`);
  send.onclick = () => socket.send(document.getElementById("text").value);
})();
</script>
"#;

/// The example's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().content_type("text/html").body(PAGE) }),
    )
    .route("/login", web::post().to(login))
    .route(
        "/ws",
        web::get()
            .to(ws)
            .wrap(JwtRequired::new().locations([TokenLocation::WebSocketProtocol])),
    );
}

/// Headers stay the manager's locations; only `/ws` reads the WebSocket one.
pub fn manager(secret: &str) -> Result<JwtManager, actix_jwt_extended::config::ConfigError> {
    JwtManager::builder()
        .secret(secret)
        // "super-secret" is shorter than RFC 7518 asks for: it is accepted,
        // with a warning at start. Use a long random secret in production.
        .allow_short_secret()
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
