//! Webhook deliveries: queued from the event log by endpoint, picked in version order per
//! session, leased while one instance sends them, and settled with their attempt.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::webhook_delivery::{self, Column as D};
use super::entities::webhook_endpoint::{self, Column as W};
use super::entities::{merchant, payment_session, session_event, webhook_delivery_attempt};
use super::events::event_from_row;
use crate::domain::SessionEvent;
use crate::domain::session::PaymentSession;
use crate::domain::webhook::{EndpointFeed, EndpointStatus};
use crate::domain::webhook_delivery::{Attempt, Delivery, DeliveryState};

const PENDING: &str = "PENDING";

/// Enabled endpoints whose merchant has events they have not queued yet.
pub async fn behind(db: &DatabaseConnection, limit: u64) -> Result<Vec<EndpointFeed>, DbErr> {
    let newest: SimpleExpr = Query::select()
        .column(merchant::Column::EventSeq)
        .from(merchant::Entity)
        .and_where(
            Expr::col((merchant::Entity, merchant::Column::Id)).equals((webhook_endpoint::Entity, W::MerchantId)),
        )
        .take()
        .into();
    webhook_endpoint::Entity::find()
        .filter(W::Status.eq(EndpointStatus::Enabled.as_str()))
        .filter(W::DeletedAt.is_null())
        .filter(Expr::col((webhook_endpoint::Entity, W::FedSeq)).lt(newest))
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(EndpointFeed::try_from)
        .collect()
}

/// The events of `merchant` numbered after `after`, oldest first.
pub async fn events_after(
    db: &DatabaseConnection,
    merchant: Uuid,
    after: i64,
    limit: u64,
) -> Result<Vec<SessionEvent>, DbErr> {
    session_event::Entity::find()
        .filter(session_event::Column::MerchantId.eq(merchant))
        .filter(session_event::Column::MerchantSeq.gt(after))
        .order_by_asc(session_event::Column::MerchantSeq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(event_from_row)
        .collect()
}

/// Queues `deliveries` and moves the endpoint's mark from `from` to `to`, all or nothing:
/// of two instances feeding the same endpoint, the second finds the mark moved and
/// queues nothing. `false`: it had moved.
pub async fn feed(
    db: &DatabaseConnection,
    endpoint: Uuid,
    from: i64,
    to: i64,
    deliveries: Vec<Delivery>,
) -> Result<bool, DbErr> {
    let txn = super::begin_write(db).await?;
    let moved = webhook_endpoint::Entity::update_many()
        .col_expr(W::FedSeq, Expr::value(to))
        .filter(W::Id.eq(endpoint))
        .filter(W::FedSeq.eq(from))
        // Deleted meanwhile: nothing is queued for it any more.
        .filter(W::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    insert(&txn, deliveries).await?;
    super::audit::commit(txn).await?;
    Ok(true)
}

/// Queues deliveries outside the feed (a resend, a replay).
pub async fn insert(db: &impl ConnectionTrait, deliveries: Vec<Delivery>) -> Result<(), DbErr> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let rows = deliveries.into_iter().map(|d| webhook_delivery::ActiveModel::from(webhook_delivery::Model::from(d)));
    webhook_delivery::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// How many deliveries `endpoint` has PENDING.
pub async fn waiting(db: &DatabaseConnection, endpoint: Uuid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    webhook_delivery::Entity::find().filter(D::EndpointId.eq(endpoint)).filter(D::State.eq(PENDING)).count(db).await
}

/// What became of deliveries queued outside the feed.
#[derive(Debug, PartialEq, Eq)]
pub enum Queued {
    Queued,
    /// The endpoint had `max` or more deliveries waiting: nothing was queued.
    Full,
    /// The endpoint is deleted (or not the merchant's): nothing was queued.
    Gone,
}

/// Queues `deliveries` for `merchant`'s live endpoint unless it has `max` or more waiting,
/// in one transaction under the endpoint's row lock: of racing resends and replays, each
/// counts what the ones before it queued, so the bound holds; a deletion waits for them or
/// they see it.
pub async fn queue_within(
    db: &DatabaseConnection,
    merchant: Uuid,
    endpoint: Uuid,
    max: u64,
    deliveries: Vec<Delivery>,
) -> Result<Queued, DbErr> {
    use sea_orm::PaginatorTrait;
    let txn = super::begin_write(db).await?;
    let live = webhook_endpoint::Entity::find_by_id(endpoint)
        .filter(W::MerchantId.eq(merchant))
        .filter(W::DeletedAt.is_null())
        .lock_exclusive()
        .one(&txn)
        .await?;
    if live.is_none() {
        return Ok(Queued::Gone);
    }
    let waiting = webhook_delivery::Entity::find()
        .filter(D::EndpointId.eq(endpoint))
        .filter(D::State.eq(PENDING))
        .count(&txn)
        .await?;
    if waiting >= max {
        return Ok(Queued::Full);
    }
    insert(&txn, deliveries).await?;
    super::audit::commit(txn).await?;
    Ok(Queued::Queued)
}

/// Removes what `endpoint` still had waiting (it was deleted in `txn`).
pub async fn drop_waiting(txn: &DatabaseTransaction, endpoint: Uuid) -> Result<u64, DbErr> {
    let removed = webhook_delivery::Entity::delete_many()
        .filter(D::EndpointId.eq(endpoint))
        .filter(D::State.eq(PENDING))
        .exec(txn)
        .await?;
    Ok(removed.rows_affected)
}

/// PENDING deliveries due at `now` that nobody holds, of enabled endpoints but `busy` ones,
/// each the first PENDING one of its endpoint and session: what may be sent now without
/// breaking order. `busy`: endpoints the caller cannot send to now (at their bound of sends
/// at once); left out, their backlog cannot fill the `limit` that others' deliveries need.
pub async fn due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
    busy: &[Uuid],
) -> Result<Vec<Delivery>, DbErr> {
    let earlier = Alias::new("earlier");
    let table = Alias::new("webhook_deliveries");
    let blocked = Query::select()
        .expr(Expr::val(1))
        .from_as(webhook_delivery::Entity, earlier.clone())
        .and_where(Expr::col((earlier.clone(), D::EndpointId)).equals((table.clone(), D::EndpointId)))
        .and_where(Expr::col((earlier.clone(), D::PaymentSessionId)).equals((table.clone(), D::PaymentSessionId)))
        .and_where(Expr::col((earlier.clone(), D::State)).eq(PENDING))
        .and_where(Expr::col((earlier, D::EventSeq)).lt(Expr::col((table, D::EventSeq))))
        .take();
    let enabled = Query::select()
        .column(W::Id)
        .from(webhook_endpoint::Entity)
        .and_where(W::Status.eq(EndpointStatus::Enabled.as_str()))
        .and_where(W::DeletedAt.is_null())
        .take();
    webhook_delivery::Entity::find()
        .filter(D::State.eq(PENDING))
        .filter(D::NextAttemptAt.lte(now))
        .filter(free(now))
        .filter(D::EndpointId.in_subquery(enabled))
        .filter(D::EndpointId.is_not_in(busy.iter().copied()))
        .filter(Expr::exists(blocked).not())
        .order_by_asc(D::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Delivery::try_from)
        .collect()
}

/// Nobody holds it: never leased, or the lease ran out.
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any().add(D::LeasedUntil.is_null()).add(D::LeasedUntil.lt(now))
}

