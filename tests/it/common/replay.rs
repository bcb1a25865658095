//! Replays requests recorded from a Flask-JWT-Extended reference app against
//! one of our examples and compares statuses, JSON bodies and Allow headers.

use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::{Method, header::HeaderValue},
    test,
    web::Bytes,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;

/// Header values are recorded as Latin-1 text: one char per byte.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1 header value"))
        .collect()
}

fn body_of(case: &Value) -> Option<Bytes> {
    if let Some(body) = case["body"].as_str() {
        return Some(Bytes::from(body.to_owned()));
    }
    case["body_b64"]
        .as_str()
        .map(|b64| Bytes::from(STANDARD.decode(b64).unwrap()))
}

/// Sends every case of `fixture` to `app` and panics with the list of
/// differences. `deviations` are documented differences (name, our status, our
/// msg or "" for any); `raw_paths` are the paths whose error bodies all come
/// from the crate, which must then equal Flask's bytes exactly.
pub async fn replay<S, B>(
    app: &S,
    fixture: &str,
    deviations: &[(&str, u16, &str)],
    raw_paths: &[&str],
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let fixture: Value = serde_json::from_str(fixture).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(
        cases.len() > 100,
        "the fixture should hold the whole recorded suite"
    );

    for (name, ..) in deviations {
        assert!(
            cases.iter().any(|c| c["name"] == *name),
            "deviation {name} is not in the fixture"
        );
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let quirk = case["python_quirk"].as_bool().unwrap_or(false);
        let case = &recraft_near_expiry(case);
        let mut req = test::TestRequest::default()
            .method(Method::from_bytes(case["method"].as_str().unwrap().as_bytes()).unwrap())
            .uri(case["path"].as_str().unwrap());
        let mut representable = true;
        for header in case["headers"].as_array().unwrap() {
            let (name, value) = (header[0].as_str().unwrap(), header[1].as_str().unwrap());
            match HeaderValue::from_bytes(&latin1(value)) {
                Ok(value) => req = req.append_header((name, value)),
                Err(_) => representable = false,
            }
        }
        if !representable {
            // Control bytes that actix's HTTP parser refuses on the wire (it
            // answers 400 before any handler runs); only Python takes them.
            assert!(
                quirk,
                "{name}: header not representable but not marked python_quirk"
            );
            continue;
        }
        if let Some(body) = body_of(case) {
            req = req.set_payload(body);
        }
        let response = test::call_service(app, req.to_request()).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let headers_allow = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = test::read_body(response).await;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        compared += 1;

        let expected_status = case["status"].as_u64().unwrap() as u16;
        let mut fail = |why: String| failures.push(format!("{name}: {why}"));

        // Never a server error, and every error is a JSON message.
        if status >= 500 {
            fail(format!("answered {status}"));
            continue;
        }
        if status >= 400 {
            let msg = json
                .as_ref()
                .and_then(|j| j.get("msg"))
                .and_then(Value::as_str);
            // A custom error response (an app's hook) need not carry `msg`.
            let custom = case["body_json"]
                .as_object()
                .is_some_and(|b| !b.contains_key("msg"));
            if content_type != "application/json"
                || json.is_none()
                || (!custom && msg.is_none_or(str::is_empty))
            {
                fail(format!(
                    "error {status} without a JSON msg: {content_type} {body:?}"
                ));
                continue;
            }
        }

        if let Some((_, our_status, our_msg)) = deviations.iter().find(|d| d.0 == name) {
            let msg = json.as_ref().and_then(|j| j["msg"].as_str()).unwrap_or("");
            if status != *our_status || (!our_msg.is_empty() && msg != *our_msg) {
                fail(format!("documented deviation changed: {status} {msg:?}"));
            }
            continue;
        }
        if quirk {
            continue; // Python-only leniency: any clean answer above is fine.
        }

        match case["compare"].as_str().unwrap() {
            "exact" => {
                if status != expected_status {
                    fail(format!(
                        "status {status}, reference {expected_status}; body {json:?}"
                    ));
                } else if !case["body_json"].is_null() && json.as_ref() != Some(&case["body_json"])
                {
                    fail(format!("body {json:?}, reference {}", case["body_json"]));
                } else if status >= 400
                    && raw_paths.contains(&case["path"].as_str().unwrap())
                    && case["body_json"].get("msg").is_some()
                    && case["body_raw"]
                        .as_str()
                        .is_some_and(|raw| raw.as_bytes() != body)
                {
                    // The crate's own errors are byte-identical to Flask's jsonify output.
                    fail(format!("raw body {body:?}, reference {}", case["body_raw"]));
                }
            }
            "status_and_keys" => {
                let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
                if status != expected_status
                    || json.as_ref().and_then(keys) != keys(&case["body_json"])
                {
                    fail(format!(
                        "{status} {json:?}, reference {expected_status} {}",
                        case["body_json"]
                    ));
                }
            }
            "status_only" => {
                if status != expected_status {
                    fail(format!("status {status}, reference {expected_status}"));
                }
            }
            "reference_crashed" => {
                // The reference answered with a 5xx or an HTML page: ours must be
                // a clean JSON 4xx (checked above), with the reference's status
                // where that was a 4xx.
                if status < 400 || (expected_status < 500 && status != expected_status) {
                    fail(format!(
                        "status {status}, reference {expected_status} (HTML)"
                    ));
                }
            }
            other => panic!("{name}: unknown compare mode {other}"),
        }
        if let Some(expected) = case["set_cookies_parsed"].as_array()
            && let Err(why) = compare_cookies(&set_cookies, expected)
        {
            failures.push(format!("{name}: Set-Cookie {why}; ours {set_cookies:?}"));
        }
        if let Some(allow) = case["allow"].as_str() {
            let ours = headers_allow.unwrap_or_default();
            let set = |s: &str| {
                let mut v: Vec<String> = s.split(',').map(|m| m.trim().to_owned()).collect();
                v.sort();
                v
            };
            if set(&ours) != set(allow) {
                failures.push(format!("{name}: Allow {ours:?}, reference {allow:?}"));
            }
        }
    }
    assert!(compared > 100, "only {compared} cases compared");
    assert!(
        failures.is_empty(),
        "{} of {compared} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A case whose token was minted close to its expiry at recording time gets a
/// new token with the same claims and the same distance to `exp` from now.
fn recraft_near_expiry(case: &Value) -> Value {
    let Some(near) = case.get("near_expiry_token") else {
        return case.clone();
    };
    let now = super::now() as i64;
    let mut claims = near["claims"].clone();
    let iat = now + near["iat_minus_now"].as_i64().unwrap();
    claims["iat"] = iat.into();
    claims["nbf"] = iat.into();
    claims["exp"] = (now + near["exp_minus_now"].as_i64().unwrap()).into();
    let fresh = super::hs256(&claims);
    let old = near["token"].as_str().unwrap();
    let text = serde_json::to_string(case).unwrap().replace(old, &fresh);
    serde_json::from_str(&text).unwrap()
}

/// Our `Set-Cookie` headers against the reference's: the same cookies in the
/// same order, with the same kind of value and the same attributes, except
/// `SameSite`, which we set by default (`Lax`) where Flask sets none.
fn compare_cookies(ours: &[String], expected: &[Value]) -> Result<(), String> {
    if ours.len() != expected.len() {
        return Err(format!(
            "{} cookies, reference {}",
            ours.len(),
            expected.len()
        ));
    }
    for (cookie, expected) in ours.iter().zip(expected) {
        let mut parts = cookie.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap().split_once('=').unwrap();
        if name != expected["name"] {
            return Err(format!("name {name}, reference {}", expected["name"]));
        }
        let is_jwt = value.split('.').count() == 3 && !value.is_empty();
        if is_jwt != expected["value_is_jwt"].as_bool().unwrap()
            || expected.get("value").is_some_and(|v| v != value)
        {
            return Err(format!("{name} value {value:?}"));
        }
        let mut attributes = serde_json::Map::new();
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .map_or((part, Value::Bool(true)), |(k, v)| (k, v.into()));
            let key = key.to_ascii_lowercase();
            if key == "samesite" && expected["attributes"].get("samesite").is_none() {
                continue;
            }
            attributes.insert(key, value);
        }
        if Value::Object(attributes.clone()) != expected["attributes"] {
            return Err(format!(
                "{name} attributes {attributes:?}, reference {}",
                expected["attributes"]
            ));
        }
    }
    Ok(())
}
