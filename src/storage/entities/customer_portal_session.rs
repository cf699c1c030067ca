//! Row of `customer_portal_sessions`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_portal_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Uuid,
    pub secret: String,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::domain::portal::PortalSession {
    fn from(row: Model) -> Self {
        crate::domain::portal::PortalSession {
            id: crate::domain::PortalId(row.id),
            merchant: crate::domain::MerchantId(row.merchant_id),
            customer: crate::domain::CustomerId(row.customer_id),
            secret: row.secret,
            return_url: row.return_url,
            // A tag no longer spoken falls back to the customer's and the browser's choice.
            locale: row.locale.as_deref().and_then(|l| l.parse().ok()),
            expires_at: row.expires_at,
            created_at: row.created_at,
        }
    }
}

impl From<crate::domain::portal::PortalSession> for Model {
    fn from(portal: crate::domain::portal::PortalSession) -> Self {
        Model {
            id: portal.id.0,
            merchant_id: portal.merchant.0,
            customer_id: portal.customer.0,
            secret: portal.secret,
            return_url: portal.return_url,
            locale: portal.locale.map(|l| l.as_str().to_owned()),
            expires_at: portal.expires_at,
            created_at: portal.created_at,
        }
    }
}
