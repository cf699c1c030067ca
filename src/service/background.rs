//! Background work every instance runs: the outbox relay, the expiry sweeper, the
//! subscription renewals (in `renewals`) and the reconciliation of attempts (in `payments`).
//! All are safe with several instances at once.

use std::time::Duration;

use chrono::Duration as Span;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::Services;
use crate::domain::SessionStatus;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::{payment_session, session_event};
use crate::storage::events::event_from_row;

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
                if let Err(error) = services.renew_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "renewal pass failed");
                }
                if let Err(error) = services.reconcile_once().await {
                    tracing::warn!(error = %format!("{error:#}"), "reconciliation pass failed");
                }
            }
        });
    }

    /// Publishes events whose publish failed (the bus was down, or the process died between
    /// commit and publish). On PostgreSQL the rows are locked `SKIP LOCKED`, so instances
    /// share the backlog instead of publishing it twice; a rare duplicate is harmless anyway,
    /// as subscribers drop what they already have.
    pub async fn relay_once(&self) -> AppResult<usize> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            // SQLite has one writer and no row locks: no transaction to hold across publishes.
            return self.relay_with(&self.db, false).await;
        }
        let txn = self.db.begin().await?;
        let published = self.relay_with(&txn, true).await?;
        txn.commit().await?;
        Ok(published)
    }

    async fn relay_with<C: ConnectionTrait>(&self, conn: &C, lock: bool) -> AppResult<usize> {
        let cutoff = self.now() - RELAY_GRACE;
        let mut select = session_event::Entity::find()
            .filter(session_event::Column::PublishedAt.is_null())
            .filter(session_event::Column::OccurredAt.lt(cutoff))
            .order_by_asc(session_event::Column::Id)
            .limit(RELAY_BATCH);
        if lock {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let rows = select.all(conn).await?;
        let mut published = Vec::new();
        for row in rows {
            let id = row.id;
            if self.bus.publish(&event_from_row(row)).await.is_err() {
                break; // Still down: try again next pass, in order.
            }
            self.metrics.count_event_relayed();
            published.push(id);
        }
        if !published.is_empty() {
            session_event::Entity::update_many()
                .col_expr(session_event::Column::PublishedAt, Expr::value(self.now()))
                .filter(session_event::Column::Id.is_in(published.iter().copied()))
                .exec(conn)
                .await?;
        }
        Ok(published.len())
    }

    /// Expires open sessions past `expiresAt`, each through the state machine with its event.
    /// Instances racing for one session are settled by the compare-and-set: one wins, the
    /// others see a conflict and move on.
    pub async fn sweep_once(&self) -> AppResult<usize> {
        let due = payment_session::Entity::find()
            .filter(
                payment_session::Column::Status
                    .is_in([SessionStatus::Open.as_str(), SessionStatus::RequiresAction.as_str()]),
            )
            .filter(payment_session::Column::ExpiresAt.lte(self.now()))
            .order_by_asc(payment_session::Column::ExpiresAt)
            .limit(SWEEP_BATCH)
            .all(&self.db)
            .await?;
        let mut expired = 0;
        for session in due {
            match self.change_status(&session, SessionStatus::Expired).await {
                Ok(_) => {
                    expired += 1;
                    self.metrics.count_session_expired();
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
