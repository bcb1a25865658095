//! `RedisStore` against real Redis servers: `.ci/run` starts one
//! (`REDIS_URL`) and a three-node cluster (`REDIS_CLUSTER_URLS`); the drills
//! start, stop and restart `redis-server` processes of their own. Under
//! `CI=true` a missing Redis fails these tests.
#![cfg(feature = "redis")]

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{
    SECRET, bearer, call, guarded, in_ci, manager_with as manager, msg, redis_url,
};
use actix_jwt_extended::{
    JwtError, JwtManager,
    store::{Cutoff, RedisStore, RedisStoreBuilder, TokenStore},
};
use actix_web::http::Method;

/// A store with a prefix of its own, so tests do not see each other's keys.
fn store(url: &str, prefix: &str) -> RedisStore {
    Deployment::Server(url.to_owned()).store(prefix)
}

/// A Redis the tests run against: one server, or a cluster.
#[derive(Debug, Clone)]
enum Deployment {
    Server(String),
    Cluster(Vec<String>),
}

impl Deployment {
    /// Every deployment `.ci/run` starts (outside CI, those that are there).
    fn all() -> Vec<Self> {
        let server = redis_url().map(Self::Server);
        let cluster = crate::common::redis_cluster_urls().map(Self::Cluster);
        server.into_iter().chain(cluster).collect()
    }

    /// A builder for the key prefix `prefix` (a hash tag in a cluster).
    fn builder(&self, prefix: &str) -> RedisStoreBuilder {
        match self {
            Self::Server(url) => RedisStore::builder(url).key_prefix(prefix),
            Self::Cluster(nodes) => {
                RedisStore::cluster_builder(nodes.clone()).key_prefix(format!("{{{prefix}}}:"))
            }
        }
    }

    /// A store with a prefix of its own, so tests do not see each other's keys.
    fn store(&self, prefix: &str) -> RedisStore {
        self.store_with(prefix, true)
    }

    /// [`store`](Self::store), with or without the local mirror.
    fn store_with(&self, prefix: &str, mirror: bool) -> RedisStore {
        self.builder(&format!("test:{prefix}:{}:", uuid::Uuid::new_v4()))
            .mirror(mirror)
            .build()
            .unwrap()
    }
}

