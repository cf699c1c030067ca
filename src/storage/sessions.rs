//! Payment sessions: reading one, and creating one with its first event.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};
use uuid::Uuid;

use super::entities::payment_session;
use super::events::insert_event;
use super::transition::{TransitionError, run_writes};
use super::writes::SessionWrite;
use crate::domain::{
    CustomerId, LinkId, MerchantId, OrderId, SessionEvent, SessionPurpose, SessionStatus, SubscriptionId,
};

/// A session of `merchant`; another merchant's reads as missing.
pub async fn session(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
) -> Result<Option<payment_session::Model>, DbErr> {
    payment_session::Entity::find_by_id(id).filter(payment_session::Column::MerchantId.eq(merchant.0)).one(db).await
}

/// Sessions still payable (OPEN, or waiting on 3-D Secure) whose `expiresAt` is past `now`,
/// soonest first: what the sweeper expires.
pub async fn expired_by(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<payment_session::Model>, DbErr> {
    payment_session::Entity::find()
        .filter(
            payment_session::Column::Status
                .is_in([SessionStatus::Open.as_str(), SessionStatus::RequiresAction.as_str()]),
        )
        .filter(payment_session::Column::ExpiresAt.lte(now))
        .order_by_asc(payment_session::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await
}

/// Inserts `session` (version 1) with its first event and `writes` (its idempotency record),
/// in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    session: payment_session::Model,
    at: DateTime<Utc>,
    writes: Vec<SessionWrite>,
) -> Result<(payment_session::Model, SessionEvent), TransitionError> {
    let txn = db.begin().await?;
    let session = payment_session::ActiveModel::from(session).insert(&txn).await?;
    let event = insert_event(&txn, &session, None, at).await?;
    run_writes(&txn, &session, at, &writes).await?;
    txn.commit().await?;
    Ok((session, event))
}

/// Which sessions a listing shows.
#[derive(Debug, Default)]
pub struct SessionFilter {
    pub statuses: Vec<SessionStatus>,
    pub purposes: Vec<SessionPurpose>,
    pub customer: Option<CustomerId>,
    pub order: Option<OrderId>,
    pub subscription: Option<SubscriptionId>,
    pub payment_link: Option<LinkId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// The merchant's sessions matching `filter`, for a connection.
pub fn listing(merchant: MerchantId, filter: SessionFilter) -> Select<payment_session::Entity> {
    use payment_session::Column as C;
    let mut select = payment_session::Entity::find().filter(C::MerchantId.eq(merchant.0));
    if !filter.statuses.is_empty() {
        select = select.filter(C::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.purposes.is_empty() {
        select = select.filter(C::Purpose.is_in(filter.purposes.iter().map(|p| p.as_str())));
    }
    if let Some(c) = filter.customer {
        select = select.filter(C::CustomerId.eq(c.0));
    }
    if let Some(o) = filter.order {
        select = select.filter(C::OrderId.eq(o.0));
    }
    if let Some(s) = filter.subscription {
        select = select.filter(C::SubscriptionId.eq(s.0));
    }
    if let Some(l) = filter.payment_link {
        select = select.filter(C::PaymentLinkId.eq(l.0));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(C::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(C::CreatedAt.lt(before));
    }
    select
}
