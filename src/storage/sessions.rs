//! Payment sessions: reading one, and creating one with its first event.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::payment_session;
use super::events::insert_event;
use super::transition::{TransitionError, run_writes};
use super::writes::SessionWrite;
use crate::domain::session::PaymentSession;
use crate::domain::{MerchantId, SessionEvent, SessionStatus};

/// A session of `merchant`; another merchant's reads as missing.
pub async fn session(db: &DatabaseConnection, merchant: MerchantId, id: Uuid) -> Result<Option<PaymentSession>, DbErr> {
    let row = payment_session::Entity::find_by_id(id)
        .filter(payment_session::Column::MerchantId.eq(merchant.0))
        .one(db)
        .await?;
    row.map(PaymentSession::try_from).transpose()
}

/// The session whose client secret is `secret`, whatever its merchant: the secret is all a
/// hosted page or an app presents.
pub async fn by_client_secret(db: &DatabaseConnection, secret: &str) -> Result<Option<PaymentSession>, DbErr> {
    let row = payment_session::Entity::find().filter(payment_session::Column::ClientSecret.eq(secret)).one(db).await?;
    row.map(PaymentSession::try_from).transpose()
}

/// Sessions still payable (OPEN, or waiting on 3-D Secure) whose `expiresAt` is past `now`,
/// soonest first: what the sweeper expires.
pub async fn expired_by(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<PaymentSession>, DbErr> {
    let rows = payment_session::Entity::find()
        .filter(
            payment_session::Column::Status
                .is_in([SessionStatus::Open.as_str(), SessionStatus::RequiresAction.as_str()]),
        )
        .filter(payment_session::Column::ExpiresAt.lte(now))
        .order_by_asc(payment_session::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(PaymentSession::try_from).collect()
}

/// Inserts `session` (version 1) with its first event and `writes` (its idempotency record),
/// in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    session: PaymentSession,
    at: DateTime<Utc>,
    writes: Vec<SessionWrite>,
) -> Result<(PaymentSession, SessionEvent), TransitionError> {
    let txn = super::begin_write(db).await?;
    payment_session::ActiveModel::from(payment_session::Model::from(session.clone())).insert(&txn).await?;
    let event = insert_event(&txn, &session, None, at).await?;
    run_writes(&txn, &session, at, &writes).await?;
    super::audit::commit(txn).await?;
    Ok((session, event))
}
