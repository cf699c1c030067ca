use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::orders::OrderLineItemInput;
use super::{UserError, input_id, keep_or_set, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::{Merchant, PaymentLink};
use crate::service::links::LinkInput;
use crate::service::merchants::BrandingUpdate;

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

/// Fields left out are kept; `logoUrl` and `accentColor` set to null are cleared.
#[derive(InputObject)]
pub struct UpdateMerchantBrandingInput {
    pub name: Option<String>,
    /// An https:// image shown at the top of the hosted page.
    pub logo_url: MaybeUndefined<String>,
    /// `#rrggbb`, the hosted page's button and accent color.
    pub accent_color: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct UpdateMerchantBrandingPayload {
    pub merchant: Option<Merchant>,
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

    /// Sets the name, logo and accent color the hosted pages show.
    async fn update_merchant_branding(
        &self,
        ctx: &Context<'_>,
        input: UpdateMerchantBrandingInput,
    ) -> async_graphql::Result<UpdateMerchantBrandingPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let update = BrandingUpdate {
            name: input.name,
            logo_url: keep_or_set(input.logo_url),
            accent_color: keep_or_set(input.accent_color),
        };
        let (merchant, user_errors) = outcome(ctx.services().merchants.update_branding(merchant, update).await)?;
        Ok(UpdateMerchantBrandingPayload { merchant: merchant.map(Merchant), user_errors })
    }
}
