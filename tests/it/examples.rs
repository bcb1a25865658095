//! The examples, each compiled once into the test binary; their `main`
//! functions are not used here.
#![allow(dead_code)]

#[path = "../../examples/asymmetric.rs"]
pub mod asymmetric;
#[path = "../../examples/blocklist.rs"]
pub mod blocklist;
#[path = "../../examples/browser_app.rs"]
pub mod browser_app;
#[path = "../../examples/claims_and_loaders.rs"]
pub mod claims_and_loaders;
#[path = "../../examples/jwt_locations.rs"]
pub mod jwt_locations;
#[path = "../../examples/key_rotation.rs"]
pub mod key_rotation;
#[cfg(feature = "oidc")]
#[path = "../../examples/oidc_resource_server.rs"]
pub mod oidc_resource_server;
#[cfg(feature = "utoipa")]
#[path = "../../examples/openapi.rs"]
pub mod openapi;
#[path = "../../examples/refresh_tokens.rs"]
pub mod refresh_tokens;
#[path = "../../examples/token_freshness.rs"]
pub mod token_freshness;
#[path = "../../examples/websocket.rs"]
pub mod websocket;
