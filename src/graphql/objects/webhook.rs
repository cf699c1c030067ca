use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};

use crate::domain;
use crate::domain::TypedId;
use crate::domain::webhook::WebhookEndpoint as Stored;
use crate::domain::webhook_delivery::Attempt;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::PaymentSessionEventKind;
use crate::graphql::loaders::root;
use crate::graphql::loaders::{PageArgs, SortField};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::webhook::EndpointStatus")]
pub enum WebhookEndpointStatus {
    Enabled,
    /// Failed for too long; see `disabledReason`.
    Disabled,
}

/// A URL of the merchant's that receives its session event log, signed.
pub struct WebhookEndpoint(pub Stored);

#[Object]
impl WebhookEndpoint {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The kinds of event it receives; empty: every kind.
    async fn event_kinds(&self) -> Vec<PaymentSessionEventKind> {
        self.0.event_kinds.iter().map(|k| (*k).into()).collect()
    }
    async fn status(&self) -> WebhookEndpointStatus {
        self.0.status.into()
    }
    /// Why it was disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Every try of a delivery to it, newest first: what was sent when, and what came back.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookDelivery>> {
        let listing = ctx.services().webhooks.attempts(self.0.merchant, self.0.id);
        let args = PageArgs::new(first, after, last, before);
        root(ctx, listing, args, SortField::CreatedAt, true, WebhookDelivery).await
    }
}

/// One try of sending an event to an endpoint.
pub struct WebhookDelivery(pub Attempt);

#[Object]
impl WebhookDelivery {
    /// A global id, as every node's (`node(id:)` finds it again).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    /// `evt_…`: the event sent (its `id` in the body); `resendWebhookEvent` takes it.
    async fn event_id(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<ID> {
        use crate::graphql::context::ContextExt;
        Ok(ID(ctx.services().core.event_ids.id(self.0.event)))
    }
    /// 1 for the first try of this event's delivery.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    /// The receiver answered 2xx in time.
    async fn succeeded(&self) -> bool {
        self.0.succeeded
    }
    /// The receiver's status; none when it gave no answer (refused, timed out).
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The start of the answer's body (at most 256 bytes are kept).
    async fn response_body(&self) -> Option<&str> {
        self.0.response_prefix.as_deref()
    }
    /// When the event is tried again; none once it succeeded or was given up.
    async fn next_retry_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_retry_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
