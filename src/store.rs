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
//! let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").token_store(MemoryStore::new()).build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{fmt, future::Future, sync::Arc, time::Duration};

use derive_more::{Display, Error};
use futures_util::future::LocalBoxFuture;

use crate::claims;

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
    /// When the token was issued, in milliseconds since the epoch: read from
    /// its `jti` (a UUIDv7 in tokens of this crate), else the last
    /// millisecond of its `iat` second, so that a token of unknown order is
    /// taken as issued as late in that second as it can have been.
    pub issued_at_ms: Option<i64>,
    /// The login session the token belongs to: its family (`fam` claim), or
    /// its own `jti` for a token minted outside one
    /// ([`DecodedToken::session`](crate::token::DecodedToken::session)).
    pub session: Option<&'a str>,
}

impl<'a> TokenFacts<'a> {
    /// Facts about a token known only by its claims, for calling a store
    /// yourself (a store that wraps another, a test of your own store);
    /// `session` defaults to the `jti`. For a verified token, use
    /// [`DecodedToken::revocation_facts`](crate::token::DecodedToken::revocation_facts).
    pub fn new(
        jti: &'a str,
        identity: &'a str,
        issued_at: Option<i64>,
        session: Option<&'a str>,
    ) -> Self {
        Self {
            jti: Some(jti),
            identity,
            issued_at,
            issued_at_ms: issued_at.map(|iat| claims::issued_at_ms(iat, Some(jti))),
            session: session.or(Some(jti)),
        }
    }
}

/// A "log out everywhere" (or "everywhere else") request for one identity.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Cutoff<'a> {
    /// Whose tokens.
    pub identity: &'a str,
    /// Tokens issued at or before this time, in milliseconds since the
    /// epoch, are revoked.
    pub issued_up_to_ms: i64,
    /// A session to spare ("log out my other devices"); `None`: every session.
    pub except_session: Option<&'a str>,
    /// Until when the cut-off must be kept, in seconds since the epoch
    /// (`None`: for good): the last moment a covered token can be accepted.
    pub keep_until: Option<i64>,
}

impl<'a> Cutoff<'a> {
    /// A cut-off, for calling a store directly (tests, tools).
    pub fn new(
        identity: &'a str,
        issued_up_to_ms: i64,
        except_session: Option<&'a str>,
        keep_until: Option<i64>,
    ) -> Self {
        Self {
            identity,
            issued_up_to_ms,
            except_session,
            keep_until,
        }
    }
}

/// The cut-offs of one identity, as a store keeps them: every token issued
/// up to `all`, and every token issued up to `except.0` outside session
/// `except.1`. [`apply`](Self::apply) merges a new [`Cutoff`] so that no
/// token revoked before is let in again; [`revokes`](Self::revokes) answers
/// for a token. A store over its own database can keep it as text
/// ([`Display`](fmt::Display) and [`parse`](Self::parse)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CutoffRecord {
    all: Option<i64>,
    except: Option<(i64, String)>,
}

impl CutoffRecord {
    /// Merges `cutoff` into the record.
    pub fn apply(&mut self, cutoff: &Cutoff<'_>) {
        let at = cutoff.issued_up_to_ms;
        match cutoff.except_session {
            None => self.all = Some(self.all.map_or(at, |all| all.max(at))),
            Some(session) => {
                match self.except.take() {
                    // The session spared before is not spared now: what the
                    // earlier cut-off covered stays covered for everyone.
                    Some((before, spared)) if spared != session => {
                        self.all = Some(self.all.map_or(before, |all| all.max(before)));
                        self.except = Some((at, session.to_owned()));
                    }
                    Some((before, spared)) => self.except = Some((before.max(at), spared)),
                    None => self.except = Some((at, session.to_owned())),
                }
            }
        }
    }

