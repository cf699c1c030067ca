//! Rate limits at the edge of each route (see `throttle`): the client's IP is checked before
//! anything else runs (credentials included, so a flood of bad keys reaches no database), the
//! credential once it is known. Over a limit: 429 with `Retry-After`, nothing written.

use std::net::IpAddr;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::AppState;
use crate::service::auth::Caller;
use crate::throttle::{By, Limited, Route, ip_key, secret_key};

impl AppState {
    /// Spends `n` of the client IP's budget on `route` (no IP known: nothing to check).
    pub async fn throttle_ip(&self, route: Route, ip: Option<IpAddr>, n: u32) -> Result<(), Limited> {
        match ip {
            Some(ip) => self.throttle.check(route, By::Ip, ip_key(ip), n).await,
            None => Ok(()),
        }
    }

    /// Spends `n` of an authenticated caller's budget on `route`.
    pub async fn throttle_caller(&self, route: Route, by: By, caller: Caller, n: u32) -> Result<(), Limited> {
        self.throttle.check(route, by, caller.budget_key(), n).await
    }

    /// Spends one of the budget of a secret in the URL (a client secret, a link's slug),
    /// known by its hash only.
    pub async fn throttle_secret(&self, route: Route, secret: &str) -> Result<(), Limited> {
        self.throttle.check(route, By::Credential, secret_key(secret), 1).await
    }
}

/// `response` as a 429 telling when to come back.
pub fn too_many_requests(mut response: Response, limited: Limited) -> Response {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(limited.retry_after_seconds()));
    response
}

/// The message of every refusal.
pub fn message(limited: Limited) -> String {
    format!("too many requests; retry after {} s", limited.retry_after_seconds())
}
