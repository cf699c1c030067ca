//! What a resolver reads from the request: the services, the caller, the batch loader.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use super::cost::CostSlot;
use super::errors::gql;
use super::loaders::BatchLoader;
use super::parsed::Validation;
use crate::error::AppError;
use crate::service::Services;
use crate::service::auth::Caller;

/// Per-request data, inserted by the HTTP and WebSocket layers.
pub struct RequestData {
    pub caller: Option<Caller>,
    /// Where the request came from (see `http::client_ip`), for the fraud rules.
    pub client_ip: Option<IpAddr>,
    /// The browser origin the request came from, if any (for the audit trail).
    pub origin: Option<String>,
    /// Made by the first resolver that batches, scoped to the caller's merchant. Most
    /// mutations and every idle WebSocket connection never need one.
    pub(super) loader: OnceLock<Arc<DataLoader<BatchLoader>>>,
    /// Where the operation's cost goes; without one it is added to the response's
    /// extensions as a GraphQL value.
    pub(super) cost: Option<CostSlot>,
    /// Whether the document passed validation already (see `parsed`); without it, it is
    /// validated as usual.
    pub(super) validation: Option<Validation>,
    /// Where the request's batch loads wait to be run by its own task (see `batching`);
    /// without it (streams) they are spawned.
    pub(super) loads: Option<super::batching::LoaderTasks>,
}

impl RequestData {
    pub fn new(caller: Option<Caller>, client_ip: Option<IpAddr>) -> Self {
        RequestData {
            caller,
            client_ip,
            origin: None,
            loader: OnceLock::new(),
            cost: None,
            validation: None,
            loads: None,
        }
    }

    /// The browser origin the request came from (`Origin`).
    pub fn with_origin(self, origin: Option<String>) -> Self {
        RequestData { origin, ..self }
    }

    /// The operation's cost is reported in `slot` instead of the response's extensions.
    pub fn with_cost_slot(self, slot: CostSlot) -> Self {
        RequestData { cost: Some(slot), ..self }
    }

    /// What the parsed-document cache knows of the document's validation.
    pub fn with_validation(self, validation: Option<Validation>) -> Self {
        RequestData { validation, ..self }
    }

    /// The request's batch loads are queued on `loads` for `batching::drive` to run.
    pub fn with_driven_loads(self, loads: super::batching::LoaderTasks) -> Self {
        RequestData { loads: Some(loads), ..self }
    }
}

pub trait ContextExt {
    fn services(&self) -> &Services;
    /// The caller, or `UNAUTHENTICATED`.
    fn caller(&self) -> async_graphql::Result<Caller>;
    fn client_ip(&self) -> Option<IpAddr>;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> &Services {
        self.data_unchecked::<Services>()
    }

    fn caller(&self) -> async_graphql::Result<Caller> {
        self.data_opt::<RequestData>().and_then(|d| d.caller).ok_or_else(|| gql(AppError::unauthenticated()))
    }

    fn client_ip(&self) -> Option<IpAddr> {
        self.data_opt::<RequestData>().and_then(|d| d.client_ip)
    }
}

pub use super::socket::{ConnectionState, SubscriptionSlot};
