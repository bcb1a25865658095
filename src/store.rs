//! Revocation and refresh-token rotation state: the [`TokenStore`] trait, the
//! in-memory [`MemoryStore`] for one process and, with the `redis` feature,
//! `RedisStore` for many instances.
//!
//! With a store configured ([`JwtManagerBuilder::token_store`](crate::manager::JwtManagerBuilder::token_store)),
//! every guard and extractor asks it whether a verified token was revoked,
//! after the signature and claim checks and before the handler; a revoked
//! token gets 401 `Token has been revoked`. When the store cannot answer, the
//! request is denied with 503 (fail closed), never let through.
//!
//! ```
//! use actix_jwt_extended::{JwtManager, store::MemoryStore};
//!
//! let jwt = JwtManager::builder().secret(b"change-me").token_store(MemoryStore::new()).build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{collections::HashMap, fmt, future::Future, sync::Arc, sync::Mutex};

use derive_more::{Display, Error};
use futures_util::future::LocalBoxFuture;

/// A store could not answer: the cause is logged, the client gets 503.
#[derive(Debug, Display, Error, Clone, PartialEq, Eq)]
#[display("token store unavailable: {message}")]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A failure described by `message` (logged, never sent to clients).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// What a store needs to know about a verified token to tell whether it was
/// revoked.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct TokenFacts<'a> {
    /// The `jti` claim.
    pub jti: Option<&'a str>,
    /// The identity (`sub`).
    pub identity: &'a str,
    /// The `iat` claim, in seconds since the epoch.
    pub issued_at: Option<i64>,
    /// The rotation family (`fam` claim) of tokens minted by
    /// [`JwtManager::create_token_pair`](crate::JwtManager::create_token_pair).
    pub family: Option<&'a str>,
}

impl<'a> TokenFacts<'a> {
    /// Facts about a token, for calling a store directly (tests, tools).
    pub fn new(
        jti: &'a str,
        identity: &'a str,
        issued_at: Option<i64>,
        family: Option<&'a str>,
    ) -> Self {
        Self {
            jti: Some(jti),
            identity,
            issued_at,
            family,
        }
    }
}

/// The outcome of presenting a refresh token for rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// The presented token was the family's current one; `next` replaced it.
    Rotated,
    /// The presented token was already retired: someone replayed it. The
    /// store has revoked the whole family.
    Reused,
    /// The family was revoked earlier.
    Revoked,
}

