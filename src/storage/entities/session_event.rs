//! Row of `session_events`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: Uuid,
    /// 1, 2, 3… per merchant, in commit order (taken under the merchant row's lock in the
    /// event's own transaction): the cursor of event streams, never skipped on resume.
    pub merchant_seq: i64,
    pub payment_session_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub version: i32,
    pub previous_status: Option<String>,
    pub status: String,
    pub occurred_at: DateTimeUtc,
    /// `EventKind`: STATUS_CHANGED, or a refund's (or later a capture's) event.
    pub kind: String,
    pub payment_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    /// The dispute a DISPUTE_* event is about.
    pub dispute_id: Option<Uuid>,
    /// The saved method a PAYMENT_METHOD_* event is about.
    pub payment_profile_id: Option<Uuid>,
    /// Set once the event reached the bus; the outbox relay publishes the rest.
    pub published_at: Option<DateTimeUtc>,
    /// The W3C `traceparent` of the request that made the change (traces exported only).
    pub trace_parent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
