//! The sections of the configuration, each a group of related settings with its defaults.

/// Bounds of HTTP connections and requests.
#[derive(Clone, Debug, clap::Args)]
pub struct TransportConfig {
    /// Seconds a client has to send a request's headers.
    #[arg(long, env = "PAYGRAPH_HEADER_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_timeout_seconds: u64,
    /// Seconds a request may take, its body included (WebSocket upgrades: until upgraded).
    #[arg(long, env = "PAYGRAPH_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// HTTP connections open at once; past it the next is accepted when one closes.
    #[arg(long, env = "PAYGRAPH_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig { header_timeout_seconds: 10, request_timeout_seconds: 30, max_connections: 10_000 }
    }
}

/// Rate limits, in requests per minute (all of them may come at once, then they refill
/// evenly); 0 turns one off. With `REDIS_URL` every instance spends from the same budget.
#[derive(Clone, Debug, clap::Args)]
pub struct ThrottleConfig {
    /// GraphQL operations per credential.
    #[arg(long = "rate-graphql", env = "PAYGRAPH_RATE_GRAPHQL", default_value_t = 1_200)]
    pub graphql: u32,
    /// GraphQL operations per client IP, whatever the credential.
    #[arg(long = "rate-graphql-ip", env = "PAYGRAPH_RATE_GRAPHQL_IP", default_value_t = 2_400)]
    pub graphql_ip: u32,
    /// WebSocket `connection_init`s per credential.
    #[arg(long = "rate-socket", env = "PAYGRAPH_RATE_SOCKET", default_value_t = 300)]
    pub socket: u32,
    /// WebSocket upgrades per client IP.
    #[arg(long = "rate-socket-ip", env = "PAYGRAPH_RATE_SOCKET_IP", default_value_t = 120)]
    pub socket_ip: u32,
    /// Card tokenizations per client secret (card testing runs through them).
    #[arg(long = "rate-vault", env = "PAYGRAPH_RATE_VAULT", default_value_t = 10)]
    pub vault: u32,
    /// Card tokenizations per secret key (a merchant's server, tokenizing for many customers).
    #[arg(long = "rate-vault-key", env = "PAYGRAPH_RATE_VAULT_KEY", default_value_t = 600)]
    pub vault_key: u32,
    /// Card tokenizations per client IP.
    #[arg(long = "rate-vault-ip", env = "PAYGRAPH_RATE_VAULT_IP", default_value_t = 60)]
    pub vault_ip: u32,
    /// Visits of one payment link (each opens a session).
    #[arg(long = "rate-link", env = "PAYGRAPH_RATE_LINK", default_value_t = 600)]
    pub link: u32,
    /// Payment-link visits per client IP.
    #[arg(long = "rate-link-ip", env = "PAYGRAPH_RATE_LINK_IP", default_value_t = 30)]
    pub link_ip: u32,
    /// Hosted-page requests per session (`/pay/{client_secret}/...`).
    #[arg(long = "rate-page", env = "PAYGRAPH_RATE_PAGE", default_value_t = 120)]
    pub page: u32,
    /// Hosted-page requests per client IP.
    #[arg(long = "rate-page-ip", env = "PAYGRAPH_RATE_PAGE_IP", default_value_t = 600)]
    pub page_ip: u32,
    /// Query-cost points a credential's bucket holds (Shopify's leaky bucket); 0 turns the
    /// budget off. At least `PAYGRAPH_MAX_COMPLEXITY`, or the costliest queries never run.
    #[arg(long = "cost-bucket", env = "PAYGRAPH_COST_BUCKET", default_value_t = 100_000)]
    pub cost_bucket: u64,
    /// Query-cost points restored per second.
    #[arg(long = "cost-restore", env = "PAYGRAPH_COST_RESTORE_RATE", default_value_t = 5_000)]
    pub cost_restore_rate: u64,
    /// Prefix of the keys the shared limits use in Redis (deployments sharing a Redis).
    #[arg(long = "redis-prefix", env = "PAYGRAPH_REDIS_PREFIX", default_value = "paygraph")]
    pub redis_prefix: String,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            graphql: 1_200,
            graphql_ip: 2_400,
            socket: 300,
            socket_ip: 120,
            vault: 10,
            vault_key: 600,
            vault_ip: 60,
            link: 600,
            link_ip: 30,
            page: 120,
            page_ip: 600,
            cost_bucket: 100_000,
            cost_restore_rate: 5_000,
            redis_prefix: "paygraph".into(),
        }
    }
}

