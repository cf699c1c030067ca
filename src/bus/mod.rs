//! The event bus: carries committed session events to every instance's subscriptions.
//!
//! The outbox row in `session_events` is the truth; the bus is only the fast path, and every
//! subscription checks what it receives against the log (versions and sequence numbers), so
//! a lost, late or repeated message never reaches a client as a gap or a duplicate.
//!
//! - [`InProcessBus`]: one instance, no configuration.
//! - [`RedisBus`]: several instances; one subscriber connection per process.
//!
//! Either way, events reach local subscriptions through the process's [`Hub`].

pub mod hub;
mod in_process;
mod redis;

use futures_util::future::BoxFuture;

pub use self::redis::RedisBus;
pub use hub::{Hub, Topic};
pub use in_process::InProcessBus;

pub use crate::domain::SessionEvent;

/// Why an event did not reach the bus; the outbox relay will publish it later.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable: {0}")]
pub struct BusError(pub String);

/// Publishes committed events to every instance's hub.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes one committed event. An error leaves it to the outbox relay.
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>>;

    /// A word for `/readyz`: `in-process`, `connected`, `reconnecting`.
    fn state(&self) -> &'static str;
}
