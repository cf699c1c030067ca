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

/// A line item as a link keeps it (JSON).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredItem {
    name: String,
    quantity: i32,
    unit_amount: i64,
}

/// A stored row read as a domain link; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::link::PaymentLink {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::order::LineItem;
        use crate::domain::{Currency, LinkId, MerchantId, Money};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("payment link {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        let items: Vec<StoredItem> = serde_json::from_str(&row.line_items).map_err(|e| bad(&e))?;
        Ok(crate::domain::link::PaymentLink {
            id: LinkId(row.id),
            merchant: MerchantId(row.merchant_id),
            slug: row.slug,
            currency,
            amount: row.amount.map(|amount| Money::from_stored(amount, currency)),
            items: items
                .into_iter()
                .map(|i| LineItem { name: i.name, quantity: i.quantity, unit_amount: i.unit_amount })
                .collect(),
            active: row.active,
            max_completed_payments: row.max_completed_payments,
            expires_at: row.expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain link is stored as.
impl From<crate::domain::link::PaymentLink> for Model {
    fn from(l: crate::domain::link::PaymentLink) -> Self {
        let items: Vec<StoredItem> = l
            .items
            .into_iter()
            .map(|i| StoredItem { name: i.name, quantity: i.quantity, unit_amount: i.unit_amount })
            .collect();
        Model {
            id: l.id.0,
            merchant_id: l.merchant.0,
            slug: l.slug,
            currency: l.currency.code().to_owned(),
            amount: l.amount.map(|m| m.amount()),
            line_items: serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_owned()),
            active: l.active,
            max_completed_payments: l.max_completed_payments,
            expires_at: l.expires_at,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}
