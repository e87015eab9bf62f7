//! The rendered exposition after every metric in the catalogue was emitted: it parses
//! strictly, passes `promtool check metrics`, and contains only catalogue families, each
//! once, with the catalogue's type and help text.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use podgraph_core::ErrorKind;
use podgraph_core::model::{Transcript, TranscriptFormat};
use podgraph_core::pipeline::{
    EpisodeCounts, EpisodeFailure, EpisodeOutcome, PipelineObserver, RunSummary, SkipReason, Stage,
    StageError,
};
use podgraph_core::provider::{
    AudioSource, Cache, CacheKey, ClaimedJob, Completion, CompletionRequest, Extractor,
    FetchRequest, FetchResponse, FetchStatus, Fetcher, GraphStore, Job, JobId, LlmClient,
    QueueStats, TokenUsage, Transcriber, Validators, WorkQueue,
};
use podgraph_core::{ProviderError, ProviderResult};
use podgraph_metrics::catalogue::{self, MetricKind};
use podgraph_metrics::slo::{self, AlertState, EventOutcome, NotificationOutcome};
use podgraph_metrics::{
    HttpMetrics, MeteredCache, MeteredExtractor, MeteredFetcher, MeteredLlm, MeteredQueue,
    MeteredStore, MeteredTranscriber, MetricsConfig, MetricsObserver, ModelPrice, PriceTable,
    build,
};
use podgraph_mocks::{
    MockCache, MockExtractor, MockFetcher, MockGraphStore, MockLlmClient, MockTranscriber,
    MockWorkQueue,
};

use support::{job, parse, promtool_check};

fn failure<T>(kind: ErrorKind) -> ProviderResult<T> {
    Err(ProviderError::new(kind, "test.call", "scripted failure"))
}

fn drive_pipeline_observer() {
    let observer = MetricsObserver::new(1);
    let a = job("https://a.example/feed", "a1");
    let b = job("https://b.example/feed", "b1");
    observer.run_started(3);
    for j in [&a, &b] {
        observer.episode_started(j);
        for stage in Stage::ALL {
            observer.stage_finished(j, stage, Duration::from_millis(12));
        }
    }
    let counts = EpisodeCounts {
        segments: 3,
        entities: 2,
        mentions: 4,
        topics: 1,
        quotes: 1,
        insights: 1,
        relationships: 1,
        transcript_bytes: 900,
        warnings: 1,
        ..EpisodeCounts::default()
    };
    observer.episode_finished(
        &a,
        &EpisodeOutcome::Processed(Box::new(counts)),
        Duration::from_secs(2),
    );
    let error = StageError::new(Stage::StoreWrite, ErrorKind::Conflict, "write conflict");
    observer.episode_finished(&b, &EpisodeOutcome::Failed(error), Duration::from_secs(1));
    observer.episode_finished(
        &a,
        &EpisodeOutcome::Skipped(SkipReason::NoTranscript),
        Duration::ZERO,
    );
    observer.run_finished(&RunSummary {
        failures: vec![EpisodeFailure {
            episode_id: None,
            title: String::new(),
            stage: Stage::Extract,
            reason: "episode task failed".to_owned(),
        }],
        elapsed: Duration::from_secs(3),
        ..RunSummary::default()
    });
}

async fn drive_store() {
    let mut mock = MockGraphStore::new();
    mock.expect_migrate().returning(|| Ok(()));
    mock.expect_stats()
        .returning(|| failure(ErrorKind::Unavailable));
    let store = MeteredStore::new(mock, "sqlite");
    store.migrate().await.expect("migrate succeeds");
    store.stats().await.expect_err("stats fail");
}

async fn drive_cache() {
    let mut mock = MockCache::new();
    mock.expect_get()
        .returning(|_| Ok(Some(Bytes::from_static(b"v"))));
    mock.expect_set().returning(|_, _, _| Ok(()));
    let cache = MeteredCache::new(mock, "memory");
    let key = CacheKey::from_parts([b"k".as_slice()]);
    cache.get(&key).await.expect("hit");
    cache
        .set(&key, Bytes::from_static(b"v"), Duration::from_secs(1))
        .await
        .expect("set succeeds");
    // Emitted by fail-open caches such as the Redis cache, which serve a miss instead.
    catalogue::CACHE_BACKEND_ERRORS
        .counter(vec![
            metrics::Label::new(catalogue::label::PROVIDER, "redis"),
            metrics::Label::new(catalogue::label::OPERATION, "cache.get"),
            metrics::Label::new(catalogue::label::ERROR_KIND, ErrorKind::Timeout.as_str()),
        ])
        .increment(1);
}

