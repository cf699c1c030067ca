//! An attempt's outcome: the session's next status, in one transaction with the Payment's
//! outcome, the failed-attempt count or the completion's effects.

use uuid::Uuid;

use super::Payments;
use super::{Confirmed, MAX_ATTEMPTS, blocked_error, decline_error};
use crate::domain::capture::capture_before;
use crate::domain::card::VaultCard;
use crate::domain::decline::Failure;
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::{FraudDecision, PaymentStatus, SessionPurpose, SessionStatus};
use crate::error::{AppResult, UserError};
use crate::processor::ChargeOutcome;
use crate::storage::writes::{Outcome, SessionWrite};

/// What became of an attempt.
#[derive(Clone, Debug)]
pub(super) enum Verdict {
    /// The processor answered.
    Charged(ChargeOutcome),
    /// A fraud rule blocked it before any charge.
    Blocked(&'static str),
}

impl Verdict {
    /// The session's next status, the payment's, and why it failed if it did.
    fn resolve(&self, session: &PaymentSession) -> (SessionStatus, PaymentStatus, Option<UserError>) {
        match self {
            Verdict::Charged(ChargeOutcome::Succeeded) => (SessionStatus::Completed, PaymentStatus::Succeeded, None),
            // The customer's part is done; the money waits for `capturePayment`.
            Verdict::Charged(ChargeOutcome::Authorized) => (SessionStatus::Completed, PaymentStatus::Authorized, None),
            Verdict::Charged(ChargeOutcome::RequiresAction { .. }) => {
                (SessionStatus::RequiresAction, PaymentStatus::RequiresAction, None)
            }
            Verdict::Charged(ChargeOutcome::Declined(code)) => {
                (after_failure(session), PaymentStatus::Failed, Some(decline_error(code)))
            }
            Verdict::Blocked(rule) => (after_failure(session), PaymentStatus::Failed, Some(blocked_error(rule))),
        }
    }

    /// The Payment's record of it.
    pub(super) fn outcome(self, payment: Uuid, status: PaymentStatus, risk_score: i32) -> Outcome {
        let next_action_url = match &self {
            Verdict::Charged(ChargeOutcome::RequiresAction { redirect }) => redirect.clone(),
            _ => None,
        };
        let (decline_code, fraud_rule) = match self {
            Verdict::Charged(ChargeOutcome::Declined(code)) => (Some(Failure::Declined(code)), None),
            Verdict::Charged(_) => (None, None),
            Verdict::Blocked(rule) => (Some(Failure::Blocked), Some(rule.to_owned())),
        };
        let blocked = fraud_rule.is_some();
        Outcome {
            payment,
            status,
            decline_code: decline_code.map(|f| f.as_str().to_owned()),
            risk_score: if blocked { 100 } else { risk_score },
            fraud_rule,
            fraud_decision: if blocked { FraudDecision::Block } else { FraudDecision::Allow },
            capture_before: None,
            next_action_url,
        }
    }
}

/// Where a failed attempt leaves the session: OPEN for another try, FAILED at the limit.
pub(super) fn after_failure(session: &PaymentSession) -> SessionStatus {
    if session.attempt_count + 1 >= MAX_ATTEMPTS { SessionStatus::Failed } else { SessionStatus::Open }
}

impl Payments {
    /// The session's next status with the payment's outcome, in one transaction.
    pub(super) async fn record_outcome(
        &self,
        processing: &PaymentSession,
        payment_id: Uuid,
        verdict: Verdict,
        risk_score: i32,
    ) -> AppResult<Confirmed> {
        let (next, payment_status, declined) = verdict.resolve(processing);
        let mut outcome = verdict.outcome(payment_id, payment_status, risk_score);
        if payment_status == PaymentStatus::Authorized {
            outcome.capture_before = Some(capture_before(self.core.now(), self.capture_window));
        }
        let mut writes = vec![SessionWrite::RecordOutcome(outcome)];
        if declined.is_some() {
            writes.push(SessionWrite::CountFailedAttempt);
        }
        if next == SessionStatus::Completed {
            // As it will be: an AUTHORIZED payment makes its order AUTHORIZED, not PAID.
            let paid = Payment { status: payment_status, ..self.payment_row(payment_id).await? };
            let card = self.vault_row_of(&paid).await?;
            writes.extend(self.fulfilment.completion_writes(processing, Some(&paid), card.as_ref()).await?);
        } else if processing.purpose == SessionPurpose::Subscription {
            writes.push(SessionWrite::RenewalUnpaid);
        }
        let (session, _) = self.core.change_status_with(processing, next, writes).await?;
        let payment = self.payment_row(payment_id).await?;
        Ok(Confirmed { session, payment: Some(payment), declined })
    }

    /// The vault row a payment charged, if it charged one (not a profile or a transfer).
    pub(super) async fn vault_row_of(&self, payment: &Payment) -> AppResult<Option<VaultCard>> {
        Ok(crate::storage::payments::charged_card(&self.core.db, payment).await?)
    }
}
