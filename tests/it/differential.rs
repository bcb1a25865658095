//! Differential testing against Flask-JWT-Extended: a few thousand tokens and
//! `Authorization` headers, mutated from valid tokens minted by the Flask
//! reference and by our `refresh_tokens` example (segment edits, claim type
//! changes, header fields, JSON text, base64 alphabets, whitespace and
//! separators), go over real sockets to the example and to the live Flask
//! reference app that `.ci/run` starts. Status and message must agree. A
//! disagreement passes only when it is one of the deliberate differences the
//! README lists by name ("Where we differ from Flask-JWT-Extended on
//! purpose"), which this test reads from the README itself.
//!
//! The cases come from a seeded generator: set `DIFFERENTIAL_SEED` to try
//! other ones, `DIFFERENTIAL_CASES` for more of them.

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value, json};

use crate::common::{self, SECRET, b64, forge, http};

/// SplitMix64: the same seed gives the same cases on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One request sent to both servers.
struct Case {
    label: String,
    path: &'static str,
    /// The token inside the request, as sent (for the README's
    /// content-based deviations).
    token: String,
    headers: Vec<(String, String)>,
}

/// What a server answered, reduced to what must agree.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: u16,
    /// `msg` of an error, the identity of `/protected`, whether `/refresh`
    /// minted a token; `None` for a body that is not our JSON shape.
    answer: Option<String>,
    json: bool,
}

impl Outcome {
    fn of(path: &str, response: &common::Response) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
        let json = parsed.as_ref().is_some_and(Value::is_object);
        let body = parsed.unwrap_or(Value::Null);
        let answer = match (response.status, path) {
            (200, "/protected") => body.get("logged_in_as").map(Value::to_string),
            (200, _) => body
                .get("access_token")
                .map(|token| format!("minted: {}", token.is_string())),
            _ => body.get("msg").and_then(Value::as_str).map(str::to_owned),
        };
        Self {
            status: response.status,
            answer,
            json,
        }
    }
}

fn send(addr: &str, case: &Case) -> Outcome {
    let method = if case.path == "/refresh" {
        "POST"
    } else {
        "GET"
    };
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    Outcome::of(case.path, &http(addr, method, case.path, &headers, b""))
}

/// The names of the README's deliberate differences: the bold lead of each
/// item under "Where we differ from Flask-JWT-Extended on purpose:".
fn readme_deviations() -> Vec<String> {
    let readme = crate::common::readme();
    let section = readme
        .split_once("Where we differ from Flask-JWT-Extended on purpose")
        .expect("the README lists its deliberate differences")
        .1;
    let section = &section[..section.find("\n\n##").unwrap_or(section.len())];
    section
        .lines()
        .filter_map(|line| line.strip_prefix("- **"))
        .filter_map(|rest| rest.split_once("**"))
        .map(|(name, _)| name.trim_end_matches('.').to_owned())
        .collect()
}

/// A segment of a token decoded the lenient way Python's base64 does
/// (either alphabet, padding optional), for classifying what was sent.
fn lenient_segment(segment: &str) -> Option<Vec<u8>> {
    use base64::{
        Engine,
        alphabet::URL_SAFE,
        engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    };
    let engine = GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine
        .decode(segment.replace('+', "-").replace('/', "_"))
        .ok()
}

