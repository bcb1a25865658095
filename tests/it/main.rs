//! Every black-box test in one binary, as actix-identity does: a module per
//! area and one set of shared helpers (`common`), so the suite compiles once.

mod common;
mod examples;

#[cfg(feature = "test-util")]
mod boundaries;
mod browser;
mod cache;
mod differential;
mod flask_reference;
mod flask_twins;
mod guards;
mod hooks;
mod interop;
mod key_loaders;
mod keys;
mod locations;
mod oidc;
#[cfg(feature = "utoipa")]
mod openapi;
mod parity;
mod pipeline;
mod properties;
mod readme;
mod real_server;
mod redis_store;
mod rejection_events;
mod resource_server;
mod revocation;
mod security;
#[cfg(feature = "test-util")]
mod testing;
mod websocket;
