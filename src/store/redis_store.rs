//! [`RedisStore`]: revocations shared by every instance through Redis.

use std::{sync::Arc, time::Duration};

use redis::{
    AsyncCommands, Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
    cluster::{ClusterClient, ClusterClientBuilder},
    cluster_async::ClusterConnection,
};

use super::{
    Cutoff, CutoffRecord, Rotation, RotationRequest, StoreError, TokenFacts, TokenStore, key,
    mirror::{self, Mirror, Revocation},
    now,
    redis_connection::{Connection, Target},
};

/// Appends a revocation to the stream the mirrors follow, in the script
/// that writes it, trimming entries older than ten minutes (a reconnecting
/// feed reads the keys first; see the mirror's docs).
/// `feed(stream, kind, id, until ('' for good), record or nil)`.
macro_rules! feed_function {
    () => {
        r#"
local function feed(stream, kind, id, until_, record)
  local minid = (tonumber(redis.call('TIME')[1]) - 600) * 1000
  if record then
    return redis.call('XADD', stream, 'MINID', '~', minid, '*', 'k', kind, 'i', id, 'u', until_, 'r', record)
  end
  return redis.call('XADD', stream, 'MINID', '~', minid, '*', 'k', kind, 'i', id, 'u', until_)
end
"#
    };
}

/// Revokes a token or a session, and tells the mirrors.
/// KEYS: the revocation, the stream, then state it replaces (deleted).
/// ARGV: the kind of the revocation's key, id, until (Unix seconds, '' for
/// good).
const REVOKE: &str = concat!(
    feed_function!(),
    r#"
if ARGV[3] == '' then redis.call('SET', KEYS[1], '1') else redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[3]) end
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
feed(KEYS[2], ARGV[1], ARGV[2], ARGV[3], nil)
return 1
"#
);

/// Replaces the family's current refresh token if `presented` is it;
/// otherwise revokes the family. One script, so two concurrent refreshes with
/// the same token cannot both win.
/// KEYS: the family's current token, its revocation, the token it replaced,
/// the stream. ARGV: presented, next, keep (seconds, 0: for good), family
/// id, reuse interval (milliseconds, 0: none), keep until (Unix seconds, ''
/// for good).
const ROTATE: &str = concat!(
    feed_function!(),
    r#"
if redis.call('EXISTS', KEYS[2]) == 1 then return 'revoked' end
local current = redis.call('GET', KEYS[1])
local is_current = (current == ARGV[1]) or (current == false and ARGV[1] == ARGV[4])
local ttl = tonumber(ARGV[3])
local interval = tonumber(ARGV[5])
if is_current then
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'EX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
  if interval > 0 then redis.call('SET', KEYS[3], ARGV[1], 'PX', interval) else redis.call('DEL', KEYS[3]) end
  return 'rotated'
end
if current and interval > 0 and redis.call('GET', KEYS[3]) == ARGV[1] then
  return 'repeated:' .. current
end
if ttl > 0 then redis.call('SET', KEYS[2], '1', 'EX', ttl) else redis.call('SET', KEYS[2], '1') end
redis.call('DEL', KEYS[1], KEYS[3])
feed(KEYS[4], 'fam-revoked', ARGV[4], ARGV[6], nil)
return 'reused'
"#
);

