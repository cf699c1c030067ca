//! paygraph: payment sessions as one connected GraphQL graph, with live status.
//!
//! Layers, outermost first: `http` (axum router, GraphQL over HTTP, health, metrics) →
//! `graphql` (schema, resolvers, loaders) → `service` (use-cases, one transaction per
//! change) → `storage` (sea-orm entities, pagination, batched reads) and `bus` (events);
//! `domain` holds the pure rules every layer shares.

pub mod bus;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod processor;
pub mod service;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod throttle;