/// The payload of `token` as JSON, when it has one.
fn payload_of(token: &str) -> Option<Map<String, Value>> {
    let segment = token.split('.').nth(1)?;
    match serde_json::from_slice(&lenient_segment(segment)?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

const TIME_CLAIMS: [(&str, &str); 3] = [
    ("exp", "Expiration Time claim (exp) must be an integer."),
    ("iat", "Issued At claim (iat) must be an integer."),
    ("nbf", "Not Before claim (nbf) must be an integer."),
];

const INVALID_TYPE: &str = "Invalid token type: \"type\" must be \"access\" or \"refresh\"";

/// Which deliberate difference explains a disagreement, judged from what was
/// sent and what we answered, never from the mutation's label.
fn explanation(case: &Case, ours: &Outcome, flask: &Outcome) -> Option<&'static str> {
    let payload = payload_of(&case.token);
    let ours_msg = ours.answer.as_deref();
    // Time claims: strings and booleans pass Python's int().
    if let Some(payload) = &payload {
        for (claim, message) in TIME_CLAIMS {
            if payload
                .get(claim)
                .is_some_and(|v| v.is_string() || v.is_boolean())
                && ours_msg == Some(message)
            {
                return Some("Time claims are JSON numbers");
            }
        }
        let typed = |kind: &str| payload.get("type") == Some(&json!(kind));
        if payload.contains_key("type")
            && !typed("access")
            && !typed("refresh")
            && ours_msg == Some(INVALID_TYPE)
        {
            return Some("Explicit token types");
        }
    }
    // Python reads JSON that is not standard: a BOM, NaN, lone surrogates.
    let decoded: Vec<Vec<u8>> = case
        .token
        .split('.')
        .take(2)
        .filter_map(lenient_segment)
        .collect();
    let python_only = decoded.iter().any(|bytes| {
        let text = String::from_utf8_lossy(bytes);
        bytes.starts_with(b"\xEF\xBB\xBF")
            || ["NaN", "Infinity"].iter().any(|word| text.contains(word))
            || text.contains("\\ud8")
            || text.contains("\\udc")
    }) || ours_msg
        .is_some_and(|message| message.contains(" string: number out of range"));
    if python_only && ours.status == 422 && ours.json {
        return Some("No Python-only leniency");
    }
    // Both failed to parse the same segment; the parsers word it their own way.
    let parse_error = |outcome: &Outcome| {
        let message = outcome.answer.as_deref()?;
        ["Invalid header string: ", "Invalid payload string: "]
            .into_iter()
            .find(|prefix| {
                message.starts_with(prefix) && !message.ends_with("must be a json object")
            })
    };
    if ours.status == 422
        && flask.status == 422
        && parse_error(ours).is_some()
        && parse_error(ours) == parse_error(flask)
    {
        return Some("Parser wording");
    }
    if (flask.status >= 500 || !flask.json) && (400..500).contains(&ours.status) && ours.json {
        return Some("JSON errors where Flask crashes");
    }
    None
}

/// Every claim value the generator tries, around `now`.
fn claim_values(now: u64) -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(now - 10),
        json!(now + 10),
        json!(now + 100_000),
        json!((now + 10) as f64 + 0.5),
        json!((now - 10) as f64 + 0.5),
        json!((now + 10) as f64),
        json!(1e20),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!((now + 10).to_string()),
        json!((now - 10).to_string()),
        json!(""),
        json!("x"),
        json!("test"),
        json!("access"),
        json!("refresh"),
        json!("1.5"),
        json!([]),
        json!([now + 10]),
        json!({}),
        json!({"sub": "test"}),
    ]
}

const CLAIMS: [&str; 11] = [
    "exp", "iat", "nbf", "sub", "type", "fresh", "jti", "csrf", "aud", "iss", "x",
];

/// Header fields and the values tried for them (`None`: removed).
fn header_edits() -> Vec<(&'static str, Option<Value>)> {
    let mut edits = Vec::new();
    for alg in [
        json!("none"),
        json!("HS384"),
        json!("HS512"),
        json!("RS256"),
        json!("ES256"),
        json!("EdDSA"),
        json!("hs256"),
        json!("HS256 "),
        json!(""),
        Value::Null,
        json!(1),
        json!(["HS256"]),
    ] {
        edits.push(("alg", Some(alg)));
    }
    edits.push(("alg", None));
    for typ in [
        json!("jwt"),
        json!("JWS"),
        json!("at+jwt"),
        json!(""),
        json!(1),
        Value::Null,
    ] {
        edits.push(("typ", Some(typ)));
    }
    edits.push(("typ", None));
    edits.extend([
        ("kid", Some(json!("k1"))),
        ("kid", Some(json!(""))),
        ("kid", Some(json!(1))),
        ("kid", Some(Value::Null)),
        ("crit", Some(json!(["exp"]))),
        ("crit", Some(json!([]))),
        ("crit", Some(json!("exp"))),
        ("jku", Some(json!("https://attacker.example/jwks.json"))),
        ("x5u", Some(json!("https://attacker.example/cert.pem"))),
        (
            "jwk",
            Some(json!({"kty": "oct", "k": b64(b"attacker-chosen-secret")})),
        ),
        ("b64", Some(json!(false))),
        ("cty", Some(json!("JWT"))),
        ("zip", Some(json!("DEF"))),
    ]);
    edits
}

fn sign_raw(header: &[u8], payload: &[u8], algorithm: Algorithm) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        algorithm,
    )
    .unwrap();
    format!("{input}.{signature}")
}

/// The parts of a valid token, decoded.
struct Parts {
    header: Map<String, Value>,
    header_bytes: Vec<u8>,
    payload: Map<String, Value>,
    payload_bytes: Vec<u8>,
    segments: Vec<String>,
}