    /// Whether the record revokes `token`. A token without `iat` is revoked.
    pub fn revokes(&self, token: &TokenFacts<'_>) -> bool {
        let Some(issued) = token.issued_at_ms else {
            return self.all.is_some() || self.except.is_some();
        };
        self.all.is_some_and(|all| issued <= all)
            || self.except.as_ref().is_some_and(|(up_to, spared)| {
                issued <= *up_to && token.session != Some(spared.as_str())
            })
    }

    /// Reads a record written by [`Display`](fmt::Display): `<all> <up to>
    /// <session>`, with `-` for what is absent. A bare number is a cut-off
    /// in whole seconds, as version 0.1 wrote it.
    pub fn parse(text: &str) -> Option<Self> {
        let number = |part: &str| (part != "-").then(|| part.parse::<i64>()).transpose();
        let mut parts = text.splitn(3, ' ');
        let all = parts.next()?;
        let Some(up_to) = parts.next() else {
            let seconds: i64 = all.parse().ok()?;
            return Some(Self {
                all: Some(seconds.saturating_mul(1000).saturating_add(999)),
                except: None,
            });
        };
        let session = parts.next()?;
        let except = match number(up_to).ok()? {
            Some(up_to) if session != "-" => Some((up_to, session.to_owned())),
            _ => None,
        };
        Some(Self {
            all: number(all).ok()?,
            except,
        })
    }
}

impl fmt::Display for CutoffRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.all {
            Some(all) => write!(f, "{all} ")?,
            None => f.write_str("- ")?,
        }
        match &self.except {
            Some((up_to, session)) => write!(f, "{up_to} {session}"),
            None => f.write_str("- -"),
        }
    }
}

/// A refresh token presented for rotation, and what to replace it with.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RotationRequest<'a> {
    /// The session (rotation family); its first refresh token's `jti` is the
    /// family id.
    pub family: &'a str,
    /// The `jti` of the presented refresh token.
    pub presented: &'a str,
    /// The `jti` of the refresh token that replaces it.
    pub next: &'a str,
    /// Until when the family's state must be kept, in seconds since the
    /// epoch (`None`: for good).
    pub keep_until: Option<i64>,
    /// How long after its rotation the replaced token may be presented again
    /// without counting as reuse; zero: never.
    pub reuse_interval: Duration,
}

impl<'a> RotationRequest<'a> {
    /// A rotation without a reuse interval, for calling a store directly
    /// (tests, tools).
    pub fn new(
        family: &'a str,
        presented: &'a str,
        next: &'a str,
        keep_until: Option<i64>,
    ) -> Self {
        Self {
            family,
            presented,
            next,
            keep_until,
            reuse_interval: Duration::ZERO,
        }
    }

    /// The same rotation with a reuse interval.
    pub fn reuse_interval(self, reuse_interval: Duration) -> Self {
        Self {
            reuse_interval,
            ..self
        }
    }
}

/// The outcome of presenting a refresh token for rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// The presented token was the family's current one; `next` replaced it.
    Rotated,
    /// The presented token was replaced within the reuse interval (two tabs
    /// refreshing at once, a retry): not counted as reuse. Nothing changed;
    /// `current` is the `jti` of the family's current refresh token.
    Repeated {
        /// The `jti` of the family's current refresh token.
        current: String,
    },
    /// The presented token was already retired: someone replayed it. The
    /// store has revoked the whole family.
    Reused,
    /// The family was revoked earlier.
    Revoked,
}

