//! WebSocket handshakes (RFC 6455): the token in `Sec-WebSocket-Protocol`,
//! the entry after a marker protocol, and the marker selected back on the
//! 101 response, never the token.

use actix_web::{
    HttpRequest,
    http::{
        Method,
        header::{self, HeaderMap, HeaderValue},
    },
};

use crate::{JwtError, config};

/// A WebSocket handshake (RFC 6455 section 4.1): a `GET` whose `Upgrade`
/// header lists `websocket`, in any case.
fn is_websocket_upgrade(req: &HttpRequest) -> bool {
    req.method() == Method::GET
        && req
            .headers()
            .get_all(header::UPGRADE)
            .flat_map(|line| list(line.as_bytes()))
            .any(|protocol| protocol.eq_ignore_ascii_case(b"websocket"))
}

/// The elements of one line of a comma-separated header (RFC 9110 section
/// 5.6.1): trimmed of spaces and tabs, empty ones skipped.
fn list(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| *b == b',')
        .map(|element| element.trim_ascii_start().trim_ascii_end())
        .filter(|element| !element.is_empty())
}

/// What a WebSocket handshake without a token is told.
const NOT_A_HANDSHAKE: &str =
    "Missing WebSocket upgrade: 'Sec-WebSocket-Protocol' is read on a WebSocket handshake only";

/// The token in the `Sec-WebSocket-Protocol` header of a WebSocket
/// handshake: the entry right after `marker`, over every header line.
/// `marker` must appear once and be followed by a token (RFC 9110 section
/// 5.6.2, which every JWT is); it is compared exactly, as subprotocol names
/// are case-sensitive.
///
/// Only on a handshake: browsers send the header on nothing else, and only
/// a 101 response can select the marker back.
pub(crate) fn from_websocket<'r>(req: &'r HttpRequest, marker: &str) -> Result<&'r [u8], JwtError> {
    if !is_websocket_upgrade(req) {
        return Err(JwtError::MissingToken(NOT_A_HANDSHAKE.into()));
    }
    let lines = req.headers().get_all(header::SEC_WEBSOCKET_PROTOCOL);
    protocol_token(lines.map(HeaderValue::as_bytes), marker)
}

/// [`from_websocket`] over the header `lines`.
fn protocol_token<'v>(
    lines: impl Iterator<Item = &'v [u8]>,
    marker: &str,
) -> Result<&'v [u8], JwtError> {
    enum Seen<'v> {
        Nothing,
        Protocols,
        Marker,
        Token(&'v [u8]),
    }
    let mut seen = Seen::Nothing;
    for entry in lines.flat_map(list) {
        seen = if entry == marker.as_bytes() {
            match seen {
                Seen::Nothing | Seen::Protocols => Seen::Marker,
                // Twice: which entry is the token is anybody's guess.
                Seen::Marker | Seen::Token(_) => return Err(bad_protocol(marker)),
            }
        } else {
            match seen {
                Seen::Nothing => Seen::Protocols,
                Seen::Marker => Seen::Token(entry),
                other => other,
            }
        };
    }
    match seen {
        Seen::Nothing => Err(JwtError::MissingToken(
            "Missing Sec-WebSocket-Protocol Header".into(),
        )),
        Seen::Protocols => Err(JwtError::MissingToken(format!(
            "Missing '{marker}' protocol in 'Sec-WebSocket-Protocol' header. Expected 'Sec-WebSocket-Protocol: {marker}, <JWT>'"
        ))),
        Seen::Token(token) if config::is_token(token) => Ok(token),
        Seen::Marker | Seen::Token(_) => Err(bad_protocol(marker)),
    }
}

fn bad_protocol(marker: &str) -> JwtError {
    JwtError::BadAuthorizationHeader(format!(
        "Bad Sec-WebSocket-Protocol header. Expected 'Sec-WebSocket-Protocol: {marker}, <JWT>'"
    ))
}

