//! The HTTP client of deliveries (reqwest): bounded in time, never redirected, and unable to
//! reach paygraph's own network. A URL was checked when the endpoint was saved, but a name
//! may resolve elsewhere later (DNS rebinding), so every connection is checked again on the
//! addresses it resolves to, by the resolver the client connects with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::webhook::is_public;

/// Resolves a name to its public addresses only (and loopback ones where those are allowed);
/// a name with none is an error, so no connection is made.
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                resolved.filter(|addr| is_public(addr.ip()) || (allow_loopback && addr.ip().is_loopback())).collect();
            if allowed.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The client deliveries are sent with; loopback receivers only when `loopback_allowed`.
pub fn client(timeout: Duration, loopback_allowed: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve the receiver's name itself, past the
        // address check; deliveries go straight to the receiver.
        .no_proxy()
        .dns_resolver(Arc::new(PublicOnly { allow_loopback: loopback_allowed }))
        .user_agent(concat!("paygraph-webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(4)
        .build()
}

/// What became of one POST.
pub struct Answer {
    /// None: no answer (refused, timed out, not allowed).
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The start of the answer's body.
    pub prefix: Option<String>,
}

/// Bytes of an answer's body that are kept.
pub const KEPT_BYTES: usize = 256;

/// POSTs `body` to `url` with `signature`, and reads no more of the answer than is kept.
pub async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>, signature: &str, event: &str) -> Answer {
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::domain::webhook_signature::HEADER, signature)
        .header("Paygraph-Event-Id", event)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => return Answer { status: None, error: Some(describe(&error)), prefix: None },
    };
    let status = response.status();
    let mut kept = Vec::new();
    while kept.len() < KEPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(KEPT_BYTES - kept.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    let prefix = (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned());
    let error = (!status.is_success()).then(|| format!("the receiver answered {status}"));
    Answer { status: Some(status.as_u16()), error, prefix }
}

/// What went wrong, without the URL (it may carry the merchant's own tokens).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if cause.is_empty() { kind.to_owned() } else { format!("{kind}: {cause}") }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    async fn resolves(name: &str, allow_loopback: bool) -> bool {
        let name = Name::from_str(name).expect("a name");
        PublicOnly { allow_loopback }.resolve(name).await.is_ok()
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_in_production() {
        assert!(!resolves("localhost", false).await, "production: no connection to the host itself");
        assert!(resolves("localhost", true).await, "development: a local receiver");
    }
}
