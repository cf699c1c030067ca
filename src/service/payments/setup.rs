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
use crate::domain::card::VaultCard;
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
        let Some(Chargeable { vault_token: Some(card), .. }) = method.charge else {
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
            card_token: Some(card.token.clone()),
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
        let outcome = VerificationOutcome {
            decline_code: None,
            fraud_rule: assessment.blocked_by.map(str::to_owned),
            risk_score: assessment.risk_score,
        };
        let verdict = match assessment.blocked_by {
            Some(rule) => Err(blocked_error(rule)),
            None => Ok(()),
        };
        let (settled, declined) = self.settle_verification(processing, check_id, card, outcome, verdict, false).await?;
        Ok(Confirmed { session: settled, payment: None, declined })
    }

    /// Asks the processor to verify `card` for the PROCESSING session (unless the fraud rules
    /// already refused it: `verdict`) and records how it ended: COMPLETED with the method
    /// saved, back to OPEN (or FAILED) with a failed attempt, or REQUIRES_ACTION when the
    /// issuer wants 3-D Secure first (the verification then waits for the challenge).
    async fn settle_verification(
        &self,
        processing: PaymentSession,
        check_id: Uuid,
        mut card: VaultCard,
        mut outcome: VerificationOutcome,
        verdict: Result<(), UserError>,
        authenticated: bool,
    ) -> AppResult<(PaymentSession, Option<UserError>)> {
        let verified = match verdict {
            Err(refused) => Err(refused),
            Ok(()) => match self.verify(card.processor_account, &card.processor_token, authenticated).await {
                // What is saved is the token the processor gave for later payments.
                Ok(Verified::Usable(reusable)) => {
                    card.processor_token = reusable;
                    Ok(())
                }
                Ok(Verified::RequiresAction) => {
                    let (waiting, _) = self.core.change_status(&processing, SessionStatus::RequiresAction).await?;
                    return Ok((waiting, None));
                }
                Ok(Verified::Declined(decline)) => {
                    outcome.decline_code = Some(decline.as_str().to_owned());
                    Err(decline_error(&decline))
                }
                Err(error) => {
                    // A verification moves no money: a fault is a failed attempt, retried by the customer.
                    tracing::error!(%error, session = %processing.id, "processor fault while verifying; the attempt fails");
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
        let (settled, _) = self.core.change_status_with(&processing, next, writes).await?;
        Ok((settled, declined))
    }

    /// Test mode: the customer passes (or fails) the 3-D Secure challenge of a SETUP
    /// session's verification. REQUIRES_ACTION → PROCESSING, then the verification again,
    /// authenticated (or failed as `authentication_failed`) → COMPLETED, or back to OPEN.
    #[tracing::instrument(skip(self))]
    pub async fn complete_test_setup_challenge(
        &self,
        caller: crate::service::auth::Caller,
        session: crate::domain::SessionId,
        passed: bool,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentSessionId"];
        let no_challenge =
            || AppError::user(&field, ErrorCode::IllegalTransition, "this session has no pending challenge");
        let found = self.sessions.get(caller.merchant(), session).await?.filter(|s| caller.may_see_session(s.id));
        let session = found.ok_or_else(|| AppError::not_found(&field, "payment session"))?;
        if session.purpose != crate::domain::SessionPurpose::Setup || session.status != SessionStatus::RequiresAction {
            return Err(no_challenge());
        }
        let check = crate::storage::payments::waiting_verification(&self.core.db, session.id.0)
            .await?
            .ok_or_else(no_challenge)?;
        let token = check
            .card_token
            .clone()
            .ok_or_else(|| anyhow::anyhow!("a verification waiting on 3-D Secure without its card"))?;
        let card = crate::storage::payments::card_token(&self.core.db, session.merchant, &token)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a verification's card is gone"))?;
        let (processing, _) = self.core.change_status(&session, SessionStatus::Processing).await?;
        let failed = (!passed).then(|| DeclineCode::AuthenticationFailed.as_str().to_owned());
        let outcome = VerificationOutcome { decline_code: failed, fraud_rule: None, risk_score: check.risk_score };
        let verdict = match passed {
            true => Ok(()),
            false => Err(decline_error(&DeclineCode::AuthenticationFailed.into())),
        };
        let (settled, declined) = self.settle_verification(processing, check.id, card, outcome, verdict, true).await?;
        Ok(Confirmed { session: settled, payment: None, declined })
    }

    /// The writes of a verification that failed: its record and one more failed attempt.
    pub(super) fn failed_verification(&self, id: Uuid, outcome: VerificationOutcome) -> Vec<SessionWrite> {
        vec![verification_result(id, VerificationStatus::Failed, outcome), SessionWrite::CountFailedAttempt]
    }
}

fn verification_result(id: Uuid, status: VerificationStatus, outcome: VerificationOutcome) -> SessionWrite {
    SessionWrite::RecordVerification { id, status, outcome }
}

impl Payments {
    async fn verify(
        &self,
        account: Option<Uuid>,
        token: &str,
        authenticated: bool,
    ) -> Result<Verified, ProcessorError> {
        let processor = self.processors.of(account).await.map_err(|e| ProcessorError(format!("{e:#}")))?;
        processor.verify(token, authenticated).await
    }
}
