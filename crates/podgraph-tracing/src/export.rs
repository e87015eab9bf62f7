//! The export path around the SDK's batch span processor: counting, redaction, rate-limited
//! warnings and the runtime that drives the gRPC client.
//!
//! ```text
//! span ends -> ExportProcessor (rename fields, redact, count submitted)
//!           -> BatchSpanProcessor (queue, own thread)
//!           -> CountingExporter (count exported / failed, warn) -> [InRuntime] -> OTLP exporter
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

use crate::names::attribute_for_field;
use crate::redact::{MASK, is_secret_name, redact_text};

/// Span counts of the trace export.
///
/// `submitted` counts sampled spans handed to the batch processor, `exported` the spans
/// the collector accepted and `failed` the spans of export requests that failed (collector
/// unreachable, timed out or rejecting). Failed spans are not retried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Sampled spans handed to the batch processor.
    pub submitted: u64,
    /// Spans accepted by the collector.
    pub exported: u64,
    /// Spans of failed export requests.
    pub failed: u64,
}

impl ExportStats {
    /// Spans that did not reach the collector: failed exports plus spans discarded
    /// because the queue was full. Before shutdown it also counts spans still waiting in
    /// the queue, so it is exact only after the tracer provider is shut down.
    pub fn dropped(&self) -> u64 {
        self.submitted.saturating_sub(self.exported)
    }
}

/// Counters of one tracer provider; every update also goes to the process-wide totals.
#[derive(Debug, Default)]
pub(crate) struct ExportCounters {
    submitted: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
}

static PROCESS_TOTALS: ExportCounters = ExportCounters {
    submitted: AtomicU64::new(0),
    exported: AtomicU64::new(0),
    failed: AtomicU64::new(0),
};

/// Span counts of every tracer provider this process started, for `podgraph doctor`,
/// metrics and the shutdown summary. A single provider's counts are on
/// [`crate::TelemetryGuard::export_stats`].
pub fn export_stats() -> ExportStats {
    PROCESS_TOTALS.snapshot()
}

