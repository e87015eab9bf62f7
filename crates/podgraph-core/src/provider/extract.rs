use async_trait::async_trait;

use crate::error::ProviderResult;
use crate::model::{Episode, Extraction, NormalizedTranscript};

/// Turns a normalised transcript into entities, topics, quotes, insights and relationships.
///
/// Local and LLM implementations return the same types under the same provenance
/// contract: every mention, quote, insight and relationship carries evidence whose span
/// lies inside `transcript.text` and whose segment is one of `transcript.segments`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Extractor: Send + Sync {
    /// Name and version, for example `local/1`. Stored with each episode: a change of
    /// version makes the pipeline extract the episode again.
    fn version(&self) -> String;

    /// Extracts knowledge from one episode.
    ///
    /// An empty transcript yields an empty extraction, not an error. The same input and
    /// version always yield the same output.
    ///
    /// # Errors
    /// Fails when a backing service fails (LLM unreachable, invalid response after retries).
    async fn extract(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> ProviderResult<Extraction>;
}