/// Revocation state shared by the guards (Flask's `token_in_blocklist_loader`,
/// built in). All methods are async and take expiry times in seconds since
/// the epoch; `None` means the token never expires. Implement it over your own
/// database, or use [`MemoryStore`] or `RedisStore` (feature `redis`).
///
/// Only [`is_revoked`](Self::is_revoked) is required: a store that cannot
/// revoke or rotate answers those calls with a [`StoreError`].
pub trait TokenStore: Send + Sync + 'static {
    /// Whether the token, its identity (revoked "everywhere") or its rotation
    /// family has been revoked.
    fn is_revoked(&self, token: TokenFacts<'_>) -> impl Future<Output = Result<bool, StoreError>>;

    /// Revokes one token (by `jti`) until it would have expired anyway.
    fn revoke(
        &self,
        jti: &str,
        expires_at: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        let _ = (jti, expires_at);
        async { Err(StoreError::new("this store cannot revoke tokens")) }
    }

    /// Revokes every token of `identity` issued at or before `issued_before`
    /// ("log out everywhere"), remembered until `keep_until`.
    fn revoke_identity(
        &self,
        identity: &str,
        issued_before: i64,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        let _ = (identity, issued_before, keep_until);
        async { Err(StoreError::new("this store cannot revoke identities")) }
    }

    /// Atomically replaces the family's current refresh token `presented` with
    /// `next`, or, when `presented` is not current, revokes the family. The
    /// family's first token is the one whose `jti` is the family id.
    fn rotate(
        &self,
        family: &str,
        presented: &str,
        next: &str,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<Rotation, StoreError>> {
        let _ = (family, presented, next, keep_until);
        async { Err(StoreError::new("this store cannot rotate refresh tokens")) }
    }
}

/// A shared store: several managers (or the app itself) can hold one `Arc`.
impl<T: TokenStore> TokenStore for std::sync::Arc<T> {
    fn is_revoked(&self, token: TokenFacts<'_>) -> impl Future<Output = Result<bool, StoreError>> {
        T::is_revoked(self, token)
    }

    fn revoke(
        &self,
        jti: &str,
        expires_at: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        T::revoke(self, jti, expires_at)
    }

    fn revoke_identity(
        &self,
        identity: &str,
        issued_before: i64,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        T::revoke_identity(self, identity, issued_before, keep_until)
    }

    fn rotate(
        &self,
        family: &str,
        presented: &str,
        next: &str,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<Rotation, StoreError>> {
        T::rotate(self, family, presented, next, keep_until)
    }
}

/// [`TokenStore`] with its futures boxed, so the manager can hold any one.
pub(crate) trait DynStore: Send + Sync {
    fn is_revoked<'a>(
        &'a self,
        token: TokenFacts<'a>,
    ) -> LocalBoxFuture<'a, Result<bool, StoreError>>;
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;
    fn revoke_identity<'a>(
        &'a self,
        identity: &'a str,
        before: i64,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;
    fn rotate<'a>(
        &'a self,
        family: &'a str,
        presented: &'a str,
        next: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<Rotation, StoreError>>;
}

impl<T: TokenStore> DynStore for T {
    fn is_revoked<'a>(
        &'a self,
        token: TokenFacts<'a>,
    ) -> LocalBoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(TokenStore::is_revoked(self, token))
    }
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::revoke(self, jti, until))
    }
    fn revoke_identity<'a>(
        &'a self,
        identity: &'a str,
        before: i64,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::revoke_identity(self, identity, before, until))
    }
    fn rotate<'a>(
        &'a self,
        family: &'a str,
        presented: &'a str,
        next: &'a str,
        until: Option<i64>,
    ) -> LocalBoxFuture<'a, Result<Rotation, StoreError>> {
        Box::pin(TokenStore::rotate(self, family, presented, next, until))
    }
}

/// The store a manager holds: any [`TokenStore`], shared by every worker.
#[derive(Clone)]
pub(crate) struct SharedStore(pub(crate) Arc<dyn DynStore>);

impl SharedStore {
    pub(crate) fn new(store: impl TokenStore) -> Self {
        Self(Arc::new(store))
    }
}

impl std::ops::Deref for SharedStore {
    type Target = dyn DynStore;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<token store>")
    }
}

fn now() -> i64 {
    crate::claims::now_secs()
}

/// Each entry carries the time after which it no longer matters (`None`:
/// never), so it can be dropped then.
#[derive(Default)]
struct Entries {
    /// Revoked jtis and revoked rotation families.
    revoked: HashMap<String, Option<i64>>,
    /// "Log out everywhere": identity -> (issued-at cutoff, keep until).
    cutoffs: HashMap<String, (i64, Option<i64>)>,
    /// Each rotation family's current refresh token.
    current: HashMap<String, (String, Option<i64>)>,
    /// Size after the last sweep: the next sweep comes when it has doubled.
    swept_at: usize,
}

impl Entries {
    fn len(&self) -> usize {
        self.revoked.len() + self.cutoffs.len() + self.current.len()
    }

    /// Drops what has expired, amortized: memory stays proportional to the
    /// tokens that are still valid.
    fn sweep(&mut self) {
        if self.len() < 64 || self.len() < 2 * self.swept_at {
            return;
        }
        self.drop_expired();
    }

