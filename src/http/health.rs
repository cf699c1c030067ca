//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

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

/// Prometheus text exposition; with `PAYGRAPH_METRICS_TOKEN`, for its bearer only.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        // Compared in constant time: the token is a secret.
        let matches = given.is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes())));
        if !matches {
            return (StatusCode::UNAUTHORIZED, "send Authorization: Bearer <PAYGRAPH_METRICS_TOKEN>").into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.services.core.metrics.render()).into_response()
}
