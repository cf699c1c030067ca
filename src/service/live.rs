//! Live event streams: ordered, gap-free and resumable.
//!
//! A stream registers with the hub BEFORE it reads the log, so nothing committed in between
//! is missed; then it replays from the log and goes live. Everything it is handed is checked
//! against what it already sent: a session's events by `version`, a merchant's by `seq`.
//! An old one is a duplicate and dropped; one that skips ahead means something was missed
//! (messages from different instances can arrive out of order) and the gap is read from the
//! log before anything else is sent. A `Resync` from the hub reads the log the same way.

use std::sync::Arc;

use futures_util::Stream;

use super::Core;
use crate::bus::hub::{Delivery, HubSubscription};
use crate::bus::{SessionEvent, Topic};
use crate::domain::{CustomerId, MerchantId, SessionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;

/// Events read from the log at a time when catching up.
const REPLAY_BATCH: u64 = 500;

/// What ends a stream early.
fn slow_consumer(resume: String) -> AppError {
    AppError::user(
        &[],
        ErrorCode::SlowConsumer,
        format!("events arrived faster than this subscription read them; resubscribe with {resume}"),
    )
}

/// Live streams: a snapshot, the missed events, then live ones.
#[derive(Clone)]
pub struct Live {
    core: Core,
    hub: Arc<crate::bus::Hub>,
    sessions: super::sessions::Sessions,
}

impl Live {
    pub fn new(core: Core, hub: Arc<crate::bus::Hub>, sessions: super::sessions::Sessions) -> Self {
        Live { core, hub, sessions }
    }

    /// This process's subscriptions.
    pub fn hub(&self) -> &Arc<crate::bus::Hub> {
        &self.hub
    }
}

/// A session's stream registered with the hub, its log not read yet: whatever commits from
/// now on reaches it, live or by the replay [`SessionListener::stream`] reads.
pub struct SessionListener {
    live: Live,
    merchant: MerchantId,
    session: SessionId,
    subscription: HubSubscription,
}

impl Live {
    /// The session's events after `after_version` (or, without it, its current state), then
    /// every change as it commits. Ends after a final status (EXPIRED, CANCELED, FAILED); a
    /// COMPLETED session's stream goes on, as refunds of its payment may follow.
    pub async fn session_stream(
        &self,
        merchant: MerchantId,
        session: SessionId,
        after_version: Option<i32>,
    ) -> AppResult<impl Stream<Item = AppResult<SessionEvent>> + Send + use<>> {
        self.listen_to_session(merchant, session).stream(after_version).await
    }

    /// Registers a session's stream with the hub, before its log is read: the first half of
    /// [`Live::session_stream`], apart so a test can commit between the two halves.
    pub fn listen_to_session(&self, merchant: MerchantId, session: SessionId) -> SessionListener {
        let subscription = self.hub.subscribe(Topic::Session { merchant: merchant.0, session: session.0 });
        SessionListener { live: self.clone(), merchant, session, subscription }
    }
}

impl SessionListener {
    /// Reads the log after `after_version` (or from the current state), then goes live.
    pub async fn stream(
        self,
        after_version: Option<i32>,
    ) -> AppResult<impl Stream<Item = AppResult<SessionEvent>> + Send + use<>> {
        let SessionListener { live, merchant, session, subscription } = self;
        let (pending, last) = live.replay(merchant, session, after_version).await?;
        Ok(live.session_events(merchant, session, subscription, pending, last))
    }
}

impl Live {
    /// The session's logged events after `after_version` (or after its current state), and
    /// the version they follow.
    async fn replay(
        &self,
        merchant: MerchantId,
        session: SessionId,
        after_version: Option<i32>,
    ) -> AppResult<(Vec<SessionEvent>, i32)> {
        let current = self
            .sessions
            .get(merchant, session)
            .await?
            .ok_or_else(|| AppError::not_found(&["id"], "payment session"))?;
        // A stream lives as long as its subscriber, so it keeps only what it needs: the last
        // version, not the session; and its database reads are boxed, so their futures take
        // memory only while they run, not in every idle stream.
        let last = after_version.unwrap_or(current.version - 1);
        drop(current);
        Ok((self.session_events_after(merchant, session, last).await?, last))
    }

    /// The replayed events `pending`, then live ones from `subscription`, each once and in
    /// version order.
    fn session_events(
        &self,
        merchant: MerchantId,
        session: SessionId,
        mut subscription: HubSubscription,
        mut pending: Vec<SessionEvent>,
        mut last: i32,
    ) -> impl Stream<Item = AppResult<SessionEvent>> + Send + use<> {
        let services = self.clone();
        async_stream::stream! {
            loop {
                for event in pending.drain(..) {
                    if event.version <= last {
                        continue;
                    }
                    last = event.version;
                    let terminal = event.status.is_final();
                    services.delivered(&event);
                    yield Ok(event);
                    if terminal {
                        return;
                    }
                }
                match next_delivery(&mut subscription).await {
                    Some(Delivery::Event(event)) if event.version <= last => {}
                    Some(Delivery::Event(event)) if event.version == last + 1 => pending.push(Arc::unwrap_or_clone(event)),
                    Some(_) => match Box::pin(services.session_events_after(merchant, session, last)).await {
                        Ok(events) => pending = events,
                        Err(error) => {
                            yield Err(error);
                            return;
                        }
                    },
                    None => {
                        yield Err(slow_consumer(format!("afterVersion: {last}")));
                        return;
                    }
                }
            }
        }
    }

    /// The merchant's events (or one customer's) after `after_seq`, then live. Without a
    /// cursor it starts with the next event.
    pub async fn merchant_stream(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        after_seq: Option<i64>,
    ) -> AppResult<impl Stream<Item = AppResult<SessionEvent>> + Send + use<>> {
        let topic = match customer {
            Some(c) => Topic::Customer { merchant: merchant.0, customer: c.0 },
            None => Topic::Merchant { merchant: merchant.0 },
        };
        let mut subscription = self.hub.subscribe(topic);
        let start = match after_seq {
            Some(seq) => seq,
            None => storage::events::latest_seq(&self.core.db, merchant).await?,
        };
        let services = self.clone();
        Ok(async_stream::stream! {
            // `watermark`: every event up to here was sent, or is not this stream's.
            let mut watermark = start;
            let mut catch_up = after_seq.is_some();
            loop {
                if catch_up {
                    catch_up = false;
                    loop {
                        let events = match Box::pin(services.merchant_events_after(merchant, customer, watermark)).await {
                            Ok(events) => events,
                            Err(error) => {
                                yield Err(error);
                                return;
                            }
                        };
                        let full = events.len() as u64 == REPLAY_BATCH;
                        for event in events {
                            watermark = event.seq;
                            services.delivered(&event);
                            yield Ok(event);
                        }
                        if !full {
                            break;
                        }
                    }
                }
                match next_delivery(&mut subscription).await {
                    Some(Delivery::Event(event)) if event.seq <= watermark => {}
                    Some(Delivery::Event(event)) if event.seq == watermark + 1 => {
                        watermark = event.seq;
                        services.delivered(&event);
                        yield Ok(Arc::unwrap_or_clone(event));
                    }
                    // Skipped ahead (or a customer's stream, which skips other customers'
                    // events): the log holds everything up to this event; read it in order.
                    Some(Delivery::Event(_) | Delivery::Resync) => catch_up = true,
                    None => {
                        let cursor = event_cursor(watermark);
                        yield Err(slow_consumer(format!("after: \"{cursor}\"")));
                        return;
                    }
                }
            }
        })
    }

    /// An event goes to a subscriber's frame: counted, and timed from its commit (a
    /// replayed event's time is how late that subscriber saw it).
    fn delivered(&self, event: &SessionEvent) {
        let metrics = &self.core.metrics;
        metrics.count_event_delivered();
        metrics.time_event_to_frame((self.core.now() - event.occurred_at).to_std().unwrap_or_default());
    }

    /// A session's events with a version above `after`, in order.
    /// The merchant's event `id` (`evt_…`), as it was committed.
    pub async fn event(&self, merchant: MerchantId, id: &str) -> AppResult<Option<SessionEvent>> {
        let Some(row) = self.core.event_ids.row(id) else { return Ok(None) };
        Ok(crate::storage::deliveries::event(&self.core.db, merchant.0, row).await?)
    }

    pub async fn session_events_after(
        &self,
        merchant: MerchantId,
        session: SessionId,
        after: i32,
    ) -> AppResult<Vec<SessionEvent>> {
        Ok(storage::events::of_session_after(&self.core.db, merchant, session.0, after).await?)
    }

    /// The merchant's (or a customer's) events with a sequence number above `after`, in
    /// order, at most one batch.
    pub async fn merchant_events_after(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        after: i64,
    ) -> AppResult<Vec<SessionEvent>> {
        Ok(storage::events::of_merchant_after(&self.core.db, merchant, customer, after, REPLAY_BATCH).await?)
    }
}

/// The next delivery, or `None` once the hub cut this subscription off as a slow consumer.
async fn next_delivery(subscription: &mut HubSubscription) -> Option<Delivery> {
    let delivery = subscription.receiver.recv().await;
    if delivery.is_none() && !subscription.overflowed() {
        // The hub never closes a subscription it did not cut off; treat it the same way.
        tracing::warn!("hub subscription closed unexpectedly");
    }
    delivery
}

/// An event's cursor: its merchant sequence number, opaque to clients.
pub fn event_cursor(seq: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("ev|{seq}"))
}

/// Reads an event cursor back.
pub fn parse_event_cursor(text: &str, field: &str) -> AppResult<i64> {
    use base64::Engine;
    let invalid = || AppError::user(&[field], ErrorCode::InvalidCursor, format!("`{field}` is not an event cursor"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    raw.strip_prefix("ev|").and_then(|seq| seq.parse().ok()).filter(|seq: &i64| *seq >= 0).ok_or_else(invalid)
}
