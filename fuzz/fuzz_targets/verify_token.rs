//! Any text as a token: `decode_token` accepts only tokens valid under the
//! configuration and refuses everything else with a documented error.
#![no_main]

use actix_jwt_extended::config::Algorithm;
use actix_jwt_extended_fuzz::{assert_documented, manager};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    match manager().decode_token(token) {
        Ok(decoded) => {
            // Accepted: signed with a configured key by its own algorithm,
            // not expired, with a `sub`, of an explicit kind.
            let allowed = [
                Algorithm::HS256,
                Algorithm::RS256,
                Algorithm::ES256,
                Algorithm::EdDSA,
            ];
            assert!(
                allowed.contains(&decoded.algorithm()),
                "{:?}",
                decoded.algorithm()
            );
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            if let Some(exp) = decoded.expires_at() {
                assert!(exp >= now, "an expired token passed");
            }
            assert!(decoded.claims().contains_key("sub"));
            let kind = decoded.claims().get("type");
            assert!(
                kind.is_none() || kind == Some(&"access".into()) || kind == Some(&"refresh".into()),
                "type {kind:?} passed"
            );
        }
        Err(error) => assert_documented(&error),
    }
});
