//! Background work every instance runs: the outbox relay, the expiry sweeper, the
//! subscription renewals (in `renewals`), the reconciliation of attempts (in `payments`),
//! refund settlement (in `refunds`) and the end of authorizations (in `captures`).
//! All are safe with several instances at once.

use std::time::Duration;

use chrono::Duration as Span;
use futures_util::future::BoxFuture;

use super::Services;
use crate::domain::SessionEvent;
use crate::domain::SessionStatus;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;

/// An event younger than this is still on its way through the normal publish path.
const RELAY_GRACE: Span = Span::seconds(2);
const RELAY_BATCH: u64 = 500;
const SWEEP_BATCH: u64 = 200;

impl Services {
    /// Runs the relay, the sweeper and the renewals every `interval` until the process ends.
    pub fn spawn_background(&self, interval: Duration) {
        let services = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(error) = services.relay_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "outbox relay pass failed");
                }
                if let Err(error) = services.sweep_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "expiry sweep failed");
                }
                if let Err(error) = services.renewals.renew_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "renewal pass failed");
                }
                if let Err(error) = services.payments.reconcile_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "reconciliation pass failed");
                }
                if let Err(error) = services.refunds.settle_pending().await {
                    tracing::warn!(error = %format!("{error:#}"), "refund settlement pass failed");
                }
                if let Err(error) = services.disputes.take_news().await {
                    tracing::warn!(error = %format!("{error:#}"), "dispute news pass failed");
                }
                if let Err(error) = services.captures.resume_stalled().await {
                    tracing::warn!(error = %format!("{error:#}"), "stalled capture pass failed");
                }
                if let Err(error) = services.captures.void_expired().await {
                    tracing::warn!(error = %format!("{error:#}"), "expired authorization pass failed");
                }
                if let Err(error) = services.deliveries.prune_now_and_then().await {
                    tracing::warn!(error = %format!("{error:#}"), "webhook delivery pruning failed");
                }
                if let Err(error) = services.audit.prune_now_and_then().await {
                    tracing::warn!(error = %format!("{error:#}"), "audit trail pruning failed");
                }
            }
        });
    }

    /// Publishes events whose publish failed (the bus was down, or the process died between
    /// commit and publish). Instances share the backlog (see `storage::events::relay`); a
    /// rare duplicate is harmless anyway, as subscribers drop what they already have.
    pub async fn relay_once(&self) -> AppResult<usize> {
        let (bus, metrics) = (self.core.bus.clone(), self.core.metrics.clone());
        let publish = move |event: SessionEvent| -> BoxFuture<'static, bool> {
            let (bus, metrics) = (bus.clone(), metrics.clone());
            Box::pin(async move {
                let sent = bus.publish(&event).await.is_ok();
                if sent {
                    metrics.count_event_relayed();
                }
                sent
            })
        };
        let cutoff = self.core.now() - RELAY_GRACE;
        Ok(storage::events::relay(&self.core.db, cutoff, RELAY_BATCH, self.core.now(), publish).await?)
    }

    /// Expires open sessions past `expiresAt`, each through the state machine with its event.
    /// Instances racing for one session are settled by the compare-and-set: one wins, the
    /// others see a conflict and move on.
    pub async fn sweep_once(&self) -> AppResult<usize> {
        let due = storage::sessions::expired_by(&self.core.db, self.core.now(), SWEEP_BATCH).await?;
        let mut expired = 0;
        for session in due {
            match self.core.change_status(&session, SessionStatus::Expired).await {
                Ok(_) => {
                    expired += 1;
                    self.core.metrics.count_session_expired();
                }
                Err(AppError::User(errors))
                    if errors
                        .iter()
                        .any(|e| matches!(e.code, ErrorCode::VersionConflict | ErrorCode::IllegalTransition)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(expired)
    }
}
