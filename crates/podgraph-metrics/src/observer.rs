//! A pipeline observer that turns run, episode and stage events into metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{Label, SharedString};
use podgraph_core::ErrorKind;
use podgraph_core::pipeline::{
    EpisodeCounts, EpisodeJob, EpisodeOutcome, PipelineObserver, RunSummary, SkipReason, Stage,
};

use crate::catalogue::{
    ENTITIES_WRITTEN, EPISODE_DURATION, EPISODE_LAST_SUCCESS, EPISODES_FAILED,
    EPISODES_IN_PROGRESS, EPISODES_PENDING, EPISODES_PROCESSED, EPISODES_SKIPPED, INSIGHTS_WRITTEN,
    MENTIONS_WRITTEN, MetricDef, PIPELINE_RUN_DURATION, PIPELINE_RUNS, QUOTES_WRITTEN,
    RELATIONSHIPS_WRITTEN, SEGMENTS_WRITTEN, STAGE_DURATION, TOPICS_WRITTEN, TRANSCRIPT_TEXT_SIZE,
    TRANSCRIPT_WARNINGS, label, outcome,
};
use crate::guard::CardinalityGuard;

/// The `podcast` value of failures whose episode is unknown (a task that panicked).
const UNKNOWN_PODCAST: &str = "unknown";

/// Emits the pipeline metrics (`podgraph_episodes_*`, `podgraph_stage_duration_seconds`,
/// the `*_written_total` counters, ...) to the current `metrics` recorder.
///
/// Attach it with `Pipeline::with_observer(Arc::new(MetricsObserver::default()))`. The
/// `podcast` label is the podcast id, limited by a [`CardinalityGuard`] to the first
/// `podcast_limit` podcasts. Episodes of later podcasts are counted under `other`.
#[derive(Debug)]
pub struct MetricsObserver {
    podcasts: CardinalityGuard,
    /// Episodes this observer added to the pending gauge and has not taken back, so that
    /// episodes started without `run_started` (a worker processing single jobs) never
    /// push the shared gauge below what this observer added.
    pending: AtomicU64,
}

impl Default for MetricsObserver {
    fn default() -> Self {
        Self::new(Self::DEFAULT_PODCAST_LIMIT)
    }
}

impl MetricsObserver {
    /// The number of podcasts with their own series unless configured otherwise. Each
    /// podcast adds about a dozen series, more when its episodes fail in several ways.
    pub const DEFAULT_PODCAST_LIMIT: usize = 50;

    /// Creates an observer that gives the first `podcast_limit` podcasts their own series.
    pub fn new(podcast_limit: usize) -> Self {
        Self {
            podcasts: CardinalityGuard::new(label::PODCAST, podcast_limit),
            pending: AtomicU64::new(0),
        }
    }

    /// The guard of the `podcast` label.
    pub fn podcast_guard(&self) -> &CardinalityGuard {
        &self.podcasts
    }

