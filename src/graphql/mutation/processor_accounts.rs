//! Connecting the merchant's own processor account (read-write keys only).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::ProcessorAccount;
use crate::graphql::objects::processor_account::ProcessorKind;
use crate::service::processor_accounts::Connection;

#[derive(Default)]
pub struct ProcessorAccountMutations;

#[derive(InputObject)]
pub struct ConnectProcessorAccountInput {
    pub kind: ProcessorKind,
    /// The account's secret (or restricted) key. Checked with the processor, then kept
    /// sealed; it is never shown again.
    pub secret_key: String,
    /// The signing secret of the processor's webhook endpoint pointed at `webhookUrl`
    /// (Stripe: `whsec_…`); without it, no processor webhook is taken.
    pub webhook_signing_secret: Option<String>,
}

#[derive(SimpleObject)]
pub struct ConnectProcessorAccountPayload {
    pub processor_account: Option<ProcessorAccount>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct DisconnectProcessorAccountInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct DisconnectProcessorAccountPayload {
    /// The account as it was connected.
    pub processor_account: Option<ProcessorAccount>,
    pub disconnected_processor_account_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl ProcessorAccountMutations {
    /// Connects the merchant's own account; its new payments are processed there. Connecting
    /// again replaces the account (how a key is rolled).
    async fn connect_processor_account(
        &self,
        ctx: &Context<'_>,
        input: ConnectProcessorAccountInput,
    ) -> async_graphql::Result<ConnectProcessorAccountPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let connection = Connection {
            kind: input.kind.into(),
            secret_key: input.secret_key,
            webhook_signing_secret: input.webhook_signing_secret,
        };
        let (account, user_errors) = outcome(ctx.services().processor_accounts.connect(merchant, connection).await)?;
        Ok(ConnectProcessorAccountPayload { processor_account: account.map(ProcessorAccount), user_errors })
    }

    /// New payments go to the test processor again; payments made on the account are still
    /// captured, refunded and settled there.
    async fn disconnect_processor_account(
        &self,
        ctx: &Context<'_>,
        input: DisconnectProcessorAccountInput,
    ) -> async_graphql::Result<DisconnectProcessorAccountPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            ctx.services().processor_accounts.disconnect(merchant, id).await
        }
        .await;
        let (account, user_errors) = outcome(result)?;
        let disconnected_processor_account_id = account.as_ref().map(|a| ID(crate::domain::TypedId::to_global(a.id)));
        let processor_account = account.map(ProcessorAccount);
        Ok(DisconnectProcessorAccountPayload { processor_account, disconnected_processor_account_id, user_errors })
    }
}
