//! Sessions over time, for dashboards (`paymentSessionStats`).

use async_graphql::{Enum, Object};
use chrono::{DateTime, Utc};

use super::Money;
use crate::domain;
use crate::graphql::enums::PaymentSessionStatus;

/// The length of each bucket.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::stats::StatsInterval")]
pub enum StatsInterval {
    Minute,
    Hour,
    Day,
    Week,
}

/// Sessions over time: buckets of `interval` from `since` to `until`.
pub struct PaymentSessionStats {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub interval: StatsInterval,
    pub buckets: Vec<domain::stats::Bucket>,
}

#[Object]
impl PaymentSessionStats {
    async fn since(&self) -> DateTime<Utc> {
        self.since
    }
    async fn until(&self) -> DateTime<Utc> {
        self.until
    }
    async fn interval(&self) -> StatsInterval {
        self.interval
    }
    /// Every bucket from `since` to `until`, empty ones too, oldest first.
    async fn buckets(&self) -> Vec<PaymentSessionStatsBucket> {
        self.buckets.iter().cloned().map(PaymentSessionStatsBucket).collect()
    }
}

/// Sessions created in `[start, end)`, by the status they have now.
pub struct PaymentSessionStatsBucket(pub domain::stats::Bucket);

#[Object]
impl PaymentSessionStatsBucket {
    async fn start(&self) -> DateTime<Utc> {
        self.0.start
    }
    /// The next bucket's start; the last bucket ends at `until`.
    async fn end(&self) -> DateTime<Utc> {
        self.0.end
    }
    /// Each status some session of the bucket has, in lifecycle order (the rest are left out).
    async fn statuses(&self) -> Vec<PaymentSessionStatusCount> {
        self.0.statuses.iter().cloned().map(PaymentSessionStatusCount).collect()
    }
    /// Sessions created in the bucket, whatever their status.
    async fn count(&self) -> i64 {
        self.0.statuses.iter().map(|s| s.count).sum()
    }
}

/// How many sessions of a bucket have one status, and what they amount to.
pub struct PaymentSessionStatusCount(domain::stats::StatusCount);

#[Object]
impl PaymentSessionStatusCount {
    async fn status(&self) -> PaymentSessionStatus {
        self.0.status.into()
    }
    async fn count(&self) -> i64 {
        self.0.count
    }
    /// The sum of their amounts, one per currency (sessions without an amount add nothing):
    /// what they were for, not what was taken.
    async fn amounts(&self) -> Vec<Money> {
        self.0.amounts.iter().copied().map(Money).collect()
    }
    /// What their payments captured, one per currency: the whole amount of a payment captured
    /// at once, what manual captures took of an authorization (nothing of a voided one).
    /// Currencies with nothing captured are left out.
    async fn captured_amounts(&self) -> Vec<Money> {
        self.0.captured.iter().copied().map(Money).collect()
    }
    /// What refunds hold of what was captured (pending and succeeded), one per currency;
    /// captured minus refunded is what the merchant keeps. Nothing refunded: left out.
    async fn refunded_amounts(&self) -> Vec<Money> {
        self.0.refunded.iter().copied().map(Money).collect()
    }
    /// What lost disputes took back of what was captured, one per currency: given back, as
    /// a refund is. Nothing lost: left out.
    async fn disputed_amounts(&self) -> Vec<Money> {
        self.0.disputed.iter().copied().map(Money).collect()
    }
}
