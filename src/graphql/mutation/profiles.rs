use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::{LedgerEntry, MoneyInput, PaymentProfile};
use crate::service::balances::BalanceCharge;
use crate::service::profiles::Renewals;

#[derive(Default)]
pub struct ProfileMutations;

#[derive(InputObject)]
pub struct PaymentProfileIdInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct SetDefaultPaymentProfilePayload {
    pub payment_profile: Option<PaymentProfile>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct RemovePaymentProfilePayload {
    pub removed_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateBalanceChargeInput {
    pub customer_id: ID,
    /// What the customer owes; an OUTSTANDING_BALANCE session collects it.
    pub amount: MoneyInput,
    /// Shown in the customer's ledger (up to 500 characters).
    pub description: Option<String>,
    /// Retrying with the same key replays the first charge instead of posting a second.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateBalanceChargePayload {
    pub ledger_entry: Option<LedgerEntry>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl ProfileMutations {
    /// Makes a saved profile its customer's default: the one renewals charge when their
    /// subscription names none of its own.
    async fn set_default_payment_profile(
        &self,
        ctx: &Context<'_>,
        input: PaymentProfileIdInput,
    ) -> async_graphql::Result<SetDefaultPaymentProfilePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().profiles.set_default(merchant, input_id(&input.id, "id")?).await }.await;
        let (profile, user_errors) = outcome(result)?;
        Ok(SetDefaultPaymentProfilePayload { payment_profile: profile.map(PaymentProfile), user_errors })
    }

    /// Removes a saved profile: it no longer pays and is no longer listed. Saving the same
    /// card again brings it back.
    async fn remove_payment_profile(
        &self,
        ctx: &Context<'_>,
        input: PaymentProfileIdInput,
    ) -> async_graphql::Result<RemovePaymentProfilePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result =
            async { ctx.services().profiles.remove(merchant, input_id(&input.id, "id")?, Renewals::MayLose).await }
                .await;
        let (removed, user_errors) = outcome(result)?;
        Ok(RemovePaymentProfilePayload { removed_id: removed.map(|_| input.id), user_errors })
    }

    /// Posts a charge to the customer's balance (a negative ledger entry).
    async fn create_balance_charge(
        &self,
        ctx: &Context<'_>,
        input: CreateBalanceChargeInput,
    ) -> async_graphql::Result<CreateBalanceChargePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let charge = BalanceCharge {
                customer: input_id(&input.customer_id, "customerId")?,
                amount: input.amount.amount,
                currency: input.amount.currency,
                description: input.description,
            };
            ctx.services().balances.create_charge(merchant, charge, input.idempotency_key).await
        }
        .await;
        let (entry, user_errors) = outcome(result)?;
        Ok(CreateBalanceChargePayload { ledger_entry: entry.map(LedgerEntry), user_errors })
    }
}
