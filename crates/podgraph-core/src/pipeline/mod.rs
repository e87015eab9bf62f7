//! The episode pipeline: the orchestrator of the main job.
//!
//! For each episode, with bounded concurrency and a deadline: fetch the transcript, skip
//! the episode when its stored record matches (guid, transcript hash, extractor version),
//! parse and segment it, extract knowledge, resolve entities against the store, and write
//! the episode's subgraph in one transaction. Fetching, parsing and extraction run
//! concurrently; resolution and writes happen in input order, so that one input gives
//! the same graph at any concurrency. An episode without a transcript, or with an empty
//! one, is stored without facts. A failure is recorded with the stage and a reason and
//! never stops the other episodes. Cancellation stops intake: episodes already running
//! finish or roll back, so that a rerun completes the job.
//!
//! Parsing and extraction live in other crates; the pipeline reaches them through the
//! [`EpisodeLoader`], [`Extractor`](crate::provider::Extractor) and [`EntityResolver`]
//! traits, so this crate stays free of I/O.

mod observer;
mod order;
mod stage;
mod summary;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, Span, field};

pub use observer::{FanOut, NoopObserver, PipelineObserver};
pub use stage::{Stage, StageError, error_chain};
pub use summary::{
    EpisodeCounts, EpisodeFailure, EpisodeOutcome, RunSummary, SkipReason, SkippedInput,
};

use crate::model::{Chapter, Episode, EpisodeGraph, Extraction, NormalizedTranscript, Podcast};
use crate::provider::{EpisodeRecord, EpisodeStatus, Extractor, GraphStore};
use order::{Turn, WriteOrder};

/// One episode to process, with the podcast it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeJob {
    /// The podcast.
    pub podcast: Arc<Podcast>,
    /// The episode.
    pub episode: Episode,
}

/// A fetched transcript, before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTranscript {
    /// Where it was read from (URL or path), for messages.
    pub location: String,
    /// The bytes as fetched.
    pub bytes: bytes::Bytes,
    /// `Content-Type`, when known.
    pub content_type: Option<String>,
    /// Language declared by the feed's transcript link.
    pub language: Option<String>,
    /// The episode's chapters document, when it has one and it could be read.
    pub chapters_json: Option<bytes::Bytes>,
    /// Hex SHA-256 of `bytes` and `chapters_json`, used for change detection.
    pub hash: String,
}

/// A parsed, normalised transcript with the episode's chapters.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedTranscript {
    /// The normalised transcript.
    pub transcript: NormalizedTranscript,
    /// Chapters used for segmentation.
    pub chapters: Vec<Chapter>,
    /// Parser repairs, as display strings.
    pub warnings: Vec<String>,
}

/// Result of one episode's concurrent stages, passed to its ordered stages.
enum Prepared {
    /// Nothing to resolve or write (the stored record is up to date).
    Done(EpisodeOutcome),
    /// The transcript is missing or empty: the episode is stored without facts.
    Bare(SkipReason),
    /// Facts to resolve and write.
    Extracted(Box<Extracted>),
}

/// An episode's transcript and the facts extracted from it.
struct Extracted {
    transcript: PreparedTranscript,
    extraction: Extraction,
    transcript_hash: String,
}

/// Finds, fetches and prepares episode transcripts. Implemented by the ingest crate.
#[async_trait]
pub trait EpisodeLoader: Send + Sync {
    /// Fetches the episode's transcript. Returns `Ok(None)` when the episode has no
    /// transcript to fetch (no link and no matching local file).
    ///
    /// # Errors
    /// A [`StageError`] of stage `TranscriptFetch` when a transcript exists but cannot be read.
    async fn fetch_transcript(&self, job: &EpisodeJob)
    -> Result<Option<RawTranscript>, StageError>;

    /// Parses and normalises a fetched transcript. CPU-bound: the pipeline calls it on a
    /// blocking thread.
    ///
    /// # Errors
    /// A [`StageError`] of stage `TranscriptParse` or `Segment` when nothing usable is left.
    fn prepare(
        &self,
        job: &EpisodeJob,
        raw: &RawTranscript,
    ) -> Result<PreparedTranscript, StageError>;
}

