//! The HTTP surface: the axum router and its handlers.

mod auth;
mod client_ip;
mod graphql;
mod health;
mod hosted;
mod throttling;
mod vault;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::config::{Limits, LiveConfig};
use crate::graphql::AppSchema;
use crate::service::Services;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    /// Runs the WebSocket's subscriptions, sharing each event's execution (see `live_exec`).
    pub live_executor: crate::graphql::live_exec::LiveExecutor,
    pub services: Services,
    pub limits: Arc<Limits>,
    pub live: Arc<LiveConfig>,
    pub connections: Arc<ws::ConnectionLimiter>,
    /// Read the client's IP from `X-Forwarded-For` (behind a trusted load balancer).
    pub trust_proxy: bool,
    /// Rate limits of every route.
    pub throttle: Arc<crate::throttle::Throttle>,
}

/// Largest request body accepted on `/graphql` (a query plus its variables).
const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/vault/cards", post(vault::tokenize))
        .route("/pay/{secret}", get(hosted::payment_page))
        .route("/pay/{secret}/theme.css", get(hosted::theme))
        .route("/pay/{secret}/challenge/{payment}", get(hosted::challenge_page))
        .route("/l/{slug}", get(hosted::visit_link))
        .route("/assets/{file}", get(hosted::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
