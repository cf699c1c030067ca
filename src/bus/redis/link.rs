//! One multiplexed connection to Redis for commands (not pub/sub), shared by the bus's
//! publisher and the shared rate limits. It is made on first use and again after a failure;
//! every command is bounded; after a failure the link rests (fails at once) for a moment, so
//! a Redis that stopped answering holds each request up once, not on every call.

use std::future::Future;
use std::time::{Duration, Instant};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

pub struct RedisLink {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    resting_until: std::sync::Mutex<Option<Instant>>,
    /// The longest a command (with connecting, if need be) may take.
    bound: Duration,
    /// How long the link rests after a failure.
    rest: Duration,
}

/// A command on a request's path waits at most this long.
const REQUEST_PATH_BOUND: Duration = Duration::from_millis(250);
/// After a failure, Redis is not asked for this long: each request would otherwise wait out
/// the bound on a Redis that does not answer.
const REQUEST_PATH_REST: Duration = Duration::from_secs(1);

impl RedisLink {
    /// The link of commands made while a request waits (shared rate limits, persisted
    /// queries): short bound, short rest. Nothing connects until the first command.
    pub fn on_request_path(url: &str) -> redis::RedisResult<Self> {
        Ok(Self::new(redis::Client::open(url)?, REQUEST_PATH_BOUND, REQUEST_PATH_REST))
    }

    pub fn new(client: redis::Client, bound: Duration, rest: Duration) -> Self {
        RedisLink { client, connection: Mutex::new(None), resting_until: std::sync::Mutex::new(None), bound, rest }
    }

    /// Whether a command failed a moment ago, so Redis is not asked now.
    pub fn resting(&self) -> bool {
        self.resting_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|until| Instant::now() < until)
    }

    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut guard = self.connection.lock().await;
        if let Some(connection) = guard.as_ref() {
            return Ok(connection.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.bound))
            .set_response_timeout(Some(self.bound));
        let connection = self.client.get_multiplexed_async_connection_with_config(&config).await?;
        Ok(guard.insert(connection).clone())
    }

    /// Runs `command` on the connection within the bound; on a failure (or a timeout) the
    /// connection is made afresh next time and the link rests.
    pub async fn run<T, F, Fut>(&self, command: F) -> anyhow::Result<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.resting() {
            anyhow::bail!("redis failed a moment ago");
        }
        let attempt = async { command(self.connection().await?).await };
        let error = match tokio::time::timeout(self.bound, attempt).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => anyhow::Error::from(error),
            Err(_) => anyhow::anyhow!("redis did not answer within {:?}", self.bound),
        };
        *self.connection.lock().await = None;
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + self.rest);
        Err(error)
    }
}
