//! The audit trail, newest first: read-write secret keys only (it names keys and where
//! they were used from).

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::{descending, parse_opt};
use crate::domain::ApiKeyId;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::OrderDirection;
use crate::graphql::errors::gql;
use crate::graphql::loaders::{PageArgs, SortField, root};
use crate::graphql::objects::AuditEvent;
use crate::service::audit::AuditFilter;

#[derive(InputObject, Default)]
pub struct AuditEventFilterInput {
    /// Only changes made with this key.
    pub actor_key_id: Option<ID>,
    /// Only these actions (mutation names, such as `refundPayment`, or CLI commands).
    pub action: Option<Vec<String>>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQueries;

#[Object]
impl AuditQueries {
    /// Every change made to the merchant's objects through the API or the CLI, and every
    /// one refused, newest first unless `direction: ASC`. Kept for a year by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AuditEventFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<AuditEvent>> {
        let merchant = ctx.caller()?.read_write_key_holder().map_err(gql)?;
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            actor_key: parse_opt::<ApiKeyId>(filter.actor_key_id.as_ref(), &["filter", "actorKeyId"])?,
            actions: filter.action.unwrap_or_default(),
            since: filter.since,
            until: filter.until,
        };
        let listing = ctx.services().audit.listing(merchant, filter);
        let args = PageArgs::new(first, after, last, before);
        root(ctx, listing, args, SortField::CreatedAt, descending(direction), AuditEvent).await
    }
}
