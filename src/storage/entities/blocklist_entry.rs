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

/// A stored row read as a domain entry; a value no variant names is a fault of the row.
impl TryFrom<Model> for crate::domain::fraud::BlocklistEntry {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        Ok(crate::domain::fraud::BlocklistEntry {
            id: crate::domain::BlocklistEntryId(row.id),
            merchant: crate::domain::MerchantId(row.merchant_id),
            kind: row.kind.parse().map_err(|e| DbErr::Type(format!("blocklist entry {}: {e}", row.id)))?,
            value: row.value,
            note: row.note,
            created_at: row.created_at,
        })
    }
}

/// The row a domain entry is stored as.
impl From<crate::domain::fraud::BlocklistEntry> for Model {
    fn from(e: crate::domain::fraud::BlocklistEntry) -> Self {
        Model {
            id: e.id.0,
            merchant_id: e.merchant.0,
            kind: e.kind.as_str().to_owned(),
            value: e.value,
            note: e.note,
            created_at: e.created_at,
        }
    }
}
