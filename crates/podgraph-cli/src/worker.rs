//! `podgraph worker`: takes episode jobs from the Redis queue, processes them with the
//! same pipeline as `seed`, writes them to the configured store and acknowledges each
//! job after its write. Any number of workers on any number of machines can share one
//! queue, and a job whose worker dies is taken over by another once its lease runs out.
//!
//! Every episode result counts toward the SLO budgets as in `seed`, in the state that
//! `[slo] backend` names (Redis unless configured otherwise, so that every worker counts
//! into one budget). While a `freeze` policy is active the worker claims no jobs, and
//! `degrade` policies lower how many it runs at once.
//!
//! A failed episode is retried only when another attempt can succeed: see [`retry_for`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use podgraph_core::ErrorKind;
use podgraph_core::pipeline::{
    EpisodeOutcome, FanOut, Pipeline, PipelineConfig, PipelineObserver, SkipReason,
};
use podgraph_core::provider::{ClaimedJob, Fetcher, GraphStore, WorkQueue};
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::loader::{LocalTranscripts, TranscriptLoader};
use podgraph_metrics::{
    MeteredFetcher, MeteredQueue, MeteredStore, MetricsConfig, MetricsObserver,
};
use podgraph_redis::{CachingFetcher, FailOutcome, RedisCache, RedisConnection, RedisQueue, Retry};
use podgraph_store_sqlite::{SqliteOptions, SqliteStore};
use podgraph_tracing::TracingObserver;
use podgraph_tracing::wrap::{TracedFetcher, TracedGraphStore};
use serde::Serialize;
use tokio::sync::{Mutex, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::Config;
use crate::enqueue::{EpisodeTask, TASK_VERSION};
use crate::seed::EXIT_INTERRUPTED;
use crate::slo::{ClaimGate, Gate, SloRole, SloSession};

/// Time added to the episode deadline for the default lease, to cover the store write
/// and the acknowledgement after the deadline.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// How long a writer waits for the SQLite lock held by another worker process.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// Maximum pause between two claims after Redis failed.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Interval of the queue depth and age gauges.
const STATS_INTERVAL: Duration = Duration::from_secs(5);

/// Arguments of `podgraph worker`.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    /// SQLite database file shared by the workers of this host, or a Neo4j URI such as
    /// bolt://127.0.0.1:7687 shared by workers on many hosts (password from
    /// NEO4J_PASSWORD) [default: as for `seed`].
    #[arg(long, value_name = "PATH|URI")]
    pub(crate) db: Option<PathBuf>,

    /// Episodes processed at once by this worker [default: number of CPU cores].
    #[arg(long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,

    /// Seconds a claimed job stays reserved for this worker; a job not acknowledged by
    /// then goes to another worker. Use the same value on every worker of a queue
    /// [default: the episode deadline plus 60 s].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) lease_secs: Option<u64>,

    /// Milliseconds to wait before asking an empty queue again.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub(crate) poll_ms: u64,

    /// Exit once the queue has no ready and no claimed job left, instead of waiting for
    /// more (for batch jobs and tests). A worker paused by an SLO freeze keeps waiting,
    /// because the queued jobs are not done.
    #[arg(long)]
    pub(crate) exit_when_empty: bool,

    /// Process episodes even when their stored record is up to date.
    #[arg(long)]
    pub(crate) force: bool,

    /// Allow transcript URLs on loopback addresses (local test servers).
    #[arg(long)]
    pub(crate) allow_loopback: bool,

    /// Keep fetched web transcripts in the Redis cache for this many seconds, so that no
    /// worker fetches one twice; 0 turns the cache off.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub(crate) document_cache_secs: u64,

    /// Print the worker's summary as JSON when it stops.
    #[arg(long)]
    pub(crate) json: bool,

    /// Serve Prometheus metrics on this address (for example 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_addr: Option<std::net::SocketAddr>,

    /// Claim jobs even while an SLO policy freezes seeding (an operator override, logged
    /// as a warning per job and counted in `podgraph_slo_forced_admissions_total`).
    #[arg(long)]
    pub(crate) override_freeze: bool,
}

