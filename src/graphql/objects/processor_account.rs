//! A merchant's own processor account, shown by what identifies it: never its key.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};

use crate::domain::TypedId;
use crate::graphql::context::ContextExt;
use crate::service::processor_accounts::ProcessorAccount as Account;

/// A processor a merchant can connect its own account of.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProcessorKind {
    Stripe,
}

impl From<ProcessorKind> for crate::processor::ProcessorKind {
    fn from(kind: ProcessorKind) -> Self {
        match kind {
            ProcessorKind::Stripe => crate::processor::ProcessorKind::Stripe,
        }
    }
}

impl From<crate::processor::ProcessorKind> for ProcessorKind {
    fn from(kind: crate::processor::ProcessorKind) -> Self {
        match kind {
            crate::processor::ProcessorKind::Stripe => ProcessorKind::Stripe,
        }
    }
}

pub struct ProcessorAccount(pub Account);

#[Object]
impl ProcessorAccount {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn kind(&self) -> ProcessorKind {
        self.0.kind.into()
    }
    /// What identifies the account, e.g. `sk_test_…4242`; never the key.
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// Where to point the processor's webhooks for this account (Stripe: a webhook endpoint
    /// with this URL, whose signing secret is given to `connectProcessorAccount`).
    async fn webhook_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(webhook_url(&ctx.services().public_url, &self.0))
    }
    async fn connected_at(&self) -> DateTime<Utc> {
        self.0.connected_at
    }
}

/// `<public URL>/processors/stripe/<account id>/webhooks`.
pub fn webhook_url(public_url: &str, account: &Account) -> String {
    format!("{public_url}/processors/stripe/{}/webhooks", account.id.to_global())
}
