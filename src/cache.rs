//! The verified-token cache: a client that sends the same token again skips
//! the signature and claim checks (like Envoy's `jwt_cache_config`).
//!
//! Entries are keyed by the token's full bytes, so no other token can hit
//! them; only tokens that passed every check are stored; an entry is served
//! only before the token's `exp` (plus leeway) and is dropped after it. What
//! depends on the request or on state (type, freshness, CSRF, revocation,
//! hooks) runs on every request, hit or miss.

use std::{
    collections::HashMap,
    fmt,
    hash::{BuildHasher, RandomState},
    sync::{Mutex, MutexGuard},
};

use crate::token::DecodedToken;

/// Tokens longer than this are verified every time: a cache of huge keys
/// would cost more memory than it saves work.
const MAX_TOKEN_BYTES: usize = 4096;
const SHARDS: usize = 8;

struct Entry {
    token: DecodedToken,
    /// Seconds since the epoch after which the entry must not be served.
    valid_until: f64,
}

/// Two generations per shard: when `current` is full it becomes `previous`
/// and the old `previous` is dropped, an O(1) approximation of LRU whose
/// size never exceeds the shard's share of the capacity.
#[derive(Default)]
struct Shard {
    current: HashMap<Box<[u8]>, Entry>,
    previous: HashMap<Box<[u8]>, Entry>,
}

pub(crate) struct TokenCache {
    shards: Vec<Mutex<Shard>>,
    /// Entries per generation per shard.
    generation: usize,
    router: RandomState,
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
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            generation,
            router: RandomState::new(),
        })
    }

    fn shard(&self, token: &[u8]) -> MutexGuard<'_, Shard> {
        let index = self.router.hash_one(token) as usize % self.shards.len();
        // Each update is a single map operation: a poisoned lock is still consistent.
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn get(&self, token: &[u8], now: f64) -> Option<DecodedToken> {
        let mut shard = self.shard(token);
        if let Some(entry) = shard.current.get(token) {
            if now < entry.valid_until {
                return Some(entry.token.clone());
            }
            shard.current.remove(token);
            return None;
        }
        let entry = shard.previous.remove(token)?;
        if now >= entry.valid_until {
            return None;
        }
        let hit = entry.token.clone();
        self.insert_into(&mut shard, token, entry);
        Some(hit)
    }

    pub(crate) fn insert(&self, token: &[u8], verified: DecodedToken, valid_until: f64) {
        if token.len() > MAX_TOKEN_BYTES {
            return;
        }
        let mut shard = self.shard(token);
        self.insert_into(
            &mut shard,
            token,
            Entry {
                token: verified,
                valid_until,
            },
        );
    }

    fn insert_into(&self, shard: &mut Shard, token: &[u8], entry: Entry) {
        if shard.current.len() >= self.generation {
            shard.previous = std::mem::take(&mut shard.current);
        }
        shard.current.insert(token.into(), entry);
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                shard.current.len() + shard.previous.len()
            })
            .sum()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.shards.len() * self.generation * 2
    }
}
