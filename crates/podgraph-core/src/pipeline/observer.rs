use std::time::Duration;

use super::{EpisodeJob, EpisodeOutcome, RunSummary, Stage};

/// Receives progress events from a run, for progress bars, metrics and SLO events.
///
/// Every method does nothing by default, so an observer overrides only what it needs.
/// Methods are called from the pipeline's tasks and must return quickly.
pub trait PipelineObserver: Send + Sync {
    /// A run starts with `episodes` jobs.
    fn run_started(&self, episodes: usize) {
        let _ = episodes;
    }

    /// An episode starts.
    fn episode_started(&self, job: &EpisodeJob) {
        let _ = job;
    }

    /// A stage of an episode finished successfully.
    fn stage_finished(&self, job: &EpisodeJob, stage: Stage, elapsed: Duration) {
        let _ = (job, stage, elapsed);
    }

    /// An episode finished, whatever the outcome.
    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        let _ = (job, outcome, elapsed);
    }

    /// The run finished.
    fn run_finished(&self, summary: &RunSummary) {
        let _ = summary;
    }
}

/// An observer that ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopObserver;

impl PipelineObserver for NoopObserver {}

/// Passes every event to several observers, in order.
#[derive(Clone, Default)]
pub struct FanOut(Vec<std::sync::Arc<dyn PipelineObserver>>);

impl FanOut {
    /// An observer that forwards to `observers`.
    pub fn new(observers: Vec<std::sync::Arc<dyn PipelineObserver>>) -> Self {
        Self(observers)
    }
}

impl PipelineObserver for FanOut {
    fn run_started(&self, episodes: usize) {
        self.0.iter().for_each(|o| o.run_started(episodes));
    }

    fn episode_started(&self, job: &EpisodeJob) {
        self.0.iter().for_each(|o| o.episode_started(job));
    }

    fn stage_finished(&self, job: &EpisodeJob, stage: Stage, elapsed: Duration) {
        self.0
            .iter()
            .for_each(|o| o.stage_finished(job, stage, elapsed));
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        self.0
            .iter()
            .for_each(|o| o.episode_finished(job, outcome, elapsed));
    }

    fn run_finished(&self, summary: &RunSummary) {
        self.0.iter().for_each(|o| o.run_finished(summary));
    }
}
