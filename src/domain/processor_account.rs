//! A merchant's account at a processor, as paygraph keeps it: which processor, a label that
//! recognises the key without revealing it, and the key and webhook secret sealed.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::MerchantId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedAccount {
    pub id: Uuid,
    pub merchant: MerchantId,
    /// `STRIPE`.
    pub kind: String,
    /// E.g. `sk_test_…4242`: enough to recognise the key, never the key.
    pub label: String,
    /// Sealed under `PAYGRAPH_SECRETS_KEY` with the account's id as associated data.
    pub secret_key_sealed: String,
    pub webhook_secret_sealed: Option<String>,
    pub connected_at: DateTime<Utc>,
    /// Set once disconnected; it is kept, so payments made there can still be settled.
    pub disconnected_at: Option<DateTime<Utc>>,
}