/// Calls `app` with `token` until it is refused as revoked; how long that
/// took. Fails after two seconds: the feed delivers in a round trip.
async fn refused_within<B: actix_web::body::MessageBody>(
    app: &impl crate::common::TestApp<B>,
    token: &str,
) -> Duration {
    let started = Instant::now();
    loop {
        match call(app, Method::GET, "/p", Some(&bearer(token))).await {
            (actix_web::http::StatusCode::UNAUTHORIZED, body) => {
                assert_eq!(body, msg("Token has been revoked"));
                return started.elapsed();
            }
            (status, _) => assert_eq!(status, 200, "accepted or refused, nothing else"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "another instance still accepts a revoked token after 2 s"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Asserts that `app` refuses `token` as revoked on the first try.
async fn refused_at_once<B: actix_web::body::MessageBody>(
    app: &impl crate::common::TestApp<B>,
    token: &str,
) {
    assert_eq!(
        call(app, Method::GET, "/p", Some(&bearer(token))).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has been revoked")
        )
    );
}

/// Waits until `store`'s mirror has caught up with Redis.
async fn mirror_current(store: &RedisStore) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !store.mirror_is_current() {
        assert!(Instant::now() < deadline, "the mirror never caught up");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_web::test]
async fn a_revocation_through_one_instance_is_refused_there_at_once_and_soon_by_another() {
    for deployment in Deployment::all() {
        revocation_through_one_instance(&deployment).await;
    }
}

async fn revocation_through_one_instance(deployment: &Deployment) {
    let prefix = format!("shared:{}:", uuid::Uuid::new_v4());
    let stores = [(); 2].map(|()| deployment.builder(&prefix).build().unwrap());
    for store in &stores {
        mirror_current(store).await;
    }
    let [one, two] = stores.clone().map(manager);
    let (app_one, app_two) = (guarded!(one.clone()), guarded!(two.clone()));
    let token = one.create_access_token("alice").unwrap();
    assert_eq!(
        call(&app_two, Method::GET, "/p", Some(&bearer(&token)))
            .await
            .0,
        200
    );
    // A token: refused by the instance that revoked it with its next request.
    one.revoke_token(&one.decode_token(&token).unwrap())
        .await
        .unwrap();
    refused_at_once(&app_one, &token).await;
    refused_within(&app_two, &token).await;
    // Log out everywhere through instance two, seen by instance one.
    let other = one.create_access_token("bob").unwrap();
    two.revoke_all_tokens("bob").await.unwrap();
    refused_at_once(&app_two, &other).await;
    refused_within(&app_one, &other).await;
    // A session through instance one, seen by instance two.
    let pair = two.create_token_pair("carol").unwrap();
    one.end_session(&one.decode_token(&pair.refresh_token).unwrap())
        .await
        .unwrap();
    refused_at_once(&app_one, &pair.access_token).await;
    refused_within(&app_two, &pair.access_token).await;
    // All of it answered by the mirrors, not by asking Redis, and the feeds
    // stay up while nothing happens (longer than their read timeout).
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(2500) {
        assert!(
            stores.iter().all(RedisStore::mirror_is_current),
            "{deployment:?}: a quiet feed gave up after {:?}",
            quiet.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix_web::test]
async fn revocation_keys_expire_with_the_token() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("ttl:{}:", uuid::Uuid::new_v4());
    let jwt = manager(
        RedisStore::builder(&url)
            .key_prefix(&prefix)
            .build()
            .unwrap(),
    );
    let token = jwt
        .access_token_builder("t")
        .expires(Duration::from_secs(100))
        .encode()
        .unwrap();
    let decoded = jwt.decode_token(&token).unwrap();
    jwt.revoke_token(&decoded).await.unwrap();
    let mut connection = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!("{prefix}jti:{}", decoded.jti().unwrap());
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .unwrap();
    let remaining = decoded.expires_at().unwrap() - crate::common::now() as i64;
    assert!(
        (remaining - 2..=remaining).contains(&ttl),
        "TTL {ttl}, token has {remaining} s left"
    );
    // Tokens that already expired leave nothing behind; live ones do.
    let now = crate::common::now() as i64;
    let store = RedisStore::builder(&url)
        .key_prefix(&prefix)
        .build()
        .unwrap();
    store.revoke("gone", Some(now - 5)).await.unwrap();
    store.revoke("live", Some(now + 60)).await.unwrap();
    store
        .revoke_identity(Cutoff::new("gone-user", now * 1000, None, Some(now - 5)))
        .await
        .unwrap();
    store
        .revoke_identity(Cutoff::new("live-user", now * 1000, None, Some(now + 60)))
        .await
        .unwrap();
    let keys = [
        ("jti:gone", 0),
        ("jti:live", 1),
        ("sub-cutoff:gone-user", 0),
        ("sub-cutoff:live-user", 1),
    ];
    for (key, exists) in keys {
        let found: i64 = redis::cmd("EXISTS")
            .arg(format!("{prefix}{key}"))
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(found, exists, "{key}");
    }
    // The live cut-off is kept until its keep-until, not for good.
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}sub-cutoff:live-user"))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!((57..=60).contains(&ttl), "TTL {ttl} for 60 s");
}

#[actix_web::test]
async fn rotation_through_redis_detects_reuse_and_races() {
    for deployment in Deployment::all() {
        rotation_detects_reuse_and_races(&deployment).await;
    }
}

async fn rotation_detects_reuse_and_races(deployment: &Deployment) {
    let prefix = format!("rotation:{}:", uuid::Uuid::new_v4());
    let [jwt, other] = [(); 2].map(|()| manager(deployment.builder(&prefix).build().unwrap()));
    let app = guarded!(jwt.clone());
    let decoded = |token: &str| jwt.decode_token(token).unwrap();
    let first = jwt.create_token_pair("alice").unwrap();
    let second = jwt
        .rotate_refresh_token(&decoded(&first.refresh_token))
        .await
        .unwrap();
    let third = jwt
        .rotate_refresh_token(&decoded(&second.refresh_token))
        .await
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&third.access_token)))
            .await
            .0,
        200
    );
    assert_eq!(
        jwt.rotate_refresh_token(&decoded(&first.refresh_token))
            .await
            .unwrap_err(),
        JwtError::Revoked
    );
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&third.access_token)))
            .await
            .0,
        401
    );

    // Two sessions of one user rotate in turn: each family keeps its own
    // state, so neither looks like a reuse of the other.
    let [phone, laptop] = [(); 2].map(|()| jwt.create_token_pair("bob").unwrap());
    let mut current = [phone, laptop];
    for _ in 0..2 {
        for pair in &mut current {
            *pair = jwt
                .rotate_refresh_token(&decoded(&pair.refresh_token))
                .await
                .unwrap();
        }
    }

    // Concurrent refreshes with one refresh token, on two instances:
    // exactly one wins.
    let pair = jwt.create_token_pair("race").unwrap();
    let token = decoded(&pair.refresh_token);
    let racers: Vec<_> = (0..8)
        .map(|i| [&jwt, &other][i % 2].rotate_refresh_token(&token))
        .collect();
    let results = futures_util::future::join_all(racers).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Ok(_) | Err(JwtError::Revoked))),
        "{results:?}"
    );
}

