use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ProviderResult;

/// A cache key: the hex SHA-256 of everything that determines the cached value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CacheKey(String);

impl CacheKey {
    /// Hashes the parts in order, with a separator so that `("ab", "c")` and `("a", "bc")`
    /// give different keys. Use a namespace first, such as `llm/v1`, then the model, the
    /// prompt version and the input.
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        Self(hex)
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key-value cache with expiry, for LLM responses and fetched documents.
///
/// A cache is an optimisation: callers treat every error as a miss, and implementations
/// should keep their own timeouts short.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync {
    /// Returns the value stored under `key`, or `None` when it is missing or expired.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached; callers treat that as a miss.
    async fn get(&self, key: &CacheKey) -> ProviderResult<Option<Bytes>>;

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    ///
    /// A zero `ttl` stores nothing. An empty value is stored and returned as empty.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached or rejects the value (too large).
    async fn set(&self, key: &CacheKey, value: Bytes, ttl: Duration) -> ProviderResult<()>;

    /// Removes `key`. Removing a missing key succeeds.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn delete(&self, key: &CacheKey) -> ProviderResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_separates_parts() {
        let a = CacheKey::from_parts([b"ab".as_slice(), b"c".as_slice()]);
        let b = CacheKey::from_parts([b"a".as_slice(), b"bc".as_slice()]);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 64);
    }
}
