//! Use-cases. Each change runs in one transaction; a status change writes its outbox event
//! in that same transaction and is published after commit. Services know nothing of GraphQL.

pub mod auth;
mod background;
pub mod balances;
pub mod customers;
pub mod fraud;
mod fulfilment;
pub mod hosted;
pub mod idempotency;
pub mod links;
pub mod live;
pub mod merchants;
pub mod orders;
pub mod payments;
pub mod profiles;
pub mod reads;
pub mod renewals;
pub mod sessions;
pub mod subscriptions;
mod transition;
pub mod validate;
pub mod vault;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::bus::{EventBus, Hub};
use crate::config::FraudRules;
use crate::domain::card::FingerprintKey;
use crate::processor::{Processor, TestProcessor};
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

/// Everything a use-case needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: crate::storage::Database,
    pub bus: Arc<dyn EventBus>,
    /// This process's subscriptions.
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    /// Base of hosted-page URLs, without a trailing slash.
    pub public_url: String,
    pub processor: Arc<dyn Processor>,
    pub(crate) fingerprint_key: FingerprintKey,
    pub fraud_rules: Arc<FraudRules>,
}

impl Services {
    pub fn new(
        db: crate::storage::Database,
        bus: Arc<dyn EventBus>,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        public_url: String,
    ) -> Self {
        Services {
            db,
            bus,
            hub,
            metrics,
            clock,
            public_url,
            processor: Arc::new(TestProcessor::default()),
            fingerprint_key: FingerprintKey([0; 64]),
            fraud_rules: Arc::default(),
        }
    }

    /// Sets the acquirer and the card fingerprint key (start-up always does).
    pub fn with_vault(mut self, processor: Arc<dyn Processor>, fingerprint_key: FingerprintKey) -> Self {
        self.processor = processor;
        self.fingerprint_key = fingerprint_key;
        self
    }

    pub fn with_fraud_rules(mut self, rules: FraudRules) -> Self {
        self.fraud_rules = Arc::new(rules);
        self
    }

    /// Now, to the microsecond: what PostgreSQL keeps and what cursors encode, so a stored
    /// timestamp compares equal to the one it was written from.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }
}
