//! Test mode's stand-ins for the outside world: the customer's 3-D Secure challenge and a
//! bank transfer's settlement, each ending the attempt through the normal outcome path.

use uuid::Uuid;

use super::Confirmed;
use super::Payments;
use super::attempt::Charge;
use super::outcome::Verdict;
use crate::domain::payment::Payment;
use crate::domain::{MerchantId, PaymentMethodType, PaymentStatus, SessionStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::{ChargeOutcome, DeclineCode};
use crate::service::auth::Caller;
use crate::storage;

impl Payments {
    /// Test mode: the bank transfer of `payment` arrives (or never does), as a sandbox's
    /// settlement would report it. PROCESSING → COMPLETED, or back to OPEN / FAILED.
    #[tracing::instrument(skip(self))]
    pub async fn settle_test_bank_transfer(
        &self,
        merchant: MerchantId,
        payment_id: Uuid,
        settled: bool,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentId"];
        let payment = storage::payments::merchant_payment(&self.core.db, merchant, payment_id)
            .await?
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.method != PaymentMethodType::BankTransfer || payment.status != PaymentStatus::Processing {
            return Err(AppError::user(
                &field,
                ErrorCode::IllegalTransition,
                "this payment is not a bank transfer awaiting settlement",
            ));
        }
        let session = self
            .sessions
            .get(merchant, payment.session)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment without its session"))?;
        let outcome = if settled {
            ChargeOutcome::Succeeded
        } else {
            ChargeOutcome::Declined(DeclineCode::BankTransferFailed.into())
        };
        self.record_outcome(&session, payment.id.0, Verdict::Charged(outcome), payment.risk_score).await
    }

    /// Test mode: the customer passes (or fails) the 3-D Secure challenge of `payment`.
    /// REQUIRES_ACTION → PROCESSING, then the charge again, authenticated (or declined as
    /// `authentication_failed`) → COMPLETED, or back to OPEN / FAILED.
    #[tracing::instrument(skip(self))]
    pub async fn complete_test_challenge(
        &self,
        caller: Caller,
        payment_id: Uuid,
        passed: bool,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentId"];
        let payment = storage::payments::merchant_payment(&self.core.db, caller.merchant(), payment_id)
            .await?
            .filter(|p| caller.may_see_session(p.session))
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.status != PaymentStatus::RequiresAction {
            return Err(AppError::user(&field, ErrorCode::IllegalTransition, "this payment has no pending challenge"));
        }
        if payment.processor_account.is_some() {
            return Err(AppError::user(
                &field,
                ErrorCode::NotAllowed,
                "this payment's 3-D Secure is completed at its processor, not in test mode",
            ));
        }
        let session = self
            .sessions
            .get(caller.merchant(), payment.session)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment without its session"))?;
        let (processing, _) =
            self.core.change_status(&session, SessionStatus::Processing).await.map_err(|e| match e {
                AppError::User(mut errors) => {
                    errors.iter_mut().for_each(|e| e.field = field.iter().map(|s| (*s).to_owned()).collect());
                    AppError::User(errors)
                }
                other => other,
            })?;
        let processor_token = self.processor_token_of(&payment).await?;
        let outcome = if passed {
            let charge = Charge {
                authenticated: true,
                capture: session.captures_at_once(),
                account: payment.processor_account,
                off_session: payment.off_session,
            };
            match self.charge(&session, &processor_token, payment.id.0, charge).await {
                Some(outcome) => outcome,
                // The answer is lost: `reconcile` settles it with the processor.
                None => return Ok(Confirmed { session: processing, payment: Some(payment), declined: None }),
            }
        } else {
            ChargeOutcome::Declined(DeclineCode::AuthenticationFailed.into())
        };
        self.record_outcome(&processing, payment.id.0, Verdict::Charged(outcome), payment.risk_score).await
    }

    /// The processor token a payment charges: its vault row's, or its saved profile's.
    pub(super) async fn processor_token_of(&self, payment: &Payment) -> AppResult<String> {
        if let Some(card) = self.vault_row_of(payment).await? {
            return Ok(card.processor_token);
        }
        let profile = storage::payments::charged_profile(&self.core.db, payment).await?;
        Ok(profile.ok_or_else(|| anyhow::anyhow!("a card payment without its card"))?.processor_token)
    }
}
