//! Load benchmark of the API on loopback: entity lookup, search and health at 1, 16
//! and 64 concurrent connections, on a store seeded from the Talk Python transcripts of
//! `$PODGRAPH_CORPUS_DIR/talkpython`.
//!
//! `PODGRAPH_CORPUS_DIR=... cargo bench -p podgraph-api --bench load`
//!
//! Each run is bounded by `PODGRAPH_LOAD_SECONDS` (default 5) and 50,000 requests.
//! `PODGRAPH_LOAD_DB` names a database file to seed once and reuse in later runs
//! (default: a new temporary database every run).
//! Prints one Markdown table row per route and concurrency: requests per second, p50
//! and p99 latency as the client measured them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use podgraph_api::jobs::{JobContext, JobManager};
use podgraph_api::{ApiConfig, AppState, RateLimitConfig, Services};
use podgraph_core::config::{FetchConfig, IngestConfig};
use podgraph_core::pipeline::{CancelToken, Pipeline, PipelineConfig};
use podgraph_core::provider::{EntityFilter, Fetcher, GraphStore, PageRequest};
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::loader::TranscriptLoader;
use podgraph_ingest::sources::collect_jobs;
use podgraph_store_sqlite::{SqliteOptions, SqliteStore};

/// Requests per run, at most.
const MAX_REQUESTS: usize = 50_000;

/// Words searched for, in turn.
const SEARCH_WORDS: &[&str] = &[
    "python",
    "django",
    "async",
    "testing",
    "flask",
    "data science",
    "packaging",
    "numpy",
];

fn main() {
    let Some(corpus) = std::env::var_os("PODGRAPH_CORPUS_DIR") else {
        eprintln!("load: PODGRAPH_CORPUS_DIR is not set; nothing to measure");
        return;
    };
    let seconds: u64 = std::env::var("PODGRAPH_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("load: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run(Path::new(&corpus).join("talkpython"), seconds)) {
        eprintln!("load: {error}");
        std::process::exit(1);
    }
}

async fn run(talkpython: std::path::PathBuf, seconds: u64) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = std::env::var_os("PODGRAPH_LOAD_DB")
        .map_or_else(|| dir.path().join("load.db"), std::path::PathBuf::from);
    // As `podgraph serve` opens it, so that concurrent requests reuse warm connections.
    let options = SqliteOptions {
        max_idle_readers: podgraph_api::SERVE_IDLE_READERS,
        max_readers: podgraph_api::SERVE_READERS,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&path, options).map_err(|e| e.to_string())?;

    let mut entities = most_mentioned(&store).await?;
    if entities.is_empty() {
        let seeded = Instant::now();
        seed(&store, &talkpython).await?;
        eprintln!(
            "load: seeded {} in {:.1} s",
            talkpython.display(),
            seeded.elapsed().as_secs_f64()
        );
        entities = most_mentioned(&store).await?;
    } else {
        eprintln!("load: reusing the seeded database {}", path.display());
    }
    if entities.is_empty() {
        return Err("the seeded store has no entities".to_owned());
    }

    let addr = serve(store).await?;
    println!("| route | connections | requests | requests/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    let duration = Duration::from_secs(seconds);
    for concurrency in [1, 16, 64] {
        let entity_paths: Vec<String> = entities
            .iter()
            .map(|id| format!("/api/v1/entities/{id}"))
            .collect();
        let search_paths: Vec<String> = SEARCH_WORDS
            .iter()
            .map(|w| format!("/api/v1/search?q={}&limit=20", w.replace(' ', "%20")))
            .collect();
        for (name, paths) in [
            ("GET /api/v1/entities/{id}", entity_paths),
            ("GET /api/v1/search", search_paths),
            ("GET /health", vec!["/health".to_owned()]),
        ] {
            let result = load(addr, Arc::new(paths), concurrency, duration).await?;
            println!(
                "| `{name}` | {concurrency} | {} | {:.0} | {:.2} | {:.2} |",
                result.requests, result.per_second, result.p50_ms, result.p99_ms
            );
        }
    }
    Ok(())
}

/// Returns the ids of the 200 most mentioned entities.
async fn most_mentioned(store: &SqliteStore) -> Result<Vec<String>, String> {
    Ok(store
        .entities(&EntityFilter::default(), &PageRequest::first(200))
        .await
        .map_err(|e| e.to_string())?
        .items
        .into_iter()
        .map(|e| e.id.to_string())
        .collect())
}

async fn seed(store: &SqliteStore, dir: &Path) -> Result<(), String> {
    let fetcher: Arc<dyn Fetcher> =
        Arc::new(HttpFetcher::new(FetchConfig::default()).map_err(|e| e.to_string())?);
    let ingest = IngestConfig::default();
    let sources = collect_jobs(&[dir.display().to_string()], fetcher.as_ref(), &ingest).await;
    let pipeline = Pipeline::new(
        Arc::new(store.clone()),
        Arc::new(TranscriptLoader::new(fetcher, ingest)),
        Arc::new(LocalExtractor::default()),
        Arc::new(StoreResolver),
        PipelineConfig::default(),
    );
    let summary = pipeline.run(sources.jobs, &CancelToken::new()).await;
    eprintln!(
        "load: {} episodes written, {} failed",
        summary.processed,
        summary.failed()
    );
    Ok(())
}

async fn serve(store: SqliteStore) -> Result<SocketAddr, String> {
    let config = ApiConfig {
        // The benchmark measures the routes, not the limiter.
        rate_limit: RateLimitConfig {
            per_second: 1e9,
            burst: u32::MAX,
        },
        ..ApiConfig::default()
    };
    let graph: Arc<dyn GraphStore> = Arc::new(store.clone());
    let fetcher: Arc<dyn Fetcher> =
        Arc::new(HttpFetcher::new(FetchConfig::default()).map_err(|e| e.to_string())?);
    let jobs = JobManager::new(
        JobContext {
            store: store.clone(),
            graph: Arc::clone(&graph),
            fetcher,
            ingest: IngestConfig::default(),
            pipeline: PipelineConfig::default(),
            slo: None,
        },
        1,
    );
    let state = AppState::new(Services {
        config,
        store,
        graph,
        jobs,
        metrics: None,
        slo: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(podgraph_api::serve(
        listener,
        state,
        std::future::pending(),
        Duration::from_secs(1),
    ));
    Ok(addr)
}

struct LoadResult {
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs `concurrency` workers, each with its own connection, requesting `paths` in
/// turn until `duration` passes or [`MAX_REQUESTS`] are sent.
async fn load(
    addr: SocketAddr,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
) -> Result<LoadResult, String> {
    let started = Instant::now();
    let deadline = started + duration;
    let budget = Arc::new(std::sync::atomic::AtomicUsize::new(MAX_REQUESTS));
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let paths = Arc::clone(&paths);
        let budget = Arc::clone(&budget);
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| e.to_string())?;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut index = worker;
            while Instant::now() < deadline
                && budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |left| left.checked_sub(1),
                    )
                    .is_ok()
            {
                let path = &paths[index % paths.len()];
                index += 1;
                let sent = Instant::now();
                let response = client.get(format!("http://{addr}{path}")).send().await;
                let ok = match response {
                    Ok(response) => {
                        let status = response.status();
                        response.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                if !ok {
                    return Err(format!("request {path} failed"));
                }
                latencies.push(sent.elapsed());
            }
            Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(LoadResult {
        requests: latencies.len(),
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    })
}
