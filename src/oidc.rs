//! Verifying an OpenID provider's access tokens (feature `oidc`): discovery,
//! a remote JWK Set kept with care, and the rules of an OAuth resource
//! server. [`OidcProvider`] goes to
//! [`JwtManagerBuilder::oidc`](crate::manager::JwtManagerBuilder::oidc).
//!
//! ```no_run
//! use actix_jwt_extended::{JwtManager, JwtRequired, Require, oidc::OidcProvider};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder()
//!     .oidc(OidcProvider::discover("https://login.example.com/realms/main").audience("my-api"))?
//!     .build()?;
//! // Routes: `JwtRequired::new()`; those that need a scope:
//! let admin_only = JwtRequired::new().require(Require::scopes(["admin"]));
//! # Ok(()) }
//! ```
//!
//! The key set:
//! - is fetched when the manager is built inside the actix runtime (else on
//!   the first request that needs it), from the provider's
//!   `jwks_uri` (discovery at `{issuer}/.well-known/openid-configuration`,
//!   whose `issuer` must be the configured one) or a JWKS URL;
//! - is kept for the JWKS response's `Cache-Control: max-age` (5 minutes
//!   when absent, within [`cache_bounds`](OidcProvider::cache_bounds)), then
//!   fetched again;
//! - is fetched again at most once per
//!   [`refetch_interval`](OidcProvider::refetch_interval) (10 s) for tokens
//!   whose `kid` it does not know, one fetch for all the requests waiting,
//!   so made-up `kid`s cannot flood the provider;
//! - stays in use while the provider cannot be reached; until a first set
//!   was fetched, requests are answered 503 `Signing keys unavailable`.
//!
//! Only signature keys verify, each only with its own algorithm; a key
//! published without `alg` gets its type's one (RS256 for RSA, ES256 or
//! ES384 by curve, EdDSA for Ed25519).

use std::{
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};

use crate::{
    keyloader::{DynDecodeKeyLoader, LoaderError},
    keyring::Key,
};

/// Where the provider's keys are published.
#[derive(Debug, Clone)]
enum Location {
    /// OpenID Connect discovery at the issuer.
    Discovery,
    /// A JWK Set URL.
    Jwks(String),
}

/// An OpenID provider (or any OAuth authorization server with a JWK Set)
/// whose access tokens a verify-only manager accepts.
#[derive(Debug, Clone)]
#[must_use]
pub struct OidcProvider {
    pub(crate) issuer: String,
    location: Location,
    pub(crate) audience: Vec<String>,
    pub(crate) require_at_jwt: bool,
    pub(crate) leeway: Duration,
    refetch_interval: Duration,
    cache_bounds: (Duration, Duration),
    timeout: Duration,
}

impl OidcProvider {
    fn new(issuer: impl Into<String>, location: Location) -> Self {
        Self {
            issuer: issuer.into(),
            location,
            audience: Vec::new(),
            require_at_jwt: false,
            leeway: Duration::from_secs(30),
            refetch_interval: Duration::from_secs(10),
            cache_bounds: (Duration::from_secs(60), Duration::from_secs(24 * 3600)),
            timeout: Duration::from_secs(5),
        }
    }

    /// The provider at `issuer`, found by OpenID Connect discovery
    /// (`{issuer}/.well-known/openid-configuration` names the `jwks_uri`).
    /// Tokens must carry this `iss`.
    pub fn discover(issuer: impl Into<String>) -> Self {
        Self::new(issuer, Location::Discovery)
    }

    /// The issuer `issuer` whose keys are published at `jwks_url`, without
    /// discovery.
    pub fn jwks_url(issuer: impl Into<String>, jwks_url: impl Into<String>) -> Self {
        Self::new(issuer, Location::Jwks(jwks_url.into()))
    }

    /// The audience this API is: a token's `aud` must contain it (several
    /// calls: any of them). Required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Accept only RFC 9068 access tokens (`typ: at+jwt`), never an ID
    /// token of the same provider. Defaults to `false` (many providers type
    /// their access tokens `JWT`).
    pub fn require_at_jwt(mut self, require: bool) -> Self {
        self.require_at_jwt = require;
        self
    }

