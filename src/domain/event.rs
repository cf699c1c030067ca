//! A committed change of a session: the unit of the event log, the live stream and webhooks.

use chrono::{DateTime, Utc};

use super::{CustomerId, DisputeId, MerchantId, PaymentId, RefundId, SessionId, SessionStatus};

string_enum!(
    /// What changed. Every kind raises the session's version by one and takes its place in
    /// the same log and stream; only STATUS_CHANGED changes the status.
    EventKind, "event kind" {
        StatusChanged => "STATUS_CHANGED",
        RefundCreated => "REFUND_CREATED",
        RefundSucceeded => "REFUND_SUCCEEDED",
        RefundFailed => "REFUND_FAILED",
        PaymentCaptured => "PAYMENT_CAPTURED",
        PaymentVoided => "PAYMENT_VOIDED",
        DisputeOpened => "DISPUTE_OPENED",
        DisputeUpdated => "DISPUTE_UPDATED",
        DisputeClosed => "DISPUTE_CLOSED",
        SubscriptionUpdated => "SUBSCRIPTION_UPDATED",
        PaymentMethodUpdated => "PAYMENT_METHOD_UPDATED",
        PaymentMethodRemoved => "PAYMENT_METHOD_REMOVED",
    }
);

// `string_enum!` takes no attributes on variants, so `#[default]` cannot be derived.
#[allow(clippy::derivable_impls)]
impl Default for EventKind {
    fn default() -> Self {
        EventKind::StatusChanged
    }
}

/// One committed change of a session, as stored in the outbox.
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
    /// Absent from events published before kinds existed: a status change.
    #[serde(default)]
    pub kind: EventKind,
    /// The payment the change concerns (a refund's payment).
    #[serde(default)]
    pub payment_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub refund_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub dispute_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub payment_profile_id: Option<uuid::Uuid>,
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
    pub fn payment(&self) -> Option<PaymentId> {
        self.payment_id.map(PaymentId)
    }
    pub fn refund(&self) -> Option<RefundId> {
        self.refund_id.map(RefundId)
    }
    pub fn dispute(&self) -> Option<DisputeId> {
        self.dispute_id.map(DisputeId)
    }
    pub fn payment_profile(&self) -> Option<super::ProfileId> {
        self.payment_profile_id.map(super::ProfileId)
    }
}
