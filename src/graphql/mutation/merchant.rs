//! The merchant's own settings: branding the hosted pages show, and the web origins its
//! browser apps call from.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};

use super::{UserError, keep_or_set, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::Merchant;
use crate::service::merchants::{BrandingUpdate, SettingsUpdate};

#[derive(Default)]
pub struct MerchantMutations;

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

/// Fields left out are kept.
#[derive(InputObject)]
pub struct UpdateMerchantSettingsInput {
    /// Web origins (`https://shop.example.com`, at most 20) whose browser apps may call
    /// `/graphql` and `/vault/cards` with this merchant's keys and client secrets (CORS).
    /// Replaces the list; `[]` clears it.
    pub allowed_origins: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub struct UpdateMerchantSettingsPayload {
    pub merchant: Option<Merchant>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl MerchantMutations {
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

    /// Changes the merchant's settings: the web origins its browser apps call from.
    async fn update_merchant_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateMerchantSettingsInput,
    ) -> async_graphql::Result<UpdateMerchantSettingsPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let update = SettingsUpdate { allowed_origins: input.allowed_origins };
        let (merchant, user_errors) = outcome(ctx.services().merchants.update_settings(merchant, update).await)?;
        Ok(UpdateMerchantSettingsPayload { merchant: merchant.map(Merchant), user_errors })
    }
}
