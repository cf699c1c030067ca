//! Customers, their saved methods, and the blocklist.

use async_graphql::{Context, ID, Object};

use super::{descending, parse_opt, secret_key_object};
use crate::domain::{self, CustomerId};
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{BlocklistKind, OrderDirection};
use crate::graphql::errors::gql;
use crate::graphql::loaders::{PageArgs, SortField, root};
use crate::graphql::objects::*;
use crate::service::customers::CustomerFilter;
use async_graphql::InputObject;

#[derive(InputObject, Default)]
pub struct CustomerFilterInput {
    /// Exactly this email address.
    pub email: Option<String>,
}

#[derive(Default)]
pub struct CustomerQueries;

#[Object]
impl CustomerQueries {
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        Ok(secret_key_object::<CustomerId, crate::graphql::loaders::kinds::Customers>(ctx, &id).await?.map(Customer))
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

    async fn payment_profile(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PaymentProfile>> {
        Ok(secret_key_object::<domain::ProfileId, crate::graphql::loaders::kinds::Profiles>(ctx, &id)
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
}
