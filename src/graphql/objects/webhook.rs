use async_graphql::{Enum, ID, Object};
use chrono::{DateTime, Utc};

use crate::domain;
use crate::domain::TypedId;
use crate::domain::webhook::WebhookEndpoint as Stored;
use crate::graphql::enums::PaymentSessionEventKind;

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
}
