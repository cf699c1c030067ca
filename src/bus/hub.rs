//! The in-process fan-out: every event this process learns of (from its own commits or from
//! Redis) is handed to the subscriptions it concerns, each through a bounded buffer of its own.
//!
//! Subscriptions are indexed by session and by merchant, so an event touches only the
//! subscribers it matters to. A subscriber whose buffer is full is cut off (never waited for):
//! its stream ends with an error telling the client where to resume. A `Resync` tells every
//! subscription to read the log, after the bus may have missed events (a Redis reconnect).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use uuid::Uuid;

use super::{Notice, SessionEvent};
use crate::telemetry::Metrics;

/// Events a subscription may hold before it is cut off as a slow consumer.
pub const SUBSCRIPTION_BUFFER: usize = 256;

/// What a subscription receives.
#[derive(Clone, Debug)]
pub enum Delivery {
    Event(Arc<SessionEvent>),
    /// Events may have been missed: catch up from the log.
    Resync,
}

/// What a subscription listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Session { merchant: Uuid, session: Uuid },
    Merchant { merchant: Uuid },
    Customer { merchant: Uuid, customer: Uuid },
}

struct Slot {
    id: u64,
    customer: Option<Uuid>,
    sender: mpsc::Sender<Delivery>,
    overflowed: Arc<AtomicBool>,
}

#[derive(Default)]
struct Registry {
    by_session: HashMap<Uuid, Vec<Slot>>,
    by_merchant: HashMap<Uuid, Vec<Slot>>,
}

/// Called with each notice the process hears.
type NoticeListener = Box<dyn Fn(Notice) + Send + Sync>;
/// Called with each event the process hears; must return at once.
type EventListener = Box<dyn Fn(&SessionEvent) + Send + Sync>;

/// The process's subscription registry.
pub struct Hub {
    registry: Mutex<Registry>,
    /// Who listens to notices (the credential cache).
    notice_listeners: Mutex<Vec<NoticeListener>>,
    /// Who hears of every event besides subscriptions (the webhook worker's wake-up).
    event_listeners: Mutex<Vec<EventListener>>,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

/// A live registration; dropping it unregisters.
pub struct HubSubscription {
    hub: Arc<Hub>,
    topic: Topic,
    id: u64,
    pub receiver: mpsc::Receiver<Delivery>,
    overflowed: Arc<AtomicBool>,
}

impl HubSubscription {
    /// Whether the hub cut this subscription off because its buffer was full.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }
}

impl Drop for HubSubscription {
    fn drop(&mut self) {
        self.hub.unregister(self.topic, self.id);
    }
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Hub {
            registry: Mutex::default(),
            notice_listeners: Mutex::default(),
            event_listeners: Mutex::default(),
            next_id: AtomicU64::new(1),
            metrics,
        })
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters (each change is one push or retain), so a poisoned lock is still usable.
        self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn subscribe(self: &Arc<Self>, topic: Topic) -> HubSubscription {
        let (sender, receiver) = mpsc::channel(SUBSCRIPTION_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let overflowed = Arc::new(AtomicBool::new(false));
        let (map_key, customer) = match topic {
            Topic::Session { session, .. } => (session, None),
            Topic::Merchant { merchant } => (merchant, None),
            Topic::Customer { merchant, customer } => (merchant, Some(customer)),
        };
        let slot = Slot { id, customer, sender, overflowed: overflowed.clone() };
        {
            let mut registry = self.registry();
            let map = match topic {
                Topic::Session { .. } => &mut registry.by_session,
                _ => &mut registry.by_merchant,
            };
            map.entry(map_key).or_default().push(slot);
        }
        self.metrics.subscription_opened();
        HubSubscription { hub: self.clone(), topic, id, receiver, overflowed }
    }

    fn unregister(&self, topic: Topic, id: u64) {
        let mut registry = self.registry();
        let (map, key) = match topic {
            Topic::Session { session, .. } => (&mut registry.by_session, session),
            Topic::Merchant { merchant } | Topic::Customer { merchant, .. } => (&mut registry.by_merchant, merchant),
        };
        if let Some(slots) = map.get_mut(&key) {
            slots.retain(|s| s.id != id);
            if slots.is_empty() {
                map.remove(&key);
            }
        }
        drop(registry);
        self.metrics.subscription_closed();
    }

    /// Hands `event` to every subscription it concerns.
    pub fn dispatch(&self, event: SessionEvent) {
        for listener in self.event_listeners.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            listener(&event);
        }
        let event = Arc::new(event);
        let mut registry = self.registry();
        if let Some(slots) = registry.by_session.get_mut(&event.session_id) {
            deliver(slots, &Delivery::Event(event.clone()), |_| true);
        }
        if let Some(slots) = registry.by_merchant.get_mut(&event.merchant_id) {
            deliver(slots, &Delivery::Event(event.clone()), |slot| {
                slot.customer.is_none() || slot.customer == event.customer_id
            });
        }
    }

