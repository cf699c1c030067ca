//! The query-cost budget, as Shopify's GraphQL Admin API keeps it: each credential has a
//! bucket of points that refills at a steady rate. An operation's requested cost (its
//! computed complexity) must be available before it runs and is taken at once; once it ran,
//! what it did not use (requested minus actual) is given back.
//!
//! `governor` cannot give back or tell what is left, so the in-process bucket is a small map
//! of its own; with Redis the bucket is one Lua script shared by every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{BudgetKey, Hasher, Redis};
use crate::telemetry::Metrics;

/// A bucket's state, as `extensions.cost.throttleStatus` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketStatus {
    pub maximum_available: u64,
    pub currently_available: u64,
    pub restore_rate: u64,
}

/// Every credential's bucket.
pub struct CostBudget {
    size: u64,
    restore_per_second: u64,
    local: Mutex<HashMap<BudgetKey, (f64, Instant), Hasher>>,
    shared: Option<Arc<Redis>>,
    metrics: Arc<Metrics>,
}

impl CostBudget {
    /// Buckets of `size` points refilled by `restore_per_second`; `size` 0 turns the budget off.
    pub fn new(size: u64, restore_per_second: u64, shared: Option<Arc<Redis>>, metrics: Arc<Metrics>) -> Self {
        CostBudget { size, restore_per_second, local: Mutex::default(), shared, metrics }
    }

    pub fn enabled(&self) -> bool {
        self.size > 0
    }

    fn status(&self, available: u64) -> BucketStatus {
        BucketStatus {
            maximum_available: self.size,
            currently_available: available.min(self.size),
            restore_rate: self.restore_per_second,
        }
    }

    /// Takes `points` from `key`'s bucket: `Ok` with the state after, or `Err` with the
    /// state as it is (nothing taken) when fewer points are available.
    pub async fn charge(&self, key: BudgetKey, points: u64) -> Result<BucketStatus, BucketStatus> {
        let (charged, available) = self.apply(key, i64::try_from(points).unwrap_or(i64::MAX)).await;
        if charged { Ok(self.status(available)) } else { Err(self.status(available)) }
    }

    /// Gives back `points` a query requested but did not use.
    pub async fn refund(&self, key: BudgetKey, points: u64) -> BucketStatus {
        let (_, available) = self.apply(key, -i64::try_from(points).unwrap_or(i64::MAX)).await;
        self.status(available)
    }

    async fn apply(&self, key: BudgetKey, points: i64) -> (bool, u64) {
        if let Some(shared) = &self.shared {
            let was_resting = shared.resting();
            // Boxed, like every Redis call on the request path: its future is large, and
            // the local bucket, answered at once, should not carry it.
            let answer = Box::pin(shared.bucket(&key.to_string(), self.size, self.restore_per_second, points)).await;
            match answer {
                Ok(answer) => return answer,
                Err(error) => {
                    self.metrics.count_throttle_shared_unavailable();
                    if !was_resting {
                        tracing::warn!(%error, "shared cost budget unavailable; this instance's bucket stands");
                    }
                }
            }
        }
        self.apply_local(key, points)
    }

    fn apply_local(&self, key: BudgetKey, points: i64) -> (bool, u64) {
        let now = Instant::now();
        let size = self.size as f64;
        let mut buckets = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let (available, at) = buckets.entry(key).or_insert((size, now));
        let restored = now.duration_since(*at).as_secs_f64() * self.restore_per_second as f64;
        let level = (*available + restored).min(size);
        if points > 0 && points as f64 > level {
            return (false, level as u64);
        }
        *available = (level - points as f64).min(size);
        *at = now;
        (true, *available as u64)
    }

    /// Drops buckets that are full again: they hold nothing a fresh one would not.
    pub fn forget_full(&self) {
        let now = Instant::now();
        let size = self.size as f64;
        let rate = self.restore_per_second as f64;
        let mut buckets = self.local.lock().unwrap_or_else(|p| p.into_inner());
        buckets.retain(|_, (available, at)| *available + now.duration_since(*at).as_secs_f64() * rate < size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_charge_beyond_what_is_left_takes_nothing_and_a_refund_gives_back() {
        let budget = CostBudget::new(100, 0, None, Arc::default());
        assert_eq!(budget.charge(BudgetKey(1), 60).await.unwrap().currently_available, 40);
        assert_eq!(budget.charge(BudgetKey(1), 50).await.unwrap_err().currently_available, 40);
        assert_eq!(budget.refund(BudgetKey(1), 50).await.currently_available, 90);
        // Never above the size.
        assert_eq!(budget.refund(BudgetKey(1), 500).await.currently_available, 100);
        assert_eq!(budget.charge(BudgetKey(2), 100).await.unwrap().currently_available, 0);
    }
}
