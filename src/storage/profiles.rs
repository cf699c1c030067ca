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
use crate::domain::subscription::SubscriptionStatus;
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

/// Whether a removal may leave a subscription with nothing to renew on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewals {
    /// The merchant's call: a subscription that charged it falls back to the default.
    MayLose,
    /// The customer's: the method a running subscription renews on stays until another is chosen.
    Keep,
}

/// A removal refused: a running subscription renews on the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewsOn;

/// Removes `profile` at `at`: not the default any more, and no subscription charges it.
/// With `Renewals::Keep`, checked in the same transaction, a profile an ACTIVE or PAST_DUE
/// subscription renews on (its own, or the default it falls back to) stays.
pub async fn remove(
    db: &DatabaseConnection,
    profile: PaymentProfile,
    at: DateTime<Utc>,
    renewals: Renewals,
) -> Result<Result<PaymentProfile, RenewsOn>, DbErr> {
    let txn = super::begin_write(db).await?;
    let id = profile.id.0;
    if renewals == Renewals::Keep {
        let current = payment_profile::Entity::find_by_id(id).one(&txn).await?;
        let is_default = current.is_some_and(|p| p.is_default);
        if renewing_on(&txn, profile.customer, id, is_default).await? {
            return Ok(Err(RenewsOn));
        }
    }
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
    PaymentProfile::try_from(removed).map(Ok)
}

/// Whether a running subscription of `customer` renews on profile `id`.
async fn renewing_on(
    txn: &impl ConnectionTrait,
    customer: CustomerId,
    id: Uuid,
    is_default: bool,
) -> Result<bool, DbErr> {
    use sea_orm::{Condition, PaginatorTrait};
    use subscription::Column as S;
    let running = [SubscriptionStatus::Active.as_str(), SubscriptionStatus::PastDue.as_str()];
    let mut renews_on = Condition::any().add(S::DefaultPaymentProfileId.eq(id));
    if is_default {
        renews_on = renews_on.add(S::DefaultPaymentProfileId.is_null());
    }
    let count = subscription::Entity::find()
        .filter(S::CustomerId.eq(customer.0))
        .filter(S::Status.is_in(running))
        .filter(S::CancelAtPeriodEnd.eq(false))
        .filter(renews_on)
        .count(txn)
        .await?;
    Ok(count > 0)
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
