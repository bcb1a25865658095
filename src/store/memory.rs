//! [`MemoryStore`]: revocations for one process.

use std::{collections::HashMap, sync::Mutex};

use super::{
    Cutoff, CutoffRecord, Rotation, RotationRequest, StoreError, TokenFacts, TokenStore, key, now,
};
use crate::claims;

/// One rotation family: its current refresh token and the one it replaced,
/// while that may still be presented again (the reuse interval).
struct Family {
    current: String,
    previous: Option<(String, i64)>,
}

/// Each entry carries the time after which it no longer matters (`None`:
/// never), so it can be dropped then.
#[derive(Default)]
struct Entries {
    /// Revoked jtis and revoked sessions.
    revoked: HashMap<String, Option<i64>>,
    /// "Log out everywhere": identity -> cut-offs.
    cutoffs: HashMap<String, (CutoffRecord, Option<i64>)>,
    /// Each rotation family's current refresh token.
    families: HashMap<String, (Family, Option<i64>)>,
    /// Size after the last sweep: the next sweep comes when it has doubled.
    swept_at: usize,
}

impl Entries {
    fn len(&self) -> usize {
        self.revoked.len() + self.cutoffs.len() + self.families.len()
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
        self.families.retain(|_, (_, until)| alive(*until, now));
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

    fn is_live(&self, key: &str) -> bool {
        self.revoked
            .get(key)
            .is_some_and(|until| alive(*until, now()))
    }

    /// Revokes `key` until `until`, in the place of `replaced` entries.
    fn revoke(
        &mut self,
        key: String,
        until: Option<i64>,
        capacity: usize,
        replaced: bool,
    ) -> Result<(), StoreError> {
        if !replaced && !self.revoked.contains_key(&key) {
            self.make_room(capacity)?;
        }
        // Never shorten a revocation already kept longer.
        let until = match self.revoked.get(&key) {
            Some(None) => None,
            Some(Some(kept)) => until.map(|until| until.max(*kept)),
            None => until,
        };
        self.revoked.insert(key, until);
        self.sweep();
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
    /// ended sessions, "log out everywhere" cut-offs and rotation state).
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

/// What a revocation mirror (`RedisStore`'s) needs: the answer without an
/// `await`, and revocations made elsewhere, which are never refused for
/// room (the mirror holds what Redis holds).
impl MemoryStore {
    /// [`TokenStore::is_revoked`], synchronously.
    pub(super) fn revokes(&self, token: &TokenFacts<'_>) -> bool {
        let entries = self.lock();
        let now = now();
        let jti = token.jti.is_some_and(|jti| entries.is_live(&key::jti(jti)));
        let session = token
            .session
            .is_some_and(|session| entries.is_live(&key::family_revoked(session)));
        let identity = entries
            .cutoffs
            .get(token.identity)
            .is_some_and(|(record, until)| alive(*until, now) && record.revokes(token));
        jti || session || identity
    }

    /// Records the revocation kept under `key` (of [`key::jti`] or
    /// [`key::family_revoked`]) until `until`.
    #[cfg(feature = "redis")]
    pub(super) fn mirror_revocation(&self, key: String, until: Option<i64>) {
        // Without a capacity there is always room.
        let _ = self.lock().revoke(key, until, usize::MAX, true);
    }

    /// Records an identity's cut-off record as another store merged it.
    #[cfg(feature = "redis")]
    pub(super) fn mirror_cutoff(&self, identity: &str, record: CutoffRecord, until: Option<i64>) {
        let mut entries = self.lock();
        let until = match entries.cutoffs.get(identity) {
            Some((_, None)) => None,
            Some((_, Some(kept))) => until.map(|until| until.max(*kept)),
            None => until,
        };
        entries.cutoffs.insert(identity.to_owned(), (record, until));
        entries.sweep();
    }
}

fn alive(until: Option<i64>, now: i64) -> bool {
    until.is_none_or(|until| until > now)
}

impl TokenStore for MemoryStore {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        Ok(self.revokes(&token))
    }

    async fn revoke(&self, jti: &str, expires_at: Option<i64>) -> Result<(), StoreError> {
        self.lock()
            .revoke(key::jti(jti), expires_at, self.capacity, false)
    }

    async fn revoke_session(
        &self,
        session: &str,
        keep_until: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut entries = self.lock();
        let replaced = entries.families.remove(session).is_some();
        entries.revoke(
            key::family_revoked(session),
            keep_until,
            self.capacity,
            replaced,
        )
    }

    async fn revoke_identity(&self, cutoff: Cutoff<'_>) -> Result<(), StoreError> {
        let mut entries = self.lock();
        if !entries.cutoffs.contains_key(cutoff.identity) {
            entries.make_room(self.capacity)?;
        }
        let (record, until) = entries
            .cutoffs
            .entry(cutoff.identity.to_owned())
            .or_insert((CutoffRecord::default(), cutoff.keep_until));
        record.apply(&cutoff);
        *until = match (*until, cutoff.keep_until) {
            (Some(kept), Some(keep)) => Some(kept.max(keep)),
            _ => None,
        };
        entries.sweep();
        Ok(())
    }

    async fn rotate(&self, rotation: RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let RotationRequest {
            family,
            presented,
            next,
            keep_until,
            reuse_interval,
        } = rotation;
        let mut entries = self.lock();
        let (now, now_ms) = (now(), claims::now_ms());
        if entries.is_live(&key::family_revoked(family)) {
            return Ok(Rotation::Revoked);
        }
        let state = entries
            .families
            .get(family)
            .filter(|(_, until)| alive(*until, now))
            .map(|(state, _)| state);
        let is_current = state.map_or(presented == family, |state| state.current == presented);
        if is_current {
            if !entries.families.contains_key(family) {
                entries.make_room(self.capacity)?;
            }
            let interval = i64::try_from(reuse_interval.as_millis()).unwrap_or(i64::MAX);
            let previous =
                (interval > 0).then(|| (presented.to_owned(), now_ms.saturating_add(interval)));
            let state = Family {
                current: next.to_owned(),
                previous,
            };
            entries
                .families
                .insert(family.to_owned(), (state, keep_until));
            entries.sweep();
            return Ok(Rotation::Rotated);
        }
        let repeated = state.and_then(|state| {
            let (previous, until) = state.previous.as_ref()?;
            (previous == presented && now_ms <= *until).then(|| state.current.clone())
        });
        if let Some(current) = repeated {
            return Ok(Rotation::Repeated { current });
        }
        // The family's revocation takes the place of its rotation state.
        let replaced = entries.families.remove(family).is_some();
        entries.revoke(
            key::family_revoked(family),
            keep_until,
            self.capacity,
            replaced,
        )?;
        Ok(Rotation::Reused)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{MemoryStore, now};
    use crate::store::{Cutoff, Rotation, RotationRequest, TokenFacts, TokenStore};

    /// Whether `store` revokes the token `jti` of `identity`, issued at `iat`,
    /// in `session` (its own `jti` when `None`).
    async fn revoked(store: &MemoryStore, token: (&str, &str, i64, Option<&str>)) -> bool {
        let (jti, identity, iat, session) = token;
        store
            .is_revoked(TokenFacts::new(jti, identity, Some(iat), session))
            .await
            .unwrap()
    }

    async fn cut_off(store: &MemoryStore, identity: &str, seconds: i64, except: Option<&str>) {
        let keep = Some(now() + 60);
        let cutoff = Cutoff::new(identity, seconds * 1000 + 999, except, keep);
        store.revoke_identity(cutoff).await.unwrap();
    }

    async fn rotate(store: &MemoryStore, presented: &str, next: &str, interval: u64) -> Rotation {
        let rotation = RotationRequest::new("f", presented, next, Some(now() + 60))
            .reuse_interval(Duration::from_secs(interval));
        store.rotate(rotation).await.unwrap()
    }

    #[actix_web::test]
    async fn revocations_by_jti_session_and_identity() {
        let store = MemoryStore::new();
        let now = now();
        assert!(!revoked(&store, ("a", "u", now, None)).await);
        store.revoke("a", Some(now + 60)).await.unwrap();
        assert!(revoked(&store, ("a", "u", now, None)).await);
        assert!(!revoked(&store, ("b", "u", now, None)).await);

        cut_off(&store, "v", now, None).await;
        assert!(revoked(&store, ("c", "v", now - 5, None)).await);
        assert!(revoked(&store, ("c", "v", now, None)).await);
        assert!(!revoked(&store, ("c", "v", now + 1, None)).await);

        store.revoke_session("s", Some(now + 60)).await.unwrap();
        assert!(revoked(&store, ("d", "w", now, Some("s"))).await);
        assert!(revoked(&store, ("s", "w", now, None)).await);
        assert!(!revoked(&store, ("e", "w", now, Some("t"))).await);
    }

    #[actix_web::test]
    async fn other_sessions_end_and_no_cutoff_lets_a_revoked_token_back_in() {
        let store = MemoryStore::new();
        let now = now();
        let (a, b_old, b_new) = (
            ("1", "u", now, Some("a")),
            ("2", "u", now, Some("b")),
            ("3", "u", now + 1, Some("b")),
        );
        cut_off(&store, "u", now, Some("a")).await;
        assert!(!revoked(&store, a).await);
        assert!(revoked(&store, b_old).await);
        assert!(!revoked(&store, b_new).await);
        // Then device b logs out the others: a's old tokens go, b's newer
        // ones stay, and b's tokens from before the first cut-off stay revoked.
        cut_off(&store, "u", now + 1, Some("b")).await;
        assert!(revoked(&store, a).await);
        assert!(revoked(&store, b_old).await);
        assert!(!revoked(&store, b_new).await);
        // Log out everywhere covers b too.
        cut_off(&store, "u", now + 1, None).await;
        assert!(revoked(&store, b_new).await);
        assert!(!revoked(&store, ("4", "u", now + 2, Some("b"))).await);
    }

    #[actix_web::test]
    async fn rotation_detects_reuse_outside_the_reuse_interval() {
        let store = MemoryStore::new();
        assert_eq!(rotate(&store, "f", "g", 0).await, Rotation::Rotated);
        assert_eq!(rotate(&store, "g", "h", 5).await, Rotation::Rotated);
        // g was replaced a moment ago, within 5 s: not theft, nothing changes.
        let current = "h".to_owned();
        assert_eq!(
            rotate(&store, "g", "x", 5).await,
            Rotation::Repeated { current }
        );
        assert_eq!(rotate(&store, "h", "i", 0).await, Rotation::Rotated);
        // Without an interval on the last rotation, h again is reuse.
        assert_eq!(rotate(&store, "h", "j", 5).await, Rotation::Reused);
        assert!(revoked(&store, ("i", "w", now(), Some("f"))).await);
        assert_eq!(rotate(&store, "i", "k", 0).await, Rotation::Revoked);
    }

    #[actix_web::test]
    async fn the_length_counts_revocations_cutoffs_and_families() {
        let store = MemoryStore::new();
        assert!(store.is_empty());
        assert_eq!(rotate(&store, "f", "g", 0).await, Rotation::Rotated);
        assert_eq!(store.len(), 1);
        cut_off(&store, "u", now(), None).await;
        assert_eq!(store.len(), 2);
        store.revoke("a", Some(now() + 60)).await.unwrap();
        assert_eq!(store.len(), 3);
        assert!(!store.is_empty());
        // Debug shows the counts, never the revoked ids.
        assert_eq!(
            format!("{store:?}"),
            "MemoryStore { entries: 3, capacity: 1000000 }"
        );
    }

    /// Revokes `<prefix>-<i>` for each `i` of `ids`, kept until `until`.
    async fn revoke_each(
        store: &MemoryStore,
        prefix: &str,
        ids: std::ops::Range<usize>,
        until: Option<i64>,
    ) {
        for i in ids {
            store.revoke(&format!("{prefix}-{i}"), until).await.unwrap();
        }
    }

    /// The sweep is amortized: none under 64 entries, then one each time the
    /// store has doubled since the last, so a revocation costs O(1) on
    /// average while memory stays within twice the live entries.
    #[actix_web::test]
    async fn expired_entries_are_swept_each_time_the_store_doubles() {
        let store = MemoryStore::new();
        let (past, future) = (Some(now() - 1), Some(now() + 60));
        revoke_each(&store, "old", 0..63, past).await;
        assert_eq!(store.len(), 63);
        store.revoke("old-63", past).await.unwrap();
        assert_eq!(store.len(), 0);
        revoke_each(&store, "live", 0..64, future).await;
        assert_eq!(store.len(), 64);
        revoke_each(&store, "old", 0..63, past).await;
        assert_eq!(store.len(), 127);
        store.revoke("old-63", past).await.unwrap();
        assert_eq!(store.len(), 64);
    }

    #[actix_web::test]
    async fn a_full_store_drops_expired_entries_and_refuses_only_for_live_ones() {
        let store = MemoryStore::with_capacity(10);
        let (past, future) = (Some(now() - 1), Some(now() + 60));
        revoke_each(&store, "old", 0..10, past).await;
        assert_eq!(store.len(), 10);
        store.revoke("live-0", future).await.unwrap();
        assert_eq!(store.len(), 1);
        revoke_each(&store, "live", 1..10, future).await;
        assert!(store.revoke("one-more", future).await.is_err());
        assert_eq!(store.len(), 10);
        // A revocation already kept is renewed in its place: no room needed.
        store.revoke("live-0", None).await.unwrap();
        assert_eq!(store.len(), 10);
    }

    /// A revocation kept until `until` holds while the clock (in seconds)
    /// is before it: `until` is the first second nothing it covers can pass.
    #[actix_web::test]
    async fn a_revocation_ends_at_its_until_second() {
        let store = MemoryStore::new();
        loop {
            let second = now();
            store.revoke("ending", Some(second)).await.unwrap();
            store.revoke("kept", Some(second + 1)).await.unwrap();
            let ending = revoked(&store, ("ending", "u", second, None)).await;
            let kept = revoked(&store, ("kept", "u", second, None)).await;
            if now() == second {
                assert!(!ending && kept);
                break;
            }
        }
    }

    /// New entries need room; an identity's second cut-off and a family's
    /// next rotation take the place of what they replace.
    #[actix_web::test]
    async fn cutoffs_and_rotations_need_room_only_for_new_entries() {
        let keep = Some(now() + 60);
        let store = MemoryStore::with_capacity(2);
        store.revoke("a", keep).await.unwrap();
        assert_eq!(rotate(&store, "f", "g", 0).await, Rotation::Rotated);
        let cutoff = Cutoff::new("u", now() * 1000, None, keep);
        assert!(store.revoke_identity(cutoff).await.is_err());
        let rotation = RotationRequest::new("other", "other", "next", keep);
        assert!(store.rotate(rotation).await.is_err());
        assert_eq!(rotate(&store, "g", "h", 0).await, Rotation::Rotated);

        let store = MemoryStore::with_capacity(2);
        store.revoke("a", keep).await.unwrap();
        cut_off(&store, "u", now(), None).await;
        cut_off(&store, "u", now(), Some("s")).await;
        assert_eq!(store.len(), 2);
    }

    /// A cut-off whose keep-until has passed is dropped to make room; one
    /// kept for good (`None`) is not.
    #[actix_web::test]
    async fn a_cutoff_is_kept_until_its_keep_until() {
        let store = MemoryStore::with_capacity(1);
        let past = Cutoff::new("u", now() * 1000, None, Some(now() - 1));
        store.revoke_identity(past).await.unwrap();
        store.revoke("a", Some(now() + 60)).await.unwrap();
        assert_eq!(store.len(), 1);

        let store = MemoryStore::with_capacity(1);
        let for_good = Cutoff::new("u", now() * 1000, None, None);
        store.revoke_identity(for_good).await.unwrap();
        assert!(store.revoke("a", Some(now() + 60)).await.is_err());
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
        assert!(revoked(&store, ("live", "u", now(), None)).await);
        assert!(!revoked(&store, ("old-9999", "u", now(), None)).await);
    }
}
