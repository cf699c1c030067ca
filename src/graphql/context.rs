//! What a resolver reads from the request: the services, the caller, the batch loader.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use super::errors::gql;
use super::loaders::BatchLoader;
use crate::error::AppError;
use crate::service::Services;
use crate::service::auth::Caller;

/// Per-request data, inserted by the HTTP and WebSocket layers.
pub struct RequestData {
    pub caller: Option<Caller>,
    /// Where the request came from (see `http::client_ip`), for the fraud rules.
    pub client_ip: Option<IpAddr>,
    /// Made by the first resolver that batches, scoped to the caller's merchant. Most
    /// mutations and every idle WebSocket connection never need one.
    pub(super) loader: OnceLock<Arc<DataLoader<BatchLoader>>>,
}

impl RequestData {
    pub fn new(caller: Option<Caller>, client_ip: Option<IpAddr>) -> Self {
        RequestData { caller, client_ip, loader: OnceLock::new() }
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

/// One WebSocket connection's bookkeeping: its live subscriptions and when it last had one.
pub struct ConnectionState {
    max_subscriptions: usize,
    active: std::sync::atomic::AtomicUsize,
    initialized: std::sync::atomic::AtomicBool,
    idle_since: std::sync::Mutex<Option<std::time::Instant>>,
}

/// A subscription's place on its connection; dropping it frees the place.
pub struct SubscriptionSlot(Arc<ConnectionState>);

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.set_idle_since(Some(std::time::Instant::now()));
        }
    }
}

impl ConnectionState {
    pub fn new(max_subscriptions: usize) -> Arc<Self> {
        Arc::new(ConnectionState {
            max_subscriptions,
            active: Default::default(),
            initialized: Default::default(),
            idle_since: std::sync::Mutex::new(Some(std::time::Instant::now())),
        })
    }

    fn set_idle_since(&self, at: Option<std::time::Instant>) {
        *self.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// How long the connection has had no subscription; `None` while it has one.
    pub fn idle_for(&self) -> Option<std::time::Duration> {
        self.idle_since.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t.elapsed())
    }

    pub fn mark_initialized(&self) {
        self.initialized.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn initialized(&self) -> bool {
        self.initialized.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Takes a subscription place on the connection, or `TOO_MANY_SUBSCRIPTIONS`.
    /// Subscriptions only run over WebSocket, where the connection state is always set.
    pub fn take_slot(state: Option<&Arc<ConnectionState>>) -> async_graphql::Result<Option<SubscriptionSlot>> {
        use std::sync::atomic::Ordering;
        let Some(state) = state else { return Ok(None) };
        let taken = state
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < state.max_subscriptions).then_some(n + 1));
        if taken.is_err() {
            return Err(gql(AppError::user(
                &[],
                crate::error::ErrorCode::TooManySubscriptions,
                format!("a connection holds at most {} subscriptions", state.max_subscriptions),
            )));
        }
        state.set_idle_since(None);
        Ok(Some(SubscriptionSlot(state.clone())))
    }
}