/// A `redis-server` of this test's own, which it can stop and start.
struct OwnRedis {
    child: Option<Child>,
}

impl OwnRedis {
    fn start(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            assert!(
                !in_ci(),
                "CI=true but redis-server cannot be started: .ci/run installs it"
            );
            crate::common::skipped("redis-server not found");
            return None;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child: Some(child) })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two instances on a Redis of their own, with their mirrors current.
async fn two_instances(url: &str) -> ([RedisStore; 2], [JwtManager; 2]) {
    let prefix = format!("drill:{}:", uuid::Uuid::new_v4());
    let stores = [(); 2].map(|()| {
        RedisStore::builder(url)
            .key_prefix(&prefix)
            .build()
            .unwrap()
    });
    for store in &stores {
        mirror_current(store).await;
    }
    let managers = stores.clone().map(manager);
    (stores, managers)
}

/// Waits until `store` has noticed that its feed is gone.
async fn mirror_given_up(store: &RedisStore) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.mirror_is_current() {
        assert!(Instant::now() < deadline, "a broken feed went unnoticed");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_web::test]
async fn with_redis_down_requests_fail_closed_and_recover_when_it_returns() {
    let port = free_port();
    let Some(mut redis) = OwnRedis::start(port) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{port}/");
    let (stores, [one, two]) = two_instances(&url).await;
    let (app_one, app_two) = (guarded!(one.clone()), guarded!(two.clone()));
    let revoked_before = one.create_access_token("before").unwrap();
    one.revoke_token(&one.decode_token(&revoked_before).unwrap())
        .await
        .unwrap();
    refused_within(&app_two, &revoked_before).await;
    let token = bearer(&one.create_access_token("o").unwrap());
    assert_eq!(call(&app_two, Method::GET, "/p", Some(&token)).await.0, 200);

    // Redis dies under load: a revoked token is never let through, a valid
    // one is accepted or refused with 503, nothing else.
    let load = |app, token: String, allowed: &'static [u16]| async move {
        for _ in 0..25 {
            let status = call(app, Method::GET, "/p", Some(&bearer(&token))).await.0;
            assert!(allowed.contains(&status.as_u16()), "{status}");
        }
    };
    let valid = token[7..].to_owned();
    let during = futures_util::future::join5(
        load(&app_one, valid.clone(), &[200, 503]),
        load(&app_two, valid, &[200, 503]),
        load(&app_one, revoked_before.clone(), &[401]),
        load(&app_two, revoked_before.clone(), &[401]),
        async { redis.stop() },
    );
    during.await;
    for store in &stores {
        mirror_given_up(store).await;
    }
    // What the mirrors know to be revoked stays refused without Redis.
    for app in [&app_one, &app_two] {
        refused_at_once(app, &revoked_before).await;
    }
    for app in [&app_one, &app_two] {
        for _ in 0..3 {
            let started = Instant::now();
            assert_eq!(
                call(app, Method::GET, "/p", Some(&token)).await,
                (
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    msg("Token revocation store unavailable")
                )
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "took {:?}",
                started.elapsed()
            );
        }
    }
    // A revocation during the outage fails, and says so.
    let decoded = one.decode_token(&token[7..]).unwrap();
    assert!(matches!(
        one.revoke_token(&decoded).await,
        Err(JwtError::StoreUnavailable(_))
    ));

    // Redis comes back empty (no persistence): both instances recover
    // without a restart, and still refuse what was revoked before.
    let _redis = OwnRedis::start(port).expect("redis-server restarts");
    let deadline = Instant::now() + Duration::from_secs(15);
    for app in [&app_one, &app_two] {
        loop {
            let (status, _) = call(app, Method::GET, "/p", Some(&token)).await;
            if status == 200 {
                break;
            }
            assert_eq!(status, 503, "only the documented status while reconnecting");
            assert!(
                Instant::now() < deadline,
                "did not recover after Redis came back"
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for store in &stores {
        mirror_current(store).await;
    }
    for app in [&app_one, &app_two] {
        refused_at_once(app, &revoked_before).await;
    }
}

/// The client ids of the feed connections of every store on the Redis at
/// `url`.
async fn feed_ids(connection: &mut redis::aio::MultiplexedConnection) -> Vec<String> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(connection)
        .await
        .unwrap();
    list.lines()
        .filter(|line| line.contains("name=actix-jwt-extended-feed"))
        .map(|line| {
            line.split(' ')
                .find_map(|field| field.strip_prefix("id="))
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// Kills the feed connections of every store on the Redis at `url`.
async fn kill_feeds(url: &str) -> usize {
    let mut connection = connect(url).await;
    let mut killed = 0;
    for id in feed_ids(&mut connection).await {
        let gone: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut connection)
            .await
            .unwrap();
        killed += gone as usize;
    }
    killed
}

/// A feed that broke after catching up tries again at once (20 ms),
/// however many breaks came before: the pause doubles only while it cannot
/// get back, so one bad minute does not leave every later break with a
/// second of asking Redis directly.
#[actix_web::test]
async fn after_each_break_the_feed_is_back_at_once() {
    let port = free_port();
    let Some(_redis) = OwnRedis::start(port) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{port}/");
    let store = store(&url, "breaks");
    let mut connection = connect(&url).await;
    for round in 0..8 {
        mirror_current(&store).await;
        let before = feed_ids(&mut connection).await;
        assert_eq!(kill_feeds(&url).await, 1);
        let killed = Instant::now();
        loop {
            let now = feed_ids(&mut connection).await;
            if !now.is_empty() && now != before {
                break;
            }
            assert!(
                killed.elapsed() < Duration::from_millis(500),
                "break {round}: the feed was not back after 500 ms"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[actix_web::test]
async fn a_broken_feed_is_noticed_caught_up_and_misses_nothing() {
    let port = free_port();
    let Some(_redis) = OwnRedis::start(port) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{port}/");
    let (stores, [one, two]) = two_instances(&url).await;
    let app_two = guarded!(two.clone());
    assert_eq!(kill_feeds(&url).await, 2);
    // Revocations made through instance one while the feeds are down.
    let tokens: Vec<String> = (0..20)
        .map(|i| one.create_access_token(format!("gap-{i}")).unwrap())
        .collect();
    for token in &tokens {
        one.revoke_token(&one.decode_token(token).unwrap())
            .await
            .unwrap();
    }
    let pair = one.create_token_pair("gap-session").unwrap();
    one.end_session(&one.decode_token(&pair.access_token).unwrap())
        .await
        .unwrap();
    let everywhere = one.create_access_token("gap-everywhere").unwrap();
    one.revoke_all_tokens("gap-everywhere").await.unwrap();
    // Whether instance two answers from Redis (feed down) or from its
    // mirror (caught up again), every one of them is refused.
    for token in tokens.iter().chain([&pair.access_token, &everywhere]) {
        refused_within(&app_two, token).await;
    }
    for store in &stores {
        mirror_current(store).await;
    }
    for token in tokens.iter().chain([&pair.access_token, &everywhere]) {
        refused_at_once(&app_two, token).await;
    }
}

/// A token whose `exp` lies past what Redis can expire (`1e300`) is still
/// revocable: the revocation is kept for good.
#[actix_web::test]
async fn a_token_with_an_absurd_exp_can_still_be_revoked_through_redis() {
    let Some(url) = redis_url() else { return };
    let jwt = manager(store(&url, "absurd"));
    let mut payload = crate::common::flask_payload("access");
    payload["exp"] = serde_json::json!(1e300);
    let token = crate::common::hs256(&payload);
    let app = guarded!(jwt.clone());
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await.0,
        200
    );
    jwt.revoke_token(&jwt.decode_token(&token).unwrap())
        .await
        .unwrap();
    assert_eq!(
        call(&app, Method::GET, "/p", Some(&bearer(&token))).await,
        (
            actix_web::http::StatusCode::UNAUTHORIZED,
            msg("Token has been revoked")
        )
    );
    // Refresh tokens that never expire in practice (7000 years; longer is a
    // build error) rotate, and a reuse still revokes their family.
    let jwt = JwtManager::builder()
        .secret(SECRET)
        .allow_short_secret()
        .refresh_token_expires(Duration::from_secs(7000 * 365 * 24 * 3600))
        .token_store(store(&url, "absurd-rotation"))
        .build()
        .unwrap();
    let pair = jwt.create_token_pair("alice").unwrap();
    let root = jwt.decode_token(&pair.refresh_token).unwrap();
    let rotated = jwt.rotate_refresh_token(&root).await.unwrap();
    assert_eq!(
        jwt.rotate_refresh_token(&root).await.unwrap_err(),
        JwtError::Revoked
    );
    let next = jwt.decode_token(&rotated.refresh_token).unwrap();
    assert_eq!(
        jwt.rotate_refresh_token(&next).await.unwrap_err(),
        JwtError::Revoked
    );
}

/// A Redis that accepts connections but never answers: a store call gives
/// up within `response_timeout`, the documented bound, retries included.
#[actix_web::test]
async fn a_silent_redis_is_given_up_on_within_the_response_timeout() {
    // A listener that accepts and never answers: no Redis server needed.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let mut held = Vec::new();
        silent.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until {
            if let Ok((stream, _)) = silent.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let timeout = Duration::from_millis(800);
    let store = RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .response_timeout(timeout)
        .connection_timeout(timeout)
        .build()
        .unwrap();
    for _ in 0..2 {
        let started = Instant::now();
        let answer = store
            .is_revoked(actix_jwt_extended::store::TokenFacts::new(
                "j", "u", None, None,
            ))
            .await;
        let waited = started.elapsed();
        assert!(answer.is_err(), "{answer:?}");
        // Generous for a busy machine, but below the two timeouts the hidden
        // retry used to add up to.
        assert!(
            waited < timeout * 3 / 2,
            "waited {waited:?} for a {timeout:?} timeout"
        );
    }
    drop(accepted);
}

/// The session, "other devices", same-second and reuse-interval stories of
/// the memory store, and a token revoked alone, told through Redis, with
/// and without the local mirror.
#[actix_web::test]
async fn sessions_other_devices_same_second_reuse_interval_and_tokens_through_redis() {
    use crate::revocation::{
        a_refresh_after_the_reuse_interval_is_theft,
        a_refresh_within_the_reuse_interval_is_not_theft,
        ending_a_session_covers_rotation_and_tokens_minted_outside_a_pair,
        log_out_everywhere_orders_tokens_within_the_same_second,
        other_devices_end_and_no_cutoff_undoes_another, with_reuse_interval,
    };
    for deployment in Deployment::all() {
        // With the mirror, and without: every check then asks Redis.
        for mirror in [true, false] {
            let store = deployment.store_with("sessions", mirror);
            assert!(mirror || !store.mirror_is_current());
            let jwt = manager(store);
            ending_a_session_covers_rotation_and_tokens_minted_outside_a_pair(&jwt).await;
            other_devices_end_and_no_cutoff_undoes_another(&jwt).await;
            log_out_everywhere_orders_tokens_within_the_same_second(&jwt).await;
            let lenient = with_reuse_interval(deployment.store_with("reuse", mirror));
            a_refresh_within_the_reuse_interval_is_not_theft(&jwt, &lenient).await;
            a_refresh_after_the_reuse_interval_is_theft(deployment.store_with("ended", mirror))
                .await;
            // A token revoked alone, by its `jti`.
            let [revoked, kept] =
                ["nina", "nina"].map(|user| jwt.create_access_token(user).unwrap());
            jwt.revoke_token(&jwt.decode_token(&revoked).unwrap())
                .await
                .unwrap();
            assert_eq!(
                crate::common::revocation_of(&jwt, &revoked).await,
                Some(JwtError::Revoked),
                "{deployment:?}, mirror {mirror}"
            );
            assert_eq!(crate::common::revocation_of(&jwt, &kept).await, None);
        }
    }
}

/// Revocations made before an instance starts are in its mirror as soon as
/// it is current: its catch-up scan reads every revocation key, on one
/// server and on the cluster node that holds the prefix's slot. Several
/// instances start, so that a scan of some other node would show.
#[actix_web::test]
async fn revocations_made_before_an_instance_starts_count_there_at_once() {
    for deployment in Deployment::all() {
        let prefix = format!("test:before:{}:", uuid::Uuid::new_v4());
        let jwt = manager(deployment.builder(&prefix).build().unwrap());
        let token = jwt.create_access_token("kate").unwrap();
        jwt.revoke_token(&jwt.decode_token(&token).unwrap())
            .await
            .unwrap();
        let session = jwt.create_token_pair("leo").unwrap();
        jwt.end_session(&jwt.decode_token(&session.access_token).unwrap())
            .await
            .unwrap();
        let everywhere = jwt.create_access_token("mia").unwrap();
        jwt.revoke_all_tokens("mia").await.unwrap();
        for _ in 0..4 {
            let late = deployment.builder(&prefix).build().unwrap();
            mirror_current(&late).await;
            let late_jwt = manager(late.clone());
            for revoked in [&token, &session.access_token, &everywhere] {
                assert_eq!(
                    crate::common::revocation_of(&late_jwt, revoked).await,
                    Some(JwtError::Revoked),
                    "{deployment:?}"
                );
            }
            assert!(late.mirror_is_current(), "{deployment:?}");
        }
    }
}

/// Revocations written by earlier versions (no feed; a cut-off in whole
/// seconds, as 0.1 wrote it) before the store starts still revoke what they
/// covered, answered by the mirror, and a new cut-off merges with them.
#[actix_web::test]
async fn revocations_from_an_earlier_version_still_count() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("test:legacy:{}:", uuid::Uuid::new_v4());
    let minting = crate::common::manager();
    let before = minting.create_access_token("ivan").unwrap();
    let iat = minting.decode_token(&before).unwrap().issued_at().unwrap();
    let revoked = minting.create_access_token("judy").unwrap();
    let revoked_jti = minting
        .decode_token(&revoked)
        .unwrap()
        .jti()
        .unwrap()
        .to_owned();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg(format!("{prefix}sub-cutoff:ivan"))
        .arg(iat.to_string())
        .exec_async(&mut connection)
        .await
        .unwrap();
    redis::cmd("SET")
        .arg(format!("{prefix}jti:{revoked_jti}"))
        .arg("1")
        .arg("EX")
        .arg(900)
        .exec_async(&mut connection)
        .await
        .unwrap();

    let store = RedisStore::builder(&url)
        .key_prefix(&prefix)
        .build()
        .unwrap();
    mirror_current(&store).await;
    let jwt = manager(store.clone());
    for token in [&before, &revoked] {
        assert_eq!(
            crate::common::revocation_of(&jwt, token).await,
            Some(JwtError::Revoked)
        );
    }
    while (crate::common::now() as i64) <= iat {
        std::thread::sleep(Duration::from_millis(20));
    }
    let other = jwt.create_token_pair("ivan").unwrap();
    jwt.end_other_sessions(&jwt.decode_token(&other.access_token).unwrap())
        .await
        .unwrap();
    assert_eq!(
        crate::common::revocation_of(&jwt, &before).await,
        Some(JwtError::Revoked)
    );
    assert_eq!(
        crate::common::revocation_of(&jwt, &other.access_token).await,
        None
    );
    assert!(store.mirror_is_current());
}

/// While Redis is down, the revocation feed tries again after a pause that
/// doubles (20 ms, 40 ms, ... up to 1 s): a handful of attempts in a second
/// and a half, never a tight loop. The "Redis" here accepts and hangs up.
#[actix_web::test]
async fn the_feed_backs_off_while_redis_is_down() {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering::SeqCst},
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&attempts);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, SeqCst);
            drop(stream);
        }
    });
    let store = RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .build()
        .unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let seen = attempts.load(SeqCst);
    drop(store);
    assert!((3..=40).contains(&seen), "{seen} attempts in 1.5 s");
}

