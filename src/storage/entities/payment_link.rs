//! Row of `payment_links`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub currency: String,
    pub amount: Option<i64>,
    /// JSON array of line items, when the link sells items rather than an amount.
    pub line_items: String,
    pub active: bool,
    pub max_completed_payments: Option<i32>,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
