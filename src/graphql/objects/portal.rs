//! A customer portal session, as the merchant that opened it reads it.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::Customer;
use crate::domain::TypedId;
use crate::domain::portal::PortalSession;
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::kinds::Customers;

/// A link that lets one customer manage their saved methods, subscriptions and balance and
/// see their receipts on paygraph's pages, until it expires. Send the customer to `url`.
pub struct CustomerPortalSession(pub PortalSession);

#[Object]
impl CustomerPortalSession {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    /// `PAYGRAPH_PUBLIC_URL/portal/<secret>`: whoever holds it is this customer until
    /// `expiresAt`, so hand it to them alone and do not log it.
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(ctx.services().portals.url(&self.0))
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Where the portal's back link goes.
    async fn return_url(&self) -> Option<&str> {
        self.0.return_url.as_deref()
    }
    /// The language the portal speaks, when set (else the customer's preference, else the
    /// browser's).
    async fn locale(&self) -> Option<&str> {
        self.0.locale.map(|l| l.as_str())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crate::graphql::loaders::by_id::<Customers>(ctx, Some(self.0.customer.0)).await?.map(Customer))
    }
}
