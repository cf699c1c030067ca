//! Verified credentials, remembered briefly so a request does not read the database to know
//! who is calling. A key revoked or rolled is forgotten on every instance at once (a bus
//! notice); if notices may have been missed, everything is forgotten. The time to live
//! bounds the rest: a missed notice while the bus was away lasts at most that long.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::sync::Cache;

use super::auth::Caller;
use crate::bus::Notice;
use crate::domain::ApiKeyId;

/// Most credentials remembered at once.
const CAPACITY: u64 = 100_000;

/// What a verified credential stands for.
#[derive(Clone, Copy, Debug)]
pub struct Verified {
    pub caller: Caller,
    /// The secret key, for notices about it; `None` for a client secret.
    pub key: Option<ApiKeyId>,
    /// A rolled key's end, checked on every use.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A secret's SHA-256, as the cache knows it: 32 bytes hash faster than its 64 hex digits.
pub type SecretDigest = [u8; 32];

/// Verified credentials by the SHA-256 of their secret.
pub struct CredentialCache {
    entries: Option<Cache<SecretDigest, Verified>>,
    /// Rises with every notice: a lookup that began before one must not be remembered, as
    /// it may have read a key just revoked.
    generation: AtomicU64,
}

impl CredentialCache {
    /// Remembers each credential for `ttl`; zero remembers nothing.
    pub fn new(ttl: Duration) -> Self {
        let entries = (!ttl.is_zero())
            .then(|| Cache::builder().max_capacity(CAPACITY).time_to_live(ttl).support_invalidation_closures().build());
        CredentialCache { entries, generation: AtomicU64::new(0) }
    }

    /// The credential hashed as `hash`, if verified lately and still live at `now`.
    pub fn get(&self, hash: &SecretDigest, now: DateTime<Utc>) -> Option<Caller> {
        let verified = self.entries.as_ref()?.get(hash)?;
        if verified.expires_at.is_some_and(|at| at <= now) {
            self.forget(hash);
            return None;
        }
        Some(verified.caller)
    }

    /// Where notices stand; take it before reading the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers what a lookup that began at `generation` found, unless a notice came since.
    pub fn remember(&self, hash: SecretDigest, verified: Verified, generation: u64) {
        if let Some(entries) = &self.entries
            && self.generation() == generation
        {
            entries.insert(hash, verified);
            // A notice between the check and the insert: the insert may be stale.
            if self.generation() != generation {
                entries.invalidate(&hash);
            }
        }
    }

    fn forget(&self, hash: &SecretDigest) {
        if let Some(entries) = &self.entries {
            entries.invalidate(hash);
        }
    }

    /// What a notice makes stale.
    pub fn apply(&self, notice: Notice) {
        if matches!(notice, Notice::OriginsChanged) {
            return;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Some(entries) = &self.entries else { return };
        match notice {
            Notice::KeyChanged { key } => {
                let key = ApiKeyId(key);
                // Lookups never return an entry the predicate matches, from now on.
                let _ = entries.invalidate_entries_if(move |_, verified| verified.key == Some(key));
            }
            Notice::Lost => entries.invalidate_all(),
            Notice::OriginsChanged => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MerchantId;
    use crate::domain::api_key::KeyScope;

    fn verified(key: ApiKeyId) -> Verified {
        Verified {
            caller: Caller::Merchant { merchant: MerchantId::new(), scope: KeyScope::ReadWrite },
            key: Some(key),
            expires_at: None,
        }
    }

    #[test]
    fn a_notice_forgets_the_key_and_stops_a_lookup_begun_before_it() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let (key, other) = (ApiKeyId::new(), ApiKeyId::new());
        let now = Utc::now();
        cache.remember([1; 32], verified(key), cache.generation());
        cache.remember([2; 32], verified(other), cache.generation());
        assert!(cache.get(&[1; 32], now).is_some());
        let before = cache.generation();
        cache.apply(Notice::KeyChanged { key: key.0 });
        assert!(cache.get(&[1; 32], now).is_none());
        assert!(cache.get(&[2; 32], now).is_some(), "other keys stay");
        cache.remember([1; 32], verified(key), before);
        assert!(cache.get(&[1; 32], now).is_none(), "a lookup that began before the notice is not remembered");
        cache.apply(Notice::Lost);
        assert!(cache.get(&[2; 32], now).is_none());
    }

    #[test]
    fn an_expired_key_is_not_returned() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let now = Utc::now();
        let expiring = Verified { expires_at: Some(now), ..verified(ApiKeyId::new()) };
        cache.remember([1; 32], expiring, cache.generation());
        assert!(cache.get(&[1; 32], now).is_none());
    }
}
