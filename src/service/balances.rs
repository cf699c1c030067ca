//! Customer balances, kept as a ledger: every movement is an entry of signed minor units
//! and a balance is the sum of its entries, per currency. Positive is credit the customer
//! holds; negative is what they owe (open charges).
//!
//! - `createBalanceCharge` posts a CHARGE (negative).
//! - A completed BALANCE_TOP_UP session posts a TOP_UP (its amount).
//! - An OUTSTANDING_BALANCE session's amount is what the customer owes in its currency when
//!   it is created; completed, it posts a SETTLEMENT of that amount. Charges posted after the
//!   session was created stay outstanding; paying twice leaves a credit, never a loss.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::idempotency::{Claimed, request_hash};
use super::{Core, validate};
use crate::domain::ledger::LedgerEntry;
use crate::domain::session::PaymentSession;
use crate::domain::{Currency, CustomerId, MerchantId, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::writes::SessionWrite;

pub use crate::domain::ledger::LedgerKind;

/// What `createBalanceCharge` asks for; its canonical JSON is the idempotency hash.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceCharge {
    pub customer: CustomerId,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
}

/// What an idempotency record keeps of `createBalanceCharge`: the entry it posted.
#[derive(Serialize, Deserialize)]
struct PostedRecord {
    entry_id: Uuid,
}

/// Customer balances: the ledger, what is owed, charges.
#[derive(Clone)]
pub struct Balances {
    core: Core,
    customers: super::customers::Customers,
}

impl Balances {
    pub fn new(core: Core, customers: super::customers::Customers) -> Self {
        Balances { core, customers }
    }
}

impl Balances {
    /// The customer's balance in each currency they have entries in, by currency code.
    pub async fn balances(&self, merchant: MerchantId, customer: CustomerId) -> AppResult<Vec<Money>> {
        let totals = crate::storage::totals::balances(&self.core.db, merchant.0, [customer.0]).await?;
        totals.into_iter().map(|t| balance_money(t.total, &t.currency)).collect()
    }

    /// What the customer owes in `currency` (zero when they hold credit).
    pub async fn outstanding(&self, merchant: MerchantId, customer: CustomerId, currency: Currency) -> AppResult<i64> {
        let balance = self
            .balances(merchant, customer)
            .await?
            .into_iter()
            .find(|m| m.currency() == currency)
            .map_or(0, Money::amount);
        Ok(if balance < 0 { -balance } else { 0 })
    }

    /// Posts a charge the customer owes, to be paid by an OUTSTANDING_BALANCE session. With
    /// an idempotency key a retried request replays the first charge instead of posting again.
    #[tracing::instrument(skip(self, charge, idempotency_key))]
    pub async fn create_charge(
        &self,
        merchant: MerchantId,
        charge: BalanceCharge,
        idempotency_key: Option<String>,
    ) -> AppResult<LedgerEntry> {
        let money = validate::money(charge.amount, &charge.currency, &["input", "amount"])?;
        let description = validate::text(charge.description.clone(), 500, &["input", "description"])?;
        let key = validate::idempotency_key(idempotency_key)?;
        self.customers
            .get(merchant, charge.customer)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        let claim = match &key {
            None => None,
            Some(key) => {
                let hash = request_hash(&charge)?;
                match self.core.claim_idempotency::<PostedRecord>(merchant, "createBalanceCharge", key, &hash).await? {
                    Claimed::Replay(record) => {
                        return Ok(crate::storage::ledger::entry(&self.core.db, record.entry_id)
                            .await?
                            .ok_or_else(|| anyhow::anyhow!("idempotency record names a missing ledger entry"))?);
                    }
                    Claimed::Run(claim) => Some(claim),
                }
            }
        };
        let entry = LedgerEntry {
            id: Uuid::new_v4(),
            merchant,
            customer: charge.customer,
            amount: Money::from_stored(-money.amount(), money.currency()),
            kind: LedgerKind::Charge,
            session: None,
            description,
            created_at: self.core.now(),
        };
        let record = match &claim {
            Some(claim) => Some(claim.record(&PostedRecord { entry_id: entry.id })?),
            None => None,
        };
        let result = crate::storage::ledger::post(&self.core.db, entry, record).await.map_err(AppError::from);
        if let (Err(_), Some(claim)) = (&result, claim) {
            self.core.release_idempotency(claim).await;
        }
        result
    }

    /// The amount of a new OUTSTANDING_BALANCE session: everything owed in `currency`, or in
    /// the one currency the customer owes in when none is named.
    pub(super) async fn outstanding_amount(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        currency: Option<&str>,
    ) -> AppResult<Money> {
        let owed: Vec<Money> =
            self.balances(merchant, customer).await?.into_iter().filter(|m| m.amount() < 0).collect();
        let nothing = |what: String| {
            AppError::user(
                &["input", "customerId"],
                ErrorCode::NothingOutstanding,
                format!("this customer owes nothing{what}"),
            )
        };
        let balance = match currency {
            Some(code) => {
                let currency = validate::currency(code, &["input", "currency"])?;
                owed.into_iter().find(|m| m.currency() == currency).ok_or_else(|| nothing(format!(" in {code}")))?
            }
            None => match owed.as_slice() {
                [] => return Err(nothing(String::new())),
                [one] => *one,
                _ => {
                    return Err(AppError::user(
                        &["input", "currency"],
                        ErrorCode::Required,
                        "this customer owes in several currencies: name one",
                    ));
                }
            },
        };
        Money::new(-balance.amount(), balance.currency())
            .map_err(|e| AppError::user(&["input", "customerId"], ErrorCode::AmountTooLarge, e.to_string()))
    }

    /// The entry a completed top-up or settlement session posts, in its completion's
    /// transaction. The unique session column makes a second posting fail the whole change.
    pub(super) fn ledger_credit(&self, session: &PaymentSession, kind: LedgerKind) -> AppResult<SessionWrite> {
        let (Some(customer), Some(money)) = (session.customer, session.amount) else {
            return Err(anyhow::anyhow!("a {} session without customer or amount", session.purpose.as_str()).into());
        };
        Ok(SessionWrite::PostLedgerEntry(LedgerEntry {
            id: Uuid::new_v4(),
            merchant: session.merchant,
            customer,
            amount: money,
            kind,
            session: Some(session.id),
            description: None,
            created_at: self.core.now(),
        }))
    }
}

/// A stored balance as money (its currency was validated when its entries were written).
pub fn balance_money(total: i64, currency: &str) -> AppResult<Money> {
    let currency = Currency::parse(currency).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Money::from_stored(total, currency))
}
