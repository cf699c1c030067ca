//! Customer portal sessions, found by their secret, and what a portal shows of its customer.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::customer_portal_session as row;
use crate::domain::locale::Locale;
use crate::domain::payment::Payment;
use crate::domain::portal::PortalSession;
use crate::domain::profile::PaymentProfile;
use crate::domain::refund::Refund;
use crate::domain::subscription::{Subscription, SubscriptionStatus};
use crate::domain::{MerchantId, PaymentStatus, PortalId};

/// Inserts `portal`, found later by its secret.
pub async fn insert(db: &DatabaseConnection, portal: PortalSession) -> Result<PortalSession, DbErr> {
    let txn = super::begin_write(db).await?;
    let inserted = row::ActiveModel::from(row::Model::from(portal)).insert(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(inserted.into())
}

/// The portal whose secret is `secret`, expired or not.
pub async fn by_secret(db: &DatabaseConnection, secret: &str) -> Result<Option<PortalSession>, DbErr> {
    let found = row::Entity::find().filter(row::Column::Secret.eq(secret)).one(db).await?;
    Ok(found.map(Into::into))
}

/// The portal `id` of `merchant`.
pub async fn find(db: &DatabaseConnection, merchant: MerchantId, id: PortalId) -> Result<Option<PortalSession>, DbErr> {
    let found = row::Entity::find_by_id(id.0).filter(row::Column::MerchantId.eq(merchant.0)).one(db).await?;
    Ok(found.map(Into::into))
}

/// Sets the language the portal speaks (the customer chose it there).
pub async fn set_locale(db: &DatabaseConnection, portal: PortalId, locale: Locale) -> Result<(), DbErr> {
    let txn = super::begin_write(db).await?;
    let updated = row::Entity::update_many()
        .col_expr(row::Column::Locale, Expr::value(locale.as_str()))
        .filter(row::Column::Id.eq(portal.0))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DbErr::RecordNotUpdated);
    }
    super::audit::commit(txn).await
}

/// How many of each kind the portal lists: a customer with more sees the newest.
const LISTED: u64 = 50;

/// The customer's saved methods that are not removed, the default first, then newest.
pub async fn profiles_of(db: &DatabaseConnection, portal: &PortalSession) -> Result<Vec<PaymentProfile>, DbErr> {
    use super::entities::payment_profile::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::MerchantId.eq(portal.merchant.0))
        .filter(Column::CustomerId.eq(portal.customer.0))
        .filter(Column::RemovedAt.is_null())
        .order_by_desc(Column::IsDefault)
        .order_by_desc(Column::CreatedAt)
        .limit(LISTED)
        .all(db)
        .await?;
    rows.into_iter().map(PaymentProfile::try_from).collect()
}

/// The customer's subscriptions that ever started (not the INCOMPLETE ones), newest first.
pub async fn subscriptions_of(db: &DatabaseConnection, portal: &PortalSession) -> Result<Vec<Subscription>, DbErr> {
    use super::entities::subscription::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::MerchantId.eq(portal.merchant.0))
        .filter(Column::CustomerId.eq(portal.customer.0))
        .filter(Column::Status.ne(SubscriptionStatus::Incomplete.as_str()))
        .order_by_desc(Column::CreatedAt)
        .limit(LISTED)
        .all(db)
        .await?;
    rows.into_iter().map(Subscription::try_from).collect()
}

/// The customer's payments that took or hold money (not failed or unfinished attempts),
/// newest first.
pub async fn payments_of(db: &DatabaseConnection, portal: &PortalSession) -> Result<Vec<Payment>, DbErr> {
    use super::entities::payment::{Column, Entity};
    let shown = [PaymentStatus::Succeeded, PaymentStatus::Authorized, PaymentStatus::Voided];
    let rows = Entity::find()
        .filter(Column::MerchantId.eq(portal.merchant.0))
        .filter(Column::CustomerId.eq(portal.customer.0))
        .filter(Column::Status.is_in(shown.iter().map(|s| s.as_str())))
        .order_by_desc(Column::CreatedAt)
        .limit(LISTED)
        .all(db)
        .await?;
    rows.into_iter().map(Payment::try_from).collect()
}

/// The refunds of `payments`, oldest first.
pub async fn refunds_of(db: &DatabaseConnection, payments: &[Payment]) -> Result<Vec<Refund>, DbErr> {
    use super::entities::refund::{Column, Entity};
    if payments.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::PaymentId.is_in(payments.iter().map(|p| p.id.0)))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?;
    rows.into_iter().map(Refund::try_from).collect()
}
