//! The verified-token cache: a client that sends the same token again skips
//! the signature and claim checks (like Envoy's `jwt_cache_config`).
//!
//! Entries are keyed by the token's full bytes, so no other token can hit
//! them; only tokens that passed every check are stored; an entry is served
//! only before the token's `exp` (plus leeway) and is dropped after it. What
//! depends on the request or on state (type, freshness, CSRF, revocation,
//! hooks) runs on every request, hit or miss.

use std::{
    fmt,
    hash::BuildHasher,
    sync::{PoisonError, RwLock},
};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::token::DecodedToken;

/// Tokens longer than this are verified every time: a cache of huge keys
/// would cost more memory than it saves work.
const MAX_TOKEN_BYTES: usize = 4096;
const SHARDS: usize = 8;

struct Entry {
    token_bytes: Box<[u8]>,
    /// `token_bytes` hashed, for growing the table without hashing again.
    hash: u64,
    token: DecodedToken,
    /// Seconds since the epoch after which the entry must not be served.
    valid_until: f64,
}

/// Two generations per shard: when `current` is full it becomes `previous`
/// and the old `previous` is dropped, an O(1) approximation of LRU whose
/// size never exceeds the shard's share of the capacity.
#[derive(Default)]
struct Shard {
    current: HashTable<Entry>,
    previous: HashTable<Entry>,
}

impl Shard {
    fn find<'t>(table: &'t HashTable<Entry>, hash: u64, token: &[u8]) -> Option<&'t Entry> {
        table.find(hash, |entry| *entry.token_bytes == *token)
    }
}

/// A hit in the current generation, the common case, takes a shard's read
/// lock only, so workers serving the same token never wait for each other;
/// misses that must change a shard take its write lock. The token's bytes
/// are hashed once, with a keyed hash, for both the shard and its table.
pub(crate) struct TokenCache {
    shards: Vec<RwLock<Shard>>,
    /// Entries per generation per shard.
    generation: usize,
    hasher: DefaultHashBuilder,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl TokenCache {
    /// A cache of at most `capacity` tokens; `None` for a capacity of zero.
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        let shards = SHARDS.min(capacity / 2).max(1);
        let generation = capacity / shards / 2;
        (generation > 0).then(|| Self {
            shards: (0..shards).map(|_| RwLock::default()).collect(),
            generation,
            hasher: DefaultHashBuilder::default(),
        })
    }

    /// The token's hash and its shard. The table picks buckets by the low
    /// bits and tags by the top ones; the shard takes bits in between.
    fn locate(&self, token: &[u8]) -> (u64, &RwLock<Shard>) {
        let hash = self.hasher.hash_one(token);
        let index = (hash >> 32) as usize % self.shards.len();
        (hash, &self.shards[index])
    }

    pub(crate) fn get(&self, token: &[u8], now: f64) -> Option<DecodedToken> {
        let (hash, shard) = self.locate(token);
        {
            // Each update is a single table operation: a poisoned lock is
            // still consistent.
            let read = shard.read().unwrap_or_else(PoisonError::into_inner);
            match Shard::find(&read.current, hash, token) {
                Some(entry) if now < entry.valid_until => return Some(entry.token.clone()),
                Some(_) => {}
                None if Shard::find(&read.previous, hash, token).is_none() => return None,
                None => {}
            }
        }
        // Expired, or to move up from the previous generation.
        let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
        let eq = |entry: &Entry| *entry.token_bytes == *token;
        if let Ok(found) = shard.current.find_entry(hash, eq) {
            if now < found.get().valid_until {
                return Some(found.get().token.clone());
            }
            found.remove();
            return None;
        }
        let (entry, _) = shard.previous.find_entry(hash, eq).ok()?.remove();
        if now >= entry.valid_until {
            return None;
        }
        let hit = entry.token.clone();
        self.insert_into(&mut shard, entry);
        Some(hit)
    }

    pub(crate) fn insert(&self, token: &[u8], verified: DecodedToken, valid_until: f64) {
        if token.len() > MAX_TOKEN_BYTES {
            return;
        }
        let (hash, shard) = self.locate(token);
        let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
        if let Ok(stale) = shard
            .previous
            .find_entry(hash, |entry| *entry.token_bytes == *token)
        {
            stale.remove();
        }
        self.insert_into(
            &mut shard,
            Entry {
                token_bytes: token.into(),
                hash,
                token: verified,
                valid_until,
            },
        );
    }

