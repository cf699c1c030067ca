//! Row of `orders`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub currency: String,
    pub total_amount: i64,
    pub status: String,
    pub external_reference: Option<String>,
    /// The session paying (or that paid) this order: claimed when it starts processing.
    pub paying_session_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain order; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::order::Order {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{Currency, CustomerId, MerchantId, Money, OrderId, SessionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("order {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::order::Order {
            id: OrderId(row.id),
            merchant: MerchantId(row.merchant_id),
            customer: row.customer_id.map(CustomerId),
            total: Money::from_stored(row.total_amount, currency),
            status: row.status.parse().map_err(|e| bad(&e))?,
            external_reference: row.external_reference,
            paying_session: row.paying_session_id.map(SessionId),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain order is stored as.
impl From<crate::domain::order::Order> for Model {
    fn from(o: crate::domain::order::Order) -> Self {
        Model {
            id: o.id.0,
            merchant_id: o.merchant.0,
            customer_id: o.customer.map(|c| c.0),
            currency: o.total.currency().code().to_owned(),
            total_amount: o.total.amount(),
            status: o.status.as_str().to_owned(),
            external_reference: o.external_reference,
            paying_session_id: o.paying_session.map(|s| s.0),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}