/// Subscriptions over WebSocket and the background work that feeds them.
#[derive(Clone, Debug, clap::Args)]
pub struct LiveConfig {
    /// Live subscriptions one WebSocket connection may hold.
    #[arg(long, env = "PAYGRAPH_WS_MAX_SUBSCRIPTIONS", default_value_t = 100)]
    pub max_subscriptions_per_connection: usize,
    /// WebSocket connections one credential may hold on one instance.
    #[arg(long, env = "PAYGRAPH_WS_MAX_CONNECTIONS_PER_KEY", default_value_t = 2_000)]
    pub max_connections_per_key: usize,
    /// WebSocket connections one client IP may hold on one instance.
    #[arg(long, env = "PAYGRAPH_WS_MAX_CONNECTIONS_PER_IP", default_value_t = 200)]
    pub max_connections_per_ip: usize,
    /// Live subscriptions one credential may hold over all its connections on one instance.
    #[arg(long, env = "PAYGRAPH_WS_MAX_SUBSCRIPTIONS_PER_KEY", default_value_t = 5_000)]
    pub max_subscriptions_per_key: usize,
    /// Queries and mutations one connection may run at once.
    #[arg(long, env = "PAYGRAPH_WS_MAX_IN_FLIGHT", default_value_t = 16)]
    pub max_in_flight: usize,
    /// Seconds a connection has to send `connection_init`.
    #[arg(long, env = "PAYGRAPH_WS_INIT_SECONDS", default_value_t = 10)]
    pub init_seconds: u64,
    /// Seconds between server pings; a peer that answers none of two is dropped.
    #[arg(long, env = "PAYGRAPH_WS_PING_SECONDS", default_value_t = 15)]
    pub ping_seconds: u64,
    /// Seconds a connection may stay without any subscription.
    #[arg(long, env = "PAYGRAPH_WS_IDLE_SECONDS", default_value_t = 300)]
    pub idle_seconds: u64,
    /// Milliseconds between passes of the outbox relay, the expiry sweeper and renewals;
    /// 0 runs none of them in this instance (another instance must).
    #[arg(long, env = "PAYGRAPH_BACKGROUND_INTERVAL_MS", default_value_t = 1_000)]
    pub background_interval_ms: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            max_subscriptions_per_connection: 100,
            max_connections_per_key: 2_000,
            max_connections_per_ip: 200,
            max_subscriptions_per_key: 5_000,
            max_in_flight: 16,
            init_seconds: 10,
            ping_seconds: 15,
            idle_seconds: 300,
            background_interval_ms: 1_000,
        }
    }
}

/// Bounds on what one request may ask for.
#[derive(Clone, Debug, clap::Args)]
pub struct Limits {
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "PAYGRAPH_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Largest query complexity: roughly the number of fields the query could return, as a
    /// connection multiplies its children by its page size.
    #[arg(long, env = "PAYGRAPH_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    #[arg(long, env = "PAYGRAPH_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,
    /// Largest query text, in bytes.
    #[arg(long, env = "PAYGRAPH_MAX_QUERY_BYTES", default_value_t = 16 * 1024)]
    pub max_query_bytes: usize,
    /// Most operations in one batched HTTP request.
    #[arg(long, env = "PAYGRAPH_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Run only documents a merchant's read-write key registered as persisted queries (for
    /// locked-down mobile apps); everyone else sends hashes.
    #[arg(long, env = "PAYGRAPH_PERSISTED_ONLY", default_value_t = false, action = clap::ArgAction::Set)]
    pub persisted_only: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 50_000,
            max_aliases: 30,
            max_query_bytes: 16 * 1024,
            max_batch: 10,
            persisted_only: false,
        }
    }
}

/// The fraud rules every charge passes first. Counts are of payment attempts by the same
/// merchant within the window; the attempt that would exceed a limit is blocked.
#[derive(Clone, Debug, clap::Args)]
pub struct FraudRules {
    /// Minutes the velocity rules look back.
    #[arg(long, env = "PAYGRAPH_FRAUD_WINDOW_MINUTES", default_value_t = 10)]
    pub window_minutes: i64,
    /// Attempts with one card (by fingerprint) in the window.
    #[arg(long, env = "PAYGRAPH_FRAUD_CARD_VELOCITY", default_value_t = 5)]
    pub card_velocity: u64,
    /// Attempts from one IP address in the window.
    #[arg(long, env = "PAYGRAPH_FRAUD_IP_VELOCITY", default_value_t = 20)]
    pub ip_velocity: u64,
    /// Attempts by one customer in the window.
    #[arg(long, env = "PAYGRAPH_FRAUD_CUSTOMER_VELOCITY", default_value_t = 10)]
    pub customer_velocity: u64,
    /// The most one payment may be, in minor units of its currency.
    #[arg(long, env = "PAYGRAPH_FRAUD_AMOUNT_CAP", default_value_t = 5_000_000)]
    pub amount_cap: i64,
}

impl Default for FraudRules {
    fn default() -> Self {
        FraudRules {
            window_minutes: 10,
            card_velocity: 5,
            ip_velocity: 20,
            customer_velocity: 10,
            amount_cap: 5_000_000,
        }
    }
}

/// Webhook deliveries: timeouts, retries and how many run at once.
#[derive(Clone, Debug, clap::Args)]
pub struct WebhookConfig {
    /// Milliseconds before the first retry of a failed delivery; each next one waits twice
    /// as long (at most an hour), less a random part of up to half. Retries go on for 3 days.
    #[arg(long, env = "PAYGRAPH_WEBHOOK_RETRY_BASE_MS", default_value_t = 10_000)]
    pub retry_base_ms: u64,
    /// Milliseconds a receiver has to answer a delivery (connecting included).
    #[arg(long, env = "PAYGRAPH_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Deliveries one instance sends at once.
    #[arg(long, env = "PAYGRAPH_WEBHOOK_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Deliveries one instance sends at once to one endpoint.
    #[arg(long, env = "PAYGRAPH_WEBHOOK_ENDPOINT_CONCURRENCY", default_value_t = 4)]
    pub endpoint_concurrency: usize,
    /// Allow endpoints on loopback (`http://127.0.0.1:…`): default on in development, off in
    /// production, where only a single-tenant install whose receiver shares the host wants it.
    #[arg(long = "webhook-allow-loopback", env = "PAYGRAPH_WEBHOOK_ALLOW_LOOPBACK")]
    pub allow_loopback: Option<bool>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retry_base_ms: 10_000,
            timeout_ms: 10_000,
            concurrency: 32,
            endpoint_concurrency: 4,
            allow_loopback: None,
        }
    }
}
