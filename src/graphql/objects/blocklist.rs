use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use crate::domain::{self, BlocklistEntryId, TypedId};
use crate::graphql::enums::{self, BlocklistKind};
use crate::storage::entities::blocklist_entry;

/// A card, IP address or email the merchant refuses: attempts that match are blocked by the
/// fraud rules before any charge.
pub struct BlocklistEntry(pub blocklist_entry::Model);

#[Object]
impl BlocklistEntry {
    pub async fn id(&self) -> ID {
        ID(BlocklistEntryId(self.0.id).to_global())
    }
    async fn kind(&self) -> async_graphql::Result<BlocklistKind> {
        Ok(enums::stored::<domain::fraud::BlocklistKind>(&self.0.kind)?.into())
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
