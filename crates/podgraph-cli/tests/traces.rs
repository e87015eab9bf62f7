//! Traces of `podgraph seed`, exported over OTLP/HTTP to a receiver inside the test that
//! decodes the real protobuf requests.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use podgraph_tracing::testing::{OtlpReceiver, ReceivedKind, ReceivedSpan, ReceivedStatus};
use support::{Run, Workspace, copy_file, fixture, str_of};

/// The stage spans of a processed episode, children of its `episode.process` span.
const STAGES: [&str; 5] = [
    "transcript.fetch",
    "transcript.parse",
    "extract",
    "resolve",
    "store.write",
];

/// Creates a folder with one real transcript and, when `broken` is set, an empty file
/// that fails at `transcript.parse`.
fn transcripts(work: &Workspace, broken: bool) -> PathBuf {
    let shows = work.join("shows");
    copy_file(
        &fixture("transcripts/srt/stevencrader__transcriptator/buzzcast.srt"),
        &shows.join("buzzcast.srt"),
    );
    if broken {
        // Binary data is no transcript: its episode fails at `transcript.parse`.
        let binary: Vec<u8> = (0_u8..=255).cycle().take(4096).collect();
        std::fs::write(shows.join("broken.vtt"), binary).expect("write the binary file");
    }
    shows
}

/// Runs `podgraph seed` with trace export to `receiver` and the extra `env`.
fn seed_traced(
    work: &Workspace,
    input: &PathBuf,
    receiver: &OtlpReceiver,
    env: &[(&str, &str)],
) -> Run {
    let mut command = work.seed_command([input]);
    command
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_SERVICE_NAME", "podgraph-e2e");
    for (name, value) in env {
        command.env(name, value);
    }
    work.run_command(command, support::SHORT)
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn only<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "expected one {name} span, found {found:#?}");
    found[0]
}

/// Returns the spans whose parent is `parent`.
fn children<'a>(spans: &'a [ReceivedSpan], parent: &ReceivedSpan) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.parent_span_id.as_deref() == Some(parent.span_id.as_str()))
        .collect()
}

/// Returns the only child of `parent` named `name`.
fn child<'a>(spans: &'a [ReceivedSpan], parent: &ReceivedSpan, name: &str) -> &'a ReceivedSpan {
    let found: Vec<&ReceivedSpan> = children(spans, parent)
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {name} span under {}, found {found:#?}",
        parent.name
    );
    assert_eq!(found[0].trace_id, parent.trace_id, "{name} left its trace");
    found[0]
}

