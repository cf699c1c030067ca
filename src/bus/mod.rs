//! The event bus: carries committed session events to every subscription.
//!
//! The outbox row in `session_events` is the truth; the bus is only the fast path. In this
//! issue the bus is in-process; Redis pub/sub comes behind the same trait.

mod in_process;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

pub use in_process::InProcessBus;

use crate::domain::{CustomerId, MerchantId, SessionId, SessionStatus};

/// One committed status change of a session, as stored in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionEvent {
    /// The outbox row id: increasing per commit, the cursor of event streams.
    pub id: i64,
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

/// Publishes events and hands every event published anywhere to local listeners.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes one committed event.
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>>;

    /// Every event this process learns of, from any instance.
    fn listen(&self) -> broadcast::Receiver<SessionEvent>;

    /// A word for `/readyz`: `in-process`, `connected`, `reconnecting`.
    fn state(&self) -> &'static str;
}
