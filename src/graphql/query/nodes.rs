//! Objects by global id, and the caller's merchant.

use async_graphql::{Context, ID, Object};

use super::MAX_NODES;
use crate::error::{AppError, ErrorCode};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::node::{self, Node};
use crate::graphql::objects::*;

#[derive(Default)]
pub struct NodeQueries;

#[Object]
impl NodeQueries {
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

    /// The merchant the caller acts for (a client secret sees its session's merchant).
    async fn merchant(&self, ctx: &Context<'_>) -> async_graphql::Result<Merchant> {
        let merchant = ctx.caller()?.merchant();
        Ok(Merchant(ctx.services().merchants.get(merchant).await.map_err(gql)?))
    }

    /// The merchant's secret keys, newest first (revoked ones too when asked).
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_revoked: bool,
    ) -> async_graphql::Result<Vec<ApiKey>> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let keys = ctx.services().keys.list(merchant, include_revoked).await.map_err(gql)?;
        Ok(keys.into_iter().map(ApiKey).collect())
    }
}
