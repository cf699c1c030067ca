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
