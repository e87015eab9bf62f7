//! The traced provider wrappers, around mockall mocks, export one span per call with
//! semantic-convention attributes and without parameter values.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{
    Episode, Extraction, NormalizedTranscript, Podcast, Transcript, TranscriptFormat,
};
use podgraph_core::provider::{
    AudioSource, Cache, CacheKey, Completion, CompletionRequest, EpisodeRecord, EpisodeStatus,
    Extractor, FetchRequest, FetchResponse, FetchStatus, Fetcher, GraphStore, Job, JobId,
    LlmClient, MockCache, MockExtractor, MockFetcher, MockGraphStore, MockLlmClient,
    MockTranscriber, MockWorkQueue, SearchHit, SearchHitKind, TokenUsage, Transcriber, Validators,
    WorkQueue,
};
use podgraph_core::{ErrorKind, ProviderError};
use podgraph_tracing::names::{attr, span as name};
use podgraph_tracing::testing::{ReceivedKind, ReceivedSpan, ReceivedStatus};
use podgraph_tracing::wrap::{
    TracedCache, TracedExtractor, TracedFetcher, TracedGraphStore, TracedLlmClient,
    TracedTranscriber, TracedWorkQueue,
};
use support::{Harness, find};

fn assert_absent(span: &ReceivedSpan, values: &[&str]) {
    let rendered = format!("{span:?}");
    for value in values {
        assert!(!rendered.contains(value), "{value} recorded in {rendered}");
    }
}

#[tokio::test]
async fn store_search_records_db_attributes_without_query() {
    let mut harness = Harness::http();
    let mut mock = MockGraphStore::new();
    mock.expect_search().returning(|_, _| {
        Ok(vec![SearchHit {
            kind: SearchHitKind::Segment,
            id: "s1".into(),
            episode_id: None,
            snippet: "a snippet".into(),
            start_ms: Some(1_000),
            score: 1.5,
        }])
    });
    let store = TracedGraphStore::new(Arc::new(mock), "sqlite").with_namespace("podgraph.db");
    let hits = store
        .search("confidential search words", 10)
        .await
        .expect("search succeeds");
    assert_eq!(hits.len(), 1);

    let spans = harness.finish();
    let span = find(&spans, name::STORE_SEARCH);
    assert_eq!(span.kind, ReceivedKind::Client);
    assert_eq!(span.attribute_str(attr::DB_SYSTEM_NAME), Some("sqlite"));
    assert_eq!(span.attribute_str(attr::DB_NAMESPACE), Some("podgraph.db"));
    assert_eq!(span.attribute_str(attr::DB_OPERATION_NAME), Some("search"));
    assert_eq!(span.attribute_str(attr::DB_STATEMENT_KIND), Some("read"));
    assert_eq!(span.attribute_i64(attr::DB_RESPONSE_RETURNED_ROWS), Some(1));
    assert_eq!(span.status, ReceivedStatus::Unset);
    assert_absent(span, &["confidential search words"]);
}

#[tokio::test]
async fn store_write_failure_marks_the_span() {
    let mut harness = Harness::http();
    let mut mock = MockGraphStore::new();
    mock.expect_record_failure().returning(|_| {
        Err(ProviderError::new(
            ErrorKind::Conflict,
            "store.record_failure",
            "write conflict on episode",
        ))
    });
    let store = TracedGraphStore::new(Arc::new(mock), "neo4j");
    let record = EpisodeRecord {
        episode_id: sample_episode().id,
        podcast_id: sample_episode().podcast_id,
        guid: Some("guid-that-must-not-leak".into()),
        transcript_hash: None,
        extractor_version: None,
        status: EpisodeStatus::Failed,
        failed_stage: Some("extract".into()),
        error: Some("reason-that-must-not-leak".into()),
        updated_at: Utc::now(),
        elapsed_ms: Some(5),
    };
    let error = store.record_failure(&record).await.expect_err("conflict");
    assert_eq!(error.kind(), ErrorKind::Conflict);

    let spans = harness.finish();
    let span = find(&spans, name::STORE_RECORD_FAILURE);
    assert_eq!(span.attribute_str(attr::DB_SYSTEM_NAME), Some("neo4j"));
    assert_eq!(span.attribute_str(attr::DB_STATEMENT_KIND), Some("write"));
    assert_eq!(span.status, ReceivedStatus::Error);
    assert_eq!(span.attribute_str(attr::ERROR_TYPE), Some("conflict"));
    assert!(span.events.iter().any(|event| event.name == "exception"));
    assert_absent(
        span,
        &["guid-that-must-not-leak", "reason-that-must-not-leak"],
    );
}

