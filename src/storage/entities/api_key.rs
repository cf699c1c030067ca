//! Row of `api_keys`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    /// SHA-256 of the secret key; the key itself is shown once and never stored.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// The first characters of the key, so a merchant can tell keys apart.
    pub display_prefix: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub name: Option<String>,
    /// `READ_WRITE` or `READ_ONLY`.
    pub scope: String,
    /// A rolled key works until then.
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::api_key::ApiKey {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        Ok(crate::domain::api_key::ApiKey {
            id: crate::domain::ApiKeyId(row.id),
            merchant: crate::domain::MerchantId(row.merchant_id),
            name: row.name,
            prefix: row.display_prefix,
            scope: row.scope.parse().map_err(|e| DbErr::Type(format!("api key {}: {e}", row.id)))?,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// The row of `key`, whose secret hashes to `key_hash`.
pub fn row_of(key: crate::domain::api_key::ApiKey, key_hash: String) -> Model {
    Model {
        id: key.id.0,
        merchant_id: key.merchant.0,
        key_hash,
        display_prefix: key.prefix,
        created_at: key.created_at,
        revoked_at: key.revoked_at,
        name: key.name,
        scope: key.scope.as_str().to_owned(),
        expires_at: key.expires_at,
        last_used_at: key.last_used_at,
    }
}
