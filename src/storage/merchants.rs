//! Merchants and their keys.

use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, PaginatorTrait};

use super::Database;
use super::entities::{api_key, merchant};
use crate::domain::MerchantId;
use crate::domain::api_key::ApiKey;
use crate::domain::merchant::Merchant;

pub async fn merchant(db: &Database, id: MerchantId) -> Result<Option<Merchant>, DbErr> {
    Ok(merchant::Entity::find_by_id(id.0).one(db).await?.map(Merchant::from))
}

/// Saves the settings in which `after` differs from `before`, and only those: the merchant's
/// event counter, which every event of theirs moves, is never written here.
pub async fn save(db: &Database, before: Merchant, after: Merchant) -> Result<Merchant, DbErr> {
    let (before, after) = (merchant::row_of(before, 0), merchant::row_of(after, 0));
    Ok(Merchant::from(super::records::save_row_changes::<merchant::ActiveModel>(db, before, after).await?))
}

/// Inserts a merchant with its first API key (whose secret hashes to `key_hash`), in one
/// transaction.
pub async fn create(db: &Database, merchant: Merchant, key: ApiKey, key_hash: String) -> Result<Merchant, DbErr> {
    let txn = super::begin_write(db).await?;
    let merchant = merchant::ActiveModel::from(merchant::row_of(merchant, 0)).insert(&txn).await?;
    api_key::ActiveModel::from(api_key::row_of(key, key_hash)).insert(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(Merchant::from(merchant))
}

/// Whether any merchant exists.
pub async fn any(db: &Database) -> Result<bool, DbErr> {
    Ok(merchant::Entity::find().count(db).await? > 0)
}

/// Every merchant that allows some web origin, with its origins.
pub async fn allowed_origins(db: &Database) -> Result<Vec<(MerchantId, Vec<String>)>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let rows: Vec<(uuid::Uuid, String)> = merchant::Entity::find()
        .select_only()
        .columns([merchant::Column::Id, merchant::Column::AllowedOrigins])
        .filter(merchant::Column::AllowedOrigins.ne("[]"))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, origins)| (MerchantId(id), serde_json::from_str(&origins).unwrap_or_default()))
        .collect())
}
