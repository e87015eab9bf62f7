//! Shared test setup: a store seeded from `examples/demo`, apps built on it, and a
//! loopback feed server for seeding jobs.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use podgraph_api::jobs::{JobContext, JobManager};
use podgraph_api::{ApiConfig, AppState, Services};
use podgraph_core::config::{FetchConfig, IngestConfig};
use podgraph_core::pipeline::{CancelToken, Pipeline, PipelineConfig};
use podgraph_core::provider::{Fetcher, GraphStore};
use podgraph_extract::{LocalExtractor, StoreResolver};
use podgraph_ingest::fetch::HttpFetcher;
use podgraph_ingest::loader::TranscriptLoader;
use podgraph_ingest::sources::collect_jobs;
use podgraph_slo::PolicyEngine;
use podgraph_store_sqlite::SqliteStore;
use tempfile::TempDir;
use tower::ServiceExt;

/// Returns the directory of the demo transcripts of the repository.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo")
}

/// Returns a database seeded once per test binary from `examples/demo`, which tests copy.
fn seeded_template() -> &'static Path {
    static TEMPLATE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("template.db");
        let seed_path = path.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(seed(&seed_path));
        })
        .join()
        .expect("seeding thread");
        (dir, path)
    });
    path
}

async fn seed(path: &Path) {
    let store = SqliteStore::open(path).expect("open the template store");
    let fetcher: Arc<dyn Fetcher> =
        Arc::new(HttpFetcher::new(FetchConfig::default()).expect("fetcher"));
    let ingest = IngestConfig::default();
    let inputs = vec![demo_dir().display().to_string()];
    let sources = collect_jobs(&inputs, fetcher.as_ref(), &ingest).await;
    assert!(!sources.jobs.is_empty(), "the demo directory has episodes");
    let pipeline = Pipeline::new(
        Arc::new(store.clone()),
        Arc::new(TranscriptLoader::new(fetcher, ingest)),
        Arc::new(LocalExtractor::default()),
        Arc::new(StoreResolver),
        PipelineConfig::default(),
    );
    let summary = pipeline.run(sources.jobs, &CancelToken::new()).await;
    assert_eq!(
        summary.failed(),
        0,
        "demo episodes seed: {:?}",
        summary.failures
    );
}

/// A test application over its own copy of the seeded store.
pub struct TestApp {
    pub dir: TempDir,
    pub store: SqliteStore,
    pub state: AppState,
    pub router: Router,
}

/// Options of [`TestApp`].
#[derive(Default)]
pub struct Options {
    pub config: ApiConfig,
    pub slo: Option<Arc<PolicyEngine>>,
    pub metrics: Option<podgraph_metrics::MetricsHandle>,
    /// Start from an empty store instead of the seeded copy.
    pub empty: bool,
    /// Reuse this database file (for restart tests).
    pub db: Option<PathBuf>,
}

impl TestApp {
    /// Builds an app over a seeded store with default settings and no keys.
    pub fn seeded() -> Self {
        Self::with(Options::default())
    }

    pub fn with(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = match options.db {
            Some(path) => path,
            None => {
                let path = dir.path().join("podgraph.db");
                if !options.empty {
                    std::fs::copy(seeded_template(), &path).expect("copy the seeded store");
                }
                path
            }
        };
        let store = SqliteStore::open(&path).expect("open the store");
        let graph: Arc<dyn GraphStore> = Arc::new(store.clone());
        let fetch = FetchConfig {
            allow_loopback: true,
            ..FetchConfig::default()
        };
        let fetcher: Arc<dyn Fetcher> = Arc::new(HttpFetcher::new(fetch).expect("fetcher"));
        let jobs = JobManager::new(
            JobContext {
                store: store.clone(),
                graph: Arc::clone(&graph),
                fetcher,
                ingest: IngestConfig::default(),
                pipeline: PipelineConfig {
                    concurrency: 2,
                    ..PipelineConfig::default()
                },
                slo: options.slo.as_ref().map(|e| Arc::clone(e.tracker())),
            },
            options.config.concurrent_jobs,
        );
        let state = AppState::new(Services {
            config: options.config,
            store: store.clone(),
            graph,
            jobs,
            metrics: options.metrics,
            slo: options.slo,
        });
        let router = podgraph_api::router(state.clone());
        Self {
            dir,
            store,
            state,
            router,
        }
    }

    /// Sends a request through the router without a socket.
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible")
    }

    /// `GET path` and the response with its body as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, axum::http::HeaderMap, serde_json::Value) {
        let response = self.send(get(path)).await;
        into_json(response).await
    }
}

/// Builds a GET request.
pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .expect("valid request")
}

/// Builds a POST request with a JSON body.
pub fn post_json(path: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("valid request")
}

/// Status, headers and JSON body (or `Null` for an empty or non-JSON body).
pub async fn into_json(
    response: Response<Body>,
) -> (u16, axum::http::HeaderMap, serde_json::Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, headers, value)
}

/// A loopback HTTP server that serves a feed of `episodes` items, each linking to a
/// copy of a demo SRT transcript. Item `i` is published on day `i + 1` of 2024-01.
pub struct FeedServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FeedServer {
    pub async fn start(episodes: usize, transcript_delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the feed server");
        let addr = listener.local_addr().expect("address");
        let srt = std::fs::read(demo_dir().join("buzzcast/buzzcast.srt")).expect("demo srt");
        let feed = feed_xml(addr, episodes);
        let app = Router::new()
            .route(
                "/feed.xml",
                axum::routing::get(move || {
                    let feed = feed.clone();
                    async move { ([("content-type", "application/rss+xml")], feed) }
                }),
            )
            .route(
                "/transcripts/{name}",
                axum::routing::get(move || {
                    let srt = srt.clone();
                    async move {
                        tokio::time::sleep(transcript_delay).await;
                        ([("content-type", "application/x-subrip")], srt)
                    }
                }),
            );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            addr,
            stop: Some(stop),
        }
    }

    pub fn feed_url(&self) -> String {
        format!("http://{}/feed.xml", self.addr)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn feed_xml(addr: SocketAddr, episodes: usize) -> String {
    let mut items = String::new();
    for i in 0..episodes {
        items.push_str(&format!(
            r#"<item>
  <title>Loopback episode {n}</title>
  <guid>loopback-{n}</guid>
  <pubDate>{day:02} Jan 2024 10:00:00 GMT</pubDate>
  <enclosure url="http://{addr}/audio/{n}.mp3" length="1" type="audio/mpeg"/>
  <podcast:transcript url="http://{addr}/transcripts/{n}.srt" type="application/srt"/>
</item>
"#,
            n = i + 1,
            day = i + 1,
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>Loopback Show</title>
  <link>http://{addr}/</link>
  <description>A feed served by the test.</description>
{items}</channel>
</rss>
"#
    )
}

/// Polls a job until it reaches a final state, for at most `timeout`.
pub async fn wait_for_job(app: &TestApp, id: &str, timeout: Duration) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let (status, _, job) = app.get_json(&format!("/api/v1/jobs/{id}")).await;
        assert_eq!(status, 200, "job {id}: {job}");
        let state = job["state"].as_str().unwrap_or_default().to_owned();
        if matches!(state.as_str(), "succeeded" | "failed" | "cancelled") {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {id} still {state} after {timeout:?}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