/// Opens the graph store named by the configuration and returns it with a description
/// for messages. Workers on many hosts share a Neo4j server; several workers of one host
/// may share a SQLite file (WAL mode, with a long busy timeout for concurrent writers).
pub(crate) async fn open_store(config: &Config) -> Result<(Arc<dyn GraphStore>, String)> {
    let path = match config.store_target() {
        crate::store::StoreTarget::Sqlite(path) => path,
        target @ crate::store::StoreTarget::Neo4j(_) => {
            let store = crate::store::open_for_writing(&target).await?.graph;
            store
                .migrate()
                .await
                .context("cannot prepare the Neo4j schema")?;
            return Ok((store, target.location().display().to_string()));
        }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!("cannot create the database directory {}", parent.display())
        })?;
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match open_sqlite(&path).await {
            Ok(store) => return Ok((store, path.display().to_string())),
            // Workers that start together race to create the file and switch it to WAL.
            // SQLite reports the loser's switch as "database is locked" at once instead
            // of waiting for the busy timeout, so the open is retried here.
            Err(error) if error.is_temporary() && started.elapsed() < SQLITE_BUSY_TIMEOUT => {
                tracing::debug!(
                    target: "podgraph::worker",
                    db = %path.display(),
                    error = %error,
                    "database busy while opening; retrying"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot open database {}", path.display()));
            }
        }
    }
}

async fn open_sqlite(path: &Path) -> podgraph_core::ProviderResult<Arc<dyn GraphStore>> {
    let options = SqliteOptions {
        busy_timeout: SQLITE_BUSY_TIMEOUT,
        ..SqliteOptions::default()
    };
    let sqlite = SqliteStore::open_with(path, options)?;
    let store: Arc<dyn GraphStore> = Arc::new(TracedGraphStore::new(
        Arc::new(MeteredStore::new(sqlite, "sqlite")),
        "sqlite",
    ));
    store.migrate().await?;
    Ok(store)
}

/// Counts of one worker's jobs, printed when it stops. The first three count episodes,
/// `retried` counts failed attempts and `dead_lettered` counts distinct jobs.
#[derive(Debug, Default, Serialize)]
struct WorkerSummary {
    consumer: String,
    processed: u64,
    unchanged: u64,
    without_transcript: u64,
    /// Failed attempts left in the queue for another delivery.
    retried: u64,
    /// Jobs this worker moved to the dead-letter stream, each counted once.
    dead_lettered: u64,
    /// Jobs this worker got after another delivery of them failed or was abandoned.
    redelivered: u64,
    acknowledged: u64,
    elapsed_ms: u64,
}

#[derive(Default)]
struct Counters {
    processed: AtomicU64,
    unchanged: AtomicU64,
    without_transcript: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    redelivered: AtomicU64,
    acknowledged: AtomicU64,
}

/// Builds one pipeline per transcript directory named in jobs, on shared providers.
struct Pipelines {
    store: Arc<dyn GraphStore>,
    fetcher: Arc<dyn Fetcher>,
    config: Config,
    pipeline_config: PipelineConfig,
    run_id: String,
    /// Records every episode result into the SLO budgets.
    slo_observer: Arc<dyn PipelineObserver>,
    by_transcripts_dir: Mutex<HashMap<Option<PathBuf>, Pipeline>>,
}

impl Pipelines {
    async fn for_task(&self, task: &EpisodeTask) -> Result<Pipeline> {
        let mut pipelines = self.by_transcripts_dir.lock().await;
        if let Some(pipeline) = pipelines.get(&task.transcripts_dir) {
            return Ok(pipeline.clone());
        }
        let mut loader =
            TranscriptLoader::new(Arc::clone(&self.fetcher), self.config.ingest.clone());
        if let Some(dir) = &task.transcripts_dir {
            let local = scan_transcripts(dir).await?;
            loader = loader.with_local_transcripts(local);
        }
        let observers = FanOut::new(vec![
            Arc::new(MetricsObserver::new(MetricsObserver::DEFAULT_PODCAST_LIMIT)),
            Arc::new(TracingObserver),
            Arc::clone(&self.slo_observer),
        ]);
        let pipeline = Pipeline::new(
            Arc::clone(&self.store),
            Arc::new(loader),
            Arc::new(LocalExtractor::default()),
            Arc::new(StoreResolver),
            self.pipeline_config.clone(),
        )
        .with_observer(Arc::new(observers))
        .with_run_id(self.run_id.clone());
        pipelines.insert(task.transcripts_dir.clone(), pipeline.clone());
        Ok(pipeline)
    }
}

