//! `podgraph seed`: the main job. Reads feeds, OPML lists and transcript folders, and
//! writes the knowledge graph of every episode to the store.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use podgraph_core::pipeline::{
    CancelToken, EpisodeJob, EpisodeOutcome, FanOut, Pipeline, PipelineConfig, PipelineObserver,
    RunSummary, Stage,
};
use podgraph_core::provider::Fetcher;
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::loader::{LocalTranscripts, TranscriptLoader};
use podgraph_ingest::sources::{Sources, collect_jobs_with};
use podgraph_metrics::{MeteredFetcher, MetricsConfig, MetricsHandle, MetricsObserver};
use podgraph_store_sqlite::SqliteStore;
use podgraph_tracing::TracingObserver;
use podgraph_tracing::wrap::TracedFetcher;
use tracing::Instrument;

use crate::cli::SeedArgs;
use crate::config::Config;
use crate::output::{excerpt, table};

/// Exit code when the run finished but some episodes or feeds failed.
pub(crate) const EXIT_PARTIAL: u8 = 3;
/// Exit code when the run was interrupted by SIGINT or SIGTERM.
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

pub(crate) async fn run(args: SeedArgs, config: Config) -> Result<ExitCode> {
    let run_id = crate::telemetry::new_run_id();
    let span = tracing::info_span!("podgraph.seed", run_id = %run_id);
    seed(args, config, run_id).instrument(span).await
}

