//! Configuration: environment variables with matching command-line flags, nothing required.

use std::net::SocketAddr;

mod sections;

pub use sections::{FraudRules, Limits, LiveConfig, ThrottleConfig, TransportConfig, WebhookConfig};

/// Where paygraph runs: production refuses the defaults that are only safe on a laptop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    #[default]
    Development,
    Production,
}

/// How the service runs. Every field has a default that works on a laptop.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// `production` refuses to start with a fingerprint key kept in the database or with
    /// `/metrics` open to anyone, makes no demo merchant and serves GraphiQL only when
    /// `PAYGRAPH_GRAPHIQL=true`.
    #[arg(long = "env", env = "PAYGRAPH_ENV", value_enum, default_value_t = Environment::Development)]
    pub environment: Environment,

    /// Serve GraphiQL to a browser's GET of `/graphql`; default: on in development, off in
    /// production.
    #[arg(long, env = "PAYGRAPH_GRAPHIQL")]
    pub graphiql: Option<bool>,

    /// Serve `/metrics` on this address only (not on `PAYGRAPH_LISTEN`).
    #[arg(long, env = "PAYGRAPH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Require `Authorization: Bearer <token>` on `/metrics`.
    #[arg(long, env = "PAYGRAPH_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Web origins (`scheme://host[:port]`, comma-separated) whose browser apps may call
    /// `/graphql` and `/vault/cards` with any credential (CORS); each merchant adds its own
    /// with `updateMerchantSettings(input: { allowedOrigins })`.
    #[arg(long, env = "PAYGRAPH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Address to serve on.
    #[arg(long, env = "PAYGRAPH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// SQLite file or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/paygraph.db?mode=rwc")]
    pub database_url: String,

    /// `redis://…` for the live stream shared between instances; unset: in-process bus.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Milliseconds between PINGs on the Redis subscriber connection; one not answered
    /// within as long drops the connection, which is made again and catches up from the log.
    #[arg(long, env = "PAYGRAPH_REDIS_HEARTBEAT_MS", default_value_t = 1_000)]
    pub redis_heartbeat_ms: u64,

    /// Base of `hostedUrl` and payment links; default `http://` + the listen address.
    #[arg(long, env = "PAYGRAPH_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Secret key of card fingerprints (base64url of 64 bytes); unset: one is made on the
    /// first start and kept in the database.
    #[arg(long, env = "PAYGRAPH_FINGERPRINT_KEY", hide_env_values = true)]
    pub fingerprint_key: Option<String>,

    /// Key that seals processor secrets at rest (base64url of 32 bytes, AES-256-GCM);
    /// unset in development: one is made and kept in the database, which production refuses.
    #[arg(long, env = "PAYGRAPH_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,

    /// Base URL of Stripe's API; a local fake stands in for tests.
    #[arg(long, env = "PAYGRAPH_STRIPE_API_BASE", default_value = crate::processor::stripe::api::DEFAULT_API_BASE)]
    pub stripe_api_base: String,

    /// Time Stripe has to answer one request; kept under the 30 s a payment waits for its
    /// processor, so the connector gives up first.
    #[arg(long, env = "PAYGRAPH_STRIPE_TIMEOUT_MS", default_value_t = 20_000)]
    pub stripe_timeout_ms: u64,

    /// Behind a load balancer: take the client's IP from the last `X-Forwarded-For` entry
    /// (the one the balancer added) instead of the TCP peer. Only set it behind one.
    #[arg(long, env = "PAYGRAPH_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Seconds a verified credential is remembered; revocations reach every instance at
    /// once through the bus, so this only bounds a revocation missed while Redis was away.
    /// 0 looks every credential up on every request.
    #[arg(long, env = "PAYGRAPH_AUTH_CACHE_SECONDS", default_value_t = 30)]
    pub auth_cache_seconds: u64,

    /// Hours an authorized payment (`captureMethod: MANUAL`) waits for `capturePayment`
    /// before the background pass voids it: its `captureBefore`. Default 168 (7 days).
    #[arg(long, env = "PAYGRAPH_CAPTURE_WINDOW_HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u32).range(1..=744))]
    pub capture_window_hours: u32,

    /// Days the audit trail keeps an event before pruning it; at least 90 (PCI DSS keeps a
    /// year, three months at hand). Default 365.
    #[arg(long, env = "PAYGRAPH_AUDIT_RETENTION_DAYS", default_value_t = crate::domain::audit::RETENTION_DAYS_DEFAULT,
          value_parser = clap::value_parser!(u32).range(i64::from(crate::domain::audit::RETENTION_DAYS_MIN)..=36_500))]
    pub audit_retention_days: u32,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub fraud: FraudRules,

    #[command(flatten)]
    pub live: LiveConfig,

    #[command(flatten)]
    pub throttle: ThrottleConfig,

    #[command(flatten)]
    pub transport: TransportConfig,

    #[command(flatten)]
    pub webhooks: WebhookConfig,
}

impl Config {
    /// The defaults, as `cargo run` sees them with nothing set.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            environment: Environment::Development,
            graphiql: None,
            metrics_listen: None,
            metrics_token: None,
            cors_origins: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: database_url.into(),
            redis_url: None,
            redis_heartbeat_ms: 1_000,
            public_url: None,
            fingerprint_key: None,
            secrets_key: None,
            stripe_api_base: crate::processor::stripe::api::DEFAULT_API_BASE.to_owned(),
            stripe_timeout_ms: 20_000,
            trust_proxy: false,
            auth_cache_seconds: 30,
            capture_window_hours: 168,
            audit_retention_days: crate::domain::audit::RETENTION_DAYS_DEFAULT,
            limits: Limits::default(),
            fraud: FraudRules::default(),
            live: LiveConfig::default(),
            throttle: ThrottleConfig::default(),
            transport: TransportConfig::default(),
            webhooks: WebhookConfig::default(),
        }
    }

    pub fn production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Whether webhook endpoints may be on loopback: yes in development, in production only
    /// with `PAYGRAPH_WEBHOOK_ALLOW_LOOPBACK=true` (a receiver on the same host).
    pub fn webhook_loopback_allowed(&self) -> bool {
        self.webhooks.allow_loopback.unwrap_or(!self.production())
    }

    /// Whether GraphiQL is served.
    pub fn serves_graphiql(&self) -> bool {
        self.graphiql.unwrap_or(!self.production())
    }

    /// What production refuses; every problem at once, so one restart fixes them all.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.production() {
            return Ok(());
        }
        let mut problems = Vec::new();
        if self.fingerprint_key.is_none() {
            problems.push(
                "set PAYGRAPH_FINGERPRINT_KEY (base64url of 64 random bytes): a key kept in the database \
                 is read by whoever reads the database",
            );
        }
        if self.secrets_key.is_none() {
            problems.push(
                "set PAYGRAPH_SECRETS_KEY (base64url of 32 random bytes): processor keys are sealed under it, \
                 and a key kept in the database is read by whoever reads the database",
            );
        }
        if self.metrics_listen.is_none() && self.metrics_token.as_deref().is_none_or(str::is_empty) {
            problems.push("set PAYGRAPH_METRICS_LISTEN (a separate address) or PAYGRAPH_METRICS_TOKEN for /metrics");
        }
        if self.metrics_token.as_deref().is_some_and(|t| !t.is_empty() && t.len() < 24) {
            problems.push("PAYGRAPH_METRICS_TOKEN must be at least 24 characters");
        }
        if problems.is_empty() {
            return Ok(());
        }
        anyhow::bail!("PAYGRAPH_ENV=production refuses to start:\n  - {}", problems.join("\n  - "))
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }
}
