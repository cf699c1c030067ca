//! Row of `card_tokens`: what the vault keeps of a card. Never its number or CVC.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_tokens")]
pub struct Model {
    /// The one-time token given to the client (`tok_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: Uuid,
    /// Set when a client secret tokenized it: only that session may use it.
    pub payment_session_id: Option<Uuid>,
    /// The processor's reference to the card.
    pub processor_token: String,
    /// The account that holds `processor_token`; none: the test processor.
    pub processor_account_id: Option<Uuid>,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    /// Keyed hash of the number (see `domain::card`).
    pub fingerprint: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Tokens are single-use.
    pub used_at: Option<DateTimeUtc>,
    /// `APPLE_PAY` or `GOOGLE_PAY` when a wallet's payment token was exchanged for it.
    pub wallet: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
