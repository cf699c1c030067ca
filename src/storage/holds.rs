//! Authorizations: the reads the background pass needs. Every write of a capture or void
//! goes through `writes::HoldWrite`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::payment;
use crate::domain::PaymentStatus;
use crate::domain::payment::Payment;

/// AUTHORIZED payments whose `capture_before` has passed at `now`, with no capture or void
/// under way: the holds to void. Oldest deadline first.
pub async fn expired(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<Payment>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::Status.eq(PaymentStatus::Authorized.as_str()))
        .filter(payment::Column::CaptureBefore.lte(now))
        .filter(payment::Column::HoldAction.is_null())
        .order_by_asc(payment::Column::CaptureBefore)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Payment::try_from)
        .collect()
}

/// AUTHORIZED payments whose capture or void was marked before `before` and has not ended:
/// left behind by a fault between the mark and the processor's answer being recorded.
pub async fn stalled(db: &DatabaseConnection, before: DateTime<Utc>, limit: u64) -> Result<Vec<Payment>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::HoldSince.lte(before))
        .filter(payment::Column::Status.eq(PaymentStatus::Authorized.as_str()))
        .order_by_asc(payment::Column::HoldSince)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Payment::try_from)
        .collect()
}

/// The payment that completed `session`: AUTHORIZED, or how its hold ended.
pub async fn completing_payment(db: &DatabaseConnection, session: uuid::Uuid) -> Result<Option<Payment>, DbErr> {
    let ended = [PaymentStatus::Authorized, PaymentStatus::Succeeded, PaymentStatus::Voided].map(|s| s.as_str());
    let row = payment::Entity::find()
        .filter(payment::Column::PaymentSessionId.eq(session))
        .filter(payment::Column::Status.is_in(ended))
        .order_by_desc(payment::Column::CreatedAt)
        .one(db)
        .await?;
    row.map(Payment::try_from).transpose()
}
