//! Row of `webhook_delivery_attempts`: one try of a delivery, as the merchant sees it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub endpoint_id: Uuid,
    pub delivery_id: Uuid,
    pub event_id: i64,
    /// 1 for the first try of the delivery.
    pub attempt: i32,
    pub succeeded: bool,
    /// The receiver's answer; none when it gave none (refused, timed out).
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the answer's body, never more.
    pub response_prefix: Option<String>,
    /// When it is tried again; none once it succeeded or was given up.
    pub next_retry_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::domain::webhook_delivery::Attempt {
    fn from(row: Model) -> Self {
        crate::domain::webhook_delivery::Attempt {
            id: crate::domain::WebhookDeliveryId(row.id),
            merchant: crate::domain::MerchantId(row.merchant_id),
            endpoint: row.endpoint_id,
            delivery: row.delivery_id,
            event: row.event_id,
            attempt: row.attempt,
            succeeded: row.succeeded,
            status_code: row.status_code,
            duration_ms: row.duration_ms,
            error: row.error,
            response_prefix: row.response_prefix,
            next_retry_at: row.next_retry_at,
            created_at: row.created_at,
        }
    }
}

impl From<crate::domain::webhook_delivery::Attempt> for Model {
    fn from(a: crate::domain::webhook_delivery::Attempt) -> Self {
        Model {
            id: a.id.0,
            merchant_id: a.merchant.0,
            endpoint_id: a.endpoint,
            delivery_id: a.delivery,
            event_id: a.event,
            attempt: a.attempt,
            succeeded: a.succeeded,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            response_prefix: a.response_prefix,
            next_retry_at: a.next_retry_at,
            created_at: a.created_at,
        }
    }
}

/// A stored try read as the domain's (every row reads).
pub fn attempt_of(row: Model) -> Result<crate::domain::webhook_delivery::Attempt, DbErr> {
    Ok(row.into())
}
