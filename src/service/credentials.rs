//! Verified credentials, remembered briefly so a request does not read the database to know
//! who is calling. A key revoked or rolled is forgotten on every instance at once (a bus
//! notice); if notices may have been missed, everything is forgotten. The time to live
//! bounds the rest: a missed notice while the bus was away lasts at most that long.
//!
//! Each worker thread keeps a near copy of what it read from the shared cache, so that the
//! usual request writes no shared memory to find its caller. A near copy holds only while
//! no notice came since it was taken (the `generation`), and never past the shared entry's
//! time to live.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use moka::sync::Cache;

use super::auth::Caller;
use crate::bus::Notice;
use crate::domain::ApiKeyId;

/// Most credentials remembered at once, in the shared cache and near each thread.
const CAPACITY: u64 = 100_000;
const NEAR_CAPACITY: usize = 4_096;

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
    /// Each entry with the moment it was verified.
    entries: Option<Cache<SecretDigest, (Verified, Instant)>>,
    ttl: Duration,
    /// Rises with every notice: a lookup that began before one must not be remembered, as
    /// it may have read a key just revoked, and near copies taken before one are stale.
    generation: AtomicU64,
    /// Tells this cache's near copies from another's (the tests run many in one process).
    id: u64,
    /// The generation, for whoever holds a credential open (a socket) and must look again
    /// when a notice comes.
    changes: tokio::sync::watch::Sender<u64>,
}

/// A thread's copy of a shared entry.
#[derive(Clone, Copy)]
struct Near {
    verified: Verified,
    generation: u64,
    until: Instant,
}

thread_local! {
    static NEAR: RefCell<HashMap<(u64, SecretDigest), Near, crate::throttle::Hasher>> = RefCell::default();
}

impl CredentialCache {
    /// Remembers each credential for `ttl`; zero remembers nothing.
    pub fn new(ttl: Duration) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let entries = (!ttl.is_zero())
            .then(|| Cache::builder().max_capacity(CAPACITY).time_to_live(ttl).support_invalidation_closures().build());
        let (changes, _) = tokio::sync::watch::channel(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        CredentialCache { entries, ttl, generation: AtomicU64::new(0), id, changes }
    }

    /// Changes each time a notice may have made a credential stale: a holder of an open
    /// credential looks it up again then.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The credential hashed as `hash`, if verified lately and still live at `now`.
    pub fn get(&self, hash: &SecretDigest, now: DateTime<Utc>) -> Option<Verified> {
        let entries = self.entries.as_ref()?;
        // Read before the shared cache: a notice after this makes the copy taken below stale.
        let generation = self.generation();
        let near = NEAR.with_borrow(|near| near.get(&(self.id, *hash)).copied());
        let verified = match near {
            Some(near) if near.generation == generation && Instant::now() < near.until => near.verified,
            _ => {
                let (verified, verified_at) = entries.get(hash)?;
                let near = Near { verified, generation, until: verified_at + self.ttl };
                NEAR.with_borrow_mut(|copies| {
                    if copies.len() >= NEAR_CAPACITY {
                        copies.clear();
                    }
                    copies.insert((self.id, *hash), near);
                });
                verified
            }
        };
        if verified.expires_at.is_some_and(|at| at <= now) {
            self.forget(hash);
            return None;
        }
        Some(verified)
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
            entries.insert(hash, (verified, Instant::now()));
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
        NEAR.with_borrow_mut(|near| near.remove(&(self.id, *hash)));
    }

    /// What a notice makes stale. The shared cache forgets first and the generation rises
    /// after: a thread that reads the new generation then finds no stale shared entry to copy.
    pub fn apply(&self, notice: Notice) {
        if matches!(notice, Notice::OriginsChanged | Notice::CustomerChanged { .. }) {
            return;
        }
        if let Some(entries) = &self.entries {
            match notice {
                Notice::KeyChanged { key } => {
                    let key = ApiKeyId(key);
                    // Lookups never return an entry the predicate matches, from now on.
                    let _ = entries.invalidate_entries_if(move |_, (verified, _)| verified.key == Some(key));
                }
                Notice::Lost => entries.invalidate_all(),
                Notice::OriginsChanged | Notice::CustomerChanged { .. } => {}
            }
        }
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.changes.send_replace(generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MerchantId;
    use crate::domain::api_key::KeyScope;

    fn verified(key: ApiKeyId) -> Verified {
        Verified {
            caller: Caller::Merchant { merchant: MerchantId::new(), scope: KeyScope::ReadWrite, key: Some(key) },
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

    #[test]
    fn a_near_copy_lasts_no_longer_than_the_shared_entry_and_stays_with_its_cache() {
        let cache = CredentialCache::new(Duration::from_millis(50));
        let now = Utc::now();
        cache.remember([3; 32], verified(ApiKeyId::new()), cache.generation());
        assert!(cache.get(&[3; 32], now).is_some(), "and now copied near this thread");
        let other = CredentialCache::new(Duration::from_secs(60));
        assert!(other.get(&[3; 32], now).is_none(), "another cache's copy is not this one's");
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&[3; 32], now).is_none(), "past the time to live");
    }
}
