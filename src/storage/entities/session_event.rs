//! Row of `session_events`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_events")]
pub struct Model {
    /// Commit-ordered per merchant; the cursor of the event streams.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: Uuid,
    pub payment_session_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub version: i32,
    pub previous_status: Option<String>,
    pub status: String,
    pub occurred_at: DateTimeUtc,
    /// Set once the event reached the bus; the outbox relay publishes the rest.
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