    /// Calls `listener` with every event this process hears.
    pub fn on_event(&self, listener: impl Fn(&SessionEvent) + Send + Sync + 'static) {
        self.event_listeners.lock().unwrap_or_else(|p| p.into_inner()).push(Box::new(listener));
    }

    /// Calls `listener` with every notice this process hears.
    pub fn on_notice(&self, listener: impl Fn(Notice) + Send + Sync + 'static) {
        self.notice_listeners.lock().unwrap_or_else(|p| p.into_inner()).push(Box::new(listener));
    }

    pub fn dispatch_notice(&self, notice: Notice) {
        for listener in self.notice_listeners.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            listener(notice);
        }
    }

    /// Tells every subscription to catch up from the log, and every notice listener that it
    /// may have missed notices.
    pub fn resync(&self) {
        self.dispatch_notice(Notice::Lost);
        let mut registry = self.registry();
        let registry = &mut *registry;
        for slots in registry.by_session.values_mut().chain(registry.by_merchant.values_mut()) {
            deliver(slots, &Delivery::Resync, |_| true);
        }
    }
}

/// Sends without waiting; a full buffer cuts the subscriber off (its receiver then ends).
fn deliver(slots: &mut Vec<Slot>, delivery: &Delivery, wants: impl Fn(&Slot) -> bool) {
    slots.retain(|slot| {
        if !wants(slot) {
            return true;
        }
        match slot.sender.try_send(delivery.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                slot.overflowed.store(true, Ordering::Release);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(merchant: Uuid, session: Uuid, customer: Option<Uuid>, version: i32) -> SessionEvent {
        SessionEvent {
            id: i64::from(version),
            seq: i64::from(version),
            merchant_id: merchant,
            session_id: session,
            customer_id: customer,
            version,
            previous_status: None,
            status: crate::domain::SessionStatus::Open,
            occurred_at: chrono::Utc::now(),
            kind: Default::default(),
            payment_id: None,
            refund_id: None,
            dispute_id: None,
            payment_profile_id: None,
        }
    }

    #[tokio::test]
    async fn events_reach_only_the_subscriptions_they_concern() {
        let hub = Hub::new(Arc::default());
        let (merchant, session, customer) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut on_session = hub.subscribe(Topic::Session { merchant, session });
        let mut on_customer = hub.subscribe(Topic::Customer { merchant, customer });
        let mut on_other = hub.subscribe(Topic::Customer { merchant, customer: Uuid::new_v4() });
        let mut on_merchant = hub.subscribe(Topic::Merchant { merchant });
        hub.dispatch(event(merchant, session, Some(customer), 1));
        assert!(on_session.receiver.try_recv().is_ok());
        assert!(on_customer.receiver.try_recv().is_ok());
        assert!(on_merchant.receiver.try_recv().is_ok());
        assert!(on_other.receiver.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_full_buffer_cuts_only_that_subscriber_off() {
        let hub = Hub::new(Arc::default());
        let (merchant, session) = (Uuid::new_v4(), Uuid::new_v4());
        let mut slow = hub.subscribe(Topic::Session { merchant, session });
        let mut fast = hub.subscribe(Topic::Session { merchant, session });
        for version in 1..=(SUBSCRIPTION_BUFFER as i32 + 1) {
            hub.dispatch(event(merchant, session, None, version));
            assert!(fast.receiver.try_recv().is_ok(), "the fast subscriber keeps up");
        }
        assert!(slow.overflowed());
        let mut drained = 0;
        while slow.receiver.recv().await.is_some() {
            drained += 1;
        }
        assert_eq!(drained, SUBSCRIPTION_BUFFER, "what was buffered is still delivered, then it ends");
    }
}