async fn drive_fetcher() {
    let mut mock = MockFetcher::new();
    mock.expect_fetch().returning(|request| {
        Ok(FetchResponse {
            status: FetchStatus::Fetched,
            final_location: request.location.clone(),
            redirects: Vec::new(),
            body: Bytes::from_static(b"WEBVTT\n\n"),
            content_type: Some("text/vtt".to_owned()),
            validators: Validators::default(),
            elapsed: Duration::from_millis(1),
        })
    });
    let fetcher = MeteredFetcher::new(mock, "http");
    fetcher
        .fetch(&FetchRequest::new("https://example.org/t.vtt"))
        .await
        .expect("fetch succeeds");
}

async fn drive_llm() {
    let mut mock = MockLlmClient::new();
    mock.expect_system().return_const("ollama".to_owned());
    mock.expect_complete().returning(|request| {
        Ok(Completion {
            text: "{}".to_owned(),
            model: request.model.clone(),
            usage: TokenUsage {
                input_tokens: 10,
                output_tokens: 5,
            },
        })
    });
    let prices = PriceTable::new().with_price("priced", ModelPrice::new(0.1, 0.2).expect("valid"));
    let llm = MeteredLlm::new(mock, Arc::new(prices)).with_model_limit(1);
    for model in ["priced", "unpriced"] {
        let request = CompletionRequest {
            model: model.to_owned(),
            system: None,
            prompt: "p".to_owned(),
            json_schema: None,
            max_tokens: None,
            temperature: None,
        };
        llm.complete(&request).await.expect("completion succeeds");
    }
}

async fn drive_queue() {
    let mut mock = MockWorkQueue::new();
    mock.expect_enqueue()
        .returning(|_| Ok(JobId("1".to_owned())));
    mock.expect_claim().returning(|_, _, _| {
        Ok(vec![ClaimedJob {
            id: JobId("1".to_owned()),
            job: Job {
                key: "k".to_owned(),
                payload: serde_json::Value::Null,
            },
            attempt: 2,
        }])
    });
    mock.expect_stats().returning(|| Ok(QueueStats::default()));
    let queue = MeteredQueue::new(mock, "memory");
    let job = Job {
        key: "k".to_owned(),
        payload: serde_json::Value::Null,
    };
    queue.enqueue(&job).await.expect("enqueue succeeds");
    queue
        .claim("worker", 1, Duration::from_secs(1))
        .await
        .expect("claim succeeds");
    queue.stats().await.expect("stats succeed");
}

async fn drive_extractor_and_transcriber() {
    let mut extractor = MockExtractor::new();
    extractor
        .expect_extract()
        .returning(|_, _| Ok(Default::default()));
    let extractor = MeteredExtractor::new(extractor, "local");
    let transcript = podgraph_core::model::NormalizedTranscript {
        text: String::new(),
        segments: Vec::new(),
        speakers: Vec::new(),
        language: None,
        format: TranscriptFormat::Text,
    };
    extractor
        .extract(&job("https://a.example/feed", "a1").episode, &transcript)
        .await
        .expect("extraction succeeds");

    let mut transcriber = MockTranscriber::new();
    transcriber.expect_transcribe().returning(|_| {
        Ok(Transcript {
            format: TranscriptFormat::Json,
            language: None,
            cues: Vec::new(),
            metadata: BTreeMap::new(),
            timed: true,
        })
    });
    let transcriber = MeteredTranscriber::new(transcriber, "whisper");
    let audio = AudioSource::Bytes {
        data: Bytes::from_static(b"ID3"),
        mime_type: "audio/mpeg".to_owned(),
    };
    transcriber.transcribe(&audio).await.expect("transcribes");
}

fn drive_http_and_slo() {
    let http = HttpMetrics::default();
    http.record(
        "GET",
        "/api/v1/episodes/{id}",
        200,
        Duration::from_millis(8),
    );
    http.record("post", "/api/v1/jobs", 503, Duration::from_millis(80));

    slo::set_sli_ratio("episode-success", "1h", 0.995);
    slo::set_error_budget_remaining("episode-success", 0.42);
    slo::set_burn_rate("episode-success", "5m", 14.4);
    slo::set_alert_state("episode-success", "fast-burn", AlertState::Firing);
    slo::events_counter("episode-success", EventOutcome::Bad).increment(1);
    slo::set_policy_active("episode-success", "freeze-when-exhausted", "freeze", true);
    slo::record_notification("episode-success", NotificationOutcome::Sent);
    slo::record_forced_admission("episode-success");
}

