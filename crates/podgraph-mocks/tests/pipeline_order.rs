//! How the core pipeline orders and stores episodes: writes follow the input order at any
//! concurrency, and episodes without a usable transcript are stored without facts.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::ids::EpisodeId;
use podgraph_core::model::{EpisodeGraph, Extraction};
use podgraph_core::pipeline::{
    CancelToken, EntityResolver, EpisodeJob, EpisodeLoader, Pipeline, PipelineConfig,
    PipelineObserver, PreparedTranscript, RawTranscript, Stage, StageError,
};
use podgraph_core::provider::{EpisodeStatus, GraphStore};
use podgraph_core::{ErrorKind, ProviderResult};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::{FixedExtractor, MemoryGraphStore};

/// Title of an episode whose transcript fetch fails.
const FAILING: &str = "Unreadable episode";

/// Serves prepared graphs by episode id. Earlier episodes take longer to fetch, so they
/// finish their concurrent stages after later ones.
struct SlowFirstLoader {
    graphs: BTreeMap<EpisodeId, (usize, EpisodeGraph)>,
    /// Episodes served without a transcript.
    without_transcript: Vec<EpisodeId>,
}

#[async_trait]
impl EpisodeLoader for SlowFirstLoader {
    async fn fetch_transcript(
        &self,
        job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        let Some((position, graph)) = self.graphs.get(&job.episode.id) else {
            return Ok(None);
        };
        let delay = (self.graphs.len() - position) as u64 * 40;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if self.without_transcript.contains(&job.episode.id) {
            return Ok(None);
        }
        if job.episode.title == FAILING {
            return Err(StageError::new(
                Stage::TranscriptFetch,
                ErrorKind::Unavailable,
                "transcript server is down",
            ));
        }
        Ok(Some(RawTranscript {
            chapters_json: None,
            location: format!("memory://{}", job.episode.id),
            bytes: Bytes::from(graph.transcript.text.clone()),
            content_type: Some("text/vtt".to_owned()),
            language: None,
            hash: graph.transcript_hash.clone(),
        }))
    }

