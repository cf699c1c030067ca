//! Disputes: found by the processor's id or by paygraph's, and drafts of their evidence.
//! Their lifecycle is written with their session's events (`writes::DisputeWrite`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::dispute;
use crate::domain::MerchantId;
use crate::domain::dispute::{Dispute, DisputeStatus};

/// The merchant's dispute known to the processor as `reference`.
pub async fn by_reference(
    db: &DatabaseConnection,
    merchant: MerchantId,
    reference: &str,
) -> Result<Option<Dispute>, DbErr> {
    dispute::Entity::find()
        .filter(dispute::Column::MerchantId.eq(merchant.0))
        .filter(dispute::Column::ProcessorReference.eq(reference))
        .one(db)
        .await?
        .map(Dispute::try_from)
        .transpose()
}

/// The merchant's dispute `id`.
pub async fn dispute(db: &DatabaseConnection, merchant: MerchantId, id: Uuid) -> Result<Option<Dispute>, DbErr> {
    dispute::Entity::find_by_id(id)
        .filter(dispute::Column::MerchantId.eq(merchant.0))
        .one(db)
        .await?
        .map(Dispute::try_from)
        .transpose()
}

/// Keeps `evidence` (JSON) as the draft of dispute `id`, while it still needs a response
/// and its deadline is after `now`. False: it no longer does, and nothing was written.
pub async fn save_draft(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: Uuid,
    evidence: String,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = super::begin_write(db).await?;
    let updated = dispute::Entity::update_many()
        .col_expr(dispute::Column::Evidence, Expr::value(evidence))
        .col_expr(dispute::Column::UpdatedAt, Expr::value(now))
        .filter(dispute::Column::Id.eq(id))
        .filter(dispute::Column::MerchantId.eq(merchant.0))
        .filter(dispute::Column::Status.eq(DisputeStatus::NeedsResponse.as_str()))
        .filter(dispute::Column::EvidenceDueBy.gt(now))
        .exec(&txn)
        .await?;
    super::audit::commit(txn).await?;
    Ok(updated.rows_affected == 1)
}

/// Whether payment `payment` has a dispute still open.
pub async fn open_of_payment(db: &DatabaseConnection, payment: Uuid) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let open = [DisputeStatus::NeedsResponse.as_str(), DisputeStatus::UnderReview.as_str()];
    let count = dispute::Entity::find()
        .filter(dispute::Column::PaymentId.eq(payment))
        .filter(dispute::Column::Status.is_in(open))
        .count(db)
        .await?;
    Ok(count > 0)
}
