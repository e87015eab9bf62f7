//! A pipeline observer that writes progress events to the log and episode results onto
//! the `episode.process` span.

use std::time::Duration;

use podgraph_core::pipeline::{EpisodeJob, EpisodeOutcome, PipelineObserver, RunSummary, Stage};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::names::{attr, span as span_name};
use crate::span::{record_error, set_count};

/// Logs run starts and summaries at INFO, stage completions and episode results at
/// DEBUG, and failed episodes at ERROR, each with `elapsed_ms`.
///
/// When an episode finishes inside its `episode.process` span, the observer also sets
/// the outcome and counts on that span and records a failure as an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingObserver;

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

impl PipelineObserver for TracingObserver {
    fn run_started(&self, episodes: usize) {
        tracing::info!(target: "podgraph::pipeline", episodes, "run started");
    }

    fn episode_started(&self, job: &EpisodeJob) {
        tracing::debug!(
            target: "podgraph::pipeline",
            episode_id = %job.episode.id,
            title = %job.episode.title,
            "episode started"
        );
    }

    fn stage_finished(&self, job: &EpisodeJob, stage: Stage, elapsed: Duration) {
        tracing::debug!(
            target: "podgraph::pipeline",
            episode_id = %job.episode.id,
            stage = stage.as_str(),
            elapsed_ms = millis(elapsed),
            "stage finished"
        );
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        let elapsed_ms = millis(elapsed);
        let current = Span::current();
        let on_episode_span = current
            .metadata()
            .is_some_and(|metadata| metadata.name() == span_name::EPISODE_PROCESS);

        let outcome_name = match outcome {
            EpisodeOutcome::Processed(counts) => {
                tracing::debug!(
                    target: "podgraph::pipeline",
                    episode_id = %job.episode.id,
                    elapsed_ms,
                    segments = counts.segments,
                    entities = counts.entities,
                    "episode processed"
                );
                if on_episode_span {
                    set_count(&current, attr::SEGMENTS_COUNT, counts.segments);
                    set_count(&current, attr::ENTITIES_COUNT, counts.entities);
                    set_count(&current, attr::MENTIONS_COUNT, counts.mentions);
                    set_count(&current, attr::QUOTES_COUNT, counts.quotes);
                    set_count(&current, attr::TOPICS_COUNT, counts.topics);
                    set_count(&current, attr::INSIGHTS_COUNT, counts.insights);
                    set_count(&current, attr::RELATIONSHIPS_COUNT, counts.relationships);
                }
                "processed"
            }
            EpisodeOutcome::Skipped(reason) => {
                let reason = reason.as_str();
                tracing::debug!(
                    target: "podgraph::pipeline",
                    episode_id = %job.episode.id,
                    elapsed_ms,
                    reason,
                    "episode skipped"
                );
                reason
            }
            EpisodeOutcome::Failed(error) => {
                tracing::error!(
                    target: "podgraph::pipeline",
                    episode_id = %job.episode.id,
                    title = %job.episode.title,
                    stage = error.stage.as_str(),
                    error_kind = error.kind.as_str(),
                    error = %error.message,
                    elapsed_ms,
                    "episode failed"
                );
                if on_episode_span {
                    record_error(&current, error);
                }
                "failed"
            }
        };
        if on_episode_span {
            current.set_attribute(attr::EPISODE_OUTCOME, outcome_name);
        }
    }

    fn run_finished(&self, summary: &RunSummary) {
        tracing::info!(
            target: "podgraph::pipeline",
            processed = summary.processed,
            unchanged = summary.unchanged,
            without_transcript = summary.without_transcript,
            failed = summary.failed(),
            cancelled = summary.cancelled,
            elapsed_ms = millis(summary.elapsed),
            "run finished"
        );
    }
}
