//! Keys chosen per token by the application (Flask's `encode_key_loader`
//! and `decode_key_loader`): the loader trait and hooks, and why a loader
//! gave no answer.

use std::{fmt, future::Future};

use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};

use crate::{JwtError, config::Hook, keyring::Key};

/// Chooses the key that verifies each token from the token's **unverified**
/// header and claims (Flask's `decode_key_loader`): one key per tenant, keys
/// that live in a database. Register it with
/// [`decode_key_loader_async`](crate::manager::JwtManagerBuilder::decode_key_loader_async);
/// a synchronous closure goes to
/// [`decode_key_loader`](crate::manager::JwtManagerBuilder::decode_key_loader).
///
/// The header and claims are the attacker's until the signature is checked:
/// use them only to pick a key, never to decide anything else. The token's
/// `alg` is still pinned: a token whose algorithm is not a configured decode
/// algorithm is refused before the loader runs, and the key verifies only its
/// own algorithm (a secret: any HMAC one).
///
/// - `Ok(Some(key))`: the token is verified with `key`.
/// - `Ok(None)`: with the manager's own keys, as without a loader (no
///   configured key: 422 `No key is known for this token`).
/// - `Err(_)` or a panic: 500 with the cause logged, never an open door.
///
/// ```
/// use actix_jwt_extended::{config::Algorithm, keys::{DecodeKeyLoader, Key}};
/// use serde_json::{Map, Value};
/// use std::{collections::HashMap, convert::Infallible};
///
/// /// One secret per tenant; a database query in a real application.
/// struct TenantKeys(HashMap<String, Key>);
///
/// impl DecodeKeyLoader for TenantKeys {
///     type Error = Infallible;
///
///     async fn decode_key(
///         &self,
///         _header: &Map<String, Value>,
///         claims: &Map<String, Value>,
///     ) -> Result<Option<Key>, Infallible> {
///         let tenant = claims.get("tenant").and_then(Value::as_str).unwrap_or_default();
///         Ok(self.0.get(tenant).cloned())
///     }
/// }
/// ```
pub trait DecodeKeyLoader: Send + Sync + 'static {
    /// A failure to look up (a database error): logged, answered with a 500.
    type Error: fmt::Display;

    /// The key for the token with this `header` and these `claims`.
    fn decode_key(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> impl Future<Output = Result<Option<Key>, Self::Error>>;
}

/// Why a key loader gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoaderError {
    /// It failed or panicked (500).
    Failed(String),
    /// The keys could not be had: a provider that never answered (503).
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    Unavailable(String),
}

impl From<LoaderError> for JwtError {
    fn from(error: LoaderError) -> Self {
        match error {
            LoaderError::Failed(cause) => {
                Self::Hook(format!("the decode key loader failed: {cause}").into())
            }
            LoaderError::Unavailable(cause) => Self::KeysUnavailable(cause.into()),
        }
    }
}

/// [`DecodeKeyLoader`] behind a pointer.
pub(crate) trait DynDecodeKeyLoader: Send + Sync {
    fn load<'a>(
        &'a self,
        header: &'a Map<String, Value>,
        claims: &'a Map<String, Value>,
    ) -> LocalBoxFuture<'a, Result<Option<Key>, LoaderError>>;
}

impl<L: DecodeKeyLoader> DynDecodeKeyLoader for L {
    fn load<'a>(
        &'a self,
        header: &'a Map<String, Value>,
        claims: &'a Map<String, Value>,
    ) -> LocalBoxFuture<'a, Result<Option<Key>, LoaderError>> {
        Box::pin(async move {
            self.decode_key(header, claims)
                .await
                .map_err(|error| LoaderError::Failed(error.to_string()))
        })
    }
}

/// A synchronous decode key loader: from the unverified header and claims.
pub(crate) type DecodeKeyHook =
    dyn Fn(&Map<String, Value>, &Map<String, Value>) -> Result<Option<Key>, String> + Send + Sync;
/// An encode key loader: from the identity given to `create_*_token`.
pub(crate) type EncodeKeyHook = dyn Fn(&Value) -> Result<Option<Key>, String> + Send + Sync;

/// The application's decode key loader.
#[derive(Debug, Clone)]
pub(crate) enum DecodeKeys {
    /// A closure: answers at once, so every API can use it.
    Now(Hook<DecodeKeyHook>),
    /// A [`DecodeKeyLoader`]: only the asynchronous paths can wait for it.
    Later(Hook<dyn DynDecodeKeyLoader>),
}
