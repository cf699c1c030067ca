//! The client's IP address, for the fraud rules: the TCP peer, or behind a trusted load
//! balancer (`PAYGRAPH_TRUST_PROXY`) the last `X-Forwarded-For` entry, the one the balancer
//! itself added. Earlier entries are whatever the client claimed and are never trusted.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::AppState;

/// `None` only when neither source names one (a server run without peer addresses).
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        if !state.trust_proxy {
            return Ok(ClientIp(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok());
        Ok(ClientIp(forwarded.or(peer)))
    }
}