async fn scan_transcripts(dir: &Path) -> Result<LocalTranscripts> {
    let owned = dir.to_owned();
    let scanned = tokio::task::spawn_blocking(move || LocalTranscripts::scan(&owned))
        .await
        .context("transcript directory scan stopped")?;
    scanned.with_context(|| format!("cannot read transcript directory {}", dir.display()))
}

/// Everything a job task needs, shared by all of them.
struct Worker {
    queue: Arc<dyn WorkQueue>,
    /// The same queue, typed, for failures recorded with their error kind and retry
    /// decision, which [`WorkQueue::fail`] cannot carry.
    failures: Arc<MeteredQueue<RedisQueue>>,
    pipelines: Pipelines,
    counters: Counters,
}

pub(crate) async fn run(args: WorkerArgs, mut config: Config) -> Result<ExitCode> {
    let run_id = crate::telemetry::new_run_id();
    apply_flags(&args, &mut config);
    let episode_deadline = Duration::from_secs(config.pipeline.episode_deadline_secs);
    let lease = lease_for(args.lease_secs, episode_deadline)?;
    let metrics = start_metrics(args.metrics_addr).await?;

    let connection = RedisConnection::connect(&config.redis)
        .await
        .context("cannot connect to Redis")?;
    let failures = Arc::new(MeteredQueue::new(
        RedisQueue::new(connection.clone(), &config.redis.queue),
        "redis",
    ));
    let queue: Arc<dyn WorkQueue> = Arc::clone(&failures) as Arc<dyn WorkQueue>;
    let (store, store_name) = open_store(&config).await?;
    let fetcher = build_fetcher(&config, &connection, args.document_cache_secs)?;
    // After the metrics recorder, because the tracker binds its counters on creation.
    let slo = SloSession::start(
        &config,
        &config.slo_anchor(),
        SloRole::Worker,
        args.override_freeze,
    )
    .await?;

    let concurrency = config.concurrency();
    let config_queue = config.redis.queue.clone();
    let pipeline_config = PipelineConfig {
        concurrency: 1,
        episode_deadline,
        force: args.force,
    };
    let consumer = consumer_name();
    let worker = Arc::new(Worker {
        queue,
        failures,
        pipelines: Pipelines {
            store,
            fetcher,
            config,
            pipeline_config,
            run_id,
            slo_observer: slo.observer(),
            by_transcripts_dir: Mutex::new(HashMap::new()),
        },
        counters: Counters::default(),
    });

    tracing::info!(
        target: "podgraph::worker",
        consumer = %consumer,
        redis = connection.target(),
        store = %store_name,
        concurrency,
        lease_secs = lease.as_secs(),
        "worker started"
    );
    let started = Instant::now();
    let (stop_sender, stop) = watch::channel(false);
    let signals = tokio::spawn(stop_on_signals(stop_sender));
    let settings = Consume {
        consumer: &consumer,
        concurrency,
        lease,
        poll: Duration::from_millis(args.poll_ms.max(10)),
        exit_when_empty: args.exit_when_empty,
    };
    let mut gate = slo.claim_gate(concurrency);
    consume(&worker, &settings, &mut gate, stop).await;
    signals.abort();
    slo.finish().await;

    let retiring = RedisQueue::new(connection.clone(), &config_queue);
    if let Err(error) = retiring.retire_consumer(&consumer).await {
        tracing::warn!(
            target: "podgraph::worker",
            consumer = %consumer,
            error = %error,
            "consumer not removed from the consumer group"
        );
    }
    let summary = worker.summary(consumer, started.elapsed());
    tracing::info!(
        target: "podgraph::worker",
        consumer = %summary.consumer,
        processed = summary.processed,
        unchanged = summary.unchanged,
        without_transcript = summary.without_transcript,
        retried = summary.retried,
        dead_lettered = summary.dead_lettered,
        redelivered = summary.redelivered,
        elapsed_ms = summary.elapsed_ms,
        "worker stopped"
    );
    print_summary(&summary, args.json)?;
    if let Some(stop) = metrics {
        let _ = stop.send(());
    }
    Ok(ExitCode::SUCCESS)
}

