//! Row of `customers`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_reference: Option<String>,
    pub preferred_locale: Option<String>,
    /// A JSON object of string values.
    pub metadata: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain customer.
impl TryFrom<Model> for crate::domain::customer::Customer {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        Ok(crate::domain::customer::Customer {
            id: crate::domain::CustomerId(row.id),
            merchant: crate::domain::MerchantId(row.merchant_id),
            email: row.email,
            name: row.name,
            external_reference: row.external_reference,
            preferred_locale: row.preferred_locale.as_deref().and_then(|l| l.parse().ok()),
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| DbErr::Type(format!("customer {}: {e}", row.id)))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain customer is stored as.
impl From<crate::domain::customer::Customer> for Model {
    fn from(c: crate::domain::customer::Customer) -> Self {
        Model {
            id: c.id.0,
            merchant_id: c.merchant.0,
            email: c.email,
            name: c.name,
            external_reference: c.external_reference,
            preferred_locale: c.preferred_locale.map(|l| l.as_str().to_owned()),
            metadata: serde_json::to_string(&c.metadata).unwrap_or_else(|_| "{}".to_owned()),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