impl Parts {
    fn of(token: &str) -> Self {
        let segments: Vec<String> = token.split('.').map(str::to_owned).collect();
        let header_bytes = lenient_segment(&segments[0]).unwrap();
        let payload_bytes = lenient_segment(&segments[1]).unwrap();
        Self {
            header: serde_json::from_slice(&header_bytes).unwrap(),
            payload: serde_json::from_slice(&payload_bytes).unwrap(),
            header_bytes,
            payload_bytes,
            segments,
        }
    }

    /// Payload JSON text `payload`, signed with our header unchanged.
    fn with_payload_text(&self, payload: &[u8]) -> String {
        sign_raw(&self.header_bytes, payload, Algorithm::HS256)
    }

    fn with_header_text(&self, header: &[u8], algorithm: Algorithm) -> String {
        sign_raw(header, &self.payload_bytes, algorithm)
    }
}

/// Mutations of a valid token that every base token goes through.
fn fixed_mutations(parts: &Parts, other_signature: &str, now: u64) -> Vec<(String, String)> {
    let [h, p, s] = [&parts.segments[0], &parts.segments[1], &parts.segments[2]];
    let token = format!("{h}.{p}.{s}");
    let mut out: Vec<(String, String)> = vec![
        ("unchanged".into(), token.clone()),
        ("two segments".into(), format!("{h}.{p}")),
        ("empty signature".into(), format!("{h}.{p}.")),
        ("empty payload".into(), format!("{h}..{s}")),
        ("empty header".into(), format!(".{p}.{s}")),
        ("trailing dot".into(), format!("{token}.")),
        ("four segments".into(), format!("{token}.{s}")),
        ("header and payload swapped".into(), format!("{p}.{h}.{s}")),
        ("header twice".into(), format!("{h}.{h}.{s}")),
        ("empty token".into(), String::new()),
        ("dots only".into(), "..".into()),
        ("padding after the token".into(), format!("{token}=")),
        (
            "padding on every segment".into(),
            [h, p, s]
                .iter()
                .map(|seg| format!("{seg}{}", "=".repeat((4 - seg.len() % 4) % 4)))
                .collect::<Vec<_>>()
                .join("."),
        ),
        (
            "standard base64 alphabet".into(),
            token.replace('-', "+").replace('_', "/"),
        ),
        ("upper case".into(), token.to_uppercase()),
        (
            "another token's signature".into(),
            format!("{h}.{p}.{other_signature}"),
        ),
        (
            "signature cut by one".into(),
            format!("{h}.{p}.{}", &s[..s.len() - 1]),
        ),
        ("signature grown by one".into(), format!("{h}.{p}.{s}A")),
        ("space inside".into(), format!("{h}. {p}.{s}")),
        ("percent-encoded dot".into(), format!("{h}%2E{p}.{s}")),
        ("wrong secret".into(), {
            let header = Value::Object(parts.header.clone());
            forge(
                &header,
                &Value::Object(parts.payload.clone()),
                "another-secret",
                Algorithm::HS256,
            )
        }),
    ];
    // The last signature character carries spare bits: Python ignores them.
    let last = s.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let sibling = alphabet.as_bytes()[index ^ 1] as char;
    out.push((
        "signature's spare bits set".into(),
        format!("{h}.{p}.{}{sibling}", &s[..s.len() - 1]),
    ));
    // JSON text that means the same or nearly the same.
    let payload_json = Value::Object(parts.payload.clone());
    let text = payload_json.to_string();
    let body = &text[1..text.len() - 1];
    for (label, payload) in [
        (
            "payload pretty-printed",
            serde_json::to_string_pretty(&payload_json).unwrap(),
        ),
        ("payload in spaces", format!(" \n{text}\t ")),
        ("payload with a BOM", format!("\u{feff}{text}")),
        (
            "duplicate sub first",
            format!("{{\"sub\":\"other\",{body}}}"),
        ),
        (
            "duplicate sub last",
            format!("{{{body},\"sub\":\"other\"}}"),
        ),
        (
            "duplicate type last",
            format!("{{{body},\"type\":\"refresh\"}}"),
        ),
        ("duplicate exp last", format!("{{{body},\"exp\":1}}")),
        ("escaped key", text.replacen("\"sub\"", "\"\\u0073ub\"", 1)),
        ("trailing garbage", format!("{text}x")),
        ("two objects", format!("{text}{text}")),
        (
            "exp NaN",
            format!("{{{body},\"exp\":NaN}}").replacen("\"exp\":", "\"old\":", 1),
        ),
        (
            "exp Infinity",
            format!("{{{body},\"exp\":Infinity}}").replacen("\"exp\":", "\"old\":", 1),
        ),
        (
            "exp bigger than u64",
            format!("{{{body},\"exp\":100000000000000000000000}}")
                .replacen("\"exp\":", "\"old\":", 1),
        ),
        (
            "exp in exponent form",
            format!("{{{body},\"exp\":{}e0}}", now + 100).replacen("\"exp\":", "\"old\":", 1),
        ),
        (
            "exp negative zero",
            format!("{{{body},\"exp\":-0}}").replacen("\"exp\":", "\"old\":", 1),
        ),
        (
            "lone surrogate sub",
            format!("{{{body},\"sub\":\"\\ud800\"}}").replacen("\"sub\":", "\"old\":", 1),
        ),
        ("payload array", "[]".into()),
        ("payload string", "\"test\"".into()),
        ("payload number", "1".into()),
        ("payload null", "null".into()),
        ("payload empty", String::new()),
    ] {
        out.push((label.into(), parts.with_payload_text(payload.as_bytes())));
    }
    let mut latin1 = format!("{{{body},\"x\":\"").into_bytes();
    latin1.extend_from_slice(b"\xE9\"}");
    out.push(("payload not UTF-8".into(), parts.with_payload_text(&latin1)));
    let header_text = String::from_utf8(parts.header_bytes.clone()).unwrap();
    for (label, header) in [
        ("header with a BOM", format!("\u{feff}{header_text}")),
        (
            "header duplicate alg none last",
            header_text.replacen('}', ",\"alg\":\"none\"}", 1),
        ),
        (
            "header duplicate alg none first",
            header_text.replacen('{', "{\"alg\":\"none\",", 1),
        ),
        ("header array", "[]".into()),
        ("header empty object", "{}".into()),
        ("header null", "null".into()),
    ] {
        out.push((
            label.into(),
            parts.with_header_text(header.as_bytes(), Algorithm::HS256),
        ));
    }
    // alg "none" with no signature at all.
    let mut unsigned = parts.header.clone();
    unsigned.insert("alg".into(), json!("none"));
    out.push((
        "alg none unsigned".into(),
        format!(
            "{}.{p}.",
            b64(Value::Object(unsigned).to_string().as_bytes())
        ),
    ));
    out
}

