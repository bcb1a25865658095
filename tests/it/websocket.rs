//! The WebSocket token location: real WebSockets (awc's client) against the
//! example on a bound server, raw handshakes for what a client library would
//! not send, and in-process apps for the guard's and the helper's rules.

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired, config::TokenLocation};
use actix_web::{
    App, HttpRequest, HttpResponse,
    http::{Method, StatusCode, header},
    test as actix_test, web,
};
// SinkExt needs futures-util's `sink` feature, which awc turns on.
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};

use crate::{
    common::{SECRET, bearer, flask_payload, hs256, http, msg, now, send, start_with},
    examples::websocket::{manager, routes},
};

fn jwt() -> JwtManager {
    manager(SECRET).unwrap()
}

/// The headers of a WebSocket handshake, as a browser sends them, plus `extra`.
fn handshake<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    headers.extend_from_slice(extra);
    headers
}

/// A raw handshake on `/ws` of the example with `Sec-WebSocket-Protocol:
/// protocols` (none when `None`): status and JSON body; checks that a
/// refusal upgrades nothing and that no header or body carries any of
/// `tokens`.
fn refused(addr: &str, protocols: Option<&str>, tokens: &[&str]) -> (u16, Value) {
    let extra: Vec<_> = protocols
        .map(|value| ("Sec-WebSocket-Protocol", value))
        .into_iter()
        .collect();
    let response = http(addr, "GET", "/ws", &handshake(&extra), b"");
    assert!(response.header("upgrade").is_none(), "{response:?}");
    assert!(
        response.header("sec-websocket-protocol").is_none(),
        "{response:?}"
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    for token in tokens {
        assert_never_sent_back(&response.headers, &response.body, token);
    }
    (response.status, response.json())
}

fn assert_never_sent_back(headers: &[(String, String)], body: &[u8], token: &str) {
    for (name, value) in headers {
        assert!(!value.contains(token), "the token came back in {name}");
    }
    assert!(
        !String::from_utf8_lossy(body).contains(token),
        "the token came back in the body"
    );
}

fn expired_token() -> String {
    let mut payload = flask_payload("access");
    let past = now() - 3600;
    payload["iat"] = json!(past);
    payload["nbf"] = json!(past);
    payload["exp"] = json!(past + 60);
    hs256(&payload)
}

#[actix_web::test]
async fn a_real_websocket_opens_with_a_valid_access_token_and_selects_bearer() {
    let jwt = jwt();
    let addr = start_with(jwt.clone(), routes);
    let token = jwt.create_access_token("test").unwrap();
    let (response, mut socket) = awc::Client::new()
        .ws(format!("ws://{addr}/ws"))
        .protocols(["bearer", token.as_str()])
        .connect()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let selected: Vec<_> = response
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .collect();
    assert_eq!(selected, ["bearer"]);
    for (name, value) in response.headers() {
        assert!(
            !String::from_utf8_lossy(value.as_bytes()).contains(&token),
            "the token came back in {name}"
        );
    }

    socket
        .send(awc::ws::Message::Text("hello".into()))
        .await
        .unwrap();
    let echo = socket.next().await.unwrap().unwrap();
    assert_eq!(echo, awc::ws::Frame::Text("test: hello".into()));
    socket.send(awc::ws::Message::Close(None)).await.unwrap();
}

#[actix_web::test]
async fn a_real_websocket_without_a_token_is_refused_before_the_upgrade() {
    let addr = start_with(jwt(), routes);
    let refused = awc::Client::new()
        .ws(format!("ws://{addr}/ws"))
        .connect()
        .await;
    assert!(
        matches!(
            refused,
            Err(awc::error::WsClientError::InvalidResponseStatus(
                StatusCode::UNAUTHORIZED
            ))
        ),
        "{:?}",
        refused.map(|(response, _)| response.status())
    );
}

#[test]
fn handshakes_without_a_valid_token_get_flask_style_json_and_no_upgrade() {
    let jwt = jwt();
    let addr = start_with(jwt.clone(), routes);
    let access = jwt.create_access_token("test").unwrap();
    let refresh = jwt.create_refresh_token("test").unwrap();
    let expired = expired_token();
    let missing_marker = "Missing 'bearer' protocol in 'Sec-WebSocket-Protocol' header. Expected 'Sec-WebSocket-Protocol: bearer, <JWT>'";
    let bad = "Bad Sec-WebSocket-Protocol header. Expected 'Sec-WebSocket-Protocol: bearer, <JWT>'";
    let cases = [
        (None, 401, msg("Missing Sec-WebSocket-Protocol Header")),
        (Some("chat".to_owned()), 401, msg(missing_marker)),
        // The marker is case-sensitive: `Bearer` is some other protocol.
        (Some(format!("Bearer, {access}")), 401, msg(missing_marker)),
        (Some("bearer".to_owned()), 422, msg(bad)),
        (Some(format!("bearer, bearer, {access}")), 422, msg(bad)),
        (Some(format!("bearer, {access}, bearer")), 422, msg(bad)),
        (
            Some("bearer, not-a-jwt".to_owned()),
            422,
            msg("Not enough segments"),
        ),
        (
            Some(format!("bearer, {refresh}")),
            422,
            msg("Only non-refresh tokens are allowed"),
        ),
        (
            Some(format!("bearer, {expired}")),
            401,
            msg("Token has expired"),
        ),
        (
            Some(format!("bearer, {}x", &access)),
            422,
            msg("Signature verification failed"),
        ),
    ];
    for (protocols, status, body) in cases {
        assert_eq!(
            refused(&addr, protocols.as_deref(), &[&access, &refresh, &expired]),
            (status, body),
            "{protocols:?}"
        );
    }
}

#[test]
fn huge_protocol_headers_get_a_clean_4xx_and_never_a_5xx() {
    let addr = start_with(jwt(), routes);
    let values = [
        format!("bearer, {}", "a".repeat(20_000)),
        format!("bearer, {}", "a.".repeat(10_000)),
        format!("{}bearer, x", "chat, ".repeat(3_000)),
        ", ".repeat(10_000),
        format!("bearer, {}", "x".repeat(200_000)),
    ];
    for value in &values {
        let response = http(
            &addr,
            "GET",
            "/ws",
            &handshake(&[("Sec-WebSocket-Protocol", value)]),
            b"",
        );
        assert!(
            (400..500).contains(&response.status),
            "{} for a {}-byte header",
            response.status,
            value.len()
        );
        if response.status != 431 {
            assert!(response.json()["msg"].is_string(), "{response:?}");
        }
    }
    // Still serving.
    assert_eq!(http(&addr, "GET", "/ws", &handshake(&[]), b"").status, 401);
}

/// A handler that upgrades with actix-ws and answers nothing.
async fn upgrade(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, _session, _messages) = actix_ws::handle(&req, body)?;
    Ok(response)
}

