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

/// A stored row read as a domain entry; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::ledger::LedgerEntry {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{Currency, CustomerId, MerchantId, Money, SessionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("ledger entry {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::ledger::LedgerEntry {
            id: row.id,
            merchant: MerchantId(row.merchant_id),
            customer: CustomerId(row.customer_id),
            amount: Money::from_stored(row.amount, currency),
            kind: row.kind.parse().map_err(|e| bad(&e))?,
            session: row.payment_session_id.map(SessionId),
            description: row.description,
            created_at: row.created_at,
        })
    }
}

/// The row a domain entry is stored as.
impl From<crate::domain::ledger::LedgerEntry> for Model {
    fn from(e: crate::domain::ledger::LedgerEntry) -> Self {
        Model {
            id: e.id,
            merchant_id: e.merchant.0,
            customer_id: e.customer.0,
            currency: e.amount.currency().code().to_owned(),
            amount: e.amount.amount(),
            kind: e.kind.as_str().to_owned(),
            payment_session_id: e.session.map(|s| s.0),
            description: e.description,
            created_at: e.created_at,
        }
    }
}
