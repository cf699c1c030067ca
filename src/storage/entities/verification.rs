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