#[tokio::test]
async fn llm_completion_records_model_and_usage_without_prompt() {
    let mut harness = Harness::http();
    let mut mock = MockLlmClient::new();
    mock.expect_system().return_const("openai".to_owned());
    mock.expect_complete().returning(|request| {
        Ok(Completion {
            text: "generated answer text".into(),
            model: format!("{}-2024-07-18", request.model),
            usage: TokenUsage {
                input_tokens: 120,
                output_tokens: 34,
            },
        })
    });
    let client = TracedLlmClient::new(Arc::new(mock));
    assert_eq!(client.system(), "openai");
    let request = CompletionRequest {
        model: "gpt-4o-mini".into(),
        system: Some("system prompt text".into()),
        prompt: "user prompt text".into(),
        json_schema: None,
        max_tokens: Some(512),
        temperature: Some(0.0),
    };
    client.complete(&request).await.expect("completion");

    let spans = harness.finish();
    let span = find(&spans, name::LLM_COMPLETE);
    assert_eq!(span.kind, ReceivedKind::Client);
    assert_eq!(span.attribute_str(attr::GEN_AI_SYSTEM), Some("openai"));
    assert_eq!(
        span.attribute_str(attr::GEN_AI_OPERATION_NAME),
        Some("chat")
    );
    assert_eq!(
        span.attribute_str(attr::GEN_AI_REQUEST_MODEL),
        Some("gpt-4o-mini")
    );
    assert_eq!(
        span.attribute_str(attr::GEN_AI_RESPONSE_MODEL),
        Some("gpt-4o-mini-2024-07-18")
    );
    assert_eq!(
        span.attribute_i64(attr::GEN_AI_REQUEST_MAX_TOKENS),
        Some(512)
    );
    assert_eq!(
        span.attribute_i64(attr::GEN_AI_USAGE_INPUT_TOKENS),
        Some(120)
    );
    assert_eq!(
        span.attribute_i64(attr::GEN_AI_USAGE_OUTPUT_TOKENS),
        Some(34)
    );
    assert_absent(
        span,
        &[
            "system prompt text",
            "user prompt text",
            "generated answer text",
        ],
    );
}

#[tokio::test]
async fn cache_records_hits_and_sizes_without_keys() {
    let mut harness = Harness::http();
    let mut mock = MockCache::new();
    mock.expect_get()
        .returning(|_| Ok(Some(Bytes::from_static(b"cached value"))));
    mock.expect_set().returning(|_, _, _| Ok(()));
    let cache = TracedCache::new(Arc::new(mock), "memory");
    let key = CacheKey::from_parts([b"llm/v1".as_slice(), b"prompt".as_slice()]);
    let value = cache.get(&key).await.expect("get");
    assert_eq!(value.as_deref(), Some(b"cached value".as_slice()));
    cache
        .set(
            &key,
            Bytes::from_static(b"new value"),
            Duration::from_secs(60),
        )
        .await
        .expect("set");

    let spans = harness.finish();
    let get = find(&spans, name::CACHE_GET);
    assert_eq!(get.attribute_str(attr::DB_SYSTEM_NAME), Some("memory"));
    assert_eq!(get.attribute_str(attr::DB_OPERATION_NAME), Some("get"));
    assert_eq!(
        get.attributes.get(attr::CACHE_HIT).cloned(),
        Some(podgraph_tracing::testing::ReceivedValue::Bool(true))
    );
    assert_eq!(get.attribute_i64(attr::VALUE_SIZE), Some(12));
    let set = find(&spans, name::CACHE_SET);
    assert_eq!(set.attribute_str(attr::DB_STATEMENT_KIND), Some("write"));
    assert_eq!(set.attribute_i64(attr::VALUE_SIZE), Some(9));
    for span in [get, set] {
        assert_absent(span, &[key.as_str(), "cached value", "new value"]);
    }
}