    fn prepare(
        &self,
        job: &EpisodeJob,
        _raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError> {
        let (_, graph) = &self.graphs[&job.episode.id];
        Ok(PreparedTranscript {
            transcript: graph.transcript.clone(),
            chapters: graph.chapters.clone(),
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

/// Records the titles of episodes in the order their store writes finished.
#[derive(Default)]
struct WriteLog {
    titles: Mutex<Vec<String>>,
}

impl PipelineObserver for WriteLog {
    fn stage_finished(&self, job: &EpisodeJob, stage: Stage, _elapsed: Duration) {
        if stage == Stage::StoreWrite {
            self.titles
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(job.episode.title.clone());
        }
    }
}

fn episode(position: usize) -> EpisodeGraph {
    EpisodeGraphBuilder::new("Ordered Show", &format!("ep-{position}"))
        .title(&format!("Episode {position}"))
        .person("Alice Host", "host")
        .segment("Alice", &format!("This is episode number {position}."))
        .build()
        .expect("the episode graph builds")
}

fn job(graph: &EpisodeGraph) -> EpisodeJob {
    EpisodeJob {
        podcast: Arc::new(graph.podcast.clone()),
        episode: graph.episode.clone(),
    }
}

fn pipeline(
    store: Arc<MemoryGraphStore>,
    graphs: &[EpisodeGraph],
    without_transcript: Vec<EpisodeId>,
    concurrency: usize,
) -> Pipeline {
    let loader = SlowFirstLoader {
        graphs: graphs
            .iter()
            .enumerate()
            .map(|(position, graph)| (graph.episode.id, (position, graph.clone())))
            .collect(),
        without_transcript,
    };
    let config = PipelineConfig {
        concurrency,
        ..PipelineConfig::default()
    };
    Pipeline::new(
        store,
        Arc::new(loader),
        Arc::new(FixedExtractor::new("fixed/1", Extraction::default())),
        Arc::new(KeepEntities),
        config,
    )
}

#[tokio::test]
async fn writes_follow_input_order_when_concurrent() {
    let graphs: Vec<EpisodeGraph> = (0..5).map(episode).collect();
    let store = Arc::new(MemoryGraphStore::new());
    let log = Arc::new(WriteLog::default());
    let pipeline = pipeline(Arc::clone(&store), &graphs, Vec::new(), 5)
        .with_observer(Arc::clone(&log) as Arc<dyn PipelineObserver>);

    let summary = pipeline
        .run(graphs.iter().map(job).collect(), &CancelToken::new())
        .await;

    assert_eq!(summary.processed, 5, "{:?}", summary.failures);
    let written = log
        .titles
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let expected: Vec<String> = graphs.iter().map(|g| g.episode.title.clone()).collect();
    assert_eq!(
        written, expected,
        "episodes were written out of input order"
    );
}

#[tokio::test]
async fn failed_episode_does_not_block_later_writes() {
    let graphs: Vec<EpisodeGraph> = (0..3).map(episode).collect();
    let store = Arc::new(MemoryGraphStore::new());
    let log = Arc::new(WriteLog::default());
    let mut pipeline = pipeline(Arc::clone(&store), &graphs, Vec::new(), 3);
    pipeline = pipeline.with_observer(Arc::clone(&log) as Arc<dyn PipelineObserver>);
    // The first episode's transcript cannot be read: it fails at the fetch, last of all.
    let mut failing = job(&graphs[0]);
    failing.episode.title = FAILING.to_owned();

    let jobs = vec![failing, job(&graphs[1]), job(&graphs[2])];
    let summary = tokio::time::timeout(
        Duration::from_secs(10),
        pipeline.run(jobs, &CancelToken::new()),
    )
    .await
    .expect("the run finishes although its first episode failed");

    assert_eq!(summary.processed, 2, "{:?}", summary.failures);
    assert_eq!(summary.failed(), 1);
    let written = log
        .titles
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(written, ["Episode 1", "Episode 2"]);
}

#[tokio::test]
async fn episode_without_transcript_is_stored_without_facts() {
    let graph = episode(0);
    let store = Arc::new(MemoryGraphStore::new());
    let pipeline = pipeline(
        Arc::clone(&store),
        std::slice::from_ref(&graph),
        vec![graph.episode.id],
        1,
    );

    let summary = pipeline.run(vec![job(&graph)], &CancelToken::new()).await;

    assert_eq!(summary.without_transcript, 1, "{:?}", summary.failures);
    assert_eq!(summary.processed, 0);
    let stored = store
        .episode_graph(graph.episode.id)
        .expect("the episode is stored");
    assert_eq!(stored.episode.title, "Episode 0");
    assert_eq!(stored.episode.persons.len(), 1);
    assert!(stored.transcript.segments.is_empty());
    assert_eq!(stored.extraction, Extraction::default());
}

#[tokio::test]
async fn missing_transcript_keeps_earlier_facts() {
    let graph = episode(0);
    let store = Arc::new(MemoryGraphStore::new());
    let with_transcript = pipeline(
        Arc::clone(&store),
        std::slice::from_ref(&graph),
        Vec::new(),
        1,
    );
    let first = with_transcript
        .run(vec![job(&graph)], &CancelToken::new())
        .await;
    assert_eq!(first.processed, 1, "{:?}", first.failures);

    let without = pipeline(
        Arc::clone(&store),
        std::slice::from_ref(&graph),
        vec![graph.episode.id],
        1,
    );
    let second = without.run(vec![job(&graph)], &CancelToken::new()).await;

    assert_eq!(second.without_transcript, 1);
    let stored = store
        .episode_graph(graph.episode.id)
        .expect("the episode is stored");
    assert_eq!(
        stored.transcript.segments.len(),
        1,
        "the earlier transcript was erased"
    );
    let record = store
        .episode_record(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, EpisodeStatus::Done);
    assert_eq!(record.transcript_hash, Some(graph.transcript_hash.clone()));
}

#[tokio::test]
async fn empty_transcript_is_skipped_not_processed() {
    let mut graph = episode(0);
    graph.transcript.segments.clear();
    graph.transcript.text.clear();
    let store = Arc::new(MemoryGraphStore::new());
    let pipeline = pipeline(
        Arc::clone(&store),
        std::slice::from_ref(&graph),
        Vec::new(),
        1,
    );

    let summary = pipeline.run(vec![job(&graph)], &CancelToken::new()).await;

    assert_eq!(summary.empty_transcript, 1, "{:?}", summary.failures);
    assert_eq!(summary.processed, 0);
    assert!(store.episode_graph(graph.episode.id).is_some());
}