/// A handshake request for the in-process apps, with `Sec-WebSocket-Protocol: protocols`.
fn handshake_request(protocols: &str) -> actix_test::TestRequest {
    let mut req = actix_test::TestRequest::get();
    for (name, value) in handshake(&[("Sec-WebSocket-Protocol", protocols)]) {
        req = req.insert_header((name, value));
    }
    req
}

fn selected<B>(response: &actix_web::dev::ServiceResponse<B>) -> Vec<String> {
    let values = response.headers().get_all(header::SEC_WEBSOCKET_PROTOCOL);
    values.map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn the_first_location_holding_a_token_decides_and_reports_where() {
    let jwt = jwt();
    let both =
        || JwtRequired::new().locations([TokenLocation::Headers, TokenLocation::WebSocketProtocol]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route(
                "/where",
                web::get()
                    .to(|id: JwtIdentity| async move {
                        HttpResponse::Ok()
                            .json(json!({ "who": id.as_str(), "from": id.location().as_str() }))
                    })
                    .wrap(both()),
            )
            .route("/ws", web::get().to(upgrade).wrap(both())),
    )
    .await;
    let alice = jwt.create_access_token("alice").unwrap();
    let bob = jwt.create_access_token("bob").unwrap();
    let protocol = format!("bearer, {bob}");

    let (status, body) = send(&app, handshake_request(&protocol).uri("/where")).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({ "who": "bob", "from": "websocket_protocol" })
        )
    );
    let with_header = handshake_request(&protocol)
        .uri("/where")
        .insert_header((header::AUTHORIZATION, bearer(&alice)));
    assert_eq!(
        send(&app, with_header).await,
        (StatusCode::OK, json!({ "who": "alice", "from": "headers" }))
    );
    // A bad token in the first location stops the search.
    let bad_header = handshake_request(&protocol)
        .uri("/where")
        .insert_header((header::AUTHORIZATION, "Bearer not-a-jwt"));
    assert_eq!(
        send(&app, bad_header).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Each location's reason, in the combined message.
    let none = actix_test::TestRequest::get().uri("/where");
    assert_eq!(
        send(&app, none).await,
        (
            StatusCode::UNAUTHORIZED,
            msg(
                "Missing JWT in headers or websocket_protocol (Missing Authorization Header; Missing WebSocket upgrade: 'Sec-WebSocket-Protocol' is read on a WebSocket handshake only)"
            )
        )
    );
    let no_protocol = handshake_request("chat").uri("/where");
    assert_eq!(
        send(&app, no_protocol).await.1,
        msg(
            "Missing JWT in headers or websocket_protocol (Missing Authorization Header; Missing 'bearer' protocol in 'Sec-WebSocket-Protocol' header. Expected 'Sec-WebSocket-Protocol: bearer, <JWT>')"
        )
    );

    // The marker is selected only for a token that came from the protocol.
    let upgraded =
        actix_test::call_service(&app, handshake_request(&protocol).uri("/ws").to_request()).await;
    assert_eq!(upgraded.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(selected(&upgraded), ["bearer"]);
    let from_header = handshake_request("chat")
        .uri("/ws")
        .insert_header((header::AUTHORIZATION, bearer(&alice)));
    let upgraded = actix_test::call_service(&app, from_header.to_request()).await;
    assert_eq!(upgraded.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(selected(&upgraded).is_empty());
}

#[actix_web::test]
async fn the_token_is_read_on_a_get_upgrade_only_and_options_never_reach_the_handler() {
    let jwt = jwt();
    let app = actix_test::init_service(
        App::new().app_data(web::Data::new(jwt.clone())).service(
            web::resource("/ws")
                .wrap(JwtRequired::new().locations([TokenLocation::WebSocketProtocol]))
                .to(|| async { HttpResponse::Ok().body("private") }),
        ),
    )
    .await;
    let protocol = format!("bearer, {}", jwt.create_access_token("test").unwrap());
    let not_a_handshake = msg(
        "Missing WebSocket upgrade: 'Sec-WebSocket-Protocol' is read on a WebSocket handshake only",
    );
    for method in [Method::POST, Method::PUT, Method::HEAD] {
        let req = handshake_request(&protocol)
            .uri("/ws")
            .method(method.clone());
        let response = actix_test::call_service(&app, req.to_request()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method}");
    }
    let no_upgrade = actix_test::TestRequest::get()
        .uri("/ws")
        .insert_header((header::SEC_WEBSOCKET_PROTOCOL, protocol.as_str()));
    assert_eq!(
        send(&app, no_upgrade).await,
        (StatusCode::UNAUTHORIZED, not_a_handshake)
    );
    // A preflight carries no token: an empty 200 from the guard.
    let options = handshake_request(&protocol)
        .method(Method::OPTIONS)
        .uri("/ws");
    let response = actix_test::call_service(&app, options.to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(actix_test::read_body(response).await.is_empty());
    assert_eq!(
        actix_test::call_and_read_body(&app, handshake_request(&protocol).uri("/ws").to_request())
            .await,
        "private"
    );
}

#[actix_web::test]
async fn a_handler_that_selects_the_token_gets_the_marker_instead() {
    let jwt = jwt();
    // The mistake this guards against: echoing everything the client offered.
    async fn echo_offer(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
        let offered = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL).cloned();
        let (mut response, _session, _messages) = actix_ws::handle(&req, body)?;
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, offered.unwrap());
        Ok(response)
    }
    async fn choose_chat(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
        let (mut response, _session, _messages) = actix_ws::handle(&req, body)?;
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            header::HeaderValue::from_static("chat"),
        );
        Ok(response)
    }
    let guard = || JwtRequired::new().locations([TokenLocation::WebSocketProtocol]);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/echo", web::get().to(echo_offer).wrap(guard()))
            .route("/chat", web::get().to(choose_chat).wrap(guard())),
    )
    .await;
    let token = jwt.create_access_token("test").unwrap();
    let protocol = format!("chat, bearer, {token}");
    let echoed =
        actix_test::call_service(&app, handshake_request(&protocol).uri("/echo").to_request())
            .await;
    assert_eq!(selected(&echoed), ["bearer"]);
    let chat =
        actix_test::call_service(&app, handshake_request(&protocol).uri("/chat").to_request())
            .await;
    assert_eq!(selected(&chat), ["chat"]);
}