    /// Clock skew allowed on `exp`, `nbf` and `iat`. Defaults to 30 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How often a token with an unknown `kid` may make the key set be
    /// fetched again. Defaults to 10 s.
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// The least and the most a fetched key set is kept, whatever its
    /// `Cache-Control` says. Defaults to 1 minute and 1 day.
    pub fn cache_bounds(mut self, least: Duration, most: Duration) -> Self {
        self.cache_bounds = (least, most.max(least));
        self
    }

    /// How long one fetch may take. Defaults to 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The decode key loader that serves this provider's keys; inside the
    /// actix runtime (a `main` under `#[actix_web::main]`), it starts
    /// fetching them at once.
    pub(crate) fn remote_keys(&self) -> Arc<RemoteKeys> {
        let keys = Arc::new(RemoteKeys {
            provider: self.clone(),
            set: RwLock::new(Arc::new(KeySet::default())),
            fetching: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        });
        if actix_web::rt::System::try_current().is_some() {
            let prefetching = Arc::clone(&keys);
            actix_web::rt::spawn(async move {
                let _fetching = prefetching.fetching.lock().await;
                // Unless a request got there first and fetched.
                if prefetching.generation.load(Ordering::Acquire) == 0 {
                    prefetching.refresh(Instant::now()).await;
                }
            });
        }
        keys
    }
}

/// The keys as last fetched.
#[derive(Default)]
struct KeySet {
    keys: Vec<Key>,
    /// Whether a set was ever fetched.
    fetched: bool,
    /// When the set should be fetched again.
    expires: Option<Instant>,
    /// When a fetch was last tried, successful or not.
    tried: Option<Instant>,
    /// When an unknown `kid` last made the set be fetched.
    refetched_for_kid: Option<Instant>,
    /// The `jwks_uri` discovery gave.
    jwks_uri: Option<String>,
}

impl KeySet {
    /// The key a token's `kid` names; without a `kid`, the only key.
    fn find(&self, kid: Option<&str>) -> Option<Key> {
        match kid {
            Some(kid) => self.keys.iter().find(|key| key.kid() == Some(kid)).cloned(),
            None if self.keys.len() == 1 => self.keys.first().cloned(),
            None => None,
        }
    }

    fn expired(&self, now: Instant) -> bool {
        self.expires.is_none_or(|expires| now >= expires)
    }
}

/// A provider's keys, fetched and kept as the module docs say.
pub(crate) struct RemoteKeys {
    provider: OidcProvider,
    set: RwLock<Arc<KeySet>>,
    /// Held while fetching: one fetch for every request waiting.
    fetching: tokio::sync::Mutex<()>,
    /// Counts the fetches tried, so a waiter sees whether one happened.
    generation: AtomicU64,
}

