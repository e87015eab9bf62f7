//! [`FixedExtractor`]: an [`Extractor`] that returns a given extraction.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use podgraph_core::model::{Episode, Extraction, NormalizedTranscript};
use podgraph_core::provider::Extractor;
use podgraph_core::{EpisodeId, ErrorKind, ProviderError, ProviderResult};

use crate::store::check_extraction;

/// An [`Extractor`] that returns the same [`Extraction`] for every episode with segments.
///
/// It keeps the extractor contract: a transcript without segments yields an empty
/// extraction, and the returned extraction must keep the provenance contract against the
/// transcript it is called with (evidence in its segments and text, references to listed
/// entities and quotes). An extraction that does not fit fails with `Unexpected`, naming
/// the first offending item, so a test with inconsistent fixtures fails early.
pub struct FixedExtractor {
    version: String,
    extraction: Extraction,
    calls: Mutex<Vec<EpisodeId>>,
}

impl FixedExtractor {
    /// An extractor reporting `version` (for example `fixed/1`) and returning `extraction`.
    pub fn new(version: impl Into<String>, extraction: Extraction) -> Self {
        Self {
            version: version.into(),
            extraction,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Ids of the episodes `extract` was called with, in order.
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
