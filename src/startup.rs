//! Builds the application: database, migrations, bus, services, router, listener.
//! Tests use the same path with port 0 and a database of their own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::bus::{EventBus, Hub, InProcessBus, RedisBus, RedisLink};
use crate::config::Config;
use crate::graphql;
use crate::http::{self, AppState};
use crate::processor::accounts::StripeSettings;
use crate::processor::{Processor, Processors, TestProcessor};
use crate::service::origins::Origins;
use crate::service::persisted::PersistedQueries;
use crate::service::{Clock, Dependencies, Services, SystemClock, vault};
use crate::storage;
use crate::telemetry::Metrics;
use crate::throttle::{self, Throttle, cost::CostBudget};

/// Without Redis, how often an instance looks in the database for keys another process
/// revoked or rolled: a revocation closes sockets within twice that.
const KEY_WATCH_EVERY: Duration = Duration::from_millis(500);

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: axum::Router,
    services: Services,
    connection_limits: http::server::ConnectionLimits,
    /// `/metrics` on an address of its own (`PAYGRAPH_METRICS_LISTEN`).
    metrics: Option<(TcpListener, axum::Router)>,
    production: bool,
}

impl Application {
    /// Connects, migrates and binds, with the wall clock.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Arc::new(SystemClock), Arc::new(TestProcessor::default())).await
    }

    /// Builds with `clock` and `acquirer` as the processor of merchants with no account of
    /// their own (tests put a faulty one in its place).
    pub async fn build_with(
        config: Config,
        clock: Arc<dyn Clock>,
        acquirer: impl Into<Acquirer>,
    ) -> anyhow::Result<Self> {
        let processor = acquirer.into();
        config.check()?;
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr()?;
        let services = services_with(&config, config.public_url_for(address), clock, processor).await?;
        let redis = match &config.redis_url {
            Some(url) => Some(Arc::new(RedisLink::on_request_path(url)?)),
            None => None,
        };
        let (throttle, budget) = throttles(&config, &services, redis.clone());
        let persisted = Arc::new(PersistedQueries::new(
            services.core.clone(),
            redis.map(|link| (link, config.throttle.redis_prefix.clone())),
            config.limits.persisted_only,
        ));
        let schema = graphql::build_schema(services.clone(), &config.limits, budget);
        // Zero leaves the relay, sweeper and renewals to other instances (or, in tests that
        // count statements, to nobody): their passes would land inside the count.
        if config.live.background_interval_ms > 0 {
            let interval = std::time::Duration::from_millis(config.live.background_interval_ms);
            services.spawn_background(interval);
            services.deliveries.spawn(interval);
            if config.redis_url.is_none() {
                services.keys.spawn_watch(KEY_WATCH_EVERY);
            }
        }
        let state = AppState::new(http::Shared {
            live_executor: graphql::live_exec::LiveExecutor::new(
                schema.clone(),
                services.clone(),
                config.limits.max_query_bytes,
            ),
            schema,
            services: Arc::new(services.clone()),
            limits: Arc::new(config.limits.clone()),
            live: Arc::new(config.live.clone()),
            sockets: Arc::default(),
            subscriptions: Arc::default(),
            trust_proxy: config.trust_proxy,
            throttle,
            persisted,
            parsed: Default::default(),
            graphiql: config.serves_graphiql(),
            metrics_token: config.metrics_token.clone().filter(|t| !t.is_empty()),
        });
        let connection_limits = http::server::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(config.transport.header_timeout_seconds.max(1)),
            max_connections: config.transport.max_connections,
        };
        let metrics = match config.metrics_listen {
            Some(at) => {
                let listener = TcpListener::bind(at).await.with_context(|| format!("binding {at} for /metrics"))?;
                Some((listener, http::metrics_router(state.clone())))
            }
            None => None,
        };
        let router = http::router(state, &config.transport, metrics.is_none());
        let production = config.production();
        Ok(Application { listener, address, router, services, connection_limits, metrics, production })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Where `/metrics` is served, when on an address of its own.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    pub fn production(&self) -> bool {
        self.production
    }

    fn serve_metrics(&mut self) {
        if let Some((listener, router)) = self.metrics.take() {
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        self.serve_metrics();
        http::server::serve(self.listener, self.router, self.connection_limits, shutdown_signal()).await?;
        Ok(())
    }

    /// Serves until the process ends (tests, which drop the runtime instead of signalling).
    pub async fn run(mut self) -> anyhow::Result<()> {
        self.serve_metrics();
        http::server::serve(self.listener, self.router, self.connection_limits, std::future::pending()).await?;
        Ok(())
    }
}

