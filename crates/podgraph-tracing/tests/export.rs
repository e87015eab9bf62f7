//! Spans made with the helpers and with `tracing` arrive at a real OTLP receiver with
//! their names, attributes, parent links, kinds and status.

mod support;

use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{Episode, Podcast};
use podgraph_core::pipeline::Stage;
use podgraph_core::{ErrorKind, ProviderError};
use podgraph_tracing::names::{attr, resource, span as span_name};
use podgraph_tracing::span::{episode_span, in_span, pipeline_run_span, record_error, stage_span};
use podgraph_tracing::testing::{ReceivedKind, ReceivedStatus};
use podgraph_tracing::{INSTRUMENTATION_SCOPE, Protocol};
use support::{ARRIVAL, Harness, find};
use tracing::{Instrument, Span};

fn sample_episode() -> (Podcast, Episode) {
    let podcast = Podcast::new(None, Some("https://example.com/feed.xml".into()), "Show");
    let key = EpisodeKey::Guid {
        guid: "episode-1".into(),
    };
    let episode = Episode::new(podcast.id, key, "Episode one");
    (podcast, episode)
}

async fn pipeline_shaped_trace() {
    let (podcast, episode) = sample_episode();
    let run = pipeline_run_span("run-7", 1);
    async {
        async {
            in_span(
                "custom.step",
                &[KeyValue::new(attr::SEGMENTS_COUNT, 4_i64)],
                async { Ok::<_, std::io::Error>(()) },
            )
            .await
            .expect("step succeeds");
            stage_span(Stage::Extract).in_scope(|| tracing::info!("extracting"));
        }
        .instrument(episode_span(podcast.id, episode.id))
        .await;
    }
    .instrument(run)
    .await;
}

async fn check_tree(protocol: Protocol) {
    let mut harness = Harness::start(protocol, |_| {});
    pipeline_shaped_trace().await;
    let spans = harness.finish();
    assert_eq!(spans.len(), 4, "{spans:#?}");

    let run = find(&spans, span_name::PIPELINE_RUN);
    let episode = find(&spans, span_name::EPISODE_PROCESS);
    let step = find(&spans, "custom.step");
    let stage = find(&spans, span_name::EXTRACT);

    assert_eq!(run.parent_span_id, None);
    assert_eq!(
        episode.parent_span_id.as_deref(),
        Some(run.span_id.as_str())
    );
    assert_eq!(
        step.parent_span_id.as_deref(),
        Some(episode.span_id.as_str())
    );
    assert_eq!(
        stage.parent_span_id.as_deref(),
        Some(episode.span_id.as_str())
    );
    for span in [episode, step, stage] {
        assert_eq!(span.trace_id, run.trace_id);
    }

    assert_eq!(run.attribute_str(attr::RUN_ID), Some("run-7"));
    assert_eq!(run.attribute_i64(attr::EPISODES_COUNT), Some(1));
    let (podcast, sample) = sample_episode();
    assert_eq!(
        episode.attribute_str(attr::EPISODE_ID),
        Some(sample.id.to_string().as_str())
    );
    assert_eq!(
        episode.attribute_str(attr::PODCAST_ID),
        Some(podcast.id.to_string().as_str())
    );
    assert!(!episode.attributes.contains_key("episode_id"));
    assert_eq!(step.attribute_i64(attr::SEGMENTS_COUNT), Some(4));
    assert_eq!(step.kind, ReceivedKind::Internal);
    assert_eq!(stage.attribute_str(attr::STAGE), Some("extract"));
    assert_eq!(stage.events.len(), 1, "the info event becomes a span event");

    for span in &spans {
        assert_eq!(span.status, ReceivedStatus::Unset, "{}", span.name);
        assert_eq!(span.scope, INSTRUMENTATION_SCOPE);
        assert_eq!(
            span.resource
                .get(resource::SERVICE_NAME)
                .and_then(|value| value.as_str()),
            Some("podgraph-test")
        );
    }
}

