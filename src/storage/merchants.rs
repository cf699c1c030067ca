//! Merchants and their keys.

use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

use super::Database;
use super::entities::{api_key, merchant};
use crate::domain::MerchantId;

pub async fn merchant(db: &Database, id: MerchantId) -> Result<Option<merchant::Model>, DbErr> {
    merchant::Entity::find_by_id(id.0).one(db).await
}

/// Inserts a merchant with its first API key, in one transaction.
pub async fn create(db: &Database, merchant: merchant::Model, key: api_key::Model) -> Result<merchant::Model, DbErr> {
    let txn = db.begin().await?;
    let merchant = merchant::ActiveModel::from(merchant).insert(&txn).await?;
    api_key::ActiveModel::from(key).insert(&txn).await?;
    txn.commit().await?;
    Ok(merchant)
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
