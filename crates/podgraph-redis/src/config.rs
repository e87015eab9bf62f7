//! [`RedisConfig`]: where the Redis server is and how long each call may take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings shared by the Redis cache, queue and SLO state store (the `[redis]` section
/// of `podgraph.toml`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Server URL, `redis://[user:password@]host:port[/db]` or `rediss://` for TLS.
    /// `None` leaves Redis unused; there is no default server.
    pub url: Option<String>,
    /// Prefix of every key, so that several deployments can share one server.
    pub key_prefix: String,
    /// Time allowed to open a connection, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Time allowed for the server's reply to one command, in milliseconds.
    pub response_timeout_ms: u64,
    /// Time allowed for one whole call, reconnection included, in milliseconds.
    pub operation_timeout_ms: u64,
    /// Work queue settings.
    pub queue: QueueConfig,
    /// Cache settings.
    pub cache: CacheConfig,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "podgraph".to_owned(),
            connect_timeout_ms: 1_000,
            response_timeout_ms: 1_000,
            operation_timeout_ms: 3_000,
            queue: QueueConfig::default(),
            cache: CacheConfig::default(),
        }
    }
}

impl RedisConfig {
    /// Creates a configuration for the server at `url`, other settings at their defaults.
    pub fn with_url(url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms.max(1))
    }

    /// Time allowed for one reply.
    pub fn response_timeout(&self) -> Duration {
        Duration::from_millis(self.response_timeout_ms.max(1))
    }

    /// Time allowed for one call.
    pub fn operation_timeout(&self) -> Duration {
        Duration::from_millis(self.operation_timeout_ms.max(1))
    }
}

/// The `[redis.queue]` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Queue name, part of the stream's key.
    pub name: String,
    /// Consumer group shared by all workers of the queue.
    pub group: String,
    /// Deliveries per job before it moves to the dead-letter stream.
    pub max_attempts: u32,
    /// Entries kept in the dead-letter stream; older ones are trimmed.
    pub max_dead_letters: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            name: "episodes".to_owned(),
            group: "workers".to_owned(),
            max_attempts: 5,
            max_dead_letters: 10_000,
        }
    }
}

/// The `[redis.cache]` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Largest value stored, in bytes; larger values are not cached.
    pub max_value_bytes: usize,
    /// Minimum time between two warnings about a failing cache, in seconds. Failures in
    /// between are only counted.
    pub warn_interval_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_value_bytes: 8 * 1024 * 1024,
            warn_interval_secs: 60,
        }
    }
}

/// Returns `url` with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or("", |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_password() {
        assert_eq!(
            redact_url("redis://user:secret@127.0.0.1:6379/2"),
            "redis://user:***@127.0.0.1:6379/2"
        );
        assert_eq!(
            redact_url("redis://:secret@localhost"),
            "redis://:***@localhost"
        );
    }

    #[test]
    fn redact_url_keeps_urls_without_credentials() {
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn config_parses_from_toml_shape() {
        let config: RedisConfig = serde_json::from_value(serde_json::json!({
            "url": "redis://127.0.0.1:7000",
            "queue": { "max_attempts": 3 }
        }))
        .unwrap();
        assert_eq!(config.url.as_deref(), Some("redis://127.0.0.1:7000"));
        assert_eq!(config.queue.max_attempts, 3);
        assert_eq!(config.queue.group, "workers");
    }
}
