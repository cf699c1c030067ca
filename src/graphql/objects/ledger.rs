use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::{Money, PaymentSession};
use crate::graphql::enums::LedgerEntryKind;

/// One movement of a customer's balance. The balance in a currency is the sum of its entries.
pub struct LedgerEntry(pub crate::domain::ledger::LedgerEntry);

#[Object]
impl LedgerEntry {
    /// Signed: a credit to the customer is positive (a top-up, a settlement), a charge they
    /// owe negative.
    async fn amount(&self) -> async_graphql::Result<Option<Money>> {
        Ok(Some(Money(self.0.amount)))
    }
    async fn kind(&self) -> async_graphql::Result<LedgerEntryKind> {
        Ok(self.0.kind.into())
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The session whose completion posted this entry (top-ups and settlements).
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentSession>> {
        super::visible_session(ctx, self.0.session.map(|s| s.0)).await
    }
}
