//! Reads `Authorization: Bearer <secret key | client secret>`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::error::{AppError, AppResult};
use crate::service::auth::{Auth, Caller};

/// The caller a request's credentials name: `Ok(None)` without credentials, an
/// `UNAUTHENTICATED` error for credentials that are malformed or match nothing.
pub async fn caller(auth: &Auth, headers: &HeaderMap) -> AppResult<Option<Caller>> {
    let Some(value) = headers.get(AUTHORIZATION) else { return Ok(None) };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(AppError::unauthenticated)?;
    auth.authenticate(token).await?.map(Some).ok_or_else(AppError::unauthenticated)
}
