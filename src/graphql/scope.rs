//! What a session's client secret may read, as an allow-list.
//!
//! A client secret is given to a browser or a phone: it must see what the hosted page and a
//! mobile app need for its one session (status, amount, expiry, methods, the order's lines,
//! its payments' status and decline reason, the next action, its live events) and nothing
//! else: not the customer, their balances, profiles or other sessions, the subscription,
//! metadata, or any fraud field. Every field resolution passes here; for a client secret a
//! field is resolved only if its `(type, field)` pair is listed, so a field added to the
//! schema later is hidden from client secrets until someone decides otherwise.
//! Introspection is not data and stays open.
//!
//! A read-only secret key reads everything its merchant owns and runs no mutation: every
//! field of `MutationRoot` is refused to it, over HTTP and WebSocket alike.

use async_graphql::ServerResult;
use async_graphql::extensions::ResolveInfo;

use super::errors::gql;
use crate::error::{AppError, ErrorCode};
use crate::service::auth::Caller;

/// Each type a client secret may reach, with the fields it may read there.
const CLIENT_SECRET_MAY_READ: &[(&str, &[&str])] = &[
    ("QueryRoot", &["node", "nodes", "paymentSession"]),
    ("MutationRoot", &["confirmPaymentSession", "completeTestChallenge"]),
    ("SubscriptionRoot", &["paymentSessionUpdated"]),
    (
        "PaymentSession",
        &[
            "id",
            "status",
            "version",
            "purpose",
            "captureMethod",
            "amount",
            "expiresAt",
            "allowedPaymentMethods",
            "hostedUrl",
            "successUrl",
            "attemptCount",
            "order",
            "payments",
            "events",
        ],
    ),
    ("Money", &["amount", "currency", "formatted"]),
    ("Order", &["id", "status", "total", "lineItems"]),
    ("OrderLineItem", &["name", "quantity", "unitPrice", "total"]),
    (
        "Payment",
        &[
            "id",
            "status",
            "amount",
            "amountCaptured",
            "amountRefunded",
            "methodType",
            "methodSummary",
            "declineCode",
            "createdAt",
        ],
    ),
    ("CardSummary", &["brand", "last4", "expMonth", "expYear", "savedProfile"]),
    ("WalletSummary", &["wallet", "brand", "last4", "expMonth", "expYear", "savedProfile"]),
    ("BankTransferSummary", &["country", "last4"]),
    ("PaymentConnection", &["pageInfo", "edges", "nodes", "totalCount"]),
    ("PaymentEdge", &["node", "cursor"]),
    (
        "PaymentSessionEvent",
        &["cursor", "version", "kind", "previousStatus", "status", "occurredAt", "paymentSession", "payment", "refund"],
    ),
    ("Refund", &["id", "status", "amount", "createdAt"]),
    ("PaymentSessionEventConnection", &["pageInfo", "edges", "nodes", "totalCount"]),
    ("PaymentSessionEventEdge", &["node", "cursor"]),
    ("PageInfo", &["hasPreviousPage", "hasNextPage", "startCursor", "endCursor"]),
    ("ConfirmPaymentSessionPayload", &["paymentSession", "payment", "nextAction", "userErrors"]),
    ("NextAction", &["type", "paymentId", "url"]),
    ("UserError", &["field", "message", "code"]),
];

/// Whether a client secret may read `field` of `parent`.
pub fn client_secret_may_read(parent: &str, field: &str) -> bool {
    CLIENT_SECRET_MAY_READ.iter().any(|(ty, fields)| *ty == parent && fields.contains(&field))
}

/// Whether the caller may resolve the field `info` names: a read-only key no mutation, a
/// client secret only the allow-list.
pub fn check(caller: Option<Caller>, info: &ResolveInfo<'_>) -> ServerResult<()> {
    if info.parent_type == "MutationRoot" && caller.is_some_and(Caller::read_only) {
        let refused = AppError::Access(ErrorCode::Forbidden, "a read-only key cannot run a mutation");
        return Err(gql(refused).into_server_error(info.field.name.pos));
    }
    let session_caller = matches!(caller, Some(Caller::Session { .. }));
    // A list's items pass here too, with the list as their "parent": the list field itself
    // was checked on its object.
    let list_item = info.parent_type.starts_with('[');
    // `__schema` and `__type` themselves, whose fields are then `is_for_introspection`.
    let introspection = info.is_for_introspection || info.name.starts_with("__");
    if !session_caller || introspection || list_item || client_secret_may_read(info.parent_type, info.name) {
        return Ok(());
    }
    let refused = AppError::Access(ErrorCode::Forbidden, "a client secret cannot read this field");
    Err(gql(refused).into_server_error(info.field.name.pos))
}