impl RemoteKeys {
    fn current(&self) -> Arc<KeySet> {
        match self.set.read() {
            Ok(set) => Arc::clone(&set),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.set.write() {
            Ok(mut current) => *current = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// The key for `kid`, fetching the set when it is missing, expired, or
    /// does not know `kid` (at most once per refetch interval).
    async fn key(&self, kid: Option<&str>) -> Result<Option<Key>, LoaderError> {
        let now = Instant::now();
        let set = self.current();
        // A known key, while the set is fresh or a fetch was just tried.
        let settled = !set.expired(now)
            || set
                .tried
                .is_some_and(|tried| now.duration_since(tried) < Duration::from_secs(1));
        if set.fetched
            && settled
            && let Some(key) = set.find(kid)
        {
            return Ok(Some(key));
        }
        let seen = self.generation.load(Ordering::Acquire);
        let _fetching = self.fetching.lock().await;
        if self.generation.load(Ordering::Acquire) == seen {
            self.refresh(Instant::now()).await;
        }
        let set = self.current();
        if !set.fetched {
            return Err(LoaderError::Unavailable(format!(
                "no key set could be fetched yet from the provider {}",
                self.provider.issuer
            )));
        }
        Ok(set.find(kid))
    }

    /// Fetches the set unless a fetch for the same reason was tried too
    /// recently: for an unknown `kid` with a good set, once per refetch
    /// interval; for a set expired or never fetched, once a second.
    async fn refresh(&self, now: Instant) {
        let set = self.current();
        let for_kid = set.fetched && !set.expired(now);
        let (last, wait) = if for_kid {
            (set.refetched_for_kid, self.provider.refetch_interval)
        } else {
            (
                set.tried,
                Duration::from_secs(1).min(self.provider.refetch_interval),
            )
        };
        if last.is_some_and(|last| now.duration_since(last) < wait) {
            return;
        }
        let refetched_for_kid = if for_kid {
            Some(now)
        } else {
            set.refetched_for_kid
        };
        let fetched = fetch(&self.provider, set.jwks_uri.as_deref()).await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        match fetched {
            Ok(Fetched {
                keys,
                max_age,
                jwks_uri,
            }) => self.replace(KeySet {
                keys,
                fetched: true,
                expires: Some(now + max_age),
                tried: Some(now),
                refetched_for_kid,
                jwks_uri: Some(jwks_uri),
            }),
            Err(why) => {
                log::warn!(
                    "actix-jwt-extended: cannot fetch the keys of {}: {why}; {}",
                    self.provider.issuer,
                    if set.fetched {
                        "keeping the last ones"
                    } else {
                        "refusing tokens with 503"
                    }
                );
                self.replace(KeySet {
                    keys: set.keys.clone(),
                    fetched: set.fetched,
                    expires: set.expires,
                    tried: Some(now),
                    refetched_for_kid,
                    jwks_uri: set.jwks_uri.clone(),
                });
            }
        }
    }
}

impl DynDecodeKeyLoader for RemoteKeys {
    fn load<'a>(
        &'a self,
        header: &'a Map<String, Value>,
        _claims: &'a Map<String, Value>,
    ) -> LocalBoxFuture<'a, Result<Option<Key>, LoaderError>> {
        Box::pin(self.key(header.get("kid").and_then(Value::as_str)))
    }
}

struct Fetched {
    keys: Vec<Key>,
    max_age: Duration,
    jwks_uri: String,
}

/// A client for one fetch: rustls with the crate's crypto backend, the
/// webpki roots, and the provider's timeout.
fn client(timeout: Duration) -> Result<awc::Client, String> {
    #[cfg(feature = "aws_lc_rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    // Without AWS-LC, ring: rustls deprecates it only because it lacks
    // post-quantum key exchange, which fetching public keys can do without.
    #[cfg(not(feature = "aws_lc_rs"))]
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = awc::Connector::new()
        .rustls_0_23(Arc::new(tls))
        .timeout(timeout);
    Ok(awc::Client::builder()
        .connector(connector)
        .timeout(timeout)
        .finish())
}

/// The largest discovery or JWKS document read.
const DOCUMENT_LIMIT: usize = 1 << 20;

async fn get(client: &awc::Client, url: &str) -> Result<(Vec<u8>, Option<String>), String> {
    let mut response = client
        .get(url)
        .insert_header(("Accept", "application/json"))
        .send()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: {}", response.status()));
    }
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body()
        .limit(DOCUMENT_LIMIT)
        .await
        .map_err(|error| format!("GET {url}: {error}"))?;
    Ok((body.to_vec(), cache_control))
}

async fn fetch(provider: &OidcProvider, known_uri: Option<&str>) -> Result<Fetched, String> {
    let client = client(provider.timeout)?;
    let jwks_uri = match (&provider.location, known_uri) {
        (Location::Jwks(url), _) => url.clone(),
        (Location::Discovery, Some(uri)) => uri.to_owned(),
        (Location::Discovery, None) => discover(&client, &provider.issuer).await?,
    };
    let (body, cache_control) = get(&client, &jwks_uri).await?;
    let mut document: Value =
        serde_json::from_slice(&body).map_err(|error| format!("{jwks_uri}: {error}"))?;
    if let Some(keys) = document.get_mut("keys").and_then(Value::as_array_mut) {
        keys.iter_mut().for_each(pin_algorithm);
    }
    let keys = Key::from_jwks(&document.to_string()).map_err(|error| error.to_string())?;
    let (least, most) = provider.cache_bounds;
    let max_age = max_age(cache_control.as_deref())
        .unwrap_or(Duration::from_secs(300))
        .clamp(least, most);
    Ok(Fetched {
        keys,
        max_age,
        jwks_uri,
    })
}

