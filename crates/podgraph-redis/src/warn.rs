//! [`FailureLog`]: counts backend failures and logs at most one warning per interval.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics::Label;
use podgraph_core::ProviderError;
use podgraph_metrics::catalogue::{CACHE_BACKEND_ERRORS, label};

/// Records each failure of a fail-open call as a metric and logs a warning at most once
/// per interval, with the number of failures since the previous warning.
#[derive(Debug)]
pub(crate) struct FailureLog {
    interval: Duration,
    last_warning: Mutex<Option<Instant>>,
    unreported: AtomicU64,
}

impl FailureLog {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_warning: Mutex::new(None),
            unreported: AtomicU64::new(0),
        }
    }

    /// Counts `error` in `podgraph_cache_backend_errors_total` and logs it unless a
    /// warning was logged less than one interval ago.
    pub(crate) fn record(&self, target: &str, error: &ProviderError) {
        CACHE_BACKEND_ERRORS
            .counter(vec![
                Label::new(label::PROVIDER, "redis"),
                Label::new(label::OPERATION, error.operation()),
                Label::new(label::ERROR_KIND, error.kind().as_str()),
            ])
            .increment(1);
        let failures = self.unreported.fetch_add(1, Ordering::Relaxed) + 1;

        let now = Instant::now();
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|last| now.duration_since(last) < self.interval) {
            return;
        }
        *last = Some(now);
        drop(last);
        self.unreported.store(0, Ordering::Relaxed);
        tracing::warn!(
            target: "podgraph::redis",
            server = target,
            operation = error.operation(),
            error_kind = error.kind().as_str(),
            failures,
            "redis cache unavailable, serving misses: {error}"
        );
    }
}
