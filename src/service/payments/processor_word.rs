//! Settling an attempt from its processor's word when the outcome comes later than the
//! charge: the customer back from 3-D Secure at the processor, or the processor's signed
//! webhook. Either reads the processor's object now and applies it through the normal
//! outcome path, so both arriving settle the attempt once.

use chrono::Duration;
use uuid::Uuid;

use super::Payments;
use super::attempt::PROCESSOR_TIMEOUT;
use super::outcome::Verdict;
use crate::domain::{PaymentStatus, SessionStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::ChargeOutcome;
use crate::storage;

/// What settling from the processor came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The attempt ended as the processor said.
    Applied,
    /// Nothing to do: not this account's, not waiting, still waiting at the processor, or
    /// settled meanwhile by another path.
    Unchanged,
}

impl Payments {
    /// Settles `payment_id` from its processor. `account`: the account whose webhook asks;
    /// a payment of another account (or of the test processor) is left alone.
    pub async fn settle_from_processor(&self, payment_id: Uuid, account: Option<Uuid>) -> AppResult<Settled> {
        let Some(payment) = storage::payments::payment(&self.core.db, payment_id).await? else {
            return Ok(Settled::Unchanged);
        };
        let foreign = account.is_some_and(|a| payment.processor_account != Some(a));
        if foreign || payment.processor_account.is_none() {
            return Ok(Settled::Unchanged);
        }
        // A PROCESSING attempt younger than the processor's timeout is its request's to settle.
        let quiet_since = self.core.now() - Duration::from_std(PROCESSOR_TIMEOUT).unwrap_or(Duration::zero());
        let waiting = match payment.status {
            PaymentStatus::RequiresAction => true,
            PaymentStatus::Processing => payment.updated_at < quiet_since,
            _ => false,
        };
        if !waiting {
            return Ok(Settled::Unchanged);
        }
        let processor = self.processors.of(payment.processor_account).await?;
        let outcome = match processor.charge_outcome(&payment_id.to_string()).await {
            Ok(Some(outcome)) if !matches!(outcome, ChargeOutcome::RequiresAction { .. }) => outcome,
            // Still with the customer, or never charged (reconciliation ends that one).
            Ok(_) => return Ok(Settled::Unchanged),
            Err(error) => return Err(anyhow::anyhow!("the processor cannot tell the outcome: {error}").into()),
        };
        let Some(session) = self.sessions.get(payment.merchant, payment.session).await? else {
            return Err(anyhow::anyhow!("payment {payment_id} without its session").into());
        };
        let processing = match session.status {
            SessionStatus::RequiresAction => match self.core.change_status(&session, SessionStatus::Processing).await {
                Ok((processing, _)) => processing,
                Err(e) if is_conflict(&e) => return Ok(Settled::Unchanged),
                Err(e) => return Err(e),
            },
            SessionStatus::Processing => session,
            _ => return Ok(Settled::Unchanged),
        };
        match self.record_outcome(&processing, payment_id, Verdict::Charged(outcome), payment.risk_score).await {
            Ok(_) => Ok(Settled::Applied),
            Err(e) if is_conflict(&e) => Ok(Settled::Unchanged),
            Err(e) => Err(e),
        }
    }

    /// The customer is back from the processor's 3-D Secure page: settles the session's
    /// waiting attempt from the processor's word.
    pub async fn customer_returned(&self, session: crate::domain::SessionId) -> AppResult<Settled> {
        match storage::payments::waiting_attempt(&self.core.db, session.0).await? {
            Some(payment) => self.settle_from_processor(payment.id.0, None).await,
            None => Ok(Settled::Unchanged),
        }
    }
}

/// Another path changed the session first: it is being (or was) settled there.
fn is_conflict(error: &AppError) -> bool {
    matches!(error, AppError::User(errors) if errors.iter().any(|e| {
        matches!(e.code, ErrorCode::VersionConflict | ErrorCode::IllegalTransition)
    }))
}
