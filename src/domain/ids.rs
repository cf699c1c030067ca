//! Typed ids and the opaque global ids of the GraphQL graph.
//!
//! Inside paygraph every object is keyed by a UUID wrapped in a type of its own, so a
//! customer id can never be passed where a session id is expected. Outside, clients see
//! Relay global ids: base64url of `Type:uuid`, opaque by contract and checked for type on
//! the way in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident => $node:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TypedId for $name {
            const NODE: NodeType = NodeType::$node;
            fn uuid(self) -> Uuid {
                self.0
            }
            fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    )*};
}

/// The kinds of object that have a global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    Merchant,
    Customer,
    Order,
    Subscription,
    PaymentSession,
    Payment,
    PaymentProfile,
    PaymentLink,
    BlocklistEntry,
    ApiKey,
    Refund,
    WebhookEndpoint,
    ProcessorAccount,
    Dispute,
    AuditEvent,
    WebhookDelivery,
    CustomerPortalSession,
}

impl NodeType {
    const ALL: [NodeType; 17] = [
        Self::Merchant,
        Self::Customer,
        Self::Order,
        Self::Subscription,
        Self::PaymentSession,
        Self::Payment,
        Self::PaymentProfile,
        Self::PaymentLink,
        Self::BlocklistEntry,
        Self::ApiKey,
        Self::Refund,
        Self::WebhookEndpoint,
        Self::ProcessorAccount,
        Self::Dispute,
        Self::AuditEvent,
        Self::WebhookDelivery,
        Self::CustomerPortalSession,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Merchant => "Merchant",
            Self::Customer => "Customer",
            Self::Order => "Order",
            Self::Subscription => "Subscription",
            Self::PaymentSession => "PaymentSession",
            Self::Payment => "Payment",
            Self::PaymentProfile => "PaymentProfile",
            Self::PaymentLink => "PaymentLink",
            Self::BlocklistEntry => "BlocklistEntry",
            Self::ApiKey => "ApiKey",
            Self::Refund => "Refund",
            Self::WebhookEndpoint => "WebhookEndpoint",
            Self::ProcessorAccount => "ProcessorAccount",
            Self::Dispute => "Dispute",
            Self::AuditEvent => "AuditEvent",
            Self::WebhookDelivery => "WebhookDelivery",
            Self::CustomerPortalSession => "CustomerPortalSession",
        }
    }
}

/// A UUID-backed id of one kind of node.
pub trait TypedId: Copy {
    const NODE: NodeType;
    fn uuid(self) -> Uuid;
    fn from_uuid(uuid: Uuid) -> Self;

    /// The opaque Relay id clients see.
    fn to_global(self) -> String {
        encode_global(Self::NODE, self.uuid())
    }

    /// Parses a global id that must name this kind of node.
    fn from_global(global: &str) -> Result<Self, InvalidGlobalId> {
        match decode_global(global)? {
            (node, uuid) if node == Self::NODE => Ok(Self::from_uuid(uuid)),
            _ => Err(InvalidGlobalId),
        }
    }
}

typed_id! {
    /// A tenant.
    MerchantId => Merchant;
    CustomerId => Customer;
    OrderId => Order;
    SubscriptionId => Subscription;
    SessionId => PaymentSession;
    PaymentId => Payment;
    ProfileId => PaymentProfile;
    LinkId => PaymentLink;
    BlocklistEntryId => BlocklistEntry;
    /// A merchant's secret key (its id, never the secret).
    ApiKeyId => ApiKey;
    RefundId => Refund;
    WebhookEndpointId => WebhookEndpoint;
    /// A merchant's account at a processor (its id, never its key).
    ProcessorAccountId => ProcessorAccount;
    /// A payment a customer's bank contested.
    DisputeId => Dispute;
    /// One change recorded in the audit trail.
    AuditEventId => AuditEvent;
    /// One try of sending an event to a webhook endpoint.
    WebhookDeliveryId => WebhookDelivery;
    /// A link one customer manages their methods, subscriptions and balance through.
    PortalId => CustomerPortalSession;
}

/// A new random secret with `prefix` (192 bits, base64url): API keys, client secrets, vault
/// tokens, link slugs, signing secrets. Ground level, so every layer that mints one (the
/// test processor too) uses the same.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A string that is not a global id (of the expected kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidGlobalId;

pub fn encode_global(node: NodeType, uuid: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", node.name(), uuid.simple()))
}

/// Reads any global id back into its kind and UUID.
pub fn decode_global(global: &str) -> Result<(NodeType, Uuid), InvalidGlobalId> {
    // A global id is short; refuse anything long before decoding it.
    if global.len() > 96 {
        return Err(InvalidGlobalId);
    }
    let bytes = URL_SAFE_NO_PAD.decode(global).map_err(|_| InvalidGlobalId)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| InvalidGlobalId)?;
    let (name, uuid) = text.split_once(':').ok_or(InvalidGlobalId)?;
    let node = NodeType::ALL.into_iter().find(|n| n.name() == name).ok_or(InvalidGlobalId)?;
    let uuid = Uuid::try_parse(uuid).map_err(|_| InvalidGlobalId)?;
    Ok((node, uuid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_check_their_kind() {
        let id = SessionId::new();
        let global = id.to_global();
        assert_eq!(SessionId::from_global(&global), Ok(id));
        assert_eq!(CustomerId::from_global(&global), Err(InvalidGlobalId));
    }

    #[test]
    fn garbage_is_not_an_id() {
        for bad in ["", "not base64!", "UGF5bWVudFNlc3Npb246eA", &"A".repeat(500)] {
            assert!(decode_global(bad).is_err(), "{bad:?}");
        }
    }
}
