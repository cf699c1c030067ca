use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::BlocklistKind;
use crate::graphql::errors::gql;
use crate::graphql::objects::BlocklistEntry;

#[derive(Default)]
pub struct FraudMutations;

#[derive(InputObject)]
pub struct AddBlocklistEntryInput {
    pub kind: BlocklistKind,
    /// A payment's `cardFingerprint`, an IPv4 or IPv6 address, or an email address.
    pub value: String,
    /// Why, for whoever reads the list later (up to 500 characters).
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RemoveBlocklistEntryInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct BlocklistEntryPayload {
    pub blocklist_entry: Option<BlocklistEntry>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct RemoveBlocklistEntryPayload {
    pub removed_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl FraudMutations {
    /// Blocks every later payment attempt with this card, from this IP address or by a
    /// customer with this email (`BLOCKED_BY_FRAUD_RULE`, rule `blocklist_…`).
    async fn add_blocklist_entry(
        &self,
        ctx: &Context<'_>,
        input: AddBlocklistEntryInput,
    ) -> async_graphql::Result<BlocklistEntryPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result =
            ctx.services().fraud.add_blocklist_entry(merchant, input.kind.into(), &input.value, input.note).await;
        let (entry, user_errors) = outcome(result)?;
        Ok(BlocklistEntryPayload { blocklist_entry: entry.map(BlocklistEntry), user_errors })
    }

    async fn remove_blocklist_entry(
        &self,
        ctx: &Context<'_>,
        input: RemoveBlocklistEntryInput,
    ) -> async_graphql::Result<RemoveBlocklistEntryPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            ctx.services().fraud.remove_blocklist_entry(merchant, id).await
        }
        .await;
        let (removed, user_errors) = outcome(result)?;
        Ok(RemoveBlocklistEntryPayload { removed_id: removed.map(|_| input.id), user_errors })
    }
}
