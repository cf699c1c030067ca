//! Disputes: recorded from what the processor reports (the test processor's news on the
//! background pass; Stripe's `charge.dispute.*` webhooks), answered by the merchant.
//!
//! Every change of a dispute is a change of its payment's session: one transaction with a
//! DISPUTE_OPENED, DISPUTE_UPDATED or DISPUTE_CLOSED event, the payment's `amountDisputed`
//! and the order's status. A dispute is known by the processor's id, so the same report
//! twice, or from two instances at once, is recorded once; a change applies only from the
//! status it was read in. Evidence drafts change no session and carry no event.

use std::sync::Arc;

use uuid::Uuid;

use super::sessions::Sessions;
use super::{Core, validate};
use crate::domain::dispute::{Dispute, DisputeEvidence, DisputeStatus, EVIDENCE_FIELD_LIMIT, NotEditable};
use crate::domain::event::EventKind;
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::{DisputeId, MerchantId, Money, PaymentStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::{DisputeReport, Processors};
use crate::storage;
use crate::storage::events::EventDetail;
use crate::storage::transition::{TransitionError, record_change};
use crate::storage::writes::{DisputeChange, DisputeWrite, Guard, SessionWrite};

/// How long the merchant has to answer when the processor names no deadline.
const DEFAULT_RESPONSE_WINDOW: chrono::Duration = chrono::Duration::days(7);
/// Tries of a change whose session another change moved on meanwhile.
const TRIES: usize = 3;

/// What became of a processor's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now.
    Now,
    /// Nothing new in it, or nothing paygraph holds: nothing to record, ever.
    Nothing,
    /// The disputed charge's outcome is not recorded yet: the report is to be given again.
    NotYet,
}

#[derive(Clone)]
pub struct Disputes {
    core: Core,
    processors: Arc<Processors>,
    sessions: Sessions,
}

impl Disputes {
    pub fn new(core: Core, processors: Arc<Processors>, sessions: Sessions) -> Self {
        Disputes { core, processors, sessions }
    }

    /// Records what a processor reported of a dispute of one of its charges: `account` is
    /// the processor account that said so (`None`: the test processor), and must hold the
    /// payment.
    pub async fn record(&self, report: &DisputeReport, account: Option<Uuid>) -> AppResult<Recorded> {
        let Ok(payment_id) = report.charge_key.parse::<Uuid>() else { return Ok(Recorded::Nothing) };
        let Some(payment) = storage::payments::payment(&self.core.db, payment_id).await? else {
            return Ok(Recorded::Nothing);
        };
        if payment.processor_account != account {
            tracing::warn!(dispute = %report.reference, "a dispute reported by an account that does not hold its payment");
            return Ok(Recorded::Nothing);
        }
        // The charge's own outcome is still being recorded: a dispute waits for it.
        if payment.status != PaymentStatus::Succeeded {
            return Ok(Recorded::NotYet);
        }
        for _ in 0..TRIES {
            let Some(session) = self.sessions.get(payment.merchant, payment.session).await? else {
                return Ok(Recorded::Nothing);
            };
            let known = storage::disputes::by_reference(&self.core.db, payment.merchant, &report.reference).await?;
            let outcome = match known {
                None => self.open(&session, &payment, report).await,
                Some(dispute) => self.follow(&session, &dispute, report).await,
            };
            match outcome {
                Ok(true) => return Ok(Recorded::Now),
                Ok(false) => return Ok(Recorded::Nothing),
                // The session, or the dispute, changed since it was read (the same report
                // recorded by another instance, the merchant's answer): read it again, and
                // record what the report still says that is new.
                Err(TransitionError::VersionConflict | TransitionError::Refused(Guard::DisputeKnown))
                | Err(TransitionError::Refused(Guard::DisputeChanged)) => continue,
                Err(other) => return Err(fault(other)),
            }
        }
        Err(AppError::Internal(anyhow::anyhow!("a dispute's session kept changing")))
    }