fn apply_flags(args: &WorkerArgs, config: &mut Config) {
    if let Some(db) = &args.db {
        config.set_db_flag(db);
    }
    if let Some(concurrency) = args.concurrency {
        config.pipeline.concurrency = concurrency;
    }
    if args.allow_loopback {
        config.fetch.allow_loopback = true;
    }
}

/// Returns the lease: `--lease-secs`, or the episode deadline plus a margin. A lease not
/// longer than the deadline is rejected, because a slow episode would then be taken
/// over while it still runs.
fn lease_for(lease_secs: Option<u64>, episode_deadline: Duration) -> Result<Duration> {
    let lease = lease_secs.map_or(episode_deadline + LEASE_MARGIN, Duration::from_secs);
    if lease <= episode_deadline {
        bail!(
            "the lease of {} s must be longer than the episode deadline of {} s, or slow episodes are processed twice; raise --lease-secs",
            lease.as_secs(),
            episode_deadline.as_secs()
        );
    }
    Ok(lease)
}

/// Builds the transcript fetcher: HTTP and local files, with web documents cached in
/// Redis for `cache_secs` (0 turns the cache off).
fn build_fetcher(
    config: &Config,
    connection: &RedisConnection,
    cache_secs: u64,
) -> Result<Arc<dyn Fetcher>> {
    let http = HttpFetcher::new(config.fetch.clone()).context("cannot set up the HTTP client")?;
    let mut fetcher: Arc<dyn Fetcher> = Arc::new(MeteredFetcher::new(http, "http"));
    if cache_secs > 0 {
        let cache = RedisCache::new(connection.clone(), &config.redis.cache);
        fetcher = Arc::new(CachingFetcher::new(
            fetcher,
            Arc::new(cache),
            Duration::from_secs(cache_secs),
        ));
    }
    Ok(Arc::new(TracedFetcher::new(fetcher)))
}

fn print_summary(summary: &WorkerSummary, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(summary)?);
    } else {
        println!(
            "{}: episodes: {} processed, {} unchanged, {} without transcript; failed attempts left for retry: {}; jobs moved to the dead-letter stream: {}; jobs taken over from other deliveries: {}",
            summary.consumer,
            summary.processed,
            summary.unchanged,
            summary.without_transcript,
            summary.retried,
            summary.dead_lettered,
            summary.redelivered
        );
    }
    Ok(())
}

/// Settings of the consume loop.
struct Consume<'a> {
    consumer: &'a str,
    concurrency: usize,
    lease: Duration,
    poll: Duration,
    exit_when_empty: bool,
}

