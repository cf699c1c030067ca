//! `POST /processors/stripe/{account}/webhooks`: Stripe's events for one connected account.
//! 2xx once the event is recorded (or was before); 400 for a forged, stale or another
//! account's signature, which changes nothing; 500 when it could not be applied now, so
//! Stripe sends it again.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::client_ip::ClientIp;
use crate::throttle::Route;

pub async fn stripe(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.throttle_ip(Route::Graphql, ip, 1).await.is_err() {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match state.services.processor_events.take_stripe(&account, signature, &body).await {
        Ok(Ok(taken)) => {
            tracing::debug!(?taken, "processor event taken");
            StatusCode::OK.into_response()
        }
        Ok(Err(refused)) => {
            tracing::warn!(%refused, "processor event refused");
            (StatusCode::BAD_REQUEST, refused.to_string()).into_response()
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "processor event not applied; the processor will send it again");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
