//! `QueryRoot`: objects by id, and a filtered, ordered connection of each kind.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::connection::{Conn, page_cost};
use super::context::ContextExt;
use super::enums::{
    BlocklistKind, OrderDirection, OrderStatus, PaymentSessionPurpose, PaymentSessionStatus, PaymentStatus,
    SubscriptionStatus,
};
use super::errors::gql;
use super::loaders::root;
use super::node::{self, Node};
use super::objects::*;
use crate::domain::{self, CustomerId, LinkId, OrderId, SessionId, SubscriptionId, TypedId};
use crate::error::{AppError, ErrorCode};
use crate::graphql::loaders::{PageArgs, SortField};
use crate::service::customers::CustomerFilter;
use crate::service::orders::OrderFilter;
use crate::service::payments::PaymentFilter;
use crate::service::sessions::SessionFilter;
use crate::service::subscriptions::SubscriptionFilter;

/// The most ids `nodes(ids:)` takes at once.
pub const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct QueryRoot;

/// Parses a global id argument of kind `T`, naming the argument when it is not one.
pub fn parse_id<T: TypedId>(id: &ID, field: &[&str]) -> async_graphql::Result<T> {
    T::from_global(id).map_err(|_| {
        gql(AppError::user(
            field,
            ErrorCode::InvalidId,
            format!("`{}` is not a valid {} id", id.as_str(), T::NODE.name()),
        ))
    })
}

fn parse_opt<T: TypedId>(id: Option<&ID>, field: &[&str]) -> async_graphql::Result<Option<T>> {
    id.map(|id| parse_id(id, field)).transpose()
}

/// Which sessions to list.
#[derive(InputObject, Default)]
pub struct PaymentSessionFilter {
    /// Any of these statuses.
    pub status: Option<Vec<PaymentSessionStatus>>,
    /// Any of these purposes.
    pub purpose: Option<Vec<PaymentSessionPurpose>>,
    pub customer_id: Option<ID>,
    pub order_id: Option<ID>,
    pub subscription_id: Option<ID>,
    pub payment_link_id: Option<ID>,
    /// Created at or after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum PaymentSessionOrderField {
    #[default]
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
}

/// How to order sessions; default newest first.
#[derive(InputObject, Default)]
pub struct PaymentSessionOrder {
    #[graphql(default)]
    pub field: PaymentSessionOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

#[derive(InputObject, Default)]
pub struct CustomerFilterInput {
    /// Exactly this email address.
    pub email: Option<String>,
}

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

#[derive(InputObject, Default)]
pub struct PaymentFilterInput {
    pub payment_session_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub status: Option<PaymentStatus>,
}

/// Root listings are newest first unless asked otherwise.
fn descending(direction: Option<OrderDirection>) -> bool {
    direction.unwrap_or_default() == OrderDirection::Desc
}

#[Object]
impl QueryRoot {
    /// Any object by its global id; null when it does not exist or is not yours.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        node::load(ctx, &id).await
    }

