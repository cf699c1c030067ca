//! Use-cases, one family per file (or folder), each a small struct holding only what it
//! needs: the shared [`Core`] (storage, clock, bus, metrics) and the families it calls.
//! Each change runs in one transaction; a status change writes its outbox event in that same
//! transaction and is published after commit (`transition`). Services know nothing of GraphQL.

pub mod audit;
pub mod auth;
mod background;
pub mod balances;
pub mod captures;
mod core;
pub mod credentials;
pub mod customers;
pub mod disputes;
pub mod fraud;
mod fulfilment;
pub mod hosted;
pub mod idempotency;
pub mod keys;
pub mod links;
pub mod live;
pub mod merchants;
pub mod orders;
pub mod origins;
pub mod payments;
pub mod persisted;
pub mod portal;
pub mod processor_accounts;
pub mod processor_events;
pub mod profiles;
pub mod refunds;
pub mod renewals;
pub mod sessions;
pub mod subscriptions;
mod transition;
pub mod validate;
pub mod vault;
pub mod webhooks;

use std::sync::Arc;

pub use self::core::{Clock, Core, SystemClock};
use crate::bus::{EventBus, Hub, Notice};
use crate::config::FraudRules;
use crate::domain::card::FingerprintKey;
use crate::processor::Processors;
use crate::telemetry::Metrics;

/// What the families are built from.
pub struct Dependencies {
    pub db: crate::storage::Database,
    pub bus: Arc<dyn EventBus>,
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    /// Base of hosted-page URLs, without a trailing slash.
    pub public_url: String,
    pub processors: Arc<Processors>,
    pub fingerprint_key: FingerprintKey,
    pub fraud_rules: FraudRules,
    /// How long a verified credential is remembered (zero: looked up on every request).
    pub credential_ttl: std::time::Duration,
    /// Whether webhook endpoints may be on loopback (`Config::webhook_loopback_allowed`).
    pub webhook_loopback_allowed: bool,
    /// The web origins allowed to call from a browser, loaded.
    pub origins: Arc<origins::Origins>,
    /// How long an authorization waits for its capture before it is voided.
    pub capture_window: chrono::Duration,
    pub webhook_config: crate::config::WebhookConfig,
    /// The HTTP client of webhook deliveries (`webhooks::delivery::client`).
    pub webhook_client: reqwest::Client,
    pub audit_retention_days: u32,
}

/// Every use-case family, wired once at start-up. A family reaches another only through the
/// handle it was built with, so the fields below are also the dependency graph.
#[derive(Clone)]
pub struct Services {
    pub core: Core,
    /// Base of hosted-page URLs and payment links, without a trailing slash.
    pub public_url: String,
    pub audit: audit::Audit,
    pub auth: auth::Auth,
    pub keys: keys::Keys,
    pub merchants: merchants::Merchants,
    /// Web origins allowed to call from a browser (CORS).
    pub origins: Arc<origins::Origins>,
    pub customers: customers::Customers,
    pub orders: orders::Orders,
    pub balances: balances::Balances,
    pub sessions: sessions::Sessions,
    pub profiles: profiles::Profiles,
    pub fraud: fraud::Fraud,
    pub links: links::Links,
    pub payments: payments::Payments,
    pub refunds: refunds::Refunds,
    pub disputes: disputes::Disputes,
    pub captures: captures::Captures,
    pub processor_accounts: processor_accounts::ProcessorAccounts,
    pub processor_events: processor_events::ProcessorEvents,
    pub webhooks: webhooks::Webhooks,
    pub deliveries: webhooks::delivery::Deliveries,
    pub subscriptions: subscriptions::Subscriptions,
    pub renewals: renewals::Renewals,
    pub vault: vault::Vault,
    pub live: live::Live,
    pub hosted: hosted::Hosted,
    pub portals: portal::Portals,
}

