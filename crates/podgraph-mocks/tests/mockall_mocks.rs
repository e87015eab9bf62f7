//! The mockall mocks re-exported by this crate work behind `dyn Trait` with async-trait.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::model::{EntityKind, EpisodeGraph, Extraction};
use podgraph_core::pipeline::{
    CancelToken, EntityResolver, EpisodeJob, EpisodeLoader, Pipeline, PipelineConfig,
    PreparedTranscript, RawTranscript, Stage, StageError,
};
use podgraph_core::provider::{EpisodeStatus, GraphStore, WriteSummary};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::{MockExtractor, MockGraphStore};

#[tokio::test]
async fn mock_store_answers_through_a_trait_object() {
    let graph = EpisodeGraphBuilder::new("Rust Talk", "ep-1")
        .segment("Alice", "Hello.")
        .build()
        .unwrap();
    let episode_id = graph.episode.id;

    let mut mock = MockGraphStore::new();
    mock.expect_episode_record()
        .withf(move |id| *id == episode_id)
        .times(1)
        .returning(|_| Ok(None));
    mock.expect_write_episode().times(1).returning(|graph| {
        Ok(WriteSummary {
            nodes: u64::try_from(graph.transcript.segments.len()).unwrap_or(0),
            relationships: 0,
            removed: 0,
        })
    });

    let store: Arc<dyn GraphStore> = Arc::new(mock);
    assert_eq!(store.episode_record(episode_id).await.unwrap(), None);
    assert_eq!(store.write_episode(&graph).await.unwrap().nodes, 1);
}

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

#[tokio::test]
async fn pipeline_records_a_mocked_write_conflict() {
    let graph = EpisodeGraphBuilder::new("Rust Talk", "ep-1")
        .segment("Alice", "Rust is fast.")
        .entity(EntityKind::Product, "Rust")
        .build()
        .unwrap();

    let mut store = MockGraphStore::new();
    store.expect_episode_record().returning(|_| Ok(None));
    store.expect_write_episode().times(1).returning(|_| {
        Err(ProviderError::new(
            ErrorKind::Conflict,
            "store.write_episode",
            "deadlock detected",
        ))
    });
    store
        .expect_record_failure()
        .withf(|record| {
            record.status == EpisodeStatus::Failed
                && record.failed_stage.as_deref() == Some("store.write")
        })
        .times(1)
        .returning(|_| Ok(()));

    let mut extractor = MockExtractor::new();
    extractor.expect_version().return_const("mock/1".to_owned());
    let extraction = graph.extraction.clone();
    extractor
        .expect_extract()
        .times(1)
        .returning(move |_, _| Ok(extraction.clone()));

    let loader = GraphLoader(graph.clone());
    let pipeline = Pipeline::new(
        Arc::new(store),
        Arc::new(loader),
        Arc::new(extractor),
        Arc::new(KeepEntities),
        PipelineConfig::default(),
    );
    let job = EpisodeJob {
        podcast: Arc::new(graph.podcast.clone()),
        episode: graph.episode.clone(),
    };
    let summary = pipeline.run(vec![job], &CancelToken::new()).await;

    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].stage, Stage::StoreWrite);
    assert!(
        summary.failures[0].reason.contains("deadlock detected"),
        "{:?}",
        summary.failures
    );
}

struct GraphLoader(EpisodeGraph);

#[async_trait]
impl EpisodeLoader for GraphLoader {
    async fn fetch_transcript(
        &self,
        _job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        Ok(Some(RawTranscript {
            chapters_json: None,
            location: "memory://episode".to_owned(),
            bytes: Bytes::from(self.0.transcript.text.clone()),
            content_type: None,
            language: None,
            hash: self.0.transcript_hash.clone(),
        }))
    }

    fn prepare(
        &self,
        _job: &EpisodeJob,
        _raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError> {
        Ok(PreparedTranscript {
            transcript: self.0.transcript.clone(),
            chapters: self.0.chapters.clone(),
            warnings: Vec::new(),
        })
    }
}
