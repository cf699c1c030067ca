//! Row of `subscriptions`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Uuid,
    pub currency: String,
    pub amount: i64,
    pub interval: String,
    pub interval_count: i32,
    pub status: String,
    pub current_period_start: Option<DateTimeUtc>,
    pub current_period_end: Option<DateTimeUtc>,
    pub cancel_at_period_end: bool,
    pub default_payment_profile_id: Option<Uuid>,
    /// The renewal session of the current period, while it is being paid.
    pub renewal_session_id: Option<Uuid>,
    /// Where period ends are counted from: the first payment.
    pub billing_anchor: Option<DateTimeUtc>,
    /// Periods paid so far; the current one ends `periods_paid` periods after the anchor.
    pub periods_paid: i32,
    /// When it was canceled (at once, or when its last period ended).
    pub canceled_at: Option<DateTimeUtc>,
    /// The session paying the current period, while it is with the processor.
    pub paying_session_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored row read as a domain subscription; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::subscription::Subscription {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::{Currency, CustomerId, MerchantId, Money, ProfileId, SessionId, SubscriptionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("subscription {}: {e}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|e| bad(&e))?;
        Ok(crate::domain::subscription::Subscription {
            id: SubscriptionId(row.id),
            merchant: MerchantId(row.merchant_id),
            customer: CustomerId(row.customer_id),
            price: Money::from_stored(row.amount, currency),
            interval: row.interval.parse().map_err(|e| bad(&e))?,
            interval_count: row.interval_count,
            status: row.status.parse().map_err(|e| bad(&e))?,
            current_period_start: row.current_period_start,
            current_period_end: row.current_period_end,
            cancel_at_period_end: row.cancel_at_period_end,
            default_profile: row.default_payment_profile_id.map(ProfileId),
            renewal_session: row.renewal_session_id.map(SessionId),
            billing_anchor: row.billing_anchor,
            periods_paid: row.periods_paid,
            canceled_at: row.canceled_at,
            paying_session: row.paying_session_id.map(SessionId),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a domain subscription is stored as.
impl From<crate::domain::subscription::Subscription> for Model {
    fn from(s: crate::domain::subscription::Subscription) -> Self {
        Model {
            id: s.id.0,
            merchant_id: s.merchant.0,
            customer_id: s.customer.0,
            currency: s.price.currency().code().to_owned(),
            amount: s.price.amount(),
            interval: s.interval.as_str().to_owned(),
            interval_count: s.interval_count,
            status: s.status.as_str().to_owned(),
            current_period_start: s.current_period_start,
            current_period_end: s.current_period_end,
            cancel_at_period_end: s.cancel_at_period_end,
            default_payment_profile_id: s.default_profile.map(|p| p.0),
            renewal_session_id: s.renewal_session.map(|x| x.0),
            billing_anchor: s.billing_anchor,
            periods_paid: s.periods_paid,
            canceled_at: s.canceled_at,
            paying_session_id: s.paying_session.map(|x| x.0),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
