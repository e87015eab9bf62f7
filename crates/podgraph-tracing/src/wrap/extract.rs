use std::sync::Arc;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::model::{Episode, Extraction, NormalizedTranscript};
use podgraph_core::provider::Extractor;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};

/// An [`Extractor`] that records an internal span per episode.
///
/// Attributes: `podgraph.extractor.version`, `segments.count` of the input and, on
/// success, the counts of entities, mentions, topics, quotes, insights and
/// relationships. Transcript text is never recorded.
#[derive(Debug)]
pub struct TracedExtractor<E: ?Sized> {
    inner: Arc<E>,
}

impl<E: ?Sized> TracedExtractor<E> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<E>) -> Self {
        Self { inner }
    }

    /// Returns the wrapped extractor.
    pub fn inner(&self) -> &Arc<E> {
        &self.inner
    }
}

#[async_trait]
impl<E: Extractor + ?Sized> Extractor for TracedExtractor<E> {
    fn version(&self) -> String {
        self.inner.version()
    }

    async fn extract(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> ProviderResult<Extraction> {
        let span = provider_span!(name::EXTRACTOR_EXTRACT, "internal");
        span.set_attribute(attr::EXTRACTOR_VERSION, self.inner.version());
        set_len(&span, attr::SEGMENTS_COUNT, transcript.segments.len());

        let result = run(&span, self.inner.extract(episode, transcript)).await;
        if let Ok(extraction) = &result {
            set_len(&span, attr::ENTITIES_COUNT, extraction.entities.len());
            set_len(&span, attr::MENTIONS_COUNT, extraction.mentions.len());
            set_len(&span, attr::TOPICS_COUNT, extraction.topics.len());
            set_len(&span, attr::QUOTES_COUNT, extraction.quotes.len());
            set_len(&span, attr::INSIGHTS_COUNT, extraction.insights.len());
            set_len(
                &span,
                attr::RELATIONSHIPS_COUNT,
                extraction.relationships.len(),
            );
        }
        result
    }
}
