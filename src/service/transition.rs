//! THE path of every status change of a session:
//! 1. the state machine allows `from -> to` (and a session past `expiresAt` only expires);
//! 2. the claim step of that transition adds its guarded write: the order or subscription
//!    period the session pays is taken when an attempt starts and handed back when it ends
//!    unpaid (see [`ClaimStep`]);
//! 3. storage runs it all as one transaction with the event (see `storage::transition`);
//! 4. the event is published after commit; a failed publish is left to the outbox relay.

use super::Core;
use crate::domain::session::ClaimStep;
use crate::domain::session::{PaymentSession, SessionPurpose};
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{SessionEvent, SessionId, SessionStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::transition::{Transition, TransitionError, transition};
use crate::storage::writes::{Guard, SessionWrite};

/// A subscription whose period a session may take: not yet started, or behind on a renewal.
pub const PAYABLE_SUBSCRIPTIONS: &[SubscriptionStatus] = &[SubscriptionStatus::Incomplete, SubscriptionStatus::PastDue];

impl Core {
    /// A status change with nothing else written.
    pub async fn change_status(
        &self,
        session: &PaymentSession,
        to: SessionStatus,
    ) -> AppResult<(PaymentSession, SessionEvent)> {
        self.change_status_with(session, to, Vec::new()).await
    }

    /// A status change with `writes` in the same transaction: all of it commits, or none.
    /// `session` is the state the caller decided on; if anything changed it since, the
    /// compare-and-set fails and nothing is written.
    pub async fn change_status_with(
        &self,
        session: &PaymentSession,
        to: SessionStatus,
        writes: Vec<SessionWrite>,
    ) -> AppResult<(PaymentSession, SessionEvent)> {
        let from = session.status;
        let now = self.now();
        // Past `expiresAt` a session is expired, swept or not: it only becomes EXPIRED. An
        // attempt already with the processor still gets its outcome.
        if !from.is_terminal()
            && to != SessionStatus::Expired
            && now >= session.expires_at
            && from != SessionStatus::Processing
        {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::SessionExpired,
                "this payment session has expired",
            ));
        }
        from.transition(to)
            .map_err(|e| AppError::user(&["input", "id"], ErrorCode::IllegalTransition, e.to_string()))?;

        let mut all = claim_writes(session, from.claim_step(to));
        all.extend(writes);
        let change = Transition { session, from, to, at: now, writes: all };
        let (changed, event) = transition(&self.db, change).await.map_err(|e| refusal(session.id, e))?;
        self.publish(event.clone()).await;
        Ok((changed, event))
    }

    /// A change of what `anchor` made (the subscription it started, the method it saved),
    /// recorded as its event `kind` in one transaction with `writes`, then published.
    pub(super) async fn record_account_change(
        &self,
        anchor: &PaymentSession,
        kind: crate::domain::event::EventKind,
        payment_profile: Option<uuid::Uuid>,
        writes: Vec<SessionWrite>,
    ) -> Result<(), TransitionError> {
        let detail = crate::storage::events::EventDetail { kind, payment_profile, ..Default::default() };
        let (_, event) =
            crate::storage::transition::record_change(&self.db, anchor, self.now(), detail, writes).await?;
        self.publish(event).await;
        Ok(())
    }

    /// Hands a committed event to the bus and marks it published. A failure is logged and
    /// left to the outbox relay: the change itself has committed and stands.
    pub(crate) async fn publish(&self, event: SessionEvent) {
        match self.bus.publish(&event).await {
            Ok(()) => {
                self.metrics.count_event_published();
                let marked = crate::storage::events::mark_published(&self.db, event.id, self.now()).await;
                if let Err(error) = marked {
                    // Worst case the relay publishes it again; subscribers drop duplicates by version.
                    tracing::warn!(%error, event = event.id, "could not mark an event published");
                }
            }
            Err(error) => {
                self.metrics.count_event_publish_failed();
                tracing::warn!(%error, event = event.id, "publish failed; the outbox relay will retry");
            }
        }
    }
}

/// The writes of a claim step for what `session` pays. Settling is the completion's own
/// business (`fulfilment`): it marks the order paid or the period paid, guarded by the claim.
fn claim_writes(session: &PaymentSession, step: ClaimStep) -> Vec<SessionWrite> {
    let (order, subscription) = (session.order.map(|o| o.0), session.subscription.map(|s| s.0));
    match step {
        ClaimStep::Take => {
            order
                .map(|order| SessionWrite::ClaimOrder { order })
                .into_iter()
                .chain(subscription.map(|subscription| SessionWrite::ClaimSubscription {
                    subscription,
                    payable: PAYABLE_SUBSCRIPTIONS,
                }))
                .chain(debt_claim(session))
                .collect()
        }
        ClaimStep::Release => order
            .map(|order| SessionWrite::ReleaseOrder { order })
            .into_iter()
            .chain(subscription.map(|subscription| SessionWrite::ReleaseSubscription { subscription }))
            .collect(),
        ClaimStep::Settle | ClaimStep::Keep => Vec::new(),
    }
}

/// An OUTSTANDING_BALANCE session pays the debt it was computed from, if still owed.
fn debt_claim(session: &PaymentSession) -> Option<SessionWrite> {
    let (Some(customer), Some(amount)) = (session.customer, session.amount) else { return None };
    (session.purpose == SessionPurpose::OutstandingBalance).then(|| SessionWrite::ClaimDebt {
        customer: customer.0,
        currency: amount.currency().code().to_owned(),
        amount: amount.amount(),
    })
}

/// What a refused transition (or creation) of session `session` means to the caller.
pub(super) fn refusal(session: SessionId, error: TransitionError) -> AppError {
    let field = ["input", "id"];
    match error {
        TransitionError::VersionConflict => AppError::user(
            &field,
            ErrorCode::VersionConflict,
            "the payment session changed meanwhile; read it again and retry",
        ),
        TransitionError::Refused(Guard::CardTokenSpent) => AppError::user(
            &["input", "paymentMethod", "cardToken"],
            ErrorCode::TokenUsed,
            "this card token was already used",
        ),
        TransitionError::Refused(Guard::OrderNotPayable) => AppError::user(
            &field,
            ErrorCode::OrderNotPayable,
            "this session's order is paid, or being paid by another session",
        ),
        TransitionError::Refused(Guard::SubscriptionNotPayable) => AppError::user(
            &field,
            ErrorCode::SubscriptionNotPayable,
            "this session's subscription period is paid, or being paid by another session",
        ),
        TransitionError::Refused(Guard::DebtNotOwed) => AppError::user(
            &field,
            ErrorCode::NothingOutstanding,
            "the balance this session pays is paid, or being paid by another session",
        ),
        TransitionError::Refused(guard) => {
            AppError::Internal(anyhow::anyhow!("session {session}: a guarded write was refused: {guard}"))
        }
        TransitionError::Db(db) => db.into(),
    }
}
