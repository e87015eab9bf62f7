//! Running one seeding job: read the feeds, process the episodes, record progress.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use podgraph_core::pipeline::{
    CancelToken, EpisodeJob, EpisodeOutcome, FanOut, Pipeline, PipelineConfig, PipelineObserver,
    RunSummary, SkipReason,
};
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::feed::parse_opml;
use podgraph_ingest::loader::TranscriptLoader;
use podgraph_ingest::sources::collect_jobs;
use podgraph_metrics::MetricsObserver;
use podgraph_slo::SloObserver;
use podgraph_tracing::TracingObserver;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::types::{EpisodeProgress, EpisodeState, JobFailure, JobState, JobView, check_feed_url};
use super::{JobContext, save};

/// How often a running job's progress is written to the store.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// How often a queued job checks whether it was cancelled.
const QUEUE_POLL: Duration = Duration::from_millis(100);

/// One job, ready to run on a background task.
pub(super) struct JobTask {
    pub(super) context: JobContext,
    pub(super) permits: Arc<Semaphore>,
    pub(super) view: Arc<Mutex<JobView>>,
    pub(super) cancel: CancelToken,
    pub(super) cancelled_by_user: Arc<AtomicBool>,
}

impl JobTask {
    /// Runs the job to its end and records the final state.
    pub(super) async fn run(self) {
        let id = lock(&self.view).id.clone();
        let span = tracing::info_span!("api.job", job_id = %id);
        self.run_inner().instrument(span).await;
    }

    async fn run_inner(&self) {
        // Wait for a job slot; a job cancelled while it waits never starts.
        let Some(_permit) = self.wait_for_slot().await else {
            self.end_cancelled(&RunSummary::default()).await;
            return;
        };
        self.update(|view| {
            view.state = JobState::Running;
            view.started_at = Some(Utc::now());
        });
        self.persist().await;
        tracing::info!(target: "podgraph::api", "seeding job started");

        let request = lock(&self.view).request.clone();
        let inputs = self.feed_urls(&request.feeds, request.opml.as_deref());
        let sources =
            collect_jobs(&inputs, self.context.fetcher.as_ref(), &self.context.ingest).await;
        let max = request.max_episodes.and_then(|m| usize::try_from(m).ok());
        let jobs = newest_per_podcast(sources.jobs, max);
        self.update(|view| {
            for failure in &sources.failures {
                view.failures.push(JobFailure {
                    source: failure.source.clone(),
                    episode_id: None,
                    stage: failure.stage.as_str().to_owned(),
                    reason: failure.reason.clone(),
                });
            }
            view.progress.total = jobs.len() as u64;
            view.episodes = jobs
                .iter()
                .map(|job| EpisodeProgress {
                    episode_id: job.episode.id.to_string(),
                    title: job.episode.title.clone(),
                    state: EpisodeState::Pending,
                    stage: None,
                    reason: None,
                    elapsed_ms: None,
                })
                .collect();
        });
        self.persist().await;

        if jobs.is_empty() && sources.feeds == 0 && sources.not_modified.is_empty() {
            let error = if inputs.is_empty() {
                "the request named no readable feed: every OPML outline was skipped; \
                 see `failures` for each outline's reason"
            } else {
                "no feed could be read; see `failures` for each feed's reason"
            };
            self.end(JobState::Failed, Some(error.to_owned())).await;
            return;
        }
        let summary = self.run_pipeline(jobs, request.force).await;
        if self.cancel.is_cancelled() {
            self.end_cancelled(&summary).await;
        } else {
            self.end(JobState::Succeeded, None).await;
        }
    }

