//! A real pipeline feeds the SLOs through `SloObserver`: failing transcript fetches
//! exhaust the episode-success budget, seeding is frozen, and the freeze lifts once
//! the failures leave the period.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use common::{minutes, shipped_spec, start, tracker_at};
use podgraph_core::model::{EntityKind, EpisodeGraph, Extraction};
use podgraph_core::pipeline::{
    CancelToken, EntityResolver, EpisodeJob, EpisodeLoader, Pipeline, PipelineConfig,
    PreparedTranscript, RawTranscript, RunSummary, Stage, StageError,
};
use podgraph_core::provider::GraphStore;
use podgraph_core::{ErrorKind, ProviderResult};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::{FixedExtractor, MemoryGraphStore};
use podgraph_slo::status::SloStatus;
use podgraph_slo::{Admission, ManualClock, PolicyEngine, SloObserver};

/// Serves one prepared graph's transcript, or fails the fetch while `failing` is set.
struct SwitchableLoader {
    graph: EpisodeGraph,
    failing: AtomicBool,
}

#[async_trait]
impl EpisodeLoader for SwitchableLoader {
    async fn fetch_transcript(
        &self,
        job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StageError::new(
                Stage::TranscriptFetch,
                ErrorKind::Unavailable,
                format!("transcript host of episode {} is down", job.episode.id),
            ));
        }
        Ok(Some(RawTranscript {
            location: format!("memory://{}", job.episode.id),
            bytes: Bytes::from(self.graph.transcript.text.clone()),
            content_type: Some("text/vtt".to_owned()),
            language: None,
            chapters_json: None,
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

struct Harness {
    clock: ManualClock,
    engine: PolicyEngine,
    pipeline: Pipeline,
    loader: Arc<SwitchableLoader>,
    job: EpisodeJob,
}

impl Harness {
    fn new() -> Self {
        let graph = EpisodeGraphBuilder::new("Rust Talk", "ep-1")
            .segment("Alice", "Tokio is an async runtime for Rust.")
            .entity(EntityKind::Product, "Tokio")
            .build()
            .unwrap();
        let clock = ManualClock::new(start());
        let tracker = tracker_at(shipped_spec(), &clock);
        let loader = Arc::new(SwitchableLoader {
            graph: graph.clone(),
            failing: AtomicBool::new(false),
        });
        // `force` reprocesses the same episode on every run, so each job is an event.
        let config = PipelineConfig {
            concurrency: 2,
            force: true,
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::new(
            Arc::new(MemoryGraphStore::new()),
            Arc::clone(&loader) as Arc<dyn EpisodeLoader>,
            Arc::new(FixedExtractor::new(
                graph.extractor_version.clone(),
                graph.extraction.clone(),
            )),
            Arc::new(KeepEntities),
            config,
        )
        .with_observer(Arc::new(SloObserver::new(Arc::clone(&tracker))));
        Self {
            clock,
            engine: PolicyEngine::new(tracker),
            pipeline,
            loader,
            job: EpisodeJob {
                podcast: Arc::new(graph.podcast.clone()),
                episode: graph.episode.clone(),
            },
        }
    }

    /// Submits a seeding job of `episodes` episodes the way the product does: only when
    /// the policy engine admits it.
    async fn seed(&self, episodes: usize) -> Result<RunSummary, Admission> {
        let admission = self.engine.admission();
        if !admission.is_allowed() {
            return Err(admission);
        }
        let jobs = vec![self.job.clone(); episodes];
        Ok(self.pipeline.run(jobs, &CancelToken::new()).await)
    }

    async fn evaluate(&self) -> SloStatus {
        self.engine.evaluate().await
    }
}

#[tokio::test]
async fn failing_provider_freezes_seeding_until_recovery() {
    let harness = Harness::new();

    // 200 healthy episodes.
    let summary = harness.seed(200).await.unwrap();
    assert_eq!(summary.processed, 200, "{:?}", summary.failures);
    let status = harness.evaluate().await;
    let success = status.slo("episode-success").unwrap();
    assert_eq!(success.budget.total_events, Some(200));
    assert_eq!(success.budget.remaining_ratio, 1.0);
    let latency = status.slo("episode-latency").unwrap();
    assert_eq!(
        latency.budget.total_events,
        Some(200),
        "latency is recorded per episode"
    );
    assert_eq!(harness.engine.admission(), Admission::Allowed);

    // An hour later the transcript host fails: 5 failures in 205 episodes against the
    // 0.5 % that 99.5 % allows, about 4.9 times the budget.
    harness.clock.advance(minutes(60));
    harness.loader.failing.store(true, Ordering::SeqCst);
    let summary = harness.seed(5).await.unwrap();
    assert_eq!(summary.failed(), 5);
    harness.clock.advance(Duration::from_secs(30));
    let status = harness.evaluate().await;
    let success = status.slo("episode-success").unwrap();
    assert_eq!(success.budget.bad_events, Some(5));
    assert!(success.budget.overspent);
    let fetch = status.slo("provider-reliability-fetch").unwrap();
    assert_eq!(
        fetch.budget.bad_events,
        Some(5),
        "fetch failures count against the fetcher"
    );
    let active: Vec<&str> = success.policies.iter().map(|p| p.name.as_str()).collect();
    assert!(active.contains(&"freeze-when-exhausted"), "{active:?}");

    // New seeding jobs are refused with the reason and a Retry-After.
    harness.loader.failing.store(false, Ordering::SeqCst);
    let Err(Admission::Frozen {
        reason,
        retry_after,
    }) = harness.seed(1).await
    else {
        panic!("seeding should be frozen")
    };
    assert!(reason.contains("SLO episode-success"), "{reason}");
    // The failures' bucket started 30 s ago and leaves the 30-day period 30 days after
    // its start. Without new traffic nothing else brings the budget back above 10 %.
    assert_eq!(retry_after, Duration::from_secs(30 * 86_400 - 30));

    // An operator can still force a job through.
    harness.engine.force(true);
    let forced = harness.seed(1).await.unwrap();
    assert_eq!(forced.processed, 1);
    harness.engine.force(false);

    // Just before the failures leave the period the freeze holds.
    harness.clock.advance(retry_after - minutes(1));
    harness.evaluate().await;
    assert!(harness.seed(1).await.is_err());

    // Once they have left, the next evaluation lifts it.
    harness.clock.advance(minutes(1));
    let status = harness.evaluate().await;
    assert_eq!(status.admission, Some(Admission::Allowed));
    let summary = harness.seed(3).await.unwrap();
    assert_eq!(summary.processed, 3);
}
