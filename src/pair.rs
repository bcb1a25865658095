//! Token pairs of a rotation family: [`TokenPair`] and the options both of
//! its tokens are minted with ([`PairOptions`]).

use serde::Serialize;
use serde_json::Value;

use crate::{
    JwtError,
    config::Expiry,
    keyring::Key,
    token::{Freshness, claim_value, claims_object},
};

/// An access token and a refresh token of one rotation family.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token; present it to [`JwtManager::rotate_refresh_token`](crate::JwtManager::rotate_refresh_token).
    pub refresh_token: String,
}

/// Options for the two tokens of a [`TokenPair`], at login
/// ([`JwtManager::create_token_pair_with`](crate::JwtManager::create_token_pair_with)) or rotation
/// ([`JwtManager::rotate_refresh_token_with`](crate::JwtManager::rotate_refresh_token_with)), as the single-token
/// [`TokenBuilder`](crate::token::TokenBuilder) takes them:
///
/// ```
/// use actix_jwt_extended::{JwtManager, manager::PairOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
/// // At login, after an async lookup of the user's role:
/// let role = "editor";
/// let pair = jwt.create_token_pair_with("alice", &PairOptions::new().claim("role", role).fresh(true))?;
/// let access = jwt.decode_token(&pair.access_token)?;
/// assert_eq!(access.claims()["role"], "editor");
/// assert!(access.is_fresh());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PairOptions {
    pub(crate) claims: serde_json::Map<String, Value>,
    pub(crate) fresh: Freshness,
    pub(crate) access_expires: Option<Expiry>,
    pub(crate) refresh_expires: Option<Expiry>,
    pub(crate) carry_claims: bool,
    pub(crate) key: Option<Key>,
    pub(crate) error: Option<String>,
}

impl PairOptions {
    /// The manager's defaults: no additional claims, not fresh, the
    /// configured lifetimes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a claim to both tokens, with
    /// [`TokenBuilder::claim`](crate::token::TokenBuilder::claim)'s rules
    /// (registered claims are refused at creation).
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match claim_value(value) {
            Ok(value) => {
                self.claims.insert(name.into(), value);
            }
            Err(error) => self.fail(error),
        }
        self
    }

    /// Adds every field of `claims` (a map or a struct) to both tokens.
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        match claims_object(claims) {
            Ok(claims) => self.claims.extend(claims),
            Err(error) => self.fail(error),
        }
        self
    }

    /// The access token's freshness (the refresh token is never fresh).
    /// Defaults to not fresh.
    pub fn fresh(mut self, fresh: impl Into<Freshness>) -> Self {
        self.fresh = fresh.into();
        self
    }

    /// The access token's lifetime. Defaults to the manager's.
    pub fn access_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.access_expires = Some(expires.into());
        self
    }

    /// The refresh token's lifetime. Defaults to the manager's.
    pub fn refresh_expires(mut self, expires: impl Into<Expiry>) -> Self {
        self.refresh_expires = Some(expires.into());
        self
    }

    /// At rotation, carries the presented refresh token's additional claims
    /// into the new pair; those given with [`claim`](Self::claim) or
    /// [`claims`](Self::claims) replace them. Like any per-token claim they
    /// override the additional claims loader's, so with a loader that
    /// recomputes a claim (a role that may have been withdrawn), leave them
    /// behind. Defaults to leaving them behind; ignored at login.
    pub fn carry_claims(mut self) -> Self {
        self.carry_claims = true;
        self
    }

    /// Signs both tokens with `key`, as
    /// [`TokenBuilder::signing_key`](crate::token::TokenBuilder::signing_key)
    /// does for one. Defaults to the manager's choice.
    pub fn signing_key(mut self, key: Key) -> Self {
        self.key = Some(key);
        self
    }

    fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }

    /// Why these options cannot mint tokens, if a value did not serialize.
    pub(crate) fn error(&self) -> Option<JwtError> {
        let reason = self.error.clone()?;
        Some(JwtError::Creation(reason.into()))
    }
}

/// What both tokens of a pair are minted from.
pub(crate) struct PairDraft<'a> {
    pub(crate) identity: &'a Value,
    pub(crate) family: &'a str,
    pub(crate) options: &'a PairOptions,
    pub(crate) carried: Option<&'a serde_json::Map<String, Value>>,
}
