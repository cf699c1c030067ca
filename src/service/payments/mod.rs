//! Confirming a session: one payment attempt, from the customer's method to an outcome.
//!
//! 1. Checks that change nothing (`method`): the session is OPEN and payable, the method is
//!    allowed, the card token is this merchant's (and this session's), unused and fresh.
//! 2. OPEN → PROCESSING (`attempt`), in ONE transaction with the token spent, the Payment
//!    inserted, the order or subscription period claimed and the idempotency record. Of
//!    racing confirmations exactly one wins; the others are told so and nothing of theirs is
//!    written. No charge happens before this commit.
//! 3. Fraud rules, then the processor's charge, keyed by the payment id so a retried call
//!    cannot charge twice at the processor.
//! 4. PROCESSING → COMPLETED, REQUIRES_ACTION (3-D Secure), back to OPEN (a failed attempt)
//!    or FAILED (the attempt limit), in one transaction with the Payment's outcome. When the
//!    processor's answer is lost, the session waits in PROCESSING for `reconcile`.
//!
//! SETUP sessions verify instead of charging (`setup`); test mode's 3-D Secure challenge and
//! bank-transfer settlement are in `test_mode`.

pub(crate) mod attempt;
mod method;
mod outcome;
mod processor_word;
mod reconcile;
mod setup;
mod test_mode;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use std::sync::Arc;

use super::Core;
use super::auth::Caller;
use super::fraud::Fraud;
use super::fulfilment::Fulfilment;
use super::idempotency::{Claimed, request_hash};
use super::links::Links;
use super::profiles::Profiles;
use super::sessions::Sessions;
use crate::domain::card::FingerprintKey;
use crate::domain::card::Wallet;
use crate::domain::fraud::canonical;
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::{PaymentStatus, ProfileId, SessionId};
use crate::error::{AppError, AppResult, ErrorCode, UserError};
use crate::processor::{Decline, DeclineCode, Processors};
use crate::storage;
use crate::storage::kinds;
pub use crate::storage::listings::PaymentFilter;
use crate::storage::listings::{self, Listing};

pub use processor_word::Settled;
pub use reconcile::RECONCILE_AFTER;

/// Failed attempts after which a session is FAILED.
pub const MAX_ATTEMPTS: i32 = 3;

/// How the customer pays.
#[derive(Debug, Clone, Serialize)]
pub enum PaymentMethodInput {
    CardToken(String),
    /// A wallet's payment token, exchanged with the processor for the card inside.
    Wallet {
        wallet: Wallet,
        token: String,
    },
    /// A saved profile of the session's customer.
    Profile(ProfileId),
    /// A transfer from this account; the session waits in PROCESSING until it settles.
    BankTransfer {
        iban: String,
    },
}

/// A confirmation's result: the session and payment as they now are and, for a declined or
/// blocked attempt, why.
#[derive(Debug)]
pub struct Confirmed {
    pub session: PaymentSession,
    /// `None` for a SETUP session, which verifies the method without charging it.
    pub payment: Option<Payment>,
    pub declined: Option<UserError>,
}

/// What an idempotency record keeps of `confirmPaymentSession`: the attempt it started,
/// written in the attempt's own transaction. Its outcome is read again when replayed.
#[derive(Serialize, Deserialize)]
struct ConfirmedRecord {
    payment_id: Option<Uuid>,
    #[serde(default)]
    verification_id: Option<Uuid>,
}

/// What confirming a session calls on.
pub struct PaymentDependencies {
    pub core: Core,
    pub processors: Arc<Processors>,
    pub fingerprint_key: FingerprintKey,
    pub sessions: Sessions,
    pub profiles: Profiles,
    pub fraud: Fraud,
    pub links: Links,
    pub fulfilment: Fulfilment,
    /// How long an authorization waits for its capture.
    pub capture_window: chrono::Duration,
    /// Base of the hosted pages, where a processor returns the customer after 3-D Secure.
    pub public_url: String,
}

/// Payment attempts: confirming, their outcomes, reconciliation, and test mode's controls.
#[derive(Clone)]
pub struct Payments {
    core: Core,
    processors: Arc<Processors>,
    fingerprint_key: FingerprintKey,
    sessions: Sessions,
    profiles: Profiles,
    fraud: Fraud,
    links: Links,
    fulfilment: Fulfilment,
    capture_window: chrono::Duration,
    public_url: String,
}

impl Payments {
    pub fn new(deps: PaymentDependencies) -> Self {
        let PaymentDependencies {
            core,
            processors,
            fingerprint_key,
            sessions,
            profiles,
            fraud,
            links,
            fulfilment,
            capture_window,
            public_url,
        } = deps;
        Payments {
            core,
            processors,
            fingerprint_key,
            sessions,
            profiles,
            fraud,
            links,
            fulfilment,
            capture_window,
            public_url,
        }
    }

