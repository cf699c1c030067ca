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
    /// What was taken of `amount`: all of it, or what a manual capture took.
    pub amount_captured: i64,
    /// What refunds hold of `amount_captured` (pending and succeeded); the refund guard's column.
    pub amount_refunded: i64,
    /// What open and lost disputes hold of the payment.
    pub amount_disputed: i64,
    /// An AUTHORIZED payment's deadline for its capture.
    pub capture_before: Option<DateTimeUtc>,
    /// CAPTURE or VOID, marked before the processor is asked; the capture guard's column.
    pub hold_action: Option<String>,
    /// What the marked capture takes.
    pub hold_amount: Option<i64>,
    pub hold_since: Option<DateTimeUtc>,
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
    /// The account that holds the charged token; none: the test processor.
    pub processor_account_id: Option<Uuid>,
    /// The processor's id of the charge (a PaymentIntent), stored as soon as it exists.
    pub processor_reference: Option<String>,
    /// Where the processor sends the customer for 3-D Secure, when it gave a URL.
    pub next_action_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain payment; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::payment::Payment {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::capture::HoldAction;
        use crate::domain::payment::MethodSummary;
        use crate::domain::{Currency, CustomerId, MerchantId, Money, PaymentId, ProfileId, SessionId, SubscriptionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("payment {}: {e}", row.id));
        let method = row.method_type.parse().map_err(|e| bad(&e))?;
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::payment::Payment {
            id: PaymentId(row.id),
            merchant: MerchantId(row.merchant_id),
            session: SessionId(row.payment_session_id),
            customer: row.customer_id.map(CustomerId),
            status: row.status.parse().map_err(|e| bad(&e))?,
            amount: Money::from_stored(row.amount, currency),
            amount_captured: Money::from_stored(row.amount_captured, currency),
            amount_refunded: Money::from_stored(row.amount_refunded, currency),
            amount_disputed: Money::from_stored(row.amount_disputed, currency),
            capture_before: row.capture_before,
            hold_action: match &row.hold_action {
                None => None,
                Some(name) => Some(
                    HoldAction::parse(name, row.hold_amount).ok_or_else(|| bad(&format!("hold action `{name}`")))?,
                ),
            },
            summary: MethodSummary::parse(method, &row.method_summary).map_err(|e| bad(&e))?,
            method,
            fingerprint: row.card_fingerprint.clone(),
            card_token: row.card_token_id.clone(),
            profile: row.payment_profile_id.map(ProfileId),
            decline_code: row.decline_code.as_deref().map(crate::domain::decline::Failure::from_code),
            risk_score: row.risk_score,
            fraud_rule: row.fraud_rule.clone(),
            fraud_decision: row.fraud_decision.parse().map_err(|e| bad(&e))?,
            client_ip: row.client_ip.clone(),
            off_session: row.off_session,
            subscription: row.subscription_id.map(SubscriptionId),
            processor_account: row.processor_account_id,
            processor_reference: row.processor_reference.clone(),
            next_action_url: row.next_action_url.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain payment is stored as.
impl From<crate::domain::payment::Payment> for Model {
    fn from(p: crate::domain::payment::Payment) -> Self {
        Model {
            id: p.id.0,
            merchant_id: p.merchant.0,
            payment_session_id: p.session.0,
            customer_id: p.customer.map(|c| c.0),
            status: p.status.as_str().to_owned(),
            currency: p.amount.currency().code().to_owned(),
            amount: p.amount.amount(),
            amount_captured: p.amount_captured.amount(),
            amount_refunded: p.amount_refunded.amount(),
            amount_disputed: p.amount_disputed.amount(),
            capture_before: p.capture_before,
            hold_action: p.hold_action.map(|a| a.stored().0.to_owned()),
            hold_amount: p.hold_action.and_then(|a| a.stored().1),
            hold_since: None,
            method_type: p.method.as_str().to_owned(),
            method_summary: p.summary.to_json(),
            card_fingerprint: p.fingerprint,
            card_token_id: p.card_token,
            decline_code: p.decline_code.map(|f| f.as_str().to_owned()),
            risk_score: p.risk_score,
            fraud_rule: p.fraud_rule,
            fraud_decision: p.fraud_decision.as_str().to_owned(),
            client_ip: p.client_ip,
            payment_profile_id: p.profile.map(|p| p.0),
            off_session: p.off_session,
            subscription_id: p.subscription.map(|s| s.0),
            processor_account_id: p.processor_account,
            processor_reference: p.processor_reference,
            next_action_url: p.next_action_url,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}
