//! `MetricsObserver` driven through a scripted run: the exported counters must match
//! what the script did.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use podgraph_core::ErrorKind;
use podgraph_core::pipeline::{
    EpisodeCounts, EpisodeFailure, EpisodeOutcome, PipelineObserver, RunSummary, SkipReason, Stage,
    StageError,
};
use podgraph_metrics::{MetricsConfig, MetricsObserver, build};

use support::{Exposition, job, parse};

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

fn counts(segments: u64, transcript_bytes: u64) -> Box<EpisodeCounts> {
    Box::new(EpisodeCounts {
        segments,
        entities: 4,
        mentions: 12,
        topics: 3,
        quotes: 2,
        insights: 1,
        relationships: 5,
        transcript_bytes,
        warnings: 1,
        ..EpisodeCounts::default()
    })
}

/// Runs a script of six jobs over three podcasts with a podcast limit of two: podcast A
/// processes one episode and skips one, B fails one, C (beyond the limit) processes
/// one, one task panics and one job is cancelled.
fn scripted_run() -> (Exposition, [String; 3], f64, f64) {
    let (recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    let observer = MetricsObserver::new(2);
    let a1 = job("https://a.example/feed", "a1");
    let a2 = job("https://a.example/feed", "a2");
    let b1 = job("https://b.example/feed", "b1");
    let c1 = job("https://c.example/feed", "c1");
    let panicked = job("https://a.example/feed", "a3");
    let ids = [&a1, &b1, &c1].map(|j| j.podcast.id.to_string());

    let before = unix_now();
    metrics::with_local_recorder(&recorder, || {
        observer.run_started(6);

        observer.episode_started(&a1);
        observer.stage_finished(&a1, Stage::TranscriptFetch, Duration::from_millis(10));
        observer.stage_finished(&a1, Stage::Extract, Duration::from_secs(2));
        let processed = EpisodeOutcome::Processed(counts(10, 2048));
        observer.episode_finished(&a1, &processed, Duration::from_millis(2500));

        observer.episode_started(&a2);
        observer.stage_finished(&a2, Stage::TranscriptFetch, Duration::from_millis(30));
        let skipped = EpisodeOutcome::Skipped(SkipReason::Unchanged);
        observer.episode_finished(&a2, &skipped, Duration::from_millis(40));

        observer.episode_started(&b1);
        let error = StageError::new(Stage::Extract, ErrorKind::Timeout, "llm timed out");
        observer.episode_finished(&b1, &EpisodeOutcome::Failed(error), Duration::from_secs(30));

        observer.episode_started(&c1);
        let processed = EpisodeOutcome::Processed(counts(5, 1000));
        observer.episode_finished(&c1, &processed, Duration::from_secs(1));

        observer.episode_started(&panicked);

        let summary = RunSummary {
            processed: 2,
            unchanged: 1,
            cancelled: 1,
            failures: vec![EpisodeFailure {
                episode_id: None,
                title: String::new(),
                stage: Stage::Extract,
                reason: "episode task failed: panicked".to_owned(),
            }],
            elapsed: Duration::from_secs(40),
            ..RunSummary::default()
        };
        observer.run_finished(&summary);
    });
    let after = unix_now();

    let exposition = parse(&handle.render()).expect("exposition parses");
    (exposition, ids, before, after)
}

#[test]
fn episode_outcomes_are_counted_by_podcast() {
    let (exposition, [a, _, _], _, _) = scripted_run();
    let processed = "podgraph_episodes_processed_total";
    assert_eq!(exposition.value(processed, &[("podcast", &a)]), Some(1.0));
    assert_eq!(
        exposition.value(processed, &[("podcast", "other")]),
        Some(1.0)
    );
    assert_eq!(exposition.sum(processed, &[]), 2.0);

    let skipped = "podgraph_episodes_skipped_total";
    assert_eq!(
        exposition.value(skipped, &[("podcast", &a), ("reason", "unchanged")]),
        Some(1.0)
    );
    assert_eq!(exposition.sum(skipped, &[]), 1.0);
}

#[test]
fn failures_carry_stage_and_error_kind() {
    let (exposition, [_, b, _], _, _) = scripted_run();
    let failed = "podgraph_episodes_failed_total";
    assert_eq!(
        exposition.value(
            failed,
            &[
                ("podcast", &b),
                ("stage", "extract"),
                ("error_kind", "timeout")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(
            failed,
            &[
                ("podcast", "unknown"),
                ("stage", "extract"),
                ("error_kind", "unexpected")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(exposition.sum(failed, &[]), 2.0);
}

#[test]
fn podcasts_beyond_limit_fold_into_other() {
    let (exposition, [a, b, c], _, _) = scripted_run();
    assert!(
        exposition
            .samples()
            .all(|s| s.labels.get("podcast") != Some(&c)),
        "podcast C is beyond the limit and must not get its own series"
    );
    assert_eq!(
        exposition.value(
            "podgraph_label_values_folded_total",
            &[("label", "podcast")]
        ),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_segments_written_total", &[("podcast", &a)]),
        Some(10.0)
    );
    assert_eq!(
        exposition.value("podgraph_segments_written_total", &[("podcast", "other")]),
        Some(5.0)
    );
    assert_eq!(
        exposition.value("podgraph_segments_written_total", &[("podcast", &b)]),
        None
    );
}

#[test]
fn written_counters_sum_episode_counts() {
    let (exposition, _, _, _) = scripted_run();
    let expected = [
        ("podgraph_segments_written_total", 15.0),
        ("podgraph_entities_written_total", 8.0),
        ("podgraph_mentions_written_total", 24.0),
        ("podgraph_topics_written_total", 6.0),
        ("podgraph_quotes_written_total", 4.0),
        ("podgraph_insights_written_total", 2.0),
        ("podgraph_relationships_written_total", 10.0),
        ("podgraph_transcript_warnings_total", 2.0),
    ];
    for (name, total) in expected {
        assert_eq!(exposition.sum(name, &[]), total, "{name}");
    }
    assert_eq!(
        exposition.value("podgraph_transcript_text_size_bytes_count", &[]),
        Some(2.0)
    );
    assert_eq!(
        exposition.value("podgraph_transcript_text_size_bytes_sum", &[]),
        Some(3048.0)
    );
}

#[test]
fn durations_land_in_their_histograms() {
    let (exposition, _, _, _) = scripted_run();
    let stage = "podgraph_stage_duration_seconds";
    assert_eq!(
        exposition.value(&format!("{stage}_count"), &[("stage", "transcript.fetch")]),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(&format!("{stage}_count"), &[("stage", "extract")]),
        Some(1.0)
    );
    let fetch_sum = exposition
        .value(&format!("{stage}_sum"), &[("stage", "transcript.fetch")])
        .expect("fetch stage sum");
    assert!((fetch_sum - 0.04).abs() < 1e-9, "{fetch_sum}");
    assert_eq!(
        exposition.value(
            &format!("{stage}_bucket"),
            &[("stage", "extract"), ("le", "1")]
        ),
        Some(0.0)
    );
    assert_eq!(
        exposition.value(
            &format!("{stage}_bucket"),
            &[("stage", "extract"), ("le", "2.5")]
        ),
        Some(1.0)
    );

    let episode = "podgraph_episode_duration_seconds_count";
    assert_eq!(
        exposition.value(episode, &[("outcome", "processed")]),
        Some(2.0)
    );
    assert_eq!(
        exposition.value(episode, &[("outcome", "skipped")]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value(episode, &[("outcome", "failed")]),
        Some(1.0)
    );

    assert_eq!(
        exposition.value("podgraph_pipeline_runs_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        exposition.value("podgraph_pipeline_run_duration_seconds_sum", &[]),
        Some(40.0)
    );
}

#[test]
fn gauges_return_to_zero_after_run() {
    let (exposition, _, before, after) = scripted_run();
    assert_eq!(
        exposition.value("podgraph_pipeline_episodes_pending", &[]),
        Some(0.0)
    );
    assert_eq!(
        exposition.value("podgraph_pipeline_episodes_in_progress", &[]),
        Some(0.0)
    );

    let last = exposition
        .value("podgraph_episode_last_success_timestamp_seconds", &[])
        .expect("last success is set");
    assert!(
        last >= before && last <= after,
        "{before} <= {last} <= {after}"
    );
}

#[test]
fn observer_without_recorder_is_silent() {
    // No recorder installed in this thread: emission must be a no-op, not a panic.
    let observer = MetricsObserver::default();
    let job = job("https://a.example/feed", "a1");
    observer.run_started(1);
    observer.episode_started(&job);
    observer.episode_finished(
        &job,
        &EpisodeOutcome::Skipped(SkipReason::NoTranscript),
        Duration::ZERO,
    );
    observer.run_finished(&RunSummary::default());
    assert_eq!(
        observer.podcast_guard().admitted(),
        vec![job.podcast.id.to_string()]
    );
}

#[test]
fn episodes_without_run_leave_pending_alone() {
    // A worker processes claimed jobs one by one without `run_started`.
    let (recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
    let observer = MetricsObserver::default();
    let job = job("https://a.example/feed", "a1");
    metrics::with_local_recorder(&recorder, || {
        observer.episode_started(&job);
        let outcome = EpisodeOutcome::Skipped(SkipReason::Unchanged);
        observer.episode_finished(&job, &outcome, Duration::from_millis(5));
    });

    let exposition = parse(&handle.render()).expect("exposition parses");
    let pending = exposition.value("podgraph_pipeline_episodes_pending", &[]);
    assert_eq!(pending.unwrap_or(0.0), 0.0);
    assert_eq!(
        exposition.value("podgraph_pipeline_episodes_in_progress", &[]),
        Some(0.0)
    );
}
