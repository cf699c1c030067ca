//! One WebSocket connection's bookkeeping: its live subscriptions (bounded per connection
//! and, over all the credential's connections on this instance, per credential), its other
//! operations in flight, and since when it has had no subscription (the idle timeout).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::gql;
use crate::error::{AppError, ErrorCode};
use crate::throttle::counter::{Counter, Permit};

/// What one connection may hold.
#[derive(Clone, Copy, Debug)]
pub struct SocketLimits {
    pub max_subscriptions: usize,
    /// Queries and mutations running at once.
    pub max_in_flight: usize,
}

/// The credential's subscriptions, counted over all its connections.
pub struct CredentialSubscriptions {
    pub counter: Arc<Counter>,
    pub key: String,
    pub max: usize,
}

pub struct ConnectionState {
    max_subscriptions: usize,
    active: AtomicUsize,
    /// Set by `connection_init`, once the credential is known.
    credential: OnceLock<CredentialSubscriptions>,
    idle_since: Mutex<Option<Instant>>,
    in_flight: Arc<Semaphore>,
}

/// A subscription's place on its connection and in its credential's count; dropping it
/// frees both.
pub struct SubscriptionSlot {
    connection: Arc<ConnectionState>,
    _credential: Option<Permit>,
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        if self.connection.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.connection.set_idle_since(Some(Instant::now()));
        }
    }
}

impl ConnectionState {
    pub fn new(limits: SocketLimits) -> Arc<Self> {
        Arc::new(ConnectionState {
            max_subscriptions: limits.max_subscriptions,
            active: AtomicUsize::default(),
            credential: OnceLock::new(),
            idle_since: Mutex::new(Some(Instant::now())),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
        })
    }

    fn set_idle_since(&self, at: Option<Instant>) {
        *self.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// How long the connection has had no subscription; `None` while it has one.
    pub fn idle_for(&self) -> Option<Duration> {
        self.idle_since.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t.elapsed())
    }

    /// `connection_init` succeeded for the credential whose subscriptions `subscriptions` counts.
    pub fn mark_initialized(&self, subscriptions: CredentialSubscriptions) {
        let _ = self.credential.set(subscriptions);
    }

    pub fn initialized(&self) -> bool {
        self.credential.get().is_some()
    }

    /// A place for one more query or mutation to run, or `TOO_MANY_OPERATIONS`.
    pub fn begin_operation(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.in_flight.clone().try_acquire_owned().map_err(|_| {
            AppError::user(
                &[],
                ErrorCode::TooManyOperations,
                "too many operations in flight on this connection; wait for one to finish",
            )
        })
    }

    /// Takes a subscription place on the connection and in the credential's count, or
    /// `TOO_MANY_SUBSCRIPTIONS`. Subscriptions only run over WebSocket, where the connection
    /// state is always set.
    pub fn take_slot(state: Option<&Arc<ConnectionState>>) -> async_graphql::Result<Option<SubscriptionSlot>> {
        let Some(state) = state else { return Ok(None) };
        let too_many = |message: String| gql(AppError::user(&[], ErrorCode::TooManySubscriptions, message));
        let credential = match state.credential.get() {
            Some(c) => Some(c.counter.acquire(c.key.clone(), c.max).ok_or_else(|| {
                too_many(format!("a credential holds at most {} subscriptions on this server", c.max))
            })?),
            None => None,
        };
        let taken = state
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < state.max_subscriptions).then_some(n + 1));
        if taken.is_err() {
            return Err(too_many(format!("a connection holds at most {} subscriptions", state.max_subscriptions)));
        }
        state.set_idle_since(None);
        Ok(Some(SubscriptionSlot { connection: state.clone(), _credential: credential }))
    }
}
