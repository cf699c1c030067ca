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
}

impl Core {
    pub fn new(
        db: crate::storage::Database,
        bus: Arc<dyn EventBus>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Core { db, bus, metrics, clock }
    }

    /// Now, to the microsecond: what PostgreSQL keeps and what cursors encode, so a stored
    /// timestamp compares equal to the one it was written from.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }
}
