//! The test processor behind a connection that can fail: a fault before anything reaches
//! the card network, or after it acted with the answer lost on the way back. Counts what
//! really happened, so a test can prove nothing happened twice.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use paygraph::domain::Money;
use paygraph::domain::capture::HoldOutcome;
use paygraph::domain::card::Wallet;
use paygraph::processor::{
    CardDetails, ChargeOutcome, ChargeRequest, Processor, ProcessorError, RefundOutcome, RefundRequest, TestProcessor,
    Verified, WalletCard,
};

/// What the faulty processor does with the next charges.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None = 0,
    /// Charges, then the answer is lost on the way back.
    LoseAnswer = 1,
    /// Fails before anything reaches the card network.
    FailBefore = 2,
}

/// The test processor behind a connection that can fail; counts the charges that happened.
#[derive(Default)]
pub struct FaultyProcessor {
    inner: TestProcessor,
    fault: AtomicUsize,
    pub charged: AtomicUsize,
    /// Refunds that reached the processor (a retry under the same key included).
    pub refunded: AtomicUsize,
    /// Captures and voids that reached the processor (a retry included).
    pub hold_calls: AtomicUsize,
}

impl FaultyProcessor {
    /// What the processor behind the faults did with money.
    pub fn ledger(&self) -> paygraph::processor::Ledger {
        self.inner.ledger()
    }

    /// Keeps the books of the processor behind the faults in `db` (as the app keeps its own
    /// test processor's), so another process on the same database finds its charges.
    pub fn keep_in(&self, db: paygraph::storage::Database) {
        self.inner.keep_in(db);
    }

    pub fn set(&self, fault: Fault) {
        self.fault.store(fault as usize, Ordering::SeqCst);
    }
}

impl Processor for FaultyProcessor {
    fn tokenize<'a>(&'a self, card: CardDetails<'a>) -> BoxFuture<'a, Result<String, ProcessorError>> {
        self.inner.tokenize(card)
    }

    fn tokenize_wallet<'a>(
        &'a self,
        wallet: Wallet,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<WalletCard>, ProcessorError>> {
        self.inner.tokenize_wallet(wallet, token)
    }

    fn verify<'a>(&'a self, token: &'a str, authenticated: bool) -> BoxFuture<'a, Result<Verified, ProcessorError>> {
        self.inner.verify(token, authenticated)
    }

    fn supports(&self, method: paygraph::domain::PaymentMethodType) -> bool {
        self.inner.supports(method)
    }

    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<ChargeOutcome, ProcessorError>> {
        Box::pin(async move {
            let fault = self.fault.load(Ordering::SeqCst);
            if fault == Fault::FailBefore as usize {
                return Err(ProcessorError("connection refused".into()));
            }
            let outcome = self.inner.charge(request, authenticated).await?;
            if matches!(outcome, ChargeOutcome::Succeeded | ChargeOutcome::Authorized) {
                self.charged.fetch_add(1, Ordering::SeqCst);
            }
            if fault == Fault::LoseAnswer as usize {
                return Err(ProcessorError("connection reset while reading the answer".into()));
            }
            Ok(outcome)
        })
    }

    /// Answers after a while, as a remote lookup does: passes running at once all get here
    /// before any of them records the answer.
    fn charge_outcome<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<ChargeOutcome>, ProcessorError>> {
        Box::pin(async move {
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            self.inner.charge_outcome(key).await
        })
    }

    /// Refunds fail as charges do: before reaching the processor, or with the answer lost.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> BoxFuture<'a, Result<RefundOutcome, ProcessorError>> {
        Box::pin(async move {
            let fault = self.fault.load(Ordering::SeqCst);
            if fault == Fault::FailBefore as usize {
                return Err(ProcessorError("connection refused".into()));
            }
            let outcome = self.inner.refund(request).await?;
            self.refunded.fetch_add(1, Ordering::SeqCst);
            if fault == Fault::LoseAnswer as usize {
                return Err(ProcessorError("connection reset while reading the answer".into()));
            }
            Ok(outcome)
        })
    }

    fn refund_outcome<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<RefundOutcome>, ProcessorError>> {
        self.inner.refund_outcome(key)
    }

    fn capture<'a>(&'a self, key: &'a str, amount: Money) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        self.ending(self.inner.capture(key, amount))
    }

    fn void<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        self.ending(self.inner.void(key))
    }
}

impl FaultyProcessor {
    /// A capture or void fails as charges do: before reaching the processor, or with the
    /// answer lost.
    fn ending<'a>(
        &'a self,
        call: BoxFuture<'a, Result<HoldOutcome, ProcessorError>>,
    ) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        Box::pin(async move {
            let fault = self.fault.load(Ordering::SeqCst);
            if fault == Fault::FailBefore as usize {
                return Err(ProcessorError("connection refused".into()));
            }
            let outcome = call.await?;
            self.hold_calls.fetch_add(1, Ordering::SeqCst);
            if fault == Fault::LoseAnswer as usize {
                return Err(ProcessorError("connection reset while reading the answer".into()));
            }
            Ok(outcome)
        })
    }
}