/// Merges a cut-off into an identity's record, as `CutoffRecord::apply` does.
/// KEYS: the record, the stream. ARGV: issued up to (ms), the session spared
/// ('' for none), keep (seconds, 0: for good), the identity. Returns the
/// record, until when it is kept ('' for good) and its stream entry's id.
const CUTOFF: &str = concat!(
    feed_function!(),
    r#"
local all, up_to, spared = nil, nil, nil
local record = redis.call('GET', KEYS[1])
if record then
  local a, u, s = string.match(record, '^(%S+) (%S+) (.+)$')
  if a then
    all = tonumber(a)
    if s ~= '-' then up_to, spared = tonumber(u), s end
  else
    all = tonumber(record) * 1000 + 999
  end
end
local at = tonumber(ARGV[1])
if ARGV[2] == '' then
  if all == nil or at > all then all = at end
elseif spared ~= nil and spared ~= ARGV[2] then
  if all == nil or up_to > all then all = up_to end
  up_to, spared = at, ARGV[2]
elseif spared ~= nil then
  if at > up_to then up_to = at end
else
  up_to, spared = at, ARGV[2]
end
local text = (all and string.format('%d', all) or '-') .. ' ' ..
  (spared and (string.format('%d', up_to) .. ' ' .. spared) or '- -')
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  local left = redis.call('TTL', KEYS[1])
  if record and left == -1 then ttl = 0 elseif left > ttl then ttl = left end
end
local until_ = ''
if ttl > 0 then
  redis.call('SET', KEYS[1], text, 'EX', ttl)
  until_ = tostring(tonumber(redis.call('TIME')[1]) + ttl)
else
  redis.call('SET', KEYS[1], text)
end
local entry = feed(KEYS[2], 'sub-cutoff', ARGV[4], until_, text)
return {text, until_, entry}
"#
);

/// A [`TokenStore`] in Redis (the `redis` feature), for several instances
/// behind a load balancer. Keys expire with their token (TTL = remaining
/// lifetime).
///
/// Each instance keeps a **local mirror** of the revocations, so a guarded
/// request asks no network: a feed from Redis (a stream written in the same
/// script as each revocation) keeps it current. A revocation returns once it
/// is in Redis, the instance that made it refuses the token at once, and the
/// others as soon as the feed delivers it (a network round trip; at most
/// about 1.5 s on a connection that hangs without breaking). While the
/// mirror is not known to be current (start-up, a broken feed, catching up
/// after one) requests ask Redis directly, unless the mirror already knows
/// the token to be revoked; when
/// Redis cannot answer within the timeouts they are denied with 503 (fail
/// closed). The mirror holds what Redis holds: each entry leaves when the
/// last token it covers expires. Every instance writing to the same prefix
/// must run a version with the feed (this one or later), or turn the mirror
/// off with [`RedisStoreBuilder::mirror`].
///
/// It connects lazily and reconnects by itself after Redis restarts. Build
/// it inside the actix runtime (in `main` under `#[actix_web::main]`).
///
/// ```no_run
/// use actix_jwt_extended::{JwtManager, store::RedisStore};
///
/// # #[actix_web::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::builder("redis://127.0.0.1:6379/").key_prefix("myapp:jwt:").build()?;
/// let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").token_store(store).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    link: Link,
    prefix: String,
    revoke: Script,
    rotate: Script,
    cutoff: Script,
    /// The most any call waits for Redis, connecting and retrying included.
    deadline: Duration,
    mirror: Option<Arc<Mirror>>,
}

/// How the store reaches Redis.
#[derive(Clone)]
enum Link {
    /// One server, through the connection manager.
    Managed(ConnectionManager),
    /// A cluster: the connection is made on first use, then shared.
    Cluster(
        Box<ClusterClient>,
        Arc<tokio::sync::OnceCell<ClusterConnection>>,
    ),
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("response_timeout", &self.deadline)
            .field("mirror_is_current", &self.mirror_is_current())
            .finish_non_exhaustive()
    }
}

/// Options of a [`RedisStore`].
#[derive(Clone)]
#[must_use = "call `build()` to get a RedisStore"]
pub struct RedisStoreBuilder {
    /// One server's URL, or a cluster's seed nodes.
    nodes: Vec<String>,
    cluster: bool,
    prefix: String,
    response_timeout: Duration,
    connection_timeout: Duration,
    mirror: bool,
}

/// The URL may hold a password: it is not shown.
impl std::fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("nodes", &"<redacted>")
            .field("cluster", &self.cluster)
            .field("prefix", &self.prefix)
            .field("response_timeout", &self.response_timeout)
            .field("connection_timeout", &self.connection_timeout)
            .field("mirror", &self.mirror)
            .finish()
    }
}