#[test]
fn seed_exports_span_tree() {
    let receiver = OtlpReceiver::start_http().expect("the receiver starts");
    let work = Workspace::new();
    let input = transcripts(&work, false);

    seed_traced(&work, &input, &receiver, &[]).expect_code(0);

    // The process exported everything before it ended: no waiting here.
    let spans = receiver.spans();
    let graph = work.graph();
    let episode_id = str_of(&graph.nodes_labelled("Episode").next().expect("an episode")["id"]);
    let podcast_id = str_of(&graph.nodes_labelled("Podcast").next().expect("a podcast")["id"]);

    // The command's span is the root of the run's trace; the store is migrated in it.
    let command = only(&spans, "podgraph.seed");
    assert_eq!(command.parent_span_id, None);
    assert_eq!(
        command.resource["service.name"].as_str(),
        Some("podgraph-e2e")
    );
    let run_id = command
        .attribute_str("podgraph.run.id")
        .expect("the run id on podgraph.seed");
    let migrate = child(&spans, command, "store.migrate");
    assert_eq!(migrate.kind, ReceivedKind::Client);
    assert_eq!(migrate.attribute_str("db.system.name"), Some("sqlite"));

    let run = child(&spans, command, "pipeline.run");
    assert_eq!(run.attribute_i64("episodes.count"), Some(1));
    assert_eq!(run.attribute_i64("episodes.failed"), Some(0));
    assert_eq!(run.attribute_str("podgraph.run.id"), Some(run_id));

    // Each episode is the root of its own trace, linked to the run's span.
    let episode = only(&spans, "episode.process");
    assert_eq!(
        episode.parent_span_id, None,
        "episode.process is a root span"
    );
    assert_ne!(episode.trace_id, run.trace_id);
    assert_eq!(episode.links.len(), 1, "{episode:#?}");
    assert_eq!(episode.links[0].span_id, run.span_id);
    assert_eq!(episode.links[0].trace_id, run.trace_id);
    assert_eq!(episode.attribute_str("episode.id"), Some(episode_id));
    assert_eq!(episode.attribute_str("podcast.id"), Some(podcast_id));
    assert_eq!(episode.attribute_str("podgraph.run.id"), Some(run_id));
    assert_eq!(
        episode.attribute_str("podgraph.episode.outcome"),
        Some("processed")
    );
    assert_ne!(episode.status, ReceivedStatus::Error);

    for stage in STAGES {
        let span = child(&spans, episode, stage);
        assert_ne!(span.status, ReceivedStatus::Error, "{stage}");
    }
    let segments = graph.nodes_labelled("Segment").count() as i64;
    let parse = child(&spans, episode, "transcript.parse");
    assert_eq!(parse.attribute_i64("segments.count"), Some(segments));
    assert_eq!(episode.attribute_i64("segments.count"), Some(segments));

    // Provider calls are client spans under the stage that made them.
    let fetch_stage = child(&spans, episode, "transcript.fetch");
    let fetch = child(&spans, fetch_stage, "fetch");
    assert_eq!(fetch.kind, ReceivedKind::Client);
    assert_eq!(fetch.attribute_str("url.scheme"), Some("file"));

    let write_stage = child(&spans, episode, "store.write");
    let write = child(&spans, write_stage, "store.write_episode");
    assert_eq!(write.kind, ReceivedKind::Client);
    assert_eq!(write.attribute_str("db.system.name"), Some("sqlite"));
    assert_eq!(
        write.attribute_str("db.operation.name"),
        Some("write_episode")
    );
    assert_eq!(
        write.attribute_str("podgraph.db.statement.kind"),
        Some("write")
    );

    let resolve_stage = child(&spans, episode, "resolve");
    let candidates = child(&spans, resolve_stage, "store.resolve_candidates");
    assert_eq!(candidates.kind, ReceivedKind::Client);
    assert_eq!(
        candidates.attribute_str("db.operation.name"),
        Some("resolve_candidates")
    );

    let record = child(&spans, episode, "store.episode_record");
    assert_eq!(record.attribute_str("db.system.name"), Some("sqlite"));
    assert_eq!(
        record.attribute_str("podgraph.db.statement.kind"),
        Some("read")
    );

    // Every span with a parent belongs to a trace whose parent span arrived too.
    let by_id: BTreeMap<&str, &ReceivedSpan> =
        spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    for span in &spans {
        if let Some(parent) = &span.parent_span_id {
            let parent = by_id
                .get(parent.as_str())
                .unwrap_or_else(|| panic!("the parent of {} was not exported", span.name));
            assert_eq!(parent.trace_id, span.trace_id);
        }
    }
}

#[test]
fn failed_episode_span_has_error_status() {
    let receiver = OtlpReceiver::start_http().expect("the receiver starts");
    let work = Workspace::new();
    let input = transcripts(&work, true);

    seed_traced(&work, &input, &receiver, &[]).expect_code(3);
    let spans = receiver.spans();

    let run = only(&spans, "pipeline.run");
    assert_eq!(run.status, ReceivedStatus::Error, "a run with failures");
    assert_eq!(run.attribute_i64("episodes.failed"), Some(1));

    let episodes = named(&spans, "episode.process");
    assert_eq!(episodes.len(), 2);
    let (failed, processed): (Vec<&ReceivedSpan>, Vec<&ReceivedSpan>) = episodes
        .into_iter()
        .partition(|s| s.status == ReceivedStatus::Error);
    assert_eq!(failed.len(), 1, "one episode failed");
    assert_eq!(processed.len(), 1);
    let failed = failed[0];
    assert!(
        failed.status_message.contains("broken.vtt"),
        "status message without the file: {failed:#?}"
    );
    assert_eq!(failed.attribute_str("error.type"), Some("invalid_input"));

    // The failing stage is marked; the stages after it never started.
    let parse = child(&spans, failed, "transcript.parse");
    assert_eq!(parse.status, ReceivedStatus::Error);
    for stage in ["extract", "resolve", "store.write"] {
        let started = children(&spans, failed).iter().any(|s| s.name == stage);
        assert!(!started, "{stage} ran after a failed parse");
    }
    for stage in STAGES {
        child(&spans, processed[0], stage);
    }
}

#[test]
fn ratio_zero_sampler_exports_nothing() {
    let receiver = OtlpReceiver::start_http().expect("the receiver starts");
    let work = Workspace::new();
    let input = transcripts(&work, false);

    seed_traced(
        &work,
        &input,
        &receiver,
        &[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ],
    )
    .expect_code(0);
    assert!(work.stats().node("Episode") == 1, "the run itself worked");

    // Give a late export the chance to arrive before concluding that none was sent.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(receiver.spans().is_empty(), "{:#?}", receiver.spans());
}
