use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use crate::domain::{self, TypedId};
use crate::graphql::enums::BlocklistKind;

/// A card, IP address or email the merchant refuses: attempts that match are blocked by the
/// fraud rules before any charge.
pub struct BlocklistEntry(pub domain::fraud::BlocklistEntry);

#[Object]
impl BlocklistEntry {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn kind(&self) -> async_graphql::Result<BlocklistKind> {
        Ok(self.0.kind.into())
    }
    /// In canonical form: an IP as printed by the server, an email in lower case, a card as a
    /// payment's `cardFingerprint`.
    async fn value(&self) -> &str {
        &self.0.value
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