    /// Waits for a job slot. Returns `None` when the job is cancelled first; the token
    /// has no wake-up, so it is checked every [`QUEUE_POLL`].
    async fn wait_for_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let acquire = Arc::clone(&self.permits).acquire_owned();
        tokio::pin!(acquire);
        loop {
            if self.cancel.is_cancelled() {
                return None;
            }
            tokio::select! {
                permit = &mut acquire => return permit.ok().filter(|_| !self.cancel.is_cancelled()),
                () = tokio::time::sleep(QUEUE_POLL) => {}
            }
        }
    }

    /// Collects the feed URLs of the request: `feeds`, then the `http(s)` feeds of the OPML.
    fn feed_urls(&self, feeds: &[String], opml: Option<&str>) -> Vec<String> {
        let mut inputs: Vec<String> = feeds.iter().map(|f| f.trim().to_owned()).collect();
        let Some(opml) = opml.filter(|o| !o.trim().is_empty()) else {
            return inputs;
        };
        match parse_opml(opml.as_bytes(), "request opml", &self.context.ingest.xml) {
            Ok(parsed) => {
                for feed in parsed.value {
                    match check_feed_url(&feed.url) {
                        Ok(()) => inputs.push(feed.url),
                        Err(reason) => self.update(|view| {
                            view.failures.push(JobFailure {
                                source: feed.url.clone(),
                                episode_id: None,
                                stage: "feed.fetch".to_owned(),
                                reason: format!("skipped: {reason}"),
                            });
                        }),
                    }
                }
            }
            Err(error) => self.update(|view| {
                view.failures.push(JobFailure {
                    source: "opml".to_owned(),
                    episode_id: None,
                    stage: "feed.parse".to_owned(),
                    reason: podgraph_core::pipeline::error_chain(&error),
                });
            }),
        }
        inputs
    }

    /// Runs the pipeline and writes progress every [`SAVE_INTERVAL`] while it runs.
    async fn run_pipeline(&self, jobs: Vec<EpisodeJob>, force: bool) -> RunSummary {
        let config = PipelineConfig {
            force,
            ..self.context.pipeline.clone()
        };
        let loader = TranscriptLoader::new(
            Arc::clone(&self.context.fetcher),
            self.context.ingest.clone(),
        );
        let mut observers: Vec<Arc<dyn PipelineObserver>> = vec![
            Arc::new(ProgressObserver {
                view: Arc::clone(&self.view),
                index: index_of(&jobs),
            }),
            Arc::new(MetricsObserver::new(MetricsObserver::DEFAULT_PODCAST_LIMIT)),
            Arc::new(TracingObserver),
        ];
        if let Some(tracker) = &self.context.slo {
            observers.push(Arc::new(SloObserver::new(Arc::clone(tracker))));
        }
        let id = lock(&self.view).id.clone();
        let pipeline = Pipeline::new(
            Arc::clone(&self.context.graph),
            Arc::new(loader),
            Arc::new(LocalExtractor::default()),
            Arc::new(StoreResolver),
            config,
        )
        .with_observer(Arc::new(FanOut::new(observers)))
        .with_run_id(id);

        let run = pipeline.run(jobs, &self.cancel);
        tokio::pin!(run);
        let mut ticker = tokio::time::interval(SAVE_INTERVAL);
        ticker.tick().await;
        loop {
            tokio::select! {
                summary = &mut run => return summary,
                _ = ticker.tick() => self.persist().await,
            }
        }
    }

    async fn end_cancelled(&self, summary: &RunSummary) {
        if self.cancelled_by_user.load(Ordering::SeqCst) {
            self.end(JobState::Cancelled, None).await;
        } else {
            let reason = format!(
                "the server shut down before the job finished; {} episodes were not started",
                summary.cancelled
            );
            self.end(JobState::Failed, Some(reason)).await;
        }
    }

    async fn end(&self, state: JobState, error: Option<String>) {
        self.update(|view| view.finish(state, error));
        self.persist().await;
        let view = lock(&self.view).clone();
        tracing::info!(
            target: "podgraph::api",
            state = state.as_str(),
            processed = view.progress.processed,
            failed = view.progress.failed,
            "seeding job finished"
        );
    }

    fn update(&self, change: impl FnOnce(&mut JobView)) {
        let mut view = lock(&self.view);
        change(&mut view);
        view.updated_at = Utc::now();
    }

    /// Writes the current state; a failure is logged and retried at the next save.
    async fn persist(&self) {
        let view = lock(&self.view).clone();
        if let Err(error) = save(&self.context.store, &view).await {
            tracing::error!(target: "podgraph::api", job_id = %view.id, error = %error, "failed to save job progress");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn index_of(jobs: &[EpisodeJob]) -> HashMap<String, usize> {
    jobs.iter()
        .enumerate()
        .map(|(index, job)| (job.episode.id.to_string(), index))
        .collect()
}

/// Keeps at most `max` newest episodes of each podcast (undated ones last), in input order.
fn newest_per_podcast(jobs: Vec<EpisodeJob>, max: Option<usize>) -> Vec<EpisodeJob> {
    let Some(max) = max else {
        return jobs;
    };
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| {
        let (ja, jb) = (&jobs[a], &jobs[b]);
        ja.podcast
            .id
            .cmp(&jb.podcast.id)
            .then(jb.episode.published.cmp(&ja.episode.published))
            .then(a.cmp(&b))
    });
    let mut keep = vec![false; jobs.len()];
    let mut taken: HashMap<podgraph_core::PodcastId, usize> = HashMap::new();
    for index in order {
        let count = taken.entry(jobs[index].podcast.id).or_insert(0);
        if *count < max {
            keep[index] = true;
            *count += 1;
        }
    }
    jobs.into_iter()
        .zip(keep)
        .filter_map(|(job, keep)| keep.then_some(job))
        .collect()
}

/// Records episode progress in the job's view.
struct ProgressObserver {
    view: Arc<Mutex<JobView>>,
    index: HashMap<String, usize>,
}

impl ProgressObserver {
    fn with_episode(&self, job: &EpisodeJob, change: impl FnOnce(&mut JobView, usize)) {
        let Some(&index) = self.index.get(&job.episode.id.to_string()) else {
            return;
        };
        let mut view = lock(&self.view);
        change(&mut view, index);
        view.updated_at = Utc::now();
    }
}

impl PipelineObserver for ProgressObserver {
    fn episode_started(&self, job: &EpisodeJob) {
        self.with_episode(job, |view, index| {
            if let Some(episode) = view.episodes.get_mut(index) {
                episode.state = EpisodeState::Running;
            }
        });
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        self.with_episode(job, |view, index| {
            let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            view.progress.finished += 1;
            let (state, stage, reason) = match outcome {
                EpisodeOutcome::Processed(counts) => {
                    view.progress.processed += 1;
                    let c = &mut view.counts;
                    c.segments += counts.segments;
                    c.entities += counts.entities;
                    c.mentions += counts.mentions;
                    c.topics += counts.topics;
                    c.quotes += counts.quotes;
                    c.insights += counts.insights;
                    c.relationships += counts.relationships;
                    (EpisodeState::Processed, None, None)
                }
                EpisodeOutcome::Skipped(SkipReason::Unchanged) => {
                    view.progress.unchanged += 1;
                    (EpisodeState::Unchanged, None, None)
                }
                // A transcript without a single cue adds no more to the graph than no
                // transcript at all: both store the episode without facts.
                EpisodeOutcome::Skipped(SkipReason::NoTranscript | SkipReason::EmptyTranscript) => {
                    view.progress.without_transcript += 1;
                    (EpisodeState::NoTranscript, None, None)
                }
                EpisodeOutcome::Failed(error) => {
                    view.progress.failed += 1;
                    view.failures.push(JobFailure {
                        source: job.episode.title.clone(),
                        episode_id: Some(job.episode.id.to_string()),
                        stage: error.stage.as_str().to_owned(),
                        reason: error.message.clone(),
                    });
                    (
                        EpisodeState::Failed,
                        Some(error.stage.as_str().to_owned()),
                        Some(error.message.clone()),
                    )
                }
            };
            if let Some(episode) = view.episodes.get_mut(index) {
                episode.state = state;
                episode.stage = stage;
                episode.reason = reason;
                episode.elapsed_ms = Some(elapsed_ms);
            }
        });
    }
}
