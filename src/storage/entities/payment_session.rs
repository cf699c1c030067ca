//! Row of `payment_sessions`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub status: String,
    /// Rises by exactly one per status change; the compare-and-set guard.
    pub version: i32,
    pub purpose: String,
    pub currency: Option<String>,
    pub amount: Option<i64>,
    pub customer_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub payment_link_id: Option<Uuid>,
    /// The profile this session saved, once it has.
    pub payment_profile_id: Option<Uuid>,
    /// Comma-separated `PaymentMethodType` names.
    pub allowed_payment_methods: String,
    pub save_payment_profile: bool,
    /// Make the saved profile the customer's default (renewals charge the default).
    pub set_profile_as_default: bool,
    /// AUTOMATIC or MANUAL (`CaptureMethod`).
    pub capture_method: String,
    pub attempt_count: i32,
    /// Lets the hosted page and mobile apps see and pay this one session. Kept (as Stripe
    /// keeps `client_secret`) because `hostedUrl` carries it; it grants nothing else.
    #[sea_orm(unique)]
    pub client_secret: String,
    pub success_url: Option<String>,
    /// `Locale`: the language of its pages.
    pub locale: Option<String>,
    pub metadata: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain session; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::session::PaymentSession {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{
            Currency, CustomerId, LinkId, MerchantId, Money, OrderId, PaymentMethodType, ProfileId, SessionId,
            SubscriptionId,
        };
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("payment session {}: {e}", row.id));
        let amount = match (row.amount, row.currency.as_deref()) {
            (Some(amount), Some(code)) => Some(Money::from_stored(amount, Currency::parse(code).map_err(|e| bad(&e))?)),
            _ => None,
        };
        Ok(crate::domain::session::PaymentSession {
            id: SessionId(row.id),
            merchant: MerchantId(row.merchant_id),
            status: row.status.parse().map_err(|e| bad(&e))?,
            version: row.version,
            purpose: row.purpose.parse().map_err(|e| bad(&e))?,
            amount,
            customer: row.customer_id.map(CustomerId),
            order: row.order_id.map(OrderId),
            subscription: row.subscription_id.map(SubscriptionId),
            payment_link: row.payment_link_id.map(LinkId),
            payment_profile: row.payment_profile_id.map(ProfileId),
            allowed_methods: PaymentMethodType::split(&row.allowed_payment_methods).map_err(|e| bad(&e))?,
            save_payment_profile: row.save_payment_profile,
            set_profile_as_default: row.set_profile_as_default,
            capture_method: row.capture_method.parse().map_err(|e| bad(&e))?,
            attempt_count: row.attempt_count,
            client_secret: row.client_secret,
            success_url: row.success_url,
            locale: row.locale.as_deref().map(str::parse).transpose().map_err(|e| bad(&e))?,
            metadata: serde_json::from_str(&row.metadata).map_err(|e| bad(&e))?,
            expires_at: row.expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain session is stored as.
impl From<crate::domain::session::PaymentSession> for Model {
    fn from(s: crate::domain::session::PaymentSession) -> Self {
        Model {
            id: s.id.0,
            merchant_id: s.merchant.0,
            status: s.status.as_str().to_owned(),
            version: s.version,
            purpose: s.purpose.as_str().to_owned(),
            currency: s.amount.map(|m| m.currency().code().to_owned()),
            amount: s.amount.map(|m| m.amount()),
            customer_id: s.customer.map(|c| c.0),
            order_id: s.order.map(|o| o.0),
            subscription_id: s.subscription.map(|x| x.0),
            payment_link_id: s.payment_link.map(|l| l.0),
            payment_profile_id: s.payment_profile.map(|p| p.0),
            allowed_payment_methods: crate::domain::PaymentMethodType::join(&s.allowed_methods),
            save_payment_profile: s.save_payment_profile,
            set_profile_as_default: s.set_profile_as_default,
            capture_method: s.capture_method.as_str().to_owned(),
            attempt_count: s.attempt_count,
            client_secret: s.client_secret,
            success_url: s.success_url,
            locale: s.locale.map(|l| l.as_str().to_owned()),
            metadata: serde_json::to_string(&s.metadata).unwrap_or_else(|_| "{}".to_owned()),
            expires_at: s.expires_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