/// Claims jobs while slots are free and runs each on its own task, until `stop` turns
/// true (or, with `exit_when_empty`, the queue is drained). Jobs already running are
/// finished before it returns.
///
/// Before each claim it checks `gate`: while an SLO freeze is active it claims nothing
/// (the jobs stay queued), and a `degrade` policy lowers how many jobs run at once.
async fn consume(
    worker: &Arc<Worker>,
    settings: &Consume<'_>,
    gate: &mut ClaimGate,
    mut stop: watch::Receiver<bool>,
) {
    let capacity = settings.concurrency.max(1);
    let slots = Arc::new(Semaphore::new(capacity));
    let mut running = JoinSet::new();
    let mut backoff = settings.poll;
    let mut last_stats: Option<Instant> = None;

    loop {
        while let Some(done) = running.try_join_next() {
            report_panic(done);
        }
        if *stop.borrow() {
            break;
        }
        if last_stats.is_none_or(|at| at.elapsed() >= STATS_INTERVAL) {
            // Through `MeteredQueue`, this call updates the queue depth and age gauges.
            if let Ok(stats) = worker.queue.stats().await {
                tracing::debug!(
                    target: "podgraph::worker",
                    ready = stats.ready,
                    in_flight = stats.in_flight,
                    dead = stats.dead,
                    "queue depth"
                );
            }
            last_stats = Some(Instant::now());
        }

        let (limit, forced) = match gate.check() {
            Gate::Claim { limit, forced } => (limit, forced),
            Gate::Paused => {
                sleep_unless_stopped(settings.poll, &mut stop).await;
                continue;
            }
        };
        let running_jobs = capacity.saturating_sub(slots.available_permits());
        let free = limit
            .min(capacity)
            .saturating_sub(running_jobs)
            .min(slots.available_permits());
        if free == 0 {
            tokio::select! {
                Some(done) = running.join_next() => report_panic(done),
                () = wait_for_stop(&mut stop) => {}
            }
            continue;
        }

        let claimed = match worker
            .queue
            .claim(settings.consumer, free, settings.lease)
            .await
        {
            Ok(claimed) => {
                backoff = settings.poll;
                claimed
            }
            Err(error) => {
                tracing::warn!(
                    target: "podgraph::worker",
                    consumer = settings.consumer,
                    error = %error,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    "claiming jobs failed; retrying"
                );
                sleep_unless_stopped(backoff, &mut stop).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };

        if claimed.is_empty() {
            if settings.exit_when_empty && running.is_empty() && queue_is_drained(worker).await {
                break;
            }
            sleep_unless_stopped(settings.poll, &mut stop).await;
            continue;
        }
        for job in claimed {
            if forced {
                gate.admit_forced();
            }
            // `free` permits were available and only this loop takes them, so this
            // never waits.
            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            let worker = Arc::clone(worker);
            running.spawn(async move {
                worker.process(job).await;
                drop(permit);
            });
        }
    }

    if !running.is_empty() {
        tracing::info!(
            target: "podgraph::worker",
            jobs = running.len(),
            "stopping: finishing the jobs already claimed"
        );
    }
    while let Some(done) = running.join_next().await {
        report_panic(done);
    }
}

/// Checks whether the queue has no ready and no claimed job. Jobs still claimed by a worker
/// that died count as claimed, so a draining worker waits for their lease to end.
async fn queue_is_drained(worker: &Worker) -> bool {
    match worker.queue.stats().await {
        Ok(stats) => stats.ready == 0 && stats.in_flight == 0,
        Err(error) => {
            tracing::warn!(target: "podgraph::worker", error = %error, "queue counts unavailable");
            false
        }
    }
}

fn report_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        // The job stays claimed and is delivered again after its lease.
        tracing::error!(target: "podgraph::worker", error = %error, "job task failed");
    }
}

/// Waits until `stop` turns true; waits for ever when the sender is gone.
async fn wait_for_stop(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stopped| *stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn sleep_unless_stopped(duration: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(duration) => {}
        () = wait_for_stop(stop) => {}
    }
}

