use std::sync::Arc;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::model::Transcript;
use podgraph_core::provider::{AudioSource, Transcriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};
use crate::redact::redact_url;

/// A [`Transcriber`] that records a client span per call.
///
/// Attributes: `podgraph.audio.source` (`url` or `bytes`), `url.full` without
/// credentials for URLs, `podgraph.audio.mime_type` and `podgraph.value.size` for bytes,
/// and `cues.count` on success. Audio and text are never recorded.
#[derive(Debug)]
pub struct TracedTranscriber<T: ?Sized> {
    inner: Arc<T>,
}

impl<T: ?Sized> TracedTranscriber<T> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<T>) -> Self {
        Self { inner }
    }

    /// Returns the wrapped transcriber.
    pub fn inner(&self) -> &Arc<T> {
        &self.inner
    }
}

#[async_trait]
impl<T: Transcriber + ?Sized> Transcriber for TracedTranscriber<T> {
    async fn transcribe(&self, audio: &AudioSource) -> ProviderResult<Transcript> {
        let span = provider_span!(name::TRANSCRIBER_TRANSCRIBE, "client");
        match audio {
            AudioSource::Url(url) => {
                span.set_attribute(attr::AUDIO_SOURCE, "url");
                span.set_attribute(attr::URL_FULL, redact_url(url));
            }
            AudioSource::Bytes { data, mime_type } => {
                span.set_attribute(attr::AUDIO_SOURCE, "bytes");
                span.set_attribute(attr::AUDIO_MIME_TYPE, mime_type.clone());
                set_len(&span, attr::VALUE_SIZE, data.len());
            }
        }
        let result = run(&span, self.inner.transcribe(audio)).await;
        if let Ok(transcript) = &result {
            set_len(&span, attr::CUES_COUNT, transcript.cues.len());
        }
        result
    }
}