/// A random edit of a valid token.
fn random_mutation(rng: &mut Rng, parts: &Parts, now: u64) -> (String, String) {
    let token = parts.segments.join(".");
    const CHARS: &[char] = &[
        'A', 'Z', 'a', 'z', '0', '9', '-', '_', '.', '=', '+', '/', ' ', '%', '~', '"', 'é',
    ];
    match rng.below(7) {
        0 => {
            let at = rng.below(token.len());
            let with = *rng.pick(CHARS);
            let mut edited = token.clone();
            edited.replace_range(at..=at, &with.to_string());
            (format!("char {at} replaced by {with:?}"), edited)
        }
        1 => {
            let at = rng.below(token.len() + 1);
            let with = *rng.pick(CHARS);
            let mut edited = token.clone();
            edited.insert(at, with);
            (format!("{with:?} inserted at {at}"), edited)
        }
        2 => {
            let at = rng.below(token.len());
            let mut edited = token.clone();
            edited.remove(at);
            (format!("char {at} removed"), edited)
        }
        3 => {
            let at = rng.below(token.len());
            (format!("cut at {at}"), token[..at].to_owned())
        }
        kind => {
            // A claim, a header field, or one of each.
            let (mut header, mut payload) = (parts.header.clone(), parts.payload.clone());
            let mut labels = Vec::new();
            if kind != 5 {
                labels.push(edit_claim(rng, &mut payload, now));
            }
            if kind != 4 {
                labels.push(edit_header(rng, &mut header));
            }
            let algorithm = match header.get("alg").and_then(Value::as_str) {
                Some("HS384") => Algorithm::HS384,
                Some("HS512") => Algorithm::HS512,
                _ => Algorithm::HS256,
            };
            let header = Value::Object(header).to_string();
            let payload = Value::Object(payload).to_string();
            (
                labels.join(", "),
                sign_raw(header.as_bytes(), payload.as_bytes(), algorithm),
            )
        }
    }
}

