//! Browser apps on other origins (CORS), for `/graphql` and `/vault/cards`.
//!
//! A preflight carries no credential, so it is answered for any origin the server allows
//! for everyone (`PAYGRAPH_CORS_ORIGINS`) or some merchant allows for itself; every other
//! origin gets no `Access-Control-Allow-Origin` at all (never `*`: no cookie or credential
//! is ever allowed, only the `Authorization` header the page sets itself). The request that
//! follows names its merchant through its credential: if that merchant does not allow the
//! origin (it was another merchant's), the door (`AppState::admit_origin`) stops it before
//! anything runs, with a clear error the page can read.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::when_asked::WhenAsked;
use crate::service::origins::Origins;

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS answer of a route whose calls carry `Authorization` and JSON, given to the
/// requests of browsers (which send `Origin`): the rest get only its `Vary`.
pub fn layer(origins: Arc<Origins>) -> WhenAsked<CorsLayer> {
    WhenAsked::new(cors(origins), ORIGIN, "origin, access-control-request-method, access-control-request-headers")
}

fn cors(origins: Arc<Origins>) -> CorsLayer {
    let may_ask = move |origin: &HeaderValue, _: &axum::http::request::Parts| {
        origin.to_str().is_ok_and(|origin| origins.may_ask(origin))
    };
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(may_ask))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE])
        .expose_headers([RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE)
}
