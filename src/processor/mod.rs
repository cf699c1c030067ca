//! Acquirers behind one trait, so a real one plugs in where the test processor stands.
//!
//! A processor receives card data exactly once, to tokenize it, and afterwards only its own
//! token: paygraph never keeps a card number to send again.

pub mod accounts;
pub mod stripe;
mod test_books;
mod test_cards;
mod test_disputes;
mod test_processor;
mod timed;

use futures_util::future::BoxFuture;

pub use accounts::{ProcessorKind, Processors};
pub use test_processor::{Ledger, TestProcessor};

use crate::domain::Money;
use crate::domain::capture::HoldOutcome;
use crate::domain::card::{CardBrand, CardNumber, Cvc, Wallet};
use crate::domain::dispute::{DisputeEvidence, DisputeReason, DisputeStatus};

/// Card data on its way to the processor; it lives only as long as the vault request.
#[derive(Debug)]
pub struct CardDetails<'a> {
    pub number: &'a CardNumber,
    pub exp_month: u32,
    pub exp_year: i32,
    pub cvc: &'a Cvc,
}

/// A charge of a tokenized method.
#[derive(Debug)]
pub struct ChargeRequest<'a> {
    /// The processor's own token, from `tokenize`.
    pub processor_token: &'a str,
    pub amount: Money,
    /// Unique per payment attempt, so a retried call never charges twice at the processor.
    pub idempotency_key: &'a str,
    /// False: authorize only, and hold the money for `capture` (or `void`).
    pub capture: bool,
    /// The customer is not there (a renewal): the processor must not ask them anything.
    pub off_session: bool,
    /// paygraph's ids, kept beside the charge at the processor (Stripe's metadata).
    pub tags: &'a [(&'static str, String)],
    /// Where the processor sends the customer back after 3-D Secure (on-session charges).
    pub return_url: Option<&'a str>,
    /// The session saves the card for later payments (a processor may need to know first).
    pub save_for_later: bool,
}

pub use crate::domain::decline::{Decline, DeclineCode};

/// The card inside a wallet's payment token, as the processor decrypted it.
#[derive(Debug)]
pub struct WalletCard {
    /// The processor's own token for this card, charged like a vault card's.
    pub processor_token: String,
    pub brand: CardBrand,
    /// Of the device account number: the card as the wallet holds it.
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    /// Stable for one card in one wallet; paygraph keeps only its keyed fingerprint.
    pub account_reference: String,
}

/// What a charge came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded,
    /// Held, not taken: the answer to a charge made with `capture: false`.
    Authorized,
    Declined(Decline),
    /// The issuer asks for 3-D Secure; charge again with `authenticated: true` once passed.
    RequiresAction {
        /// Where to send the customer (Stripe's `redirect_to_url`); `None`: the processor
        /// gave no URL (the test processor's challenge is paygraph's own page).
        redirect: Option<String>,
    },
}

/// What checking a token for later payments came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Usable later, as this token.
    Usable(String),
    Declined(Decline),
    /// The card's issuer asks the customer for 3-D Secure first; verify again, authenticated,
    /// once they passed it.
    RequiresAction,
}

/// A refund of a charge, named by the charge's idempotency key.
#[derive(Debug)]
pub struct RefundRequest<'a> {
    pub charge_key: &'a str,
    pub amount: Money,
    /// Unique per refund, so a retried call never refunds twice.
    pub idempotency_key: &'a str,
}

/// What a refund came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded,
    /// Accepted; it settles later (ask `refund_outcome`).
    Pending,
    /// With the processor's reason, e.g. `expired_or_canceled_card`.
    Failed(&'static str),
}

/// A dispute as the processor reports it, when it is opened or changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeReport {
    /// The processor's id of the dispute.
    pub reference: String,
    /// The disputed charge's idempotency key: paygraph's payment id.
    pub charge_key: String,
    /// What the bank took back, in minor units of the charge's currency.
    pub amount: i64,
    pub reason: DisputeReason,
    pub status: DisputeStatus,
    /// `None`: the processor names no deadline (the test processor); paygraph gives 7 days.
    pub evidence_due_by: Option<chrono::DateTime<chrono::Utc>>,
}

/// The processor could not be reached or answered nonsense: a fault, not a decline.
#[derive(Debug, thiserror::Error)]
#[error("processor error: {0}")]
pub struct ProcessorError(pub String);

/// An acquirer.
pub trait Processor: Send + Sync + 'static {
    /// Exchanges card data for the processor's token. The card data goes nowhere else.
    fn tokenize<'a>(&'a self, card: CardDetails<'a>) -> BoxFuture<'a, Result<String, ProcessorError>>;

    /// Decrypts a wallet's payment token (Apple Pay's `paymentData`, Google Pay's
    /// `tokenizationData.token`). `None`: not a valid payment token of that wallet.
    fn tokenize_wallet<'a>(
        &'a self,
        wallet: Wallet,
        payment_token: &'a str,
    ) -> BoxFuture<'a, Result<Option<WalletCard>, ProcessorError>>;

    /// Checks a token can be charged later without charging it (a zero-amount
    /// authorization), before it is saved for later payments. What it answers with is the
    /// token to save: a processor may exchange a one-time token for a reusable one.
    /// `authenticated` is true once the customer passed 3-D Secure.
    fn verify<'a>(
        &'a self,
        processor_token: &'a str,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<Verified, ProcessorError>>;

    /// Whether this processor can take payments of `method` (the test processor takes all).
    fn supports(&self, method: crate::domain::PaymentMethodType) -> bool;

    /// Charges a token. `authenticated` is true once the customer passed 3-D Secure.
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<ChargeOutcome, ProcessorError>>;

    /// What became of the charge made with `idempotency_key`: its outcome, or `None` when no
    /// charge was made with that key. How an attempt whose answer was lost is settled.
    fn charge_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ChargeOutcome>, ProcessorError>>;

    /// Refunds part or all of a charge.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> BoxFuture<'a, Result<RefundOutcome, ProcessorError>>;

    /// Where the refund made with `idempotency_key` stands now; `None` when no refund was
    /// made with that key (the request never arrived: it may be sent again).
    fn refund_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefundOutcome>, ProcessorError>>;

    /// Takes `amount` of the authorization made with `charge_key` and releases the rest.
    /// An authorization ends once: asked again (a retry, or a void that came first), it
    /// answers how it ended, so a lost answer is recovered by asking again.
    fn capture<'a>(&'a self, charge_key: &'a str, amount: Money) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>>;

    /// Releases the authorization made with `charge_key`; as `capture`, it answers how the
    /// authorization ended if it already had.
    fn void<'a>(&'a self, charge_key: &'a str) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>>;

    /// Disputes opened or changed and not yet `disputes_seen`, from a processor that is
    /// asked (the test processor). One that tells by webhook (Stripe) has none here.
    fn dispute_news(&self) -> BoxFuture<'_, Result<Vec<DisputeReport>, ProcessorError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// These reports were recorded: they are not reported again.
    fn disputes_seen<'a>(&'a self, _reports: &'a [DisputeReport]) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(async { Ok(()) })
    }

    /// Sends the merchant's evidence of dispute `reference` for the bank's decision.
    fn submit_dispute<'a>(
        &'a self,
        _reference: &'a str,
        _evidence: &'a DisputeEvidence,
    ) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(async { Err(ProcessorError("this processor takes no dispute evidence".into())) })
    }

    /// Concedes dispute `reference`: the customer keeps the money.
    fn accept_dispute<'a>(&'a self, _reference: &'a str) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(async { Err(ProcessorError("this processor takes no dispute answers".into())) })
    }
}
