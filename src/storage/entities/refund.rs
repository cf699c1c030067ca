//! Row of `refunds`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub payment_id: Uuid,
    pub payment_session_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub status: String,
    pub failure_code: Option<String>,
    /// The processor's id of the refund, stored as soon as it is known.
    pub processor_reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::refund::Refund {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{Currency, MerchantId, Money, PaymentId, RefundId, SessionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("refund {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::refund::Refund {
            id: RefundId(row.id),
            merchant: MerchantId(row.merchant_id),
            payment: PaymentId(row.payment_id),
            session: SessionId(row.payment_session_id),
            amount: Money::from_stored(row.amount, currency),
            reason: row.reason.parse().map_err(|e| bad(&e))?,
            status: row.status.parse().map_err(|e| bad(&e))?,
            failure_code: row.failure_code,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<crate::domain::refund::Refund> for Model {
    fn from(r: crate::domain::refund::Refund) -> Self {
        Model {
            id: r.id.0,
            merchant_id: r.merchant.0,
            payment_id: r.payment.0,
            payment_session_id: r.session.0,
            amount: r.amount.amount(),
            currency: r.amount.currency().code().to_owned(),
            reason: r.reason.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            failure_code: r.failure_code,
            processor_reference: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
