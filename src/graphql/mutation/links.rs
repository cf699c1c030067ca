use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::orders::OrderLineItemInput;
use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::PaymentLink;
use crate::service::links::LinkInput;

#[derive(Default)]
pub struct LinkMutations;

#[derive(InputObject)]
pub struct CreatePaymentLinkInput {
    /// ISO 4217 code of the amount or of the line items' prices.
    pub currency: String,
    /// A fixed amount in minor units; give this or `lineItems`.
    pub amount: Option<i64>,
    /// What each visit buys (an order per visit); give this or `amount`.
    pub line_items: Option<Vec<OrderLineItemInput>>,
    /// Stop opening sessions after this many have completed.
    pub max_completed_payments: Option<i32>,
    /// Stop opening sessions after this moment.
    pub expires_at: Option<DateTime<Utc>>,
    #[graphql(default = true)]
    pub active: bool,
}

#[derive(InputObject)]
pub struct DeactivatePaymentLinkInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct PaymentLinkPayload {
    pub payment_link: Option<PaymentLink>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl LinkMutations {
    /// Creates a shareable link; each visit to its `url` opens a fresh session.
    async fn create_payment_link(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentLinkInput,
    ) -> async_graphql::Result<PaymentLinkPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let link = LinkInput {
            currency: input.currency,
            amount: input.amount,
            line_items: input.line_items.map(|items| items.into_iter().map(Into::into).collect()),
            max_completed_payments: input.max_completed_payments,
            expires_at: input.expires_at,
            active: input.active,
        };
        let (link, user_errors) = outcome(ctx.services().links.create(merchant, link).await)?;
        Ok(PaymentLinkPayload { payment_link: link.map(PaymentLink), user_errors })
    }

    /// Stops a link from opening sessions; sessions it opened stay payable until they expire.
    async fn deactivate_payment_link(
        &self,
        ctx: &Context<'_>,
        input: DeactivatePaymentLinkInput,
    ) -> async_graphql::Result<PaymentLinkPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().links.deactivate(merchant, input_id(&input.id, "id")?).await }.await;
        let (link, user_errors) = outcome(result)?;
        Ok(PaymentLinkPayload { payment_link: link.map(PaymentLink), user_errors })
    }
}
