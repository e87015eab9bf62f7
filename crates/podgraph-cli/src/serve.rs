//! `podgraph serve`: the REST API over the store, with seeding jobs, metrics and SLOs.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use podgraph_api::jobs::{JobContext, JobManager};
use podgraph_api::{AppState, DEFAULT_JOB_GRACE, SERVE_IDLE_READERS, SERVE_READERS, Services};
use podgraph_core::pipeline::PipelineConfig;
use podgraph_core::provider::{Fetcher, GraphStore};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_metrics::{MeteredFetcher, MeteredStore, MetricsConfig};
use podgraph_store_sqlite::{SqliteOptions, SqliteStore};
use podgraph_tracing::wrap::{TracedFetcher, TracedGraphStore};

use crate::cli::ServeArgs;
use crate::config::Config;

/// How often the SLO policies are evaluated and the SLO counts saved, unless
/// `[slo] evaluation_interval_secs` sets it.
const SLO_INTERVAL: Duration = Duration::from_secs(15);

pub(crate) async fn run(args: ServeArgs, mut config: Config) -> Result<ExitCode> {
    if let Some(addr) = args.addr {
        config.api.addr = addr;
    }
    if let Some(db) = &args.db {
        config.set_db_flag(db);
    }
    if args.allow_loopback {
        config.fetch.allow_loopback = true;
    }
    if let Err(message) = config.api.validate() {
        bail!("invalid API configuration: {message}");
    }
    if !config.api.auth_required() {
        tracing::warn!(target: "podgraph::serve", addr = %config.api.addr, "no API key configured: the API accepts anonymous requests");
    }

    // The recorder must exist before the SLO tracker binds its counters.
    let metrics =
        podgraph_metrics::install(&MetricsConfig::default()).context("cannot start metrics")?;

    let db_path = match config.store_target() {
        crate::store::StoreTarget::Sqlite(path) => path,
        crate::store::StoreTarget::Neo4j(neo4j) => bail!(
            "podgraph serve reads the embedded SQLite store; {} is a Neo4j database. \
             Give a SQLite file with --db or [db] path",
            neo4j.uri
        ),
    };
    if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!("cannot create the database directory {}", parent.display())
        })?;
    }
    let open_path = db_path.clone();
    let options = SqliteOptions {
        max_idle_readers: SERVE_IDLE_READERS,
        max_readers: SERVE_READERS,
        ..SqliteOptions::default()
    };
    let store = tokio::task::spawn_blocking(move || SqliteStore::open_with(&open_path, options))
        .await
        .context("the database task stopped")?
        .with_context(|| format!("cannot open database {}", db_path.display()))?;
    let graph: Arc<dyn GraphStore> = Arc::new(TracedGraphStore::new(
        Arc::new(MeteredStore::new(store.clone(), "sqlite")),
        "sqlite",
    ));

    let (engine, slo_state) =
        crate::slo::start_engine(args.slo.as_deref(), &config, &db_path).await?;
    let slo_interval = crate::slo::evaluation_interval(&config, SLO_INTERVAL)?;
    let http = HttpFetcher::new(config.fetch.clone()).context("cannot set up the HTTP client")?;
    let fetcher: Arc<dyn Fetcher> = Arc::new(TracedFetcher::new(Arc::new(MeteredFetcher::new(
        http, "http",
    ))));
    let jobs = JobManager::new(
        JobContext {
            store: store.clone(),
            graph: Arc::clone(&graph),
            fetcher,
            ingest: config.ingest.clone(),
            pipeline: PipelineConfig {
                concurrency: config.concurrency(),
                episode_deadline: Duration::from_secs(config.pipeline.episode_deadline_secs),
                force: false,
            },
            slo: Some(Arc::clone(engine.tracker())),
        },
        config.api.concurrent_jobs,
    );
    let interrupted = jobs
        .recover()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the stored jobs: {e}"))?;
    if interrupted > 0 {
        tracing::warn!(target: "podgraph::serve", jobs = interrupted, "jobs left unfinished by the last server were marked failed");
    }

    let listener = tokio::net::TcpListener::bind(config.api.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.api.addr))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let state = AppState::new(Services {
        config: config.api.clone(),
        store,
        graph,
        jobs,
        metrics: Some(metrics),
        slo: Some(Arc::clone(&engine)),
    });

    let (stop_slo, slo_stopped) = tokio::sync::oneshot::channel::<()>();
    let slo_task = tokio::spawn(crate::slo::evaluate_and_publish(
        Arc::clone(&engine),
        Arc::clone(&slo_state),
        slo_interval,
        async move {
            let _ = slo_stopped.await;
        },
    ));
    eprintln!("podgraph: serving the API on http://{addr} (Swagger UI at http://{addr}/docs)");
    podgraph_api::serve(listener, state, wait_for_signal(), DEFAULT_JOB_GRACE)
        .await
        .with_context(|| format!("the API server on {addr} failed"))?;
    let _ = stop_slo.send(());
    if tokio::time::timeout(Duration::from_secs(5), slo_task)
        .await
        .is_err()
    {
        tracing::warn!(target: "podgraph::serve", "the SLO task did not stop within 5 s");
    }
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT or SIGTERM (or never when signals cannot be received).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            std::future::pending::<()>().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!("podgraph: stopping: finishing requests and stopping jobs at an episode boundary");
}
