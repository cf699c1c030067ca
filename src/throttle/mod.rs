//! Throttling: a GCRA limit per route class, keyed by client IP and by credential.
//!
//! Each instance first checks its own `governor` limiter: no round trip, and the floor that
//! still holds when Redis is away. With `REDIS_URL` the same quota is then checked in one
//! GCRA shared by every instance (`shared`), so adding instances does not multiply a limit.
//! If Redis does not answer in time the local verdict stands: payments keep working on the
//! per-instance limit, and `paygraph_throttle_shared_unavailable_total` counts it.
//!
//! Query cost (Shopify's leaky bucket of points per credential) is in `cost`.

pub mod cost;
pub mod counter;
mod shared;

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

pub use self::shared::Redis;
use crate::config::ThrottleConfig;
use crate::telemetry::Metrics;

/// What a limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST`/`GET /graphql`, per operation.
    Graphql,
    /// `/graphql/ws`: upgrades per IP, `connection_init`s per credential.
    Socket,
    /// `POST /vault/cards`: tight, as card testing runs through it.
    Vault,
    /// `GET /l/{slug}`: each visit opens a session.
    Link,
    /// `GET /pay/*`: the hosted page.
    Page,
}

/// Whose budget a request spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum By {
    Ip,
    /// A session's client secret, a link's slug, or a secret key on routes that do not
    /// tell them apart.
    Credential,
    /// A secret key where it gets a budget of its own (the vault).
    SecretKey,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Graphql => "graphql",
            Route::Socket => "socket",
            Route::Vault => "vault",
            Route::Link => "link",
            Route::Page => "page",
        }
    }
}

/// Over the limit: come back after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, never 0.
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// A limit: `per_minute` requests, all of them allowed at once (the burst), refilled evenly.
#[derive(Clone, Copy, Debug)]
struct Rate {
    per_minute: NonZeroU32,
}

impl Rate {
    /// The time one request's cell takes to refill.
    fn interval(self) -> Duration {
        Duration::from_secs(60) / self.per_minute.get()
    }
}

/// The hasher of every throttling map: seeded per process like std's, and several times
/// faster on 16-byte keys than std's SipHash, which took a tenth of a check.
pub(crate) type Hasher = foldhash::fast::RandomState;

/// One limit's budgets, by key.
type KeyedLimiter = RateLimiter<BudgetKey, DashMapStateStore<BudgetKey, Hasher>, DefaultClock>;

/// Every limit of this instance.
pub struct Throttle {
    limits: HashMap<(Route, By), (Rate, KeyedLimiter), Hasher>,
    shared: Option<Arc<Redis>>,
    metrics: Arc<Metrics>,
}

impl Throttle {
    /// The limits of `config` (a limit of 0 is off), shared through `shared` when given.
    pub fn new(config: &ThrottleConfig, shared: Option<Arc<Redis>>, metrics: Arc<Metrics>) -> Arc<Self> {
        let mut limits = HashMap::default();
        for (key, per_minute) in limits_of(config) {
            if let Some(per_minute) = NonZeroU32::new(per_minute) {
                let rate = Rate { per_minute };
                let quota = Quota::per_minute(per_minute);
                let limiter =
                    RateLimiter::dashmap_with_clock_and_hasher(quota, DefaultClock::default(), Hasher::default());
                limits.insert(key, (rate, limiter));
            }
        }
        Arc::new(Throttle { limits, shared, metrics })
    }

