//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use crate::storage;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers; the body also tells the bus's state.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = storage::ping(&state.services.core.db).await;
    let status = if database { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "database": if database { "ok" } else { "unreachable" },
        "bus": state.services.core.bus.state(),
    });
    (status, Json(body))
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.services.core.metrics.render())
}