/// A store's `Debug` shows its prefix and state, never its URL, which may
/// hold a password.
#[actix_web::test]
async fn debug_shows_the_prefix_but_never_the_url() {
    let builder = RedisStore::builder("redis://:hunter2@127.0.0.1:1/")
        .key_prefix("app:")
        .mirror(false);
    let debug = format!("{builder:?}");
    assert!(
        debug.starts_with(
            "RedisStoreBuilder { nodes: \"<redacted>\", cluster: false, prefix: \"app:\""
        ),
        "{debug}"
    );
    let store = builder.build().unwrap();
    let debug = format!("{store:?}");
    assert!(
        debug.starts_with("RedisStore { prefix: \"app:\""),
        "{debug}"
    );
    assert!(!debug.contains("hunter2"), "{debug}");
}

/// In a cluster every key of the store must share a slot: a prefix without
/// a non-empty hash tag is refused when the store is built.
#[actix_web::test]
async fn a_cluster_prefix_needs_a_hash_tag() {
    let nodes = ["redis://127.0.0.1:1/"];
    for prefix in ["app:", "{}:app:", "app:{:", "app}{"] {
        let built = RedisStore::cluster_builder(nodes)
            .key_prefix(prefix)
            .build();
        let error = built.expect_err(prefix).to_string();
        assert!(error.contains("has no hash tag"), "{prefix}: {error}");
    }
    for prefix in ["{app}:", "x{a}y:"] {
        let built = RedisStore::cluster_builder(nodes)
            .key_prefix(prefix)
            .mirror(false)
            .build();
        assert!(built.is_ok(), "{prefix}");
    }
}