/// Revocation state shared by the guards (Flask's `token_in_blocklist_loader`,
/// built in). All methods are async and take expiry times in seconds since
/// the epoch; `None` means for good. Implement it over your own database, or
/// use [`MemoryStore`] or `RedisStore` (feature `redis`).
///
/// Only [`is_revoked`](Self::is_revoked) is required: a store that cannot
/// revoke or rotate answers those calls with a [`StoreError`].
pub trait TokenStore: Send + Sync + 'static {
    /// Whether the token (its `jti`), its session, or its identity ("log out
    /// everywhere", see [`CutoffRecord::revokes`]) has been revoked.
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

    /// Revokes every token of a session (logout), access and refresh tokens
    /// alike, and ends its rotation, remembered until `keep_until`.
    fn revoke_session(
        &self,
        session: &str,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        let _ = (session, keep_until);
        async { Err(StoreError::new("this store cannot revoke sessions")) }
    }

    /// Records a "log out everywhere" cut-off, merged into the identity's
    /// [`CutoffRecord`].
    fn revoke_identity(&self, cutoff: Cutoff<'_>) -> impl Future<Output = Result<(), StoreError>> {
        let _ = cutoff;
        async { Err(StoreError::new("this store cannot revoke identities")) }
    }

    /// Atomically replaces the family's current refresh token with the next
    /// one; when the presented token is not current (and was not replaced
    /// within the reuse interval), revokes the family.
    fn rotate(
        &self,
        rotation: RotationRequest<'_>,
    ) -> impl Future<Output = Result<Rotation, StoreError>> {
        let _ = rotation;
        async { Err(StoreError::new("this store cannot rotate refresh tokens")) }
    }
}

/// A shared store: several managers (or the app itself) can hold one `Arc`.
impl<T: TokenStore> TokenStore for Arc<T> {
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

    fn revoke_session(
        &self,
        session: &str,
        keep_until: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> {
        T::revoke_session(self, session, keep_until)
    }

    fn revoke_identity(&self, cutoff: Cutoff<'_>) -> impl Future<Output = Result<(), StoreError>> {
        T::revoke_identity(self, cutoff)
    }

    fn rotate(
        &self,
        rotation: RotationRequest<'_>,
    ) -> impl Future<Output = Result<Rotation, StoreError>> {
        T::rotate(self, rotation)
    }
}

type Answer<'a, T> = LocalBoxFuture<'a, Result<T, StoreError>>;

/// [`TokenStore`] with its futures boxed, so the manager can hold any one.
pub(crate) trait DynStore: Send + Sync {
    fn is_revoked<'a>(&'a self, token: TokenFacts<'a>) -> Answer<'a, bool>;
    fn revoke<'a>(&'a self, jti: &'a str, until: Option<i64>) -> Answer<'a, ()>;
    fn revoke_session<'a>(&'a self, session: &'a str, until: Option<i64>) -> Answer<'a, ()>;
    fn revoke_identity<'a>(&'a self, cutoff: Cutoff<'a>) -> Answer<'a, ()>;
    fn rotate<'a>(&'a self, rotation: RotationRequest<'a>) -> Answer<'a, Rotation>;
}

impl<T: TokenStore> DynStore for T {
    fn is_revoked<'a>(&'a self, token: TokenFacts<'a>) -> Answer<'a, bool> {
        Box::pin(TokenStore::is_revoked(self, token))
    }
    fn revoke<'a>(&'a self, jti: &'a str, until: Option<i64>) -> Answer<'a, ()> {
        Box::pin(TokenStore::revoke(self, jti, until))
    }
    fn revoke_session<'a>(&'a self, session: &'a str, until: Option<i64>) -> Answer<'a, ()> {
        Box::pin(TokenStore::revoke_session(self, session, until))
    }
    fn revoke_identity<'a>(&'a self, cutoff: Cutoff<'a>) -> Answer<'a, ()> {
        Box::pin(TokenStore::revoke_identity(self, cutoff))
    }
    fn rotate<'a>(&'a self, rotation: RotationRequest<'a>) -> Answer<'a, Rotation> {
        Box::pin(TokenStore::rotate(self, rotation))
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
    claims::now_secs()
}

mod memory;
pub use memory::MemoryStore;

/// Key names, shared by the stores so a Redis dump reads like the memory maps.
mod key {
    /// The kinds of revocation key, before the `:` and the id.
    pub(super) const JTI: &str = "jti";
    pub(super) const FAMILY_REVOKED: &str = "fam-revoked";
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) const IDENTITY_CUTOFF: &str = "sub-cutoff";
    /// `RedisStore`'s stream of revocations, for the mirrors.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) const FEED: &str = "revocations";

