//! Row of `ledger_entries`: one movement of a customer's balance. The balance is their sum;
//! it is never kept as a counter of its own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Uuid,
    pub currency: String,
    /// Signed minor units: positive credits the customer, negative is a charge they owe.
    pub amount: i64,
    /// `TOP_UP`, `CHARGE` or `SETTLEMENT`.
    pub kind: String,
    /// The session whose completion made this entry (top-ups and settlements).
    pub payment_session_id: Option<Uuid>,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
