//! The delivery worker every instance runs: it queues the event log's new events for each
//! endpoint (the feed), then sends what is due, in version order per endpoint and session.
//!
//! - **Feed.** An endpoint's `fed_seq` marks the merchant event number up to which its
//!   deliveries are queued; queuing a batch moves it by compare-and-set in the same
//!   transaction, so two instances never queue an event twice and a crash queues it later.
//! - **Send.** A due delivery is leased by one guarded write for longer than a send can take,
//!   so two instances never send the same attempt at once; its answer settles it with its
//!   attempt, under the lease, in one transaction with the other answers waiting then
//!   (`settler`). A lease left by a crash runs out and the delivery is sent again: at least
//!   once, never lost. Bounded per instance and per endpoint.
//! - Woken by every event the instance hears, and by its own finished sends, so the lag
//!   from commit to delivery is a round trip, not a poll period.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::body::body;
pub use super::client::client;
use super::client::{self, Answer};
use super::settler::OnDemand;
use crate::config::WebhookConfig;
use crate::domain::WebhookDeliveryId;
use crate::domain::session::PaymentSession;
use crate::domain::webhook::EndpointFeed;
use crate::domain::webhook::check_url;
use crate::domain::webhook_delivery::{Attempt, Delivery, DeliveryState, GIVE_UP_AFTER, retry_delay};
use crate::domain::{SessionEvent, webhook_signature};
use crate::error::AppResult;
use crate::service::Core;
use crate::storage;
use crate::storage::deliveries::Settlement;

/// A lease outlives the longest send (the timeout) twice over, and this much more for the
/// instances' clocks to differ.
const LEASE_MARGIN: Span = Span::seconds(2);
const FEED_ENDPOINTS: u64 = 100;
/// How long settled deliveries and attempts are kept (and listed in `deliveries`).
pub const KEPT_FOR: Span = Span::days(30);
const PRUNE_BATCH: u64 = 1_000;
/// Pruning scans by age: it runs this often, not every pass.
const PRUNE_EVERY: Span = Span::minutes(10);
const FEED_EVENTS: u64 = 500;

#[derive(Clone)]
pub struct Deliveries {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    client: reqwest::Client,
    config: WebhookConfig,
    loopback_allowed: bool,
    /// Sends in flight on this instance.
    slots: Arc<Semaphore>,
    /// Sends in flight per endpoint on this instance (one small entry per endpoint seen).
    per_endpoint: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
    wake: Notify,
    /// When this instance last pruned.
    pruned_at: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// Writes the answers of sends, in groups.
    settler: OnDemand,
}

impl Deliveries {
    /// `client`: from [`client::client`], built once at start (it may fail there, not here).
    pub fn new(core: Core, config: WebhookConfig, loopback_allowed: bool, client: reqwest::Client) -> Self {
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let inner = Inner {
            core,
            client,
            config,
            loopback_allowed,
            slots,
            per_endpoint: Mutex::default(),
            wake: Notify::new(),
            pruned_at: Mutex::default(),
            settler: OnDemand::default(),
        };
        Deliveries { inner: Arc::new(inner) }
    }