/// Takes the deliveries `ids` that are PENDING and free at `now` for `lease` until `until`,
/// in one guarded UPDATE; returns those it took. Of instances racing for one delivery,
/// one takes it.
pub async fn claim(
    db: &DatabaseConnection,
    ids: &[Uuid],
    lease: Uuid,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Of an endpoint disabled or deleted since the deliveries were picked, none is taken: a
    // lease nobody sends under would only wait to run out.
    let enabled = Query::select()
        .column(W::Id)
        .from(webhook_endpoint::Entity)
        .and_where(W::Status.eq(EndpointStatus::Enabled.as_str()))
        .and_where(W::DeletedAt.is_null())
        .take();
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(D::Lease, Expr::value(lease))
        .col_expr(D::LeasedUntil, Expr::value(until))
        .filter(D::Id.is_in(ids.iter().copied()))
        .filter(D::State.eq(PENDING))
        .filter(D::EndpointId.in_subquery(enabled))
        .filter(free(now))
        .exec_with_returning(db)
        .await?;
    Ok(claimed.into_iter().map(|row| row.id).collect())
}

/// Gives back the deliveries `ids` taken under `lease` and not sent (their endpoint was
/// disabled or deleted after they were taken): they wait, free, for the endpoint's return.
pub async fn release(db: &DatabaseConnection, ids: &[Uuid], lease: Uuid) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    webhook_delivery::Entity::update_many()
        .col_expr(D::Lease, Expr::value(Option::<Uuid>::None))
        .col_expr(D::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(D::Id.is_in(ids.iter().copied()))
        .filter(D::Lease.eq(lease))
        .exec(db)
        .await?;
    Ok(())
}

/// What sending a batch of deliveries needs, read in three statements: their endpoints
/// (enabled, with their secrets), events (with the trace of the change that made each) and
/// sessions.
pub async fn sending(db: &DatabaseConnection, deliveries: &[Delivery]) -> Result<Sending, DbErr> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(W::Id.is_in(deliveries.iter().map(|d| d.endpoint)))
        .filter(W::Status.eq(EndpointStatus::Enabled.as_str()))
        .filter(W::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(EndpointFeed::try_from)
        .collect::<Result<_, _>>()?;
    let events = session_event::Entity::find()
        .filter(session_event::Column::Id.is_in(deliveries.iter().map(|d| d.event)))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let trace = row.trace_parent.clone();
            event_from_row(row).map(|event| (event, trace))
        })
        .collect::<Result<_, _>>()?;
    let sessions = payment_session::Entity::find()
        .filter(payment_session::Column::Id.is_in(deliveries.iter().map(|d| d.session)))
        .all(db)
        .await?
        .into_iter()
        .map(PaymentSession::try_from)
        .collect::<Result<_, _>>()?;
    Ok((endpoints, events, sessions))
}

