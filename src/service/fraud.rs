//! The fraud rules every charge (and every SETUP verification) passes first, and each
//! merchant's blocklist.
//!
//! Rules run in a fixed order and the first that fires blocks the attempt: the blocklist
//! (card, IP, customer email), the amount cap, then velocity per card, per IP and per
//! customer within a sliding window, counting payments and verifications alike. Every
//! decision, allow or block, is recorded on the attempt with its rule and an integer risk
//! score (0 to 100). Limits are in
//! [`FraudRules`](crate::config::FraudRules).

use chrono::Duration;
use uuid::Uuid;

use super::Core;
use crate::domain::fraud::{BlocklistEntry, BlocklistKind};
use crate::domain::{BlocklistEntryId, CustomerId, MerchantId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::fraud::Signal;
use crate::storage::kinds;
use crate::storage::listings::Listing;

/// What the rules look at for one attempt.
pub(super) struct Signals<'a> {
    pub merchant: MerchantId,
    /// In minor units of the session's currency; zero for a SETUP verification.
    pub amount: i64,
    /// Keyed fingerprint of the card, wallet card or IBAN.
    pub fingerprint: &'a str,
    /// Canonical form (see `domain::fraud::canonical_ip`).
    pub client_ip: Option<&'a str>,
    pub customer: Option<CustomerId>,
    /// The attempt being assessed (a payment or a verification), already recorded: it does
    /// not count against itself.
    pub this_attempt: Uuid,
}

/// The rules' verdict.
pub(super) struct Assessment {
    pub blocked_by: Option<&'static str>,
    pub risk_score: i32,
}

/// Fraud rules and the blocklist.
#[derive(Clone)]
pub struct Fraud {
    core: Core,
    customers: super::customers::Customers,
    rules: std::sync::Arc<crate::config::FraudRules>,
}

impl Fraud {
    pub fn new(
        core: Core,
        customers: super::customers::Customers,
        rules: std::sync::Arc<crate::config::FraudRules>,
    ) -> Self {
        Fraud { core, customers, rules }
    }
}

impl Fraud {
    pub(super) async fn assess(&self, signals: Signals<'_>) -> AppResult<Assessment> {
        let rules = &self.rules;
        if let Some(rule) = self.blocklisted(&signals).await? {
            return Ok(Assessment { blocked_by: Some(rule), risk_score: 100 });
        }
        let since = self.core.now() - Duration::minutes(rules.window_minutes);
        // Card, IP and customer, in that order; an absent signal counts nothing.
        let counted = [
            Some(Signal::Card(signals.fingerprint)),
            signals.client_ip.map(Signal::Ip),
            signals.customer.map(Signal::Customer),
        ];
        let present: Vec<Signal<'_>> = counted.iter().flatten().copied().collect();
        let mut counts =
            storage::fraud::recent_attempts(&self.core.db, signals.merchant, &present, since, signals.this_attempt)
                .await?
                .into_iter();
        let [by_card, by_ip, by_customer] = counted.map(|signal| signal.and_then(|_| counts.next()).unwrap_or(0));
        let amount = signals.amount;
        let blocked_by = if amount > rules.amount_cap {
            Some("merchant_amount_cap")
        } else if by_card >= rules.card_velocity {
            Some("card_velocity")
        } else if by_ip >= rules.ip_velocity {
            Some("ip_velocity")
        } else if by_customer >= rules.customer_velocity {
            Some("customer_velocity")
        } else {
            None
        };
        // Each signal adds what it says about risk, capped so no single one decides alone.
        let share = |count: u64, limit: u64, weight: u64| (count.min(limit) * weight / limit.max(1)) as i32;
        let score = 5
            + share(by_card, rules.card_velocity, 40)
            + share(by_ip, rules.ip_velocity, 20)
            + share(by_customer, rules.customer_velocity, 15)
            + if amount > rules.amount_cap / 10 { 20 } else { 0 };
        Ok(Assessment { blocked_by, risk_score: if blocked_by.is_some() { 100 } else { score.min(100) } })
    }

    /// The blocklist rule the attempt matches, if any.
    async fn blocklisted(&self, signals: &Signals<'_>) -> AppResult<Option<&'static str>> {
        let email = match signals.customer {
            Some(customer) => self.customers.get(signals.merchant, customer).await?.and_then(|c| c.email),
            None => None,
        };
        let email = email.and_then(|e| BlocklistKind::Email.normalise(&e).ok());
        let mut candidates = vec![(BlocklistKind::CardFingerprint, signals.fingerprint)];
        candidates.extend(signals.client_ip.map(|ip| (BlocklistKind::IpAddress, ip)));
        candidates.extend(email.as_deref().map(|email| (BlocklistKind::Email, email)));
        let hit = storage::fraud::blocklisted(&self.core.db, signals.merchant, &candidates).await?;
        Ok(hit.map(|kind| match kind {
            BlocklistKind::IpAddress => "blocklist_ip_address",
            BlocklistKind::Email => "blocklist_email",
            BlocklistKind::CardFingerprint => "blocklist_card_fingerprint",
        }))
    }

    /// Blocks `value` for this merchant from the next attempt on.
    pub async fn add_blocklist_entry(
        &self,
        merchant: MerchantId,
        kind: BlocklistKind,
        value: &str,
        note: Option<String>,
    ) -> AppResult<BlocklistEntry> {
        let value = kind
            .normalise(value)
            .map_err(|e| AppError::user(&["input", "value"], ErrorCode::Invalid, e.to_string()))?;
        let note = super::validate::text(note, 500, &["input", "note"])?;
        let entry =
            BlocklistEntry { id: BlocklistEntryId::new(), merchant, kind, value, note, created_at: self.core.now() };
        storage::fraud::add(&self.core.db, entry).await?.ok_or_else(|| {
            AppError::user(&["input", "value"], ErrorCode::Duplicate, "this value is already on the blocklist")
        })
    }

    /// Removes an entry; attempts after this are no longer blocked by it.
    pub async fn remove_blocklist_entry(
        &self,
        merchant: MerchantId,
        id: BlocklistEntryId,
    ) -> AppResult<BlocklistEntry> {
        storage::fraud::remove(&self.core.db, merchant, id.0)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "blocklist entry"))
    }

    /// The merchant's blocklist, optionally of one kind, for a connection.
    pub fn listing(&self, merchant: MerchantId, kind: Option<BlocklistKind>) -> Listing<kinds::BlocklistEntries> {
        storage::listings::blocklist(merchant, kind)
    }
}
