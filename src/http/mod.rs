//! The HTTP surface: the axum router and its handlers.

mod auth;
mod client_ip;
mod cors;
mod dashboard;
mod door;
mod graphiql;
mod graphql;
mod health;
mod hosted;
mod processor_webhooks;
mod request_timeout;
pub mod server;
mod static_files;
mod throttling;
mod vault;
mod watchdog;
mod when_asked;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::ACCEPT_ENCODING;
use axum::routing::{MethodRouter, get, post};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

use self::request_timeout::RequestTimeoutLayer;
use self::when_asked::WhenAsked;
use crate::config::{Limits, LiveConfig, TransportConfig};
use crate::graphql::AppSchema;
use crate::service::Services;

/// What every handler shares: one pointer, cloned into every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub schema: AppSchema,
    /// Runs the WebSocket's subscriptions, sharing each event's execution (see `live_exec`).
    pub live_executor: crate::graphql::live_exec::LiveExecutor,
    pub services: Arc<Services>,
    pub limits: Arc<Limits>,
    pub live: Arc<LiveConfig>,
    /// Open sockets per credential and per client IP, on this instance.
    pub sockets: Arc<crate::throttle::counter::Counter>,
    /// Live subscriptions per credential, over all its sockets on this instance.
    pub subscriptions: Arc<crate::throttle::counter::Counter>,
    /// Read the client's IP from `X-Forwarded-For` (behind a trusted load balancer).
    pub trust_proxy: bool,
    /// Rate limits of every route.
    pub throttle: Arc<crate::throttle::Throttle>,
    /// Documents known by hash (persisted queries).
    pub persisted: Arc<crate::service::persisted::PersistedQueries>,
    /// Parsed documents by their text.
    pub parsed: crate::graphql::parsed::ParsedDocuments,
    /// Whether a browser's GET of `/graphql` gets GraphiQL.
    pub graphiql: bool,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<String>,
}

/// Largest request body accepted on `/graphql` (a query plus its variables).
const MAX_BODY_BYTES: usize = 256 * 1024;
/// Largest body of `/vault/cards`: one card is under 200 bytes.
const MAX_CARD_BODY_BYTES: usize = 4 * 1024;

/// Every route; `/metrics` too unless it has an address of its own (`metrics_router`).
///
/// Each route gets its whole stack of layers in one `layer` call: axum boxes (and clones,
/// per request) the service of every `layer` call, so a `Router::layer` per concern would
/// stack a box per concern on every request (a fifth of the CPU of a small query).
pub fn router(state: AppState, transport: &TransportConfig, with_metrics: bool) -> Router {
    // Every route: a body past the limit is refused (413) however it is read, and a request
    // that takes longer than the timeout, body included, ends with 408 (`request_timeout`).
    // The timeout sits innermost: it answers with an empty body of the handler's own type. tower-http's limit
    // refuses a `Content-Length` past it at once and bounds a body sent without one; axum's
    // own (2 MiB, wrapped around the body a second time) is off, as it could only be looser.
    let limit = (RequestBodyLimitLayer::new(MAX_BODY_BYTES), DefaultBodyLimit::disable());
    let timeout = Duration::from_secs(transport.request_timeout_seconds.max(1));
    let timeout = RequestTimeoutLayer::new(timeout);
    // gzip or br when the client asks (and the body is worth it); not on the WebSocket
    // upgrade, whose frames are the socket's business.
    let compression = WhenAsked::new(CompressionLayer::new().gzip(true).br(true), ACCEPT_ENCODING, "accept-encoding");
    let cors = cors::layer(state.services.origins.clone());
    let bounded = (limit, timeout);
    let page = |route: MethodRouter<AppState>| route.layer((limit, compression.clone(), timeout));
    let mut router = Router::new()
        .route(
            "/graphql",
            get(graphql::get).post(graphql::post).layer((limit, compression.clone(), cors.clone(), timeout)),
        )
        .route("/graphql/ws", get(ws::upgrade).layer(bounded))
        .route("/graphiql/{file}", page(get(graphiql::asset)))
        .route("/dashboard", page(get(dashboard::page)))
        .route("/dashboard/{file}", page(get(dashboard::asset)))
        .route(
            "/vault/cards",
            post(vault::tokenize).layer((
                RequestBodyLimitLayer::new(MAX_CARD_BODY_BYTES),
                DefaultBodyLimit::disable(),
                cors,
                timeout,
            )),
        )
        .route("/pay/{secret}", page(get(hosted::payment_page)))
        .route("/pay/{secret}/theme.css", page(get(hosted::theme)))
        .route("/pay/{secret}/challenge/{payment}", page(get(hosted::challenge_page)))
        .route("/pay/{secret}/return", page(get(hosted::returned)))
        .route("/processors/stripe/{account}/webhooks", post(processor_webhooks::stripe).layer(bounded))
        .route("/l/{slug}", page(get(hosted::visit_link)))
        .route("/portal/{secret}", page(get(hosted::portal::page)))
        .route("/portal/{secret}/theme.css", page(get(hosted::portal::theme)))
        .route("/portal/{secret}/live", get(hosted::portal::live).layer(limit))
        .route("/portal/{secret}/receipts/{payment}", page(get(hosted::portal::receipt)))
        .route("/portal/{secret}/{action}", post(hosted::portal::act).layer((limit, timeout)))
        .route("/assets/{file}", page(get(hosted::asset)))
        .route("/healthz", get(health::healthz).layer(bounded))
        .route("/readyz", get(health::readyz).layer(bounded));
    if with_metrics {
        router = router.route("/metrics", get(health::metrics).layer(bounded));
    }
    router.with_state(state)
}

/// `/metrics` alone, for `PAYGRAPH_METRICS_LISTEN`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(health::metrics)).with_state(state)
}
