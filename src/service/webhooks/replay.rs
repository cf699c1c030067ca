//! Sending events again on the merchant's request: one event (`resendWebhookEvent`), or an
//! endpoint's events from a cursor on (`replayWebhookEndpoint`), the cursor the live stream
//! and every delivery body carry. Each is a new delivery of the same event (same `id`), so a
//! receiver that already has it drops it; it goes in version order with the others.

use super::Webhooks;
use crate::domain::webhook::WebhookEndpoint;
use crate::domain::webhook_delivery::Delivery;
use crate::domain::{MerchantId, WebhookEndpointId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::live::parse_event_cursor;
use crate::storage;
use crate::storage::deliveries::Queued;

/// Most events one replay queues; replay again from the cursor it reached for more.
pub const MAX_REPLAY: u64 = 1_000;

/// Deliveries an endpoint may have waiting before resends and replays are refused: they
/// add to what the database keeps, and a key could otherwise queue without end.
pub const MAX_WAITING: u64 = 1_000;

/// What a replay queued.
pub struct Replayed {
    pub endpoint: WebhookEndpoint,
    pub count: usize,
    /// The cursor of the last event looked at: replay from it for the rest.
    pub until: Option<i64>,
}

impl Webhooks {
    /// Queues event `event_id` of `merchant` for its endpoint `id` again.
    #[tracing::instrument(skip(self))]
    pub async fn resend(
        &self,
        merchant: MerchantId,
        id: WebhookEndpointId,
        event_id: &str,
    ) -> AppResult<WebhookEndpoint> {
        let (endpoint, _) = self.live_endpoint(merchant, id, "endpointId").await?;
        let not_found = || AppError::not_found(&["input", "eventId"], "event");
        let row = self.core.event_ids.row(event_id).ok_or_else(not_found)?;
        let event = storage::deliveries::event(&self.core.db, merchant.0, row).await?.ok_or_else(not_found)?;
        self.queue(merchant, id, vec![Delivery::queued(id.0, &event, self.core.now())], "endpointId").await?;
        Ok(endpoint)
    }

    /// Queues the endpoint's events after cursor `after` again (those of its kinds, up to
    /// what it has been fed; newer ones come by the feed anyway), at most [`MAX_REPLAY`].
    #[tracing::instrument(skip(self))]
    pub async fn replay(&self, merchant: MerchantId, id: WebhookEndpointId, after: &str) -> AppResult<Replayed> {
        let after = parse_event_cursor(after, "after").map_err(|_| {
            AppError::user(&["input", "after"], ErrorCode::InvalidCursor, "`after` is not an event cursor")
        })?;
        let (endpoint, fed) = self.live_endpoint(merchant, id, "id").await?;
        let events = storage::deliveries::events_after(&self.core.db, merchant.0, after, MAX_REPLAY).await?;
        let fed_events: Vec<_> = events.iter().filter(|e| e.seq <= fed).collect();
        let until = fed_events.last().map(|e| e.seq);
        let now = self.core.now();
        let replayed: Vec<_> = fed_events
            .into_iter()
            .filter(|e| endpoint.wants(e.kind))
            .map(|event| Delivery::queued(id.0, event, now))
            .collect();
        let count = replayed.len();
        self.queue(merchant, id, replayed, "id").await?;
        Ok(Replayed { endpoint, count, until })
    }

    /// The merchant's endpoint, not deleted, with the event number it has been fed up to,
    /// if it has room for more deliveries (a first look, before reading events; the bound
    /// is held by [`Webhooks::queue`]).
    async fn live_endpoint(
        &self,
        merchant: MerchantId,
        id: WebhookEndpointId,
        field: &str,
    ) -> AppResult<(WebhookEndpoint, i64)> {
        let live = storage::webhooks::live(&self.core.db, merchant, id.0)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", field], "webhook endpoint"))?;
        if storage::deliveries::waiting(&self.core.db, id.0).await? >= MAX_WAITING {
            return Err(full(field));
        }
        Ok(live)
    }

    /// Queues `deliveries` for the endpoint if it has fewer than [`MAX_WAITING`] waiting,
    /// counted under its lock (see `storage::deliveries::queue_within`).
    async fn queue(
        &self,
        merchant: MerchantId,
        id: WebhookEndpointId,
        deliveries: Vec<Delivery>,
        field: &str,
    ) -> AppResult<()> {
        match storage::deliveries::queue_within(&self.core.db, merchant.0, id.0, MAX_WAITING, deliveries).await? {
            Queued::Queued => Ok(()),
            Queued::Gone => Err(AppError::not_found(&["input", field], "webhook endpoint")),
            Queued::Full => Err(full(field)),
        }
    }
}

fn full(field: &str) -> AppError {
    let message =
        format!("this endpoint has {MAX_WAITING} or more deliveries waiting; send more once they are delivered");
    AppError::user(&["input", field], ErrorCode::TooManyWaitingDeliveries, message)
}
