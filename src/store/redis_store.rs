//! [`RedisStore`]: revocations shared by every instance through Redis.

use std::time::Duration;

use redis::{
    AsyncCommands, Client, Script, SetExpiry, SetOptions,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{
    Cutoff, CutoffRecord, Rotation, RotationRequest, StoreError, TokenFacts, TokenStore, key, now,
};

/// Replaces the family's current refresh token if `presented` is it;
/// otherwise revokes the family. One script, so two concurrent refreshes with
/// the same token cannot both win.
/// KEYS: the family's current token, its revocation, the token it replaced.
/// ARGV: presented, next, keep (seconds, 0: for good), family id, reuse
/// interval (milliseconds, 0: none).
const ROTATE: &str = r#"
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
return 'reused'
"#;

/// Merges a cut-off into an identity's record, as `CutoffRecord::apply` does.
/// KEYS: the record. ARGV: issued up to (ms), the session spared ('' for
/// none), keep (seconds, 0: for good).
const CUTOFF: &str = r#"
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
if ttl > 0 then redis.call('SET', KEYS[1], text, 'EX', ttl) else redis.call('SET', KEYS[1], text) end
return text
"#;

/// A [`TokenStore`] in Redis (the `redis` feature), for several instances
/// behind a load balancer: a revocation made through one is seen by all at
/// once. Keys expire with their token (TTL = remaining lifetime).
///
/// It connects lazily and reconnects by itself after Redis restarts; while
/// Redis cannot answer within the timeouts, requests to guarded routes are
/// denied with 503 (fail closed). Build it inside the actix runtime (in
/// `main` under `#[actix_web::main]`).
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
    connection: ConnectionManager,
    prefix: String,
    rotate: Script,
    cutoff: Script,
    /// The most any call waits for Redis, connecting and retrying included.
    deadline: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("response_timeout", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Options of a [`RedisStore`].
#[derive(Clone)]
#[must_use = "call `build()` to get a RedisStore"]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    response_timeout: Duration,
    connection_timeout: Duration,
}

/// The URL may hold a password: it is not shown.
impl std::fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("response_timeout", &self.response_timeout)
            .field("connection_timeout", &self.connection_timeout)
            .finish()
    }
}

impl RedisStore {
    /// A builder for the Redis server at `url` (`redis://host:port/db`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "actix-jwt-extended:".into(),
            response_timeout: Duration::from_millis(500),
            connection_timeout: Duration::from_millis(500),
        }
    }

    fn key(&self, name: String) -> String {
        format!("{}{name}", self.prefix)
    }
}

impl RedisStoreBuilder {
    /// Prefix of every key, to share a Redis database. Defaults to
    /// `actix-jwt-extended:`.
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

    /// Checks the URL and prepares a lazy connection; nothing is sent yet.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let client = Client::open(self.url.as_str()).map_err(|e| StoreError::new(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.response_timeout))
            .set_connection_timeout(Some(self.connection_timeout))
            // Fail fast while Redis is away; the next request tries again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::new(e.to_string()))?;
        Ok(RedisStore {
            connection,
            prefix: self.prefix,
            rotate: Script::new(ROTATE),
            cutoff: Script::new(CUTOFF),
            deadline: self.response_timeout,
        })
    }
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::new(error.to_string())
}

/// 9999-12-31T23:59:59Z: later expiries are kept without one.
const LAST_EXPIRY: i64 = crate::claims::LAST_DATE;

/// Seconds left until `until`, for the rotation script; 0 (no TTL) for never
/// and past [`LAST_EXPIRY`].
fn ttl(until: Option<i64>) -> i64 {
    until
        .filter(|until| *until <= LAST_EXPIRY)
        .map_or(0, |until| until.saturating_sub(now()).max(1))
}

impl RedisStore {
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

    async fn set(&self, key: String, value: String, until: Option<i64>) -> Result<(), StoreError> {
        if until.is_some_and(|until| until <= now()) {
            return Ok(()); // Already expired: nothing to remember.
        }
        let mut options = SetOptions::default();
        // Redis refuses an expiry past year 292 million; a token that lives
        // past year 9999 is as good as never expiring: keep it for good.
        if let Some(until) = until.filter(|until| *until <= LAST_EXPIRY) {
            options = options.with_expiration(SetExpiry::EXAT(until as u64));
        }
        let mut connection = self.connection.clone();
        self.within(connection.set_options::<_, _, ()>(self.key(key), value, options))
            .await
    }
}

impl TokenStore for RedisStore {
    async fn is_revoked(&self, token: TokenFacts<'_>) -> Result<bool, StoreError> {
        let keys = [
            self.key(key::jti(token.jti.unwrap_or_default())),
            self.key(key::family_revoked(token.session.unwrap_or_default())),
            self.key(key::identity_cutoff(token.identity)),
        ];
        let mut connection = self.connection.clone();
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
        self.set(key::jti(jti), "1".into(), expires_at).await
    }

    async fn revoke_session(
        &self,
        session: &str,
        keep_until: Option<i64>,
    ) -> Result<(), StoreError> {
        self.set(key::family_revoked(session), "1".into(), keep_until)
            .await?;
        let mut connection = self.connection.clone();
        let state = [
            self.key(key::family(session)),
            self.key(key::family_previous(session)),
        ];
        self.within(connection.del::<_, ()>(&state)).await
    }

    async fn revoke_identity(&self, cutoff: Cutoff<'_>) -> Result<(), StoreError> {
        if cutoff.keep_until.is_some_and(|until| until <= now()) {
            return Ok(()); // Every token it covers has expired: nothing to remember.
        }
        let mut connection = self.connection.clone();
        let mut invocation = self
            .cutoff
            .key(self.key(key::identity_cutoff(cutoff.identity)));
        invocation
            .arg(cutoff.issued_up_to_ms)
            .arg(cutoff.except_session.unwrap_or_default())
            .arg(ttl(cutoff.keep_until));
        self.within(invocation.invoke_async::<String>(&mut connection))
            .await
            .map(drop)
    }

    async fn rotate(&self, rotation: RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let family = rotation.family;
        let mut connection = self.connection.clone();
        let mut invocation = self.rotate.key(self.key(key::family(family)));
        invocation
            .key(self.key(key::family_revoked(family)))
            .key(self.key(key::family_previous(family)))
            .arg(rotation.presented)
            .arg(rotation.next)
            .arg(ttl(rotation.keep_until))
            .arg(family)
            .arg(u64::try_from(rotation.reuse_interval.as_millis()).unwrap_or(u64::MAX));
        let outcome: String = self
            .within(invocation.invoke_async(&mut connection))
            .await?;
        match outcome.as_str() {
            "rotated" => Ok(Rotation::Rotated),
            "reused" => Ok(Rotation::Reused),
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
