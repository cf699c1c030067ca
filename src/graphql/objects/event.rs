use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::PaymentSession;
use crate::bus::SessionEvent;
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{PaymentSessionEventKind, PaymentSessionStatus};
use crate::graphql::loaders;
use crate::graphql::loaders::kinds::{Disputes, Payments, Profiles, Refunds};
use crate::service::live::event_cursor;

/// One change of a session or of what it made (its status; a capture, void, refund or
/// dispute of its payment; the subscription it started; the method it saved), from its event
/// log or live from the bus.
pub struct PaymentSessionEvent(pub SessionEvent);

#[Object]
impl PaymentSessionEvent {
    /// `evt_…`: the `id` of its webhook deliveries, and what `resendWebhookEvent` takes.
    pub async fn id(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<async_graphql::ID> {
        use crate::graphql::context::ContextExt;
        Ok(async_graphql::ID(ctx.services().core.event_ids.id(self.0.id)))
    }
    /// Where a merchant or customer stream resumes (`paymentSessionEvents(after:)`).
    async fn cursor(&self) -> String {
        event_cursor(self.0.seq)
    }
    /// The session's version after this change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// What changed: the status, or a refund (then `status` is unchanged and `refund` and
    /// `payment` say which).
    async fn kind(&self) -> PaymentSessionEventKind {
        self.0.kind.into()
    }
    /// The payment the change concerns (a refund's).
    async fn payment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::Payment>> {
        Ok(loaders::by_id::<Payments>(ctx, self.0.payment_id).await?.map(super::Payment))
    }
    /// The refund the change concerns.
    async fn refund(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::Refund>> {
        Ok(loaders::by_id::<Refunds>(ctx, self.0.refund_id).await?.map(super::Refund))
    }
    /// The dispute the change concerns; seen with a secret key only.
    async fn dispute(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::Dispute>> {
        if ctx.caller()?.secret_key_holder().is_err() {
            return Ok(None);
        }
        Ok(loaders::by_id::<Disputes>(ctx, self.0.dispute_id).await?.map(super::Dispute))
    }
    /// The saved method a PAYMENT_METHOD_* change concerns; seen with a secret key only.
    async fn payment_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::PaymentProfile>> {
        if ctx.caller()?.secret_key_holder().is_err() {
            return Ok(None);
        }
        Ok(loaders::by_id::<Profiles>(ctx, self.0.payment_profile_id).await?.map(super::PaymentProfile))
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