async fn seed(args: SeedArgs, mut config: Config, run_id: String) -> Result<ExitCode> {
    apply_flags(&args, &mut config);
    let metrics = start_metrics(&args).await?;
    let target = config.store_target();
    let db_path = target.location();
    let slo_anchor = config.slo_anchor();
    if let Some(parent) = slo_anchor.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!("cannot create the database directory {}", parent.display())
        })?;
    }
    // The store is opened and validated before the SLO state is created, so that a
    // --db that is not a database leaves no SLO files behind.
    let opened = crate::store::open_for_writing(&target).await?;
    let store = opened.graph;
    // The SQLite handle shares the store's connections: it keeps feed validators and
    // checkpoints the log when the run is over.
    let database = opened.sqlite;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate database {}", db_path.display()))?;

    let slo = crate::slo::SloSession::start(
        &config,
        &slo_anchor,
        crate::slo::SloRole::Seed,
        args.override_freeze,
    )
    .await?;
    if let Some(rejected) = slo.rejection() {
        slo.finish().await;
        if let Some(metrics) = metrics {
            metrics.finish(args.metrics_file.as_deref())?;
        }
        return Ok(rejected);
    }

    let http = HttpFetcher::new(config.fetch.clone()).context("cannot set up the HTTP client")?;
    let fetcher: Arc<dyn Fetcher> = Arc::new(TracedFetcher::new(Arc::new(MeteredFetcher::new(
        http, "http",
    ))));
    let options = crate::conditional::collect_options(database.as_ref(), args.force).await?;
    let mut sources =
        collect_jobs_with(&args.inputs, fetcher.as_ref(), &config.ingest, &options).await;
    for (source, warning) in &sources.warnings {
        tracing::debug!(target: "podgraph::seed", source = %source, "{warning}");
    }
    for skipped in &sources.skipped {
        tracing::warn!(target: "podgraph::seed", source = %skipped.source, "input skipped: {}", skipped.reason);
    }
    let empty_inputs = warn_empty_inputs(&args.inputs, &sources);
    let all_jobs = std::mem::take(&mut sources.jobs);
    let jobs = select_jobs(all_jobs.clone(), args.since, args.max_episodes);
    let selected: BTreeSet<String> = jobs.iter().map(|job| job.episode.id.to_string()).collect();

    let mut loader = TranscriptLoader::new(fetcher, config.ingest.clone());
    if let Some(dir) = &args.transcripts {
        let local = LocalTranscripts::scan(dir)
            .with_context(|| format!("cannot read transcript directory {}", dir.display()))?;
        tracing::info!(target: "podgraph::seed", dir = %dir.display(), files = local.len(), "local transcripts indexed");
        loader = loader.with_local_transcripts(local);
    }

    let pipeline_config = PipelineConfig {
        concurrency: slo.concurrency(config.concurrency()),
        episode_deadline: Duration::from_secs(config.pipeline.episode_deadline_secs),
        force: args.force,
    };
    let progress = Arc::new(Progress::new(args.json));
    let observers = FanOut::new(vec![
        progress.clone(),
        Arc::new(MetricsObserver::new(MetricsObserver::DEFAULT_PODCAST_LIMIT)),
        Arc::new(TracingObserver),
        slo.observer(),
    ]);
    let pipeline = Pipeline::new(
        store,
        Arc::new(loader),
        Arc::new(LocalExtractor::default()),
        Arc::new(StoreResolver),
        pipeline_config,
    )
    .with_observer(Arc::new(observers))
    .with_run_id(run_id);

    let cancel = CancelToken::new();
    let signals = tokio::spawn(stop_on_signals(cancel.clone()));
    tracing::info!(
        target: "podgraph::seed",
        episodes = jobs.len(),
        feeds = sources.feeds,
        db = %db_path.display(),
        "seeding started"
    );
    let mut summary = pipeline.run(jobs, &cancel).await;
    signals.abort();
    progress.finish();
    slo.finish().await;
    drop(pipeline);
    crate::conditional::record_fetches(database.as_ref(), &sources, &all_jobs, &selected, &summary)
        .await?;
    if let Some(database) = &database {
        checkpoint(database).await;
    }

    for failure in &sources.failures {
        summary.record_feed_failure(&failure.source, failure.stage, failure.reason.clone());
    }
    summary.skipped_inputs = std::mem::take(&mut sources.skipped);
    summary.feeds_not_modified = std::mem::take(&mut sources.not_modified);
    tracing::info!(
        target: "podgraph::seed",
        processed = summary.processed,
        unchanged = summary.unchanged,
        failed = summary.failed(),
        elapsed_ms = u64::try_from(summary.elapsed.as_millis()).unwrap_or(u64::MAX),
        "seeding finished"
    );

    let peak_rss = peak_resident_bytes();
    if args.json {
        let mut value = serde_json::to_value(&summary)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("peak_rss_bytes".to_owned(), serde_json::json!(peak_rss));
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_summary(&summary, &db_path, peak_rss, cancel.is_cancelled());
    }
    if let Some(metrics) = metrics {
        metrics.finish(args.metrics_file.as_deref())?;
    }
    Ok(exit_code(&summary, cancel.is_cancelled(), empty_inputs))
}

/// Warns on standard error about the inputs that yielded no episodes and returns whether
/// any did.
///
/// NOTE: jobs do not record which input they come from, so an input is only reported
/// when the whole run found no episodes. Inputs that failed or that a server reported
/// as not modified are left out, because their own message or status already explains
/// them.
fn warn_empty_inputs(inputs: &[String], sources: &Sources) -> bool {
    if !sources.jobs.is_empty() {
        return false;
    }
    let explained: BTreeSet<&str> = sources
        .failures
        .iter()
        .map(|failure| failure.source.as_str())
        .chain(sources.not_modified.iter().map(String::as_str))
        .collect();
    let mut any = false;
    for input in inputs {
        if explained.contains(input.as_str()) {
            continue;
        }
        any = true;
        let hint = if std::path::Path::new(input).is_dir() {
            "check that the folder contains transcript files (.vtt, .srt, .json, .txt or .html), \
             or a folder of them per podcast"
        } else {
            "check that it is an RSS or Atom feed with <item> or <entry> elements, or an OPML \
             list of such feeds"
        };
        eprintln!("podgraph: no episodes found in {input}; {hint}");
    }
    any
}

