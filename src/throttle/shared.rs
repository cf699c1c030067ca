//! The limits every instance shares, in Redis: a GCRA per key and the query-cost buckets,
//! each one Lua script run atomically with Redis's own clock (instances' clocks may differ).

use std::sync::Arc;
use std::time::Duration;

use redis::Script;

use super::Limited;
use crate::bus::RedisLink;

/// GCRA: KEYS[1] holds the theoretical arrival time (ms). ARGV: interval ms, burst, cells.
/// Answers 0 (allowed, spent) or the milliseconds until it would be allowed.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cells = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * cells
local allow_at = new_tat - interval * burst
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, new_tat - now))
return 0
"#;

/// Leaky bucket of points: KEYS[1] is a hash {available, at}. ARGV: size, restore per
/// second, points (negative gives back). A charge larger than what is available is refused
/// and spends nothing. Answers {1 charged | 0 refused, points available after}.
const BUCKET: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local size = tonumber(ARGV[1])
local restore = tonumber(ARGV[2])
local points = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'available', 'at')
local available = tonumber(state[1]) or size
local at = tonumber(state[2]) or now
available = math.min(size, available + (now - at) * restore / 1000)
if points > 0 and points > available then return {0, math.floor(available)} end
available = math.min(size, available - points)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((size - available) * 1000 / math.max(restore, 1)) + 1000)
return {1, math.floor(available)}
"#;

/// The shared store, over one bounded link (see `RedisLink`).
pub struct Redis {
    link: Arc<RedisLink>,
    prefix: String,
    gcra: Script,
    bucket: Script,
}

impl Redis {
    /// Keys are `<prefix>:throttle:...`, over `link` (made with `RedisLink::on_request_path`:
    /// a check that does not answer in time falls back to the local verdict).
    pub fn new(link: Arc<RedisLink>, prefix: &str) -> Self {
        Redis { link, prefix: prefix.to_owned(), gcra: Script::new(GCRA), bucket: Script::new(BUCKET) }
    }

    /// Whether a check failed a moment ago, so Redis is not asked now.
    pub fn resting(&self) -> bool {
        self.link.resting()
    }

    async fn run<T: redis::FromRedisValue>(&self, invocation: redis::ScriptInvocation<'_>) -> anyhow::Result<T> {
        self.link.run(|mut connection| async move { invocation.invoke_async::<T>(&mut connection).await }).await
    }

    /// Spends `cells` of the GCRA `name` (interval per cell, `burst` at once).
    pub async fn gcra(
        &self,
        name: &str,
        interval: Duration,
        burst: u32,
        cells: u32,
    ) -> anyhow::Result<Result<(), Limited>> {
        let key = format!("{}:throttle:{name}", self.prefix);
        let mut invocation = self.gcra.key(key);
        invocation.arg(interval.as_millis().max(1) as u64).arg(burst).arg(cells);
        let wait_ms: u64 = self.run(invocation).await?;
        Ok(if wait_ms == 0 { Ok(()) } else { Err(Limited { retry_after: Duration::from_millis(wait_ms) }) })
    }

    /// Charges `points` to the bucket `name` (negative: gives back); whether it was charged
    /// and what is available after.
    pub async fn bucket(
        &self,
        name: &str,
        size: u64,
        restore_per_second: u64,
        points: i64,
    ) -> anyhow::Result<(bool, u64)> {
        let key = format!("{}:cost:{name}", self.prefix);
        let mut invocation = self.bucket.key(key);
        invocation.arg(size).arg(restore_per_second).arg(points);
        let (charged, available): (i64, i64) = self.run(invocation).await?;
        Ok((charged == 1, available.max(0) as u64))
    }
}
