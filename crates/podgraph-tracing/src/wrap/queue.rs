use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::provider::{ClaimedJob, Job, JobId, QueueStats, WorkQueue};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};

/// A [`WorkQueue`] that records a span per call, following the messaging conventions:
/// `enqueue` is a producer span (`messaging.operation.type` `send`), `claim` a client
/// span of type `receive`, `ack` and `fail` client spans of type `settle`.
///
/// Attributes: `messaging.system` and `messaging.destination.name` as given,
/// `messaging.operation.name`, `messaging.message.id` (queue-assigned ids only) and
/// `messaging.batch.message_count` for claims. Job payloads, keys and failure reasons are
/// never recorded.
#[derive(Debug)]
pub struct TracedWorkQueue<Q: ?Sized> {
    inner: Arc<Q>,
    system: String,
    destination: Option<String>,
}

impl<Q: ?Sized> TracedWorkQueue<Q> {
    /// Wraps `inner`; `system` is the `messaging.system` value (`redis`, `memory`).
    pub fn new(inner: Arc<Q>, system: impl Into<String>) -> Self {
        Self {
            inner,
            system: system.into(),
            destination: None,
        }
    }

    /// Sets `messaging.destination.name`, such as the stream name.
    #[must_use]
    pub fn with_destination(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }

    /// Returns the wrapped queue.
    pub fn inner(&self) -> &Arc<Q> {
        &self.inner
    }

    fn annotate(&self, span: Span, operation: &'static str, kind: Option<&'static str>) -> Span {
        span.set_attribute(attr::MESSAGING_SYSTEM, self.system.clone());
        span.set_attribute(attr::MESSAGING_OPERATION_NAME, operation);
        if let Some(kind) = kind {
            span.set_attribute(attr::MESSAGING_OPERATION_TYPE, kind);
        }
        if let Some(destination) = &self.destination {
            span.set_attribute(attr::MESSAGING_DESTINATION_NAME, destination.clone());
        }
        span
    }
}

#[async_trait]
impl<Q: WorkQueue + ?Sized> WorkQueue for TracedWorkQueue<Q> {
    async fn enqueue(&self, job: &Job) -> ProviderResult<JobId> {
        let span = self.annotate(
            provider_span!(name::QUEUE_ENQUEUE, "producer"),
            "enqueue",
            Some("send"),
        );
        let result = run(&span, self.inner.enqueue(job)).await;
        if let Ok(id) = &result {
            span.set_attribute(attr::MESSAGING_MESSAGE_ID, id.0.clone());
        }
        result
    }

    async fn claim(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> ProviderResult<Vec<ClaimedJob>> {
        let span = self.annotate(
            provider_span!(name::QUEUE_CLAIM, "client"),
            "claim",
            Some("receive"),
        );
        let result = run(&span, self.inner.claim(consumer, max, lease)).await;
        if let Ok(jobs) = &result {
            set_len(&span, attr::MESSAGING_BATCH_MESSAGE_COUNT, jobs.len());
        }
        result
    }

    async fn ack(&self, id: &JobId) -> ProviderResult<()> {
        let span = self.annotate(
            provider_span!(name::QUEUE_ACK, "client"),
            "ack",
            Some("settle"),
        );
        span.set_attribute(attr::MESSAGING_MESSAGE_ID, id.0.clone());
        run(&span, self.inner.ack(id)).await
    }

    async fn fail(&self, job: &ClaimedJob, reason: &str) -> ProviderResult<()> {
        let span = self.annotate(
            provider_span!(name::QUEUE_FAIL, "client"),
            "fail",
            Some("settle"),
        );
        span.set_attribute(attr::MESSAGING_MESSAGE_ID, job.id.0.clone());
        run(&span, self.inner.fail(job, reason)).await
    }

    async fn stats(&self) -> ProviderResult<QueueStats> {
        let span = self.annotate(provider_span!(name::QUEUE_STATS, "client"), "stats", None);
        run(&span, self.inner.stats()).await
    }
}
