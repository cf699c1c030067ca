//! The audit trail's events, as a read-write key reads them.

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::TypedId;
use crate::domain::audit::{ActorKind as StoredKind, AuditEvent as Stored};

/// One change made through the API or the CLI (or one refused): who, what, from where,
/// when, and how it ended. Appended with the change, never edited.
pub struct AuditEvent(pub Stored);

/// Who made a change.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AuditActorKind {
    /// A secret key (`keyId`; none when paygraph acted for the merchant itself).
    SecretKey,
    /// A customer on the hosted page or in an app, by a session's client secret.
    ClientSecret,
    /// An operator at the `paygraph` command line.
    Cli,
    /// A customer in their portal (the event's `nodeIds` start with the portal session).
    CustomerPortal,
}

#[derive(SimpleObject)]
pub struct AuditActor {
    kind: AuditActorKind,
    key_id: Option<ID>,
    /// The key's name when it made the change.
    key_name: Option<String>,
    /// The session whose client secret made the change.
    payment_session_id: Option<ID>,
}

#[Object]
impl AuditEvent {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn actor(&self) -> AuditActor {
        let actor = &self.0.actor;
        AuditActor {
            kind: match actor.kind {
                StoredKind::SecretKey => AuditActorKind::SecretKey,
                StoredKind::ClientSecret => AuditActorKind::ClientSecret,
                StoredKind::Cli => AuditActorKind::Cli,
                StoredKind::CustomerPortal => AuditActorKind::CustomerPortal,
            },
            key_id: actor.key.map(|k| ID(k.to_global())),
            key_name: actor.key_name.clone(),
            payment_session_id: actor.session.map(|s| ID(s.to_global())),
        }
    }
    /// The mutation (`refundPayment`) or CLI command (`key revoke`).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// Global ids of the objects it named or returned.
    async fn node_ids(&self) -> Vec<ID> {
        self.0.node_ids.iter().cloned().map(ID).collect()
    }
    /// The client's address, as paygraph saw it (behind a trusted proxy, the forwarded one).
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    /// The browser origin, when the request had one.
    async fn origin(&self) -> Option<&str> {
        self.0.origin.as_deref()
    }
    /// `OK`, or the code of the user error or refusal it ended with.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
}
