//! Listings of objects created by later flows (payments, profiles, links), scoped to a merchant.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::Services;
use crate::domain::{CustomerId, MerchantId, PaymentStatus, SessionId};
use crate::storage::entities::{payment, payment_link, payment_profile};

#[derive(Debug, Default)]
pub struct PaymentFilter {
    pub session: Option<SessionId>,
    pub customer: Option<CustomerId>,
    pub status: Option<PaymentStatus>,
}

impl Services {
    pub fn payments_query(&self, merchant: MerchantId, filter: PaymentFilter) -> Select<payment::Entity> {
        let mut select = payment::Entity::find().filter(payment::Column::MerchantId.eq(merchant.0));
        if let Some(s) = filter.session {
            select = select.filter(payment::Column::PaymentSessionId.eq(s.0));
        }
        if let Some(c) = filter.customer {
            select = select.filter(payment::Column::CustomerId.eq(c.0));
        }
        if let Some(status) = filter.status {
            select = select.filter(payment::Column::Status.eq(status.as_str()));
        }
        select
    }

    /// Saved profiles that were not removed, optionally of one customer.
    pub fn profiles_query(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
    ) -> Select<payment_profile::Entity> {
        let mut select = payment_profile::Entity::find()
            .filter(payment_profile::Column::MerchantId.eq(merchant.0))
            .filter(payment_profile::Column::RemovedAt.is_null());
        if let Some(c) = customer {
            select = select.filter(payment_profile::Column::CustomerId.eq(c.0));
        }
        select
    }

    pub fn links_query(&self, merchant: MerchantId, active: Option<bool>) -> Select<payment_link::Entity> {
        let mut select = payment_link::Entity::find().filter(payment_link::Column::MerchantId.eq(merchant.0));
        if let Some(active) = active {
            select = select.filter(payment_link::Column::Active.eq(active));
        }
        select
    }
}
