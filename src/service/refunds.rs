//! Refunds: giving back part or all of a captured payment.
//!
//! 1. The refund is created PENDING in one transaction with its session's REFUND_CREATED
//!    event (the version rises by one) and the reservation of its amount on the payment,
//!    a guarded write that holds only while the payment is SUCCEEDED and has that much left:
//!    refunds racing each other cannot together exceed what was captured.
//! 2. The processor is asked. Its answer settles the refund with REFUND_SUCCEEDED (and the
//!    ledger reversal of a top-up or settlement, and the order REFUNDED once all of it is
//!    back) or REFUND_FAILED (the amount is refundable again). No answer, or PENDING: the
//!    background pass asks again (`settle_pending`), with the refund's id as the processor's
//!    idempotency key, so it is never refunded twice.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::idempotency::{Claim, Claimed, request_hash};
use super::sessions::Sessions;
use super::{Core, validate};
use crate::domain::event::EventKind;
use crate::domain::ledger::{LedgerEntry, LedgerKind};
use crate::domain::payment::Payment;
use crate::domain::refund::{NotRefundable, Refund, RefundReason, RefundStatus, refund_amount};
use crate::domain::session::PaymentSession;
use crate::domain::{MerchantId, Money, PaymentId, PaymentStatus, RefundId, SessionPurpose};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::{Processors, RefundOutcome, RefundRequest};
use crate::storage;
use crate::storage::events::EventDetail;
use crate::storage::transition::{TransitionError, record_change};
use crate::storage::writes::{Guard, RefundWrite, SessionWrite};

/// The longest the processor may take to answer a refund; past it the background pass asks.
const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(10);
const SETTLE_BATCH: u64 = 100;

/// What `refundPayment` asks for; its canonical JSON is the idempotency hash.
#[derive(Debug, Clone, Serialize)]
pub struct RefundInput {
    pub payment: PaymentId,
    /// Minor units; none: all that is left.
    pub amount: Option<i64>,
    pub reason: RefundReason,
}

/// A refund as it stands after the call, with its payment.
pub struct Refunded {
    pub refund: Refund,
    pub payment: Payment,
}

/// What an idempotency record keeps of `refundPayment`: the refund it created.
#[derive(Serialize, Deserialize)]
struct RefundRecord {
    refund_id: Uuid,
}

#[derive(Clone)]
pub struct Refunds {
    core: Core,
    processors: Arc<Processors>,
    sessions: Sessions,
}

impl Refunds {
    pub fn new(core: Core, processors: Arc<Processors>, sessions: Sessions) -> Self {
        Refunds { core, processors, sessions }
    }

    /// Refunds `input.amount` (or all that is left) of a captured payment of `merchant`.
    #[tracing::instrument(skip(self, idempotency_key))]
    pub async fn refund(
        &self,
        merchant: MerchantId,
        input: RefundInput,
        idempotency_key: Option<String>,
    ) -> AppResult<Refunded> {
        let claim = match validate::idempotency_key(idempotency_key)? {
            None => None,
            Some(key) => match self
                .core
                .claim_idempotency::<RefundRecord>(merchant, "refundPayment", &key, &request_hash(&input)?)
                .await?
            {
                Claimed::Replay(record) => return self.current(record.refund_id).await,
                Claimed::Run(claim) => Some(claim),
            },
        };
        let created = self.create(merchant, &input, claim.as_ref()).await;
        // A refused refund wrote nothing, its record included: the key is free for a retry.
        if let (Err(_), Some(claim)) = (&created, claim) {
            self.core.release_idempotency(claim).await;
        }
        let (refund, session) = created?;
        self.send(&refund, &session).await;
        self.current(refund.id.0).await
    }