    /// A dispute paygraph did not know: DISPUTE_OPENED; the bank holds its amount.
    async fn open(
        &self,
        session: &PaymentSession,
        payment: &Payment,
        report: &DisputeReport,
    ) -> Result<bool, TransitionError> {
        let now = self.core.now();
        let dispute = Dispute {
            id: DisputeId(Uuid::new_v4()),
            merchant: payment.merchant,
            payment: payment.id,
            session: session.id,
            amount: Money::from_stored(report.amount, payment.amount.currency()),
            reason: report.reason,
            status: report.status,
            evidence: DisputeEvidence::default(),
            evidence_due_by: report.evidence_due_by.unwrap_or(now + DEFAULT_RESPONSE_WINDOW),
            submitted_at: None,
            closed_at: (!report.status.is_open()).then_some(now),
            processor_reference: report.reference.clone(),
            created_at: now,
            updated_at: now,
        };
        let mut writes = vec![SessionWrite::Dispute(DisputeWrite::Open(Box::new(dispute.clone())))];
        if report.status != DisputeStatus::Won {
            writes.push(held(payment, report.amount));
            writes.extend(session.order.map(|order| order_follows(order.0, true)));
        }
        self.change(session, &dispute, EventKind::DisputeOpened, writes).await?;
        Ok(true)
    }

    /// A known dispute, reported again: recorded only if it says something new.
    async fn follow(
        &self,
        session: &PaymentSession,
        dispute: &Dispute,
        report: &DisputeReport,
    ) -> Result<bool, TransitionError> {
        let due = report.evidence_due_by.filter(|due| *due != dispute.evidence_due_by && dispute.status.is_open());
        // An event older than what paygraph knows (they may arrive out of order) moves nothing back.
        let status = if dispute.status.may_become(report.status) { report.status } else { dispute.status };
        if status == dispute.status && due.is_none() {
            return Ok(false);
        }
        let to = DisputeChange { status, evidence_due_by: due, evidence: None, submitted: false };
        self.transition(session, dispute, to).await?;
        Ok(true)
    }

    /// Moves `dispute` from its status to `to`'s, with what that means for the money.
    async fn transition(
        &self,
        session: &PaymentSession,
        dispute: &Dispute,
        to: DisputeChange,
    ) -> Result<PaymentSession, TransitionError> {
        let status = to.status;
        let mut writes =
            vec![SessionWrite::Dispute(DisputeWrite::Change { dispute: dispute.id.0, from: dispute.status, to })];
        if status == DisputeStatus::Won {
            // The bank gives the money back; the order is paid again.
            writes.push(SessionWrite::Dispute(DisputeWrite::PaymentDisputed {
                payment: dispute.payment.0,
                amount: -dispute.amount.amount(),
            }));
            writes.extend(session.order.map(|order| order_follows(order.0, false)));
        }
        let kind = if status.is_open() { EventKind::DisputeUpdated } else { EventKind::DisputeClosed };
        self.change(session, dispute, kind, writes).await
    }

    /// One event of `session` about `dispute`, with `writes`, in one transaction; published.
    async fn change(
        &self,
        session: &PaymentSession,
        dispute: &Dispute,
        kind: EventKind,
        writes: Vec<SessionWrite>,
    ) -> Result<PaymentSession, TransitionError> {
        let detail =
            EventDetail { kind, payment: Some(dispute.payment.0), dispute: Some(dispute.id.0), ..Default::default() };
        let (changed, event) = record_change(&self.core.db, session, self.core.now(), detail, writes).await?;
        self.core.publish(event).await;
        Ok(changed)
    }

    /// Records the test processor's news of its disputes (the background pass); a processor
    /// that tells by webhook has none. How many were recorded.
    pub async fn take_news(&self) -> AppResult<usize> {
        let processor = self.processors.of(None).await?;
        let news = processor.dispute_news().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let (mut recorded, mut seen) = (0, Vec::with_capacity(news.len()));
        for report in news {
            match self.record(&report, None).await? {
                Recorded::NotYet => continue,
                Recorded::Now => recorded += 1,
                Recorded::Nothing => {}
            }
            seen.push(report);
        }
        processor.disputes_seen(&seen).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(recorded)
    }

    /// The merchant's disputes of `statuses` (all, when none), for a root listing.
    pub fn listing(
        &self,
        merchant: MerchantId,
        statuses: &[DisputeStatus],
    ) -> storage::listings::Listing<storage::kinds::Disputes> {
        storage::listings::disputes(merchant, statuses)
    }

