//! Row of `payment_profiles`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Uuid,
    pub method_type: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    pub fingerprint: String,
    pub processor_token: String,
    /// The account that holds `processor_token`; none: the test processor.
    pub processor_account_id: Option<Uuid>,
    pub is_default: bool,
    pub payment_session_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain profile; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::profile::PaymentProfile {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{CustomerId, MerchantId, ProfileId, SessionId};
        Ok(crate::domain::profile::PaymentProfile {
            id: ProfileId(row.id),
            merchant: MerchantId(row.merchant_id),
            customer: CustomerId(row.customer_id),
            method: row.method_type.parse().map_err(|e| DbErr::Type(format!("payment profile {}: {e}", row.id)))?,
            brand: row.brand,
            last4: row.last4,
            exp_month: row.exp_month,
            exp_year: row.exp_year,
            fingerprint: row.fingerprint,
            processor_token: row.processor_token,
            processor_account: row.processor_account_id,
            is_default: row.is_default,
            saved_by: row.payment_session_id.map(SessionId),
            created_at: row.created_at,
            removed_at: row.removed_at,
        })
    }
}

/// The row a domain profile is stored as.
impl From<crate::domain::profile::PaymentProfile> for Model {
    fn from(p: crate::domain::profile::PaymentProfile) -> Self {
        Model {
            id: p.id.0,
            merchant_id: p.merchant.0,
            customer_id: p.customer.0,
            method_type: p.method.as_str().to_owned(),
            brand: p.brand,
            last4: p.last4,
            exp_month: p.exp_month,
            exp_year: p.exp_year,
            fingerprint: p.fingerprint,
            processor_token: p.processor_token,
            processor_account_id: p.processor_account,
            is_default: p.is_default,
            payment_session_id: p.saved_by.map(|s| s.0),
            created_at: p.created_at,
            removed_at: p.removed_at,
        }
    }
}
