//! Row of `payments`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub payment_session_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub method_type: String,
    /// JSON: brand, last 4, wallet or IBAN country; never a card number.
    pub method_summary: String,
    /// The card's keyed fingerprint, for velocity checks.
    pub card_fingerprint: Option<String>,
    /// The vault token this attempt spent (its processor token is charged again after 3-D Secure).
    pub card_token_id: Option<String>,
    pub decline_code: Option<String>,
    pub risk_score: i32,
    pub fraud_rule: Option<String>,
    pub fraud_decision: String,
    /// Where the confirmation came from, for velocity per IP and the blocklist.
    pub client_ip: Option<String>,
    /// The saved profile charged, when the attempt used one.
    pub payment_profile_id: Option<Uuid>,
    /// Charged without the customer present (a subscription renewal).
    pub off_session: bool,
    /// The subscription this payment is for (its first payment or a renewal).
    pub subscription_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
