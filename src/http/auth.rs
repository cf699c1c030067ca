//! Reads `Authorization: Bearer <secret key | client secret>`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::error::{AppError, AppResult};

/// The bearer token a request carries: `Ok(None)` without credentials, `UNAUTHENTICATED`
/// for a header that is malformed. What it stands for is the door's question
/// (`AppState::admit_token`).
pub fn bearer(headers: &HeaderMap) -> AppResult<Option<&str>> {
    let Some(value) = headers.get(AUTHORIZATION) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .map(Some)
        .ok_or_else(AppError::unauthenticated)
}