#[tokio::test]
async fn fetch_records_http_attributes_without_credentials() {
    let mut harness = Harness::http();
    let mut mock = MockFetcher::new();
    mock.expect_fetch().returning(|request| {
        Ok(FetchResponse {
            status: FetchStatus::NotModified,
            final_location: request.location.clone(),
            redirects: vec!["https://cdn.example.com/moved".into()],
            body: Bytes::new(),
            content_type: None,
            validators: Validators::default(),
            elapsed: Duration::from_millis(3),
        })
    });
    let fetcher = TracedFetcher::new(Arc::new(mock));
    let request =
        FetchRequest::new("https://bob:pa55word@cdn.example.com/t.vtt?signature=zz99&v=2");
    fetcher.fetch(&request).await.expect("fetch");

    let spans = harness.finish();
    let span = find(&spans, name::FETCH);
    assert_eq!(span.kind, ReceivedKind::Client);
    assert_eq!(span.attribute_str(attr::HTTP_REQUEST_METHOD), Some("GET"));
    assert_eq!(
        span.attribute_str(attr::URL_FULL),
        Some("https://cdn.example.com/t.vtt?signature=***&v=2")
    );
    assert_eq!(
        span.attribute_i64(attr::HTTP_RESPONSE_STATUS_CODE),
        Some(304)
    );
    assert_eq!(span.attribute_str(attr::FETCH_STATUS), Some("not_modified"));
    assert_eq!(span.attribute_i64(attr::FETCH_REDIRECTS), Some(1));
    assert_absent(span, &["pa55word", "bob", "zz99"]);
}

#[tokio::test]
async fn fetch_of_local_file_has_no_http_attributes() {
    let mut harness = Harness::http();
    let mut mock = MockFetcher::new();
    mock.expect_fetch().returning(|_| {
        Err(ProviderError::new(
            ErrorKind::NotFound,
            "fetch.get",
            "file not found",
        ))
    });
    let fetcher = TracedFetcher::new(Arc::new(mock));
    let result = fetcher
        .fetch(&FetchRequest::new("/data/feeds/show.xml"))
        .await;
    assert!(result.is_err());

    let spans = harness.finish();
    let span = find(&spans, name::FETCH);
    assert_eq!(span.attribute_str(attr::URL_SCHEME), Some("file"));
    assert!(span.attribute_str(attr::HTTP_REQUEST_METHOD).is_none());
    assert_eq!(span.attribute_str(attr::ERROR_TYPE), Some("not_found"));
}

fn sample_episode() -> Episode {
    let podcast = Podcast::new(None, Some("https://example.com/feed.xml".into()), "Show");
    Episode::new(
        podcast.id,
        EpisodeKey::Guid {
            guid: "episode-1".into(),
        },
        "Episode one",
    )
}

#[tokio::test]
async fn extractor_records_version_and_counts() {
    let mut harness = Harness::http();
    let mut mock = MockExtractor::new();
    mock.expect_version().return_const("local/1".to_owned());
    mock.expect_extract()
        .returning(|_, _| Ok(Extraction::default()));
    let extractor = TracedExtractor::new(Arc::new(mock));
    let transcript = NormalizedTranscript {
        text: "transcript body text".into(),
        segments: Vec::new(),
        speakers: Vec::new(),
        language: None,
        format: TranscriptFormat::Text,
    };
    extractor
        .extract(&sample_episode(), &transcript)
        .await
        .expect("extraction");

    let spans = harness.finish();
    let span = find(&spans, name::EXTRACTOR_EXTRACT);
    assert_eq!(span.kind, ReceivedKind::Internal);
    assert_eq!(span.attribute_str(attr::EXTRACTOR_VERSION), Some("local/1"));
    assert_eq!(span.attribute_i64(attr::SEGMENTS_COUNT), Some(0));
    assert_eq!(span.attribute_i64(attr::ENTITIES_COUNT), Some(0));
    assert_absent(span, &["transcript body text"]);
}