impl RedisStore {
    /// A builder for the Redis server at `url` (`redis://host:port/db`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            nodes: vec![url.into()],
            cluster: false,
            prefix: "actix-jwt-extended:".into(),
            response_timeout: Duration::from_millis(500),
            connection_timeout: Duration::from_millis(500),
            mirror: true,
        }
    }

    /// A builder for a Redis Cluster, from some of its nodes
    /// (`redis://host:port`); the others are discovered. Every key of the
    /// store shares one hash slot (the key prefix is a hash tag), so each
    /// check and each script is one slot's; the mirror takes the read load
    /// that sharding would spread.
    ///
    /// ```no_run
    /// use actix_jwt_extended::store::RedisStore;
    ///
    /// # #[actix_web::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisStore::cluster_builder(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]).build()?;
    /// # Ok(()) }
    /// ```
    pub fn cluster_builder(
        nodes: impl IntoIterator<Item = impl Into<String>>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder {
            nodes: nodes.into_iter().map(Into::into).collect(),
            cluster: true,
            prefix: "{actix-jwt-extended}:".into(),
            ..Self::builder("")
        }
    }

    /// Whether the local mirror answers revocation checks now (its feed has
    /// caught up and follows Redis); `false` while requests ask Redis
    /// directly, and without a mirror. For health checks and monitoring.
    pub fn mirror_is_current(&self) -> bool {
        self.mirror
            .as_ref()
            .is_some_and(|mirror| mirror.is_current())
    }

    fn key(&self, name: String) -> String {
        format!("{}{name}", self.prefix)
    }
}

impl RedisStoreBuilder {
    /// Prefix of every key, to share a Redis database. In a cluster it must
    /// hold a hash tag (`{...}`), so that every key of the store shares a
    /// slot. Defaults to `actix-jwt-extended:`, and to
    /// `{actix-jwt-extended}:` in a cluster.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The most a request waits for Redis, connecting and the connection
    /// manager's retry included; then it is denied with 503. Defaults to
    /// 500 ms.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How long connecting may take. Defaults to 500 ms.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Whether revocation checks are answered from a local mirror kept
    /// current by a feed from Redis (see [`RedisStore`]), or each asks Redis.
    /// Turn it off while instances of an earlier version (without the feed)
    /// still write to the same prefix. Defaults to on.
    pub fn mirror(mut self, mirror: bool) -> Self {
        self.mirror = mirror;
        self
    }

    /// Checks the URL and prepares a lazy connection; with the mirror, starts
    /// its feed (on a thread of its own, which ends with the store).
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let invalid = |error: redis::RedisError| StoreError::new(error.to_string());
        let (link, target) = if self.cluster {
            if !has_hash_tag(&self.prefix) {
                return Err(StoreError::new(format!(
                    "the key prefix {:?} has no hash tag ({{...}}): in a Redis Cluster every \
                     key of the store must share a slot",
                    self.prefix
                )));
            }
            let client = self.cluster_client(self.response_timeout)?;
            // A cluster client's timeout holds for every command: the
            // feed's `XREAD BLOCK` needs one of its own.
            let timeout = mirror::response_timeout(self.feed_timeout());
            let feed = self.cluster_client(timeout)?;
            let link = Link::Cluster(Box::new(client), Arc::default());
            (link, Target::Cluster(Box::new(feed)))
        } else {
            let url = self.nodes.first().map_or("", String::as_str);
            let client = Client::open(url).map_err(invalid)?;
            let config = ConnectionManagerConfig::new()
                .set_response_timeout(Some(self.response_timeout))
                .set_connection_timeout(Some(self.connection_timeout))
                // Fail fast while Redis is away; the next request tries again.
                .set_number_of_retries(1)
                .set_min_delay(Duration::from_millis(20))
                .set_max_delay(Duration::from_millis(200));
            let connection =
                ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(invalid)?;
            (Link::Managed(connection), Target::Server(client))
        };
        let mirror = match self.mirror {
            false => None,
            true => {
                let mirror = Arc::new(Mirror::default());
                let source = mirror::Source {
                    target,
                    prefix: self.prefix.clone(),
                    timeout: self.feed_timeout(),
                };
                mirror::spawn(&mirror, source).map_err(|error| {
                    StoreError::new(format!("cannot start the revocation feed: {error}"))
                })?;
                Some(mirror)
            }
        };
        Ok(RedisStore {
            link,
            prefix: self.prefix,
            revoke: Script::new(REVOKE),
            rotate: Script::new(ROTATE),
            cutoff: Script::new(CUTOFF),
            deadline: self.response_timeout,
            mirror,
        })
    }
}

