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

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

pub use self::redis::RedisBus;
pub use hub::{Hub, Topic};
pub use in_process::InProcessBus;

use crate::domain::{CustomerId, MerchantId, SessionId, SessionStatus};

/// One committed status change of a session, as stored in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionEvent {
    /// The outbox row id.
    pub id: i64,
    /// Gap-free, commit-ordered per merchant: the cursor of event streams.
    pub seq: i64,
    pub merchant_id: uuid::Uuid,
    pub session_id: uuid::Uuid,
    pub customer_id: Option<uuid::Uuid>,
    pub version: i32,
    pub previous_status: Option<String>,
    pub status: String,
    pub occurred_at: DateTime<Utc>,
}

impl SessionEvent {
    pub fn merchant(&self) -> MerchantId {
        MerchantId(self.merchant_id)
    }
    pub fn session(&self) -> SessionId {
        SessionId(self.session_id)
    }
    pub fn customer(&self) -> Option<CustomerId> {
        self.customer_id.map(CustomerId)
    }
    pub fn status(&self) -> Option<SessionStatus> {
        self.status.parse().ok()
    }
}

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
