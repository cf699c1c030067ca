//! Payment sessions and their payments.

use async_graphql::{Context, ID, Object};

use super::{descending, parse_id, parse_opt, secret_key_object};
use crate::domain::{self, CustomerId, LinkId, OrderId, SessionId, SubscriptionId};
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{OrderDirection, PaymentSessionPurpose, PaymentSessionStatus, PaymentStatus};
use crate::graphql::errors::gql;
use crate::graphql::loaders::{PageArgs, SortField, root};
use crate::graphql::objects::*;
use crate::service::payments::PaymentFilter;
use crate::service::sessions::SessionFilter;
use async_graphql::InputObject;
use chrono::{DateTime, Utc};

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

/// Which timestamp orders the sessions (GraphQL names them CREATED_AT, UPDATED_AT, EXPIRES_AT).
#[allow(clippy::enum_variant_names)]
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
pub struct PaymentFilterInput {
    pub payment_session_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub status: Option<PaymentStatus>,
}

#[derive(Default)]
pub struct SessionQueries;

#[Object]
impl SessionQueries {
    async fn payment_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentSession>> {
        let id: SessionId = parse_id(&id, &["id"])?;
        if !ctx.caller()?.may_see_session(id) {
            return Ok(None);
        }
        Ok(crate::graphql::loaders::root_by_id::<crate::graphql::loaders::kinds::Sessions>(ctx, id.0)
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

    async fn payment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Payment>> {
        Ok(secret_key_object::<domain::PaymentId, crate::graphql::loaders::kinds::Payments>(ctx, &id)
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
}