    /// Takes up to `count` episodes off the pending gauge.
    fn take_pending(&self, count: u64) {
        let previous = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |pending| {
                Some(pending.saturating_sub(count))
            })
            .unwrap_or(0);
        let taken = previous.min(count);
        if taken > 0 {
            EPISODES_PENDING.gauge(Vec::new()).decrement(taken as f64);
        }
    }

    fn podcast_label(&self, job: &EpisodeJob) -> SharedString {
        self.podcasts.admit(&job.podcast.id.to_string())
    }

    fn record_processed(&self, podcast: &SharedString, counts: &EpisodeCounts) {
        let by_podcast = || vec![Label::new(label::PODCAST, podcast.clone())];
        EPISODES_PROCESSED.counter(by_podcast()).increment(1);

        let written: [(&MetricDef, u64); 7] = [
            (&SEGMENTS_WRITTEN, counts.segments),
            (&ENTITIES_WRITTEN, counts.entities),
            (&MENTIONS_WRITTEN, counts.mentions),
            (&TOPICS_WRITTEN, counts.topics),
            (&QUOTES_WRITTEN, counts.quotes),
            (&INSIGHTS_WRITTEN, counts.insights),
            (&RELATIONSHIPS_WRITTEN, counts.relationships),
        ];
        for (def, count) in written {
            def.counter(by_podcast()).increment(count);
        }
        TRANSCRIPT_WARNINGS
            .counter(by_podcast())
            .increment(counts.warnings);
        TRANSCRIPT_TEXT_SIZE
            .histogram(Vec::new())
            .record(counts.transcript_bytes as f64);

        if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
            EPISODE_LAST_SUCCESS
                .gauge(Vec::new())
                .set(now.as_secs_f64());
        }
    }

    fn record_failed(podcast: SharedString, stage: Stage, kind: ErrorKind) {
        EPISODES_FAILED
            .counter(vec![
                Label::new(label::PODCAST, podcast),
                Label::new(label::STAGE, stage.as_str()),
                Label::new(label::ERROR_KIND, kind.as_str()),
            ])
            .increment(1);
    }
}

fn skip_reason(reason: SkipReason) -> &'static str {
    reason.as_str()
}

impl PipelineObserver for MetricsObserver {
    fn run_started(&self, episodes: usize) {
        let episodes = u64::try_from(episodes).unwrap_or(u64::MAX);
        // The closure always returns `Some`, so the update cannot fail.
        let _ = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |pending| {
                Some(pending.saturating_add(episodes))
            });
        EPISODES_PENDING
            .gauge(Vec::new())
            .increment(episodes as f64);
    }

    fn episode_started(&self, _job: &EpisodeJob) {
        self.take_pending(1);
        EPISODES_IN_PROGRESS.gauge(Vec::new()).increment(1.0);
    }

    fn stage_finished(&self, _job: &EpisodeJob, stage: Stage, elapsed: Duration) {
        STAGE_DURATION
            .histogram(vec![Label::new(label::STAGE, stage.as_str())])
            .record(elapsed.as_secs_f64());
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        EPISODES_IN_PROGRESS.gauge(Vec::new()).decrement(1.0);
        let podcast = self.podcast_label(job);
        let outcome_label = match outcome {
            EpisodeOutcome::Processed(counts) => {
                self.record_processed(&podcast, counts);
                outcome::PROCESSED
            }
            EpisodeOutcome::Skipped(reason) => {
                EPISODES_SKIPPED
                    .counter(vec![
                        Label::new(label::PODCAST, podcast),
                        Label::new(label::REASON, skip_reason(*reason)),
                    ])
                    .increment(1);
                outcome::SKIPPED
            }
            EpisodeOutcome::Failed(error) => {
                Self::record_failed(podcast, error.stage, error.kind);
                outcome::FAILED
            }
        };
        EPISODE_DURATION
            .histogram(vec![Label::new(label::OUTCOME, outcome_label)])
            .record(elapsed.as_secs_f64());
    }

    fn run_finished(&self, summary: &RunSummary) {
        PIPELINE_RUNS.counter(Vec::new()).increment(1);
        PIPELINE_RUN_DURATION
            .histogram(Vec::new())
            .record(summary.elapsed.as_secs_f64());
        // Cancelled episodes never started, so they are still counted as pending.
        self.take_pending(u64::try_from(summary.cancelled).unwrap_or(u64::MAX));

        // A failure without an episode id comes from a task that panicked or was
        // cancelled: the episode started but `episode_finished` was never called.
        for failure in summary.failures.iter().filter(|f| f.episode_id.is_none()) {
            EPISODES_IN_PROGRESS.gauge(Vec::new()).decrement(1.0);
            Self::record_failed(
                SharedString::const_str(UNKNOWN_PODCAST),
                failure.stage,
                ErrorKind::Unexpected,
            );
        }
    }
}
