//! Any `JWT_*` names and values in the environment's text forms: reading and
//! building never panic; a built manager mints tokens it accepts.
#![no_main]

use std::sync::OnceLock;

use actix_jwt_extended::config::FlaskConfig;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

/// Every option name `FlaskConfig` takes, read from its table.
fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let source = include_str!("../../src/flask.rs");
        let mut names: Vec<String> = source
            .split('"')
            .filter(|part| part.starts_with("JWT_") && part.len() < 40 && !part.contains(' '))
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

#[derive(Arbitrary, Debug)]
struct Var {
    /// An index into the known names, or an arbitrary name.
    name: Result<u8, String>,
    value: String,
}

fuzz_target!(|vars: Vec<Var>| {
    let vars = vars.into_iter().map(|var| {
        let name = match var.name {
            Ok(index) => names()[usize::from(index) % names().len()].clone(),
            Err(name) => name,
        };
        (name, var.value)
    });
    let Ok(config) = FlaskConfig::from_vars(vars) else {
        return;
    };
    let _ = format!("{config:?}");
    let Ok(builder) = config.into_builder() else {
        return;
    };
    let Ok(jwt) = builder.build() else {
        return;
    };
    if let Ok(token) = jwt.create_access_token("fuzz") {
        let decoded = jwt.decode_token(&token);
        // An `nbf` in the future or an audience the manager does not
        // decode can make a fresh token unusable; it must still not panic.
        if let Ok(decoded) = decoded {
            assert_eq!(decoded.identity(), "fuzz");
        }
    }
});
