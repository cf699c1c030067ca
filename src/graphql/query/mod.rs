//! `QueryRoot`: objects by id, and a filtered, ordered connection of each kind, one file
//! per family of objects.

mod audit;
mod commerce;
mod customers;
mod disputes;
mod nodes;
mod sessions;
mod stats;

use async_graphql::{Context, ID, MergedObject};

use super::context::ContextExt;
use super::enums::OrderDirection;
use super::errors::gql;
use super::loaders::root_by_id;
use crate::domain::TypedId;
use crate::error::{AppError, ErrorCode};
use crate::graphql::loaders::kinds::Kind;

/// The most ids `nodes(ids:)` takes at once.
pub const MAX_NODES: usize = 100;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    nodes::NodeQueries,
    sessions::SessionQueries,
    customers::CustomerQueries,
    commerce::CommerceQueries,
    stats::StatsQueries,
    disputes::DisputeQueries,
    audit::AuditQueries,
);

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

/// The object of kind `E` named by the global id `id` of kind `T`, for a secret key's root
/// field; `None` when it does not exist or is another merchant's.
async fn secret_key_object<T: TypedId, K: Kind>(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<Option<K::Object>> {
    let id: T = parse_id(id, &["id"])?;
    ctx.caller()?.secret_key_holder().map_err(gql)?;
    root_by_id::<K>(ctx, id.uuid()).await
}

/// Root listings are newest first unless asked otherwise.
fn descending(direction: Option<OrderDirection>) -> bool {
    direction.unwrap_or_default() == OrderDirection::Desc
}