/// Connects and migrates the database and starts the bus: everything but the server.
pub async fn services(config: &Config, public_url: String) -> anyhow::Result<Services> {
    services_with(config, public_url, Arc::new(SystemClock), Arc::new(TestProcessor::default()).into()).await
}

/// The processor of merchants with no account of their own.
pub enum Acquirer {
    /// The built-in test processor: it keeps its books in paygraph's database.
    Test(Arc<TestProcessor>),
    /// Another (a test's faulty one), taken as it is.
    Other(Arc<dyn Processor>),
}

impl From<Arc<TestProcessor>> for Acquirer {
    fn from(processor: Arc<TestProcessor>) -> Self {
        Acquirer::Test(processor)
    }
}

impl From<Arc<dyn Processor>> for Acquirer {
    fn from(processor: Arc<dyn Processor>) -> Self {
        Acquirer::Other(processor)
    }
}

async fn services_with(
    config: &Config,
    public_url: String,
    clock: Arc<dyn Clock>,
    acquirer: Acquirer,
) -> anyhow::Result<Services> {
    let metrics = Arc::new(Metrics::default());
    Metrics::keep_up(&metrics);
    let db = storage::connect(&config.database_url, metrics.clone()).await?;
    storage::migrate(&db).await?;
    let processor: Arc<dyn Processor> = match acquirer {
        Acquirer::Test(test) => {
            test.keep_in(db.clone());
            test
        }
        Acquirer::Other(other) => other,
    };
    let hub = Hub::new(metrics.clone());
    let bus: Arc<dyn EventBus> = match &config.redis_url {
        Some(url) => RedisBus::start(url, hub.clone(), Duration::from_millis(config.redis_heartbeat_ms.max(10)))?,
        None => Arc::new(InProcessBus::new(hub.clone())),
    };
    let fingerprint_key = vault::fingerprint_key(&db, config.fingerprint_key.as_deref()).await?;
    let secrets_key = crate::service::processor_accounts::secrets_key(&db, config.secrets_key.as_deref()).await?;
    let stripe = StripeSettings {
        api_base: config.stripe_api_base.clone(),
        timeout: Duration::from_millis(config.stripe_timeout_ms.max(1)),
    };
    let processors = Arc::new(Processors::new(processor, db.clone(), secrets_key, stripe, metrics.clone())?);
    let origins = Arc::new(Origins::new(db.clone(), &config.cors_origins, config.production())?);
    origins.reload().await?;
    Ok(Services::new(Dependencies {
        db,
        bus,
        hub,
        metrics,
        clock,
        public_url,
        processors,
        fingerprint_key,
        fraud_rules: config.fraud.clone(),
        credential_ttl: std::time::Duration::from_secs(config.auth_cache_seconds),
        origins,
        webhook_loopback_allowed: config.webhook_loopback_allowed(),
        capture_window: chrono::Duration::hours(i64::from(config.capture_window_hours)),
        webhook_config: config.webhooks.clone(),
        audit_retention_days: config.audit_retention_days,
        webhook_client: crate::service::webhooks::delivery::client(
            Duration::from_millis(config.webhooks.timeout_ms),
            config.webhook_loopback_allowed(),
        )?,
    }))
}

/// The rate limits and the query-cost budget, shared through Redis when there is one.
fn throttles(config: &Config, services: &Services, redis: Option<Arc<RedisLink>>) -> (Arc<Throttle>, Arc<CostBudget>) {
    let shared = redis.map(|link| Arc::new(throttle::Redis::new(link, &config.throttle.redis_prefix)));
    let metrics = services.core.metrics.clone();
    let limits = Throttle::new(&config.throttle, shared.clone(), metrics.clone());
    let budget =
        Arc::new(CostBudget::new(config.throttle.cost_bucket, config.throttle.cost_restore_rate, shared, metrics));
    let (idle_limits, idle_budget) = (Arc::downgrade(&limits), Arc::downgrade(&budget));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let (Some(limits), Some(budget)) = (idle_limits.upgrade(), idle_budget.upgrade()) else { return };
            limits.forget_idle();
            budget.forget_full();
        }
    });
    (limits, budget)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
