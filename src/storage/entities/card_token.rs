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

/// A stored row read as the vault's card.
impl TryFrom<Model> for crate::domain::card::VaultCard {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        let wallet = row
            .wallet
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| DbErr::Type(format!("card token of {}: {e}", row.merchant_id)))?;
        Ok(crate::domain::card::VaultCard {
            token: row.id,
            merchant: crate::domain::MerchantId(row.merchant_id),
            session: row.payment_session_id.map(crate::domain::SessionId),
            processor_token: row.processor_token,
            processor_account: row.processor_account_id,
            brand: row.brand,
            last4: row.last4,
            exp_month: row.exp_month,
            exp_year: row.exp_year,
            fingerprint: row.fingerprint,
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            wallet,
        })
    }
}

/// The row a vault card is stored as.
impl From<crate::domain::card::VaultCard> for Model {
    fn from(card: crate::domain::card::VaultCard) -> Self {
        Model {
            id: card.token,
            merchant_id: card.merchant.0,
            payment_session_id: card.session.map(|s| s.0),
            processor_token: card.processor_token,
            processor_account_id: card.processor_account,
            brand: card.brand,
            last4: card.last4,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            fingerprint: card.fingerprint,
            created_at: card.created_at,
            expires_at: card.expires_at,
            used_at: card.used_at,
            wallet: card.wallet.map(|w| w.as_str().to_owned()),
        }
    }
}
