//! Reads of payment profiles. Every change of one is a typed write of a session's change:
//! saved by the session that paid with it, then made the default or removed as events of
//! that session (see `storage::writes::AccountWrite`).

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::payment_profile;
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
