//! `QueryRoot`: objects by id, and a filtered, ordered connection of each kind, one file
//! per family of objects.

mod commerce;
mod customers;
mod nodes;
mod sessions;

use async_graphql::{ID, MergedObject};

use super::enums::OrderDirection;
use super::errors::gql;
use crate::domain::TypedId;
use crate::error::{AppError, ErrorCode};

/// The most ids `nodes(ids:)` takes at once.
pub const MAX_NODES: usize = 100;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    nodes::NodeQueries,
    sessions::SessionQueries,
    customers::CustomerQueries,
    commerce::CommerceQueries,
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

/// Root listings are newest first unless asked otherwise.
fn descending(direction: Option<OrderDirection>) -> bool {
    direction.unwrap_or_default() == OrderDirection::Desc
}
