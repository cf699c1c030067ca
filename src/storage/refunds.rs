//! Refunds: the reads their use cases need. Every write of a refund commits with its
//! session's event (see `writes::RefundWrite`).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entities::refund;
use crate::domain::refund::{Refund, RefundStatus};

pub async fn refund(db: &DatabaseConnection, id: Uuid) -> Result<Option<Refund>, DbErr> {
    refund::Entity::find_by_id(id).one(db).await?.map(Refund::try_from).transpose()
}

/// The refunds of a session's payments, oldest first.
pub async fn of_session(db: &DatabaseConnection, session: Uuid) -> Result<Vec<Refund>, DbErr> {
    refund::Entity::find()
        .filter(refund::Column::PaymentSessionId.eq(session))
        .order_by_asc(refund::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Refund::try_from)
        .collect()
}

/// Refunds still PENDING that were last touched before `before`, oldest first.
pub async fn pending(db: &DatabaseConnection, before: DateTime<Utc>, limit: u64) -> Result<Vec<Refund>, DbErr> {
    refund::Entity::find()
        .filter(refund::Column::Status.eq(RefundStatus::Pending.as_str()))
        .filter(refund::Column::UpdatedAt.lte(before))
        .order_by_asc(refund::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Refund::try_from)
        .collect()
}