    /// The key of the revocation of kind `kind` of `id`.
    pub(super) fn of(kind: &str, id: &str) -> String {
        format!("{kind}:{id}")
    }
    pub(super) fn jti(jti: &str) -> String {
        of(JTI, jti)
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn identity_cutoff(identity: &str) -> String {
        of(IDENTITY_CUTOFF, identity)
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn family(family: &str) -> String {
        format!("fam:{family}")
    }
    pub(super) fn family_revoked(family: &str) -> String {
        of(FAMILY_REVOKED, family)
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn family_previous(family: &str) -> String {
        format!("fam-previous:{family}")
    }
}

#[cfg(feature = "redis")]
mod mirror;
#[cfg(feature = "redis")]
mod redis_connection;
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::{RedisStore, RedisStoreBuilder};

#[cfg(test)]
mod tests {
    use super::*;

    fn token(issued_at_ms: Option<i64>, session: &str) -> TokenFacts<'_> {
        TokenFacts {
            jti: Some(session),
            identity: "alice",
            issued_at: issued_at_ms.map(|ms| ms / 1000),
            issued_at_ms,
            session: Some(session),
        }
    }

    fn cutoff(issued_up_to_ms: i64, except_session: Option<&str>) -> Cutoff<'_> {
        Cutoff::new("alice", issued_up_to_ms, except_session, None)
    }

    #[test]
    fn sparing_the_same_session_again_keeps_its_older_tokens() {
        let mut record = CutoffRecord::default();
        record.apply(&cutoff(100, Some("mine")));
        record.apply(&cutoff(200, Some("mine")));
        assert!(!record.revokes(&token(Some(50), "mine")));
        assert!(record.revokes(&token(Some(150), "other")));
        assert!(!record.revokes(&token(Some(250), "other")));
        // Sparing another session: what was cut off stays cut off for all.
        record.apply(&cutoff(300, Some("other")));
        assert!(record.revokes(&token(Some(150), "mine")));
        assert!(record.revokes(&token(Some(250), "mine")));
        assert!(!record.revokes(&token(Some(250), "other")));
    }

    #[test]
    fn a_token_without_iat_is_revoked_by_any_cutoff() {
        assert!(!CutoffRecord::default().revokes(&token(None, "mine")));
        for except in [None, Some("mine"), Some("other")] {
            let mut record = CutoffRecord::default();
            record.apply(&cutoff(100, except));
            assert!(record.revokes(&token(None, "mine")), "{except:?}");
        }
    }

    #[test]
    fn a_record_reads_back_what_it_writes() {
        let mut record = CutoffRecord::default();
        assert_eq!(record.to_string(), "- - -");
        assert_eq!(CutoffRecord::parse("- - -"), Some(record.clone()));
        record.apply(&cutoff(100, Some("fam-1")));
        assert_eq!(record.to_string(), "- 100 fam-1");
        record.apply(&cutoff(50, None));
        assert_eq!(record.to_string(), "50 100 fam-1");
        assert_eq!(CutoffRecord::parse("50 100 fam-1"), Some(record));
        // Version 0.1 wrote whole seconds: the cut-off covers all of it.
        assert_eq!(CutoffRecord::parse("7").unwrap().to_string(), "7999 - -");
        // A date without a session spares nobody and cuts nothing off.
        assert_eq!(
            CutoffRecord::parse("- 100 -"),
            Some(CutoffRecord::default())
        );
        for broken in ["", "x - -", "- x s", "1 2"] {
            assert_eq!(CutoffRecord::parse(broken), None, "{broken:?}");
        }
    }
}
