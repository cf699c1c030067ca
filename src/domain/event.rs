//! A committed change of a session: the unit of the event log, the live stream and webhooks.

use chrono::{DateTime, Utc};

use super::{CustomerId, MerchantId, SessionId, SessionStatus};

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
    pub previous_status: Option<SessionStatus>,
    pub status: SessionStatus,
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
}
