//! Relay connections: `edges { cursor node }`, `pageInfo`, `totalCount`, built from keyset
//! pages. `totalCount` runs its count only when a client asks for it.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, OutputType};
use futures_util::future::BoxFuture;

use super::context::ContextExt;
use super::errors::GqlResult;
use crate::service::Services;
use crate::storage::batch::{BatchLoader, ChildCount, ChildPage, Parent, Tenanted};
use crate::storage::listings::Listing;
use crate::storage::page::{self, Page, PageArgs, SortField};

/// A connection of `N` with `totalCount`.
pub type Conn<N> = Connection<String, N, TotalCount, EmptyFields>;

/// The complexity of a connection field: its page size times what each node costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).map_or(page::DEFAULT_PAGE_SIZE as usize, |n| n.clamp(1, 100) as usize);
    size.saturating_mul(child).saturating_add(1)
}

type CountFn = Arc<dyn Fn() -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync>;

/// `totalCount`, computed on demand.
pub struct TotalCount(CountFn);

impl TotalCount {
    pub fn known(n: u64) -> Self {
        TotalCount(Arc::new(move || Box::pin(async move { Ok(n) })))
    }

    /// Counts what a root listing matches.
    pub fn of_listing<E: Tenanted>(services: Services, listing: Listing<E>) -> Self
    where
        Listing<E>: Send + Sync + 'static,
    {
        TotalCount(Arc::new(move || {
            let (services, listing) = (services.clone(), listing.clone());
            Box::pin(async move { listing.count(&services.db).await.gql() })
        }))
    }

    /// Counts a parent's children through the batch loader (one statement for all parents).
    pub fn of_children<E: Tenanted>(
        loader: Arc<DataLoader<BatchLoader>>,
        parent: uuid::Uuid,
        relation: Parent,
    ) -> Self {
        TotalCount(Arc::new(move || {
            let loader = loader.clone();
            Box::pin(async move {
                let n = loader.load_one(ChildCount::<E>::new(parent, relation)).await.gql()?;
                Ok(n.unwrap_or(0))
            })
        }))
    }
}

#[Object]
impl TotalCount {
    /// How many nodes the connection has in all, ignoring paging.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        let n = (self.0)().await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Builds a connection from a page.
pub fn from_page<T, N: OutputType>(page: Page<T>, total: TotalCount, node: impl Fn(T) -> N) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    conn.edges.extend(page.rows.into_iter().map(|(cursor, row)| Edge::new(cursor.encode(), node(row))));
    conn
}

/// A root listing: one page of it and its lazy count.
pub async fn root<E, N: OutputType>(
    ctx: &Context<'_>,
    listing: Listing<E>,
    args: PageArgs,
    field: SortField,
    descending: bool,
    node: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Conn<N>>
where
    E: Tenanted,
    Listing<E>: Send + Sync + 'static,
{
    let services = ctx.services().clone();
    let req = args.validate(field, descending).gql()?;
    let page = listing.clone().page(&services.db, field, &req).await.gql()?;
    Ok(from_page(page, TotalCount::of_listing(services, listing), node))
}

/// A nested connection: the children of `parent`, batched with its siblings.
pub async fn children<E: Tenanted, N: OutputType>(
    ctx: &Context<'_>,
    parent: uuid::Uuid,
    relation: Parent,
    args: PageArgs,
    node: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Conn<N>> {
    let loader = ctx.loader()?;
    let req = args.validate(SortField::CreatedAt, true).gql()?;
    let page = loader.load_one(ChildPage::<E>::new(parent, relation, req)).await.gql()?;
    let page = match page {
        Some(page) => Arc::unwrap_or_clone(page),
        None => Page { rows: vec![], has_previous_page: false, has_next_page: false },
    };
    Ok(from_page(page, TotalCount::of_children::<E>(loader, parent, relation), node))
}

/// A nested connection under an object a client secret must not list from: a customer's
/// history, an order's or a link's sessions. A client secret sees its own session only.
pub async fn owned_children<E: Tenanted, N: OutputType>(
    ctx: &Context<'_>,
    parent: uuid::Uuid,
    relation: Parent,
    args: PageArgs,
    node: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Conn<N>> {
    ctx.caller()?.secret_key_holder().map_err(super::errors::gql)?;
    children::<E, N>(ctx, parent, relation, args, node).await
}
