//! Row of `processor_accounts`: a merchant's own account at a processor. Its secrets are
//! sealed (see `processor::accounts::sealing`); the label identifies it without them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processor_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    /// `STRIPE`.
    pub kind: String,
    /// E.g. `sk_test_…4242`: enough to recognise the key, never the key.
    pub label: String,
    pub secret_key_sealed: String,
    pub webhook_secret_sealed: Option<String>,
    pub connected_at: DateTimeUtc,
    /// Set once disconnected; the row stays, so payments made there can still be settled.
    pub disconnected_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::domain::processor_account::SealedAccount {
    fn from(row: Model) -> Self {
        crate::domain::processor_account::SealedAccount {
            id: row.id,
            merchant: crate::domain::MerchantId(row.merchant_id),
            kind: row.kind,
            label: row.label,
            secret_key_sealed: row.secret_key_sealed,
            webhook_secret_sealed: row.webhook_secret_sealed,
            connected_at: row.connected_at,
            disconnected_at: row.disconnected_at,
        }
    }
}

impl From<crate::domain::processor_account::SealedAccount> for Model {
    fn from(a: crate::domain::processor_account::SealedAccount) -> Self {
        Model {
            id: a.id,
            merchant_id: a.merchant.0,
            kind: a.kind,
            label: a.label,
            secret_key_sealed: a.secret_key_sealed,
            webhook_secret_sealed: a.webhook_secret_sealed,
            connected_at: a.connected_at,
            disconnected_at: a.disconnected_at,
        }
    }
}
