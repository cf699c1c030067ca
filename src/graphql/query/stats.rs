//! Aggregates for dashboards, computed by the database in one statement per call.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::stats::{PaymentSessionStats, StatsInterval};

#[derive(Default)]
pub struct StatsQueries;

#[Object]
impl StatsQueries {
    /// The merchant's sessions created from `since` to `until` (default: now), counted in
    /// buckets of `interval` that start at `since` (give `since` on an hour or day boundary,
    /// in UTC, for calendar buckets): per status, how many and their amounts per currency.
    /// Every bucket is listed, empty ones too; at most 1,000 (`TOO_MANY_BUCKETS`).
    async fn payment_session_stats(
        &self,
        ctx: &Context<'_>,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        interval: StatsInterval,
    ) -> async_graphql::Result<PaymentSessionStats> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let buckets = ctx.services().sessions.stats(merchant, since, until, interval.into()).await.map_err(gql)?;
        let (since, until) = match (buckets.first(), buckets.last()) {
            (Some(first), Some(last)) => (first.start, last.end),
            _ => (since, until.unwrap_or(since)),
        };
        Ok(PaymentSessionStats { since, until, interval, buckets })
    }
}
