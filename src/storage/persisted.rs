//! Documents registered for good (persisted queries), by SHA-256, and each merchant's
//! allow-list of them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DbErr, EntityTrait, Set};

use super::Database;
use super::entities::{persisted_approval, persisted_query};
use crate::domain::MerchantId;

pub async fn document(db: &Database, hash: &str) -> Result<Option<String>, DbErr> {
    Ok(persisted_query::Entity::find_by_id(hash.to_owned()).one(db).await?.map(|row| row.document))
}

/// Whether `merchant` registered the document of `hash` (it is on its allow-list).
pub async fn approved(db: &Database, merchant: MerchantId, hash: &str) -> Result<bool, DbErr> {
    Ok(persisted_approval::Entity::find_by_id((merchant.0, hash.to_owned())).one(db).await?.is_some())
}

/// Keeps `document` under `hash` and puts it on `merchant`'s allow-list, in one
/// transaction; a hash already kept stays as it is (the same document), an approval
/// already given stays too.
pub async fn keep(
    db: &Database,
    hash: &str,
    document: &str,
    merchant: MerchantId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = super::begin_write(db).await?;
    let row = persisted_query::ActiveModel {
        sha256_hash: Set(hash.to_owned()),
        document: Set(document.to_owned()),
        merchant_id: Set(merchant.0),
        created_at: Set(now),
    };
    persisted_query::Entity::insert(row)
        .on_conflict(OnConflict::column(persisted_query::Column::Sha256Hash).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    let approval = persisted_approval::ActiveModel {
        merchant_id: Set(merchant.0),
        sha256_hash: Set(hash.to_owned()),
        created_at: Set(now),
    };
    let key = [persisted_approval::Column::MerchantId, persisted_approval::Column::Sha256Hash];
    persisted_approval::Entity::insert(approval)
        .on_conflict(OnConflict::columns(key).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await
}