    fn drop_expired(&mut self) {
        let now = now();
        self.revoked.retain(|_, until| alive(*until, now));
        self.cutoffs.retain(|_, (_, until)| alive(*until, now));
        self.current.retain(|_, (_, until)| alive(*until, now));
        self.swept_at = self.len();
    }

    /// Room for one more entry: expired entries go first; a live one is
    /// never evicted, so a full store refuses (and the caller fails closed).
    fn make_room(&mut self, capacity: usize) -> Result<(), StoreError> {
        if self.len() >= capacity {
            self.drop_expired();
        }
        if self.len() >= capacity {
            return Err(StoreError::new(format!(
                "the MemoryStore is full: {capacity} revocations are still live; \
                 raise MemoryStore::with_capacity or use RedisStore"
            )));
        }
        Ok(())
    }
}

/// How many entries a [`MemoryStore`] holds unless told otherwise.
const DEFAULT_CAPACITY: usize = 1_000_000;

/// The in-memory store, the default for a single process: concurrent, with
/// entries dropped once their token would have expired anyway. Revocations do
/// not survive a restart and are not shared between processes: use
/// `RedisStore` (feature `redis`) for several instances.
///
/// Memory is bounded: at most [`with_capacity`](Self::with_capacity) entries
/// (1 000 000 by default). A live revocation is never evicted to make room:
/// when the store is full of live entries a new revocation fails, and the
/// request that asked for it gets 503 (fail closed).
pub struct MemoryStore {
    entries: Mutex<Entries>,
    capacity: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl MemoryStore {
    /// An empty store of the default capacity (1 000 000 entries).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that holds at most `capacity` entries (revoked tokens,
    /// revoked families, "log out everywhere" cut-offs and rotation state).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::default(),
            capacity,
        }
    }

    /// How many entries the store holds (for monitoring and tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the maps half-updated
        // (each update is one insert), so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn alive(until: Option<i64>, now: i64) -> bool {
    until.is_none_or(|until| until > now)
}

impl TokenStore for MemoryStore {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        let entries = self.lock();
        let now = now();
        let revoked = |key: String| {
            entries
                .revoked
                .get(&key)
                .is_some_and(|until| alive(*until, now))
        };
        let jti = token.jti.is_some_and(|jti| revoked(key::jti(jti)));
        let family = token
            .family
            .is_some_and(|family| revoked(key::family_revoked(family)));
        let identity = entries
            .cutoffs
            .get(token.identity)
            .is_some_and(|(cutoff, until)| {
                alive(*until, now) && token.issued_at.is_none_or(|iat| iat <= *cutoff)
            });
        Ok(jti || family || identity)
    }

    async fn revoke(&self, jti: &str, expires_at: Option<i64>) -> Result<(), StoreError> {
        let mut entries = self.lock();
        let key = key::jti(jti);
        if !entries.revoked.contains_key(&key) {
            entries.make_room(self.capacity)?;
        }
        entries.revoked.insert(key, expires_at);
        entries.sweep();
        Ok(())
    }

    async fn revoke_identity(
        &self,
        identity: &str,
        issued_before: i64,
        keep_until: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut entries = self.lock();
        if !entries.cutoffs.contains_key(identity) {
            entries.make_room(self.capacity)?;
        }
        entries
            .cutoffs
            .insert(identity.to_owned(), (issued_before, keep_until));
        entries.sweep();
        Ok(())
    }

    async fn rotate(
        &self,
        family: &str,
        presented: &str,
        next: &str,
        keep_until: Option<i64>,
    ) -> Result<Rotation, StoreError> {
        let mut entries = self.lock();
        let now = now();
        let revoked = key::family_revoked(family);
        if entries
            .revoked
            .get(&revoked)
            .is_some_and(|until| alive(*until, now))
        {
            return Ok(Rotation::Revoked);
        }
        let is_current = match entries.current.get(family) {
            Some((jti, until)) if alive(*until, now) => jti.as_str() == presented,
            _ => presented == family,
        };
        if is_current {
            if !entries.current.contains_key(family) {
                entries.make_room(self.capacity)?;
            }
            entries
                .current
                .insert(family.to_owned(), (next.to_owned(), keep_until));
            entries.sweep();
            Ok(Rotation::Rotated)
        } else {
            // The family's revocation takes the place of its current token;
            // without one it needs room, and nothing changes if there is none.
            if entries.current.remove(family).is_none()
                && let Err(full) = entries.make_room(self.capacity)
            {
                return Err(full);
            }
            entries.revoked.insert(revoked, keep_until);
            Ok(Rotation::Reused)
        }
    }
}

