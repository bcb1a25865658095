//! `RedisStore`'s local revocation mirror: every revocation kept in memory,
//! so that a guarded request asks no network, kept current by a feed.
//!
//! Every write to Redis appends an entry to a stream (`<prefix>revocations`)
//! in the same script, so the keys and the stream never disagree. The feed,
//! on a thread of its own, then:
//!
//! 1. notes where the stream ends;
//! 2. reads every live revocation key (`SCAN` with its expiry): everything
//!    written before that point, including by versions without a stream;
//! 3. reads the stream from the point noted, and from then on waits on it
//!    (`XREAD BLOCK`).
//!
//! Only after step 3 has caught up does the mirror answer; before, and as
//! soon as the feed connection fails, `RedisStore` asks Redis directly (and
//! fails closed when it cannot). Every reconnection starts again at step 1,
//! so nothing written while the feed was away is missed, even if Redis lost
//! or trimmed its stream meanwhile. The stream keeps ten minutes of
//! entries: it only has to bridge a snapshot and the feed.
//!
//! Why a stream: its entries stay after they are read, so a feed that was
//! away reads what it missed from where it stopped (pub/sub forgets what
//! was published while a subscriber was gone), and it works the same on a
//! cluster. RESP3 client-side caching would still ask Redis once for every
//! new token, the hot path the mirror exists to keep off the network.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{
    AsyncConnectionConfig, RedisResult, Value,
    cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr},
    streams::{StreamId, StreamReadReply},
};

use super::{
    CutoffRecord, MemoryStore, TokenFacts, key,
    redis_connection::{Connection, Target},
};

/// How long one `XREAD` waits for news before it asks again.
const BLOCK: Duration = Duration::from_secs(1);
/// Entries read at once.
const BATCH: usize = 1000;
/// The name of the feed's connection (`CLIENT LIST`).
pub(super) const FEED_CLIENT_NAME: &str = "actix-jwt-extended-feed";

/// One revocation, as the stream and the keys carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Revocation {
    /// A token, by `jti`.
    Token(String),
    /// A session (family).
    Session(String),
    /// An identity's merged cut-off record.
    Cutoff(String, CutoffRecord),
}

impl Revocation {
    /// Reads one from the kind of its key ([`key::JTI`], ...), its id and,
    /// for a cut-off, its record: what a key and a stream entry both hold.
    pub(super) fn read(kind: &str, id: &str, record: Option<&str>) -> Option<Self> {
        Some(match kind {
            key::JTI => Self::Token(id.to_owned()),
            key::FAMILY_REVOKED => Self::Session(id.to_owned()),
            key::IDENTITY_CUTOFF => Self::Cutoff(id.to_owned(), CutoffRecord::parse(record?)?),
            _ => return None,
        })
    }

    /// The kind of its key, and its id.
    pub(super) fn kind_and_id(&self) -> (&'static str, &str) {
        match self {
            Self::Token(jti) => (key::JTI, jti),
            Self::Session(session) => (key::FAMILY_REVOKED, session),
            Self::Cutoff(identity, _) => (key::IDENTITY_CUTOFF, identity),
        }
    }
}

/// The revocations of one store prefix, and whether they are known current.
#[derive(Debug, Default)]
pub(super) struct Mirror {
    revocations: MemoryStore,
    current: AtomicBool,
    /// The stream entry each identity's cut-off record came with: a record
    /// is merged in Redis, so an older one (a late feed entry after this
    /// instance's own newer write) must not replace a newer one.
    cutoff_versions: Mutex<HashMap<String, (u64, u64)>>,
}

impl Mirror {
    /// The mirror's answer for `token`: while it is current, either; else
    /// only "revoked" (what it knows stays true), and `None` when Redis
    /// must be asked.
    pub(super) fn answer(&self, token: &TokenFacts<'_>) -> Option<bool> {
        let revoked = self.revocations.revokes(token);
        (revoked || self.is_current()).then_some(revoked)
    }