/// The `jwks_uri` of the provider at `issuer`, whose discovery document must
/// name the same issuer (OpenID Connect Discovery section 4.3).
async fn discover(client: &awc::Client, issuer: &str) -> Result<String, String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (body, _) = get(client, &url).await?;
    let document: Value =
        serde_json::from_slice(&body).map_err(|error| format!("{url}: {error}"))?;
    if document.get("issuer").and_then(Value::as_str) != Some(issuer) {
        return Err(format!("{url} names another issuer than {issuer}"));
    }
    document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{url} has no jwks_uri"))
}

/// Gives a signature key published without `alg` (as Entra ID publishes
/// them) the one algorithm its key type is used with by OpenID providers:
/// RS256 for RSA, ES256 or ES384 by curve, EdDSA for Ed25519. The key then
/// verifies that algorithm only.
fn pin_algorithm(jwk: &mut Value) {
    let Some(fields) = jwk.as_object_mut() else {
        return;
    };
    let signs = fields.get("use").is_none_or(|usage| usage == "sig");
    if fields.contains_key("alg") || !signs {
        return;
    }
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let alg = match (text("kty"), text("crv")) {
        (Some("RSA"), _) => "RS256",
        (Some("EC"), Some("P-256")) => "ES256",
        (Some("EC"), Some("P-384")) => "ES384",
        (Some("OKP"), Some("Ed25519")) => "EdDSA",
        _ => return,
    };
    fields.insert("alg".to_owned(), Value::from(alg));
}

/// `max-age` of a `Cache-Control` header; `no-store` and `no-cache` count as
/// zero (the bounds then keep the set a minute).
fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    let mut max_age = None;
    for directive in cache_control?.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            max_age = seconds
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::{max_age, pin_algorithm};
    use serde_json::{Value, json};
    use std::time::Duration;

    #[test]
    fn keys_without_alg_get_their_type_s_one_algorithm() {
        let pinned = |mut jwk: Value| {
            pin_algorithm(&mut jwk);
            jwk.get("alg").cloned()
        };
        assert_eq!(pinned(json!({"kty": "RSA"})), Some(json!("RS256")));
        assert_eq!(
            pinned(json!({"kty": "EC", "crv": "P-256", "use": "sig"})),
            Some(json!("ES256"))
        );
        assert_eq!(
            pinned(json!({"kty": "EC", "crv": "P-384"})),
            Some(json!("ES384"))
        );
        assert_eq!(
            pinned(json!({"kty": "OKP", "crv": "Ed25519"})),
            Some(json!("EdDSA"))
        );
        // Given ones stay; encryption keys and unknown types get none.
        assert_eq!(
            pinned(json!({"kty": "RSA", "alg": "PS256"})),
            Some(json!("PS256"))
        );
        assert_eq!(pinned(json!({"kty": "RSA", "use": "enc"})), None);
        assert_eq!(pinned(json!({"kty": "EC", "crv": "P-521"})), None);
        assert_eq!(pinned(json!({"kty": "oct"})), None);
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        let secs = |value| max_age(value).map(|age: Duration| age.as_secs());
        assert_eq!(secs(Some("public, max-age=600")), Some(600));
        assert_eq!(secs(Some("Max-Age=\"30\", must-revalidate")), Some(30));
        assert_eq!(secs(Some("no-store")), Some(0));
        assert_eq!(secs(Some("max-age=-1")), None);
        assert_eq!(secs(Some("max-age=99999999999999999999999")), None);
        assert_eq!(secs(Some("public")), None);
        assert_eq!(secs(None), None);
    }
}