/// The headers of the 101 response to a WebSocket handshake whose token was
/// read from its `Sec-WebSocket-Protocol`: selects the marker protocol when
/// the handler selected none (a browser that offered protocols fails the
/// connection when the server selects none), and replaces a selection that
/// holds the token (a handler that echoed what was offered): token material
/// is never sent back.
pub(crate) fn select_marker(req: &HttpRequest, marker: &HeaderValue, headers: &mut HeaderMap) {
    let selected = headers.get_all(header::SEC_WEBSOCKET_PROTOCOL);
    let leaks = match from_websocket(req, marker.to_str().unwrap_or_default()) {
        Ok(token) => selected
            .into_iter()
            .any(|value| contains(value.as_bytes(), token)),
        Err(_) => false,
    };
    if leaks {
        log::warn!(
            "the WebSocket handshake response selected a protocol holding the token from Sec-WebSocket-Protocol; selecting {:?} instead: never send the token back",
            marker
        );
    } else if headers.contains_key(header::SEC_WEBSOCKET_PROTOCOL) {
        return;
    }
    headers.insert(header::SEC_WEBSOCKET_PROTOCOL, marker.clone());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn websocket(lines: &[&str]) -> Result<String, JwtError> {
        let lines = lines.iter().map(|line| line.as_bytes());
        protocol_token(lines, "bearer").map(|token| String::from_utf8(token.to_vec()).unwrap())
    }

    #[test]
    fn the_websocket_token_is_the_entry_after_the_marker() {
        assert_eq!(websocket(&["bearer, a.b.c"]), Ok("a.b.c".into()));
        // awc and some browsers send no space; tabs are OWS too.
        assert_eq!(websocket(&["bearer,a.b.c"]), Ok("a.b.c".into()));
        assert_eq!(websocket(&[" \tbearer \t,\t a.b.c \t"]), Ok("a.b.c".into()));
        // Other protocols around it, empty entries, several header lines.
        assert_eq!(
            websocket(&["graphql-ws, bearer, a.b.c, chat"]),
            Ok("a.b.c".into())
        );
        assert_eq!(websocket(&[",, bearer, , a.b.c,"]), Ok("a.b.c".into()));
        assert_eq!(websocket(&["chat, bearer", "a.b.c"]), Ok("a.b.c".into()));
    }

    #[test]
    fn the_websocket_header_is_parsed_strictly() {
        let missing_header = JwtError::MissingToken("Missing Sec-WebSocket-Protocol Header".into());
        let missing = JwtError::MissingToken(
            "Missing 'bearer' protocol in 'Sec-WebSocket-Protocol' header. Expected 'Sec-WebSocket-Protocol: bearer, <JWT>'".into(),
        );
        let bad = JwtError::BadAuthorizationHeader(
            "Bad Sec-WebSocket-Protocol header. Expected 'Sec-WebSocket-Protocol: bearer, <JWT>'"
                .into(),
        );
        assert_eq!(websocket(&[]), Err(missing_header.clone()));
        assert_eq!(websocket(&[" , ,"]), Err(missing_header));
        assert_eq!(websocket(&["chat, a.b.c"]), Err(missing.clone()));
        // Subprotocol names are case-sensitive, and an entry is one token.
        assert_eq!(websocket(&["Bearer, a.b.c"]), Err(missing.clone()));
        assert_eq!(websocket(&["BEARER, a.b.c"]), Err(missing.clone()));
        assert_eq!(websocket(&["bearer a.b.c"]), Err(missing));
        // The marker last, twice, or followed by what no browser can offer.
        assert_eq!(websocket(&["bearer"]), Err(bad.clone()));
        assert_eq!(websocket(&["chat, bearer,"]), Err(bad.clone()));
        assert_eq!(websocket(&["bearer, bearer"]), Err(bad.clone()));
        assert_eq!(websocket(&["bearer, a.b.c, bearer"]), Err(bad.clone()));
        assert_eq!(
            websocket(&["bearer, a.b.c", "bearer, d.e.f"]),
            Err(bad.clone())
        );
        assert_eq!(websocket(&["bearer, a b"]), Err(bad.clone()));
        assert_eq!(websocket(&["bearer, \"a.b.c\""]), Err(bad.clone()));
        assert_eq!(websocket(&["bearer, a;b"]), Err(bad));
    }

    #[test]
    fn the_websocket_token_is_read_on_a_handshake_only() {
        use actix_web::test::TestRequest;
        let read = |req: TestRequest| {
            let req = req
                .insert_header((header::SEC_WEBSOCKET_PROTOCOL, "bearer, a.b.c"))
                .to_http_request();
            from_websocket(&req, "bearer").map(<[u8]>::to_vec)
        };
        let not_a_handshake = Err(JwtError::MissingToken(NOT_A_HANDSHAKE.into()));
        assert_eq!(read(TestRequest::get()), not_a_handshake);
        let upgrade = |req: TestRequest, value: &str| req.insert_header((header::UPGRADE, value));
        assert_eq!(
            read(upgrade(TestRequest::get(), "websocket")),
            Ok(b"a.b.c".to_vec())
        );
        assert_eq!(
            read(upgrade(TestRequest::get(), "h2c, WebSocket")),
            Ok(b"a.b.c".to_vec())
        );
        assert_eq!(
            read(upgrade(TestRequest::get(), "websockets")),
            not_a_handshake
        );
        assert_eq!(
            read(upgrade(TestRequest::post(), "websocket")),
            not_a_handshake
        );
        let options = TestRequest::default().method(Method::OPTIONS);
        assert_eq!(read(upgrade(options, "websocket")), not_a_handshake);
    }

    #[test]
    fn the_marker_is_selected_and_the_token_never_is() {
        use actix_web::test::TestRequest;
        let req = TestRequest::get()
            .insert_header((header::UPGRADE, "websocket"))
            .insert_header((header::SEC_WEBSOCKET_PROTOCOL, "chat, bearer, a.b.c"))
            .to_http_request();
        let selected = |handler: Option<&'static str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = handler {
                headers.insert(
                    header::SEC_WEBSOCKET_PROTOCOL,
                    HeaderValue::from_static(value),
                );
            }
            select_marker(&req, &HeaderValue::from_static("bearer"), &mut headers);
            let values = headers.get_all(header::SEC_WEBSOCKET_PROTOCOL);
            values
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(selected(None), ["bearer"]);
        assert_eq!(selected(Some("chat")), ["chat"]);
        assert_eq!(selected(Some("a.b.c")), ["bearer"]);
        assert_eq!(selected(Some("chat, bearer, a.b.c")), ["bearer"]);
    }
}