/// Resolves an episode's entities against each other and the entities already stored.
#[async_trait]
pub trait EntityResolver: Send + Sync {
    /// Merges duplicate entities and rewrites ids to known canonical entities.
    ///
    /// # Errors
    /// Fails when the store cannot be queried.
    async fn resolve(
        &self,
        extraction: crate::model::Extraction,
        store: &dyn GraphStore,
    ) -> crate::ProviderResult<crate::model::Extraction>;
}

/// How a run behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Episodes processed at once.
    pub concurrency: usize,
    /// Time allowed for one episode, all stages included.
    pub episode_deadline: Duration,
    /// Process episodes even when their stored record matches.
    pub force: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            episode_deadline: Duration::from_secs(300),
            force: false,
        }
    }
}

/// A handle that stops intake of new episodes when cancelled.
#[derive(Clone, Debug)]
pub struct CancelToken {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Stops intake. Episodes already running continue to a safe point.
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        *self.sender.borrow()
    }

    async fn cancelled(&self) {
        let mut receiver = self.sender.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = receiver.wait_for(|cancelled| *cancelled).await;
    }
}

/// The episode pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    store: Arc<dyn GraphStore>,
    loader: Arc<dyn EpisodeLoader>,
    extractor: Arc<dyn Extractor>,
    resolver: Arc<dyn EntityResolver>,
    observer: Arc<dyn PipelineObserver>,
    config: PipelineConfig,
    run_id: Arc<str>,
}

impl Pipeline {
    /// Builds a pipeline from its providers.
    pub fn new(
        store: Arc<dyn GraphStore>,
        loader: Arc<dyn EpisodeLoader>,
        extractor: Arc<dyn Extractor>,
        resolver: Arc<dyn EntityResolver>,
        config: PipelineConfig,
    ) -> Self {
        Self {
            store,
            loader,
            extractor,
            resolver,
            observer: Arc::new(NoopObserver),
            config,
            run_id: Arc::from(""),
        }
    }

    /// Sets the correlation id recorded as `run_id` on the run's spans and log lines.
    pub fn with_run_id(mut self, run_id: impl Into<Arc<str>>) -> Self {
        self.run_id = run_id.into();
        self
    }

    /// Sets the observer that receives progress events.
    pub fn with_observer(mut self, observer: Arc<dyn PipelineObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Processes `jobs` and returns the summary. Stops starting new episodes when
    /// `cancel` fires; episodes already running finish (their writes are transactions).
    pub async fn run(&self, jobs: Vec<EpisodeJob>, cancel: &CancelToken) -> RunSummary {
        let span = tracing::info_span!(
            "pipeline.run",
            run_id = %self.run_id,
            episodes.count = span_count(jobs.len()),
            episodes.failed = field::Empty,
            otel.status_code = field::Empty,
        );
        let summary = self.run_jobs(jobs, cancel).instrument(span.clone()).await;
        span.record("episodes.failed", span_count(summary.failed()));
        if summary.failed() > 0 {
            span.record("otel.status_code", "ERROR");
        }
        summary
    }

    async fn run_jobs(&self, jobs: Vec<EpisodeJob>, cancel: &CancelToken) -> RunSummary {
        let started = Instant::now();
        let mut summary = RunSummary::default();
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let order = WriteOrder::new();
        let mut running = JoinSet::new();
        let mut pending = jobs.into_iter().enumerate();

        self.observer.run_started(pending.len());
        loop {
            if cancel.is_cancelled() {
                summary.cancelled = pending.len();
                break;
            }
            let Some((position, job)) = pending.next() else {
                break;
            };
            let permit = tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    summary.cancelled = pending.len() + 1;
                    break;
                }
                permit = Arc::clone(&permits).acquire_owned() => permit,
            };
            // The semaphore is never closed, so acquiring cannot fail.
            let Ok(permit) = permit else { break };
            let this = self.clone();
            let span = episode_span(&job, &self.run_id);
            let turn = order.turn(position);
            running.spawn(
                async move {
                    let outcome = this.process_job(&job, Some(turn)).await;
                    drop(permit);
                    (job, outcome)
                }
                .instrument(span),
            );
            while let Some(done) = running.try_join_next() {
                self.collect(done, &mut summary);
            }
        }
        while let Some(done) = running.join_next().await {
            self.collect(done, &mut summary);
        }

