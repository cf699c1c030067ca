use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::PaymentSession;
use crate::bus::SessionEvent;
use crate::graphql::enums::PaymentSessionStatus;
use crate::service::live::event_cursor;

/// One status change of a session, from its event log or live from the bus.
pub struct PaymentSessionEvent(pub SessionEvent);

#[Object]
impl PaymentSessionEvent {
    /// Where a merchant or customer stream resumes (`paymentSessionEvents(after:)`).
    async fn cursor(&self) -> String {
        event_cursor(self.0.seq)
    }
    /// The session's version after this change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// None for the session's creation.
    async fn previous_status(&self) -> Option<PaymentSessionStatus> {
        self.0.previous_status.map(Into::into)
    }
    async fn status(&self) -> PaymentSessionStatus {
        self.0.status.into()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The session as it is now.
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<PaymentSession> {
        super::visible_session(ctx, Some(self.0.session_id))
            .await?
            .ok_or_else(|| crate::graphql::errors::internal(&anyhow::anyhow!("event without its session")))
    }
}
