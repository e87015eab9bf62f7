//! `MetricsObserver` attached to a real `Pipeline` run over scripted providers.

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use podgraph_core::ids::SegmentId;
use podgraph_core::model::{
    Episode, Extraction, NormalizedTranscript, Segment, TextSpan, TranscriptFormat,
};
use podgraph_core::pipeline::{
    CancelToken, EntityResolver, EpisodeJob, EpisodeLoader, Pipeline, PipelineConfig,
    PreparedTranscript, RawTranscript, StageError,
};
use podgraph_core::provider::{GraphStore, WriteSummary};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use podgraph_metrics::{MetricsConfig, MetricsObserver, build};
use podgraph_mocks::{MockExtractor, MockGraphStore};

/// Returns no transcript for episodes titled `silent`, and a one-line transcript for
/// every other episode.
struct ScriptedLoader;

#[async_trait]
impl EpisodeLoader for ScriptedLoader {
    async fn fetch_transcript(
        &self,
        job: &EpisodeJob,
    ) -> Result<Option<RawTranscript>, StageError> {
        if job.episode.title == "silent" {
            return Ok(None);
        }
        Ok(Some(RawTranscript {
            location: format!("https://example.org/{}.txt", job.episode.title),
            bytes: Bytes::from_static(b"hello"),
            content_type: Some("text/plain".to_owned()),
            language: None,
            chapters_json: None,
            hash: format!("hash-{}", job.episode.title),
        }))
    }

    fn prepare(
        &self,
        job: &EpisodeJob,
        _raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError> {
        // A transcript without segments would be skipped as empty.
        let segment = Segment {
            id: SegmentId::derive(job.episode.id, 0),
            episode_id: job.episode.id,
            index: 0,
            start_ms: 0,
            end_ms: 1_000,
            speaker: None,
            text: "hello".to_owned(),
            span: TextSpan { start: 0, end: 5 },
            chapter: None,
        };
        Ok(PreparedTranscript {
            transcript: NormalizedTranscript {
                text: "hello".to_owned(),
                segments: vec![segment],
                speakers: Vec::new(),
                language: None,
                format: TranscriptFormat::Text,
            },
            chapters: Vec::new(),
            warnings: vec!["missing header".to_owned()],
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

fn is_broken(episode: &Episode) -> bool {
    episode.title == "broken"
}

#[tokio::test]
async fn pipeline_run_drives_observer() {
    let (recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut store = MockGraphStore::new();
    store.expect_episode_record().returning(|_| Ok(None));
    store
        .expect_write_episode()
        .returning(|_| Ok(WriteSummary::default()));
    store.expect_record_failure().returning(|_| Ok(()));
    let mut extractor = MockExtractor::new();
    extractor
        .expect_version()
        .returning(|| "scripted/1".to_owned());
    extractor
        .expect_extract()
        .withf(|episode, _| is_broken(episode))
        .returning(|_, _| {
            Err(ProviderError::new(
                ErrorKind::Unavailable,
                "llm.complete",
                "server down",
            ))
        });
    extractor
        .expect_extract()
        .returning(|_, _| Ok(Extraction::default()));

    let pipeline = Pipeline::new(
        Arc::new(store),
        Arc::new(ScriptedLoader),
        Arc::new(extractor),
        Arc::new(KeepEntities),
        PipelineConfig::default(),
    )
    .with_observer(Arc::new(MetricsObserver::default()));

    let feed = "https://a.example/feed";
    let jobs = ["one", "two", "silent", "broken"].map(|title| support::job(feed, title));
    let podcast = jobs[0].podcast.id.to_string();
    let summary = pipeline.run(jobs.to_vec(), &CancelToken::new()).await;
    assert_eq!(summary.processed, 2);
    assert_eq!(summary.failed(), 1);

    let exposition = support::parse(&handle.render()).expect("exposition parses");
    let by_podcast = [("podcast", podcast.as_str())];
    assert_eq!(
        exposition.value("podgraph_episodes_processed_total", &by_podcast),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_episodes_skipped_total",
            &[("podcast", podcast.as_str()), ("reason", "no_transcript")]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_episodes_failed_total",
            &[
                ("podcast", podcast.as_str()),
                ("stage", "extract"),
                ("error_kind", "unavailable")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_transcript_warnings_total", &by_podcast),
        Some(2.0)
    );

    let stage_count =
        |stage| exposition.value("podgraph_stage_duration_seconds_count", &[("stage", stage)]);
    assert_eq!(stage_count("transcript.fetch"), Some(3.0));
    assert_eq!(stage_count("transcript.parse"), Some(3.0));
    assert_eq!(stage_count("extract"), Some(2.0));
    assert_eq!(stage_count("resolve"), Some(2.0));
    assert_eq!(stage_count("store.write"), Some(2.0));

    assert_eq!(
        exposition.value("podgraph_pipeline_runs_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_pipeline_episodes_pending", &[]),
        Some(0.0)
    );
    assert_eq!(
        exposition.value("podgraph_pipeline_episodes_in_progress", &[]),
        Some(0.0)
    );
}
