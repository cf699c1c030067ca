//! Subscriptions outside a session's transition: their sessions, and canceling one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::{payment_session, subscription};
use crate::domain::SessionStatus;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::{Subscription, SubscriptionStatus};

/// The subscription's sessions in `statuses`.
pub async fn sessions_in(
    db: &DatabaseConnection,
    subscription: Uuid,
    statuses: &[SessionStatus],
) -> Result<Vec<PaymentSession>, DbErr> {
    let rows = payment_session::Entity::find()
        .filter(payment_session::Column::SubscriptionId.eq(subscription))
        .filter(payment_session::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .all(db)
        .await?;
    rows.into_iter().map(PaymentSession::try_from).collect()
}

/// Cancels `sub` at `at`, if it is still as read and no session is paying it. `false`: it
/// changed meanwhile, or a payment of it has started.
pub async fn cancel_now(db: &DatabaseConnection, sub: &Subscription, at: DateTime<Utc>) -> Result<bool, DbErr> {
    use subscription::Column as S;
    let canceled = subscription::Entity::update_many()
        .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
        .col_expr(S::CanceledAt, Expr::value(at))
        .col_expr(S::UpdatedAt, Expr::value(at))
        .filter(S::Id.eq(sub.id.0))
        .filter(S::Status.eq(sub.status.as_str()))
        .filter(S::PayingSessionId.is_null())
        .exec(db)
        .await?;
    Ok(canceled.rows_affected == 1)
}

/// Inserts a new subscription.
pub async fn create(db: &DatabaseConnection, sub: Subscription) -> Result<Subscription, DbErr> {
    let txn = super::begin_write(db).await?;
    let row = subscription::ActiveModel::from(subscription::Model::from(sub)).insert(&txn).await?;
    super::audit::commit(txn).await?;
    Subscription::try_from(row)
}

/// `sub` (as read) ends when its current period does: set once, and only on that column.
pub async fn cancel_at_period_end(
    db: &DatabaseConnection,
    sub: Subscription,
    at: DateTime<Utc>,
) -> Result<Subscription, DbErr> {
    let after = Subscription { cancel_at_period_end: true, updated_at: at, ..sub.clone() };
    super::records::save_changes::<subscription::Entity>(db, sub, after).await
}

/// Takes back a cancel at period end while the period runs. `false`: the subscription is not
/// (or no longer) ACTIVE with a cancel pending, or its period has ended.
pub async fn resume(db: &DatabaseConnection, sub: &Subscription, at: DateTime<Utc>) -> Result<bool, DbErr> {
    use subscription::Column as S;
    let txn = super::begin_write(db).await?;
    let resumed = subscription::Entity::update_many()
        .col_expr(S::CancelAtPeriodEnd, Expr::value(false))
        .col_expr(S::UpdatedAt, Expr::value(at))
        .filter(S::Id.eq(sub.id.0))
        .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
        .filter(S::CancelAtPeriodEnd.eq(true))
        .filter(S::CurrentPeriodEnd.gt(at))
        .exec(&txn)
        .await?;
    if resumed.rows_affected != 1 {
        return Ok(false);
    }
    super::audit::commit(txn).await?;
    Ok(true)
}

/// Makes `profile` the one `sub` renews on. `false`: the subscription is canceled, or the
/// profile is not a live one of the subscription's customer (removed meanwhile).
pub async fn renew_on(
    db: &DatabaseConnection,
    sub: &Subscription,
    profile: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use super::entities::payment_profile::Column as P;
    use sea_orm::sea_query::Query;
    use subscription::Column as S;
    let live_profile = Query::select()
        .expr(Expr::val(1))
        .from(super::entities::payment_profile::Entity)
        .and_where(P::Id.eq(profile))
        .and_where(P::CustomerId.eq(sub.customer.0))
        .and_where(P::RemovedAt.is_null())
        .to_owned();
    let txn = super::begin_write(db).await?;
    let updated = subscription::Entity::update_many()
        .col_expr(S::DefaultPaymentProfileId, Expr::value(profile))
        .col_expr(S::UpdatedAt, Expr::value(at))
        .filter(S::Id.eq(sub.id.0))
        .filter(S::Status.ne(SubscriptionStatus::Canceled.as_str()))
        .filter(Expr::exists(live_profile))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    super::audit::commit(txn).await?;
    Ok(true)
}