#[tokio::test]
async fn span_tree_arrives_over_http() {
    check_tree(Protocol::HttpProtobuf).await;
}

#[tokio::test]
async fn span_tree_arrives_over_grpc() {
    check_tree(Protocol::Grpc).await;
}

#[tokio::test]
async fn error_is_recorded_with_exception_event() {
    let mut harness = Harness::http();
    let result = in_span("failing.step", &[], async {
        Err::<(), _>(ProviderError::new(
            ErrorKind::Timeout,
            "llm.complete",
            "model server did not answer within 30 s",
        ))
    })
    .await;
    assert!(result.is_err());

    let spans = harness.finish();
    let span = find(&spans, "failing.step");
    assert_eq!(span.status, ReceivedStatus::Error);
    assert!(
        span.status_message.contains("did not answer"),
        "{}",
        span.status_message
    );
    assert_eq!(span.attribute_str(attr::ERROR_TYPE), Some("timeout"));
    let exception = span
        .events
        .iter()
        .find(|event| event.name == "exception")
        .expect("exception event");
    assert_eq!(
        exception
            .attributes
            .get(attr::EXCEPTION_TYPE)
            .and_then(|value| value.as_str()),
        Some("podgraph_core::error::ProviderError")
    );
    let message = exception
        .attributes
        .get(attr::EXCEPTION_MESSAGE)
        .and_then(|value| value.as_str())
        .expect("exception message");
    assert!(
        message.contains("llm.complete: model server did not answer"),
        "{message}"
    );
}

#[tokio::test]
async fn later_success_keeps_error_status() {
    let mut harness = Harness::http();
    in_span("retried.step", &[], async {
        let first_attempt = std::io::Error::other("connection reset");
        record_error(&Span::current(), &first_attempt);
        Ok::<(), std::io::Error>(())
    })
    .await
    .expect("second attempt succeeds");
    in_span("logged.step", &[], async {
        tracing::error!("a segment could not be processed");
        Ok::<(), std::io::Error>(())
    })
    .await
    .expect("step succeeds");

    let spans = harness.finish();
    let retried = find(&spans, "retried.step");
    assert_eq!(retried.status, ReceivedStatus::Error);
    assert_eq!(retried.status_message, "connection reset");
    assert_eq!(retried.attribute_str(attr::ERROR_TYPE), Some("_OTHER"));
    let logged = find(&spans, "logged.step");
    assert_eq!(logged.status, ReceivedStatus::Error);
}

#[tokio::test]
async fn no_span_is_lost_at_shutdown() {
    const SPANS: usize = 700;
    // A long delay, so that only the batch-size trigger and the shutdown flush export.
    let mut harness = Harness::start(Protocol::HttpProtobuf, |config| {
        config.scheduled_delay_ms = 60_000;
    });
    for index in 0..SPANS {
        let span = tracing::info_span!("unit.of.work", index);
        span.in_scope(|| {});
    }
    let stats = harness.export.shutdown();
    let spans = harness.receiver.spans();
    assert_eq!(spans.len(), SPANS);
    assert_eq!(stats.submitted, SPANS as u64);
    assert_eq!(stats.exported, SPANS as u64);
    assert_eq!(stats.dropped(), 0);
}

#[tokio::test]
async fn configured_headers_reach_the_collector() {
    let mut harness = Harness::start(Protocol::HttpProtobuf, |config| {
        config
            .headers
            .insert("x-api-key".to_owned(), "collector-key".to_owned());
    });
    tracing::info_span!("with.headers").in_scope(|| {});
    harness.finish();
    let headers = harness.receiver.request_headers();
    assert!(!headers.is_empty());
    assert_eq!(
        headers[0].get("x-api-key").map(String::as_str),
        Some("collector-key")
    );
    assert_eq!(
        headers[0].get("content-type").map(String::as_str),
        Some("application/x-protobuf")
    );
}

