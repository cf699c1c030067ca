//! Row of `blocklist_entries`: a card fingerprint, IP address or email a merchant refuses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blocklist_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    /// `CARD_FINGERPRINT`, `IP_ADDRESS` or `EMAIL`.
    pub kind: String,
    /// Normalised: an IP in its canonical form, an email in lower case.
    pub value: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
