//! [`RedisConnection`]: one multiplexed, self-reconnecting connection with a timeout on
//! every call, shared by the cache and the queue.

use std::sync::Arc;
use std::time::Duration;

use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, FromRedisValue};

use crate::config::{RedisConfig, redact_url};

/// Reconnection attempts the connection manager makes after a dropped connection before
/// it gives up until the next call.
const RECONNECT_RETRIES: usize = 2;
/// Maximum wait between two reconnection attempts.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);

/// A connection to one Redis server.
///
/// Cloning is cheap and every clone shares the same multiplexed connection. When the
/// connection drops, the next call reconnects in the background, and calls made
/// meanwhile fail with `Unavailable`. Three timeouts bound each call. The connect
/// timeout limits opening a connection and the response timeout limits waiting for one
/// reply. The operation timeout limits the whole call, so a stopped server never blocks
/// a caller for longer than that.
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
    operation_timeout: Duration,
    target: Arc<str>,
    key_prefix: Arc<str>,
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("target", &self.target)
            .field("operation_timeout", &self.operation_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Prepares a connection without contacting the server; the first call connects.
    /// Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// `InvalidInput` when the configuration has no URL or the URL is malformed.
    pub fn lazy(config: &RedisConfig) -> ProviderResult<Self> {
        let url = config.url.as_deref().ok_or_else(|| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                "redis.connect",
                "no Redis URL configured; set `url` in the [redis] section or REDIS_URL",
            )
        })?;
        let target: Arc<str> = Arc::from(redact_url(url));
        let client = Client::open(url).map_err(|error| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                "redis.connect",
                format!("invalid Redis URL {target}: {error}"),
            )
        })?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout()))
            .set_response_timeout(Some(config.response_timeout()))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(RECONNECT_MAX_DELAY);
        let manager = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|error| map_error("redis.connect", &target, error))?;
        Ok(Self {
            manager,
            operation_timeout: config.operation_timeout(),
            target,
            key_prefix: Arc::from(config.key_prefix.as_str()),
        })
    }

    /// Connects and checks the server with `PING`.
    ///
    /// # Errors
    /// `InvalidInput` for a missing or malformed URL, `Unavailable` or `Timeout` when the
    /// server cannot be reached.
    pub async fn connect(config: &RedisConfig) -> ProviderResult<Self> {
        let connection = Self::lazy(config)?;
        connection.ping().await?;
        Ok(connection)
    }

    /// Sends `PING`.
    ///
    /// # Errors
    /// `Unavailable` or `Timeout` when the server does not reply.
    pub async fn ping(&self) -> ProviderResult<()> {
        let _: String = self.query("redis.ping", &redis::cmd("PING")).await?;
        Ok(())
    }

    /// Returns the server URL with any password hidden.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Prefix of every key this connection's users write.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Runs one command within the operation timeout.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        operation: &'static str,
        command: &redis::Cmd,
    ) -> ProviderResult<T> {
        let mut manager = self.manager.clone();
        let call = command.query_async::<T>(&mut manager);
        self.bounded(operation, call).await
    }

    /// Runs a Lua script within the operation timeout; the script is sent once and then
    /// called by its hash.
    pub(crate) async fn invoke<T: FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> ProviderResult<T> {
        let mut manager = self.manager.clone();
        let call = invocation.invoke_async::<T>(&mut manager);
        self.bounded(operation, call).await
    }

    async fn bounded<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> ProviderResult<T> {
        match tokio::time::timeout(self.operation_timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(map_error(operation, &self.target, error)),
            Err(_) => Err(ProviderError::new(
                ErrorKind::Timeout,
                operation,
                format!(
                    "redis server {} did not answer within {} ms",
                    self.target,
                    self.operation_timeout.as_millis()
                ),
            )),
        }
    }
}

/// Maps a client error to a provider error whose kind tells the caller whether a retry
/// can help.
pub(crate) fn map_error(
    operation: &'static str,
    target: &str,
    error: redis::RedisError,
) -> ProviderError {
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else if error.is_io_error() || error.is_connection_refusal() || error.is_connection_dropped()
    {
        ErrorKind::Unavailable
    } else {
        match error.kind() {
            redis::ErrorKind::AuthenticationFailed
            | redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm) => {
                ErrorKind::PermissionDenied
            }
            // A server still loading its data after a restart, or a cluster moving slots.
            redis::ErrorKind::Server(
                redis::ServerErrorKind::BusyLoading
                | redis::ServerErrorKind::TryAgain
                | redis::ServerErrorKind::ClusterDown,
            ) => ErrorKind::Unavailable,
            redis::ErrorKind::InvalidClientConfig => ErrorKind::InvalidInput,
            _ => ErrorKind::Unexpected,
        }
    };
    ProviderError::new(kind, operation, format!("redis server {target}: {error}"))
}
