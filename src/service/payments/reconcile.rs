//! Reconciliation: no session stays in PROCESSING. An attempt whose outcome was never
//! recorded (the processor's answer was lost, the instance crashed, the database failed
//! between the charge and the outcome) is settled by asking the processor what became of
//! the charge made with the attempt's idempotency key, and applying that answer through the
//! normal outcome path:
//! - charged: the session COMPLETES with that one charge;
//! - declined, or never charged: a failed attempt, the session OPEN again (or FAILED);
//! - a SETUP verification moves no money: it fails, and the customer may try again.
//!
//! Safe with several instances: each outcome is applied by the session's compare-and-set,
//! so of two instances reconciling one session, one applies it and the other sees a conflict.

use chrono::Duration;

use super::Payments;
use super::outcome::{Verdict, after_failure};
use crate::domain::PaymentMethodType;
use crate::domain::session::PaymentSession;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::{ChargeOutcome, DeclineCode};
use crate::storage;
use crate::storage::writes::VerificationOutcome;

/// How long an attempt may wait for its outcome before it is reconciled: four times the
/// processor's timeout, so nobody is still waiting for the answer.
pub const RECONCILE_AFTER: Duration = Duration::minutes(2);

const RECONCILE_BATCH: u64 = 100;

impl Payments {
    /// Settles every attempt that has waited longer than [`RECONCILE_AFTER`]; returns how
    /// many sessions it moved on.
    pub async fn reconcile_once(&self) -> AppResult<usize> {
        let stuck =
            storage::payments::processing_since(&self.core.db, self.core.now() - RECONCILE_AFTER, RECONCILE_BATCH)
                .await?;
        let mut settled = 0;
        for session in stuck {
            match self.reconcile(&session).await {
                Ok(moved) => settled += usize::from(moved),
                Err(AppError::User(errors)) if errors.iter().any(|e| e.code == ErrorCode::VersionConflict) => {}
                Err(error) => {
                    tracing::warn!(session = %session.id, error = %format!("{error:#}"), "reconciliation failed")
                }
            }
        }
        Ok(settled)
    }

    /// Settles one session's attempt. `false`: nothing to settle yet (a bank transfer waits
    /// for its settlement, or the processor could not answer).
    async fn reconcile(&self, session: &PaymentSession) -> AppResult<bool> {
        let attempt = storage::payments::waiting_attempt(&self.core.db, session.id.0).await?;
        if let Some(attempt) = attempt {
            if attempt.method == PaymentMethodType::BankTransfer {
                return Ok(false);
            }
            let processor = self.processors.of(attempt.processor_account).await?;
            let answer = match processor.charge_outcome(&attempt.id.0.to_string()).await {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::warn!(%error, payment = %attempt.id.0, "the processor cannot tell the outcome yet");
                    return Ok(false);
                }
            };
            let outcome = answer.unwrap_or(ChargeOutcome::Declined(DeclineCode::ProcessingError.into()));
            self.record_outcome(session, attempt.id.0, Verdict::Charged(outcome.clone()), attempt.risk_score).await?;
            // Counted once it is applied: an instance that lost the race to apply it says nothing.
            tracing::warn!(payment = %attempt.id.0, ?outcome, "reconciled an attempt whose outcome was not recorded");
            self.core.metrics.count_attempt_reconciled();
            return Ok(true);
        }
        let check = storage::payments::waiting_verification(&self.core.db, session.id.0).await?;
        let Some(check) = check else {
            // Another instance settled it since this pass listed it; anything else is a bug.
            let now = self.sessions.get(session.merchant, session.id).await?;
            if now.is_some_and(|now| now.version != session.version) {
                return Ok(false);
            }
            return Err(anyhow::anyhow!("session {} is PROCESSING with no attempt", session.id).into());
        };
        let outcome = VerificationOutcome {
            decline_code: Some(DeclineCode::ProcessingError.as_str().to_owned()),
            fraud_rule: None,
            risk_score: check.risk_score,
        };
        let writes = self.failed_verification(check.id, outcome);
        self.core.change_status_with(session, after_failure(session), writes).await?;
        tracing::warn!(verification = %check.id, "reconciled a verification whose outcome was not recorded");
        self.core.metrics.count_attempt_reconciled();
        Ok(true)
    }
}