#[tokio::test]
async fn queue_spans_follow_messaging_conventions() {
    let mut harness = Harness::http();
    let mut mock = MockWorkQueue::new();
    mock.expect_enqueue()
        .returning(|_| Ok(JobId("1700000000-0".into())));
    mock.expect_claim().returning(|_, _, _| Ok(Vec::new()));
    mock.expect_ack().returning(|_| Ok(()));
    let queue = TracedWorkQueue::new(Arc::new(mock), "redis").with_destination("podgraph:jobs");
    let job = Job {
        key: "job-key-value".into(),
        payload: serde_json::json!({ "feed": "payload-value" }),
    };
    let id = queue.enqueue(&job).await.expect("enqueue");
    queue
        .claim("worker-1", 8, Duration::from_secs(30))
        .await
        .expect("claim");
    queue.ack(&id).await.expect("ack");

    let spans = harness.finish();
    let enqueue = find(&spans, name::QUEUE_ENQUEUE);
    assert_eq!(enqueue.kind, ReceivedKind::Producer);
    assert_eq!(enqueue.attribute_str(attr::MESSAGING_SYSTEM), Some("redis"));
    assert_eq!(
        enqueue.attribute_str(attr::MESSAGING_OPERATION_TYPE),
        Some("send")
    );
    assert_eq!(
        enqueue.attribute_str(attr::MESSAGING_DESTINATION_NAME),
        Some("podgraph:jobs")
    );
    assert_eq!(
        enqueue.attribute_str(attr::MESSAGING_MESSAGE_ID),
        Some("1700000000-0")
    );
    assert_absent(enqueue, &["job-key-value", "payload-value"]);
    let claim = find(&spans, name::QUEUE_CLAIM);
    assert_eq!(claim.kind, ReceivedKind::Client);
    assert_eq!(
        claim.attribute_str(attr::MESSAGING_OPERATION_TYPE),
        Some("receive")
    );
    assert_eq!(
        claim.attribute_i64(attr::MESSAGING_BATCH_MESSAGE_COUNT),
        Some(0)
    );
    let ack = find(&spans, name::QUEUE_ACK);
    assert_eq!(
        ack.attribute_str(attr::MESSAGING_OPERATION_TYPE),
        Some("settle")
    );
}

#[tokio::test]
async fn transcriber_records_source_without_credentials() {
    let mut harness = Harness::http();
    let mut mock = MockTranscriber::new();
    mock.expect_transcribe().returning(|_| {
        Ok(Transcript {
            format: TranscriptFormat::Json,
            language: Some("en".into()),
            cues: Vec::new(),
            metadata: BTreeMap::new(),
            timed: true,
        })
    });
    let transcriber = TracedTranscriber::new(Arc::new(mock));
    transcriber
        .transcribe(&AudioSource::Url(
            "https://user:audiopass@media.example.com/ep.mp3".into(),
        ))
        .await
        .expect("transcript");
    transcriber
        .transcribe(&AudioSource::Bytes {
            data: Bytes::from_static(b"ID3audio"),
            mime_type: "audio/mpeg".into(),
        })
        .await
        .expect("transcript");

    let spans = harness.finish();
    let by_source = |source: &str| {
        spans
            .iter()
            .find(|span| span.attribute_str(attr::AUDIO_SOURCE) == Some(source))
            .unwrap_or_else(|| panic!("no {source} span"))
    };
    let url = by_source("url");
    assert_eq!(
        url.attribute_str(attr::URL_FULL),
        Some("https://media.example.com/ep.mp3")
    );
    assert_eq!(url.attribute_i64(attr::CUES_COUNT), Some(0));
    assert_absent(url, &["audiopass"]);
    let bytes = by_source("bytes");
    assert_eq!(
        bytes.attribute_str(attr::AUDIO_MIME_TYPE),
        Some("audio/mpeg")
    );
    assert_eq!(bytes.attribute_i64(attr::VALUE_SIZE), Some(8));
}
