//! The event log (`session_events`, the outbox): one row per committed change of a session,
//! numbered per merchant in commit order.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{merchant, session_event};
use crate::domain::event::EventKind;
use crate::domain::session::PaymentSession;
use crate::domain::{CustomerId, MerchantId, SessionEvent, SessionStatus};

/// What an event says besides the session's state: what kind of change, and the payment,
/// refund or dispute it concerns.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventDetail {
    pub kind: EventKind,
    pub payment: Option<Uuid>,
    pub refund: Option<Uuid>,
    pub dispute: Option<Uuid>,
    pub payment_profile: Option<Uuid>,
}

/// Inserts the outbox row of a status change to `session`'s current status and version.
pub async fn insert_event(
    txn: &DatabaseTransaction,
    session: &PaymentSession,
    previous: Option<SessionStatus>,
    at: DateTime<Utc>,
) -> Result<SessionEvent, DbErr> {
    insert_event_with(txn, session, previous, at, EventDetail::default()).await
}

/// Inserts the outbox row of a change of `session` (now at its version) described by `detail`.
pub async fn insert_event_with(
    txn: &DatabaseTransaction,
    session: &PaymentSession,
    previous: Option<SessionStatus>,
    at: DateTime<Utc>,
    detail: EventDetail,
) -> Result<SessionEvent, DbErr> {
    let seq = next_event_seq(txn, session.merchant.0).await?;
    let row = session_event::ActiveModel {
        merchant_id: Set(session.merchant.0),
        merchant_seq: Set(seq),
        payment_session_id: Set(session.id.0),
        customer_id: Set(session.customer.map(|c| c.0)),
        version: Set(session.version),
        previous_status: Set(previous.map(|p| p.as_str().to_owned())),
        status: Set(session.status.as_str().to_owned()),
        occurred_at: Set(at),
        published_at: Set(None),
        kind: Set(detail.kind.as_str().to_owned()),
        payment_id: Set(detail.payment),
        refund_id: Set(detail.refund),
        dispute_id: Set(detail.dispute),
        payment_profile_id: Set(detail.payment_profile),
        trace_parent: Set(crate::telemetry::current_trace_parent()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    event_from_row(row)
}

/// Takes the merchant's next event number. The update locks the merchant row until the
/// transaction ends, so numbers are handed out in commit order and none is skipped.
async fn next_event_seq(txn: &DatabaseTransaction, merchant: Uuid) -> Result<i64, DbErr> {
    let updated = merchant::Entity::update_many()
        .col_expr(merchant::Column::EventSeq, Expr::col(merchant::Column::EventSeq).add(1))
        .filter(merchant::Column::Id.eq(merchant))
        .exec_with_returning(txn)
        .await?;
    updated.first().map(|m| m.event_seq).ok_or_else(|| DbErr::RecordNotFound("the event's merchant".into()))
}

/// Hands each unpublished event older than `cutoff` (oldest first, up to `limit`) to
/// `publish` until one fails, and marks those it took as published at `at`. On PostgreSQL
/// the rows are locked `SKIP LOCKED` for the pass, so instances share the backlog instead of
/// publishing it twice; SQLite has one writer and no row locks, so no transaction is held
/// across the publishes there.
pub async fn relay(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
    limit: u64,
    at: DateTime<Utc>,
    publish: impl Fn(SessionEvent) -> BoxFuture<'static, bool> + Send + Sync,
) -> Result<usize, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return relay_with(db, cutoff, limit, at, false, publish).await;
    }
    let txn = super::begin_write(db).await?;
    let published = relay_with(&txn, cutoff, limit, at, true, publish).await?;
    super::audit::commit(txn).await?;
    Ok(published)
}

async fn relay_with<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
    limit: u64,
    at: DateTime<Utc>,
    lock: bool,
    publish: impl Fn(SessionEvent) -> BoxFuture<'static, bool> + Send + Sync,
) -> Result<usize, DbErr> {
    let mut select = session_event::Entity::find()
        .filter(session_event::Column::PublishedAt.is_null())
        .filter(session_event::Column::OccurredAt.lt(cutoff))
        .order_by_asc(session_event::Column::Id)
        .limit(limit);
    if lock {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut published = Vec::new();
    for row in select.all(conn).await? {
        let id = row.id;
        if !publish(event_from_row(row)?).await {
            break; // Still down: try again next pass, in order.
        }
        published.push(id);
    }
    if !published.is_empty() {
        session_event::Entity::update_many()
            .col_expr(session_event::Column::PublishedAt, Expr::value(at))
            .filter(session_event::Column::Id.is_in(published.iter().copied()))
            .exec(conn)
            .await?;
    }
    Ok(published.len())
}

/// A session's events with a version above `after`, in version order.
pub async fn of_session_after(
    db: &DatabaseConnection,
    merchant: MerchantId,
    session: Uuid,
    after: i32,
) -> Result<Vec<SessionEvent>, DbErr> {
    let rows = session_event::Entity::find()
        .filter(session_event::Column::MerchantId.eq(merchant.0))
        .filter(session_event::Column::PaymentSessionId.eq(session))
        .filter(session_event::Column::Version.gt(after))
        .order_by_asc(session_event::Column::Version)
        .all(db)
        .await?;
    rows.into_iter().map(event_from_row).collect()
}

/// The merchant's (or one customer's) events numbered above `after`, in commit order, at
/// most `limit`.
pub async fn of_merchant_after(
    db: &DatabaseConnection,
    merchant: MerchantId,
    customer: Option<CustomerId>,
    after: i64,
    limit: u64,
) -> Result<Vec<SessionEvent>, DbErr> {
    let mut select = session_event::Entity::find()
        .filter(session_event::Column::MerchantId.eq(merchant.0))
        .filter(session_event::Column::MerchantSeq.gt(after));
    if let Some(customer) = customer {
        select = select.filter(session_event::Column::CustomerId.eq(customer.0));
    }
    let rows = select.order_by_asc(session_event::Column::MerchantSeq).limit(limit).all(db).await?;
    rows.into_iter().map(event_from_row).collect()
}

/// The merchant's newest event number (0 before its first event).
pub async fn latest_seq(db: &DatabaseConnection, merchant: MerchantId) -> Result<i64, DbErr> {
    Ok(merchant::Entity::find_by_id(merchant.0).one(db).await?.map_or(0, |m| m.event_seq))
}

/// Marks an event handed to the bus, so the outbox relay leaves it alone.
pub async fn mark_published(db: &DatabaseConnection, id: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
    session_event::Entity::update_many()
        .col_expr(session_event::Column::PublishedAt, Expr::value(at))
        .filter(session_event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A stored event as the domain's; a status no variant names is a fault of the row.
pub fn event_from_row(row: session_event::Model) -> Result<SessionEvent, DbErr> {
    let bad = |e: crate::domain::UnknownVariant| DbErr::Type(format!("event {}: {e}", row.id));
    let previous_status = row.previous_status.as_deref().map(str::parse).transpose().map_err(bad)?;
    let status = row.status.parse().map_err(bad)?;
    Ok(SessionEvent {
        id: row.id,
        seq: row.merchant_seq,
        merchant_id: row.merchant_id,
        session_id: row.payment_session_id,
        customer_id: row.customer_id,
        version: row.version,
        previous_status,
        status,
        occurred_at: row.occurred_at,
        kind: row.kind.parse().map_err(bad)?,
        payment_id: row.payment_id,
        refund_id: row.refund_id,
        dispute_id: row.dispute_id,
        payment_profile_id: row.payment_profile_id,
    })
}
