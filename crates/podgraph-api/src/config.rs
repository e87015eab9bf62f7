//! [`ApiConfig`]: the `[api]` section of `podgraph.toml`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Settings of the HTTP API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Address to listen on. The default is loopback, so that nothing is exposed until
    /// an operator chooses to.
    pub addr: SocketAddr,
    /// API keys. When empty, the API accepts anonymous requests, which
    /// [`ApiConfig::validate`] allows only on a loopback address.
    pub keys: Vec<ApiKeyConfig>,
    /// Requests per key (or per client address for anonymous requests).
    pub rate_limit: RateLimitConfig,
    /// Maximum request body in bytes.
    pub body_limit_bytes: usize,
    /// Time allowed for one request, in seconds.
    pub timeout_secs: u64,
    /// Origins allowed to call the API from a browser (CORS). Empty closes CORS; `*`
    /// allows every origin.
    pub cors_origins: Vec<String>,
    /// Serve `/metrics` without an API key.
    pub metrics_public: bool,
    /// Maximum episodes per podcast that one seeding job may process.
    pub max_episodes_per_job: usize,
    /// Seeding jobs that run at once; later ones wait in the queue.
    pub concurrent_jobs: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            keys: Vec::new(),
            rate_limit: RateLimitConfig::default(),
            body_limit_bytes: 1024 * 1024,
            timeout_secs: 30,
            cors_origins: Vec::new(),
            metrics_public: false,
            max_episodes_per_job: 1000,
            concurrent_jobs: 1,
        }
    }
}

impl ApiConfig {
    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// Whether requests must carry an API key.
    pub fn auth_required(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Adds keys from `PODGRAPH_API_KEYS`: comma-separated `name:secret` pairs whose name
    /// and secret are both non-empty. The secrets are hashed at once.
    ///
    /// # Errors
    /// Returns a message naming the position (from 1) of the first malformed entry and
    /// the expected form; the message never contains a secret. No key is added then.
    pub fn add_env_keys(&mut self, value: &str) -> Result<(), String> {
        let mut parsed = Vec::new();
        let entries = value.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let Some((name, secret)) = entry.split_once(':') else {
                return Err(format!(
                    "PODGRAPH_API_KEYS: entry {position} has no `:` between name and secret; \
                     write each key as `name:secret`, separated by commas"
                ));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(format!(
                    "PODGRAPH_API_KEYS: entry {position} has an empty name; write each key \
                     as `name:secret`, separated by commas"
                ));
            }
            if secret.trim().is_empty() {
                return Err(format!(
                    "PODGRAPH_API_KEYS: entry {position} ({name:?}) has an empty secret; \
                     write each key as `name:secret`, separated by commas"
                ));
            }
            parsed.push(ApiKeyConfig {
                name: name.to_owned(),
                sha256: sha256_hex(secret),
            });
        }
        self.keys.extend(parsed);
        Ok(())
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// Returns a message naming the setting when a key hash is not 64 hex digits, a
    /// limit is zero, or the address is not loopback and no key is configured.
    pub fn validate(&self) -> Result<(), String> {
        for key in &self.keys {
            if key.sha256.len() != 64 || !key.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "api.keys: key {:?} has an invalid sha256; give the SHA-256 of the secret \
                     as 64 hex digits (`printf %s SECRET | sha256sum`)",
                    key.name
                ));
            }
        }
        if self.body_limit_bytes == 0 {
            return Err("api.body_limit_bytes must be at least 1".to_owned());
        }
        if self.timeout_secs == 0 {
            return Err("api.timeout_secs must be at least 1".to_owned());
        }
        if self.concurrent_jobs == 0 {
            return Err("api.concurrent_jobs must be at least 1".to_owned());
        }
        if !(self.rate_limit.per_second.is_finite() && self.rate_limit.per_second > 0.0)
            || self.rate_limit.burst == 0
        {
            return Err(
                "api.rate_limit: per_second must be a positive number and burst at least 1"
                    .to_owned(),
            );
        }
        if !self.addr.ip().is_loopback() && self.keys.is_empty() {
            return Err(format!(
                "api.addr {} is not a loopback address but no API key is configured; set \
                 api.keys or PODGRAPH_API_KEYS, or listen on 127.0.0.1",
                self.addr
            ));
        }
        Ok(())
    }
}

/// One API key, stored as the SHA-256 of its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Name of the key's owner, used in logs and rate limits; never the secret.
    pub name: String,
    /// SHA-256 of the secret, as 64 hex digits.
    pub sha256: String,
}

impl ApiKeyConfig {
    /// A key named `name` for `secret`.
    pub fn from_secret(name: impl Into<String>, secret: &str) -> Self {
        Self {
            name: name.into(),
            sha256: sha256_hex(secret),
        }
    }
}

/// A token bucket per client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Tokens added per second: the sustained request rate.
    pub per_second: f64,
    /// Bucket size: the requests allowed in a burst.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_second: 100.0,
            burst: 200,
        }
    }
}

/// The SHA-256 of `secret` as lowercase hex.
pub fn sha256_hex(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::ApiConfig;

    #[test]
    fn env_keys_accept_named_pairs() {
        let mut config = ApiConfig::default();
        config.add_env_keys(" ci:first , ops:second:part,").unwrap();
        let names: Vec<&str> = config.keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["ci", "ops"]);
        assert!(config.auth_required());
    }

    #[test]
    fn env_keys_reject_malformed_entries() {
        let cases = [
            ("justsecret", "entry 1 has no `:` between name and secret"),
            ("ci:ok,:hidden", "entry 2 has an empty name"),
            ("ci:", "entry 1 (\"ci\") has an empty secret"),
            ("ci:ok,ops:  ", "entry 2 (\"ops\") has an empty secret"),
        ];
        for (value, expected) in cases {
            let mut config = ApiConfig::default();
            let error = config.add_env_keys(value).unwrap_err();
            assert!(error.contains(expected), "{value:?}: {error}");
            assert!(error.contains("`name:secret`"), "{value:?}: {error}");
            assert!(!error.contains("justsecret"), "secret leaked: {error}");
            assert!(!error.contains("hidden"), "secret leaked: {error}");
            assert!(config.keys.is_empty(), "{value:?} added keys");
        }
    }
}
