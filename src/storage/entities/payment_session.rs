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
    pub attempt_count: i32,
    /// Lets the hosted page and mobile apps see and pay this one session. Kept (as Stripe
    /// keeps `client_secret`) because `hostedUrl` carries it; it grants nothing else.
    #[sea_orm(unique)]
    pub client_secret: String,
    pub success_url: Option<String>,
    pub metadata: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
