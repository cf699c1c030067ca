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

pub use self::redis::{RedisBus, RedisLink};
pub use hub::{Hub, Topic};
pub use in_process::InProcessBus;

pub use crate::domain::SessionEvent;

/// Why an event did not reach the bus; the outbox relay will publish it later.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable: {0}")]
pub struct BusError(pub String);

/// A change every instance must hear of at once, besides session events: what each
/// instance caches of it is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A secret key was revoked or rolled: forget what was verified of it.
    KeyChanged { key: uuid::Uuid },
    /// A merchant changed the web origins it allows: read them again.
    OriginsChanged,
    /// A customer's saved methods, subscriptions or preferences changed: an open portal of
    /// theirs reads them again. (Their sessions' changes arrive as session events.)
    CustomerChanged { merchant: uuid::Uuid, customer: uuid::Uuid },
    /// Notices may have been missed (the bus was away): forget everything.
    Lost,
}

/// Publishes committed events to every instance's hub.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes one committed event. An error leaves it to the outbox relay.
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>>;

    /// Tells every instance, this one first. An instance that misses it (the bus was away)
    /// hears `Notice::Lost` when it is back.
    fn notify<'a>(&'a self, notice: Notice) -> BoxFuture<'a, Result<(), BusError>>;

    /// A word for `/readyz`: `in-process`, `connected`, `reconnecting`.
    fn state(&self) -> &'static str;
}