/// Moves the write-ahead log into the database file, so that the database is one file
/// once the process exits. A failure loses nothing (the pages stay in the log, and the
/// next open or checkpoint copies them), so it is only logged.
async fn checkpoint(database: &SqliteStore) {
    if let Err(error) = database.checkpoint().await {
        tracing::warn!(
            target: "podgraph::seed",
            db = database.path(),
            error = %error,
            "the write-ahead log could not be checkpointed; it stays next to the database"
        );
    }
}

/// The metrics recorder and its server, when the run exposes metrics.
struct RunMetrics {
    handle: MetricsHandle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunMetrics {
    /// Stops the server and writes the final exposition to `file` when given.
    fn finish(mut self, file: Option<&std::path::Path>) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(path) = file {
            self.handle.run_upkeep();
            std::fs::write(path, self.handle.render())
                .with_context(|| format!("cannot write metrics file {}", path.display()))?;
        }
        Ok(())
    }
}

/// Installs the Prometheus recorder and serves `/metrics` when the flags ask for metrics.
async fn start_metrics(args: &SeedArgs) -> Result<Option<RunMetrics>> {
    if args.metrics_addr.is_none() && args.metrics_file.is_none() {
        return Ok(None);
    }
    let handle =
        podgraph_metrics::install(&MetricsConfig::default()).context("cannot start metrics")?;
    let mut stop = None;
    if let Some(addr) = args.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for metrics"))?;
        let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
        let served = handle.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = receiver.await;
            };
            if let Err(error) = podgraph_metrics::serve_listener(listener, served, shutdown).await {
                tracing::warn!(target: "podgraph::seed", error = %error, "metrics server stopped");
            }
        });
        tracing::info!(target: "podgraph::seed", %addr, "serving metrics on /metrics");
        stop = Some(sender);
    }
    Ok(Some(RunMetrics { handle, stop }))
}

