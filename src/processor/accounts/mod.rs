//! Which processor handles what: a merchant's connected account for its new cards, and for
//! everything made earlier the account that holds it (a payment is captured, refunded and
//! settled where its card was tokenized, whatever the merchant connects later). No account:
//! the test processor.

pub mod sealing;

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use self::sealing::SecretsKey;
use super::Processor;
use super::stripe::api::StripeApi;
use super::stripe::{References, StripeConnector};
use super::timed::Timed;
use crate::domain::MerchantId;
use crate::storage::{self, Database};
use crate::telemetry::Metrics;

crate::domain::string_enum!(
    /// A processor a merchant can connect an account of.
    ProcessorKind, "processor kind" {
        Stripe => "STRIPE",
    }
);

/// Connectors are kept this long, so a key is opened once, not on every payment.
const CONNECTOR_TTL: Duration = Duration::from_secs(300);

/// Where Stripe is and how long it may take.
pub struct StripeSettings {
    pub api_base: String,
    pub timeout: Duration,
}

/// Every processor paygraph can reach.
pub struct Processors {
    test: Arc<dyn Processor>,
    db: Database,
    key: SecretsKey,
    stripe_base: String,
    http: reqwest::Client,
    connectors: moka::sync::Cache<Uuid, Arc<dyn Processor>>,
    metrics: Arc<Metrics>,
}

impl Processors {
    pub fn new(
        test: Arc<dyn Processor>,
        db: Database,
        key: SecretsKey,
        stripe: StripeSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        Ok(Processors {
            test: Timed::wrap(test, "test", metrics.clone()),
            metrics,
            db,
            key,
            stripe_base: stripe.api_base,
            http: super::stripe::api::client(stripe.timeout)?,
            connectors: moka::sync::Cache::builder().max_capacity(10_000).time_to_idle(CONNECTOR_TTL).build(),
        })
    }

    /// Where `merchant`'s new cards go: its connected account (with its id), or the test
    /// processor.
    pub async fn current(&self, merchant: MerchantId) -> anyhow::Result<(Option<Uuid>, Arc<dyn Processor>)> {
        match storage::processor_accounts::connected(&self.db, merchant.0).await? {
            Some(row) => Ok((Some(row.id), self.of(Some(row.id)).await?)),
            None => Ok((None, self.test.clone())),
        }
    }

    /// The processor that holds what was made with `account` (none: the test processor).
    pub async fn of(&self, account: Option<Uuid>) -> anyhow::Result<Arc<dyn Processor>> {
        let Some(id) = account else { return Ok(self.test.clone()) };
        if let Some(connector) = self.connectors.get(&id) {
            return Ok(connector);
        }
        let row = storage::processor_accounts::account(&self.db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("processor account {id} is gone"))?;
        let secret_key = self.key.open(id.as_bytes(), &row.secret_key_sealed)?;
        let connector = StripeConnector::new(self.stripe_api(secret_key), References::new(self.db.clone()));
        let connector = Timed::wrap(Arc::new(connector), "stripe", self.metrics.clone());
        self.connectors.insert(id, connector.clone());
        Ok(connector)
    }

    /// The processor that holds the charge of `payment`.
    pub async fn of_payment(&self, payment: Uuid) -> anyhow::Result<Arc<dyn Processor>> {
        self.of(storage::payments::processor_account_of(&self.db, payment).await?).await
    }

    /// Stripe's API as the holder of `secret_key` sees it.
    pub fn stripe_api(&self, secret_key: String) -> StripeApi {
        StripeApi::new(self.http.clone(), &self.stripe_base, secret_key)
    }

    /// The key processor secrets are sealed with.
    pub fn secrets_key(&self) -> &SecretsKey {
        &self.key
    }
}
