//! The `Metered*` provider wrappers around mockall mocks: every call is passed through
//! and recorded with the expected labels.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use metrics_exporter_prometheus::PrometheusRecorder;
use podgraph_core::model::{NormalizedTranscript, Transcript, TranscriptFormat};
use podgraph_core::provider::{
    AudioSource, Cache, CacheKey, ClaimedJob, Completion, CompletionRequest, Extractor,
    FetchRequest, FetchResponse, FetchStatus, Fetcher, GraphStats, GraphStore, Health,
    HealthStatus, Job, JobId, LlmClient, QueueStats, StoreCapabilities, TokenUsage, Transcriber,
    Validators, WorkQueue,
};
use podgraph_core::{ErrorKind, ProviderError};
use podgraph_metrics::{
    MeteredCache, MeteredExtractor, MeteredFetcher, MeteredLlm, MeteredQueue, MeteredStore,
    MeteredTranscriber, MetricsConfig, MetricsHandle, ModelPrice, PriceTable, build,
};
use podgraph_mocks::{
    MockCache, MockExtractor, MockFetcher, MockGraphStore, MockLlmClient, MockTranscriber,
    MockWorkQueue,
};

use support::{Exposition, parse};

fn recorder() -> (PrometheusRecorder, MetricsHandle) {
    build(&MetricsConfig::default()).expect("recorder builds")
}

fn exposition(handle: &MetricsHandle) -> Exposition {
    parse(&handle.render()).expect("exposition parses")
}

fn failure(kind: ErrorKind, operation: &'static str) -> ProviderError {
    ProviderError::new(kind, operation, "scripted failure")
}