impl RedisStoreBuilder {
    /// How long the feed waits to connect, or for an answer besides its
    /// blocking reads.
    fn feed_timeout(&self) -> Duration {
        self.response_timeout.max(self.connection_timeout)
    }

    /// A client for the cluster's seed nodes whose commands may take up to
    /// `response_timeout`.
    fn cluster_client(&self, response_timeout: Duration) -> Result<ClusterClient, StoreError> {
        ClusterClientBuilder::new(self.nodes.clone())
            .connection_timeout(self.connection_timeout)
            .response_timeout(response_timeout)
            .retries(1)
            .build()
            .map_err(|error| StoreError::new(error.to_string()))
    }
}

/// Whether `prefix` holds a Redis Cluster hash tag: a non-empty `{...}`.
fn has_hash_tag(prefix: &str) -> bool {
    prefix
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .is_some_and(|(tag, _)| !tag.is_empty())
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::new(error.to_string())
}

/// 9999-12-31T23:59:59Z: later expiries are kept without one.
const LAST_EXPIRY: i64 = crate::claims::LAST_DATE;

/// Seconds left until `until`, for the scripts; 0 (no TTL) for never and
/// past [`LAST_EXPIRY`].
fn ttl(until: Option<i64>) -> i64 {
    until
        .filter(|until| *until <= LAST_EXPIRY)
        .map_or(0, |until| until.saturating_sub(now()).max(1))
}

/// `until` as the scripts and the feed write it: '' for good (and past
/// [`LAST_EXPIRY`]).
fn until_arg(until: Option<i64>) -> String {
    until
        .filter(|until| *until <= LAST_EXPIRY)
        .map_or_else(String::new, |until| until.to_string())
}

impl RedisStore {
    /// A connection for one call: the connection manager's, or the cluster's
    /// (connecting on first use).
    async fn connection(&self) -> Result<Connection, StoreError> {
        match &self.link {
            Link::Managed(manager) => Ok(Connection::Managed(manager.clone())),
            Link::Cluster(client, shared) => {
                let connecting = shared.get_or_try_init(|| client.get_async_connection());
                self.within(connecting)
                    .await
                    .map(|connection| Connection::Cluster(connection.clone()))
            }
        }
    }

    /// Runs `command` within the documented bound: the connection manager's
    /// own timeouts apply per attempt, and it retries once.
    async fn within<T>(
        &self,
        command: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match actix_web::rt::time::timeout(self.deadline, command).await {
            Ok(answer) => answer.map_err(unavailable),
            Err(_) => Err(StoreError::new(format!(
                "Redis did not answer within {:?}",
                self.deadline
            ))),
        }
    }

    /// Writes `revocation` (a token or a session: a cut-off is merged by
    /// its own script) until `until`, deleting `replaced` state, and tells
    /// the mirrors; this instance's mirror at once.
    async fn revoke_key(
        &self,
        revocation: Revocation,
        until: Option<i64>,
        replaced: &[String],
    ) -> Result<(), StoreError> {
        let (kind, id) = revocation.kind_and_id();
        let mut invocation = self.revoke.key(self.key(key::of(kind, id)));
        invocation.key(self.key(key::FEED.to_owned()));
        for state in replaced {
            invocation.key(self.key(state.clone()));
        }
        invocation.arg(kind).arg(id).arg(until_arg(until));
        let mut connection = self.connection().await?;
        self.within(invocation.invoke_async::<i64>(&mut connection))
            .await?;
        if let Some(mirror) = &self.mirror {
            // Tokens and sessions only add: no version to compare.
            mirror.apply(revocation, until, "0-0");
        }
        Ok(())
    }
}

