//! The merchant's secret keys: create, revoke, roll. Only a read-write secret key reaches
//! these (a read-only key runs no mutation; a client secret is refused).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::ApiKeyScope;
use crate::graphql::errors::gql;
use crate::graphql::objects::ApiKey;

#[derive(Default)]
pub struct KeyMutations;

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for (up to 100 characters).
    pub name: Option<String>,
    #[graphql(default_with = "ApiKeyScope::ReadWrite")]
    pub scope: ApiKeyScope,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct RollApiKeyInput {
    pub id: ID,
    /// How long the old key keeps working, 0 (the default: it stops now) to 604800 (7 days).
    #[graphql(default)]
    pub expires_in_seconds: i32,
}

/// A key just made; `secretKey` is shown this once.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: Option<ApiKey>,
    pub secret_key: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    pub api_key: Option<ApiKey>,
    pub user_errors: Vec<UserError>,
}

/// The new key (its `secretKey` shown this once) and the old one with its expiry.
#[derive(SimpleObject)]
pub struct RollApiKeyPayload {
    pub api_key: Option<ApiKey>,
    pub secret_key: Option<String>,
    pub previous_api_key: Option<ApiKey>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl KeyMutations {
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let (issued, user_errors) =
            outcome(ctx.services().keys.create(merchant, input.name, input.scope.into()).await)?;
        let (api_key, secret_key) = issued.map(|i| (ApiKey(i.key), i.secret)).unzip();
        Ok(CreateApiKeyPayload { api_key, secret_key, user_errors })
    }

    /// Revokes a key at once, on every instance. The last live read-write key cannot be.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<RevokeApiKeyPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().keys.revoke(merchant, input_id(&input.id, "id")?).await }.await;
        let (key, user_errors) = outcome(result)?;
        Ok(RevokeApiKeyPayload { api_key: key.map(ApiKey), user_errors })
    }

    /// A new key with the same name and scope; the old one keeps working until
    /// `expiresInSeconds` from now, so servers can move to the new secret first.
    async fn roll_api_key(
        &self,
        ctx: &Context<'_>,
        input: RollApiKeyInput,
    ) -> async_graphql::Result<RollApiKeyPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let grace = i64::from(input.expires_in_seconds);
        let result = async { ctx.services().keys.roll(merchant, input_id(&input.id, "id")?, grace).await }.await;
        let (rolled, user_errors) = outcome(result)?;
        let (new, previous) = rolled.map(|r| ((ApiKey(r.issued.key), r.issued.secret), ApiKey(r.previous))).unzip();
        let (api_key, secret_key) = new.unzip();
        Ok(RollApiKeyPayload { api_key, secret_key, previous_api_key: previous, user_errors })
    }
}