#[cfg(feature = "test-util")]
#[actix_web::test]
async fn without_a_guard_the_helper_selects_the_marker() {
    use actix_jwt_extended::{test::TestRequestExt, websocket};

    async fn ws(
        req: HttpRequest,
        body: web::Payload,
        _identity: JwtIdentity,
    ) -> actix_web::Result<HttpResponse> {
        let (mut response, _session, _messages) = actix_ws::handle(&req, body)?;
        websocket::select_protocol(&req, &mut response);
        Ok(response)
    }
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .token_location([TokenLocation::WebSocketProtocol])
        .websocket_protocol("access_token")
        .build()
        .unwrap();
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(jwt.clone()))
            .route("/ws", web::get().to(ws)),
    )
    .await;
    let req = actix_test::TestRequest::get()
        .uri("/ws")
        .with_websocket_access_token(&jwt, "test");
    let response = actix_test::call_service(&app, req.to_request()).await;
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(selected(&response), ["access_token"]);
    // The extractor alone refuses a handshake without a token, in JSON.
    let (status, body) = send(&app, handshake_request("chat").uri("/ws")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        msg(
            "Missing 'access_token' protocol in 'Sec-WebSocket-Protocol' header. Expected 'Sec-WebSocket-Protocol: access_token, <JWT>'"
        )
    );
}