    /// Step 1: the refund, PENDING, with its event and the reservation of its amount.
    async fn create(
        &self,
        merchant: MerchantId,
        input: &RefundInput,
        claim: Option<&Claim>,
    ) -> AppResult<(Refund, PaymentSession)> {
        let field = ["input", "paymentId"];
        let payment = storage::payments::merchant_payment(&self.core.db, merchant, input.payment.0)
            .await?
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.status != PaymentStatus::Succeeded {
            let message = format!("only a SUCCEEDED payment can be refunded; this one is {}", payment.status.as_str());
            return Err(AppError::user(&field, ErrorCode::PaymentNotRefundable, message));
        }
        // The bank holds an open dispute's money, and keeps a lost one's: neither is refunded.
        let (captured, refunded) = (payment.amount_captured.amount(), payment.amount_refunded.amount());
        let disputed = payment.amount_disputed.amount();
        let taken_back = disputed > 0 && captured - refunded - disputed <= 0;
        if taken_back || storage::disputes::open_of_payment(&self.core.db, payment.id.0).await? {
            let message = "the payment is disputed: the customer's bank holds its money, or took it back";
            return Err(AppError::user(&field, ErrorCode::PaymentDisputed, message));
        }
        let refundable = captured - disputed;
        let amount = refund_amount(input.amount, refundable, refunded).map_err(refusal)?;
        let session = self
            .sessions
            .get(merchant, payment.session)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment {} without its session", payment.id.0))?;
        let now = self.core.now();
        let refund = Refund {
            id: RefundId(Uuid::new_v4()),
            merchant,
            payment: payment.id,
            session: session.id,
            amount: Money::from_stored(amount, payment.amount.currency()),
            reason: input.reason,
            status: RefundStatus::Pending,
            failure_code: None,
            created_at: now,
            updated_at: now,
        };
        let mut writes = vec![
            SessionWrite::Refund(RefundWrite::Insert(refund.clone())),
            SessionWrite::Refund(RefundWrite::Reserve { payment: payment.id.0, amount }),
        ];
        if let Some(claim) = claim {
            writes.push(claim.completion(&RefundRecord { refund_id: refund.id.0 })?);
        }
        let changed = self.record(&session, &refund, EventKind::RefundCreated, writes).await.map_err(conflict)?;
        Ok((refund, changed))
    }

    /// Step 2: asks the processor, and settles the refund if it answered for good.
    async fn send(&self, refund: &Refund, session: &PaymentSession) {
        let (charge_key, key) = (refund.payment.0.to_string(), refund.id.0.to_string());
        let request = RefundRequest { charge_key: &charge_key, amount: refund.amount, idempotency_key: &key };
        let processor = match self.processors.of_payment(refund.payment.0).await {
            Ok(processor) => processor,
            Err(error) => return tracing::error!(%error, refund = %refund.id, "no processor; the refund waits"),
        };
        let outcome = match tokio::time::timeout(PROCESSOR_TIMEOUT, processor.refund(request)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => return tracing::error!(%error, refund = %refund.id, "processor fault; the refund waits"),
            Err(_) => return tracing::error!(refund = %refund.id, "processor timed out; the refund waits"),
        };
        if let Err(error) = self.settle(refund, session, outcome).await {
            tracing::warn!(error = %format!("{error:#}"), refund = %refund.id, "settling a refund failed; it waits");
        }
    }

