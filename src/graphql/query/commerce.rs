//! What sessions pay for: orders, subscriptions, payment links.

use async_graphql::{Context, ID, Object};

use super::{descending, parse_opt, secret_key_object};
use crate::domain::{CustomerId, LinkId, OrderId, SubscriptionId};
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{OrderDirection, OrderStatus, SubscriptionStatus};
use crate::graphql::errors::gql;
use crate::graphql::loaders::{PageArgs, SortField, root};
use crate::graphql::objects::*;
use crate::service::orders::OrderFilter;
use crate::service::subscriptions::SubscriptionFilter;
use async_graphql::InputObject;

#[derive(InputObject, Default)]
pub struct OrderFilterInput {
    pub customer_id: Option<ID>,
    pub status: Option<OrderStatus>,
}

#[derive(InputObject, Default)]
pub struct SubscriptionFilterInput {
    pub customer_id: Option<ID>,
    pub status: Option<SubscriptionStatus>,
}

#[derive(Default)]
pub struct CommerceQueries;

#[Object]
impl CommerceQueries {
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        Ok(secret_key_object::<OrderId, crate::graphql::loaders::kinds::Orders>(ctx, &id).await?.map(Order))
    }

    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrderFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<Order>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let f = filter.unwrap_or_default();
        let filter = OrderFilter {
            customer: parse_opt::<CustomerId>(f.customer_id.as_ref(), &["filter", "customerId"])?,
            status: f.status.map(Into::into),
        };
        let select = ctx.services().orders.listing(merchant, filter);
        root(ctx, select, PageArgs::new(first, after, last, before), SortField::CreatedAt, descending(direction), Order)
            .await
    }

    async fn subscription(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Subscription>> {
        Ok(secret_key_object::<SubscriptionId, crate::graphql::loaders::kinds::Subscriptions>(ctx, &id)
            .await?
            .map(Subscription))
    }

    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SubscriptionFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<Subscription>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let f = filter.unwrap_or_default();
        let filter = SubscriptionFilter {
            customer: parse_opt::<CustomerId>(f.customer_id.as_ref(), &["filter", "customerId"])?,
            status: f.status.map(Into::into),
        };
        let select = ctx.services().subscriptions.listing(merchant, filter);
        root(
            ctx,
            select,
            PageArgs::new(first, after, last, before),
            SortField::CreatedAt,
            descending(direction),
            Subscription,
        )
        .await
    }

    /// The merchant's webhook endpoints, newest first (deleted ones are not listed).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<crate::graphql::objects::WebhookEndpoint>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let select = ctx.services().webhooks.listing(merchant);
        let args = PageArgs::new(first, after, last, before);
        root(ctx, select, args, SortField::CreatedAt, true, crate::graphql::objects::WebhookEndpoint).await
    }

    async fn payment_link(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentLink>> {
        Ok(secret_key_object::<LinkId, crate::graphql::loaders::kinds::Links>(ctx, &id).await?.map(PaymentLink))
    }

    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn payment_links(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        active: Option<bool>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<PaymentLink>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let select = ctx.services().links.listing(merchant, active);
        root(
            ctx,
            select,
            PageArgs::new(first, after, last, before),
            SortField::CreatedAt,
            descending(direction),
            PaymentLink,
        )
        .await
    }
}
