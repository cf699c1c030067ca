//! Merchants and their keys.

use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

use super::Database;
use super::entities::{api_key, merchant};
use crate::domain::MerchantId;
use crate::domain::merchant::Merchant;

pub async fn merchant(db: &Database, id: MerchantId) -> Result<Option<Merchant>, DbErr> {
    Ok(merchant::Entity::find_by_id(id.0).one(db).await?.map(Merchant::from))
}

/// Saves the name and branding in which `after` differs from `before`, and only those: the
/// merchant's event counter, which every event of theirs moves, is never written here.
pub async fn save_branding(db: &Database, before: Merchant, after: Merchant) -> Result<Merchant, DbErr> {
    let (before, after) = (merchant::row_of(before, 0), merchant::row_of(after, 0));
    Ok(Merchant::from(super::records::save_row_changes::<merchant::ActiveModel>(db, before, after).await?))
}

/// Inserts a merchant with its first API key, in one transaction.
pub async fn create(db: &Database, merchant: Merchant, key: api_key::Model) -> Result<Merchant, DbErr> {
    let txn = db.begin().await?;
    let merchant = merchant::ActiveModel::from(merchant::row_of(merchant, 0)).insert(&txn).await?;
    api_key::ActiveModel::from(key).insert(&txn).await?;
    txn.commit().await?;
    Ok(Merchant::from(merchant))
}

/// Whether any merchant exists.
pub async fn any(db: &Database) -> Result<bool, DbErr> {
    Ok(merchant::Entity::find().count(db).await? > 0)
}

/// The live (not revoked) key whose hash is `key_hash`.
pub async fn live_key(db: &Database, key_hash: &str) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await
}