    /// Settles refund `id` from its processor's word (the processor's webhook): a PENDING
    /// refund of a payment held by `account`; anything else is left alone. True: settled now.
    pub async fn settle_from_processor(&self, id: Uuid, account: Uuid) -> AppResult<bool> {
        let Some(refund) = storage::refunds::refund(&self.core.db, id).await? else { return Ok(false) };
        if refund.status != RefundStatus::Pending
            || storage::payments::processor_account_of(&self.core.db, refund.payment.0).await? != Some(account)
        {
            return Ok(false);
        }
        let processor = self.processors.of(Some(account)).await?;
        let outcome = processor.refund_outcome(&id.to_string()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(outcome) = outcome.filter(|o| *o != RefundOutcome::Pending) else { return Ok(false) };
        let Some(session) = self.sessions.get(refund.merchant, refund.session).await? else { return Ok(false) };
        self.settle(&refund, &session, outcome).await?;
        Ok(true)
    }

    /// Records what the processor said of a PENDING refund. Another instance settling it
    /// first is not an error: the refund is settled.
    async fn settle(&self, refund: &Refund, session: &PaymentSession, outcome: RefundOutcome) -> AppResult<()> {
        let (status, failure) = match outcome {
            RefundOutcome::Pending => return Ok(()),
            RefundOutcome::Succeeded => (RefundStatus::Succeeded, None),
            RefundOutcome::Failed(code) => (RefundStatus::Failed, Some(code.to_owned())),
        };
        let settle = RefundWrite::Settle { refund: refund.id.0, status, failure_code: failure };
        let mut writes = vec![SessionWrite::Refund(settle)];
        let kind = if status == RefundStatus::Succeeded {
            writes.extend(self.reversal(refund, session));
            if let Some(order) = session.order {
                writes.push(SessionWrite::Refund(RefundWrite::MarkOrderRefunded {
                    order: order.0,
                    payment: refund.payment.0,
                }));
            }
            EventKind::RefundSucceeded
        } else {
            let amount = refund.amount.amount();
            writes.push(SessionWrite::Refund(RefundWrite::Release { payment: refund.payment.0, amount }));
            EventKind::RefundFailed
        };
        match self.record(session, refund, kind, writes).await {
            Ok(_) | Err(TransitionError::Refused(Guard::RefundSettled)) => Ok(()),
            Err(other) => Err(conflict(other)),
        }
    }

    /// What a balance purpose's completion credited, taken back: a top-up's or a settlement's.
    fn reversal(&self, refund: &Refund, session: &PaymentSession) -> Option<SessionWrite> {
        let reverses = matches!(session.purpose, SessionPurpose::BalanceTopUp | SessionPurpose::OutstandingBalance);
        let customer = session.customer.filter(|_| reverses)?;
        Some(SessionWrite::PostLedgerEntry(LedgerEntry {
            id: Uuid::new_v4(),
            merchant: session.merchant,
            customer,
            amount: Money::from_stored(-refund.amount.amount(), refund.amount.currency()),
            kind: LedgerKind::Refund,
            session: Some(session.id),
            description: Some(format!("refund {}", refund.id)),
            created_at: self.core.now(),
        }))
    }

    /// One event of `session` about `refund`, with `writes`, in one transaction; published.
    async fn record(
        &self,
        session: &PaymentSession,
        refund: &Refund,
        kind: EventKind,
        writes: Vec<SessionWrite>,
    ) -> Result<PaymentSession, TransitionError> {
        let detail =
            EventDetail { kind, payment: Some(refund.payment.0), refund: Some(refund.id.0), ..Default::default() };
        let (changed, event) = record_change(&self.core.db, session, self.core.now(), detail, writes).await?;
        self.core.publish(event).await;
        Ok(changed)
    }

    /// The refund and its payment as they are now.
    async fn current(&self, id: Uuid) -> AppResult<Refunded> {
        let refund =
            storage::refunds::refund(&self.core.db, id).await?.ok_or_else(|| anyhow::anyhow!("refund gone"))?;
        let payment = storage::payments::payment(&self.core.db, refund.payment.0)
            .await?
            .ok_or_else(|| anyhow::anyhow!("refund {id} without its payment"))?;
        Ok(Refunded { refund, payment })
    }

    /// Asks the processor about refunds still PENDING (sent before, or never sent because
    /// the process died first) and settles those it answers. Safe on several instances: a
    /// refund is settled once (a guarded write), and sent again only under its own key.
    pub async fn settle_pending(&self) -> AppResult<usize> {
        let due = storage::refunds::pending(&self.core.db, self.core.now(), SETTLE_BATCH).await?;
        let mut settled = 0;
        for refund in due {
            let key = refund.id.0.to_string();
            let processor = match self.processors.of_payment(refund.payment.0).await {
                Ok(processor) => processor,
                Err(error) => {
                    tracing::warn!(%error, refund = %refund.id, "no processor; the refund waits");
                    continue;
                }
            };
            let outcome = match processor.refund_outcome(&key).await {
                Ok(Some(outcome)) => outcome,
                // Never arrived: send it (the key makes a duplicate harmless).
                Ok(None) => {
                    let charge_key = refund.payment.0.to_string();
                    let request =
                        RefundRequest { charge_key: &charge_key, amount: refund.amount, idempotency_key: &key };
                    match processor.refund(request).await {
                        Ok(outcome) => outcome,
                        Err(error) => {
                            tracing::warn!(%error, refund = %refund.id, "processor fault; the refund waits");
                            continue;
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, refund = %refund.id, "processor fault; the refund waits");
                    continue;
                }
            };
            if outcome == RefundOutcome::Pending {
                continue;
            }
            let Some(session) = self.sessions.get(refund.merchant, refund.session).await? else { continue };
            self.settle(&refund, &session, outcome).await?;
            settled += 1;
        }
        Ok(settled)
    }
}

fn refusal(error: NotRefundable) -> AppError {
    let (field, code) = match error {
        NotRefundable::NotPositive => (["input", "amount"], ErrorCode::InvalidAmount),
        NotRefundable::MoreThanLeft(_) => (["input", "amount"], ErrorCode::AmountTooLarge),
        NotRefundable::NothingLeft => (["input", "paymentId"], ErrorCode::AlreadyRefunded),
    };
    AppError::user(&field, code, error.to_string())
}

/// What a refused refund change means: its reservation found less left than it asked (a
/// racing refund took it). A settlement another instance made first is not an error
/// (`settle` takes it as done), so it never gets here.
fn conflict(error: TransitionError) -> AppError {
    match error {
        TransitionError::Refused(Guard::NotRefundable) => AppError::user(
            &["input", "amount"],
            ErrorCode::AmountTooLarge,
            "the payment has less than that left to refund (another refund took it), or was disputed meanwhile; \
             read it again",
        ),
        TransitionError::Refused(guard) => AppError::Internal(anyhow::anyhow!("a refund write was refused: {guard}")),
        TransitionError::VersionConflict => AppError::Internal(anyhow::anyhow!("a refund met a version conflict")),
        TransitionError::Db(db) => db.into(),
    }
}
