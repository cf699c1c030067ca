//! The audit trail's storage. A request that may change something runs inside a [`Scope`]
//! (a task-local); the first write transaction of the scope to commit appends the scope's
//! event in that same transaction ([`commit`]), so no change commits without its record.
//! When the request answers, [`finish`] appends the event of a request that changed nothing
//! (a refusal, a user error, a replay), or completes the one already appended with what the
//! request ended as. Nothing changes an event after that.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::audit_event::{self, Column as A};
use crate::domain::MerchantId;
use crate::domain::audit::AuditEvent;

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// The event of one request, and whether a change of it has committed.
pub struct Scope {
    event: Mutex<AuditEvent>,
    /// The row as the change's transaction appended it, once one has.
    appended: Mutex<Option<audit_event::Model>>,
}

impl Scope {
    pub fn new(event: AuditEvent) -> Arc<Scope> {
        Arc::new(Scope { event: Mutex::new(event), appended: Mutex::new(None) })
    }

    fn event(&self) -> std::sync::MutexGuard<'_, AuditEvent> {
        self.event.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn appended(&self) -> std::sync::MutexGuard<'_, Option<audit_event::Model>> {
        self.appended.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes the code the request ended with, and global ids it touched.
    pub fn note(&self, outcome: Option<&str>, node_ids: &[String]) {
        let mut event = self.event();
        if let Some(outcome) = outcome {
            outcome.clone_into(&mut event.outcome);
        }
        for id in node_ids {
            event.note_node(id);
        }
    }
}

/// Runs `work` (a request's changes) inside `scope`.
pub async fn within<F: Future>(scope: Arc<Scope>, work: F) -> F::Output {
    SCOPE.scope(scope, work).await
}

/// Notes on the current scope, if any, what the request ended with (a user error's code).
pub fn note_outcome(code: &str) {
    let _ = SCOPE.try_with(|scope| scope.note(Some(code), &[]));
}

/// Commits a write transaction, with the scope's event if it is the scope's first change.
pub(crate) async fn commit(txn: DatabaseTransaction) -> Result<(), DbErr> {
    let Ok(Some((scope, row))) =
        SCOPE.try_with(|s| s.appended().is_none().then(|| (s.clone(), audit_event::Model::from(&*s.event()))))
    else {
        return txn.commit().await;
    };
    append(&txn, row.clone()).await?;
    txn.commit().await?;
    *scope.appended() = Some(row);
    Ok(())
}

/// Appends the event (two transactions of one scope committing at once append it once).
async fn append(db: &impl sea_orm::ConnectionTrait, row: audit_event::Model) -> Result<(), DbErr> {
    audit_event::Entity::insert(audit_event::ActiveModel::from(row))
        .on_conflict(OnConflict::column(A::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Ends `scope`: appends its event if no change committed, or completes it with the
/// outcome and ids noted since it was appended (nothing to write when there are none).
pub async fn finish(db: &DatabaseConnection, scope: &Scope) -> Result<(), DbErr> {
    let row = audit_event::Model::from(&*scope.event());
    let appended = scope.appended().clone();
    match appended {
        None => return append(db, row).await,
        Some(as_appended) if as_appended == row => return Ok(()),
        Some(_) => {}
    }
    audit_event::Entity::update_many()
        .col_expr(A::Outcome, row.outcome.into())
        .col_expr(A::NodeIds, row.node_ids.into())
        .filter(A::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

/// `merchant`'s event `id`.
pub async fn by_id(db: &DatabaseConnection, merchant: MerchantId, id: uuid::Uuid) -> Result<Option<AuditEvent>, DbErr> {
    let row = audit_event::Entity::find_by_id(id).filter(A::MerchantId.eq(merchant.0)).one(db).await?;
    row.map(AuditEvent::try_from).transpose()
}

/// `merchant`'s events from `since` on, oldest first, `limit` after `after` (an export's pages).
pub async fn since(
    db: &DatabaseConnection,
    merchant: MerchantId,
    since: DateTime<Utc>,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
    limit: u64,
) -> Result<Vec<AuditEvent>, DbErr> {
    let mut select = audit_event::Entity::find().filter(A::MerchantId.eq(merchant.0)).filter(A::CreatedAt.gte(since));
    if let Some((at, id)) = after {
        let later = Condition::all().add(A::CreatedAt.eq(at)).add(A::Id.gt(id));
        select = select.filter(Condition::any().add(A::CreatedAt.gt(at)).add(later));
    }
    let rows = select.order_by_asc(A::CreatedAt).order_by_asc(A::Id).limit(limit).all(db).await?;
    rows.into_iter().map(AuditEvent::try_from).collect()
}

/// Deletes at most `limit` events older than `before`; how many.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>, limit: u64) -> Result<u64, DbErr> {
    let old =
        Query::select().column(A::Id).from(audit_event::Entity).and_where(A::CreatedAt.lt(before)).limit(limit).take();
    Ok(audit_event::Entity::delete_many().filter(A::Id.in_subquery(old)).exec(db).await?.rows_affected)
}
