//! Connection settings of the Neo4j store.

use std::time::Duration;

use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use serde::Deserialize;

/// Environment variable with the Bolt URI, such as `neo4j://127.0.0.1:7687`.
pub const ENV_URI: &str = "NEO4J_URI";
/// Environment variable with the user name.
pub const ENV_USER: &str = "NEO4J_USER";
/// Environment variable with the password.
pub const ENV_PASSWORD: &str = "NEO4J_PASSWORD";
/// Environment variable with the database name.
pub const ENV_DATABASE: &str = "NEO4J_DATABASE";

/// Settings of a [`Neo4jStore`](crate::Neo4jStore).
///
/// Deserialises from the `[db.neo4j]` table of the configuration file, where every field is
/// optional; [`Neo4jConfig::with_env`] then lets `NEO4J_URI`, `NEO4J_USER`,
/// `NEO4J_PASSWORD` and `NEO4J_DATABASE` override the file. `Debug` never prints the
/// password.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Neo4jConfig {
    /// Bolt URI: `bolt://`, `neo4j://` or their `+s`/`+ssc` TLS forms.
    pub uri: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database name; `None` uses the server's default database.
    pub database: Option<String>,
    /// Maximum pooled Bolt connections.
    pub max_connections: usize,
    /// Time allowed to open one connection and to wait for each response, in seconds.
    /// neo4rs applies one limit to both, so a statement that runs longer fails with a
    /// timeout: raise it for large deletes or imports.
    pub connect_timeout_secs: u64,
    /// Rows fetched per round trip when reading results.
    pub fetch_size: usize,
    /// Total time allowed for retrying a transaction after transient errors (deadlocks,
    /// leader switches), in milliseconds. 0 disables retries.
    pub retry_budget_ms: u64,
    /// Rows sent per `UNWIND` statement when writing an episode.
    pub batch_rows: usize,
    /// Routes plain-text connections through a relay on 127.0.0.1 that sends requests
    /// without Nagle's delay, which neo4rs cannot turn off itself (Linux only). Without
    /// it, every request over 8 KiB waits about 40 ms, so writes send smaller batches.
    pub loopback_relay: bool,
}

impl Default for Neo4jConfig {
    fn default() -> Self {
        Self {
            uri: "bolt://127.0.0.1:7687".to_owned(),
            user: "neo4j".to_owned(),
            password: String::new(),
            database: None,
            max_connections: 16,
            connect_timeout_secs: 10,
            fetch_size: 500,
            retry_budget_ms: 30_000,
            batch_rows: 1_000,
            loopback_relay: true,
        }
    }
}

impl std::fmt::Debug for Neo4jConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Neo4jConfig")
            .field("uri", &self.uri)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("database", &self.database)
            .field("max_connections", &self.max_connections)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("fetch_size", &self.fetch_size)
            .field("retry_budget_ms", &self.retry_budget_ms)
            .field("batch_rows", &self.batch_rows)
            .field("loopback_relay", &self.loopback_relay)
            .finish()
    }
}

impl Neo4jConfig {
    /// Reads the settings from the environment only, over the defaults.
    ///
    /// # Errors
    /// `InvalidInput` when `NEO4J_URI` is unset.
    pub fn from_env() -> ProviderResult<Self> {
        if std::env::var_os(ENV_URI).is_none() {
            return Err(ProviderError::new(
                ErrorKind::InvalidInput,
                "store.connect",
                format!(
                    "{ENV_URI} is not set; set it to the Bolt URI of the server, such as bolt://127.0.0.1:7687"
                ),
            ));
        }
        Ok(Self::default().with_env())
    }

    /// Overrides fields with the `NEO4J_*` environment variables that are set and not empty.
    #[must_use]
    pub fn with_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(uri) = var(ENV_URI) {
            self.uri = uri;
        }
        if let Some(user) = var(ENV_USER) {
            self.user = user;
        }
        if let Some(password) = var(ENV_PASSWORD) {
            self.password = password;
        }
        if let Some(database) = var(ENV_DATABASE) {
            self.database = Some(database);
        }
        self
    }

    /// Returns the connect timeout as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    /// Returns the retry budget as a duration.
    pub fn retry_budget(&self) -> Duration {
        Duration::from_millis(self.retry_budget_ms)
    }

    /// Checks the values that the driver would otherwise reject late or use silently.
    pub(crate) fn validate(&self) -> ProviderResult<()> {
        let invalid = |message: String| {
            Err(ProviderError::new(
                ErrorKind::InvalidInput,
                "store.connect",
                message,
            ))
        };
        const SCHEMES: [&str; 6] = [
            "bolt://",
            "bolt+s://",
            "bolt+ssc://",
            "neo4j://",
            "neo4j+s://",
            "neo4j+ssc://",
        ];
        if !SCHEMES.iter().any(|scheme| self.uri.starts_with(scheme)) {
            return invalid(format!(
                "invalid Neo4j URI `{}`; expected bolt://, neo4j:// or their +s/+ssc forms",
                self.uri
            ));
        }
        if self.max_connections == 0 {
            return invalid("max_connections is 0; set at least 1".to_owned());
        }
        if self.fetch_size == 0 || self.batch_rows == 0 {
            return invalid("fetch_size and batch_rows must be at least 1".to_owned());
        }
        if self.connect_timeout_secs == 0 {
            return invalid("connect_timeout_secs is 0; set at least 1".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password() {
        let config = Neo4jConfig {
            password: "hunter22secret".to_owned(),
            ..Neo4jConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter22secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn validate_rejects_http_uri() {
        let config = Neo4jConfig {
            uri: "http://127.0.0.1:7474".to_owned(),
            ..Neo4jConfig::default()
        };
        let error = config.validate().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.message().contains("http://127.0.0.1:7474"));
    }

    #[test]
    fn file_table_accepts_partial_settings() {
        let config: Neo4jConfig =
            serde_json::from_str(r#"{"uri": "neo4j://127.0.0.1:7999", "max_connections": 4}"#)
                .unwrap();
        assert_eq!(config.uri, "neo4j://127.0.0.1:7999");
        assert_eq!(config.max_connections, 4);
        assert_eq!(config.user, "neo4j");
        assert!(config.validate().is_ok());
    }
}