fn edit_claim(rng: &mut Rng, payload: &mut Map<String, Value>, now: u64) -> String {
    let claim = *rng.pick(&CLAIMS);
    if rng.below(8) == 0 {
        payload.remove(claim);
        return format!("claim {claim} removed");
    }
    let value = rng.pick(&claim_values(now)).clone();
    let label = format!("claim {claim} = {value}");
    payload.insert(claim.into(), value);
    label
}

fn edit_header(rng: &mut Rng, header: &mut Map<String, Value>) -> String {
    let edits = header_edits();
    let (field, value) = rng.pick(&edits);
    match value {
        Some(value) => header.insert((*field).into(), value.clone()),
        None => header.remove(*field),
    };
    format!("header {field} = {value:?}")
}

/// A random `Authorization` line around `token`.
fn random_header_line(rng: &mut Rng, token: &str) -> String {
    let prefix = rng.pick(&["", "", " ", ", ", "Basic Zm9v, ", "Bearer x, ", ","]);
    let scheme = rng.pick(&[
        "Bearer", "Bearer", "bearer", "BEARER", "Token", "", "Bearer:",
    ]);
    let separator = rng.pick(&[" ", " ", "  ", "\t", "", ",", " \t"]);
    let suffix = rng.pick(&["", "", " ", ",", ", Basic Zm9v", " x", "\t", ",Bearer y"]);
    format!("{prefix}{scheme}{separator}{token}{suffix}")
}

