//! The GraphQL API: schema, resolvers, loaders and limits.

pub mod audit;
pub mod batching;
pub mod connection;
pub mod context;
pub mod cost;
pub mod enums;
pub mod errors;
pub mod limits;
pub mod live_exec;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod objects;
pub mod parsed;
pub mod query;
pub mod rules;
pub mod scope;
pub mod socket;
pub mod subscription;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};

use self::limits::ShapeLimits;
use crate::config::Limits;
use crate::service::Services;
use crate::throttle::cost::CostBudget;
pub use context::RequestData;
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(10)
}

/// The schema the server runs, charging each operation's cost to `budget`.
pub fn build_schema(services: Services, limits: &Limits, budget: Arc<CostBudget>) -> AppSchema {
    builder(limits)
        .extension(rules::Rules { shape: ShapeLimits::new(limits.max_aliases, limits.max_depth), budget: Some(budget) })
        .data(services)
        .finish()
}

/// The SDL, as `paygraph schema` prints it and `schema.graphql` keeps it.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl()
}
