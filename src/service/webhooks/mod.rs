//! Webhook endpoints: create, change, roll the signing secret, delete, list, resend an
//! event, replay from a cursor. The deliveries themselves are `delivery`'s.

mod body;
mod client;
pub mod delivery;
mod replay;
pub mod settler;

pub use replay::{MAX_REPLAY, MAX_WAITING, Replayed};

use uuid::Uuid;

use super::{Core, validate};
use crate::domain::event::EventKind;
use crate::domain::new_secret;
use crate::domain::webhook::{EndpointStatus, WebhookEndpoint, check_url};
use crate::domain::{MerchantId, WebhookEndpointId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::listings::Listing;
use crate::storage::webhooks::EndpointChanges;

/// Most live endpoints a merchant may have.
pub const MAX_ENDPOINTS: u64 = 16;
const SECRET_PREFIX: &str = "whsec_";

/// What creating or changing an endpoint asks; `None` keeps a field on update.
#[derive(Debug, Default)]
pub struct EndpointInput {
    pub url: Option<String>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// Empty: every kind.
    pub event_kinds: Option<Vec<EventKind>>,
    /// Enables or disables it (update only).
    pub enabled: Option<bool>,
}

/// An endpoint with its signing secret, shown this once.
pub struct WithSecret {
    pub endpoint: WebhookEndpoint,
    pub signing_secret: String,
}

#[derive(Clone)]
pub struct Webhooks {
    core: Core,
    /// Production refuses loopback receivers.
    loopback_allowed: bool,
}

impl Webhooks {
    pub fn new(core: Core, loopback_allowed: bool) -> Self {
        Webhooks { core, loopback_allowed }
    }

    pub fn listing(&self, merchant: MerchantId) -> Listing<crate::storage::kinds::WebhookEndpoints> {
        storage::listings::webhook_endpoints(merchant)
    }

    /// The tries of deliveries to `merchant`'s endpoint `endpoint`, for its connection.
    pub fn attempts(
        &self,
        merchant: MerchantId,
        endpoint: WebhookEndpointId,
    ) -> Listing<crate::storage::kinds::WebhookAttempts> {
        storage::listings::webhook_attempts(merchant, endpoint.0)
    }

    #[tracing::instrument(skip(self))]
    pub async fn create(&self, merchant: MerchantId, input: EndpointInput) -> AppResult<WithSecret> {
        let url = self.url(input.url.as_deref().unwrap_or_default())?;
        let description = validate::text(input.description.flatten(), 200, &["input", "description"])?;
        let live = storage::webhooks::count_live(&self.core.db, merchant).await?;
        if live >= MAX_ENDPOINTS {
            let message = format!("a merchant has at most {MAX_ENDPOINTS} webhook endpoints");
            return Err(AppError::user(&["input", "url"], ErrorCode::NotAllowed, message));
        }
        let now = self.core.now();
        let endpoint = WebhookEndpoint {
            id: WebhookEndpointId(Uuid::new_v4()),
            merchant,
            url,
            description,
            event_kinds: dedup(input.event_kinds.unwrap_or_default()),
            status: EndpointStatus::Enabled,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        let signing_secret = new_secret(SECRET_PREFIX);
        let endpoint = storage::webhooks::insert(&self.core.db, endpoint, &signing_secret).await?;
        Ok(WithSecret { endpoint, signing_secret })
    }

    #[tracing::instrument(skip(self))]
    pub async fn update(
        &self,
        merchant: MerchantId,
        id: WebhookEndpointId,
        input: EndpointInput,
    ) -> AppResult<WebhookEndpoint> {
        let changes = EndpointChanges {
            url: input.url.as_deref().map(|url| self.url(url)).transpose()?,
            description: input.description.map(|d| validate::text(d, 200, &["input", "description"])).transpose()?,
            event_kinds: input.event_kinds.map(|kinds| kinds_json(&dedup(kinds))),
            status: input.enabled.map(|on| if on { EndpointStatus::Enabled } else { EndpointStatus::Disabled }),
            ..EndpointChanges::default()
        };
        self.change(merchant, id, changes).await
    }

    /// A new signing secret; the old one stops signing at once.
    #[tracing::instrument(skip(self))]
    pub async fn roll_secret(&self, merchant: MerchantId, id: WebhookEndpointId) -> AppResult<WithSecret> {
        let signing_secret = new_secret(SECRET_PREFIX);
        let changes = EndpointChanges { signing_secret: Some(signing_secret.clone()), ..EndpointChanges::default() };
        let endpoint = self.change(merchant, id, changes).await?;
        Ok(WithSecret { endpoint, signing_secret })
    }

    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, merchant: MerchantId, id: WebhookEndpointId) -> AppResult<WebhookEndpoint> {
        let changes = EndpointChanges { deleted_at: Some(self.core.now()), ..EndpointChanges::default() };
        self.change(merchant, id, changes).await
    }

    async fn change(
        &self,
        merchant: MerchantId,
        id: WebhookEndpointId,
        changes: EndpointChanges,
    ) -> AppResult<WebhookEndpoint> {
        storage::webhooks::update(&self.core.db, merchant, id.0, changes, self.core.now())
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "webhook endpoint"))
    }

    fn url(&self, text: &str) -> AppResult<String> {
        let text = validate::text(Some(text.to_owned()), 2048, &["input", "url"])?.unwrap_or_default();
        match check_url(&text, self.loopback_allowed) {
            Ok(url) => Ok(url.to_string()),
            Err(refusal) => Err(AppError::user(&["input", "url"], ErrorCode::InvalidUrl, refusal.to_string())),
        }
    }
}

fn dedup(mut kinds: Vec<EventKind>) -> Vec<EventKind> {
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    kinds
}

fn kinds_json(kinds: &[EventKind]) -> String {
    serde_json::Value::from(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()).to_string()
}
