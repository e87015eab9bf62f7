//! Log lines carry trace ids and correlation ids, and never secrets.

mod support;

use std::time::Duration;

use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{Episode, Podcast};
use podgraph_core::pipeline::{EpisodeJob, PipelineObserver, Stage};
use podgraph_tracing::log::{LineFormat, log_layer_with_writer};
use podgraph_tracing::span::{episode_span, pipeline_run_span};
use podgraph_tracing::testing::{CapturedLogs, OtlpReceiver};
use podgraph_tracing::{LogConfig, TraceExport, TracingObserver};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::SubscriberExt as _;

fn capture(format: LineFormat, filter: &str) -> (CapturedLogs, DefaultGuard) {
    let logs = CapturedLogs::new();
    let config = LogConfig {
        filter: filter.to_owned(),
        ..LogConfig::default()
    };
    let layer = log_layer_with_writer(&config, format, logs.clone()).expect("valid filter");
    let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    (logs, guard)
}

fn json_lines(logs: &CapturedLogs) -> Vec<serde_json::Value> {
    logs.contents()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

fn log_secrets() {
    let url = "https://alice:hunter2@feeds.example.com/rss?token=abc123&page=2";
    tracing::info!(
        url = %url,
        api_key = "sk-live-0123456789abcdefghijkl",
        "fetching feed from {url} with header Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"
    );
    let span = tracing::info_span!("fetch", password = "swordfish");
    span.in_scope(|| tracing::warn!(error = %format!("GET {url} failed"), "fetch failed"));
}

fn assert_no_secrets(output: &str) {
    for secret in [
        "hunter2",
        "alice",
        "abc123",
        "sk-live",
        "eyJhbGciOi",
        "swordfish",
    ] {
        assert!(!output.contains(secret), "{secret} logged in:\n{output}");
    }
    assert!(output.contains("feeds.example.com/rss"), "{output}");
    assert!(output.contains("page=2"), "{output}");
}

#[test]
fn json_lines_never_contain_secrets() {
    let (logs, _guard) = capture(LineFormat::Json, "info");
    log_secrets();
    assert_no_secrets(&logs.contents());
    let lines = json_lines(&logs);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["api_key"], "***");
    assert_eq!(lines[1]["password"], "***");
}

#[test]
fn human_lines_never_contain_secrets() {
    let (logs, _guard) = capture(LineFormat::Human { color: false }, "info");
    log_secrets();
    let output = logs.contents();
    assert_no_secrets(&output);
    assert_eq!(output.lines().count(), 2);
}

fn sample_job() -> EpisodeJob {
    let podcast = Podcast::new(None, Some("https://example.com/feed.xml".into()), "Show");
    let key = EpisodeKey::Guid {
        guid: "episode-1".into(),
    };
    let episode = Episode::new(podcast.id, key, "Episode one");
    EpisodeJob {
        podcast: std::sync::Arc::new(podcast),
        episode,
    }
}

#[test]
fn run_id_on_every_run_line() {
    let (logs, _guard) = capture(LineFormat::Json, "debug");
    let job = sample_job();
    tracing::info!("before the run");
    pipeline_run_span("run-42", 1).in_scope(|| {
        tracing::info!("run started");
        episode_span(job.podcast.id, job.episode.id).in_scope(|| {
            TracingObserver.stage_finished(&job, Stage::Extract, Duration::from_millis(37));
            tracing::warn!("slow extractor");
        });
    });

    let lines = json_lines(&logs);
    assert_eq!(lines.len(), 4);
    assert!(lines[0].get("run_id").is_none());
    for line in &lines[1..] {
        assert_eq!(line["run_id"], "run-42", "{line}");
    }
    let stage = &lines[2];
    assert_eq!(stage["message"], "stage finished");
    assert_eq!(stage["stage"], "extract");
    assert_eq!(stage["elapsed_ms"], 37);
    assert_eq!(stage["episode_id"], job.episode.id.to_string());
    assert_eq!(stage["span"], "episode.process");
}

#[test]
fn run_id_survives_a_warn_filter() {
    let (logs, _guard) = capture(LineFormat::Json, "warn");
    pipeline_run_span("run-9", 1).in_scope(|| {
        tracing::info!("hidden");
        tracing::warn!("shown");
    });
    let lines = json_lines(&logs);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["message"], "shown");
    assert_eq!(lines[0]["run_id"], "run-9");
}

#[test]
fn human_line_keeps_run_id_under_warn_filter() {
    let (logs, _guard) = capture(LineFormat::Human { color: false }, "warn");
    pipeline_run_span("run-9", 1).in_scope(|| tracing::warn!("shown"));
    let output = logs.contents();
    assert!(output.contains("shown run_id=run-9"), "{output}");
}

fn with_traces(ratio: f64, body: impl FnOnce()) -> (Vec<serde_json::Value>, OtlpReceiver) {
    let receiver = OtlpReceiver::start_http().expect("receiver starts");
    let mut config = receiver.tracing_config();
    config.sampler_ratio = ratio;
    let mut export = TraceExport::start(&config).expect("export starts");
    let logs = CapturedLogs::new();
    let layer = log_layer_with_writer(&LogConfig::default(), LineFormat::Json, logs.clone())
        .expect("valid filter");
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(export.layer());
    tracing::subscriber::with_default(subscriber, body);
    export.shutdown();
    (json_lines(&logs), receiver)
}

#[test]
fn lines_in_sampled_spans_carry_trace_ids() {
    let (lines, receiver) = with_traces(1.0, || {
        tracing::info!("outside");
        tracing::info_span!("outer").in_scope(|| {
            tracing::info!("in outer");
            tracing::info_span!("inner").in_scope(|| tracing::info!("in inner"));
        });
    });
    let spans = receiver.spans();
    let outer = support::find(&spans, "outer");
    let inner = support::find(&spans, "inner");

    assert_eq!(lines.len(), 3);
    assert!(lines[0].get("trace_id").is_none());
    assert_eq!(lines[1]["trace_id"], outer.trace_id.as_str());
    assert_eq!(lines[1]["span_id"], outer.span_id.as_str());
    assert_eq!(lines[2]["trace_id"], outer.trace_id.as_str());
    assert_eq!(lines[2]["span_id"], inner.span_id.as_str());
}

#[test]
fn lines_in_unsampled_spans_have_no_trace_ids() {
    let (lines, receiver) = with_traces(0.0, || {
        tracing::info_span!("dropped").in_scope(|| tracing::info!("in dropped"));
    });
    assert!(receiver.spans().is_empty());
    assert_eq!(lines.len(), 1);
    assert!(lines[0].get("trace_id").is_none());
}

#[test]
fn invalid_filter_is_reported() {
    let config = LogConfig {
        filter: "podgraph=loud".to_owned(),
        ..LogConfig::default()
    };
    let result = log_layer_with_writer::<tracing_subscriber::Registry, _>(
        &config,
        LineFormat::Json,
        CapturedLogs::new(),
    );
    let message = result.expect_err("invalid level").to_string();
    assert!(message.contains("podgraph=loud"), "{message}");
}
