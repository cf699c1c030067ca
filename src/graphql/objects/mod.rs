//! The graph's object types. Each wraps its domain object and converts fields at this edge;
//! relations load through the request's batch loader.

mod api_key;
mod audit;
mod blocklist;
mod customer;
mod dispute;
mod event;
mod ledger;
mod link;
mod merchant;
mod method_summary;
mod money;
mod order;
mod payment;
mod portal;
pub mod processor_account;
mod profile;
mod refund;
mod session;
pub mod stats;
mod subscription;
pub mod webhook;

pub use api_key::ApiKey;
pub use audit::AuditEvent;
pub use blocklist::BlocklistEntry;
pub use customer::Customer;
pub use dispute::Dispute;
pub use event::PaymentSessionEvent;
pub use ledger::LedgerEntry;
pub use link::PaymentLink;
pub use merchant::Merchant;
pub use money::{Money, MoneyInput};
pub use order::{Order, OrderLineItem};
pub use payment::Payment;
pub use portal::CustomerPortalSession;
pub use processor_account::ProcessorAccount;
pub use profile::PaymentProfile;
pub use refund::Refund;
pub use session::PaymentSession;
pub use subscription::Subscription;
pub use webhook::{WebhookDelivery, WebhookEndpoint};

use async_graphql::Context;

/// A session by id, as the caller may see it: a client secret sees its own session only.
pub async fn visible_session(
    ctx: &Context<'_>,
    id: Option<uuid::Uuid>,
) -> async_graphql::Result<Option<PaymentSession>> {
    use crate::graphql::context::ContextExt;
    let caller = ctx.caller()?;
    Ok(super::loaders::by_id::<crate::graphql::loaders::kinds::Sessions>(ctx, id)
        .await?
        .filter(|s| caller.may_see_session(s.id))
        .map(PaymentSession))
}
