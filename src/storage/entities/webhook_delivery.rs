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

impl TryFrom<Model> for crate::domain::webhook_delivery::Delivery {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        Ok(crate::domain::webhook_delivery::Delivery {
            id: row.id,
            merchant: crate::domain::MerchantId(row.merchant_id),
            endpoint: row.endpoint_id,
            event: row.event_id,
            event_seq: row.event_seq,
            session: row.payment_session_id,
            state: row.state.parse().map_err(|e| DbErr::Type(format!("webhook delivery {}: {e}", row.id)))?,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            lease: row.lease,
            leased_until: row.leased_until,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<crate::domain::webhook_delivery::Delivery> for Model {
    fn from(d: crate::domain::webhook_delivery::Delivery) -> Self {
        Model {
            id: d.id,
            merchant_id: d.merchant.0,
            endpoint_id: d.endpoint,
            event_id: d.event,
            event_seq: d.event_seq,
            payment_session_id: d.session,
            state: d.state.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            lease: d.lease,
            leased_until: d.leased_until,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}