/// What sending needs: the endpoints, the events with their trace parents, the sessions.
pub type Sending = (Vec<EndpointFeed>, Vec<(SessionEvent, Option<String>)>, Vec<PaymentSession>);

/// How a try ended, for the delivery, its endpoint and the attempt log.
#[derive(Clone)]
pub struct Settlement {
    pub attempt: Attempt,
    pub state: DeliveryState,
    /// When it is tried again (PENDING).
    pub next_attempt_at: DateTime<Utc>,
    /// The endpoint gave no success for too long: disable it with this reason.
    pub disable: Option<String>,
    /// The endpoint was failing before this try (a success then ends its streak).
    pub was_failing: bool,
}

/// Records tries of deliveries, each held under its lease, in one transaction: for each,
/// the attempt, the delivery's new state and the endpoint's failing streak. One commit for
/// many answers is what lets deliveries keep up with a burst (a commit is a disk flush).
/// Each answer's `false`: its lease was lost (it ran out and another sender took the
/// delivery), and nothing of it is written.
pub async fn settle_all(db: &DatabaseConnection, settlements: Vec<(Uuid, Settlement)>) -> Result<Vec<bool>, DbErr> {
    let txn = super::begin_write(db).await?;
    let mut settled = Vec::with_capacity(settlements.len());
    for (lease, settlement) in settlements {
        settled.push(settle(&txn, lease, settlement).await?);
    }
    super::audit::commit(txn).await?;
    Ok(settled)
}

/// One try of a delivery held under `lease`, written only if the lease still holds.
async fn settle(txn: &DatabaseTransaction, lease: Uuid, settlement: Settlement) -> Result<bool, DbErr> {
    let Settlement { attempt, state, next_attempt_at, disable, was_failing } = settlement;
    let at = attempt.created_at;
    let (delivery, endpoint, succeeded) = (attempt.delivery, attempt.endpoint, attempt.succeeded);
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(D::State, Expr::value(state.as_str()))
        .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
        .col_expr(D::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(D::Lease, Expr::value(Option::<Uuid>::None))
        .col_expr(D::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::UpdatedAt, Expr::value(at))
        .filter(D::Id.eq(delivery))
        .filter(D::Lease.eq(lease))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    webhook_delivery_attempt::ActiveModel::from(webhook_delivery_attempt::Model::from(attempt)).insert(txn).await?;
    let streak = webhook_endpoint::Entity::update_many().filter(W::Id.eq(endpoint));
    if succeeded && was_failing {
        streak
            .col_expr(W::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(W::FailingSince.is_not_null())
            .exec(txn)
            .await?;
    } else if succeeded {
        // Not failing before: nothing to end.
    } else if let Some(reason) = disable {
        streak
            .col_expr(W::Status, Expr::value(EndpointStatus::Disabled.as_str()))
            .col_expr(W::DisabledReason, Expr::value(reason))
            .col_expr(W::UpdatedAt, Expr::value(at))
            .exec(txn)
            .await?;
    } else if !was_failing {
        streak.col_expr(W::FailingSince, Expr::value(at)).filter(W::FailingSince.is_null()).exec(txn).await?;
    }
    Ok(true)
}

/// The event `id` of `merchant`.
pub async fn event(db: &DatabaseConnection, merchant: Uuid, id: i64) -> Result<Option<SessionEvent>, DbErr> {
    let row =
        session_event::Entity::find_by_id(id).filter(session_event::Column::MerchantId.eq(merchant)).one(db).await?;
    row.map(event_from_row).transpose()
}

/// Deletes, `limit` at most of each, the attempts made before `before` and the deliveries
/// settled (SUCCEEDED or FAILED) before it; PENDING ones stay, however old. How many rows.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>, limit: u64) -> Result<u64, DbErr> {
    let old_attempts = Query::select()
        .column(webhook_delivery_attempt::Column::Id)
        .from(webhook_delivery_attempt::Entity)
        .and_where(webhook_delivery_attempt::Column::CreatedAt.lt(before))
        .limit(limit)
        .take();
    let attempts = webhook_delivery_attempt::Entity::delete_many()
        .filter(webhook_delivery_attempt::Column::Id.in_subquery(old_attempts))
        .exec(db)
        .await?;
    let old_deliveries = Query::select()
        .column(D::Id)
        .from(webhook_delivery::Entity)
        .and_where(D::State.ne(PENDING))
        .and_where(D::UpdatedAt.lt(before))
        .limit(limit)
        .take();
    let deliveries = webhook_delivery::Entity::delete_many().filter(D::Id.in_subquery(old_deliveries)).exec(db).await?;
    Ok(attempts.rows_affected + deliveries.rows_affected)
}
