//! Webhook endpoints: where the merchant's backend receives the session event log.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::{UserError, input_id, keep_or_set, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::PaymentSessionEventKind;
use crate::graphql::errors::gql;
use crate::graphql::objects::WebhookEndpoint;
use crate::service::webhooks::EndpointInput;

#[derive(Default)]
pub struct WebhookMutations;

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// https:// on the public internet (http://localhost too, outside production).
    pub url: String,
    /// The kinds of event to receive; left out or empty: every kind.
    pub event_kinds: Option<Vec<PaymentSessionEventKind>>,
    pub description: Option<String>,
}

/// Fields left out are kept; `description: null` clears it.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub id: ID,
    pub url: Option<String>,
    pub event_kinds: Option<Vec<PaymentSessionEventKind>>,
    pub description: MaybeUndefined<String>,
    /// false disables it (nothing is sent; its events keep being queued); true enables a
    /// disabled one, and what waited is sent at once, in order.
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct WebhookEndpointIdInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct WebhookEndpointSecretPayload {
    pub webhook_endpoint: Option<WebhookEndpoint>,
    /// `whsec_…`: the key of `Paygraph-Signature`. Shown here only; keep it now.
    pub signing_secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub webhook_endpoint: Option<WebhookEndpoint>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ResendWebhookEventInput {
    pub endpoint_id: ID,
    /// `evt_…`, from a delivery's body or `PaymentSessionEvent.id`.
    pub event_id: ID,
}

#[derive(InputObject)]
pub struct ReplayWebhookEndpointInput {
    pub id: ID,
    /// An event cursor (`PaymentSessionEvent.cursor`, a delivery's `cursor`): the events
    /// after it are sent again.
    pub after: String,
}

#[derive(SimpleObject)]
pub struct ReplayWebhookEndpointPayload {
    pub webhook_endpoint: Option<WebhookEndpoint>,
    /// How many deliveries were queued.
    pub replayed_count: Option<i32>,
    /// The cursor of the last event looked at: replay from it for more (at most 1000 events
    /// are looked at per call). None when there was nothing after `after`.
    pub until: Option<String>,
    pub user_errors: Vec<UserError>,
}

fn kinds(kinds: Option<Vec<PaymentSessionEventKind>>) -> Option<Vec<crate::domain::event::EventKind>> {
    kinds.map(|kinds| kinds.into_iter().map(Into::into).collect())
}

#[Object]
impl WebhookMutations {
    /// Adds an endpoint; its signing secret is in the answer and nowhere else.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointSecretPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let input = EndpointInput {
            url: Some(input.url),
            description: Some(input.description),
            event_kinds: kinds(input.event_kinds),
            enabled: None,
        };
        let (created, user_errors) = outcome(ctx.services().webhooks.create(merchant, input).await)?;
        let (webhook_endpoint, signing_secret) =
            created.map(|c| (WebhookEndpoint(c.endpoint), c.signing_secret)).unzip();
        Ok(WebhookEndpointSecretPayload { webhook_endpoint, signing_secret, user_errors })
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            let changes = EndpointInput {
                url: input.url,
                description: keep_or_set(input.description),
                event_kinds: kinds(input.event_kinds),
                enabled: input.enabled,
            };
            ctx.services().webhooks.update(merchant, id, changes).await
        }
        .await;
        let (endpoint, user_errors) = outcome(result)?;
        Ok(WebhookEndpointPayload { webhook_endpoint: endpoint.map(WebhookEndpoint), user_errors })
    }

    /// A new signing secret, in the answer only; the old one stops signing at once.
    async fn roll_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> async_graphql::Result<WebhookEndpointSecretPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().webhooks.roll_secret(merchant, input_id(&input.id, "id")?).await }.await;
        let (rolled, user_errors) = outcome(result)?;
        let (webhook_endpoint, signing_secret) =
            rolled.map(|r| (WebhookEndpoint(r.endpoint), r.signing_secret)).unzip();
        Ok(WebhookEndpointSecretPayload { webhook_endpoint, signing_secret, user_errors })
    }

    /// Stops deliveries to the endpoint and removes it from `webhookEndpoints`.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().webhooks.delete(merchant, input_id(&input.id, "id")?).await }.await;
        let (endpoint, user_errors) = outcome(result)?;
        Ok(WebhookEndpointPayload { webhook_endpoint: endpoint.map(WebhookEndpoint), user_errors })
    }

    /// Sends one event to the endpoint again (same event `id`), in order with the session's
    /// other deliveries.
    async fn resend_webhook_event(
        &self,
        ctx: &Context<'_>,
        input: ResendWebhookEventInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.endpoint_id, "endpointId")?;
            ctx.services().webhooks.resend(merchant, id, input.event_id.as_str()).await
        }
        .await;
        let (endpoint, user_errors) = outcome(result)?;
        Ok(WebhookEndpointPayload { webhook_endpoint: endpoint.map(WebhookEndpoint), user_errors })
    }

    /// Sends the endpoint's events after a cursor again: a receiver that lost data, or a new
    /// one, catches up from where it knows.
    async fn replay_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: ReplayWebhookEndpointInput,
    ) -> async_graphql::Result<ReplayWebhookEndpointPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result =
            async { ctx.services().webhooks.replay(merchant, input_id(&input.id, "id")?, &input.after).await }.await;
        let (replayed, user_errors) = outcome(result)?;
        Ok(ReplayWebhookEndpointPayload {
            replayed_count: replayed.as_ref().map(|r| i32::try_from(r.count).unwrap_or(i32::MAX)),
            until: replayed.as_ref().and_then(|r| r.until).map(crate::service::live::event_cursor),
            webhook_endpoint: replayed.map(|r| WebhookEndpoint(r.endpoint)),
            user_errors,
        })
    }
}
