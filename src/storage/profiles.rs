//! Payment profiles outside a session's transition (a transition saves them with its typed
//! writes).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};
use uuid::Uuid;

use super::entities::{payment_profile, subscription};
use super::writes::{ProfileRef, clear_default, set_default};
use crate::domain::profile::PaymentProfile;
use crate::domain::{CustomerId, MerchantId};

/// The customer's default profile, if they have one that is not removed.
pub async fn default_of(db: &DatabaseConnection, customer: CustomerId) -> Result<Option<PaymentProfile>, DbErr> {
    let row = payment_profile::Entity::find()
        .filter(payment_profile::Column::CustomerId.eq(customer.0))
        .filter(payment_profile::Column::IsDefault.eq(true))
        .filter(payment_profile::Column::RemovedAt.is_null())
        .one(db)
        .await?;
    row.map(PaymentProfile::try_from).transpose()
}

/// A profile of `merchant` that is not removed.
pub async fn live(db: &DatabaseConnection, merchant: MerchantId, id: Uuid) -> Result<Option<PaymentProfile>, DbErr> {
    let row = payment_profile::Entity::find_by_id(id)
        .filter(payment_profile::Column::MerchantId.eq(merchant.0))
        .filter(payment_profile::Column::RemovedAt.is_null())
        .one(db)
        .await?;
    row.map(PaymentProfile::try_from).transpose()
}

/// Removes `profile` at `at`: not the default any more, and no subscription charges it.
pub async fn remove(
    db: &DatabaseConnection,
    profile: PaymentProfile,
    at: DateTime<Utc>,
) -> Result<PaymentProfile, DbErr> {
    let txn = super::begin_write(db).await?;
    let id = profile.id.0;
    let mut row = payment_profile::Model::from(profile).into_active_model();
    row.removed_at = Set(Some(at));
    row.is_default = Set(false);
    let removed = row.update(&txn).await?;
    subscription::Entity::update_many()
        .col_expr(subscription::Column::DefaultPaymentProfileId, Expr::value(Option::<Uuid>::None))
        .filter(subscription::Column::DefaultPaymentProfileId.eq(id))
        .exec(&txn)
        .await?;
    super::audit::commit(txn).await?;
    PaymentProfile::try_from(removed)
}

/// Makes `profile` its customer's only default, in one transaction. The profile must exist
/// and not be removed, or nothing changes.
pub async fn make_default(db: &DatabaseConnection, customer: Uuid, profile: Uuid) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let txn = super::begin_write(db).await?;
    txn.execute_raw(clear_default(customer, backend)).await?;
    let set = txn.execute_raw(set_default(customer, &ProfileRef::Id(profile), backend)).await?;
    if set.rows_affected() != 1 {
        return Err(DbErr::RecordNotUpdated); // Dropping the transaction rolls back the clear.
    }
    super::audit::commit(txn).await
}