    /// Puts `entry` in the current generation, replacing an entry for the
    /// same token.
    fn insert_into(&self, shard: &mut Shard, entry: Entry) {
        let eq = |other: &Entry| other.token_bytes == entry.token_bytes;
        match shard.current.find_entry(entry.hash, eq) {
            Ok(mut same) => *same.get_mut() = entry,
            Err(_) => {
                if shard.current.len() >= self.generation {
                    shard.previous = std::mem::take(&mut shard.current);
                }
                shard
                    .current
                    .insert_unique(entry.hash, entry, |entry| entry.hash);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.read().unwrap_or_else(PoisonError::into_inner);
                shard.current.len() + shard.previous.len()
            })
            .sum()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.shards.len() * self.generation * 2
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    use super::*;
    use crate::claims::TokenKind;

    fn token(identity: &str) -> DecodedToken {
        DecodedToken::new(
            json!({ "alg": "HS256" }).to_string().into_bytes(),
            json!({ "sub": identity }).to_string().into_bytes(),
            Default::default(),
            identity.into(),
            TokenKind::Access,
            Algorithm::HS256,
        )
    }

    fn hit(cache: &TokenCache, key: &str, now: f64) -> Option<String> {
        cache
            .get(key.as_bytes(), now)
            .map(|token| token.identity().to_owned())
    }

    #[test]
    fn serves_each_token_only_its_own_entry_until_it_expires() {
        let cache = TokenCache::new(64).unwrap();
        cache.insert(b"a.b.c", token("alice"), 100.0);
        cache.insert(b"a.b.d", token("bob"), 200.0);
        assert_eq!(hit(&cache, "a.b.c", 99.0).as_deref(), Some("alice"));
        assert_eq!(hit(&cache, "a.b.d", 99.0).as_deref(), Some("bob"));
        assert_eq!(hit(&cache, "a.b.", 99.0), None);
        assert_eq!(hit(&cache, "a.b.cc", 99.0), None);
        // At its end the entry is dropped, not only skipped.
        assert_eq!(hit(&cache, "a.b.c", 100.0), None);
        assert_eq!(hit(&cache, "a.b.c", 0.0), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_second_insert_of_one_token_replaces_the_first() {
        let cache = TokenCache::new(64).unwrap();
        cache.insert(b"t", token("old"), 100.0);
        cache.insert(b"t", token("new"), 50.0);
        assert_eq!(cache.len(), 1);
        assert_eq!(hit(&cache, "t", 60.0), None);
    }

    #[test]
    fn the_previous_generation_is_served_and_moved_up() {
        // One shard of two generations of one entry each.
        let cache = TokenCache::new(2).unwrap();
        assert_eq!((cache.shards.len(), cache.generation), (1, 1));
        cache.insert(b"first", token("first"), 100.0);
        cache.insert(b"second", token("second"), 100.0);
        // `first` is in the previous generation: a hit moves it up, and
        // `second` goes down.
        assert_eq!(hit(&cache, "first", 0.0).as_deref(), Some("first"));
        assert_eq!(hit(&cache, "second", 0.0).as_deref(), Some("second"));
        cache.insert(b"third", token("third"), 100.0);
        // `second` was current; `first` was dropped with the older generation.
        assert_eq!(hit(&cache, "first", 0.0), None);
        assert_eq!(hit(&cache, "third", 0.0).as_deref(), Some("third"));
        assert!(cache.len() <= cache.capacity());
        // An expired entry of the previous generation is not moved up.
        cache.insert(b"short", token("short"), 10.0);
        assert_eq!(hit(&cache, "third", 20.0).as_deref(), Some("third"));
        assert_eq!(hit(&cache, "short", 20.0), None);
        assert!(cache.len() <= cache.capacity());
    }

    #[test]
    fn stays_within_capacity_under_threads() {
        let cache = TokenCache::new(64).unwrap();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let cache = &cache;
                scope.spawn(move || {
                    for i in 0..2_000 {
                        let key = format!("{thread}.{i}");
                        cache.insert(key.as_bytes(), token(&key), 100.0);
                        // Other threads may have pushed it out, never swapped it.
                        let served = hit(cache, &key, 0.0);
                        assert!(served.is_none_or(|served| served == key));
                        assert!(cache.len() <= cache.capacity());
                    }
                });
            }
        });
        assert!(cache.len() <= 64);
    }

    #[test]
    fn huge_tokens_are_not_kept() {
        let cache = TokenCache::new(64).unwrap();
        let huge = vec![b'a'; MAX_TOKEN_BYTES + 1];
        cache.insert(&huge, token("huge"), 100.0);
        assert!(cache.get(&huge, 0.0).is_none());
        assert_eq!(cache.len(), 0);
        // The largest token that is kept.
        let largest = vec![b'a'; MAX_TOKEN_BYTES];
        cache.insert(&largest, token("largest"), 100.0);
        assert!(cache.get(&largest, 0.0).is_some());
    }

    #[test]
    fn a_token_inserted_again_from_the_previous_generation_is_kept_once() {
        // One shard of two generations of two entries each.
        let cache = TokenCache {
            shards: vec![RwLock::default()],
            generation: 2,
            hasher: DefaultHashBuilder::default(),
        };
        cache.insert(b"a", token("a"), 100.0);
        cache.insert(b"b", token("b"), 100.0);
        cache.insert(b"c", token("c"), 100.0);
        // `a` and `b` are the previous generation now; `a` comes back
        // verified again (with a new expiry): its old entry goes.
        cache.insert(b"a", token("a"), 50.0);
        assert_eq!(cache.len(), 3);
        assert_eq!(hit(&cache, "a", 60.0), None);
    }

    #[test]
    fn tokens_spread_over_the_shards() {
        // Workers serving different tokens rarely share a shard's lock.
        let cache = TokenCache::new(4096).unwrap();
        for i in 0..256 {
            cache.insert(format!("token {i}").as_bytes(), token("t"), 100.0);
        }
        let used = cache
            .shards
            .iter()
            .filter(|shard| !shard.read().unwrap().current.is_empty())
            .count();
        assert_eq!(used, SHARDS);
    }

    #[test]
    fn debug_shows_the_fill_and_never_a_token() {
        let cache = TokenCache::new(64).unwrap();
        cache.insert(b"secret.token.bytes", token("alice"), 100.0);
        let debug = format!("{cache:?}");
        assert_eq!(debug, "TokenCache { len: 1, capacity: 64 }");
    }
}