/// A stand-in for Redis that serves the revocation feed a backlog in two
/// reads and holds the second until the test lets it go.
mod backlog {
    use std::{
        io::{BufRead, BufReader, Read, Write},
        net::{TcpListener, TcpStream},
        sync::{Arc, Mutex, mpsc},
        time::Duration,
    };

    /// One command as the client sent it, or `None` once it hung up.
    fn command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let count: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
        (0..count)
            .map(|_| {
                line.clear();
                reader.read_line(&mut line).ok()?;
                let len: usize = line.trim_end().strip_prefix('$')?.parse().ok()?;
                let mut bytes = vec![0; len + 2];
                reader.read_exact(&mut bytes).ok()?;
                bytes.truncate(len);
                String::from_utf8(bytes).ok()
            })
            .collect()
    }

    fn bulk(text: &str) -> String {
        format!("${}\r\n{text}\r\n", text.len())
    }

    /// An `XREAD` reply: revocations of the `jti`s of `entries`, kept until
    /// `until`, at stream positions `1-<n>`.
    fn xread(stream: &str, entries: &[(usize, String)], until: i64) -> String {
        let mut reply = format!("*1\r\n*2\r\n{}*{}\r\n", bulk(stream), entries.len());
        for (position, jti) in entries {
            reply += &format!("*2\r\n{}*6\r\n", bulk(&format!("1-{position}")));
            for field in ["k", "jti", "i", jti, "u", &until.to_string()] {
                reply += &bulk(field);
            }
        }
        reply
    }

    /// The stand-in's port. `first` and `second` are the two reads' entries;
    /// when the second read arrives, `arrived` is told, and the reply waits
    /// for `go`. Reads after those wait for news that never comes.
    pub fn serve(
        first: Vec<(usize, String)>,
        second: Vec<(usize, String)>,
        until: i64,
        arrived: mpsc::Sender<()>,
        go: mpsc::Receiver<()>,
    ) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let reads = Arc::new(Mutex::new((0, Some(arrived), Some(go))));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (reads, first, second) = (Arc::clone(&reads), first.clone(), second.clone());
                std::thread::spawn(move || {
                    let mut writer = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    while let Some(command) = command(&mut reader) {
                        let reply = match command[0].to_ascii_uppercase().as_str() {
                            "XREVRANGE" => "*0\r\n".to_owned(),
                            "SCAN" => "*2\r\n$1\r\n0\r\n*0\r\n".to_owned(),
                            "XREAD" => {
                                let stream = &command[command.len() - 2];
                                let mut reads = reads.lock().unwrap();
                                reads.0 += 1;
                                match reads.0 {
                                    1 => xread(stream, &first, until),
                                    2 => {
                                        reads.1.take().unwrap().send(()).unwrap();
                                        reads.2.take().unwrap().recv().unwrap();
                                        xread(stream, &second, until)
                                    }
                                    _ => {
                                        drop(reads);
                                        std::thread::sleep(Duration::from_millis(100));
                                        "*-1\r\n".to_owned()
                                    }
                                }
                            }
                            _ => "+OK\r\n".to_owned(),
                        };
                        if writer.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        port
    }
}

/// The mirror says it is current only once its feed has read the whole
/// stream: a full read (1 000 entries) may have more behind it. The feed
/// meets a backlog of 1 003 revocations; while it waits for the second
/// read, the store still asks Redis, and after it every one of them is
/// refused by the mirror.
#[actix_web::test]
async fn the_mirror_is_current_only_after_the_whole_backlog_is_read() {
    let minting = crate::common::manager();
    let tokens: Vec<String> = (0..1003)
        .map(|i| minting.create_access_token(format!("u{i}")).unwrap())
        .collect();
    let entries: Vec<(usize, String)> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let jti = minting
                .decode_token(token)
                .unwrap()
                .jti()
                .unwrap()
                .to_owned();
            (i + 1, jti)
        })
        .collect();
    let (arrived, second_read) = std::sync::mpsc::channel();
    let (go, held) = std::sync::mpsc::channel();
    let until = crate::common::now() as i64 + 600;
    let port = backlog::serve(
        entries[..1000].to_vec(),
        entries[1000..].to_vec(),
        until,
        arrived,
        held,
    );
    let store = RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while second_read.try_recv().is_err() {
        assert!(Instant::now() < deadline, "the feed never read again");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !store.mirror_is_current(),
        "current after a full read, with more to come"
    );
    go.send(()).unwrap();
    mirror_current(&store).await;
    let jwt = manager(store.clone());
    for token in [&tokens[0], &tokens[999], &tokens[1000], &tokens[1002]] {
        assert_eq!(
            crate::common::revocation_of(&jwt, token).await,
            Some(JwtError::Revoked)
        );
    }
    assert!(store.mirror_is_current());
}
