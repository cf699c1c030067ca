//! Every read GraphQL makes goes through here: objects by id, nested connections and the
//! per-parent aggregates through the request's batch loader (one statement per relation and
//! depth, whatever the page size), and root listings paged by storage.

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, OutputType};
use uuid::Uuid;

use super::connection::{Conn, TotalCount, from_page};
use super::context::{ContextExt, RequestData};
use super::errors::{gql, internal};
use crate::domain::SessionEvent;
use crate::domain::order::LineItem;
use crate::error::AppError;
pub use crate::storage::batch::{BatchLoader, Parent};
use crate::storage::batch::{ById, ChildCount, ChildPage, LoadError};
use crate::storage::listings::Listing;
pub use crate::storage::page::{DEFAULT_PAGE_SIZE, Page, PageArgs, SortField};
use crate::storage::relations::{BalancesOf, CompletedOf, EventsOf, LineItemsOf};
use crate::storage::totals::BalanceTotal;

/// The kinds of object GraphQL loads, named for `by_id` and the connections (storage's
/// markers: no GraphQL file names a table).
pub use crate::storage::kinds;
use crate::storage::kinds::Kind;

/// The request's batch loader, made by the first resolver that needs one and scoped to the
/// caller's merchant. Most mutations and every idle WebSocket connection never need one.
fn loader(ctx: &Context<'_>) -> async_graphql::Result<Arc<DataLoader<BatchLoader>>> {
    let data = ctx.data_opt::<RequestData>().ok_or_else(|| gql(AppError::unauthenticated()))?;
    let merchant = data.caller.ok_or_else(|| gql(AppError::unauthenticated()))?.merchant();
    let db = &ctx.services().core.db;
    let loader = data.loader.get_or_init(|| {
        let batch = BatchLoader::new(db.clone(), merchant.0);
        Arc::new(match data.loads.clone() {
            // Run by the request's own task: a load takes its keys once the level has asked.
            Some(loads) => DataLoader::new(batch, move |task| loads.spawn(task)).delay(std::time::Duration::ZERO),
            None => DataLoader::new(batch, tokio::spawn),
        })
    });
    Ok(loader.clone())
}

async fn load<K>(ctx: &Context<'_>, key: K) -> async_graphql::Result<Option<<BatchLoader as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    BatchLoader: Loader<K, Error = LoadError>,
{
    loader(ctx)?.load_one(key).await.map_err(failed)
}

/// A batch load failed: a fault, logged and masked like any other.
fn failed(error: LoadError) -> async_graphql::Error {
    internal(&anyhow::anyhow!("{error}").context("batch load"))
}

/// One object of the caller's merchant by id.
pub async fn by_id<K: Kind>(ctx: &Context<'_>, id: Option<Uuid>) -> async_graphql::Result<Option<K::Object>> {
    let Some(id) = id else { return Ok(None) };
    load(ctx, ById::<K>::new(id)).await
}

/// One object of the caller's merchant by id, read at once: for a root field, which runs
/// once per request and has nothing to batch with (the loader would wait for siblings).
pub async fn root_by_id<K: Kind>(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<K::Object>> {
    let merchant = ctx.caller()?.merchant();
    crate::storage::records::find::<K>(&ctx.services().core.db, merchant, id).await.map_err(|e| gql(e.into()))
}

/// A customer's balance in each currency.
pub async fn balances(ctx: &Context<'_>, customer: Uuid) -> async_graphql::Result<Arc<Vec<BalanceTotal>>> {
    Ok(load(ctx, BalancesOf(customer)).await?.unwrap_or_default())
}

/// How many of a link's sessions completed.
pub async fn completed_payments(ctx: &Context<'_>, link: Uuid) -> async_graphql::Result<u64> {
    Ok(load(ctx, CompletedOf(link)).await?.unwrap_or(0))
}

/// An order's lines, in order.
pub async fn line_items(ctx: &Context<'_>, order: Uuid) -> async_graphql::Result<Vec<LineItem>> {
    Ok(load(ctx, LineItemsOf(order)).await?.map(Arc::unwrap_or_clone).unwrap_or_default())
}

/// A session's event log, in version order.
pub async fn session_events(ctx: &Context<'_>, session: Uuid) -> async_graphql::Result<Vec<SessionEvent>> {
    Ok(load(ctx, EventsOf(session)).await?.map(Arc::unwrap_or_clone).unwrap_or_default())
}

/// A root listing: one page of it and its lazy count.
pub async fn root<K: Kind, N: OutputType>(
    ctx: &Context<'_>,
    listing: Listing<K>,
    args: PageArgs,
    field: SortField,
    descending: bool,
    node: impl Fn(K::Object) -> N,
) -> async_graphql::Result<Conn<N>>
where
    Listing<K>: Send + Sync + 'static,
{
    let db = ctx.services().core.db.clone();
    let req = args.validate(field, descending).map_err(gql)?;
    let page = listing.clone().page(&db, field, &req).await.map_err(gql)?;
    let total = TotalCount::lazy(move || {
        let (db, listing) = (db.clone(), listing.clone());
        Box::pin(async move { listing.count(&db).await.map_err(gql) })
    });
    Ok(from_page(page, total, node))
}

/// A nested connection: the children of `parent`, batched with its siblings.
pub async fn children<K: Kind, N: OutputType>(
    ctx: &Context<'_>,
    parent: Uuid,
    relation: Parent,
    args: PageArgs,
    node: impl Fn(K::Object) -> N,
) -> async_graphql::Result<Conn<N>> {
    let loader = loader(ctx)?;
    let req = args.validate(SortField::CreatedAt, true).map_err(gql)?;
    let page = loader.load_one(ChildPage::<K>::new(parent, relation, req)).await.map_err(failed)?;
    let page = match page {
        Some(page) => Arc::unwrap_or_clone(page),
        None => Page { rows: vec![], has_previous_page: false, has_next_page: false },
    };
    let total = TotalCount::lazy(move || {
        let loader = loader.clone();
        Box::pin(async move {
            let n = loader.load_one(ChildCount::<K>::new(parent, relation)).await.map_err(failed)?;
            Ok(n.unwrap_or(0))
        })
    });
    Ok(from_page(page, total, node))
}

/// A nested connection under an object a client secret must not list from: a customer's
/// history, an order's or a link's sessions. A client secret sees its own session only.
pub async fn owned_children<K: Kind, N: OutputType>(
    ctx: &Context<'_>,
    parent: Uuid,
    relation: Parent,
    args: PageArgs,
    node: impl Fn(K::Object) -> N,
) -> async_graphql::Result<Conn<N>> {
    ctx.caller()?.secret_key_holder().map_err(gql)?;
    children::<K, N>(ctx, parent, relation, args, node).await
}