    /// Up to 100 objects by global id, in the order asked; null where one is missing.
    #[graphql(complexity = "ids.len().saturating_mul(child_complexity) + 1")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(gql(AppError::user(&["ids"], ErrorCode::InvalidPageSize, format!("at most {MAX_NODES} ids"))));
        }
        let mut out = Vec::with_capacity(ids.len());
        // The loader batches these into one statement per kind.
        let loads = ids.iter().map(|id| node::load(ctx, id));
        for result in futures_util::future::join_all(loads).await {
            out.push(result?);
        }
        Ok(out)
    }

    async fn payment_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentSession>> {
        let id: SessionId = parse_id(&id, &["id"])?;
        if !ctx.caller()?.may_see_session(id) {
            return Ok(None);
        }
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Sessions>(ctx, Some(id.0))
            .await?
            .map(PaymentSession))
    }

    /// The merchant's sessions.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn payment_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PaymentSessionFilter>,
        order_by: Option<PaymentSessionOrder>,
    ) -> async_graphql::Result<Conn<PaymentSession>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let f = filter.unwrap_or_default();
        let filter = SessionFilter {
            statuses: f.status.unwrap_or_default().into_iter().map(domain::SessionStatus::from).collect(),
            purposes: f.purpose.unwrap_or_default().into_iter().map(domain::SessionPurpose::from).collect(),
            customer: parse_opt::<CustomerId>(f.customer_id.as_ref(), &["filter", "customerId"])?,
            order: parse_opt::<OrderId>(f.order_id.as_ref(), &["filter", "orderId"])?,
            subscription: parse_opt::<SubscriptionId>(f.subscription_id.as_ref(), &["filter", "subscriptionId"])?,
            payment_link: parse_opt::<LinkId>(f.payment_link_id.as_ref(), &["filter", "paymentLinkId"])?,
            created_after: f.created_after,
            created_before: f.created_before,
        };
        let order = order_by.unwrap_or_default();
        let field = match order.field {
            PaymentSessionOrderField::CreatedAt => SortField::CreatedAt,
            PaymentSessionOrderField::UpdatedAt => SortField::UpdatedAt,
            PaymentSessionOrderField::ExpiresAt => SortField::ExpiresAt,
        };
        let select = ctx.services().sessions.listing(merchant, filter);
        let args = PageArgs::new(first, after, last, before);
        root(ctx, select, args, field, descending(Some(order.direction)), PaymentSession).await
    }

    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        let id: CustomerId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Customers>(ctx, Some(id.0))
            .await?
            .map(Customer))
    }

    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CustomerFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<Customer>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let filter = CustomerFilter { email: filter.and_then(|f| f.email) };
        let select = ctx.services().customers.listing(merchant, filter);
        root(
            ctx,
            select,
            PageArgs::new(first, after, last, before),
            SortField::CreatedAt,
            descending(direction),
            Customer,
        )
        .await
    }

    /// The merchant's blocklist, newest first (`direction: ASC` reverses).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn blocklist_entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        kind: Option<BlocklistKind>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<BlocklistEntry>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let select = ctx.services().fraud.listing(merchant, kind.map(Into::into));
        let args = PageArgs::new(first, after, last, before);
        root(ctx, select, args, SortField::CreatedAt, descending(direction), BlocklistEntry).await
    }

    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let id: OrderId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Orders>(ctx, Some(id.0)).await?.map(Order))
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
        let id: SubscriptionId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Subscriptions>(ctx, Some(id.0))
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

    async fn payment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Payment>> {
        let id: domain::PaymentId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Payments>(ctx, Some(id.0))
            .await?
            .map(Payment))
    }

    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PaymentFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<Payment>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let f = filter.unwrap_or_default();
        let filter = PaymentFilter {
            session: parse_opt::<SessionId>(f.payment_session_id.as_ref(), &["filter", "paymentSessionId"])?,
            customer: parse_opt::<CustomerId>(f.customer_id.as_ref(), &["filter", "customerId"])?,
            status: f.status.map(Into::into),
        };
        let select = ctx.services().payments.listing(merchant, filter);
        root(
            ctx,
            select,
            PageArgs::new(first, after, last, before),
            SortField::CreatedAt,
            descending(direction),
            Payment,
        )
        .await
    }

    async fn payment_profile(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentProfile>> {
        let id: domain::ProfileId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Profiles>(ctx, Some(id.0))
            .await?
            .map(PaymentProfile))
    }

    /// Saved payment methods, optionally of one customer.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn payment_profiles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        customer_id: Option<ID>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<PaymentProfile>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let customer = parse_opt::<CustomerId>(customer_id.as_ref(), &["customerId"])?;
        let select = ctx.services().profiles.listing(merchant, customer);
        root(
            ctx,
            select,
            PageArgs::new(first, after, last, before),
            SortField::CreatedAt,
            descending(direction),
            PaymentProfile,
        )
        .await
    }

    /// The merchant the caller acts for (a client secret sees its session's merchant).
    async fn merchant(&self, ctx: &Context<'_>) -> async_graphql::Result<Merchant> {
        let merchant = ctx.caller()?.merchant();
        Ok(Merchant(ctx.services().merchants.get(merchant).await.map_err(gql)?))
    }

    async fn payment_link(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentLink>> {
        let id: LinkId = parse_id(&id, &["id"])?;
        ctx.caller()?.secret_key_holder().map_err(gql)?;
        Ok(crate::graphql::loaders::by_id::<crate::graphql::loaders::kinds::Links>(ctx, Some(id.0))
            .await?
            .map(PaymentLink))
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
