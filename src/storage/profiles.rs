//! Payment profiles outside a session's transition.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use uuid::Uuid;

use super::writes::{ProfileRef, clear_default, set_default};

/// Makes `profile` its customer's only default, in one transaction. The profile must exist
/// and not be removed, or nothing changes.
pub async fn make_default(db: &DatabaseConnection, customer: Uuid, profile: Uuid) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    txn.execute_raw(clear_default(customer, backend)).await?;
    let set = txn.execute_raw(set_default(customer, &ProfileRef::Id(profile), backend)).await?;
    if set.rows_affected() != 1 {
        return Err(DbErr::RecordNotUpdated); // Dropping the transaction rolls back the clear.
    }
    txn.commit().await
}
