use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Money, OrderLineItem, PaymentSession};
use crate::domain::{self, TypedId};
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::PageArgs;
use crate::graphql::loaders::Parent;
use crate::graphql::loaders::kinds::Sessions;
use crate::graphql::loaders::owned_children;

/// A reusable, shareable link; each visit opens a fresh session.
pub struct PaymentLink(pub domain::link::PaymentLink);

#[Object]
impl PaymentLink {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    /// The shareable address.
    async fn url(&self, ctx: &Context<'_>) -> String {
        format!("{}/l/{}", ctx.services().public_url, self.0.slug)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn amount(&self) -> Option<Money> {
        self.0.amount.map(Money)
    }
    /// What each visit buys, when the link sells line items (empty when it sells `amount`).
    async fn line_items(&self) -> Vec<OrderLineItem> {
        self.0.items.iter().cloned().map(|item| OrderLineItem::new(item, self.0.currency)).collect()
    }
    /// How many sessions opened by the link have completed.
    async fn completed_payments(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let completed = crate::graphql::loaders::completed_payments(ctx, self.0.id.0).await?;
        Ok(i32::try_from(completed).unwrap_or(i32::MAX))
    }
    /// The link stops opening sessions once this many have completed.
    async fn max_completed_payments(&self) -> Option<i32> {
        self.0.max_completed_payments
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Sessions opened by visits, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn payment_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PaymentSession>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Sessions, _>(ctx, self.0.id.0, Parent::PaymentLink, args, PaymentSession).await
    }
}