/// Key names, shared by the stores so a Redis dump reads like the memory maps.
mod key {
    pub(super) fn jti(jti: &str) -> String {
        format!("jti:{jti}")
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn identity_cutoff(identity: &str) -> String {
        format!("sub-cutoff:{identity}")
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn family(family: &str) -> String {
        format!("fam:{family}")
    }
    pub(super) fn family_revoked(family: &str) -> String {
        format!("fam-revoked:{family}")
    }
}

#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::{RedisStore, RedisStoreBuilder};

#[cfg(test)]
mod tests {
    use super::{MemoryStore, Rotation, TokenFacts, TokenStore, now};

    fn facts<'a>(
        jti: &'a str,
        identity: &'a str,
        iat: i64,
        family: Option<&'a str>,
    ) -> TokenFacts<'a> {
        TokenFacts {
            jti: Some(jti),
            identity,
            issued_at: Some(iat),
            family,
        }
    }

    #[actix_web::test]
    async fn revocations_by_jti_identity_and_family() {
        let store = MemoryStore::new();
        let now = now();
        assert!(!store.is_revoked(facts("a", "u", now, None)).await.unwrap());
        store.revoke("a", Some(now + 60)).await.unwrap();
        assert!(store.is_revoked(facts("a", "u", now, None)).await.unwrap());
        assert!(!store.is_revoked(facts("b", "u", now, None)).await.unwrap());

        store
            .revoke_identity("v", now, Some(now + 60))
            .await
            .unwrap();
        assert!(
            store
                .is_revoked(facts("c", "v", now - 5, None))
                .await
                .unwrap()
        );
        assert!(store.is_revoked(facts("c", "v", now, None)).await.unwrap());
        assert!(
            !store
                .is_revoked(facts("c", "v", now + 1, None))
                .await
                .unwrap()
        );

        assert_eq!(
            store.rotate("f", "f", "g", Some(now + 60)).await.unwrap(),
            Rotation::Rotated
        );
        assert_eq!(
            store.rotate("f", "g", "h", Some(now + 60)).await.unwrap(),
            Rotation::Rotated
        );
        assert_eq!(
            store.rotate("f", "g", "i", Some(now + 60)).await.unwrap(),
            Rotation::Reused
        );
        assert!(
            store
                .is_revoked(facts("h", "w", now, Some("f")))
                .await
                .unwrap()
        );
        assert_eq!(
            store.rotate("f", "h", "j", Some(now + 60)).await.unwrap(),
            Rotation::Revoked
        );
    }

    #[actix_web::test]
    async fn expired_entries_are_dropped_and_memory_stays_bounded() {
        let store = MemoryStore::new();
        let past = now() - 1;
        for i in 0..10_000 {
            store.revoke(&format!("old-{i}"), Some(past)).await.unwrap();
        }
        assert!(
            store.len() < 200,
            "{} entries kept for expired tokens",
            store.len()
        );
        store.revoke("live", Some(now() + 60)).await.unwrap();
        assert!(
            store
                .is_revoked(facts("live", "u", now(), None))
                .await
                .unwrap()
        );
        assert!(
            !store
                .is_revoked(facts("old-9999", "u", now(), None))
                .await
                .unwrap()
        );
    }
}
