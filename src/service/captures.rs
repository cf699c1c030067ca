//! Capturing and voiding authorized payments (see `domain::capture` for the lifecycle).
//!
//! 1. The capture or void is marked on the AUTHORIZED payment by one guarded write, with the
//!    request's idempotency record: of racing requests one marks, the others are refused and
//!    nothing of theirs is written. Nothing reaches the processor before this commit.
//! 2. The processor is asked, keyed by the payment (an authorization ends once; asked again,
//!    it answers how it ended).
//! 3. Its answer ends the payment (SUCCEEDED with what was captured, or VOIDED), and its
//!    order with it, in one transaction with the session's PAYMENT_CAPTURED or
//!    PAYMENT_VOIDED event. No answer: the background pass asks again (`resume_stalled`).
//!
//! The background pass also voids holds past their `captureBefore` (`void_expired`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::idempotency::{Claim, Claimed, request_hash};
use super::sessions::Sessions;
use super::{Core, validate};
use crate::domain::capture::{HoldAction, HoldOutcome, NotCapturable, capture_amount};
use crate::domain::event::EventKind;
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::{MerchantId, PaymentId, PaymentStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::Processors;
use crate::storage;
use crate::storage::events::EventDetail;
use crate::storage::transition::{TransitionError, apply, record_change};
use crate::storage::writes::{Guard, HoldWrite, SessionWrite};

/// The longest the processor may take to answer; past it the background pass asks.
const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(10);
/// A mark older than this whose answer was never recorded is taken up by the background pass.
const STALLED_AFTER: Span = Span::seconds(30);
const BATCH: u64 = 100;

/// What `capturePayment` asks for; its canonical JSON is the idempotency hash.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureInput {
    pub payment: PaymentId,
    /// Minor units; none: all of it.
    pub amount: Option<i64>,
}

/// What an idempotency record keeps of `capturePayment`: the payment it captured.
#[derive(Serialize, Deserialize)]
struct CaptureRecord {
    payment_id: Uuid,
}

#[derive(Clone)]
pub struct Captures {
    core: Core,
    processors: Arc<Processors>,
    sessions: Sessions,
}

impl Captures {
    pub fn new(core: Core, processors: Arc<Processors>, sessions: Sessions) -> Self {
        Captures { core, processors, sessions }
    }

    /// Captures `input.amount` (or all) of an AUTHORIZED payment of `merchant`; the rest of
    /// the hold is released.
    #[tracing::instrument(skip(self, idempotency_key))]
    pub async fn capture(
        &self,
        merchant: MerchantId,
        input: CaptureInput,
        idempotency_key: Option<String>,
    ) -> AppResult<Payment> {
        let claim = match validate::idempotency_key(idempotency_key)? {
            None => None,
            Some(key) => match self
                .core
                .claim_idempotency::<CaptureRecord>(merchant, "capturePayment", &key, &request_hash(&input)?)
                .await?
            {
                Claimed::Replay(record) => return self.current(record.payment_id).await,
                Claimed::Run(claim) => Some(claim),
            },
        };
        let marked = self.mark_capture(merchant, &input, claim.as_ref()).await;
        // A refused capture wrote nothing, its record included: the key is free for a retry.
        if let (Err(_), Some(claim)) = (&marked, claim) {
            self.core.release_idempotency(claim).await;
        }
        let (payment, session, action) = marked?;
        self.finish(&payment, &session, action).await;
        let payment = self.current(payment.id.0).await?;
        if payment.status == PaymentStatus::Voided {
            return Err(not_capturable("the authorization had ended unpaid: the payment is VOIDED"));
        }
        Ok(payment)
    }

    /// Releases the hold of an AUTHORIZED payment of `merchant`.
    #[tracing::instrument(skip(self))]
    pub async fn void(&self, merchant: MerchantId, payment: PaymentId) -> AppResult<Payment> {
        let payment = self.authorized(merchant, payment, ErrorCode::PaymentNotVoidable).await?;
        let session = self.session_of(&payment).await?;
        self.mark(&session, &payment, HoldAction::Void, None).await.map_err(|error| match error {
            TransitionError::Refused(Guard::HoldBusy) => busy(ErrorCode::PaymentNotVoidable),
            other => internal(other),
        })?;
        self.finish(&payment, &session, HoldAction::Void).await;
        let payment = self.current(payment.id.0).await?;
        if payment.status == PaymentStatus::Succeeded {
            let message = "the authorization had been captured already: the payment is SUCCEEDED";
            return Err(AppError::user(&["input", "paymentId"], ErrorCode::PaymentNotVoidable, message));
        }
        Ok(payment)
    }

    /// Step 1 of a capture: the payment, checked, with its capture marked.
    async fn mark_capture(
        &self,
        merchant: MerchantId,
        input: &CaptureInput,
        claim: Option<&Claim>,
    ) -> AppResult<(Payment, PaymentSession, HoldAction)> {
        let payment = self.authorized(merchant, input.payment, ErrorCode::PaymentNotCapturable).await?;
        let amount = capture_amount(input.amount, payment.amount_capturable()).map_err(refusal)?;
        let session = self.session_of(&payment).await?;
        let action = HoldAction::Capture(amount);
        let record = claim.map(|claim| claim.completion(&CaptureRecord { payment_id: payment.id.0 })).transpose()?;
        self.mark(&session, &payment, action, record).await.map_err(|error| match error {
            TransitionError::Refused(Guard::HoldBusy) => busy(ErrorCode::PaymentNotCapturable),
            other => internal(other),
        })?;
        Ok((payment, session, action))
    }

    async fn mark(
        &self,
        session: &PaymentSession,
        payment: &Payment,
        action: HoldAction,
        record: Option<SessionWrite>,
    ) -> Result<(), TransitionError> {
        let mut writes = vec![SessionWrite::Hold(HoldWrite::Mark { payment: payment.id.0, action })];
        writes.extend(record);
        apply(&self.core.db, session, self.core.now(), writes).await
    }

