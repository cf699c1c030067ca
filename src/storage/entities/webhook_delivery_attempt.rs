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