/// Emits every metric of the catalogue at least once and returns the rendered text.
async fn render_everything() -> String {
    let (recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    {
        let _local = metrics::set_default_local_recorder(&recorder);
        drive_pipeline_observer();
        drive_store().await;
        drive_cache().await;
        drive_fetcher().await;
        drive_llm().await;
        drive_queue().await;
        drive_extractor_and_transcriber().await;
        drive_http_and_slo();
    }
    handle.run_upkeep();
    handle.render()
}

/// The family a sample name belongs to, as the catalogue names it.
fn family_name(sample: &str) -> &str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(stem) = sample.strip_suffix(suffix) {
            if catalogue::find(stem).is_some_and(|def| def.kind == MetricKind::Histogram) {
                return stem;
            }
        }
    }
    sample
}

#[tokio::test]
async fn exposition_parses_strictly() {
    let text = render_everything().await;
    parse(&text).unwrap_or_else(|error| panic!("{error}\n--- exposition ---\n{text}"));
}

#[tokio::test]
async fn exposition_passes_promtool() {
    let text = render_everything().await;
    promtool_check(&text);
}

#[tokio::test]
async fn families_come_from_catalogue() {
    let text = render_everything().await;
    let exposition = parse(&text).expect("exposition parses");
    for (name, family) in &exposition.families {
        let def = catalogue::find(name).unwrap_or_else(|| panic!("{name} is not in the catalogue"));
        assert_eq!(family.kind, def.kind.as_str(), "type of {name}");
        assert_eq!(family.help.as_deref(), Some(def.help), "help of {name}");
        for sample in &family.samples {
            assert_eq!(family_name(&sample.name), name.as_str());
            let mut names: Vec<&str> = sample
                .labels
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "le")
                .collect();
            names.sort_unstable();
            let mut expected = def.labels.to_vec();
            expected.sort_unstable();
            assert_eq!(names, expected, "labels of {}", sample.name);
        }
    }
}

#[tokio::test]
async fn every_catalogue_entry_is_emitted() {
    let text = render_everything().await;
    let exposition = parse(&text).expect("exposition parses");
    let process_only_on_linux =
        |name: &str| !cfg!(target_os = "linux") && name.starts_with("podgraph_process_");
    for def in catalogue::ALL {
        if process_only_on_linux(def.name) {
            continue;
        }
        let family = exposition
            .families
            .get(def.name)
            .unwrap_or_else(|| panic!("{} was not emitted", def.name));
        assert!(!family.samples.is_empty(), "{} has no samples", def.name);
    }
}

#[tokio::test]
async fn histograms_use_catalogue_buckets() {
    let text = render_everything().await;
    let exposition = parse(&text).expect("exposition parses");
    for def in catalogue::ALL
        .iter()
        .filter(|d| d.kind == MetricKind::Histogram)
    {
        let family = &exposition.families[def.name];
        let first = family.samples.first().expect("histogram has samples");
        let mut series = first.labels.clone();
        series.remove("le");
        let bounds: Vec<f64> = family
            .samples
            .iter()
            .filter(|s| s.name.ends_with("_bucket"))
            .filter(|s| {
                s.labels
                    .iter()
                    .all(|(k, v)| k == "le" || series.get(k) == Some(v))
            })
            .filter_map(|s| s.labels["le"].parse::<f64>().ok())
            .filter(|b| b.is_finite())
            .collect();
        assert_eq!(
            Some(bounds.as_slice()),
            def.buckets,
            "buckets of {}",
            def.name
        );
    }
}

#[test]
fn parser_rejects_broken_expositions() {
    let cases = [
        ("no TYPE", "a_total 1\n"),
        (
            "family split",
            "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na{x=\"1\"} 2\n",
        ),
        (
            "repeated series",
            "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
        ),
        ("negative counter", "# TYPE a_total counter\na_total -1\n"),
        ("bad escape", "# TYPE a gauge\na{x=\"\\t\"} 1\n"),
        ("unquoted value", "# TYPE a gauge\na{x=1} 1\n"),
        ("stray sample", "# TYPE a gauge\nb 1\n"),
        (
            "buckets not cumulative",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        ),
        (
            "count differs from +Inf",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
        ),
        ("missing final line feed", "# TYPE a gauge\na 1"),
    ];
    for (case, text) in cases {
        assert!(parse(text).is_err(), "{case} was accepted");
    }
}

#[test]
fn parser_reads_escaped_labels() {
    let text = "# HELP a_total A \\\\ counter.\n# TYPE a_total counter\na_total{x=\"q\\\"uote\",y=\"b\\\\s\",} 3\n";
    let exposition = parse(text).expect("valid exposition");
    assert_eq!(
        exposition.value("a_total", &[("x", "q\"uote"), ("y", "b\\s")]),
        Some(3.0)
    );
    assert_eq!(
        exposition.families["a_total"].help.as_deref(),
        Some("A \\ counter.")
    );
}
