use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::provider::{Cache, CacheKey};

use super::settle;
use crate::catalogue::{CACHE_LOOKUPS, CACHE_OPERATION_DURATION, CACHE_WRITES, label, outcome};

const GET: &str = "cache.get";
const SET: &str = "cache.set";
const DELETE: &str = "cache.delete";

/// A [`Cache`] that counts hits, misses and errors of lookups
/// (`podgraph_cache_lookups_total`), counts writes and deletions
/// (`podgraph_cache_writes_total`) and times every call.
#[derive(Debug)]
pub struct MeteredCache<C> {
    inner: C,
    provider: SharedString,
}

impl<C> MeteredCache<C> {
    /// Wraps `inner`; `provider` names the backend in the `provider` label (`memory`, `redis`).
    pub fn new(inner: C, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    /// The wrapped cache.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Unwraps the cache.
    pub fn into_inner(self) -> C {
        self.inner
    }

    fn record_duration(&self, operation: &'static str, started: Instant) {
        CACHE_OPERATION_DURATION
            .histogram(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OPERATION, operation),
            ])
            .record(started.elapsed().as_secs_f64());
    }

    fn record_write<T>(
        &self,
        operation: &'static str,
        result: &ProviderResult<T>,
        started: Instant,
    ) {
        let outcome = settle(&self.provider, operation, result);
        CACHE_WRITES
            .counter(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OPERATION, operation),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        self.record_duration(operation, started);
    }
}

#[async_trait]
impl<C: Cache> Cache for MeteredCache<C> {
    async fn get(&self, key: &CacheKey) -> ProviderResult<Option<Bytes>> {
        let started = Instant::now();
        let result = self.inner.get(key).await;
        let outcome = match &result {
            Ok(Some(_)) => outcome::HIT,
            Ok(None) => outcome::MISS,
            Err(_) => settle(&self.provider, GET, &result),
        };
        CACHE_LOOKUPS
            .counter(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        self.record_duration(GET, started);
        result
    }

    async fn set(&self, key: &CacheKey, value: Bytes, ttl: Duration) -> ProviderResult<()> {
        let started = Instant::now();
        let result = self.inner.set(key, value, ttl).await;
        self.record_write(SET, &result, started);
        result
    }

    async fn delete(&self, key: &CacheKey) -> ProviderResult<()> {
        let started = Instant::now();
        let result = self.inner.delete(key).await;
        self.record_write(DELETE, &result, started);
        result
    }
}
