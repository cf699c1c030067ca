//! Listings of objects created by later flows (payments, profiles, links), scoped to a merchant.

use super::Services;
use crate::domain::{CustomerId, MerchantId};
use crate::storage::entities::{payment, payment_link, payment_profile};
pub use crate::storage::listings::PaymentFilter;
use crate::storage::listings::{self, Listing};

impl Services {
    pub fn payments_query(&self, merchant: MerchantId, filter: PaymentFilter) -> Listing<payment::Entity> {
        listings::payments(merchant, filter)
    }

    /// Saved profiles that were not removed, optionally of one customer.
    pub fn profiles_query(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
    ) -> Listing<payment_profile::Entity> {
        listings::profiles(merchant, customer)
    }

    pub fn links_query(&self, merchant: MerchantId, active: Option<bool>) -> Listing<payment_link::Entity> {
        listings::links(merchant, active)
    }
}