/// Sets `stop` on the first SIGINT or SIGTERM and exits the process on the second.
async fn stop_on_signals(stop: watch::Sender<bool>) {
    let mut first = true;
    while crate::seed::wait_for_signal().await {
        if first {
            eprintln!(
                "podgraph: stopping: no new jobs are claimed, running ones finish (signal again to abort)"
            );
            stop.send_replace(true);
            first = false;
        } else {
            eprintln!(
                "podgraph: aborted; jobs that were running are delivered to another worker after their lease"
            );
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    }
    // Signals cannot be received; keep the sender so that `stop` stays false.
    std::future::pending::<()>().await;
}

impl Worker {
    /// Processes one claimed job and acknowledges it after the store write, or records
    /// the failed attempt so that the queue retries or dead-letters it.
    async fn process(&self, claimed: ClaimedJob) {
        let started = Instant::now();
        if claimed.attempt > 1 {
            self.counters.redelivered.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                target: "podgraph::worker",
                job_id = %claimed.id.0,
                attempt = claimed.attempt,
                "job taken over after an earlier delivery failed or was abandoned"
            );
        }
        let task: EpisodeTask = match serde_json::from_value(claimed.job.payload.clone()) {
            Ok(task) => task,
            Err(error) => {
                let failure = Failure {
                    reason: format!("job payload is not an episode job: {error}"),
                    kind: Some(ErrorKind::InvalidInput),
                    retry: Retry::Never,
                };
                return self.fail(&claimed, None, failure, started).await;
            }
        };
        if task.version != TASK_VERSION {
            let failure = Failure {
                reason: format!(
                    "job version {} is not supported (this worker reads version {TASK_VERSION}); run the same podgraph version for enqueue and worker",
                    task.version
                ),
                kind: Some(ErrorKind::InvalidInput),
                retry: Retry::Never,
            };
            return self.fail(&claimed, None, failure, started).await;
        }
        let pipeline = match self.pipelines.for_task(&task).await {
            Ok(pipeline) => pipeline,
            // The transcript directory may be mounted late or exist on another host's
            // worker, so this failure is retried.
            Err(error) => {
                let failure = Failure {
                    reason: format!("{error:#}"),
                    kind: None,
                    retry: Retry::Allowed,
                };
                return self.fail(&claimed, None, failure, started).await;
            }
        };

        let job = task.into_job();
        let span = tracing::info_span!(
            "worker.job",
            job.id = %claimed.id.0,
            job.attempt = claimed.attempt,
            episode.id = %job.episode.id,
        );
        let outcome = pipeline.process_with_deadline(&job).instrument(span).await;
        let (counter, outcome_name) = match &outcome {
            EpisodeOutcome::Processed(_) => (&self.counters.processed, "processed"),
            EpisodeOutcome::Skipped(SkipReason::Unchanged) => {
                (&self.counters.unchanged, "unchanged")
            }
            // Both store the episode without facts.
            EpisodeOutcome::Skipped(SkipReason::NoTranscript | SkipReason::EmptyTranscript) => {
                (&self.counters.without_transcript, "without_transcript")
            }
            EpisodeOutcome::Failed(error) => {
                let failure = Failure {
                    reason: format!("{}: {}", error.stage.as_str(), error.message),
                    kind: Some(error.kind),
                    retry: retry_for(error.kind, &error.message),
                };
                let episode = (job.episode.id.to_string(), job.episode.title.clone());
                return self.fail(&claimed, Some(episode), failure, started).await;
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);

        match self.queue.ack(&claimed.id).await {
            Ok(()) => {
                self.counters.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => tracing::warn!(
                target: "podgraph::worker",
                job_id = %claimed.id.0,
                error = %error,
                "acknowledgement failed; the job is delivered again after its lease and then skipped as unchanged"
            ),
        }
        tracing::info!(
            target: "podgraph::worker",
            job_id = %claimed.id.0,
            attempt = claimed.attempt,
            episode_id = %job.episode.id,
            title = %job.episode.title,
            outcome = outcome_name,
            elapsed_ms = elapsed_millis(started),
            "job finished"
        );
    }

    /// Logs a failed attempt and records it in the queue, which keeps the job for another
    /// delivery or moves it to the dead-letter stream. `episode` is the episode id and
    /// title when the job got far enough to know them.
    async fn fail(
        &self,
        claimed: &ClaimedJob,
        episode: Option<(String, String)>,
        failure: Failure,
        started: Instant,
    ) {
        let (episode_id, title) = episode.unwrap_or_default();
        let kind = failure.kind.map_or("", ErrorKind::as_str);
        tracing::warn!(
            target: "podgraph::worker",
            job_id = %claimed.id.0,
            job_key = %claimed.job.key,
            attempt = claimed.attempt,
            episode_id = %episode_id,
            error_kind = kind,
            retry = failure.retry == Retry::Allowed,
            "job attempt failed: {}",
            failure.reason
        );
        let recorded =
            self.failures
                .inner()
                .fail_with(claimed, &failure.reason, failure.kind, failure.retry);
        let outcome = match self.failures.measure("queue.fail", recorded).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(
                    target: "podgraph::worker",
                    job_id = %claimed.id.0,
                    error = %error,
                    "failed attempt not recorded; the job is delivered again after its lease"
                );
                FailOutcome::Retried
            }
        };
        let outcome_name = match outcome {
            // `Ignored` means a later delivery of the job runs and decides its outcome.
            FailOutcome::Retried | FailOutcome::Ignored => {
                self.counters.retried.fetch_add(1, Ordering::Relaxed);
                "retry"
            }
            FailOutcome::DeadLettered => {
                self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
                "dead_lettered"
            }
        };
        tracing::info!(
            target: "podgraph::worker",
            job_id = %claimed.id.0,
            attempt = claimed.attempt,
            episode_id = %episode_id,
            title = %title,
            outcome = outcome_name,
            error_kind = kind,
            elapsed_ms = elapsed_millis(started),
            "job finished"
        );
    }

    fn summary(&self, consumer: String, elapsed: Duration) -> WorkerSummary {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WorkerSummary {
            consumer,
            processed: load(&self.counters.processed),
            unchanged: load(&self.counters.unchanged),
            without_transcript: load(&self.counters.without_transcript),
            retried: load(&self.counters.retried),
            dead_lettered: load(&self.counters.dead_lettered),
            redelivered: load(&self.counters.redelivered),
            acknowledged: load(&self.counters.acknowledged),
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// A failed attempt: the reason stored with a dead letter, its error kind when known,
/// and whether another delivery may succeed.
struct Failure {
    reason: String,
    kind: Option<ErrorKind>,
    retry: Retry,
}

/// Decides whether an episode that failed with `kind` may succeed on another delivery.
///
/// Missing documents, invalid input, rejected access, unsupported operations and size
/// limits fail the same way every time, so the job is dead-lettered at once. Timeouts,
/// unreachable servers (connection failures, 5xx statuses, a store that is down), write
/// conflicts, rate limits (HTTP 429) and unexpected replies are retried until the job
/// used its allowed attempts.
fn retry_for(kind: ErrorKind, message: &str) -> Retry {
    match kind {
        ErrorKind::NotFound
        | ErrorKind::InvalidInput
        | ErrorKind::PermissionDenied
        | ErrorKind::Unsupported => Retry::Never,
        // NOTE: the pipeline error keeps only the kind, not the fetcher's temporary
        // flag, so a 429 status is recognised by the status the HTTP fetcher writes
        // into its message ("server returned 429 too many requests").
        ErrorKind::LimitExceeded if !message.contains("server returned 429") => Retry::Never,
        // Timeout, Unavailable, Conflict, Unexpected, a 429 and kinds added later.
        _ => Retry::Allowed,
    }
}

fn elapsed_millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Builds a consumer name unique to this process: host name, process id and a random suffix.
fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let suffix = suffix
        .get(suffix.len().saturating_sub(8)..)
        .unwrap_or_default();
    format!("{host}-{}-{suffix}", std::process::id())
}

/// Installs the Prometheus recorder and serves `/metrics` on `addr`. Returns the sender
/// that stops the server.
async fn start_metrics(
    addr: Option<std::net::SocketAddr>,
) -> Result<Option<tokio::sync::oneshot::Sender<()>>> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let handle =
        podgraph_metrics::install(&MetricsConfig::default()).context("cannot start metrics")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for metrics"))?;
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = receiver.await;
        };
        if let Err(error) = podgraph_metrics::serve_listener(listener, handle, shutdown).await {
            tracing::warn!(target: "podgraph::worker", error = %error, "metrics server stopped");
        }
    });
    tracing::info!(target: "podgraph::worker", %addr, "serving metrics on /metrics");
    Ok(Some(sender))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lease_exceeds_the_deadline() {
        let lease = lease_for(None, Duration::from_secs(300)).unwrap();
        assert_eq!(lease, Duration::from_secs(360));
    }

    #[test]
    fn lease_not_longer_than_deadline_is_rejected() {
        let error = lease_for(Some(300), Duration::from_secs(300)).unwrap_err();
        assert!(error.to_string().contains("--lease-secs"), "{error}");
        assert!(lease_for(Some(301), Duration::from_secs(300)).is_ok());
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::InvalidInput,
            ErrorKind::PermissionDenied,
            ErrorKind::Unsupported,
        ] {
            assert_eq!(retry_for(kind, "x"), Retry::Never, "{kind}");
        }
        let too_long = "https://example.test/t.vtt: body longer than 10 bytes";
        assert_eq!(retry_for(ErrorKind::LimitExceeded, too_long), Retry::Never);
    }

    #[test]
    fn temporary_errors_are_retried() {
        for kind in [
            ErrorKind::Timeout,
            ErrorKind::Unavailable,
            ErrorKind::Conflict,
            ErrorKind::Unexpected,
        ] {
            assert_eq!(retry_for(kind, "x"), Retry::Allowed, "{kind}");
        }
        let rate_limited =
            "https://example.test/t.vtt: server returned 429 too many requests; retry later";
        assert_eq!(
            retry_for(ErrorKind::LimitExceeded, rate_limited),
            Retry::Allowed
        );
    }

    #[test]
    fn consumer_names_differ_between_calls() {
        let first = consumer_name();
        assert!(first.contains(&std::process::id().to_string()), "{first}");
        assert_ne!(first, consumer_name());
    }
}