        summary.elapsed = started.elapsed();
        self.observer.run_finished(&summary);
        summary
    }

    fn collect(
        &self,
        done: Result<(EpisodeJob, EpisodeOutcome), tokio::task::JoinError>,
        summary: &mut RunSummary,
    ) {
        match done {
            Ok((job, outcome)) => summary.record(&job, outcome),
            // A panic in a provider is a bug; it is reported as a failure instead of
            // taking the whole run down.
            Err(error) => summary.failures.push(EpisodeFailure {
                episode_id: None,
                title: String::new(),
                stage: Stage::Extract,
                reason: format!("episode task failed: {error}"),
            }),
        }
    }

    /// Processes one episode within the configured deadline.
    pub async fn process_with_deadline(&self, job: &EpisodeJob) -> EpisodeOutcome {
        self.process_job(job, None).await
    }

    /// Processes one episode. With a `turn`, the episode resolves and writes only after
    /// every earlier episode of the run has finished. The time spent waiting does not
    /// count against the episode's deadline.
    async fn process_job(&self, job: &EpisodeJob, turn: Option<Turn>) -> EpisodeOutcome {
        let episode_started = Instant::now();
        self.observer.episode_started(job);
        let stage = std::sync::Mutex::new(Stage::TranscriptFetch);
        let deadline = self.config.episode_deadline;

        let first = tokio::time::timeout(deadline, self.fetch_and_extract(job, &stage)).await;
        let result = match first {
            Ok(Ok(Prepared::Done(outcome))) => Ok(outcome),
            Ok(Ok(prepared)) => {
                let worked = episode_started.elapsed();
                if let Some(turn) = &turn {
                    turn.wait().await;
                }
                let remaining = deadline.saturating_sub(worked);
                tokio::time::timeout(remaining, self.resolve_and_write(job, prepared, &stage))
                    .await
                    .unwrap_or_else(|_| Err(self.deadline_exceeded(&stage)))
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(self.deadline_exceeded(&stage)),
        };
        // Later episodes may write now.
        drop(turn);

        let outcome = result.unwrap_or_else(EpisodeOutcome::Failed);
        record_outcome(&Span::current(), &outcome);
        if let EpisodeOutcome::Failed(error) = &outcome {
            self.record_failure(job, error, episode_started.elapsed())
                .await;
        }
        self.observer
            .episode_finished(job, &outcome, episode_started.elapsed());
        outcome
    }

    fn deadline_exceeded(&self, stage: &std::sync::Mutex<Stage>) -> StageError {
        let stage = *stage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        StageError::new(
            stage,
            crate::ErrorKind::Timeout,
            format!(
                "episode deadline of {} s exceeded; raise the deadline for very long episodes",
                self.config.episode_deadline.as_secs()
            ),
        )
    }

    async fn record_failure(&self, job: &EpisodeJob, error: &StageError, elapsed: Duration) {
        let record = EpisodeRecord {
            episode_id: job.episode.id,
            podcast_id: job.episode.podcast_id,
            guid: job.episode.guid.clone(),
            transcript_hash: None,
            extractor_version: None,
            status: EpisodeStatus::Failed,
            failed_stage: Some(error.stage.as_str().to_owned()),
            error: Some(error.message.clone()),
            updated_at: Utc::now(),
            elapsed_ms: Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
        };
        if let Err(store_error) = self.store.record_failure(&record).await {
            tracing::warn!(
                target: "podgraph::pipeline",
                episode_id = %job.episode.id,
                error = %store_error,
                "could not record the episode failure"
            );
        }
    }

    /// Runs the stages that do not depend on other episodes (fetch, change detection,
    /// parse and extract), concurrently with other episodes.
    async fn fetch_and_extract(
        &self,
        job: &EpisodeJob,
        stage: &std::sync::Mutex<Stage>,
    ) -> Result<Prepared, StageError> {
        let enter = |next: Stage| {
            *stage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        };

        enter(Stage::TranscriptFetch);
        let timer = Instant::now();
        let fetched = self
            .loader
            .fetch_transcript(job)
            .instrument(tracing::info_span!(
                "transcript.fetch",
                otel.status_code = field::Empty
            ))
            .await
            .inspect_err(fail_current);
        let Some(raw) = fetched? else {
            return Ok(Prepared::Bare(SkipReason::NoTranscript));
        };
        self.observer
            .stage_finished(job, Stage::TranscriptFetch, timer.elapsed());

        if !self.config.force && self.is_unchanged(job, &raw).await? {
            return Ok(Prepared::Done(EpisodeOutcome::Skipped(
                SkipReason::Unchanged,
            )));
        }

        enter(Stage::TranscriptParse);
        let timer = Instant::now();
        let prepared = {
            let loader = Arc::clone(&self.loader);
            let (job, raw) = (job.clone(), raw.clone());
            let span = tracing::info_span!(
                "transcript.parse",
                transcript.bytes = span_count(raw.bytes.len()),
                segments.count = field::Empty,
                otel.status_code = field::Empty,
            );
            tokio::task::spawn_blocking(move || {
                let _entered = span.enter();
                let prepared = loader.prepare(&job, &raw);
                match &prepared {
                    Ok(prepared) => {
                        span.record(
                            "segments.count",
                            span_count(prepared.transcript.segments.len()),
                        );
                    }
                    Err(error) => fail_current(error),
                }
                prepared
            })
            .await
            .map_err(|error| StageError::internal(Stage::TranscriptParse, &error))??
        };
        self.observer
            .stage_finished(job, Stage::TranscriptParse, timer.elapsed());
        // A transcript without a single cue of text has nothing to extract from.
        if prepared.transcript.segments.is_empty() {
            return Ok(Prepared::Bare(SkipReason::EmptyTranscript));
        }

        enter(Stage::Extract);
        let timer = Instant::now();
        let extraction = self
            .extractor
            .extract(&job.episode, &prepared.transcript)
            .instrument(tracing::info_span!(
                "extract",
                extractor.version = %self.extractor.version(),
                otel.status_code = field::Empty,
            ))
            .await
            .map_err(|error| StageError::from_provider(Stage::Extract, &error))
            .inspect_err(fail_current)?;
        self.observer
            .stage_finished(job, Stage::Extract, timer.elapsed());

        Ok(Prepared::Extracted(Box::new(Extracted {
            transcript: prepared,
            extraction,
            transcript_hash: raw.hash,
        })))
    }

    /// Runs the stages that read or change the shared graph (resolve and write). In a
    /// run they happen in input order.
    async fn resolve_and_write(
        &self,
        job: &EpisodeJob,
        prepared: Prepared,
        stage: &std::sync::Mutex<Stage>,
    ) -> Result<EpisodeOutcome, StageError> {
        let enter = |next: Stage| {
            *stage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        };
        let extracted = match prepared {
            Prepared::Done(outcome) => return Ok(outcome),
            Prepared::Bare(reason) => {
                enter(Stage::StoreWrite);
                return self.write_without_facts(job, reason).await;
            }
            Prepared::Extracted(extracted) => *extracted,
        };
        let Extracted {
            transcript: prepared,
            extraction,
            transcript_hash,
        } = extracted;

        enter(Stage::Resolve);
        let timer = Instant::now();
        let extraction = self
            .resolver
            .resolve(extraction, self.store.as_ref())
            .instrument(tracing::info_span!(
                "resolve",
                otel.status_code = field::Empty
            ))
            .await
            .map_err(|error| StageError::from_provider(Stage::Resolve, &error))
            .inspect_err(fail_current)?;
        let episode_span = Span::current();
        episode_span.record(
            "segments.count",
            span_count(prepared.transcript.segments.len()),
        );
        episode_span.record("entities.count", span_count(extraction.entities.len()));
        self.observer
            .stage_finished(job, Stage::Resolve, timer.elapsed());

        enter(Stage::StoreWrite);
        let timer = Instant::now();
        let graph = EpisodeGraph {
            podcast: job.podcast.as_ref().clone(),
            episode: job.episode.clone(),
            transcript: prepared.transcript,
            chapters: prepared.chapters,
            extraction,
            transcript_hash,
            extractor_version: self.extractor.version(),
        };
        let written = self.write(&graph).await?;
        self.observer
            .stage_finished(job, Stage::StoreWrite, timer.elapsed());

        Ok(EpisodeOutcome::Processed(Box::new(
            summary::EpisodeCounts::of(&graph, written, prepared.warnings.len()),
        )))
    }

    /// Stores the podcast, the episode and its `podcast:person` entries without extracted
    /// facts, for an episode whose transcript is missing or empty, and returns the skip.
    ///
    /// An episode whose stored record has facts extracted from an earlier transcript
    /// keeps them: a transcript link that disappears from a feed, or a run without the
    /// `--transcripts` folder of an earlier one, must not erase them.
    async fn write_without_facts(
        &self,
        job: &EpisodeJob,
        reason: SkipReason,
    ) -> Result<EpisodeOutcome, StageError> {
        let record = self
            .store
            .episode_record(job.episode.id)
            .await
            .map_err(|error| StageError::from_provider(Stage::StoreWrite, &error))?;
        let has_facts = record.is_some_and(|record| {
            record.status == EpisodeStatus::Done
                && record.transcript_hash.is_some_and(|hash| !hash.is_empty())
        });
        if has_facts {
            return Ok(EpisodeOutcome::Skipped(reason));
        }

        // The empty transcript hash and extractor version mark the episode as stored
        // without facts; stores leave them out of exports.
        let graph = EpisodeGraph {
            podcast: job.podcast.as_ref().clone(),
            episode: job.episode.clone(),
            transcript: NormalizedTranscript {
                text: String::new(),
                segments: Vec::new(),
                speakers: Vec::new(),
                language: None,
                format: crate::model::TranscriptFormat::Text,
            },
            chapters: job.episode.chapters.clone(),
            extraction: Extraction::default(),
            transcript_hash: String::new(),
            extractor_version: String::new(),
        };
        self.write(&graph).await?;
        Ok(EpisodeOutcome::Skipped(reason))
    }

    async fn write(
        &self,
        graph: &EpisodeGraph,
    ) -> Result<crate::provider::WriteSummary, StageError> {
        self.store
            .write_episode(graph)
            .instrument(tracing::info_span!(
                "store.write",
                otel.status_code = field::Empty
            ))
            .await
            .map_err(|error| StageError::from_provider(Stage::StoreWrite, &error))
            .inspect_err(fail_current)
    }

    async fn is_unchanged(
        &self,
        job: &EpisodeJob,
        raw: &RawTranscript,
    ) -> Result<bool, StageError> {
        let record = self
            .store
            .episode_record(job.episode.id)
            .await
            .map_err(|error| StageError::from_provider(Stage::StoreWrite, &error))?;
        let Some(record) = record else {
            return Ok(false);
        };
        Ok(record.status == EpisodeStatus::Done
            && record.guid == job.episode.guid
            && record.transcript_hash.as_deref() == Some(raw.hash.as_str())
            && record.extractor_version.as_deref() == Some(self.extractor.version().as_str()))
    }
}

