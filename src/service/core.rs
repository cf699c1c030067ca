//! What every use-case shares: storage, the clock, the live bus and the metrics. The status
//! change path (`transition`) and idempotency keys are methods of it, since every family
//! that moves money goes through them.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::bus::EventBus;
use crate::telemetry::Metrics;

/// The time source. Tests that need to move time (expiry, renewals) swap in their own.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Storage, clock, bus and metrics, cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub db: crate::storage::Database,
    pub bus: Arc<dyn EventBus>,
    pub metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    /// How event ids are shown (`evt_…`), and read back.
    pub event_ids: Arc<crate::domain::event_ids::EventIds>,
}

impl Core {
    pub fn new(
        db: crate::storage::Database,
        bus: Arc<dyn EventBus>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        event_ids: crate::domain::event_ids::EventIds,
    ) -> Self {
        Core { db, bus, metrics, clock, event_ids: Arc::new(event_ids) }
    }

    /// Now, to the microsecond: what PostgreSQL keeps and what cursors encode, so a stored
    /// timestamp compares equal to the one it was written from.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    /// Tells every instance that `customer`'s methods, subscriptions or preferences changed
    /// (a committed change: an open portal reads them again). A bus that is away loses
    /// nothing that matters: the portal reads everything again when it hears `Lost`.
    pub async fn customer_changed(&self, merchant: crate::domain::MerchantId, customer: crate::domain::CustomerId) {
        let notice = crate::bus::Notice::CustomerChanged { merchant: merchant.0, customer: customer.0 };
        if let Err(error) = self.bus.notify(notice).await {
            tracing::warn!(%error, "could not tell other instances of a customer's change");
        }
    }
}
