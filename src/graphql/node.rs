//! Relay's `Node` interface: any object by its global id.

use async_graphql::{Context, ID, Interface};

use super::context::ContextExt;
use super::errors::gql;
use super::objects::*;
use crate::domain::{NodeType, SessionId, decode_global};
use crate::error::{AppError, ErrorCode};
use crate::graphql::loaders::kinds::{
    BlocklistEntries, Customers, Disputes, Links, Orders, Payments, Profiles, Refunds, Sessions, Subscriptions,
    WebhookAttempts, WebhookEndpoints,
};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    PaymentSession(PaymentSession),
    Customer(Customer),
    Order(Order),
    Subscription(Subscription),
    Payment(Payment),
    PaymentProfile(PaymentProfile),
    PaymentLink(PaymentLink),
    BlocklistEntry(BlocklistEntry),
    Refund(Refund),
    WebhookEndpoint(WebhookEndpoint),
    Dispute(Dispute),
    ApiKey(ApiKey),
    ProcessorAccount(ProcessorAccount),
    /// Read-write keys only.
    AuditEvent(AuditEvent),
    WebhookDelivery(WebhookDelivery),
    /// Read-write keys only.
    CustomerPortalSession(CustomerPortalSession),
    /// By its `evt_…` id.
    PaymentSessionEvent(PaymentSessionEvent),
}

/// Loads the object `id` names, if the caller may see it; foreign and missing read alike.
pub async fn load(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let caller = ctx.caller()?;
    // An event's id is `evt_…` (it names nothing but the event): seen by whoever sees its session.
    if id.starts_with("evt_") {
        let event = ctx.services().live.event(caller.merchant(), id).await.map_err(gql)?;
        return Ok(event
            .filter(|e| caller.may_see_session(e.session()))
            .map(|e| Node::PaymentSessionEvent(PaymentSessionEvent(e))));
    }
    let (kind, uuid) = decode_global(id).map_err(|_| {
        gql(AppError::user(&["id"], ErrorCode::InvalidId, format!("`{}` is not a valid id", id.as_str())))
    })?;
    // A client secret reaches its own session and nothing else from the root.
    if caller.secret_key_holder().is_err()
        && !(kind == NodeType::PaymentSession && caller.may_see_session(SessionId(uuid)))
    {
        return Ok(None);
    }
    let id = Some(uuid);
    Ok(match kind {
        NodeType::PaymentSession => {
            crate::graphql::loaders::by_id::<Sessions>(ctx, id).await?.map(|m| Node::PaymentSession(PaymentSession(m)))
        }
        NodeType::Customer => {
            crate::graphql::loaders::by_id::<Customers>(ctx, id).await?.map(|m| Node::Customer(Customer(m)))
        }
        NodeType::Order => crate::graphql::loaders::by_id::<Orders>(ctx, id).await?.map(|m| Node::Order(Order(m))),
        NodeType::Subscription => {
            crate::graphql::loaders::by_id::<Subscriptions>(ctx, id).await?.map(|m| Node::Subscription(Subscription(m)))
        }
        NodeType::Payment => {
            crate::graphql::loaders::by_id::<Payments>(ctx, id).await?.map(|m| Node::Payment(Payment(m)))
        }
        NodeType::PaymentProfile => {
            crate::graphql::loaders::by_id::<Profiles>(ctx, id).await?.map(|m| Node::PaymentProfile(PaymentProfile(m)))
        }
        NodeType::PaymentLink => {
            crate::graphql::loaders::by_id::<Links>(ctx, id).await?.map(|m| Node::PaymentLink(PaymentLink(m)))
        }
        NodeType::BlocklistEntry => crate::graphql::loaders::by_id::<BlocklistEntries>(ctx, id)
            .await?
            .map(|m| Node::BlocklistEntry(BlocklistEntry(m))),
        NodeType::Refund => crate::graphql::loaders::by_id::<Refunds>(ctx, id).await?.map(|m| Node::Refund(Refund(m))),
        NodeType::WebhookEndpoint => crate::graphql::loaders::by_id::<WebhookEndpoints>(ctx, id)
            .await?
            .map(|m| Node::WebhookEndpoint(WebhookEndpoint(m))),
        NodeType::Dispute => {
            crate::graphql::loaders::by_id::<Disputes>(ctx, id).await?.map(|m| Node::Dispute(Dispute(m)))
        }
        NodeType::ApiKey => {
            let keys = ctx.services().keys.list(caller.merchant(), true).await.map_err(gql)?;
            keys.into_iter().find(|key| key.id.0 == uuid).map(|key| Node::ApiKey(ApiKey(key)))
        }
        NodeType::ProcessorAccount => {
            let account = ctx.services().processor_accounts.current(caller.merchant()).await.map_err(gql)?;
            account.filter(|a| a.id.0 == uuid).map(|a| Node::ProcessorAccount(ProcessorAccount(a)))
        }
        NodeType::AuditEvent => match caller.read_write_key_holder() {
            Ok(merchant) => {
                let event =
                    ctx.services().audit.event(merchant, crate::domain::AuditEventId(uuid)).await.map_err(gql)?;
                event.map(|e| Node::AuditEvent(AuditEvent(e)))
            }
            Err(_) => None,
        },
        NodeType::WebhookDelivery => crate::graphql::loaders::root_by_id::<WebhookAttempts>(ctx, uuid)
            .await?
            .map(|m| Node::WebhookDelivery(WebhookDelivery(m))),
        NodeType::CustomerPortalSession => match caller.read_write_key_holder() {
            Ok(merchant) => {
                let id = crate::domain::PortalId(uuid);
                let portal = ctx.services().portals.get(merchant, id).await.map_err(gql)?;
                portal.map(|p| Node::CustomerPortalSession(CustomerPortalSession(p)))
            }
            Err(_) => None,
        },
        NodeType::Merchant => None,
    })
}
