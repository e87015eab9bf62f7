//! [`SloObserver`]: feeds the pipeline's episode results into the tracker.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use podgraph_core::ErrorKind;
use podgraph_core::pipeline::{EpisodeJob, EpisodeOutcome, PipelineObserver, Stage};

use crate::events::{
    EPISODE_LATENCY, EPISODE_PROCESSED, INGEST_FRESHNESS, PROVIDER_CALL, PROVIDER_LABEL,
};
use crate::tracker::{Event, SloTracker};

/// `provider` label of transcript fetches.
pub const PROVIDER_FETCH: &str = "fetch";
/// `provider` label of extraction (local extractor or LLM).
pub const PROVIDER_EXTRACT: &str = "extract";
/// `provider` label of graph store reads and writes.
pub const PROVIDER_STORE: &str = "store";

/// A [`PipelineObserver`] that records SLI events:
///
/// - `episode.processed`: good for a written episode, bad for one that failed through
///   podgraph's or a provider's fault (timeout, unavailable, conflict, limit,
///   permission, unexpected). Skipped episodes and episodes whose input was rejected
///   (invalid input, not found, unsupported: an empty transcript file, a transcript link
///   that returns 404) are not counted, because they do not reflect podgraph's health
///   and a re-run would count the same broken input again;
/// - `episode.latency`: the wall time of each written episode;
/// - `ingest.freshness`: for written episodes published after the observer's
///   `fresh_after` instant (by default its creation), the time from publication to now,
///   so that back-filling an old catalogue does not count against freshness;
/// - `provider.call`: good for each stage that finished, labelled by provider (`fetch`,
///   `extract`, `store`); a failed stage counts as bad when the error is the provider's
///   fault (timeout, unavailable, conflict, limit, permission, unexpected) and as good
///   when the provider rejected the input correctly (invalid input, not found,
///   unsupported).
pub struct SloObserver {
    tracker: Arc<SloTracker>,
    fresh_after: DateTime<Utc>,
}

impl SloObserver {
    /// Creates an observer that records into `tracker`.
    pub fn new(tracker: Arc<SloTracker>) -> Self {
        let fresh_after = tracker.clock().now();
        Self {
            tracker,
            fresh_after,
        }
    }

    /// Counts freshness only for episodes published after `at`.
    pub fn with_fresh_after(mut self, at: DateTime<Utc>) -> Self {
        self.fresh_after = at;
        self
    }

    fn provider_call(&self, stage: Stage, good: bool) {
        if let Some(provider) = provider_of(stage) {
            let labels = [(PROVIDER_LABEL, provider)];
            self.tracker
                .record(&Event::outcome(PROVIDER_CALL, good).with_labels(&labels));
        }
    }
}

/// The provider a stage calls, when it calls one.
fn provider_of(stage: Stage) -> Option<&'static str> {
    match stage {
        Stage::TranscriptFetch | Stage::FeedFetch => Some(PROVIDER_FETCH),
        Stage::Extract => Some(PROVIDER_EXTRACT),
        Stage::Resolve | Stage::StoreWrite => Some(PROVIDER_STORE),
        Stage::FeedParse | Stage::TranscriptParse | Stage::Segment => None,
    }
}

/// Whether an error of `kind` is the provider's fault.
fn is_provider_fault(kind: ErrorKind) -> bool {
    !matches!(
        kind,
        ErrorKind::InvalidInput | ErrorKind::NotFound | ErrorKind::Unsupported
    )
}

impl PipelineObserver for SloObserver {
    fn stage_finished(&self, _job: &EpisodeJob, stage: Stage, _elapsed: Duration) {
        self.provider_call(stage, true);
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        match outcome {
            EpisodeOutcome::Processed(_) => {
                self.tracker
                    .record(&Event::outcome(EPISODE_PROCESSED, true));
                self.tracker
                    .record(&Event::measured(EPISODE_LATENCY, elapsed.as_secs_f64()));
                let now = self.tracker.clock().now();
                if let Some(published) = job.episode.published.map(|p| p.with_timezone(&Utc))
                    && published > self.fresh_after
                {
                    // A publication date ahead of the clock counts as fresh.
                    let age = (now - published).num_milliseconds().max(0) as f64 / 1000.0;
                    self.tracker.record(&Event::measured(INGEST_FRESHNESS, age));
                }
            }
            EpisodeOutcome::Failed(error) => {
                if is_provider_fault(error.kind) {
                    self.tracker
                        .record(&Event::outcome(EPISODE_PROCESSED, false));
                }
                self.provider_call(error.stage, !is_provider_fault(error.kind));
            }
            EpisodeOutcome::Skipped(_) => {}
        }
    }
}
