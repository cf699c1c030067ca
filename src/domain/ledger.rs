//! Customer balances as a ledger: every movement an entry of signed minor units; a balance
//! is the sum of its entries, per currency, never a counter of its own.

use chrono::{DateTime, Utc};

use super::{CustomerId, MerchantId, Money, SessionId};

string_enum!(
    /// Why a balance moved. REFUND: a refund of a top-up or a settlement takes back the
    /// credit it made.
    LedgerKind, "ledger entry kind" {
        TopUp => "TOP_UP",
        Charge => "CHARGE",
        Settlement => "SETTLEMENT",
        Refund => "REFUND",
    }
);

/// One movement of a customer's balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: uuid::Uuid,
    pub merchant: MerchantId,
    pub customer: CustomerId,
    /// Positive credits the customer; negative is a charge they owe.
    pub amount: Money,
    pub kind: LedgerKind,
    /// The session whose completion made it (top-ups and settlements).
    pub session: Option<SessionId>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}