#[tokio::test]
async fn grpc_metadata_reaches_the_collector() {
    let mut harness = Harness::start(Protocol::Grpc, |config| {
        config
            .headers
            .insert("X-Tenant".to_owned(), "podgraph".to_owned());
    });
    tracing::info_span!("with.metadata").in_scope(|| {});
    let spans = harness.finish();
    assert_eq!(spans.len(), 1);
    let headers = harness.receiver.request_headers();
    assert_eq!(
        headers[0].get("x-tenant").map(String::as_str),
        Some("podgraph")
    );
}

#[tokio::test]
async fn secrets_in_span_fields_are_not_exported() {
    let mut harness = Harness::http();
    tracing::info_span!(
        "fetch.feed",
        url = "https://alice:hunter2@feeds.example.com/rss?token=abc123",
        api_key = "sk-live-0123456789abcdefghijkl",
    )
    .in_scope(|| tracing::info!(password = "swordfish", "connecting"));
    let spans = harness.finish();
    let rendered = format!("{spans:?}");
    for secret in ["hunter2", "abc123", "sk-live", "swordfish"] {
        assert!(!rendered.contains(secret), "{secret} exported: {rendered}");
    }
    assert!(rendered.contains("feeds.example.com"));
}

#[tokio::test]
async fn spans_arrive_on_schedule_before_shutdown() {
    let harness = Harness::http();
    tracing::info_span!("scheduled").in_scope(|| {});
    let spans = harness.receiver.wait_for_spans(1, ARRIVAL);
    assert_eq!(spans.len(), 1);

    // The receiver stores the spans before its response reaches the exporter.
    let deadline = Instant::now() + ARRIVAL;
    while harness.export.stats().exported == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(harness.export.stats().exported, 1);
}

#[tokio::test]
async fn observer_marks_episode_span_with_outcome() {
    use podgraph_core::pipeline::{
        EpisodeCounts, EpisodeJob, EpisodeOutcome, PipelineObserver, StageError,
    };
    use podgraph_tracing::TracingObserver;

    let mut harness = Harness::http();
    let (podcast, episode) = sample_episode();
    let job = EpisodeJob {
        podcast: std::sync::Arc::new(podcast),
        episode,
    };
    let processed = EpisodeOutcome::Processed(Box::new(EpisodeCounts {
        segments: 3,
        entities: 5,
        ..EpisodeCounts::default()
    }));
    episode_span(job.podcast.id, job.episode.id).in_scope(|| {
        TracingObserver.episode_finished(&job, &processed, Duration::from_millis(9));
    });
    let failed = EpisodeOutcome::Failed(StageError::new(
        Stage::TranscriptFetch,
        ErrorKind::NotFound,
        "transcript https://u:secret@host/t.vtt not found",
    ));
    episode_span(job.podcast.id, job.episode.id).in_scope(|| {
        TracingObserver.episode_finished(&job, &failed, Duration::from_millis(9));
    });

    let spans = harness.finish();
    assert_eq!(spans.len(), 2);
    let ok = &spans[0];
    assert_eq!(ok.attribute_str(attr::EPISODE_OUTCOME), Some("processed"));
    assert_eq!(ok.attribute_i64(attr::SEGMENTS_COUNT), Some(3));
    assert_eq!(ok.attribute_i64(attr::ENTITIES_COUNT), Some(5));
    assert_eq!(ok.status, ReceivedStatus::Unset);
    let bad = &spans[1];
    assert_eq!(bad.attribute_str(attr::EPISODE_OUTCOME), Some("failed"));
    assert_eq!(bad.status, ReceivedStatus::Error);
    assert_eq!(bad.attribute_str(attr::ERROR_TYPE), Some("not_found"));
    assert!(!format!("{bad:?}").contains("secret"), "{bad:?}");
}