    /// Steps 2 and 3: asks the processor, and records how the authorization ended. A fault
    /// leaves the mark for the background pass.
    async fn finish(&self, payment: &Payment, session: &PaymentSession, action: HoldAction) {
        let key = payment.id.0.to_string();
        let processor = match self.processors.of(payment.processor_account).await {
            Ok(processor) => processor,
            Err(error) => return tracing::error!(%error, payment = %payment.id, "no processor; the hold waits"),
        };
        let asked = match action {
            HoldAction::Capture(amount) => {
                let amount = crate::domain::Money::from_stored(amount, payment.amount.currency());
                tokio::time::timeout(PROCESSOR_TIMEOUT, processor.capture(&key, amount)).await
            }
            HoldAction::Void => tokio::time::timeout(PROCESSOR_TIMEOUT, processor.void(&key)).await,
        };
        let outcome = match asked {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => return tracing::error!(%error, payment = %payment.id, "processor fault; the hold waits"),
            Err(_) => return tracing::error!(payment = %payment.id, "processor timed out; the hold waits"),
        };
        if let Err(error) = self.end(payment, session, outcome).await {
            tracing::warn!(error = %format!("{error:#}"), payment = %payment.id, "ending a hold failed; it waits");
        }
    }

    /// The payment (and its order) end as the processor said, with the session's event.
    /// Another instance recording it first is not an error: it has ended.
    async fn end(&self, payment: &Payment, session: &PaymentSession, outcome: HoldOutcome) -> AppResult<()> {
        let mut writes = vec![SessionWrite::Hold(HoldWrite::End { payment: payment.id.0, outcome })];
        if let Some(order) = session.order {
            writes.push(SessionWrite::Hold(HoldWrite::EndOrder { order: order.0, outcome }));
        }
        let kind = match outcome {
            HoldOutcome::Captured(_) => EventKind::PaymentCaptured,
            HoldOutcome::Voided => EventKind::PaymentVoided,
        };
        let detail = EventDetail { kind, payment: Some(payment.id.0), ..Default::default() };
        match record_change(&self.core.db, session, self.core.now(), detail, writes).await {
            Ok((_, event)) => {
                self.core.publish(event).await;
                Ok(())
            }
            Err(TransitionError::Refused(Guard::HoldEnded)) => Ok(()),
            Err(other) => Err(internal(other)),
        }
    }

    /// Voids holds past their `captureBefore`. Safe on several instances: each is marked
    /// first, and only the instance whose mark commits asks the processor.
    pub async fn void_expired(&self) -> AppResult<usize> {
        let due = storage::holds::expired(&self.core.db, self.core.now(), BATCH).await?;
        let mut voided = 0;
        for payment in due {
            let session = self.session_of(&payment).await?;
            match self.mark(&session, &payment, HoldAction::Void, None).await {
                Ok(()) => {}
                Err(TransitionError::Refused(Guard::HoldBusy)) => continue,
                Err(other) => return Err(internal(other)),
            }
            self.finish(&payment, &session, HoldAction::Void).await;
            voided += 1;
        }
        Ok(voided)
    }

    /// Asks the processor again about captures and voids whose answer was never recorded
    /// (a fault, a timeout, or a process that died), under the same key.
    pub async fn resume_stalled(&self) -> AppResult<usize> {
        let due = storage::holds::stalled(&self.core.db, self.core.now() - STALLED_AFTER, BATCH).await?;
        let mut resumed = 0;
        for payment in due {
            let Some(action) = payment.hold_action else { continue };
            let session = self.session_of(&payment).await?;
            self.finish(&payment, &session, action).await;
            resumed += 1;
        }
        Ok(resumed)
    }

    /// `merchant`'s payment `id`, which must be AUTHORIZED (else `code`).
    async fn authorized(&self, merchant: MerchantId, id: PaymentId, code: ErrorCode) -> AppResult<Payment> {
        let field = ["input", "paymentId"];
        let payment = storage::payments::merchant_payment(&self.core.db, merchant, id.0)
            .await?
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.status != PaymentStatus::Authorized {
            let message = format!("only an AUTHORIZED payment can be; this one is {}", payment.status.as_str());
            return Err(AppError::user(&field, code, message));
        }
        Ok(payment)
    }

    async fn session_of(&self, payment: &Payment) -> AppResult<PaymentSession> {
        Ok(self
            .sessions
            .get(payment.merchant, payment.session)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment {} without its session", payment.id.0))?)
    }

    async fn current(&self, id: Uuid) -> AppResult<Payment> {
        Ok(storage::payments::payment(&self.core.db, id).await?.ok_or_else(|| anyhow::anyhow!("payment {id} gone"))?)
    }
}

fn refusal(error: NotCapturable) -> AppError {
    let code = match error {
        NotCapturable::NotPositive => ErrorCode::InvalidAmount,
        NotCapturable::MoreThanHeld(_) => ErrorCode::AmountTooLarge,
    };
    AppError::user(&["input", "amount"], code, error.to_string())
}

fn not_capturable(message: &str) -> AppError {
    AppError::user(&["input", "paymentId"], ErrorCode::PaymentNotCapturable, message)
}

/// Another capture or void of the payment marked it first.
fn busy(code: ErrorCode) -> AppError {
    let message = "another capture or void of this payment came first; read the payment again";
    AppError::user(&["input", "paymentId"], code, message)
}

fn internal(error: TransitionError) -> AppError {
    match error {
        TransitionError::Db(db) => db.into(),
        other => AppError::Internal(anyhow::anyhow!("a hold write was refused: {other}")),
    }
}
