//! One door: every rule about who may run a GraphQL operation, called by both transports.
//!
//! HTTP (`graphql`) and the WebSocket (`ws`) each read a request their own way, then pass
//! it here, in the same order: the client IP's budget (before any credential is read, so a
//! flood of bad keys reaches no database), the credential as it stands now, its budget, its
//! origin, and the document (persisted queries, the allow-list). Depth, aliases, complexity
//! and the cost budget are the schema's own rules (`graphql::rules`), which both transports
//! execute through. A rule added here holds on every transport at once.

use std::net::IpAddr;

use async_graphql::Request;
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

use super::AppState;
use super::graphql::persisted::{self, Refusal as DocumentRefusal};
use crate::error::{AppError, AppResult};
use crate::service::auth::Caller;
use crate::throttle::{By, Limited, Route};

/// What a refused origin is told.
pub const ORIGIN_REFUSED: &str = "this origin is not allowed for the credential's merchant: add it with \
                                  updateMerchantSettings(input: { allowedOrigins })";

/// Why the door stays shut.
#[derive(Debug)]
pub enum Refusal {
    /// Over a rate limit.
    Limited(Limited),
    /// The credential matches nothing live (any more), or could not be checked.
    Credential(AppError),
    /// A browser origin the credential's merchant does not allow.
    Origin,
    /// The document may not run.
    Document(DocumentRefusal),
}

/// Where a browser says a request comes from (`Origin`), and the host it asked for: requests
/// without an origin (servers, apps) and from paygraph's own pages pass.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    origin: Option<String>,
    host: Option<String>,
}

impl Provenance {
    /// The `Origin` header, if the request had one.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    pub fn of(headers: &HeaderMap) -> Self {
        let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok()).map(str::to_owned);
        Provenance { origin: text(ORIGIN), host: text(HOST) }
    }
}

impl AppState {
    /// The client IP's budget for `operations` operations; checked before credentials.
    pub async fn admit_ip(&self, client_ip: Option<IpAddr>, operations: u32) -> Result<(), Refusal> {
        self.throttle_ip(Route::Graphql, client_ip, operations).await.map_err(Refusal::Limited)
    }

    /// The credential `token` as it stands now (a key revoked or past its roll's grace no
    /// longer opens anything): `None` without a token, `UNAUTHENTICATED` for a dead one.
    pub async fn admit_token(&self, token: Option<&str>) -> AppResult<Option<Caller>> {
        let Some(token) = token else { return Ok(None) };
        self.services.auth.authenticate(token).await?.map(Some).ok_or_else(AppError::unauthenticated)
    }

    /// The caller's budget for `operations` operations, and its origin.
    pub async fn admit_caller(&self, caller: Caller, from: &Provenance, operations: u32) -> Result<(), Refusal> {
        self.throttle_caller(Route::Graphql, By::Credential, caller, operations).await.map_err(Refusal::Limited)?;
        self.admit_origin(caller, from)
    }

    /// Whether `caller`'s merchant (or the server's list) allows the browser origin `from`.
    pub fn admit_origin(&self, caller: Caller, from: &Provenance) -> Result<(), Refusal> {
        let Some(origin) = from.origin.as_deref() else { return Ok(()) };
        let public_url = &self.services.public_url;
        let same_origin =
            origin == public_url.as_str() || origin.split_once("://").map(|(_, rest)| rest) == from.host.as_deref();
        if same_origin || self.services.origins.allows(origin, caller.merchant()) {
            Ok(())
        } else {
            Err(Refusal::Origin)
        }
    }

    /// Gives `request` its document (a persisted query's, by hash) and checks the allow-list.
    pub async fn admit_document(&self, caller: Option<Caller>, request: &mut Request) -> Result<(), Refusal> {
        persisted::resolve(&self.persisted, caller, request).await.map_err(Refusal::Document)
    }
}
