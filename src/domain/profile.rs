//! A payment profile: a method a customer saved, to pay again without entering it.

use chrono::{DateTime, Utc};

use super::{CustomerId, MerchantId, PaymentMethodType, ProfileId, SessionId};

/// A saved card (or wallet card): the processor's token for it, what the customer recognises
/// it by, and its keyed fingerprint. Never a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentProfile {
    pub id: ProfileId,
    pub merchant: MerchantId,
    pub customer: CustomerId,
    pub method: PaymentMethodType,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    /// One profile per card per customer: saving the same card again refreshes it.
    pub fingerprint: String,
    /// What the processor charges.
    pub processor_token: String,
    /// The processor account that holds the token; none: the test processor.
    pub processor_account: Option<uuid::Uuid>,
    /// The customer's default: what renewals charge when a subscription names none.
    pub is_default: bool,
    /// The session that saved it.
    pub saved_by: Option<SessionId>,
    pub created_at: DateTime<Utc>,
    /// Removed profiles pay nothing and are not listed; saving the card again revives it.
    pub removed_at: Option<DateTime<Utc>>,
}
