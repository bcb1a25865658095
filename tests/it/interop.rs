//! Tokens cross between Flask-JWT-Extended and this crate in both directions.

use crate::common::{
    cookie_header, cookie_jar, flask_reference, http, jar_value, manager, start_example,
};
use actix_web::{App, test as actix_test, web};
use serde_json::{Value, json};

fn payload_json(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The keys of a JSON object in the order they appear in its text.
fn key_order(json: &str) -> Vec<String> {
    let value: serde_json::Map<String, Value> = serde_json::from_str(json).unwrap();
    let mut keys: Vec<(usize, String)> = value
        .keys()
        .map(|k| (json.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[actix_web::test]
async fn tokens_minted_by_flask_pass_our_guards() {
    let fixture = crate::common::json_fixture("flask_tokens.json");
    assert_eq!(fixture["secret"], crate::common::SECRET);
    let app = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(manager()))
            .configure(crate::examples::refresh_tokens::routes),
    )
    .await;
    let bearer = |key: &str| format!("Bearer {}", fixture[key].as_str().unwrap());

    let req = actix_test::TestRequest::get()
        .uri("/protected")
        .insert_header(("Authorization", bearer("access_token")));
    let body: Value = actix_test::call_and_read_body_json(&app, req.to_request()).await;
    assert_eq!(body, json!({ "logged_in_as": "test" }));

    let req = actix_test::TestRequest::post()
        .uri("/refresh")
        .insert_header(("Authorization", bearer("refresh_token")));
    let body: Value = actix_test::call_and_read_body_json(&app, req.to_request()).await;
    assert!(body["access_token"].is_string());

    let req = actix_test::TestRequest::get()
        .uri("/protected")
        .insert_header(("Authorization", bearer("refresh_token")));
    let res = actix_test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 422);

    let fresh = manager()
        .decode_token(fixture["fresh_access_token"].as_str().unwrap())
        .unwrap();
    assert!(fresh.is_fresh());
    assert_eq!(fresh.identity(), "test");
}

#[test]
fn our_tokens_have_flasks_exact_claim_order_and_header() {
    let fixture = crate::common::json_fixture("flask_tokens.json");
    let jwt = manager();
    for (ours, theirs) in [
        (
            jwt.create_access_token("test").unwrap(),
            "access_payload_json",
        ),
        (
            jwt.create_refresh_token("test").unwrap(),
            "refresh_payload_json",
        ),
    ] {
        assert_eq!(
            key_order(&payload_json(&ours)),
            key_order(fixture[theirs].as_str().unwrap()),
            "{theirs}"
        );
        let header = jwt.decode_token(&ours).unwrap().header().clone();
        assert_eq!(Value::Object(header), fixture["access_header"]);
    }
}

/// The payload of a token with additional claims, as `interop_app.py`'s
/// Flask-JWT-Extended writes it (audience `api`, issuer
/// `https://issuer.example`): Flask builds a dict and `update`s it with the
/// additional claims, so a per-token `aud` or `iss` replaces the configured
/// one in its place, and the rest follow `exp`. Each key is written once.
fn additional_claims_payload_keys() -> (serde_json::Map<String, Value>, Vec<String>) {
    let mut claims = serde_json::Map::new();
    claims.insert("aud".into(), json!("web"));
    for i in 1..=11 {
        claims.insert(format!("c{i:02}"), json!(i));
    }
    claims.insert("iss".into(), json!("https://other.example"));
    let mut keys: Vec<String> = [
        "fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "aud", "iss", "exp",
    ]
    .map(String::from)
    .into();
    keys.extend((1..=11).map(|i| format!("c{i:02}")));
    (claims, keys)
}

fn interop_manager() -> actix_jwt_extended::JwtManager {
    actix_jwt_extended::JwtManager::builder()
        .secret(crate::common::SECRET)
        .allow_short_secret()
        .encode_audience(["api"])
        .decode_audience(["api"])
        .encode_issuer("https://issuer.example")
        .decode_issuer("https://issuer.example")
        .build()
        .unwrap()
}

/// Each key of a payload, written once, in order.
fn written_keys(token: &str) -> Vec<String> {
    let text = payload_json(token);
    let keys = key_order(&text);
    for key in &keys {
        assert_eq!(
            text.matches(&format!("\"{key}\":")).count(),
            1,
            "{key} in {text}"
        );
    }
    keys
}

#[test]
fn additional_claims_replace_aud_and_iss_in_place_and_follow_exp() {
    let (claims, keys) = additional_claims_payload_keys();
    let jwt = interop_manager();
    let token = jwt
        .access_token_builder("alice")
        .claims(&claims)
        .encode()
        .unwrap();
    assert_eq!(written_keys(&token), keys);
    let payload: Value = serde_json::from_str(&payload_json(&token)).unwrap();
    assert_eq!(
        (&payload["aud"], &payload["iss"], &payload["c11"]),
        (&json!("web"), &json!("https://other.example"), &json!(11))
    );

    // Without a configured audience or issuer, a per-token one is an
    // additional claim like any other, after `exp`.
    let token = manager()
        .access_token_builder("alice")
        .claims(&claims)
        .encode()
        .unwrap();
    let mut keys: Vec<String> = ["fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "exp"]
        .map(String::from)
        .into();
    keys.extend(claims.keys().cloned());
    assert_eq!(written_keys(&token), keys);
}

/// Live: Flask-JWT-Extended writes the same keys in the same order.
#[test]
fn additional_claims_are_written_in_flasks_order_live() {
    let Some(flask) = crate::common::flask_interop() else {
        return;
    };
    let (claims, keys) = additional_claims_payload_keys();
    let body = json!({ "identity": "alice", "claims": claims }).to_string();
    let minted = http(
        &flask,
        "POST",
        "/mint",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .json();
    let theirs = minted["access_token"].as_str().unwrap();
    assert_eq!(written_keys(theirs), keys);
    let ours = interop_manager()
        .access_token_builder("alice")
        .claims(&claims)
        .encode()
        .unwrap();
    assert_eq!(written_keys(&ours), written_keys(theirs));
}

/// Live: the Flask reference that `.ci/run` starts accepts our tokens, and ours
/// accepts the ones its `/login` mints.
#[test]
fn tokens_cross_live_between_the_flask_reference_and_our_server() {
    let Some(flask) = flask_reference() else {
        return;
    };
    let jwt = manager();
    let ours = start_example(jwt.clone());
    let bearer = |t: &str| format!("Bearer {t}");

    let access = jwt.create_access_token("test").unwrap();
    let refresh = jwt.create_refresh_token("test").unwrap();
    let res = http(
        &flask,
        "GET",
        "/protected",
        &[("Authorization", &bearer(&access))],
        b"",
    );
    assert_eq!(
        (res.status, res.json()),
        (200, json!({ "logged_in_as": "test" }))
    );
    let res = http(
        &flask,
        "POST",
        "/refresh",
        &[("Authorization", &bearer(&refresh))],
        b"",
    );
    assert_eq!(res.status, 200, "{res:?}");
    let flask_refreshed = res.json()["access_token"].as_str().unwrap().to_owned();
    let res = http(
        &flask,
        "GET",
        "/protected",
        &[("Authorization", &bearer(&refresh))],
        b"",
    );
    assert_eq!(
        (res.status, res.json()),
        (422, json!({ "msg": "Only non-refresh tokens are allowed" }))
    );

    let login = http(
        &flask,
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        br#"{"username":"test","password":"test"}"#,
    );
    assert_eq!(login.status, 200);
    let tokens = login.json();
    for token in [tokens["access_token"].as_str().unwrap(), &flask_refreshed] {
        let res = http(
            &ours,
            "GET",
            "/protected",
            &[("Authorization", &bearer(token))],
            b"",
        );
        assert_eq!(
            (res.status, res.json()),
            (200, json!({ "logged_in_as": "test" }))
        );
    }
    let res = http(
        &ours,
        "POST",
        "/refresh",
        &[(
            "Authorization",
            &bearer(tokens["refresh_token"].as_str().unwrap()),
        )],
        b"",
    );
    assert_eq!(res.status, 200);

    // Same request, same answer, for a few error paths.
    let access_header = bearer(&access);
    for (method, path, auth) in [
        ("GET", "/protected", None),
        ("GET", "/protected", Some("Bearer")),
        ("GET", "/protected", Some("bearer x")),
        ("GET", "/protected", Some("Bearer a.b")),
        ("POST", "/refresh", Some(access_header.as_str())),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        let (a, b) = (
            http(&flask, method, path, &headers, b""),
            http(&ours, method, path, &headers, b""),
        );
        assert_eq!(
            (a.status, a.json()),
            (b.status, b.json()),
            "{method} {path} {auth:?}"
        );
    }
}

/// Live, against Flask-JWT-Extended configured with an audience and an issuer:
/// fresh, fresh-until, audience, issuer and extra claims cross both ways.
#[test]
fn fresh_audience_issuer_and_extra_claims_cross_live_both_ways() {
    let Some(flask) = crate::common::flask_interop() else {
        return;
    };
    let jwt = interop_manager();
    let get = |path: &str, token: &str| {
        http(
            &flask,
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
    };

    // Ours to Flask.
    let roles = json!(["admin", "ops"]);
    let fresh = jwt
        .access_token_builder("alice")
        .fresh(true)
        .claim("roles", &roles)
        .encode()
        .unwrap();
    let fresh_for = jwt
        .access_token_builder("alice")
        .fresh(std::time::Duration::from_secs(600))
        .encode()
        .unwrap();
    let stale = jwt.create_access_token("alice").unwrap();
    let res = get("/claims", &fresh);
    assert_eq!(res.status, 200, "{res:?}");
    let seen = res.json();
    assert_eq!(
        (seen["sub"].clone(), seen["roles"].clone()),
        (json!("alice"), roles)
    );
    assert_eq!(
        (seen["aud"].clone(), seen["iss"].clone()),
        (json!("api"), json!("https://issuer.example"))
    );
    assert_eq!(get("/fresh", &fresh).status, 200);
    assert_eq!(get("/fresh", &fresh_for).status, 200);
    let res = get("/fresh", &stale);
    assert_eq!(
        (res.status, res.json()),
        (401, json!({ "msg": "Fresh token required" }))
    );
    let refresh = jwt.create_refresh_token("alice").unwrap();
    let res = http(
        &flask,
        "POST",
        "/refresh",
        &[("Authorization", &format!("Bearer {refresh}"))],
        b"",
    );
    assert_eq!(res.status, 200);
    // A token for another audience is refused by both.
    let other = actix_jwt_extended::JwtManager::builder()
        .secret(crate::common::SECRET)
        .allow_short_secret()
        .encode_audience(["web"])
        .encode_issuer("https://issuer.example")
        .build()
        .unwrap()
        .create_access_token("alice")
        .unwrap();
    let res = get("/claims", &other);
    assert_eq!(
        (res.status, res.json()),
        (422, json!({ "msg": "Audience doesn't match" }))
    );
    assert_eq!(
        jwt.decode_token(&other).unwrap_err().to_string(),
        "Audience doesn't match"
    );

    // Flask's to ours.
    let mint = |fresh: Value| {
        let body = json!({ "identity": "bob", "fresh": fresh, "claims": { "tenant": "acme" } })
            .to_string();
        http(
            &flask,
            "POST",
            "/mint",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .json()
    };
    for (fresh, is_fresh) in [
        (json!(true), true),
        (json!(600), true),
        (json!(-60), false),
        (json!(false), false),
    ] {
        let tokens = mint(fresh.clone());
        let access = jwt
            .decode_token(tokens["access_token"].as_str().unwrap())
            .unwrap();
        assert_eq!(access.identity(), "bob");
        assert_eq!(access.is_fresh(), is_fresh, "fresh={fresh}");
        assert_eq!(access.claims()["tenant"], "acme");
        assert_eq!(access.claims()["aud"], "api");
        let refresh = jwt
            .decode_token(tokens["refresh_token"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            refresh.kind(),
            actix_jwt_extended::token::TokenKind::Refresh
        );
    }
}

use crate::examples::jwt_locations;

/// Live: cookies set by our login work on the Flask reference of the JWT
/// Locations chapter, and cookies set by its login work on ours, CSRF included.
#[test]
fn cookies_cross_live_between_flask_and_our_server() {
    let Some(flask) = crate::common::flask_locations() else {
        return;
    };
    let ours = crate::common::start_with(
        jwt_locations::manager(crate::common::SECRET).unwrap(),
        jwt_locations::routes,
    );
    for (issuer, verifier) in [(&ours, &flask), (&flask, &ours)] {
        let login = http(issuer, "POST", "/login_with_cookies", &[], b"");
        assert_eq!(login.status, 200, "{login:?}");
        let jar = cookie_jar(&login);
        let cookies = cookie_header(&jar);
        let csrf_access = jar_value(&jar, "csrf_access_token");
        let csrf_refresh = jar_value(&jar, "csrf_refresh_token");

        let get = http(verifier, "GET", "/protected", &[("Cookie", &cookies)], b"");
        assert_eq!(
            (get.status, get.json()),
            (200, json!({ "foo": "bar" })),
            "{issuer} -> {verifier}"
        );
        let no_csrf = http(verifier, "POST", "/protected", &[("Cookie", &cookies)], b"");
        assert_eq!(
            (no_csrf.status, no_csrf.json()),
            (401, json!({ "msg": "Missing CSRF token" }))
        );
        let post = http(
            verifier,
            "POST",
            "/protected",
            &[("Cookie", &cookies), ("X-CSRF-TOKEN", &csrf_access)],
            b"",
        );
        assert_eq!(post.status, 200, "{issuer} -> {verifier}: {post:?}");
        let refresh = http(
            verifier,
            "POST",
            "/refresh_with_cookies",
            &[("Cookie", &cookies), ("X-CSRF-TOKEN", &csrf_refresh)],
            b"",
        );
        assert_eq!(
            (refresh.status, refresh.json()),
            (200, json!({ "msg": "refresh successful" }))
        );
        let names: Vec<_> = cookie_jar(&refresh)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["access_token_cookie", "csrf_access_token"]);
    }
}

use crate::examples::blocklist;

/// The chapter's request sequence against a server: each step's status and
/// body (token values replaced by their key names).
fn blocklist_story(addr: &str) -> Vec<(u16, Value)> {
    let mut steps = Vec::new();
    let mut record = |response: crate::common::Response| {
        let mut body = response.json();
        if let Some(fields) = body.as_object_mut() {
            for key in ["access_token", "refresh_token"] {
                if fields.contains_key(key) {
                    fields.insert(key.into(), json!("<token>"));
                }
            }
        }
        steps.push((response.status, body));
        response
    };
    let ct = ("Content-Type", "application/json");
    record(http(
        addr,
        "POST",
        "/login",
        &[ct],
        br#"{"username":"test","password":"nope"}"#,
    ));
    let login = record(http(
        addr,
        "POST",
        "/login",
        &[ct],
        br#"{"username":"test","password":"test"}"#,
    ))
    .json();
    let access = format!("Bearer {}", login["access_token"].as_str().unwrap());
    let refresh = format!("Bearer {}", login["refresh_token"].as_str().unwrap());
    let auth = |value: &str| [("Authorization", value.to_owned())];
    let send = |method: &str, path: &str, value: Option<&str>| {
        let headers: Vec<(&str, String)> = value.map(|v| auth(v).to_vec()).unwrap_or_default();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        http(addr, method, path, &headers, b"")
    };
    record(send("GET", "/protected", Some(&access)));
    record(send("GET", "/protected", Some(&refresh)));
    record(send("POST", "/refresh", Some(&refresh)));
    record(send("DELETE", "/logout", Some(&access)));
    record(send("GET", "/protected", Some(&access)));
    record(send("DELETE", "/logout", Some(&access)));
    record(send("POST", "/refresh", Some(&refresh)));
    record(send("DELETE", "/logout", Some(&refresh)));
    record(send("POST", "/refresh", Some(&refresh)));
    record(send("DELETE", "/logout", Some(&refresh)));
    record(send("DELETE", "/logout", None));
    record(send("DELETE", "/logout", Some("Bearer garbage")));
    steps
}

/// Live: the blocklist example and Flask's blocklist reference answer the
/// chapter's story step for step, with memory and (feature `redis`) Redis.
#[test]
fn blocklist_example_answers_like_flask_with_memory_and_redis() {
    let Some(flask) = crate::common::live_server_url("FLASK_BLOCKLIST_URL") else {
        return;
    };
    let ours = crate::common::start_with(
        blocklist::manager(
            crate::common::SECRET,
            actix_jwt_extended::store::MemoryStore::new(),
        )
        .unwrap(),
        blocklist::routes,
    );
    let expected = blocklist_story(&flask);
    assert_eq!(blocklist_story(&ours), expected);
    assert!(
        expected
            .iter()
            .any(|(_, body)| body == &json!({ "msg": "Token has been revoked" }))
    );

    #[cfg(feature = "redis")]
    {
        let Some(flask_redis) = crate::common::live_server_url("FLASK_BLOCKLIST_REDIS_URL") else {
            return;
        };
        use actix_jwt_extended::store::RedisStore;
        let url =
            std::env::var("REDIS_URL").expect(".ci/run sets REDIS_URL with the Redis blocklist");
        let expected = blocklist_story(&flask_redis);
        let cluster = crate::common::redis_cluster_urls();
        let builders = std::iter::once(RedisStore::builder(url))
            .chain(cluster.map(RedisStore::cluster_builder));
        for builder in builders {
            // The store connects lazily, inside the server's runtime.
            let jwt = {
                let system = actix_web::rt::System::new();
                system.block_on(async {
                    let store = builder.clone().build().unwrap();
                    blocklist::manager(crate::common::SECRET, store).unwrap()
                })
            };
            let ours_redis = crate::common::start_with(jwt, blocklist::routes);
            assert_eq!(blocklist_story(&ours_redis), expected, "{builder:?}");
        }
    }
}
