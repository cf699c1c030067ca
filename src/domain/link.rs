//! A payment link: reusable and shareable; each visit opens a fresh session.

use chrono::{DateTime, Utc};

use super::order::LineItem;
use super::{Currency, LinkId, MerchantId, Money};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentLink {
    pub id: LinkId,
    pub merchant: MerchantId,
    /// The last segment of its URL.
    pub slug: String,
    pub currency: Currency,
    /// What each visit pays, for a link that sells an amount.
    pub amount: Option<Money>,
    /// What each visit buys, for a link that sells line items (empty otherwise).
    pub items: Vec<LineItem>,
    pub active: bool,
    /// It opens no more sessions once this many have completed.
    pub max_completed_payments: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