    /// Spends `n` requests of `key`'s budget on `route`, or says when to come back. Nothing
    /// is spent when refused.
    pub async fn check(&self, route: Route, by: By, key: BudgetKey, n: u32) -> Result<(), Limited> {
        let Some((rate, local)) = self.limits.get(&(route, by)) else { return Ok(()) };
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        let verdict = match local.check_key_n(&key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Limited { retry_after: not_until.wait_time_from(DefaultClock::default().now()) }),
            // More at once than the whole burst: never possible.
            Err(_) => Err(Limited { retry_after: rate.interval() * n.get() }),
        };
        let verdict = match (verdict, &self.shared) {
            (Ok(()), Some(shared)) => {
                let kind = match by {
                    By::Ip => "ip",
                    By::Credential => "credential",
                    By::SecretKey => "key",
                };
                let name = format!("{}:{kind}:{key}", route.name());
                let was_resting = shared.resting();
                // Boxed: the Redis call's future is large, and the local check, answered
                // at once, should not carry it.
                match Box::pin(shared.gcra(&name, rate.interval(), rate.per_minute.get(), n.get())).await {
                    Ok(verdict) => verdict,
                    Err(error) => {
                        self.metrics.count_throttle_shared_unavailable();
                        if !was_resting {
                            tracing::warn!(%error, "shared rate limit unavailable; the local limit stands");
                        }
                        Ok(())
                    }
                }
            }
            (verdict, _) => verdict,
        };
        if verdict.is_err() {
            self.metrics.count_throttled();
        }
        verdict
    }

    /// Forgets keys whose budget is full again, so the maps do not grow with every IP seen.
    pub fn forget_idle(&self) {
        for (_, limiter) in self.limits.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Each configured limit, by what it applies to.
fn limits_of(config: &ThrottleConfig) -> [((Route, By), u32); 11] {
    [
        ((Route::Graphql, By::Credential), config.graphql),
        ((Route::Graphql, By::Ip), config.graphql_ip),
        ((Route::Socket, By::Credential), config.socket),
        ((Route::Socket, By::Ip), config.socket_ip),
        ((Route::Vault, By::Credential), config.vault),
        ((Route::Vault, By::SecretKey), config.vault_key),
        ((Route::Vault, By::Ip), config.vault_ip),
        ((Route::Link, By::Credential), config.link),
        ((Route::Link, By::Ip), config.link_ip),
        ((Route::Page, By::Credential), config.page),
        ((Route::Page, By::Ip), config.page_ip),
    ]
}

/// Whose budget: 16 bytes (an address, an id, a secret's hash), so a check hashes a number
/// rather than formatting and hashing a string. Shown as hex in Redis' key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BudgetKey(pub u128);

impl fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// An IP's budget key: IPv4 addresses one by one, IPv6 by /64 (what one subscriber holds).
pub fn ip_key(ip: IpAddr) -> BudgetKey {
    let v4 = |v4: std::net::Ipv4Addr| BudgetKey(u128::from(v4.to_ipv6_mapped()));
    match ip {
        IpAddr::V4(address) => v4(address),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(address) => v4(address),
            None => BudgetKey(u128::from(v6) & !u128::from(u64::MAX)),
        },
    }
}

/// A secret's budget key: a hash, so the secret itself never reaches Redis or a log.
pub fn secret_key(secret: &str) -> BudgetKey {
    let digest = Sha256::digest(secret.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    BudgetKey(u128::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_minute: u32) -> Arc<Throttle> {
        let config = ThrottleConfig { vault: per_minute, ..ThrottleConfig::default() };
        Throttle::new(&config, None, Arc::default())
    }

    #[tokio::test]
    async fn a_burst_passes_then_the_next_waits_for_its_cell() {
        let throttle = throttle(5);
        for _ in 0..5 {
            assert_eq!(throttle.check(Route::Vault, By::Credential, BudgetKey(1), 1).await, Ok(()));
        }
        let limited = throttle.check(Route::Vault, By::Credential, BudgetKey(1), 1).await.unwrap_err();
        assert!(limited.retry_after <= Duration::from_secs(12) && limited.retry_after_seconds() >= 1);
        // Another key has its own budget.
        assert_eq!(throttle.check(Route::Vault, By::Credential, BudgetKey(2), 1).await, Ok(()));
    }

    #[tokio::test]
    async fn a_limit_of_zero_is_off() {
        let throttle = throttle(0);
        for _ in 0..100 {
            assert_eq!(throttle.check(Route::Vault, By::Credential, BudgetKey(1), 1).await, Ok(()));
        }
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(ip_key("::ffff:10.0.0.1".parse().unwrap()), ip_key("10.0.0.1".parse().unwrap()));
        assert_ne!(ip_key("10.0.0.1".parse().unwrap()), ip_key("10.0.0.2".parse().unwrap()));
    }
}
