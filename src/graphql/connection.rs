//! Relay connections: `edges { cursor node }`, `pageInfo`, `totalCount`, built from keyset
//! pages. `totalCount` runs its count only when a client asks for it.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Object, OutputType};
use futures_util::future::BoxFuture;

use super::loaders::{DEFAULT_PAGE_SIZE, Page};

/// A connection of `N` with `totalCount`.
pub type Conn<N> = Connection<String, N, TotalCount, EmptyFields>;

/// The complexity of a connection field: its page size times what each node costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE as usize, |n| n.clamp(1, 100) as usize);
    size.saturating_mul(child).saturating_add(1)
}

type CountFn = Arc<dyn Fn() -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync>;

/// `totalCount`, computed on demand.
pub struct TotalCount(CountFn);

impl TotalCount {
    pub fn known(n: u64) -> Self {
        TotalCount(Arc::new(move || Box::pin(async move { Ok(n) })))
    }

    /// A count run only if a client asks for `totalCount`.
    pub fn lazy(count: impl Fn() -> BoxFuture<'static, async_graphql::Result<u64>> + Send + Sync + 'static) -> Self {
        TotalCount(Arc::new(count))
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
