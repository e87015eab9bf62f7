use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::ProviderResult;
use podgraph_core::provider::{Cache, CacheKey};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};

/// A [`Cache`] that records a client span per call.
///
/// Attributes: `db.system.name` as given (`redis`, `memory`), `db.operation.name` (`get`,
/// `set`, `delete`), `podgraph.db.statement.kind`, `podgraph.cache.hit` on lookups and
/// `podgraph.value.size` for values read or written. Keys and values are never recorded.
#[derive(Debug)]
pub struct TracedCache<C: ?Sized> {
    inner: Arc<C>,
    system: String,
}

impl<C: ?Sized> TracedCache<C> {
    /// Wraps `inner`; `system` is the `db.system.name` value.
    pub fn new(inner: Arc<C>, system: impl Into<String>) -> Self {
        Self {
            inner,
            system: system.into(),
        }
    }

    /// Returns the wrapped cache.
    pub fn inner(&self) -> &Arc<C> {
        &self.inner
    }

    fn annotate(&self, span: Span, operation: &'static str, write: bool) -> Span {
        span.set_attribute(attr::DB_SYSTEM_NAME, self.system.clone());
        span.set_attribute(attr::DB_OPERATION_NAME, operation);
        span.set_attribute(
            attr::DB_STATEMENT_KIND,
            if write { "write" } else { "read" },
        );
        span
    }
}

#[async_trait]
impl<C: Cache + ?Sized> Cache for TracedCache<C> {
    async fn get(&self, key: &CacheKey) -> ProviderResult<Option<Bytes>> {
        let span = self.annotate(provider_span!(name::CACHE_GET, "client"), "get", false);
        let result = run(&span, self.inner.get(key)).await;
        if let Ok(value) = &result {
            span.set_attribute(attr::CACHE_HIT, value.is_some());
            if let Some(value) = value {
                set_len(&span, attr::VALUE_SIZE, value.len());
            }
        }
        result
    }

    async fn set(&self, key: &CacheKey, value: Bytes, ttl: Duration) -> ProviderResult<()> {
        let span = self.annotate(provider_span!(name::CACHE_SET, "client"), "set", true);
        set_len(&span, attr::VALUE_SIZE, value.len());
        run(&span, self.inner.set(key, value, ttl)).await
    }

    async fn delete(&self, key: &CacheKey) -> ProviderResult<()> {
        let span = self.annotate(provider_span!(name::CACHE_DELETE, "client"), "delete", true);
        run(&span, self.inner.delete(key)).await
    }
}
