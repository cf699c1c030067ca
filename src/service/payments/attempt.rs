//! One attempt to pay a session: OPEN → PROCESSING with everything the attempt records, the
//! fraud rules, the charge, and its outcome (see the module documentation of `payments`).

use std::time::Duration;

use uuid::Uuid;

use super::Payments;
use super::outcome::Verdict;
use super::{Confirmed, ConfirmedRecord, PaymentMethodInput};
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::{
    FraudDecision, Money, PaymentId, PaymentStatus, ProfileId, SessionId, SessionPurpose, SessionStatus,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::{ChargeOutcome, ChargeRequest};
use crate::service::auth::Caller;
use crate::service::fraud::Signals;
use crate::service::idempotency::Claim;
use crate::storage;
use crate::storage::writes::SessionWrite;

/// How long a charge may take. Well under `RECONCILE_AFTER`: an attempt is only reconciled
/// once nobody is waiting for its answer any more.
pub(super) const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(30);

/// How a charge is made.
#[derive(Clone, Copy, Debug)]
pub(super) struct Charge {
    /// The customer passed 3-D Secure.
    pub authenticated: bool,
    /// Taken at once; false: authorized and held (a MANUAL capture session).
    pub capture: bool,
    /// The account that holds the token; none: the test processor.
    pub account: Option<Uuid>,
    /// A renewal: the customer is not there to be asked anything.
    pub off_session: bool,
}

/// Who pays which session, how, and from where.
pub(crate) struct Attempt {
    pub caller: Caller,
    pub id: SessionId,
    pub method: PaymentMethodInput,
    /// Canonical form, for the fraud rules.
    pub client_ip: Option<String>,
    /// The customer is not there: a renewal charged from their saved profile.
    pub off_session: bool,
}

impl Payments {
    /// Runs one attempt. `idempotency`: the claimed key, completed in the transaction that
    /// starts the attempt.
    pub(crate) async fn attempt(&self, attempt: Attempt, idempotency: Option<&Claim>) -> AppResult<Confirmed> {
        let Attempt { caller, id, method, client_ip, off_session } = attempt;
        let merchant = caller.merchant();
        let session = self
            .sessions
            .get(merchant, id)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        self.check_payable(&session).await?;
        let method = self.checked_method(caller, &session, method).await?;
        if session.purpose == SessionPurpose::Setup {
            return self.set_up(&session, method, client_ip, idempotency).await;
        }
        let amount = session_amount(&session)?;

        // OPEN → PROCESSING with the token spent, the payment recorded and the order or
        // period claimed, all or nothing.
        let now = self.core.now();
        let payment_id = Uuid::new_v4();
        let attempt = Payment {
            id: PaymentId(payment_id),
            merchant,
            session: session.id,
            customer: session.customer,
            status: PaymentStatus::Processing,
            amount,
            method: method.kind,
            summary: method.summary.clone(),
            fingerprint: Some(method.fingerprint.clone()),
            card_token: method.charge.as_ref().and_then(|c| c.vault_token.as_ref()).map(|t| t.token.clone()),
            profile: method.charge.as_ref().and_then(|c| c.profile).map(ProfileId),
            decline_code: None,
            risk_score: 0,
            fraud_rule: None,
            fraud_decision: FraudDecision::Pending,
            client_ip: client_ip.clone(),
            off_session,
            subscription: session.subscription,
            processor_account: method.charge.as_ref().and_then(|c| c.processor_account),
            processor_reference: None,
            next_action_url: None,
            amount_captured: Money::zero(amount.currency()),
            amount_refunded: Money::zero(amount.currency()),
            amount_disputed: Money::zero(amount.currency()),
            capture_before: None,
            hold_action: None,
            created_at: now,
            updated_at: now,
        };
        let mut writes = method.writes;
        writes.push(SessionWrite::InsertPayment(Box::new(attempt)));
        let record = ConfirmedRecord { payment_id: Some(payment_id), verification_id: None };
        writes.extend(self.idempotency_write(idempotency, &record)?);
        let (processing, _) = self.core.change_status_with(&session, SessionStatus::Processing, writes).await?;

        // Fraud rules, then the charge (a bank transfer waits for its settlement instead).
        let signals = Signals {
            merchant,
            amount: amount.amount(),
            fingerprint: &method.fingerprint,
            client_ip: client_ip.as_deref(),
            customer: session.customer,
            this_attempt: payment_id,
        };
        let assessment = self.fraud.assess(signals).await?;
        let verdict = match (assessment.blocked_by, &method.charge) {
            (Some(rule), _) => Verdict::Blocked(rule),
            (None, Some(card)) => {
                let charge = Charge {
                    authenticated: card.authenticated,
                    capture: session.captures_at_once(),
                    account: card.processor_account,
                    off_session,
                };
                match self.charge(&session, &card.processor_token, payment_id, charge).await {
                    Some(outcome) => Verdict::Charged(outcome),
                    // The answer is lost: the charge may or may not have happened. The session
                    // waits in PROCESSING until `reconcile` asks the processor.
                    None => {
                        return Ok(Confirmed {
                            payment: Some(self.payment_row(payment_id).await?),
                            session: processing,
                            declined: None,
                        });
                    }
                }
            }
            (None, None) => {
                let payment = self.record_assessment(payment_id, assessment.risk_score).await?;
                return Ok(Confirmed { session: processing, payment: Some(payment), declined: None });
            }
        };
        self.record_outcome(&processing, payment_id, verdict, assessment.risk_score).await
    }

    /// The session can be paid now: OPEN, not expired, and its link not used up.
    async fn check_payable(&self, session: &PaymentSession) -> AppResult<()> {
        let status = session.status;
        if status == SessionStatus::Open && self.core.now() >= session.expires_at {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::SessionExpired,
                "this payment session has expired",
            ));
        }
        if status != SessionStatus::Open {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::IllegalTransition,
                format!("a {status} payment session cannot be paid"),
            ));
        }
        self.check_link_not_used_up(session).await
    }

    /// The idempotency record of this attempt, to commit with it.
    pub(super) fn idempotency_write(
        &self,
        claim: Option<&Claim>,
        record: &ConfirmedRecord,
    ) -> AppResult<Option<SessionWrite>> {
        claim.map(|claim| claim.completion(record)).transpose()
    }

    /// A link's limit counts completed payments: once reached, its other open sessions take
    /// no more. (Two customers paying at the same moment can both get through; the limit is
    /// a sales cap, like Stripe's, not a guarantee.)
    async fn check_link_not_used_up(&self, session: &PaymentSession) -> AppResult<()> {
        let Some(link_id) = session.payment_link else { return Ok(()) };
        let link = self.links.get(session.merchant, link_id).await?;
        if let Some(max) = link.and_then(|l| l.max_completed_payments)
            && self.links.completed_payments(link_id.0).await? >= u64::try_from(max).unwrap_or(0)
        {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::PaymentLinkUnavailable,
                "this payment link has taken all the payments it allows",
            ));
        }
        Ok(())
    }

    /// Charges once. `None`: no answer (a fault or a timeout), so whether money moved is
    /// unknown; only the processor can tell, by the attempt's idempotency key.
    pub(super) async fn charge(
        &self,
        session: &PaymentSession,
        processor_token: &str,
        payment_id: Uuid,
        charge: Charge,
    ) -> Option<ChargeOutcome> {
        let amount = session_amount(session).ok()?;
        let processor = match self.processors.of(charge.account).await {
            Ok(processor) => processor,
            Err(error) => {
                tracing::error!(%error, payment = %payment_id, "no processor; the attempt waits for reconciliation");
                return None;
            }
        };
        let key = payment_id.to_string();
        let tags = [("merchant", session.merchant.0.to_string()), ("session", session.id.0.to_string())];
        let return_url = format!("{}/pay/{}/return", self.public_url, session.client_secret);
        let request = ChargeRequest {
            processor_token,
            amount,
            idempotency_key: &key,
            capture: charge.capture,
            off_session: charge.off_session,
            tags: &tags,
            return_url: (!charge.off_session).then_some(return_url.as_str()),
            save_for_later: session.save_payment_profile && session.customer.is_some(),
        };
        match tokio::time::timeout(PROCESSOR_TIMEOUT, processor.charge(request, charge.authenticated)).await {
            Ok(Ok(outcome)) => Some(outcome),
            Ok(Err(error)) => {
                tracing::error!(%error, payment = %payment_id, "processor fault; the attempt waits for reconciliation");
                None
            }
            Err(_) => {
                tracing::error!(payment = %payment_id, "processor timed out; the attempt waits for reconciliation");
                None
            }
        }
    }

    /// Records the fraud rules' verdict on a payment that goes on waiting (a bank transfer).
    async fn record_assessment(&self, payment_id: Uuid, risk_score: i32) -> AppResult<Payment> {
        let assessed = storage::payments::record_assessment(&self.core.db, payment_id, risk_score).await?;
        Ok(assessed.ok_or_else(|| anyhow::anyhow!("payment {payment_id} was assessed twice"))?)
    }
}

/// What a session charges (every purpose but SETUP has an amount).
pub(super) fn session_amount(session: &PaymentSession) -> AppResult<Money> {
    Ok(session.amount.ok_or_else(|| anyhow::anyhow!("session {} charges no amount", session.id.0))?)
}