impl TokenStore for RedisStore {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        if let Some(answer) = self
            .mirror
            .as_ref()
            .and_then(|mirror| mirror.answer(&token))
        {
            return Ok(answer);
        }
        let keys = [
            self.key(key::jti(token.jti.unwrap_or_default())),
            self.key(key::family_revoked(token.session.unwrap_or_default())),
            self.key(key::identity_cutoff(token.identity)),
        ];
        let mut connection = self.connection().await?;
        let [jti, session, cutoff]: [Option<String>; 3] = self
            .within(connection.mget::<_, Vec<Option<String>>>(&keys))
            .await?
            .try_into()
            .map_err(|_| StoreError::new("MGET answered with the wrong number of values"))?;
        let cutoff =
            match cutoff {
                Some(text) => Some(CutoffRecord::parse(&text).ok_or_else(|| {
                    StoreError::new(format!("unreadable cut-off record {text:?}"))
                })?),
                None => None,
            };
        Ok((token.jti.is_some() && jti.is_some())
            || (token.session.is_some() && session.is_some())
            || cutoff.is_some_and(|record| record.revokes(&token)))
    }

    async fn revoke(&self, jti: &str, expires_at: Option<i64>) -> Result<(), StoreError> {
        if expires_at.is_some_and(|until| until <= now()) {
            return Ok(()); // Already expired: nothing to remember.
        }
        self.revoke_key(Revocation::Token(jti.to_owned()), expires_at, &[])
            .await
    }

    async fn revoke_session(
        &self,
        session: &str,
        keep_until: Option<i64>,
    ) -> Result<(), StoreError> {
        let state = [key::family(session), key::family_previous(session)];
        if keep_until.is_some_and(|until| until <= now()) {
            // Nothing to remember; the rotation state goes all the same.
            let mut connection = self.connection().await?;
            let state = state.map(|name| self.key(name));
            return self.within(connection.del::<_, ()>(&state)).await;
        }
        self.revoke_key(Revocation::Session(session.to_owned()), keep_until, &state)
            .await
    }

    async fn revoke_identity(&self, cutoff: Cutoff<'_>) -> Result<(), StoreError> {
        if cutoff.keep_until.is_some_and(|until| until <= now()) {
            return Ok(()); // Every token it covers has expired: nothing to remember.
        }
        let mut connection = self.connection().await?;
        let mut invocation = self
            .cutoff
            .key(self.key(key::identity_cutoff(cutoff.identity)));
        invocation
            .key(self.key(key::FEED.to_owned()))
            .arg(cutoff.issued_up_to_ms)
            .arg(cutoff.except_session.unwrap_or_default())
            .arg(ttl(cutoff.keep_until))
            .arg(cutoff.identity);
        let (text, until, entry): (String, String, String) = self
            .within(invocation.invoke_async(&mut connection))
            .await?;
        if let Some(mirror) = &self.mirror {
            let record = CutoffRecord::parse(&text)
                .ok_or_else(|| StoreError::new(format!("unreadable cut-off record {text:?}")))?;
            let until = until.parse().ok();
            mirror.apply(
                Revocation::Cutoff(cutoff.identity.to_owned(), record),
                until,
                &entry,
            );
        }
        Ok(())
    }

    async fn rotate(&self, rotation: RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let family = rotation.family;
        let mut connection = self.connection().await?;
        let mut invocation = self.rotate.key(self.key(key::family(family)));
        invocation
            .key(self.key(key::family_revoked(family)))
            .key(self.key(key::family_previous(family)))
            .key(self.key(key::FEED.to_owned()))
            .arg(rotation.presented)
            .arg(rotation.next)
            .arg(ttl(rotation.keep_until))
            .arg(family)
            .arg(u64::try_from(rotation.reuse_interval.as_millis()).unwrap_or(u64::MAX))
            .arg(until_arg(rotation.keep_until));
        let outcome: String = self
            .within(invocation.invoke_async(&mut connection))
            .await?;
        match outcome.as_str() {
            "rotated" => Ok(Rotation::Rotated),
            "reused" => {
                if let Some(mirror) = &self.mirror {
                    let session = Revocation::Session(family.to_owned());
                    mirror.apply(session, rotation.keep_until, "0-0");
                }
                Ok(Rotation::Reused)
            }
            "revoked" => Ok(Rotation::Revoked),
            other => match other.strip_prefix("repeated:") {
                Some(current) => Ok(Rotation::Repeated {
                    current: current.to_owned(),
                }),
                None => Err(StoreError::new(format!(
                    "unexpected rotation answer {other:?}"
                ))),
            },
        }
    }
}
