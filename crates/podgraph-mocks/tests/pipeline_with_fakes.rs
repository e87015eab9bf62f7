//! The core pipeline runs on the fakes: a stored episode is skipped on the next run, and a
//! failed extraction is recorded without touching the store's subgraph.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::ProviderResult;
use podgraph_core::model::{EntityKind, EpisodeGraph, Extraction};
use podgraph_core::pipeline::{
    CancelToken, EntityResolver, EpisodeJob, EpisodeLoader, Pipeline, PipelineConfig,
    PreparedTranscript, RawTranscript, Stage, StageError,
};
use podgraph_core::provider::{EpisodeStatus, GraphStore};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::store::expected_stats;
use podgraph_mocks::{FixedExtractor, MemoryGraphStore};

/// Serves the transcript and chapters of one prepared graph.
struct GraphLoader {
    graph: EpisodeGraph,
}

#[async_trait]
impl EpisodeLoader for GraphLoader {
    async fn fetch_transcript(
        &self,
        job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        Ok(Some(RawTranscript {
            chapters_json: None,
            location: format!("memory://{}", job.episode.id),
            bytes: Bytes::from(self.graph.transcript.text.clone()),
            content_type: Some("text/vtt".to_owned()),
            language: None,
            hash: self.graph.transcript_hash.clone(),
        }))
    }

    fn prepare(
        &self,
        _job: &EpisodeJob,
        _raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError> {
        Ok(PreparedTranscript {
            transcript: self.graph.transcript.clone(),
            chapters: self.graph.chapters.clone(),
            warnings: Vec::new(),
        })
    }
}

/// Keeps the extractor's entities as they are.
struct KeepEntities;

#[async_trait]
impl EntityResolver for KeepEntities {
    async fn resolve(
        &self,
        extraction: Extraction,
        _store: &dyn GraphStore,
    ) -> ProviderResult<Extraction> {
        Ok(extraction)
    }
}

fn graph() -> EpisodeGraph {
    EpisodeGraphBuilder::new("Rust Talk", "ep-1")
        .segment("Alice", "Tokio is an async runtime for Rust.")
        .segment("Bob", "Rust has great tooling.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Tokio")
        .quote("Rust has great tooling.", 0.8)
        .build()
        .unwrap()
}

fn pipeline(
    store: Arc<MemoryGraphStore>,
    graph: &EpisodeGraph,
    extractor: FixedExtractor,
) -> Pipeline {
    Pipeline::new(
        store,
        Arc::new(GraphLoader {
            graph: graph.clone(),
        }),
        Arc::new(extractor),
        Arc::new(KeepEntities),
        PipelineConfig::default(),
    )
}

fn job(graph: &EpisodeGraph) -> EpisodeJob {
    EpisodeJob {
        podcast: Arc::new(graph.podcast.clone()),
        episode: graph.episode.clone(),
    }
}

#[tokio::test]
async fn stored_episode_is_skipped_on_the_next_run() {
    let graph = graph();
    let store = Arc::new(MemoryGraphStore::new());
    let extractor = FixedExtractor::new(graph.extractor_version.clone(), graph.extraction.clone());
    let pipeline = pipeline(Arc::clone(&store), &graph, extractor);

    let first = pipeline.run(vec![job(&graph)], &CancelToken::new()).await;
    assert_eq!(first.processed, 1, "{:?}", first.failures);
    assert_eq!(store.stats().await.unwrap(), expected_stats([&graph]));
    assert_eq!(store.episode_graph(graph.episode.id), Some(graph.clone()));

    let second = pipeline.run(vec![job(&graph)], &CancelToken::new()).await;
    assert_eq!(second.processed, 0);
    assert_eq!(second.unchanged, 1);
}

#[tokio::test]
async fn failed_extraction_is_recorded_and_keeps_the_subgraph() {
    let graph = graph();
    let store = Arc::new(MemoryGraphStore::new());
    store.write_episode(&graph).await.unwrap();
    let stats = store.stats().await.unwrap();

    // An extraction whose evidence points past the transcript breaks the contract.
    let mut broken = graph.extraction.clone();
    broken.quotes[0].evidence.span.end = graph.transcript.text.len() + 10;
    let extractor = FixedExtractor::new("fixed/2", broken);
    let summary = pipeline(Arc::clone(&store), &graph, extractor)
        .run(vec![job(&graph)], &CancelToken::new())
        .await;

    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].stage, Stage::Extract);
    let record = store
        .episode_record(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, EpisodeStatus::Failed);
    assert_eq!(record.failed_stage.as_deref(), Some("extract"));
    assert!(
        record
            .error
            .unwrap_or_default()
            .contains("does not fit the transcript")
    );
    assert_eq!(store.stats().await.unwrap(), stats);
}