/// Peak resident memory of this process (Linux `VmHWM`), when it can be read.
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn apply_flags(args: &SeedArgs, config: &mut Config) {
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

/// Keeps episodes published on or after `since` and at most `max_per_podcast` newest
/// episodes of each podcast, in input order.
pub(crate) fn select_jobs(
    jobs: Vec<EpisodeJob>,
    since: Option<NaiveDate>,
    max_per_podcast: Option<usize>,
) -> Vec<EpisodeJob> {
    let since = since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let mut jobs: Vec<EpisodeJob> = jobs
        .into_iter()
        .filter(|job| match (since, job.episode.published) {
            (Some(since), Some(published)) => published.with_timezone(&Utc) >= since,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    let Some(max) = max_per_podcast else {
        return jobs;
    };

    // Rank each podcast's episodes newest first (undated last) and keep the first `max`.
    let mut ranked: Vec<(usize, podgraph_core::ids::PodcastId, Option<DateTime<Utc>>)> = jobs
        .iter()
        .enumerate()
        .map(|(index, job)| {
            (
                index,
                job.podcast.id,
                job.episode.published.map(|d| d.with_timezone(&Utc)),
            )
        })
        .collect();
    ranked.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut keep = vec![false; jobs.len()];
    let mut current = None;
    let mut taken = 0;
    for (index, podcast, _) in ranked {
        if current != Some(podcast) {
            current = Some(podcast);
            taken = 0;
        }
        if taken < max {
            keep[index] = true;
            taken += 1;
        }
    }
    let mut index = 0;
    jobs.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    jobs
}

async fn stop_on_signals(cancel: CancelToken) {
    let mut first = true;
    loop {
        if !wait_for_signal().await {
            return;
        }
        if first {
            eprintln!(
                "podgraph: stopping: no new episodes are started, running ones finish (signal again to abort)"
            );
            cancel.cancel();
            first = false;
        } else {
            eprintln!("podgraph: aborted; episodes that were running are rolled back");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    }
}

/// Waits for SIGINT or SIGTERM. Returns false when signals cannot be received.
pub(crate) async fn wait_for_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return false;
        };
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.is_ok(),
            _ = terminate.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Returns the exit code of a run. A run whose inputs yielded no episodes
/// (`nothing_found`) and in which nothing failed did nothing, so it ends with 1.
fn exit_code(summary: &RunSummary, interrupted: bool, nothing_found: bool) -> ExitCode {
    if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if summary.failed() > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else if nothing_found {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_summary(
    summary: &RunSummary,
    db_path: &std::path::Path,
    peak_rss: Option<u64>,
    interrupted: bool,
) {
    let counts = &summary.counts;
    let mut rows = table(["", "count"]);
    for (label, value) in [
        ("episodes processed", summary.processed as u64),
        ("episodes unchanged (skipped)", summary.unchanged as u64),
        (
            "episodes without transcript",
            summary.without_transcript as u64,
        ),
        (
            "episodes with empty transcript",
            summary.empty_transcript as u64,
        ),
        (
            "feeds not modified",
            summary.feeds_not_modified.len() as u64,
        ),
        ("episodes failed", summary.failed() as u64),
        ("episodes not started", summary.cancelled as u64),
        ("segments", counts.segments),
        ("entities", counts.entities),
        ("mentions", counts.mentions),
        ("topics", counts.topics),
        ("quotes", counts.quotes),
        ("insights", counts.insights),
        ("relationships", counts.relationships),
        ("transcript bytes", counts.transcript_bytes),
    ] {
        rows.add_row([label.to_owned(), value.to_string()]);
    }
    println!("{rows}");
    let memory = peak_rss
        .map(|bytes| format!(", peak memory {} MiB", bytes / (1024 * 1024)))
        .unwrap_or_default();
    let ended = if interrupted {
        "interrupted after"
    } else {
        "finished in"
    };
    println!(
        "{ended} {:.2} s{memory}; graph stored in {}",
        summary.elapsed.as_secs_f64(),
        db_path.display()
    );

    if !summary.skipped_inputs.is_empty() {
        let mut skipped = table(["input skipped", "reason"]);
        for input in &summary.skipped_inputs {
            skipped.add_row([
                excerpt(&input.source, 60),
                excerpt(&input.reason, REASON_CHARS),
            ]);
        }
        println!("{skipped}");
    }
    if !summary.failures.is_empty() {
        let mut failures = table(["episode or feed", "stage", "reason"]);
        for failure in &summary.failures {
            failures.add_row([
                excerpt(&failure.title, 40),
                failure.stage.to_string(),
                excerpt(&failure.reason, REASON_CHARS),
            ]);
        }
        println!("{failures}");
    }
}

/// Maximum length, in characters, of a reason in the summary tables. The tables wrap long
/// cells and a reason ends with what to do, so only reasons padded by input text are cut.
const REASON_CHARS: usize = 600;

/// Progress display: a bar on terminals, log lines elsewhere.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} episodes  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl PipelineObserver for Progress {
    fn run_started(&self, episodes: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(episodes as u64);
        }
    }

    fn stage_finished(&self, job: &EpisodeJob, stage: Stage, elapsed: Duration) {
        tracing::debug!(
            target: "podgraph::seed",
            episode_id = %job.episode.id,
            stage = stage.as_str(),
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "stage finished"
        );
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{stage}: {}", excerpt(&job.episode.title, 40)));
        }
    }

    fn episode_finished(&self, job: &EpisodeJob, outcome: &EpisodeOutcome, elapsed: Duration) {
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match outcome {
            // `TracingObserver` logs every failed episode once, at ERROR.
            EpisodeOutcome::Failed(_) => {}
            _ if self.bar.is_none() => tracing::info!(
                target: "podgraph::seed",
                episode_id = %job.episode.id,
                outcome = outcome_name(outcome),
                elapsed_ms,
                "episode {:?} done",
                job.episode.title
            ),
            _ => {}
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

fn outcome_name(outcome: &EpisodeOutcome) -> &'static str {
    match outcome {
        EpisodeOutcome::Processed(_) => "processed",
        EpisodeOutcome::Skipped(reason) => reason.as_str(),
        EpisodeOutcome::Failed(_) => "failed",
    }
}
