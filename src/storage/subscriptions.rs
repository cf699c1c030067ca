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

/// The session that started `subscription`: its first to complete. Changes of the
/// subscription are events of this session.
pub async fn started_by(db: &DatabaseConnection, subscription: Uuid) -> Result<Option<PaymentSession>, DbErr> {
    use sea_orm::QueryOrder;
    let row = payment_session::Entity::find()
        .filter(payment_session::Column::SubscriptionId.eq(subscription))
        .filter(payment_session::Column::Status.eq(SessionStatus::Completed.as_str()))
        .order_by_asc(payment_session::Column::CreatedAt)
        .one(db)
        .await?;
    row.map(PaymentSession::try_from).transpose()
}