    /// Whether the feed has caught up and is following the stream.
    pub(super) fn is_current(&self) -> bool {
        self.current.load(Ordering::Acquire)
    }

    fn set_current(&self, current: bool) {
        self.current.store(current, Ordering::Release);
    }

    /// Records `revocation`, kept until `until` (`None`: for good), as of
    /// the stream entry `version` (`ms-seq`): a cut-off record older than
    /// the one held is ignored; tokens and sessions only ever add.
    pub(super) fn apply(&self, revocation: Revocation, until: Option<i64>, version: &str) {
        match revocation {
            Revocation::Token(jti) => self.revocations.mirror_revocation(key::jti(&jti), until),
            Revocation::Session(session) => self
                .revocations
                .mirror_revocation(key::family_revoked(&session), until),
            Revocation::Cutoff(identity, record) => {
                let version = stream_position(version);
                let mut versions = self
                    .cutoff_versions
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if versions.get(&identity).is_some_and(|held| *held > version) {
                    return;
                }
                self.revocations.mirror_cutoff(&identity, record, until);
                versions.insert(identity, version);
            }
        }
    }
}

/// A stream entry id `ms-seq` as a pair that orders like the stream.
fn stream_position(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

/// Where the feed reads from.
#[derive(Clone)]
pub(super) struct Source {
    pub(super) target: Target,
    pub(super) prefix: String,
    pub(super) timeout: Duration,
}

impl Source {
    fn stream(&self) -> String {
        format!("{}{}", self.prefix, key::FEED)
    }
}

/// Starts the feed of `mirror` on a thread of its own; it ends once the
/// store (every clone) is dropped.
pub(super) fn spawn(mirror: &Arc<Mirror>, source: Source) -> std::io::Result<()> {
    let mirror = Arc::downgrade(mirror);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(FEED_CLIENT_NAME.into())
        .spawn(move || runtime.block_on(feed(mirror, source)))
        .map(drop)
}

async fn feed(mirror: Weak<Mirror>, source: Source) {
    let mut pause = Duration::from_millis(20);
    loop {
        let failure = match connect(&source).await {
            Ok(mut connection) => follow(&mut connection, &mirror, &source).await,
            Err(error) => Err(error),
        };
        let Some(strong) = mirror.upgrade() else {
            return;
        };
        let was_current = strong.is_current();
        strong.set_current(false);
        drop(strong);
        match failure {
            Ok(()) => return,
            // Said once per break; the attempts to reconnect are quieter.
            Err(error) if was_current => {
                pause = Duration::from_millis(20);
                log::warn!(
                    "actix-jwt-extended: the revocation feed from Redis broke ({error}); \
                     asking Redis directly until it is back"
                );
            }
            Err(error) => log::debug!("actix-jwt-extended: the revocation feed is down: {error}"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// How long the feed waits for an answer: an `XREAD BLOCK` takes [`BLOCK`].
pub(super) fn response_timeout(timeout: Duration) -> Duration {
    BLOCK + timeout
}

/// The feed's own connection: its `XREAD BLOCK` would hold up the store's.
/// A cluster's client was built with [`response_timeout`].
async fn connect(source: &Source) -> RedisResult<Connection> {
    match &source.target {
        Target::Server(client) => {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(source.timeout))
                .set_response_timeout(Some(response_timeout(source.timeout)));
            let mut connection = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg(FEED_CLIENT_NAME)
                .exec_async(&mut connection)
                .await?;
            Ok(Connection::Server(connection))
        }
        Target::Cluster(client) => Ok(Connection::Cluster(client.get_async_connection().await?)),
    }
}

/// Steps 1 to 3 of the module docs; returns `Ok` when the store is gone.
async fn follow(
    connection: &mut Connection,
    mirror: &Weak<Mirror>,
    source: &Source,
) -> RedisResult<()> {
    let stream = source.stream();
    let mut last: String = match redis::cmd("XREVRANGE")
        .arg(&stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async::<Vec<(String, Value)>>(connection)
        .await?
        .pop()
    {
        Some((id, _)) => id,
        None => "0-0".into(),
    };
    {
        let Some(mirror) = mirror.upgrade() else {
            return Ok(());
        };
        snapshot(connection, &mirror, &source.prefix, &last).await?;
    }
    let mut caught_up = false;
    loop {
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT").arg(BATCH);
        if caught_up {
            read.arg("BLOCK").arg(BLOCK.as_millis() as u64);
        }
        let reply: Option<StreamReadReply> = read
            .arg("STREAMS")
            .arg(&stream)
            .arg(&last)
            .query_async(connection)
            .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .collect();
        let Some(mirror) = mirror.upgrade() else {
            return Ok(());
        };
        let read_all = entries.len() < BATCH;
        for entry in entries {
            match parse_entry(&entry) {
                Some((revocation, until)) => mirror.apply(revocation, until, &entry.id),
                None => log::warn!(
                    "actix-jwt-extended: skipping unreadable revocation feed entry {}",
                    entry.id
                ),
            }
            last = entry.id;
        }
        if read_all && !caught_up {
            caught_up = true;
            mirror.set_current(true);
        }
    }
}

/// A stream entry: `k` (the kind of its key), `i` (id), `u` (until, empty
/// for good) and, for a cut-off, `r` (the merged record).
fn parse_entry(entry: &StreamId) -> Option<(Revocation, Option<i64>)> {
    let field = |name: &str| entry.get::<String>(name);
    let until = match field("u")?.as_str() {
        "" => None,
        until => Some(until.parse().ok()?),
    };
    let revocation = Revocation::read(&field("k")?, &field("i")?, field("r").as_deref())?;
    Some((revocation, until))
}

/// Step 2: every live revocation key of the prefix, with its expiry.
/// `noted` is where the stream ended before the scan: every value read is at
/// least that recent.
async fn snapshot(
    connection: &mut Connection,
    mirror: &Mirror,
    prefix: &str,
    noted: &str,
) -> RedisResult<()> {
    let pattern = format!("{}*", glob_escape(prefix));
    let mut cursor = 0u64;
    loop {
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(BATCH);
        let (next, keys): (u64, Vec<String>) = match connection {
            // In a cluster, the node that holds the prefix's slot.
            Connection::Cluster(cluster) => {
                let node = Route::with_key(prefix, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(node));
                redis::from_redis_value(cluster.route_command(scan, routing).await?)?
            }
            _ => scan.query_async(connection).await?,
        };
        let found: Vec<(&str, &str, &str)> = keys
            .iter()
            .filter_map(|name| {
                let (kind, id) = name.strip_prefix(prefix)?.split_once(':')?;
                [key::JTI, key::FAMILY_REVOKED, key::IDENTITY_CUTOFF]
                    .contains(&kind)
                    .then_some((name.as_str(), kind, id))
            })
            .collect();
        if !found.is_empty() {
            let mut pipeline = redis::pipe();
            for (key, ..) in &found {
                pipeline.cmd("EXPIRETIME").arg(*key).cmd("GET").arg(*key);
            }
            let answers: Vec<Value> = pipeline.query_async(connection).await?;
            for ((_, kind, id), answer) in found.into_iter().zip(answers.chunks(2)) {
                let [expires, value] = answer else { continue };
                let expires: i64 = redis::from_redis_value_ref(expires)?;
                let value: Option<String> = redis::from_redis_value_ref(value)?;
                // -2: gone since the scan; -1: kept for good.
                let until = match expires {
                    -2 => continue,
                    -1 => None,
                    at => Some(at),
                };
                match Revocation::read(kind, id, value.as_deref()) {
                    Some(revocation) => mirror.apply(revocation, until, noted),
                    None => log::warn!("actix-jwt-extended: unreadable revocation key {kind}:{id}"),
                }
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// `text` as a Redis glob that matches only itself.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{Mirror, Revocation, glob_escape};
    use crate::store::{CutoffRecord, TokenFacts, key, now};

    #[test]
    fn keys_and_entries_read_alike() {
        assert_eq!(
            Revocation::read(key::JTI, "a", None),
            Some(Revocation::Token("a".into()))
        );
        assert_eq!(
            Revocation::read(key::FAMILY_REVOKED, "f", None),
            Some(Revocation::Session("f".into()))
        );
        let record = CutoffRecord::parse("5 - -").unwrap();
        assert_eq!(
            Revocation::read(key::IDENTITY_CUTOFF, "u", Some("5 - -")),
            Some(Revocation::Cutoff("u".into(), record))
        );
        // Rotation state and unreadable records are not revocations.
        assert_eq!(Revocation::read("fam", "f", None), None);
        assert_eq!(Revocation::read(key::IDENTITY_CUTOFF, "u", Some("x")), None);
        assert_eq!(Revocation::read(key::IDENTITY_CUTOFF, "u", None), None);
        for revocation in [
            Revocation::Token("a".into()),
            Revocation::Session("f".into()),
        ] {
            let (kind, id) = revocation.kind_and_id();
            assert_eq!(Revocation::read(kind, id, None), Some(revocation.clone()));
        }
    }

    #[test]
    fn an_older_cutoff_record_never_replaces_a_newer_one() {
        let mirror = Mirror::default();
        let (at, older_at) = (now() * 1000, (now() - 10) * 1000);
        let record = |all: i64| CutoffRecord::parse(&format!("{all} - -")).unwrap();
        let until = Some(now() + 60);
        let token = TokenFacts::new("t", "u", Some(now() - 5), None);
        mirror.set_current(true);
        // This instance's own newer write, then the feed's late older entry.
        mirror.apply(
            Revocation::Cutoff("u".into(), record(at)),
            until,
            "1700000000002-0",
        );
        mirror.apply(
            Revocation::Cutoff("u".into(), record(older_at)),
            until,
            "1700000000001-5",
        );
        assert_eq!(mirror.answer(&token), Some(true));
        // A newer record does replace it.
        mirror.apply(
            Revocation::Cutoff("u".into(), record(at + 1)),
            until,
            "1700000000003-0",
        );
        assert_eq!(mirror.answer(&token), Some(true));
        // So does one at the same position: the catch-up scan labels what it
        // reads with the position noted before it, and reads it after.
        let later = TokenFacts::new("t2", "u", Some(now() + 5), None);
        assert_eq!(mirror.answer(&later), Some(false));
        mirror.apply(
            Revocation::Cutoff("u".into(), record((now() + 10) * 1000)),
            until,
            "1700000000003-0",
        );
        assert_eq!(mirror.answer(&later), Some(true));
    }

    #[test]
    fn a_mirror_not_current_answers_only_what_it_knows_is_revoked() {
        let mirror = Mirror::default();
        let revoked = TokenFacts::new("gone", "u", Some(now()), None);
        let other = TokenFacts::new("fine", "u", Some(now()), None);
        mirror.apply(Revocation::Token("gone".into()), Some(now() + 60), "1-0");
        assert_eq!(mirror.answer(&revoked), Some(true));
        assert_eq!(mirror.answer(&other), None);
        mirror.set_current(true);
        assert_eq!(mirror.answer(&other), Some(false));
        // Entries leave with the last token they cover.
        mirror.apply(Revocation::Token("old".into()), Some(now() - 1), "2-0");
        let old = TokenFacts::new("old", "u", Some(now()), None);
        assert_eq!(mirror.answer(&old), Some(false));
    }

    #[test]
    fn prefixes_are_matched_literally() {
        assert_eq!(glob_escape("app:{jwt}:"), "app:{jwt}:");
        assert_eq!(glob_escape("a*b?[c]\\-"), "a\\*b\\?\\[c\\]\\\\-");
    }
}
