//! What a resolver reads from the request: the services, the caller, the batch loader.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use super::errors::gql;
use crate::error::AppError;
use crate::service::Services;
use crate::service::auth::Caller;
use crate::storage::batch::BatchLoader;

/// Per-request data, inserted by the HTTP and WebSocket layers.
pub struct RequestData {
    pub caller: Option<Caller>,
    /// Present when there is a caller: loaders are scoped to its merchant.
    pub loader: Option<Arc<DataLoader<BatchLoader>>>,
}

impl RequestData {
    pub fn new(services: &Services, caller: Option<Caller>) -> Self {
        let loader = caller
            .map(|c| Arc::new(DataLoader::new(BatchLoader::new(services.db.clone(), c.merchant().0), tokio::spawn)));
        RequestData { caller, loader }
    }
}

pub trait ContextExt {
    fn services(&self) -> &Services;
    /// The caller, or `UNAUTHENTICATED`.
    fn caller(&self) -> async_graphql::Result<Caller>;
    fn loader(&self) -> async_graphql::Result<Arc<DataLoader<BatchLoader>>>;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> &Services {
        self.data_unchecked::<Services>()
    }

    fn caller(&self) -> async_graphql::Result<Caller> {
        self.data_opt::<RequestData>().and_then(|d| d.caller).ok_or_else(|| gql(AppError::unauthenticated()))
    }

    fn loader(&self) -> async_graphql::Result<Arc<DataLoader<BatchLoader>>> {
        self.data_opt::<RequestData>().and_then(|d| d.loader.clone()).ok_or_else(|| gql(AppError::unauthenticated()))
    }
}