impl Services {
    pub fn new(deps: Dependencies) -> Self {
        let event_ids = crate::domain::event_ids::EventIds::new(deps.processors.secrets_key().derive("event ids"));
        let core = Core::new(deps.db, deps.bus, deps.metrics, deps.clock, event_ids);
        let credentials = Arc::new(credentials::CredentialCache::new(deps.credential_ttl));
        let listening = credentials.clone();
        deps.hub.on_notice(move |notice| listening.apply(notice));
        let reloading = deps.origins.clone();
        deps.hub.on_notice(move |notice| {
            if matches!(notice, Notice::OriginsChanged | Notice::Lost)
                && let Ok(runtime) = tokio::runtime::Handle::try_current()
            {
                let origins = reloading.clone();
                runtime.spawn(async move {
                    if let Err(error) = origins.reload().await {
                        tracing::warn!(%error, "could not reload allowed origins");
                    }
                });
            }
        });
        let customers = customers::Customers::new(core.clone());
        let merchants = merchants::Merchants::new(core.clone(), deps.origins.clone());
        let orders = orders::Orders::new(core.clone(), customers.clone());
        let balances = balances::Balances::new(core.clone(), customers.clone());
        let subscriptions = subscriptions::Subscriptions::new(core.clone(), customers.clone());
        let sessions = sessions::Sessions::new(
            core.clone(),
            customers.clone(),
            orders.clone(),
            subscriptions.clone(),
            balances.clone(),
            deps.processors.clone(),
        );
        let profiles = profiles::Profiles::new(core.clone());
        let fraud = fraud::Fraud::new(core.clone(), customers.clone(), Arc::new(deps.fraud_rules));
        let links = links::Links::new(core.clone(), orders.clone(), sessions.clone());
        let fulfilment =
            fulfilment::Fulfilment::new(core.clone(), balances.clone(), profiles.clone(), subscriptions.clone());
        let payments = payments::Payments::new(payments::PaymentDependencies {
            core: core.clone(),
            processors: deps.processors.clone(),
            fingerprint_key: deps.fingerprint_key.clone(),
            sessions: sessions.clone(),
            profiles: profiles.clone(),
            fraud: fraud.clone(),
            links: links.clone(),
            fulfilment,
            capture_window: deps.capture_window,
            public_url: deps.public_url.clone(),
        });
        let refunds = refunds::Refunds::new(core.clone(), deps.processors.clone(), sessions.clone());
        let disputes = disputes::Disputes::new(core.clone(), deps.processors.clone(), sessions.clone());
        let deliveries = webhooks::delivery::Deliveries::new(
            core.clone(),
            deps.webhook_config,
            deps.webhook_loopback_allowed,
            deps.webhook_client,
        );
        let waking = deliveries.clone();
        deps.hub.on_event(move |_| waking.wake());
        let audit = audit::Audit::new(core.clone(), deps.audit_retention_days);
        let portals = portal::Portals::new(portal::PortalDependencies {
            core: core.clone(),
            public_url: deps.public_url.clone(),
            customers: customers.clone(),
            merchants: merchants.clone(),
            profiles: profiles.clone(),
            subscriptions: subscriptions.clone(),
            balances: balances.clone(),
            sessions: sessions.clone(),
            audit: audit.clone(),
        });
        listen_for_portals(&deps.hub, &portals);
        Services {
            portals,
            deliveries,
            webhooks: webhooks::Webhooks::new(core.clone(), deps.webhook_loopback_allowed),

            refunds: refunds.clone(),
            disputes: disputes.clone(),
            processor_events: processor_events::ProcessorEvents::new(
                core.clone(),
                deps.processors.clone(),
                payments.clone(),
                refunds,
                disputes,
            ),
            captures: captures::Captures::new(core.clone(), deps.processors.clone(), sessions.clone()),
            processor_accounts: processor_accounts::ProcessorAccounts::new(core.clone(), deps.processors.clone()),
            auth: auth::Auth::new(core.clone(), credentials),
            keys: keys::Keys::new(core.clone()),
            renewals: renewals::Renewals::new(core.clone(), payments.clone(), profiles.clone(), subscriptions.clone()),
            vault: vault::Vault::new(core.clone(), deps.processors, deps.fingerprint_key),
            live: live::Live::new(core.clone(), deps.hub, sessions.clone()),
            hosted: hosted::Hosted::new(core.clone(), merchants.clone()),
            public_url: deps.public_url,
            audit,
            core,
            merchants,
            origins: deps.origins,
            customers,
            orders,
            balances,
            sessions,
            profiles,
            fraud,
            links,
            payments,
            subscriptions,
        }
    }
}

/// What open portals show without a reload: their customer's session events and the
/// notices of changes to their methods, subscriptions and preferences, from any instance.
fn listen_for_portals(hub: &Hub, portals: &portal::Portals) {
    use crate::domain::{CustomerId, MerchantId};
    use portal::Changed;
    let sessions = portals.clone();
    hub.on_event(move |event| {
        if let Some(customer) = event.customer() {
            sessions.changed(Changed::Session { merchant: event.merchant(), customer });
        }
    });
    let notices = portals.clone();
    hub.on_notice(move |notice| match notice {
        Notice::CustomerChanged { merchant, customer } => {
            notices.changed(Changed::Customer { merchant: MerchantId(merchant), customer: CustomerId(customer) })
        }
        Notice::Lost => notices.changed(Changed::Everyone),
        Notice::KeyChanged { .. } | Notice::OriginsChanged => {}
    });
}
