//! [`RedisCache`]: a [`Cache`] on Redis strings with expiry, which treats every Redis
//! failure as a miss.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::provider::{Cache, CacheKey};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

use crate::config::CacheConfig;
use crate::connection::RedisConnection;
use crate::warn::FailureLog;

/// A cache in Redis: one string key per entry, `<prefix>:cache:<key>`, with `PX` expiry.
///
/// The cache fails open. When Redis cannot be reached, times out or returns an error,
/// `get` returns `Ok(None)` and `set` and `delete` return `Ok(())`. Each such failure
/// increments `podgraph_cache_backend_errors_total` and is logged as a warning at most
/// once per `warn_interval_secs`. So a stopped, restarting or overloaded server slows
/// nothing down beyond the operation timeout and never fails an episode. The only error
/// returned is `LimitExceeded` from `set` for a value over `max_value_bytes`.
#[derive(Debug)]
pub struct RedisCache {
    connection: RedisConnection,
    max_value_bytes: usize,
    failures: FailureLog,
}

impl RedisCache {
    /// Creates a cache on `connection`.
    pub fn new(connection: RedisConnection, config: &CacheConfig) -> Self {
        Self {
            connection,
            max_value_bytes: config.max_value_bytes,
            failures: FailureLog::new(Duration::from_secs(config.warn_interval_secs)),
        }
    }

    fn redis_key(&self, key: &CacheKey) -> String {
        format!("{}:cache:{}", self.connection.key_prefix(), key.as_str())
    }

    fn absorb(&self, error: &ProviderError) {
        self.failures.record(self.connection.target(), error);
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &CacheKey) -> ProviderResult<Option<Bytes>> {
        let mut command = redis::cmd("GET");
        command.arg(self.redis_key(key));
        match self
            .connection
            .query::<Option<Vec<u8>>>("cache.get", &command)
            .await
        {
            Ok(value) => Ok(value.map(Bytes::from)),
            Err(error) => {
                self.absorb(&error);
                Ok(None)
            }
        }
    }

    async fn set(&self, key: &CacheKey, value: Bytes, ttl: Duration) -> ProviderResult<()> {
        if ttl.is_zero() {
            return Ok(());
        }
        if value.len() > self.max_value_bytes {
            return Err(ProviderError::new(
                ErrorKind::LimitExceeded,
                "cache.set",
                format!(
                    "value of {} bytes for cache key {} is larger than the maximum of {} bytes",
                    value.len(),
                    key.as_str(),
                    self.max_value_bytes
                ),
            ));
        }
        // Redis rejects expiry times above i64::MAX milliseconds.
        let ttl_ms = u64::try_from(ttl.as_millis())
            .unwrap_or(u64::MAX)
            .clamp(1, i64::MAX as u64);
        let mut command = redis::cmd("SET");
        command
            .arg(self.redis_key(key))
            .arg(value.as_ref())
            .arg("PX")
            .arg(ttl_ms);
        if let Err(error) = self.connection.query::<()>("cache.set", &command).await {
            self.absorb(&error);
        }
        Ok(())
    }

    async fn delete(&self, key: &CacheKey) -> ProviderResult<()> {
        let mut command = redis::cmd("DEL");
        command.arg(self.redis_key(key));
        if let Err(error) = self.connection.query::<u64>("cache.delete", &command).await {
            self.absorb(&error);
        }
        Ok(())
    }
}
