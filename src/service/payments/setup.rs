//! A SETUP session: the method is verified with the processor (a zero-amount check, as
//! Stripe's SetupIntents do) and saved as a profile; nothing is charged and no Payment is
//! recorded. The verification is an attempt all the same: it passes the fraud rules first
//! and counts toward their velocities. OPEN → PROCESSING → COMPLETED, or back to OPEN
//! (FAILED at the attempt limit).

use uuid::Uuid;

use super::Payments;
use super::method::{Chargeable, Method};
use super::outcome::after_failure;
use super::{Confirmed, ConfirmedRecord, blocked_error, decline_error};
use crate::domain::SessionStatus;
use crate::domain::payment::Verification;
use crate::domain::payment::VerificationStatus;
use crate::domain::session::PaymentSession;
use crate::error::{AppError, AppResult, ErrorCode, UserError};
use crate::processor::{DeclineCode, ProcessorError, Verified};
use crate::service::fraud::Signals;
use crate::service::idempotency::Claim;
use crate::storage::writes::{SessionWrite, VerificationOutcome};

impl Payments {
    pub(super) async fn set_up(
        &self,
        session: &PaymentSession,
        method: Method,
        client_ip: Option<String>,
        idempotency: Option<&Claim>,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentMethod"];
        let Some(Chargeable { vault_token: Some(mut card), processor_token, processor_account, .. }) = method.charge
        else {
            return Err(AppError::user(
                &field,
                ErrorCode::NotAllowed,
                "a SETUP session saves a new card or wallet; this method cannot be saved",
            ));
        };
        let now = self.core.now();
        let check = Verification {
            id: Uuid::new_v4(),
            merchant: session.merchant,
            session: session.id,
            customer: session.customer,
            status: VerificationStatus::Processing,
            fingerprint: method.fingerprint.clone(),
            client_ip: client_ip.clone(),
            decline_code: None,
            fraud_rule: None,
            risk_score: 0,
            created_at: now,
            updated_at: now,
        };
        let check_id = check.id;
        let mut writes = method.writes;
        writes.push(SessionWrite::InsertVerification(check));
        let record = ConfirmedRecord { payment_id: None, verification_id: Some(check_id) };
        writes.extend(self.idempotency_write(idempotency, &record)?);
        let (processing, _) = self.core.change_status_with(session, SessionStatus::Processing, writes).await?;

        let signals = Signals {
            merchant: session.merchant,
            amount: 0,
            fingerprint: &method.fingerprint,
            client_ip: client_ip.as_deref(),
            customer: session.customer,
            this_attempt: check_id,
        };
        let assessment = self.fraud.assess(signals).await?;
        let mut outcome = VerificationOutcome {
            decline_code: None,
            fraud_rule: assessment.blocked_by.map(str::to_owned),
            risk_score: assessment.risk_score,
        };
        let verified = match assessment.blocked_by {
            Some(rule) => Err(blocked_error(rule)),
            None => match self.verify(processor_account, &processor_token).await {
                // What is saved is the token the processor gave for later payments.
                Ok(Verified::Usable(reusable)) => {
                    card.processor_token = reusable;
                    Ok(())
                }
                Ok(Verified::Declined(decline)) => {
                    outcome.decline_code = Some(decline.as_str().to_owned());
                    Err(decline_error(&decline))
                }
                Err(error) => {
                    // A verification moves no money: a fault is a failed attempt, retried by the customer.
                    tracing::error!(%error, session = %session.id, "processor fault while verifying; the attempt fails");
                    outcome.decline_code = Some(DeclineCode::ProcessingError.as_str().to_owned());
                    Err(decline_error(&DeclineCode::ProcessingError.into()))
                }
            },
        };
        let (next, writes, declined) = match verified {
            Ok(()) => {
                let mut writes = self.fulfilment.completion_writes(&processing, None, Some(&card)).await?;
                writes.push(verification_result(check_id, VerificationStatus::Succeeded, outcome));
                (SessionStatus::Completed, writes, None)
            }
            Err(declined) => (after_failure(&processing), self.failed_verification(check_id, outcome), Some(declined)),
        };
        self.core.change_status_with(&processing, next, writes).await?;
        self.set_up_result(session, declined).await
    }

    /// The writes of a verification that failed: its record and one more failed attempt.
    pub(super) fn failed_verification(&self, id: Uuid, outcome: VerificationOutcome) -> Vec<SessionWrite> {
        vec![verification_result(id, VerificationStatus::Failed, outcome), SessionWrite::CountFailedAttempt]
    }

    async fn set_up_result(&self, session: &PaymentSession, declined: Option<UserError>) -> AppResult<Confirmed> {
        let session = self
            .sessions
            .get(session.merchant, session.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("session vanished"))?;
        Ok(Confirmed { session, payment: None, declined })
    }
}

fn verification_result(id: Uuid, status: VerificationStatus, outcome: VerificationOutcome) -> SessionWrite {
    SessionWrite::RecordVerification { id, status, outcome }
}

impl Payments {
    async fn verify(&self, account: Option<Uuid>, token: &str) -> Result<Verified, ProcessorError> {
        let processor = self.processors.of(account).await.map_err(|e| ProcessorError(format!("{e:#}")))?;
        processor.verify(token).await
    }
}