#[tokio::test]
async fn store_calls_counted_by_operation() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockGraphStore::new();
    mock.expect_capabilities().return_const(StoreCapabilities {
        full_text_search: true,
        neighbours: false,
        concurrent_writers: false,
    });
    mock.expect_migrate().returning(|| Ok(()));
    mock.expect_stats().returning(|| Ok(GraphStats::default()));
    mock.expect_search()
        .returning(|_, _| Err(failure(ErrorKind::Unavailable, "sqlite.search")));
    mock.expect_health().returning(|| Health {
        status: HealthStatus::Unhealthy,
        latency: Duration::from_millis(3),
        version: None,
        detail: Some("database file is missing".to_owned()),
    });
    let store = MeteredStore::new(mock, "sqlite");

    assert!(store.capabilities().full_text_search);
    store.migrate().await.expect("migrate succeeds");
    store.migrate().await.expect("migrate succeeds");
    store.stats().await.expect("stats succeed");
    let error = store.search("rust", 10).await.expect_err("search fails");
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(store.health().await.status, HealthStatus::Unhealthy);

    let exposition = exposition(&handle);
    let operations = "podgraph_store_operations_total";
    let labels = |operation, outcome| {
        [
            ("provider", "sqlite"),
            ("operation", operation),
            ("outcome", outcome),
        ]
    };
    assert_eq!(
        exposition.value(operations, &labels("store.migrate", "success")),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("store.stats", "success")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("store.search", "error")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("store.health", "error")),
        Some(1.0)
    );
    assert_eq!(
        exposition.sum(operations, &[]),
        5.0,
        "capabilities is not recorded"
    );
    assert_eq!(
        exposition.value(
            "podgraph_store_operation_duration_seconds_count",
            &labels("store.migrate", "success")
        ),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_provider_errors_total",
            &[
                ("provider", "sqlite"),
                ("operation", "store.search"),
                ("error_kind", "unavailable")
            ]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn cache_counts_hits_misses_errors() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let hit = CacheKey::from_parts([b"hit".as_slice()]);
    let miss = CacheKey::from_parts([b"miss".as_slice()]);
    let mut mock = MockCache::new();
    let hit_key = hit.clone();
    mock.expect_get()
        .withf(move |key| *key == hit_key)
        .returning(|_| Ok(Some(Bytes::from_static(b"cached"))));
    let miss_key = miss.clone();
    mock.expect_get()
        .withf(move |key| *key == miss_key)
        .returning(|_| Ok(None));
    mock.expect_get()
        .returning(|_| Err(failure(ErrorKind::Timeout, "redis.get")));
    mock.expect_set().returning(|_, _, _| Ok(()));
    mock.expect_delete()
        .returning(|_| Err(failure(ErrorKind::Unavailable, "redis.del")));
    let cache = MeteredCache::new(mock, "redis");

    assert_eq!(
        cache.get(&hit).await.expect("hit"),
        Some(Bytes::from_static(b"cached"))
    );
    assert_eq!(
        cache.get(&hit).await.expect("hit"),
        Some(Bytes::from_static(b"cached"))
    );
    assert_eq!(cache.get(&miss).await.expect("miss"), None);
    let other = CacheKey::from_parts([b"other".as_slice()]);
    cache.get(&other).await.expect_err("lookup fails");
    cache
        .set(&hit, Bytes::from_static(b"v"), Duration::from_secs(60))
        .await
        .expect("set succeeds");
    cache.delete(&hit).await.expect_err("delete fails");

    let exposition = exposition(&handle);
    let lookups = "podgraph_cache_lookups_total";
    assert_eq!(
        exposition.value(lookups, &[("provider", "redis"), ("outcome", "hit")]),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(lookups, &[("provider", "redis"), ("outcome", "miss")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(lookups, &[("provider", "redis"), ("outcome", "error")]),
        Some(1.0)
    );
    let writes = "podgraph_cache_writes_total";
    assert_eq!(
        exposition.value(
            writes,
            &[
                ("provider", "redis"),
                ("operation", "cache.set"),
                ("outcome", "success")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            writes,
            &[
                ("provider", "redis"),
                ("operation", "cache.delete"),
                ("outcome", "error")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_cache_operation_duration_seconds_count",
            &[("provider", "redis"), ("operation", "cache.get")]
        ),
        Some(4.0)
    );
    let errors = "podgraph_provider_errors_total";
    assert_eq!(
        exposition.value(
            errors,
            &[
                ("provider", "redis"),
                ("operation", "cache.get"),
                ("error_kind", "timeout")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(exposition.sum(errors, &[]), 2.0);
}

fn response(status: FetchStatus, body: &'static [u8]) -> FetchResponse {
    FetchResponse {
        status,
        final_location: "https://example.org/t.vtt".to_owned(),
        redirects: Vec::new(),
        body: Bytes::from_static(body),
        content_type: Some("text/vtt".to_owned()),
        validators: Validators::default(),
        elapsed: Duration::from_millis(5),
    }
}

#[tokio::test]
async fn fetch_records_bytes_and_outcome() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    static BODY: [u8; 3000] = [b'x'; 3000];
    let mut mock = MockFetcher::new();
    mock.expect_fetch()
        .withf(|request| request.location.ends_with("/new"))
        .returning(|_| Ok(response(FetchStatus::Fetched, &BODY)));
    mock.expect_fetch()
        .withf(|request| request.location.ends_with("/same"))
        .returning(|_| Ok(response(FetchStatus::NotModified, b"")));
    mock.expect_fetch()
        .returning(|_| Err(failure(ErrorKind::NotFound, "fetch.get")));
    let fetcher = MeteredFetcher::new(mock, "http");

    let fetched = fetcher
        .fetch(&FetchRequest::new("https://example.org/new"))
        .await
        .expect("fetch succeeds");
    assert_eq!(fetched.body.len(), 3000);
    fetcher
        .fetch(&FetchRequest::new("https://example.org/same"))
        .await
        .expect("conditional fetch succeeds");
    fetcher
        .fetch(&FetchRequest::new("https://example.org/gone"))
        .await
        .expect_err("fetch fails");

    let exposition = exposition(&handle);
    let requests = "podgraph_fetch_requests_total";
    for outcome in ["fetched", "not_modified", "error"] {
        assert_eq!(
            exposition.value(requests, &[("provider", "http"), ("outcome", outcome)]),
            Some(1.0),
            "{outcome}"
        );
        assert_eq!(
            exposition.value(
                "podgraph_fetch_duration_seconds_count",
                &[("provider", "http"), ("outcome", outcome)]
            ),
            Some(1.0),
            "{outcome}"
        );
    }
    let size = [("provider", "http")];
    assert_eq!(
        exposition.value("podgraph_fetch_body_size_bytes_count", &size),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_fetch_body_size_bytes_sum", &size),
        Some(3000.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_fetch_body_size_bytes_bucket",
            &[("provider", "http"), ("le", "4096")]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_provider_errors_total",
            &[
                ("provider", "http"),
                ("operation", "fetcher.fetch"),
                ("error_kind", "not_found")
            ]
        ),
        Some(1.0)
    );
}

fn completion_request(model: &str) -> CompletionRequest {
    CompletionRequest {
        model: model.to_owned(),
        system: None,
        prompt: "Name the people in this text.".to_owned(),
        json_schema: None,
        max_tokens: Some(256),
        temperature: Some(0.0),
    }
}

#[tokio::test]
async fn llm_records_tokens_and_cost() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockLlmClient::new();
    mock.expect_system().return_const("openai".to_owned());
    mock.expect_complete()
        .withf(|request| request.model == "broken")
        .returning(|_| Err(failure(ErrorKind::LimitExceeded, "openai.chat")));
    mock.expect_complete().returning(|request| {
        // The server reports the dated model behind the `alias` name.
        let model = if request.model == "alias" {
            "small"
        } else {
            request.model.as_str()
        };
        Ok(Completion {
            text: "[]".to_owned(),
            model: model.to_owned(),
            usage: TokenUsage {
                input_tokens: 1000,
                output_tokens: 500,
            },
        })
    });
    let prices = PriceTable::new().with_price("small", ModelPrice::new(1.0, 2.0).expect("valid"));
    let llm = MeteredLlm::new(mock, Arc::new(prices)).with_model_limit(3);
    assert_eq!(llm.system(), "openai");

    for model in [
        "small",
        "small",
        "alias",
        "unpriced",
        "broken",
        "fourth-model",
    ] {
        let _ = llm.complete(&completion_request(model)).await;
    }

    let exposition = exposition(&handle);
    let by_model = |model| [("provider", "openai"), ("model", model)];
    let requests = "podgraph_llm_requests_total";
    let with_outcome = |model, outcome| {
        [
            ("provider", "openai"),
            ("model", model),
            ("outcome", outcome),
        ]
    };
    assert_eq!(
        exposition.value(requests, &with_outcome("small", "success")),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(requests, &with_outcome("alias", "success")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(requests, &with_outcome("other", "error")),
        Some(1.0),
        "broken is the fourth model"
    );
    assert_eq!(
        exposition.value(requests, &with_outcome("other", "success")),
        Some(1.0)
    );

    let tokens = "podgraph_llm_tokens_total";
    let with_type = |token_type| {
        [
            ("provider", "openai"),
            ("model", "small"),
            ("token_type", token_type),
        ]
    };
    assert_eq!(exposition.value(tokens, &with_type("input")), Some(2000.0));
    assert_eq!(exposition.value(tokens, &with_type("output")), Some(1000.0));

    // 1000 input tokens at 1 USD and 500 output tokens at 2 USD per million: 0.002 USD.
    let cost_sum = exposition
        .value("podgraph_llm_request_cost_usd_sum", &by_model("small"))
        .expect("cost of small");
    assert!((cost_sum - 0.004).abs() < 1e-12, "{cost_sum}");
    let alias_cost = exposition
        .value("podgraph_llm_request_cost_usd_sum", &by_model("alias"))
        .expect("alias priced by the reported model");
    assert!((alias_cost - 0.002).abs() < 1e-12, "{alias_cost}");
    assert_eq!(
        exposition.value(
            "podgraph_llm_unpriced_requests_total",
            &by_model("unpriced")
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_llm_unpriced_requests_total", &by_model("other")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_llm_request_duration_seconds_count",
            &by_model("small")
        ),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_provider_errors_total",
            &[
                ("provider", "openai"),
                ("operation", "llm.complete"),
                ("error_kind", "limit_exceeded")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_label_values_folded_total", &[("label", "model")]),
        Some(2.0)
    );
}

fn claimed(id: &str, attempt: u32) -> ClaimedJob {
    ClaimedJob {
        id: JobId(id.to_owned()),
        job: Job {
            key: format!("episode-{id}"),
            payload: serde_json::Value::Null,
        },
        attempt,
    }
}

#[tokio::test]
async fn queue_records_wait_depth_and_redelivery() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockWorkQueue::new();
    mock.expect_enqueue()
        .returning(|job| Ok(JobId(job.key.trim_start_matches("episode-").to_owned())));
    mock.expect_claim()
        .returning(|_, _, _| Ok(vec![claimed("1", 1), claimed("2", 1), claimed("3", 2)]));
    mock.expect_stats().returning(|| {
        Ok(QueueStats {
            ready: 5,
            in_flight: 3,
            dead: 1,
            oldest_ready_age_ms: Some(1500),
        })
    });
    mock.expect_ack()
        .returning(|_| Err(failure(ErrorKind::Unavailable, "redis.xack")));
    let queue = MeteredQueue::new(mock, "redis");

    for key in ["episode-1", "episode-2"] {
        let job = Job {
            key: key.to_owned(),
            payload: serde_json::Value::Null,
        };
        queue.enqueue(&job).await.expect("enqueue succeeds");
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let jobs = queue
        .claim("worker-1", 10, Duration::from_secs(30))
        .await
        .expect("claim succeeds");
    assert_eq!(jobs.len(), 3);
    queue.stats().await.expect("stats succeed");
    queue
        .ack(&JobId("1".to_owned()))
        .await
        .expect_err("ack fails");

    let exposition = exposition(&handle);
    let provider = [("provider", "redis")];
    assert_eq!(
        exposition.value("podgraph_queue_wait_duration_seconds_count", &provider),
        Some(2.0)
    );
    let wait_sum = exposition
        .value("podgraph_queue_wait_duration_seconds_sum", &provider)
        .expect("wait sum");
    assert!(
        wait_sum >= 0.04,
        "two jobs waited at least 20 ms each: {wait_sum}"
    );
    assert_eq!(
        exposition.value("podgraph_queue_redeliveries_total", &provider),
        Some(1.0)
    );

    let jobs = "podgraph_queue_jobs";
    assert_eq!(
        exposition.value(jobs, &[("provider", "redis"), ("state", "ready")]),
        Some(5.0)
    );
    assert_eq!(
        exposition.value(jobs, &[("provider", "redis"), ("state", "in_flight")]),
        Some(3.0)
    );
    assert_eq!(
        exposition.value(jobs, &[("provider", "redis"), ("state", "dead")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_queue_oldest_job_age_seconds", &provider),
        Some(1.5)
    );

    let operations = "podgraph_queue_operations_total";
    let labels = |operation, outcome| {
        [
            ("provider", "redis"),
            ("operation", operation),
            ("outcome", outcome),
        ]
    };
    assert_eq!(
        exposition.value(operations, &labels("queue.enqueue", "success")),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("queue.claim", "success")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("queue.stats", "success")),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(operations, &labels("queue.ack", "error")),
        Some(1.0)
    );
}

fn empty_transcript() -> NormalizedTranscript {
    NormalizedTranscript {
        text: String::new(),
        segments: Vec::new(),
        speakers: Vec::new(),
        language: None,
        format: TranscriptFormat::WebVtt,
    }
}

#[tokio::test]
async fn extractor_counts_calls_by_outcome() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockExtractor::new();
    mock.expect_version().returning(|| "local/1".to_owned());
    mock.expect_extract()
        .withf(|episode, _| episode.title == "works")
        .returning(|_, _| Ok(Default::default()));
    mock.expect_extract()
        .returning(|_, _| Err(failure(ErrorKind::Unexpected, "extract.validate")));
    let extractor = MeteredExtractor::new(mock, "local");
    assert_eq!(extractor.version(), "local/1");

    let works = support::job("https://a.example/feed", "works");
    let fails = support::job("https://a.example/feed", "fails");
    extractor
        .extract(&works.episode, &empty_transcript())
        .await
        .expect("extraction succeeds");
    extractor
        .extract(&fails.episode, &empty_transcript())
        .await
        .expect_err("extraction fails");

    let exposition = exposition(&handle);
    let requests = "podgraph_extractor_requests_total";
    assert_eq!(
        exposition.value(requests, &[("provider", "local"), ("outcome", "success")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(requests, &[("provider", "local"), ("outcome", "error")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_extractor_duration_seconds_count",
            &[("provider", "local")]
        ),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_provider_errors_total",
            &[
                ("provider", "local"),
                ("operation", "extractor.extract"),
                ("error_kind", "unexpected")
            ]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn transcriber_records_audio_size() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockTranscriber::new();
    mock.expect_transcribe().returning(|_| {
        Ok(Transcript {
            format: TranscriptFormat::Json,
            language: None,
            cues: Vec::new(),
            metadata: BTreeMap::new(),
            timed: true,
        })
    });
    let transcriber = MeteredTranscriber::new(mock, "whisper");

    let audio = AudioSource::Bytes {
        data: Bytes::from(vec![0_u8; 5000]),
        mime_type: "audio/mpeg".to_owned(),
    };
    transcriber.transcribe(&audio).await.expect("transcribes");
    let url = AudioSource::Url("https://example.org/a.mp3".to_owned());
    transcriber.transcribe(&url).await.expect("transcribes");

    let exposition = exposition(&handle);
    let provider = [("provider", "whisper")];
    assert_eq!(
        exposition.value("podgraph_transcriber_audio_size_bytes_count", &provider),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_transcriber_audio_size_bytes_sum", &provider),
        Some(5000.0)
    );
    assert_eq!(
        exposition.value(
            "podgraph_transcriber_requests_total",
            &[("provider", "whisper"), ("outcome", "success")]
        ),
        Some(2.0)
    );
    assert_eq!(
        exposition.value("podgraph_transcriber_duration_seconds_count", &provider),
        Some(2.0)
    );
}

#[tokio::test]
async fn wrappers_nest_behind_trait_objects() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);

    let mut mock = MockCache::new();
    mock.expect_get().returning(|_| Ok(None));
    // Another wrapper of the same trait (tracing, retry) sits between the two layers the
    // same way; both layers see the call.
    let cache: Arc<dyn Cache> =
        Arc::new(MeteredCache::new(MeteredCache::new(mock, "inner"), "outer"));
    let key = CacheKey::from_parts([b"k".as_slice()]);
    assert_eq!(cache.get(&key).await.expect("lookup succeeds"), None);

    let exposition = exposition(&handle);
    let lookups = "podgraph_cache_lookups_total";
    assert_eq!(
        exposition.value(lookups, &[("provider", "inner"), ("outcome", "miss")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(lookups, &[("provider", "outer"), ("outcome", "miss")]),
        Some(1.0)
    );
}
