//! Customers' balance ledgers: entries of signed minor units, never a counter.

use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait};
use uuid::Uuid;

use super::entities::ledger_entry;
use super::idempotency::{KeyRef, complete};
use crate::domain::ledger::LedgerEntry;

pub async fn entry(db: &DatabaseConnection, id: Uuid) -> Result<Option<LedgerEntry>, DbErr> {
    ledger_entry::Entity::find_by_id(id).one(db).await?.map(LedgerEntry::try_from).transpose()
}

/// Posts `entry` outside any session, with the idempotency record of the request that
/// posts it (`key` and `response`), in one transaction.
pub async fn post(
    db: &DatabaseConnection,
    entry: LedgerEntry,
    record: Option<(KeyRef<'_>, String)>,
) -> Result<LedgerEntry, DbErr> {
    let txn = super::begin_write(db).await?;
    let posted = ledger_entry::ActiveModel::from(ledger_entry::Model::from(entry)).insert(&txn).await?;
    if let Some((key, response)) = record
        && !complete(&txn, &key, &response, posted.created_at).await?
    {
        return Err(DbErr::RecordNotUpdated); // Dropping the transaction rolls the entry back.
    }
    super::audit::commit(txn).await?;
    LedgerEntry::try_from(posted)
}