/// Creates the span of one episode. It is the root of its own trace, so that each episode
/// can be read on its own, and it links to the run's span and carries the run's
/// correlation id. Stage spans are its children.
fn episode_span(job: &EpisodeJob, run_id: &str) -> Span {
    let span = tracing::info_span!(
        parent: None,
        "episode.process",
        run_id = %run_id,
        podcast.id = %job.podcast.id,
        episode.id = %job.episode.id,
        outcome = field::Empty,
        segments.count = field::Empty,
        entities.count = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
        otel.status_message = field::Empty,
    );
    span.follows_from(Span::current().id());
    span
}

/// Converts a count to a span field value. `tracing-opentelemetry` 0.32 exports `u64`
/// and `usize` fields as strings but `i64` fields as integers.
fn span_count(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Records an episode's outcome on its span; a failure sets the error status.
fn record_outcome(span: &Span, outcome: &EpisodeOutcome) {
    let name = match outcome {
        EpisodeOutcome::Processed(_) => "processed",
        EpisodeOutcome::Skipped(reason) => reason.as_str(),
        EpisodeOutcome::Failed(_) => "failed",
    };
    span.record("outcome", name);
    if let EpisodeOutcome::Failed(error) = outcome {
        span.record("error.type", error.kind.as_str());
        span.record("otel.status_code", "ERROR");
        span.record("otel.status_message", error.to_string().as_str());
    }
}

/// Marks the current stage span as failed and records the error as an event on it. The
/// event is at DEBUG because the episode's failure is logged once, at ERROR, by the
/// observer that receives the outcome.
fn fail_current(error: &StageError) {
    let span = Span::current();
    span.record("otel.status_code", "ERROR");
    tracing::debug!(
        target: "podgraph::pipeline",
        stage = error.stage.as_str(),
        error.kind = error.kind.as_str(),
        "stage failed: {}",
        error.message
    );
}