impl ExportCounters {
    pub(crate) fn snapshot(&self) -> ExportStats {
        ExportStats {
            submitted: self.submitted.load(Ordering::Relaxed),
            exported: self.exported.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    fn add_submitted(&self, count: u64) {
        self.submitted.fetch_add(count, Ordering::Relaxed);
        PROCESS_TOTALS.submitted.fetch_add(count, Ordering::Relaxed);
    }

    fn add_exported(&self, count: u64) {
        self.exported.fetch_add(count, Ordering::Relaxed);
        PROCESS_TOTALS.exported.fetch_add(count, Ordering::Relaxed);
    }

    fn add_failed(&self, count: u64) {
        self.failed.fetch_add(count, Ordering::Relaxed);
        PROCESS_TOTALS.failed.fetch_add(count, Ordering::Relaxed);
    }
}

/// Logs a warning at most once per interval and counts the ones it held back.
#[derive(Debug)]
pub(crate) struct RateLimitedWarning {
    interval: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl RateLimitedWarning {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Returns the number of warnings held back since the last one when a warning may be
    /// logged now, or `None` when it must be held back.
    pub(crate) fn permit(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let due = last.is_none_or(|at| at.elapsed() >= self.interval);
        if due {
            *last = Some(Instant::now());
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// Wraps the OTLP exporter: counts exported and failed spans and logs failures at a
/// limited rate. Failures are returned to the batch processor, which drops the batch.
#[derive(Debug)]
pub(crate) struct CountingExporter<E> {
    inner: E,
    counters: Arc<ExportCounters>,
    warning: RateLimitedWarning,
    /// Collector URL with credentials removed, shown in the warning.
    endpoint: String,
}

impl<E> CountingExporter<E> {
    pub(crate) fn new(
        inner: E,
        counters: Arc<ExportCounters>,
        warning_interval: Duration,
        endpoint: String,
    ) -> Self {
        Self {
            inner,
            counters,
            warning: RateLimitedWarning::new(warning_interval),
            endpoint,
        }
    }
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        let result = self.inner.export(batch).await;
        match &result {
            Ok(()) => self.counters.add_exported(count),
            Err(error) => {
                self.counters.add_failed(count);
                if let Some(suppressed) = self.warning.permit() {
                    let stats = self.counters.snapshot();
                    tracing::warn!(
                        target: "podgraph::tracing",
                        endpoint = %self.endpoint,
                        error = %redact_text(&error.to_string()),
                        spans = count,
                        failed_total = stats.failed,
                        suppressed_warnings = suppressed,
                        "could not export spans to the collector; they are dropped"
                    );
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&mut self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&mut self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Runs an exporter's futures inside a tokio runtime of its own.
///
/// The batch processor polls export futures on its plain thread with a minimal executor,
/// but the tonic client needs a tokio context for its timers and connection task. Entering
/// a dedicated runtime on every poll provides one. Because that runtime is not the
/// application's, shutting down from a `current_thread` runtime cannot deadlock.
#[derive(Debug)]
pub(crate) struct InRuntime<E> {
    inner: E,
    handle: tokio::runtime::Handle,
}

impl<E> InRuntime<E> {
    pub(crate) fn new(inner: E, handle: tokio::runtime::Handle) -> Self {
        Self { inner, handle }
    }
}

impl<E: SpanExporter> SpanExporter for InRuntime<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let handle = self.handle.clone();
        let mut future = {
            let _entered = handle.enter();
            Box::pin(self.inner.export(batch))
        };
        std::future::poll_fn(move |context| {
            let _entered = handle.enter();
            future.as_mut().poll(context)
        })
    }

    fn shutdown_with_timeout(&mut self, timeout: Duration) -> OTelSdkResult {
        let _entered = self.handle.enter();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&mut self) -> OTelSdkResult {
        let _entered = self.handle.enter();
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The span processor installed on the tracer provider: it renames log-style fields to
/// attribute keys, removes secrets from attribute values, counts the span and hands it to
/// the batch processor.
#[derive(Debug)]
pub(crate) struct ExportProcessor<P> {
    inner: P,
    counters: Arc<ExportCounters>,
}

impl<P> ExportProcessor<P> {
    pub(crate) fn new(inner: P, counters: Arc<ExportCounters>) -> Self {
        Self { inner, counters }
    }
}

impl<P: SpanProcessor> SpanProcessor for ExportProcessor<P> {
    fn on_start(&self, span: &mut Span, context: &Context) {
        self.inner.on_start(span, context);
    }

    fn on_end(&self, mut span: SpanData) {
        sanitize_span(&mut span);
        if span.span_context.is_sampled() {
            self.counters.add_submitted(1);
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Renames and redacts the attributes of a span and of its events, and redacts the
/// status description.
pub(crate) fn sanitize_span(span: &mut SpanData) {
    sanitize_attributes(&mut span.attributes);
    for event in span.events.events.iter_mut() {
        sanitize_attributes(&mut event.attributes);
    }
    if let opentelemetry::trace::Status::Error { description } = &mut span.status {
        if let std::borrow::Cow::Owned(redacted) = redact_text(description) {
            *description = redacted.into();
        }
    }
}

fn sanitize_attributes(attributes: &mut [KeyValue]) {
    for attribute in attributes.iter_mut() {
        let renamed = attribute_for_field(attribute.key.as_str());
        if renamed != attribute.key.as_str() {
            attribute.key = opentelemetry::Key::from(renamed.to_owned());
        }
        if is_secret_name(attribute.key.as_str()) {
            attribute.value = Value::from(MASK);
        } else if let Some(redacted) = redact_value(&attribute.value) {
            attribute.value = redacted;
        }
    }
}

fn redact_value(value: &Value) -> Option<Value> {
    match value {
        Value::String(text) => match redact_text(text.as_str()) {
            std::borrow::Cow::Owned(redacted) => Some(Value::from(redacted)),
            std::borrow::Cow::Borrowed(_) => None,
        },
        Value::Array(opentelemetry::Array::String(items)) => {
            let redacted: Vec<_> = items
                .iter()
                .map(|item| redact_text(item.as_str()).into_owned().into())
                .collect();
            (redacted != *items).then_some(Value::Array(opentelemetry::Array::String(redacted)))
        }
        _ => None,
    }
}

/// Returns whether a `tracing` target belongs to the export machinery (HTTP, gRPC and SDK
/// crates). Their spans are never exported, because exporting them would create more
/// spans on every export.
pub(crate) fn is_exporter_internal(target: &str) -> bool {
    const INTERNAL: &[&str] = &[
        "h2",
        "hyper",
        "hyper_util",
        "tonic",
        "tower",
        "reqwest",
        "rustls",
        "want",
        "mio",
        "opentelemetry",
        "opentelemetry_sdk",
        "opentelemetry_otlp",
        "opentelemetry-otlp",
    ];
    INTERNAL.iter().any(|crate_name| {
        target
            .strip_prefix(crate_name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_is_rate_limited_and_counts_suppressed() {
        let warning = RateLimitedWarning::new(Duration::from_secs(3_600));
        assert_eq!(warning.permit(), Some(0));
        assert_eq!(warning.permit(), None);
        assert_eq!(warning.permit(), None);

        let expired = RateLimitedWarning::new(Duration::ZERO);
        assert_eq!(expired.permit(), Some(0));
        assert_eq!(expired.permit(), Some(0));
    }

    #[test]
    fn dropped_is_submitted_minus_exported() {
        let stats = ExportStats {
            submitted: 10,
            exported: 7,
            failed: 2,
        };
        assert_eq!(stats.dropped(), 3);
    }

    #[test]
    fn attributes_are_renamed_and_redacted() {
        let mut attributes = vec![
            KeyValue::new("episode_id", "e1"),
            KeyValue::new("api_key", "k"),
            KeyValue::new("url.full", "https://u:pw@host/x"),
            KeyValue::new("segments.count", 3_i64),
        ];
        sanitize_attributes(&mut attributes);
        assert_eq!(attributes[0].key.as_str(), "episode.id");
        assert_eq!(attributes[1].value.as_str(), MASK);
        assert_eq!(attributes[2].value.as_str(), "https://host/x");
        assert_eq!(attributes[3].value, Value::I64(3));
    }

    #[test]
    fn exporter_internal_targets() {
        assert!(is_exporter_internal("hyper::client"));
        assert!(is_exporter_internal("h2"));
        assert!(is_exporter_internal("opentelemetry_sdk"));
        assert!(!is_exporter_internal("hyperfine"));
        assert!(!is_exporter_internal("podgraph::pipeline"));
    }
}
