//! The audit trail (PCI DSS requirement 10): who changed what, from where, when, and how it
//! ended. One event per mutation or CLI command, appended with the change it records.

use chrono::{DateTime, Utc};

use super::{ApiKeyId, AuditEventId, MerchantId, SessionId, decode_global};

string_enum!(
    /// Who made a change: a secret key, a customer on the hosted page or in an app (by a
    /// session's client secret), or an operator at the `paygraph` command line.
    ActorKind, "actor kind" {
        SecretKey => "SECRET_KEY",
        ClientSecret => "CLIENT_SECRET",
        Cli => "CLI",
        CustomerPortal => "CUSTOMER_PORTAL",
    }
);

/// The outcome of a change that was made (otherwise the user error's or the refusal's code).
pub const OK: &str = "OK";

/// How long events are kept unless configured (`PAYGRAPH_AUDIT_RETENTION_DAYS`), and the
/// least that may be configured: PCI DSS asks for a year, three months of it at hand.
pub const RETENTION_DAYS_DEFAULT: u32 = 365;
pub const RETENTION_DAYS_MIN: u32 = 90;

/// Most node ids one event names (a mutation touches a handful; input is bounded anyway).
const NODE_IDS_LIMIT: usize = 32;
/// An `Origin` header is the client's to write: kept no longer than this.
const ORIGIN_LIMIT: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The secret key that made the change.
    pub key: Option<ApiKeyId>,
    /// Its name when the change was made.
    pub key_name: Option<String>,
    /// The session whose client secret made the change.
    pub session: Option<SessionId>,
}

impl Actor {
    pub fn cli() -> Self {
        Actor { kind: ActorKind::Cli, key: None, key_name: None, session: None }
    }

    /// The customer in a portal (the event's ids name the portal session).
    pub fn customer_portal() -> Self {
        Actor { kind: ActorKind::CustomerPortal, key: None, key_name: None, session: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub merchant: MerchantId,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// The mutation (`refundPayment`) or command (`key revoke`).
    pub action: String,
    /// Global ids of the objects it named or touched, never any other value.
    pub node_ids: Vec<String>,
    pub ip: Option<String>,
    pub origin: Option<String>,
    /// [`OK`], or the code of the user error or refusal it ended with.
    pub outcome: String,
}

impl AuditEvent {
    pub fn new(merchant: MerchantId, actor: Actor, action: &str, occurred_at: DateTime<Utc>) -> Self {
        AuditEvent {
            id: AuditEventId::new(),
            merchant,
            occurred_at,
            actor,
            action: action.to_owned(),
            node_ids: Vec::new(),
            ip: None,
            origin: None,
            outcome: OK.to_owned(),
        }
    }

    pub fn with_origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(|o| o.chars().take(ORIGIN_LIMIT).collect());
        self
    }

    /// Notes `id` when it is a global id of paygraph's (anything else is not kept: an input
    /// string could be a secret), once.
    pub fn note_node(&mut self, id: &str) {
        if self.node_ids.len() < NODE_IDS_LIMIT && decode_global(id).is_ok() && !self.node_ids.iter().any(|n| n == id) {
            self.node_ids.push(id.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TypedId;

    #[test]
    fn only_global_ids_are_noted_and_each_once() {
        let mut event = AuditEvent::new(MerchantId::new(), Actor::cli(), "key revoke", Utc::now());
        let key = ApiKeyId::new().to_global();
        event.note_node(&key);
        event.note_node(&key);
        event.note_node("sk_live_4242424242424242");
        event.note_node("4242424242424242");
        assert_eq!(event.node_ids, vec![key]);
    }

    #[test]
    fn a_long_origin_is_cut() {
        let origin = format!("https://{}.example", "a".repeat(1000));
        let event = AuditEvent::new(MerchantId::new(), Actor::cli(), "x", Utc::now()).with_origin(Some(&origin));
        assert_eq!(event.origin.map(|o| o.len()), Some(ORIGIN_LIMIT));
    }
}
