use std::time::Instant;

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::model::{Episode, Extraction, NormalizedTranscript};
use podgraph_core::provider::Extractor;

use super::settle;
use crate::catalogue::{EXTRACTOR_DURATION, EXTRACTOR_REQUESTS, label};

const EXTRACT: &str = "extractor.extract";

/// An [`Extractor`] that counts extraction calls by outcome and times them.
#[derive(Debug)]
pub struct MeteredExtractor<E> {
    inner: E,
    provider: SharedString,
}

impl<E> MeteredExtractor<E> {
    /// Wraps `inner`; `provider` names the extractor in the `provider` label (`local`, `llm`).
    pub fn new(inner: E, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    /// The wrapped extractor.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// Unwraps the extractor.
    pub fn into_inner(self) -> E {
        self.inner
    }
}

#[async_trait]
impl<E: Extractor> Extractor for MeteredExtractor<E> {
    fn version(&self) -> String {
        self.inner.version()
    }

    async fn extract(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> ProviderResult<Extraction> {
        let started = Instant::now();
        let result = self.inner.extract(episode, transcript).await;
        let elapsed = started.elapsed();

        let outcome = settle(&self.provider, EXTRACT, &result);
        EXTRACTOR_REQUESTS
            .counter(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        EXTRACTOR_DURATION
            .histogram(vec![Label::new(label::PROVIDER, self.provider.clone())])
            .record(elapsed.as_secs_f64());
        result
    }
}