/// `Authorization` header lines around a valid token: schemes, case,
/// whitespace, separators, several credentials, repeated lines.
fn header_variants(token: &str) -> Vec<(String, Vec<(String, String)>)> {
    let auth = |value: String| vec![("Authorization".to_owned(), value)];
    let mut out: Vec<(String, Vec<(String, String)>)> = [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer  {token}"),
        format!("Bearer\t{token}"),
        format!("Bearer {token} "),
        format!("Bearer {token}\t"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        token.to_owned(),
        format!("Token {token}"),
        format!("JWT {token}"),
        format!("Bearer {token},Basic Zm9vOmJhcg=="),
        format!("Basic Zm9vOmJhcg==, Bearer {token}"),
        format!("Basic Zm9vOmJhcg==,Bearer {token}"),
        format!("Bearer {token}, Bearer {token}"),
        format!("Bearer junk, Bearer {token}"),
        format!("Bearer {token}, Bearer junk"),
        format!("Bearer {token} {token}"),
        format!("Bearer,{token}"),
        format!(", Bearer {token}"),
        format!(",Bearer {token}"),
        format!("Bearer {token},"),
        format!("Bearer={token}"),
        format!("Bearer: {token}"),
        format!("Bearer\u{a0}{token}"),
        format!("Bearer {token}\u{a0}"),
        format!("Bearer \"{token}\""),
    ]
    .into_iter()
    .map(|value| (format!("Authorization: {value:?}"), auth(value)))
    .collect();
    let line = |value: &str| ("Authorization".to_owned(), value.to_owned());
    out.push((
        "two Authorization lines, valid first".into(),
        vec![line(&format!("Bearer {token}")), line("Bearer junk")],
    ));
    out.push((
        "two Authorization lines, valid last".into(),
        vec![line("Bearer junk"), line(&format!("Bearer {token}"))],
    ));
    out.push((
        "two valid Authorization lines".into(),
        vec![
            line(&format!("Bearer {token}")),
            line(&format!("Bearer {token}")),
        ],
    ));
    out.push((
        "upper-case header name".into(),
        vec![("AUTHORIZATION".into(), format!("Bearer {token}"))],
    ));
    out.push(("no Authorization header".into(), Vec::new()));
    out
}

/// Logs in to the server at `addr` and returns its access and refresh tokens.
fn login(addr: &str) -> (String, String) {
    let response = http(
        addr,
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        br#"{"username": "test", "password": "test"}"#,
    );
    assert_eq!(response.status, 200, "{addr} /login");
    let body = response.json();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

fn cases(seed: u64, random: usize, bases: &[(&str, &str, String)]) -> Vec<Case> {
    let now = common::now();
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let route = |rng: &mut Rng, kind: &str| -> &'static str {
        // Mostly the token's own route, sometimes the other kind's.
        match (kind, rng.below(5) == 0) {
            ("access", false) | ("refresh", true) => "/protected",
            _ => "/refresh",
        }
    };
    let bearer = |token: &str| vec![("Authorization".to_owned(), format!("Bearer {token}"))];
    for (index, (origin, kind, token)) in bases.iter().enumerate() {
        let parts = Parts::of(token);
        let other = &bases[(index + 1) % bases.len()].2;
        let other_signature = other.rsplit('.').next().unwrap();
        for (label, mutated) in fixed_mutations(&parts, other_signature, now) {
            for path in ["/protected", "/refresh"] {
                out.push(Case {
                    label: format!("{origin} {kind}: {label}"),
                    path,
                    headers: bearer(&mutated),
                    token: mutated.clone(),
                });
            }
        }
        for (label, headers) in header_variants(token) {
            out.push(Case {
                label: format!("{origin} {kind}: {label}"),
                path: route(&mut rng, kind),
                token: token.clone(),
                headers,
            });
        }
    }
    for _ in 0..random / 10 {
        let (origin, kind, token) = rng.pick(bases);
        let line = random_header_line(&mut rng, token);
        out.push(Case {
            label: format!("{origin} {kind}: Authorization: {line:?}"),
            path: route(&mut rng, kind),
            headers: vec![("Authorization".into(), line)],
            token: token.clone(),
        });
    }
    for _ in 0..random {
        let (origin, kind, token) = rng.pick(bases);
        let parts = Parts::of(token);
        let (label, mutated) = random_mutation(&mut rng, &parts, now);
        out.push(Case {
            label: format!("{origin} {kind}: {label}"),
            path: route(&mut rng, kind),
            headers: bearer(&mutated),
            token: mutated,
        });
    }
    out
}

#[test]
fn mutated_tokens_and_headers_get_the_answers_flask_gives() {
    let Some(flask) = common::flask_reference() else {
        return;
    };
    let ours = common::start_example(common::manager());
    let deviations = readme_deviations();
    for name in [
        "Time claims are JSON numbers",
        "Explicit token types",
        "No Python-only leniency",
        "JSON errors where Flask crashes",
        "Parser wording",
    ] {
        assert!(
            deviations.iter().any(|listed| listed == name),
            "the README lists no deliberate difference named {name:?}: {deviations:?}"
        );
    }
    let seed = std::env::var("DIFFERENTIAL_SEED").map_or(0x5EED_0012, |s| s.parse().unwrap());
    let random = std::env::var("DIFFERENTIAL_CASES").map_or(2500, |n| n.parse().unwrap());

    let (flask_access, flask_refresh) = login(&flask);
    let (our_access, our_refresh) = login(&ours);
    let bases = [
        ("Flask", "access", flask_access),
        ("Flask", "refresh", flask_refresh),
        ("ours", "access", our_access),
        ("ours", "refresh", our_refresh),
    ];
    let cases = cases(seed, random, &bases);
    let mut disagreements = Vec::new();
    let mut explained: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut both_accepted = 0;
    let mut messages = std::collections::BTreeSet::new();
    // Four connections at a time to each server.
    let answers: Vec<(Outcome, Outcome)> = std::thread::scope(|scope| {
        let chunks: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                let (ours, flask) = (&ours, &flask);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|case| (send(ours, case), send(flask, case)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks
            .into_iter()
            .flat_map(|chunk| chunk.join().unwrap())
            .collect()
    });
    for (case, (from_us, from_flask)) in cases.iter().zip(answers) {
        assert!(
            from_us.status < 500 && (from_us.status == 200 || from_us.json),
            "{}: we answered {from_us:?}",
            case.label
        );
        if from_us.status == 200 && from_flask.status == 200 {
            both_accepted += 1;
        }
        if from_us.status >= 400 {
            messages.extend(from_us.answer.clone());
        }
        if from_us == from_flask {
            continue;
        }
        match explanation(case, &from_us, &from_flask) {
            Some(name) => *explained.entry(name).or_default() += 1,
            None => disagreements.push(format!(
                "{} {}\n  token: {}\n  ours:  {from_us:?}\n  flask: {from_flask:?}",
                case.label, case.path, case.token
            )),
        }
    }
    assert!(
        disagreements.is_empty(),
        "seed {seed}: {} of {} cases disagree with Flask and no deliberate difference explains them:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
    // The cases reach past the first check: some pass both, many messages.
    assert!(cases.len() >= 2500, "{}", cases.len());
    assert!(
        both_accepted >= 100,
        "only {both_accepted} accepted by both"
    );
    assert!(messages.len() >= 12, "only these messages: {messages:?}");
    eprintln!(
        "differential: {} cases, {both_accepted} accepted by both, deliberate differences: {explained:?}",
        cases.len()
    );
}
