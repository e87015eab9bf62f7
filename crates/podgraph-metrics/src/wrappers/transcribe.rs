use std::time::Instant;

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::model::Transcript;
use podgraph_core::provider::{AudioSource, Transcriber};

use super::settle;
use crate::catalogue::{TRANSCRIBER_AUDIO_SIZE, TRANSCRIBER_DURATION, TRANSCRIBER_REQUESTS, label};

const TRANSCRIBE: &str = "transcriber.transcribe";

/// A [`Transcriber`] that counts transcription calls by outcome, times them, and records
/// the size of audio passed as bytes.
#[derive(Debug)]
pub struct MeteredTranscriber<T> {
    inner: T,
    provider: SharedString,
}

impl<T> MeteredTranscriber<T> {
    /// Wraps `inner`; `provider` names the service in the `provider` label (`openai`).
    pub fn new(inner: T, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    /// The wrapped transcriber.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Unwraps the transcriber.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

#[async_trait]
impl<T: Transcriber> Transcriber for MeteredTranscriber<T> {
    async fn transcribe(&self, audio: &AudioSource) -> ProviderResult<Transcript> {
        if let AudioSource::Bytes { data, .. } = audio {
            TRANSCRIBER_AUDIO_SIZE
                .histogram(vec![Label::new(label::PROVIDER, self.provider.clone())])
                .record(data.len() as f64);
        }

        let started = Instant::now();
        let result = self.inner.transcribe(audio).await;
        let elapsed = started.elapsed();

        let outcome = settle(&self.provider, TRANSCRIBE, &result);
        TRANSCRIBER_REQUESTS
            .counter(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        TRANSCRIBER_DURATION
            .histogram(vec![Label::new(label::PROVIDER, self.provider.clone())])
            .record(elapsed.as_secs_f64());
        result
    }
}