    /// The merchant's payments matching `filter`, for a connection.
    pub fn listing(&self, merchant: crate::domain::MerchantId, filter: PaymentFilter) -> Listing<kinds::Payments> {
        listings::payments(merchant, filter)
    }
    /// Confirms session `id` with `method`; see the module documentation for the steps.
    /// `client_ip` is where the customer's request came from, for the fraud rules.
    #[tracing::instrument(skip(self, method, idempotency_key))]
    pub async fn confirm(
        &self,
        caller: Caller,
        id: SessionId,
        method: PaymentMethodInput,
        idempotency_key: Option<String>,
        client_ip: Option<IpAddr>,
    ) -> AppResult<Confirmed> {
        let merchant = caller.merchant();
        if !caller.may_see_session(id) {
            return Err(AppError::not_found(&["input", "id"], "payment session"));
        }
        let key = super::validate::idempotency_key(idempotency_key)?;
        let claim = match &key {
            None => None,
            Some(key) => {
                let hash = request_hash(&(id, &method))?;
                match self
                    .core
                    .claim_idempotency::<ConfirmedRecord>(merchant, "confirmPaymentSession", key, &hash)
                    .await?
                {
                    Claimed::Replay(record) => return self.replay_confirmed(caller, id, record).await,
                    Claimed::Run(claim) => Some(claim),
                }
            }
        };
        let attempt = attempt::Attempt { caller, id, method, client_ip: client_ip.map(canonical), off_session: false };
        let result = self.attempt(attempt, claim.as_ref()).await;
        // A refused attempt wrote nothing, its record included: the key is free for a retry.
        if let (Err(_), Some(claim)) = (&result, claim) {
            self.core.release_idempotency(claim).await;
        }
        result
    }

    async fn replay_confirmed(&self, caller: Caller, id: SessionId, record: ConfirmedRecord) -> AppResult<Confirmed> {
        let session =
            self.sessions.get(caller.merchant(), id).await?.ok_or_else(|| anyhow::anyhow!("replayed session gone"))?;
        if let Some(id) = record.verification_id {
            let check = storage::payments::verification(&self.core.db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("replayed verification gone"))?;
            let declined = declined_by(check.decline_code.as_deref(), check.fraud_rule.as_deref());
            return Ok(Confirmed { session, payment: None, declined });
        }
        let payment_id = record.payment_id.ok_or_else(|| anyhow::anyhow!("an empty confirmation record"))?;
        let payment = self.payment_row(payment_id).await?;
        let declined = (payment.status == PaymentStatus::Failed)
            .then(|| declined_by(payment.decline_code.as_ref().map(|f| f.as_str()), payment.fraud_rule.as_deref()))
            .flatten();
        Ok(Confirmed { session, payment: Some(payment), declined })
    }

    async fn payment_row(&self, id: Uuid) -> AppResult<Payment> {
        Ok(storage::payments::payment(&self.core.db, id).await?.ok_or_else(|| anyhow::anyhow!("payment vanished"))?)
    }
}

/// Why a failed attempt failed, as the confirmation told it: its fraud rule or its decline.
fn declined_by(decline_code: Option<&str>, fraud_rule: Option<&str>) -> Option<UserError> {
    if let Some(rule) = fraud_rule {
        return Some(blocked_error(rule));
    }
    decline_code.map(|code| decline_error(&Decline::from_code(code)))
}

fn blocked_error(rule: &str) -> UserError {
    UserError::new(
        &["input", "paymentMethod"],
        ErrorCode::BlockedByFraudRule,
        format!("the payment was blocked by the fraud rule `{rule}`"),
    )
}

fn decline_error(decline: &Decline) -> UserError {
    let Decline::Known(code) = decline else {
        // A reason paygraph has no name for: declined, and the payment keeps the processor's code.
        return UserError::new(&["input", "paymentMethod"], ErrorCode::CardDeclined, "the card was declined");
    };
    let (code, message) = match *code {
        DeclineCode::CardDeclined => (ErrorCode::CardDeclined, "the card was declined"),
        DeclineCode::InsufficientFunds => (ErrorCode::InsufficientFunds, "the card has insufficient funds"),
        DeclineCode::LostCard => (ErrorCode::LostCard, "the card was declined (reported lost)"),
        DeclineCode::StolenCard => (ErrorCode::StolenCard, "the card was declined (reported stolen)"),
        DeclineCode::ExpiredCard => (ErrorCode::ExpiredCard, "the card has expired"),
        DeclineCode::IncorrectCvc => (ErrorCode::IncorrectCvc, "the security code is incorrect"),
        DeclineCode::ProcessingError => (ErrorCode::ProcessingError, "the card could not be processed; try again"),
        DeclineCode::Fraudulent => (ErrorCode::Fraudulent, "the card was declined as likely fraud"),
        DeclineCode::AuthenticationFailed => (ErrorCode::CardDeclined, "3-D Secure authentication failed"),
        DeclineCode::BankTransferFailed => (ErrorCode::BankTransferFailed, "the bank transfer did not arrive"),
        DeclineCode::TestModeLiveCard => {
            (ErrorCode::TestModeLiveCard, "this is a test-mode service: use one of the test cards")
        }
    };
    UserError::new(&["input", "paymentMethod"], code, message)
}