    /// The merchant's dispute `id`.
    pub async fn get(&self, merchant: MerchantId, id: DisputeId) -> AppResult<Dispute> {
        storage::disputes::dispute(&self.core.db, merchant, id.0)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "disputeId"], "dispute"))
    }

    /// Keeps `changes` over the dispute's draft evidence.
    pub async fn update_evidence(
        &self,
        merchant: MerchantId,
        id: DisputeId,
        changes: DisputeEvidence,
    ) -> AppResult<Dispute> {
        for (name, text) in changes.fields() {
            validate::text(text.clone(), EVIDENCE_FIELD_LIMIT, &["input", "evidence", name])?;
        }
        let dispute = self.editable(merchant, id).await?;
        let evidence = serde_json::to_string(&dispute.evidence.updated_with(changes)).map_err(anyhow::Error::from)?;
        let now = self.core.now();
        if !storage::disputes::save_draft(&self.core.db, merchant, id.0, evidence, now).await? {
            // Submitted, conceded or decided since it was read.
            return Err(not_editable(&self.get(merchant, id).await?, now));
        }
        self.get(merchant, id).await
    }

    /// Sends the draft evidence to the processor: UNDER_REVIEW until the bank decides.
    pub async fn submit(&self, merchant: MerchantId, id: DisputeId) -> AppResult<Dispute> {
        let dispute = self.editable(merchant, id).await?;
        let processor = self.processors.of_payment(dispute.payment.0).await?;
        processor
            .submit_dispute(&dispute.processor_reference, &dispute.evidence)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("submitting dispute evidence: {e}")))?;
        let to = DisputeChange {
            status: DisputeStatus::UnderReview,
            evidence_due_by: None,
            evidence: None,
            submitted: true,
        };
        self.answer(merchant, &dispute, to).await
    }

    /// Concedes: the customer keeps the money and the dispute closes LOST.
    pub async fn accept(&self, merchant: MerchantId, id: DisputeId) -> AppResult<Dispute> {
        let dispute = self.editable(merchant, id).await?;
        let processor = self.processors.of_payment(dispute.payment.0).await?;
        processor
            .accept_dispute(&dispute.processor_reference)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("conceding a dispute: {e}")))?;
        let to = DisputeChange { status: DisputeStatus::Lost, evidence_due_by: None, evidence: None, submitted: false };
        self.answer(merchant, &dispute, to).await
    }

    /// Records the merchant's answer, which the processor has taken.
    async fn answer(&self, merchant: MerchantId, dispute: &Dispute, to: DisputeChange) -> AppResult<Dispute> {
        for _ in 0..TRIES {
            let Some(session) = self.sessions.get(merchant, dispute.session).await? else { break };
            match self.transition(&session, dispute, to.clone()).await {
                Ok(_) => return self.get(merchant, dispute.id).await,
                Err(TransitionError::VersionConflict) => continue,
                Err(TransitionError::Refused(Guard::DisputeChanged)) => {
                    let current = self.get(merchant, dispute.id).await?;
                    // Decided between the processor taking the answer and this write (its
                    // decision came first): the answer was taken, and this is how it ended.
                    if !current.status.is_open() && dispute.status == DisputeStatus::NeedsResponse {
                        return Ok(current);
                    }
                    return Err(not_editable(&current, self.core.now()));
                }
                Err(other) => return Err(fault(other)),
            }
        }
        Err(AppError::Internal(anyhow::anyhow!("a dispute's session kept changing")))
    }

    /// The dispute, if the merchant may still answer it now.
    async fn editable(&self, merchant: MerchantId, id: DisputeId) -> AppResult<Dispute> {
        let dispute = self.get(merchant, id).await?;
        let now = self.core.now();
        dispute.editable(now).map_err(|_| not_editable(&dispute, now))?;
        Ok(dispute)
    }
}

fn held(payment: &Payment, amount: i64) -> SessionWrite {
    SessionWrite::Dispute(DisputeWrite::PaymentDisputed { payment: payment.id.0, amount })
}

fn order_follows(order: Uuid, disputed: bool) -> SessionWrite {
    SessionWrite::Dispute(DisputeWrite::OrderFollows { order, disputed })
}

fn not_editable(dispute: &Dispute, now: chrono::DateTime<chrono::Utc>) -> AppError {
    let why = dispute.editable(now).err().unwrap_or(NotEditable::Submitted);
    AppError::user(&["input", "disputeId"], ErrorCode::DisputeNotEditable, format!("the dispute cannot change: {why}"))
}

fn fault(error: TransitionError) -> AppError {
    match error {
        TransitionError::Db(db) => db.into(),
        other => AppError::Internal(anyhow::anyhow!("a dispute write: {other}")),
    }
}
