//! Disputes: the merchant's, newest first, and one by id (secret keys only).

use async_graphql::{Context, ID, InputObject, Object};

use super::{descending, secret_key_object};
use crate::domain::DisputeId;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{DisputeStatus, OrderDirection};
use crate::graphql::errors::gql;
use crate::graphql::loaders::kinds::Disputes;
use crate::graphql::loaders::{PageArgs, SortField, root};
use crate::graphql::objects::Dispute;

#[derive(InputObject, Default)]
pub struct DisputeFilterInput {
    /// Only disputes in one of these statuses (`[NEEDS_RESPONSE]`: those to answer).
    pub status: Option<Vec<DisputeStatus>>,
}

#[derive(Default)]
pub struct DisputeQueries;

#[Object]
impl DisputeQueries {
    async fn dispute(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Dispute>> {
        Ok(secret_key_object::<DisputeId, Disputes>(ctx, &id).await?.map(Dispute))
    }

    /// The merchant's disputes, newest first unless `direction: ASC`.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn disputes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<DisputeFilterInput>,
        direction: Option<OrderDirection>,
    ) -> async_graphql::Result<Conn<Dispute>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let statuses: Vec<_> =
            filter.unwrap_or_default().status.unwrap_or_default().into_iter().map(Into::into).collect();
        let listing = ctx.services().disputes.listing(merchant, &statuses);
        let args = PageArgs::new(first, after, last, before);
        root(ctx, listing, args, SortField::CreatedAt, descending(direction), Dispute).await
    }
}
