use async_graphql::{Context, Object};

use super::ProcessorAccount;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;

use crate::domain::merchant::Merchant as Tenant;

/// The merchant the caller acts for, as its hosted pages present it.
pub struct Merchant(pub Tenant);

#[Object]
impl Merchant {
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Shown at the top of the hosted page (https only).
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }
    /// The hosted page's button and accent color, `#rrggbb`.
    async fn accent_color(&self) -> Option<&str> {
        self.0.accent_color.as_deref()
    }
    /// Web origins whose browser apps may call the API with this merchant's credentials
    /// (besides those the server allows for everyone).
    async fn allowed_origins(&self) -> &[String] {
        &self.0.allowed_origins
    }
    /// The merchant's own processor account its new payments go to; null: the test processor.
    async fn processor_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProcessorAccount>> {
        let account = ctx.services().processor_accounts.current(self.0.id).await.map_err(gql)?;
        Ok(account.map(ProcessorAccount))
    }
}
