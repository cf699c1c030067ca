//! Row of `webhook_deliveries`: one event queued for one endpoint.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub endpoint_id: Uuid,
    /// The `session_events` row it sends.
    pub event_id: i64,
    /// The event's merchant number: the order of an endpoint's deliveries of one session.
    pub event_seq: i64,
    pub payment_session_id: Uuid,
    /// PENDING, SUCCEEDED or FAILED (given up).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// The instance's claim while it sends: no other sends it before `leased_until`.
    pub lease: Option<Uuid>,
    pub leased_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
