//! Customers' balance ledgers: entries of signed minor units, never a counter.

use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::entities::ledger_entry;
use super::idempotency::{KeyRef, complete};

pub async fn entry(db: &DatabaseConnection, id: Uuid) -> Result<Option<ledger_entry::Model>, DbErr> {
    ledger_entry::Entity::find_by_id(id).one(db).await
}

/// Posts `entry` outside any session, with the idempotency record of the request that
/// posts it (`key` and `response`), in one transaction.
pub async fn post(
    db: &DatabaseConnection,
    entry: ledger_entry::Model,
    record: Option<(KeyRef<'_>, String)>,
) -> Result<ledger_entry::Model, DbErr> {
    let txn = db.begin().await?;
    let posted = ledger_entry::ActiveModel::from(entry).insert(&txn).await?;
    if let Some((key, response)) = record
        && !complete(&txn, &key, &response, posted.created_at).await?
    {
        return Err(DbErr::RecordNotUpdated); // Dropping the transaction rolls the entry back.
    }
    txn.commit().await?;
    Ok(posted)
}