    /// Runs passes until the process ends: when woken, or every `poll` (retries come due).
    pub fn spawn(&self, poll: Duration) {
        let deliveries = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = deliveries.pass().await {
                    tracing::warn!(error = %format!("{error:#}"), "webhook delivery pass failed");
                }
                tokio::select! {
                    () = deliveries.inner.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
        });
    }

    /// Asks for a pass soon: an event was committed, or a send finished.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Deletes settled deliveries and attempts older than [`KEPT_FOR`], a batch at a time;
    /// how many rows. The event log itself is kept: a replay reads it, not these.
    pub async fn prune(&self) -> AppResult<u64> {
        Ok(storage::deliveries::prune(&self.inner.core.db, self.inner.core.now() - KEPT_FOR, PRUNE_BATCH).await?)
    }

    /// Prunes if this instance has not for [`PRUNE_EVERY`] (the background pass calls it).
    pub async fn prune_now_and_then(&self) -> AppResult<u64> {
        let now = self.inner.core.now();
        {
            let mut pruned_at = self.inner.pruned_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if pruned_at.is_some_and(|at| now - at < PRUNE_EVERY) {
                return Ok(0);
            }
            *pruned_at = Some(now);
        }
        self.prune().await
    }

    /// Queues new events, then starts the sends that are due; how many it started.
    pub async fn pass(&self) -> AppResult<usize> {
        self.feed().await?;
        self.dispatch().await
    }

    async fn feed(&self) -> AppResult<()> {
        let db = &self.inner.core.db;
        for feed in storage::deliveries::behind(db, FEED_ENDPOINTS).await? {
            let (endpoint, from) = (feed.endpoint, feed.fed_seq);
            let id = endpoint.id.0;
            let events = storage::deliveries::events_after(db, endpoint.merchant.0, from, FEED_EVENTS).await?;
            let Some(to) = events.last().map(|e| e.seq) else { continue };
            let now = self.inner.core.now();
            let wanted = events.iter().filter(|e| endpoint.wants(e.kind));
            let rows = wanted.map(|event| Delivery::queued(id, event, now)).collect();
            storage::deliveries::feed(db, id, from, to, rows).await?;
        }
        Ok(())
    }

    /// Picks what is due and this instance may start (its slots, and each endpoint's),
    /// leases it in one statement, reads what the sends need in three, and starts them.
    async fn dispatch(&self) -> AppResult<usize> {
        let inner = &self.inner;
        let free = inner.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let now = inner.core.now();
        let busy = self.busy_endpoints();
        let due = storage::deliveries::due(&inner.core.db, now, u64::try_from(free * 2).unwrap_or(64), &busy).await?;
        let mut startable = Vec::new();
        for delivery in due {
            let Ok(slot) = inner.slots.clone().try_acquire_owned() else { break };
            let Ok(endpoint_slot) = self.endpoint_slots(delivery.endpoint).try_acquire_owned() else { continue };
            startable.push((delivery, (slot, endpoint_slot)));
        }
        let lease = Uuid::new_v4();
        let timeout = Span::milliseconds(i64::try_from(inner.config.timeout_ms).unwrap_or(10_000));
        let ids: Vec<Uuid> = startable.iter().map(|(d, _)| d.id).collect();
        let claimed =
            storage::deliveries::claim(&inner.core.db, &ids, lease, now, now + timeout * 2 + LEASE_MARGIN).await?;
        // What another instance took first is left to it; its slots are given back here.
        startable.retain(|(d, _)| claimed.contains(&d.id));
        let deliveries: Vec<_> = startable.iter().map(|(d, _)| d.clone()).collect();
        let (endpoints, events, sessions) = storage::deliveries::sending(&inner.core.db, &deliveries).await?;
        // Disabled or deleted between the lease and the read: given back, to wait free.
        let (startable, gone): (Vec<_>, Vec<_>) =
            startable.into_iter().partition(|(d, _)| endpoints.iter().any(|e| e.endpoint.id.0 == d.endpoint));
        let gone: Vec<Uuid> = gone.iter().map(|(d, _)| d.id).collect();
        storage::deliveries::release(&inner.core.db, &gone, lease).await?;
        let started = startable.len();
        for (delivery, held) in startable {
            let Some(endpoint) = endpoints.iter().find(|e| e.endpoint.id.0 == delivery.endpoint).cloned() else {
                continue;
            };
            let event = events.iter().find(|(e, _)| e.id == delivery.event).cloned();
            let session = sessions.iter().find(|s| s.id.0 == delivery.session).cloned();
            let (Some((event, trace_parent)), Some(session)) = (event, session) else {
                tracing::error!(delivery = %delivery.id, "a delivery of a missing event or session");
                continue;
            };
            let job = Job { delivery, endpoint, event, session };
            let span =
                crate::telemetry::delivery_span(trace_parent.as_deref(), &self.inner.core.event_ids.id(job.event.id));
            let deliveries = self.clone();
            let (slot, endpoint_slot) = held;
            tokio::spawn(tracing::Instrument::instrument(
                async move {
                    // The instance's slot is held until the answer is settled: it bounds the work
                    // in flight, settling included.
                    let _slot = slot;
                    if let Err(error) = deliveries.send(&job, lease, endpoint_slot).await {
                        tracing::warn!(error = %format!("{error:#}"), delivery = %job.delivery.id, "a webhook send failed; it is retried");
                    }
                    deliveries.wake();
                },
                span,
            ));
        }
        Ok(started)
    }

    /// Endpoints with no slot free on this instance: their due deliveries are not asked
    /// for, so a receiver that holds every send it gets cannot crowd out the others.
    fn busy_endpoints(&self) -> Vec<Uuid> {
        let mut map = self.inner.per_endpoint.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // An endpoint with every slot free holds nothing worth keeping.
        let per_endpoint = self.inner.config.endpoint_concurrency.max(1);
        map.retain(|_, slots| slots.available_permits() < per_endpoint);
        map.iter().filter(|(_, slots)| slots.available_permits() == 0).map(|(id, _)| *id).collect()
    }

    fn endpoint_slots(&self, endpoint: Uuid) -> Arc<Semaphore> {
        let mut map = self.inner.per_endpoint.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let per_endpoint = self.inner.config.endpoint_concurrency.max(1);
        map.entry(endpoint).or_insert_with(|| Arc::new(Semaphore::new(per_endpoint))).clone()
    }

    /// One try of a leased delivery, settled with its attempt. The endpoint's slot is given
    /// back once the receiver answered: while this answer is settled the next send to it
    /// may start. The delivery stays leased and PENDING until then, so neither it nor the
    /// next event of its session is sent meanwhile.
    async fn send(&self, job: &Job, lease: Uuid, endpoint_slot: OwnedSemaphorePermit) -> AppResult<()> {
        let inner = &self.inner;
        let Job { delivery, endpoint, event, session } = job;
        let event_id = inner.core.event_ids.id(event.id);
        let payload = serde_json::to_vec(&body(event, session, &inner.core.event_ids)).map_err(anyhow::Error::from)?;
        let signature = webhook_signature::sign(&endpoint.signing_secret, inner.core.now().timestamp(), &payload)
            .map_err(anyhow::Error::from)?;
        let started = Instant::now();
        // Checked again at each send: literal addresses never reach the resolver.
        let answer = match check_url(&endpoint.endpoint.url, inner.loopback_allowed) {
            Ok(_) => client::post(&inner.client, &endpoint.endpoint.url, payload, &signature, &event_id).await,
            Err(refusal) => Answer { status: None, error: Some(refusal.to_string()), prefix: None },
        };
        drop(endpoint_slot);
        self.wake();
        let took = started.elapsed();
        let outcome = match answer.status {
            Some(status) if (200..300).contains(&status) => "delivered",
            Some(_) => "refused",
            None => "failed",
        };
        inner.core.metrics.time_delivery(outcome, took);
        let settlement = self.settlement(job, &answer, took);
        let state = settlement.state;
        if !inner.settler.get(&inner.core.db).settle(lease, settlement).await? {
            tracing::warn!(delivery = %delivery.id, "a webhook delivery's lease ran out before its answer");
        }
        tracing::debug!(delivery = %delivery.id, status = ?answer.status, state = state.as_str(), "webhook sent");
        Ok(())
    }

    /// What a try's answer makes of the delivery: done, tried again later, or given up
    /// (and its endpoint disabled when nothing it was sent succeeded for as long).
    fn settlement(&self, job: &Job, answer: &Answer, took: Duration) -> Settlement {
        let (delivery, failing_since) = (&job.delivery, job.endpoint.failing_since);
        let at = self.inner.core.now();
        let attempt = delivery.attempts + 1;
        let succeeded = answer.status.is_some_and(|status| (200..300).contains(&status));
        let base = Span::milliseconds(i64::try_from(self.inner.config.retry_base_ms).unwrap_or(10_000));
        let (state, next, disable) = if succeeded {
            (DeliveryState::Succeeded, at, None)
        } else if at - delivery.created_at >= GIVE_UP_AFTER {
            let since = failing_since.unwrap_or(at);
            let last = answer.error.as_deref().unwrap_or("no answer");
            let reason = format!("deliveries failed for 3 days, since {}; the last: {last}", since.to_rfc3339());
            (DeliveryState::Failed, at, (at - since >= GIVE_UP_AFTER).then_some(reason))
        } else {
            let jitter = rand::random_range(0..=1000);
            (DeliveryState::Pending, at + retry_delay(base, attempt, jitter), None)
        };
        let attempt = Attempt {
            id: WebhookDeliveryId::new(),
            merchant: delivery.merchant,
            endpoint: delivery.endpoint,
            delivery: delivery.id,
            event: delivery.event,
            attempt,
            succeeded,
            status_code: answer.status.map(i32::from),
            duration_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
            error: answer.error.clone(),
            response_prefix: answer.prefix.clone(),
            next_retry_at: (state == DeliveryState::Pending).then_some(next),
            created_at: at,
        };
        Settlement { attempt, state, next_attempt_at: next, disable, was_failing: failing_since.is_some() }
    }
}

/// A leased delivery with what its send needs.
struct Job {
    delivery: Delivery,
    endpoint: EndpointFeed,
    event: SessionEvent,
    session: PaymentSession,
}
