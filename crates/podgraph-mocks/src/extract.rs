//! [`FixedExtractor`]: an [`Extractor`] that returns a given extraction.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use podgraph_core::model::{Episode, Extraction, NormalizedTranscript};
use podgraph_core::provider::Extractor;
use podgraph_core::{EpisodeId, ErrorKind, ProviderError, ProviderResult};

use crate::store::check_extraction;

/// An [`Extractor`] that returns the same [`Extraction`] for every episode with segments.
///
/// It keeps the extractor contract, so a transcript without segments yields an empty
/// extraction. The returned extraction must also keep the provenance contract against the
/// transcript of the call: evidence in its segments and text, references to listed
/// entities and quotes. An extraction that does not fit fails with `Unexpected` and names
/// the first offending item, so a test with inconsistent fixtures fails early.
pub struct FixedExtractor {
    version: String,
    extraction: Extraction,
    calls: Mutex<Vec<EpisodeId>>,
}

impl FixedExtractor {
    /// Creates an extractor that reports `version` (for example `fixed/1`) and returns
    /// `extraction`.
    pub fn new(version: impl Into<String>, extraction: Extraction) -> Self {
        Self {
            version: version.into(),
            extraction,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Returns the ids of the episodes `extract` was called with, in order.
    pub fn calls(&self) -> Vec<EpisodeId> {
        self.lock_calls().clone()
    }

    // Each call appends in one step, so a poisoned lock still holds a consistent list.
    fn lock_calls(&self) -> MutexGuard<'_, Vec<EpisodeId>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Extractor for FixedExtractor {
    fn version(&self) -> String {
        self.version.clone()
    }

    async fn extract(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> ProviderResult<Extraction> {
        self.lock_calls().push(episode.id);
        if transcript.segments.is_empty() {
            return Ok(Extraction::default());
        }
        check_extraction(transcript, &self.extraction).map_err(|problem| {
            ProviderError::new(
                ErrorKind::Unexpected,
                "extract.episode",
                format!(
                    "fixed extraction does not fit the transcript of episode {}: {problem}",
                    episode.id
                ),
            )
        })?;
        Ok(self.extraction.clone())
    }
}

#[cfg(test)]
mod tests {
    use podgraph_core::model::EntityKind;

    use super::*;
    use crate::builder::EpisodeGraphBuilder;

    fn graph() -> podgraph_core::model::EpisodeGraph {
        EpisodeGraphBuilder::new("Rust Talk", "ep-1")
            .segment("Alice", "Rust is fast.")
            .entity(EntityKind::Product, "Rust")
            .quote("Rust is fast.", 0.5)
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn returns_the_fixed_extraction_and_version() {
        let graph = graph();
        let extractor = FixedExtractor::new("fixed/7", graph.extraction.clone());
        assert_eq!(extractor.version(), "fixed/7");

        let extraction = extractor
            .extract(&graph.episode, &graph.transcript)
            .await
            .unwrap();
        assert_eq!(extraction, graph.extraction);
        assert_eq!(extractor.calls(), [graph.episode.id]);
    }

    #[tokio::test]
    async fn empty_transcript_gives_empty_extraction() {
        let graph = graph();
        let extractor = FixedExtractor::new("fixed/1", graph.extraction.clone());
        let mut empty = graph.transcript.clone();
        empty.segments.clear();
        empty.text.clear();

        let extraction = extractor.extract(&graph.episode, &empty).await.unwrap();
        assert_eq!(extraction, Extraction::default());
    }

    #[tokio::test]
    async fn extraction_from_another_transcript_is_rejected() {
        let graph = graph();
        let other = EpisodeGraphBuilder::new("Rust Talk", "ep-2")
            .segment("Alice", "Something else entirely.")
            .build()
            .unwrap();
        let extractor = FixedExtractor::new("fixed/1", graph.extraction.clone());

        let error = extractor
            .extract(&other.episode, &other.transcript)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unexpected);
        assert!(error.message().contains("not in the transcript"), "{error}");
    }
}
