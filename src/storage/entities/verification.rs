//! Row of `verifications`: one attempt of a SETUP session to verify a method with the
//! processor (a zero-amount check). Nothing is charged; the fraud rules count it as an
//! attempt with its card, IP and customer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub payment_session_id: Uuid,
    pub customer_id: Option<Uuid>,
    /// `PROCESSING`, `SUCCEEDED` or `FAILED`.
    pub status: String,
    pub card_fingerprint: String,
    /// The vault card verified (rows from before it was kept have none).
    pub card_token_id: Option<String>,
    pub client_ip: Option<String>,
    pub decline_code: Option<String>,
    pub fraud_rule: Option<String>,
    pub risk_score: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a verification.
impl TryFrom<Model> for crate::domain::payment::Verification {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        Ok(crate::domain::payment::Verification {
            id: row.id,
            merchant: crate::domain::MerchantId(row.merchant_id),
            session: crate::domain::SessionId(row.payment_session_id),
            customer: row.customer_id.map(crate::domain::CustomerId),
            status: row.status.parse().map_err(|e| DbErr::Type(format!("verification {}: {e}", row.id)))?,
            card_token: row.card_token_id,
            fingerprint: row.card_fingerprint,
            client_ip: row.client_ip,
            decline_code: row.decline_code,
            fraud_rule: row.fraud_rule,
            risk_score: row.risk_score,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a verification is stored as.
impl From<crate::domain::payment::Verification> for Model {
    fn from(v: crate::domain::payment::Verification) -> Self {
        Model {
            id: v.id,
            merchant_id: v.merchant.0,
            payment_session_id: v.session.0,
            customer_id: v.customer.map(|c| c.0),
            status: v.status.as_str().to_owned(),
            card_fingerprint: v.fingerprint,
            card_token_id: v.card_token,
            client_ip: v.client_ip,
            decline_code: v.decline_code,
            fraud_rule: v.fraud_rule,
            risk_score: v.risk_score,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}
