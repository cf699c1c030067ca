//! Row of `disputes`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disputes")]
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
    /// `DisputeEvidence` as JSON.
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    pub evidence_due_by: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub processor_reference: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::dispute::Dispute {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{Currency, DisputeId, MerchantId, Money, PaymentId, SessionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("dispute {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::dispute::Dispute {
            id: DisputeId(row.id),
            merchant: MerchantId(row.merchant_id),
            payment: PaymentId(row.payment_id),
            session: SessionId(row.payment_session_id),
            amount: Money::from_stored(row.amount, currency),
            reason: row.reason.parse().map_err(|e| bad(&e))?,
            status: row.status.parse().map_err(|e| bad(&e))?,
            evidence: serde_json::from_str(&row.evidence).map_err(|e| bad(&e))?,
            evidence_due_by: row.evidence_due_by,
            submitted_at: row.submitted_at,
            closed_at: row.closed_at,
            processor_reference: row.processor_reference,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<crate::domain::dispute::Dispute> for Model {
    fn from(d: crate::domain::dispute::Dispute) -> Self {
        Model {
            id: d.id.0,
            merchant_id: d.merchant.0,
            payment_id: d.payment.0,
            payment_session_id: d.session.0,
            amount: d.amount.amount(),
            currency: d.amount.currency().code().to_owned(),
            reason: d.reason.as_str().to_owned(),
            status: d.status.as_str().to_owned(),
            // A struct of optional strings always serializes.
            evidence: serde_json::to_string(&d.evidence).unwrap_or_else(|_| "{}".to_owned()),
            evidence_due_by: d.evidence_due_by,
            submitted_at: d.submitted_at,
            closed_at: d.closed_at,
            processor_reference: d.processor_reference,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}
