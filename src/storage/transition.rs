//! A session's status change: ONE storage call. In one transaction the session moves to its
//! new status with its version raised by exactly one (compare-and-set on the version the
//! caller decided on), the event is appended to the log, and every typed write it carries
//! runs and is checked. Anything short of all of it rolls back.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

use super::entities::payment_session;
use super::events::{EventDetail, insert_event, insert_event_with};
use super::is_unique_violation;
use super::writes::{Expect, Guard, SessionWrite};
use crate::domain::session::PaymentSession;
use crate::domain::{SessionEvent, SessionStatus};

/// A status change the state machine has allowed, with what it writes besides.
pub struct Transition<'a> {
    /// The session as the caller read it and decided on.
    pub session: &'a PaymentSession,
    pub from: SessionStatus,
    pub to: SessionStatus,
    pub at: DateTime<Utc>,
    pub writes: Vec<SessionWrite>,
}

/// Why a transition did not commit. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// The session changed since the caller read it: another change won.
    #[error("the payment session changed meanwhile")]
    VersionConflict,
    /// A guarded write found nothing to change.
    #[error("refused: {0}")]
    Refused(Guard),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Runs `transition`; returns the session as it was written (status, version and every
/// column its writes changed) and its event, to publish.
pub async fn transition(
    db: &DatabaseConnection,
    transition: Transition<'_>,
) -> Result<(PaymentSession, SessionEvent), TransitionError> {
    let Transition { session, from, to, at, writes } = transition;
    let txn = super::begin_write(db).await?;
    // The write comes first, so SQLite takes its write lock before any read.
    let updated = payment_session::Entity::update_many()
        .col_expr(payment_session::Column::Status, Expr::value(to.as_str()))
        .col_expr(payment_session::Column::Version, Expr::col(payment_session::Column::Version).add(1))
        .col_expr(payment_session::Column::UpdatedAt, Expr::value(at))
        .filter(payment_session::Column::Id.eq(session.id.0))
        .filter(payment_session::Column::MerchantId.eq(session.merchant.0))
        .filter(payment_session::Column::Version.eq(session.version))
        .filter(payment_session::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await
        .map_err(|e| paid_once_violation(session, e))?;
    if updated.rows_affected != 1 {
        return Err(TransitionError::VersionConflict);
    }
    let changed = PaymentSession { status: to, version: session.version + 1, updated_at: at, ..session.clone() };
    let event = insert_event(&txn, &changed, Some(from), at).await?;
    run_writes(&txn, &changed, at, &writes).await?;
    // The session as written, writes included (a failed attempt counted, a profile linked),
    // read in the transaction that wrote it: no caller reads it again.
    let written = payment_session::Entity::find_by_id(session.id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("session {} after its change", session.id)))?;
    let written = PaymentSession::try_from(written)?;
    super::audit::commit(txn).await?;
    Ok((written, event))
}

/// A change of a session that is not a status change (a refund created or settled): in one
/// transaction the session's version rises by one, whatever it was (changes of this kind do
/// not depend on each other, so two refunds at once both commit; the update's row lock puts
/// them one after the other), the event is appended, and the writes run, each checked.
pub async fn record_change(
    db: &DatabaseConnection,
    session: &PaymentSession,
    at: DateTime<Utc>,
    detail: EventDetail,
    writes: Vec<SessionWrite>,
) -> Result<(PaymentSession, SessionEvent), TransitionError> {
    let txn = super::begin_write(db).await?;
    let updated = payment_session::Entity::update_many()
        .col_expr(payment_session::Column::Version, Expr::col(payment_session::Column::Version).add(1))
        .col_expr(payment_session::Column::UpdatedAt, Expr::value(at))
        .filter(payment_session::Column::Id.eq(session.id.0))
        .filter(payment_session::Column::MerchantId.eq(session.merchant.0))
        .exec_with_returning(&txn)
        .await?;
    let Some(row) = updated.into_iter().next() else {
        return Err(TransitionError::Refused(Guard::Missing));
    };
    let changed = PaymentSession::try_from(row)?;
    let event = insert_event_with(&txn, &changed, Some(changed.status), at, detail).await?;
    run_writes(&txn, &changed, at, &writes).await?;
    super::audit::commit(txn).await?;
    Ok((changed, event))
}

/// Writes about `session` that change nothing it shows, so raise no version and log no
/// event (a capture marked before the processor is asked), in one transaction, each checked.
pub async fn apply(
    db: &DatabaseConnection,
    session: &PaymentSession,
    at: DateTime<Utc>,
    writes: Vec<SessionWrite>,
) -> Result<(), TransitionError> {
    let txn = super::begin_write(db).await?;
    run_writes(&txn, session, at, &writes).await?;
    super::audit::commit(txn).await?;
    Ok(())
}

/// Runs `writes` for `session` in `txn`, each checked; the first refused ends it (the caller
/// drops the transaction, which rolls everything back).
pub(super) async fn run_writes(
    txn: &DatabaseTransaction,
    session: &PaymentSession,
    at: DateTime<Utc>,
    writes: &[SessionWrite],
) -> Result<(), TransitionError> {
    let backend = txn.get_database_backend();
    for write in writes {
        let (statement, expect) = write.statement(session, at, backend);
        let result = txn.execute_raw(statement).await?;
        if let Expect::ExactlyOne(guard) = expect
            && result.rows_affected() != 1
        {
            tracing::debug!(?write, rows = result.rows_affected(), "guarded write refused; rolling back");
            return Err(TransitionError::Refused(guard));
        }
    }
    Ok(())
}

/// The database's own guard: at most one session of an order is paying or has paid, and at
/// most one of a subscription, or of a customer's debt in one currency, is paying (partial
/// unique indexes). A racing session that gets
/// past the claim's read meets this instead.
fn paid_once_violation(session: &PaymentSession, error: DbErr) -> TransitionError {
    if !is_unique_violation(&error) {
        return error.into();
    }
    TransitionError::Refused(if session.order.is_some() {
        Guard::OrderNotPayable
    } else if session.subscription.is_some() {
        Guard::SubscriptionNotPayable
    } else {
        Guard::DebtNotOwed
    })
}
