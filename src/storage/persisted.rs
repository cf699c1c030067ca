//! Documents registered for good (persisted queries' allow-list), by SHA-256.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, Set};

use super::Database;
use super::entities::persisted_query;
use super::is_unique_violation;
use crate::domain::MerchantId;

pub async fn document(db: &Database, hash: &str) -> Result<Option<String>, DbErr> {
    Ok(persisted_query::Entity::find_by_id(hash.to_owned()).one(db).await?.map(|row| row.document))
}

/// Keeps `document` under `hash`; a hash already kept stays as it is (the same document).
pub async fn keep(
    db: &Database,
    hash: &str,
    document: &str,
    merchant: MerchantId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = persisted_query::ActiveModel {
        sha256_hash: Set(hash.to_owned()),
        document: Set(document.to_owned()),
        merchant_id: Set(merchant.0),
        created_at: Set(now),
    };
    match row.insert(db).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}
