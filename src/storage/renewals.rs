//! What the renewal job reads and writes outside a session's transition.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{payment_session, subscription};
use crate::domain::SessionStatus;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::{Subscription, SubscriptionStatus};

/// ACTIVE subscriptions whose period ended by `now` and whose renewal nobody claimed yet.
pub async fn due(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<Subscription>, DbErr> {
    use subscription::Column as S;
    let rows = subscription::Entity::find()
        .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
        .filter(S::CurrentPeriodEnd.lte(now))
        .filter(S::RenewalSessionId.is_null())
        .order_by_asc(S::CurrentPeriodEnd)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(Subscription::try_from).collect()
}

/// `sub`, set to cancel at period end, reaches it: CANCELED as of its period's end. `false`:
/// something changed it since it was read (it renewed, or another instance ended it).
pub async fn end_at_period_end(db: &DatabaseConnection, sub: &Subscription, at: DateTime<Utc>) -> Result<bool, DbErr> {
    use subscription::Column as S;
    let ended = subscription::Entity::update_many()
        .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
        .col_expr(S::CanceledAt, Expr::value(sub.current_period_end))
        .col_expr(S::UpdatedAt, Expr::value(at))
        .filter(S::Id.eq(sub.id.0))
        .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
        .filter(S::CancelAtPeriodEnd.eq(true))
        .filter(S::RenewalSessionId.is_null())
        .filter(S::CurrentPeriodEnd.eq(sub.current_period_end))
        .exec(db)
        .await?;
    Ok(ended.rows_affected == 1)
}

/// The ACTIVE subscription renewed by `session` is PAST_DUE (a PAST_DUE one stays so).
pub async fn mark_past_due(db: &DatabaseConnection, session: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    super::writes::renewal_unpaid(session, at).exec(db).await?;
    Ok(())
}

/// Renewal sessions of ACTIVE subscriptions still OPEN with no attempt since before
/// `before`: claimed, but their charge never ran.
pub async fn stranded(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<PaymentSession>, DbErr> {
    use payment_session::Column as P;
    let waiting = Query::select()
        .column(subscription::Column::RenewalSessionId)
        .from(subscription::Entity)
        .and_where(subscription::Column::Status.eq(SubscriptionStatus::Active.as_str()))
        .and_where(subscription::Column::RenewalSessionId.is_not_null())
        .to_owned();
    payment_session::Entity::find()
        .filter(P::Id.in_subquery(waiting))
        .filter(P::Status.eq(SessionStatus::Open.as_str()))
        .filter(P::AttemptCount.eq(0))
        .filter(P::UpdatedAt.lte(before))
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(PaymentSession::try_from)
        .collect()
}

/// Cancels (as of `at`) up to `limit` subscriptions whose renewal session ended unpaid;
/// returns how many.
pub async fn lapse_unpaid(db: &DatabaseConnection, at: DateTime<Utc>, limit: u64) -> Result<usize, DbErr> {
    use payment_session::Column as P;
    use subscription::Column as S;
    let waiting = [SubscriptionStatus::Active.as_str(), SubscriptionStatus::PastDue.as_str()];
    let unpaid = [SessionStatus::Expired, SessionStatus::Failed, SessionStatus::Canceled];
    // From the few subscriptions waiting on a renewal to their sessions (by primary key),
    // and a write only when one has lapsed: this runs every second on every instance.
    let lapsed_ids = Query::select()
        .column((subscription::Entity, S::Id))
        .from(subscription::Entity)
        .inner_join(
            payment_session::Entity,
            Expr::col((payment_session::Entity, P::Id)).equals((subscription::Entity, S::RenewalSessionId)),
        )
        .and_where(Expr::col((subscription::Entity, S::Status)).is_in(waiting))
        .and_where(Expr::col((payment_session::Entity, P::Status)).is_in(unpaid.iter().map(|s| s.as_str())))
        .limit(limit)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&lapsed_ids)).await?;
    let ids: Vec<Uuid> = rows.iter().filter_map(|row| row.try_get_by_index(0).ok()).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let lapsed = subscription::Entity::update_many()
        .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
        .col_expr(S::CanceledAt, Expr::value(at))
        .col_expr(S::UpdatedAt, Expr::value(at))
        .filter(S::Id.is_in(ids))
        .filter(S::Status.is_in(waiting))
        .exec(db)
        .await?;
    Ok(lapsed.rows_affected as usize)
}
