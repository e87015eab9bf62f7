//! The API over a real loopback socket with an HTTP client: seeding jobs from a
//! loopback feed, cancellation, graceful shutdown, restart recovery and metrics.

mod support;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use podgraph_api::{ApiConfig, DEFAULT_JOB_GRACE};
use podgraph_metrics::{MetricsConfig, MetricsHandle};
use serde_json::{Value, json};
use support::{FeedServer, Options, TestApp};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Installs the global metrics recorder once for this test binary and returns its handle.
fn metrics() -> MetricsHandle {
    static HANDLE: OnceLock<MetricsHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| podgraph_metrics::install(&MetricsConfig::default()).expect("recorder"))
        .clone()
}

/// A served app: its address, the stop signal and the server task.
struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    client: reqwest::Client,
}

impl Running {
    async fn start(app: &TestApp, grace: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let state = app.state.clone();
        let server = tokio::spawn(podgraph_api::serve(
            listener,
            state,
            async move {
                let _ = stopped.await;
            },
            grace,
        ));
        Self {
            addr,
            stop: Some(stop),
            server,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn submit(&self, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = self
            .client
            .post(self.url("/api/v1/seed"))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.json().await.unwrap())
    }

    async fn wait_for(&self, id: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (status, job) = self.get(&format!("/api/v1/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if matches!(
                job["state"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            ) {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job still running: {job}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(60), self.server)
            .await
            .expect("the server stops")
            .expect("the server task")
            .expect("the server");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_job_runs_to_completion() {
    let feed = FeedServer::start(3, Duration::ZERO).await;
    let app = TestApp::with(Options {
        empty: true,
        ..Options::default()
    });
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;

    let (status, headers, job) = running
        .submit(&json!({ "feeds": [feed.feed_url()], "max_episodes": 2 }))
        .await;
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("/api/v1/jobs/{id}").as_str());
    assert_eq!(job["state"], "queued");

    let done = running.wait_for(&id, Duration::from_secs(120)).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(
        done["progress"]["total"], 2,
        "max_episodes keeps the two newest"
    );
    assert_eq!(done["progress"]["processed"], 2, "{done}");
    assert_eq!(done["progress"]["failed"], 0);
    let titles: Vec<&str> = done["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(!titles.contains(&"Loopback episode 1"), "{titles:?}");
    assert!(done["counts"]["segments"].as_u64().unwrap() > 0);

    // The graph now has the podcast, and the job is listed.
    let (_, podcasts) = running.get("/api/v1/podcasts").await;
    assert_eq!(podcasts["items"][0]["title"], "Loopback Show");
    let (_, jobs) = running.get("/api/v1/jobs").await;
    assert_eq!(jobs["items"][0]["id"], id.as_str());

    // A finished job cannot be cancelled.
    let response = running
        .client
        .delete(running.url(&format!("/api/v1/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_feed_fails_the_job_with_reasons() {
    let app = TestApp::with(Options {
        empty: true,
        ..Options::default()
    });
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;
    // Port 9 on loopback (discard) is normally closed, so the fetch fails at once.
    let (status, _, job) = running
        .submit(&json!({ "feeds": ["http://127.0.0.1:9/missing.xml"] }))
        .await;
    assert_eq!(status, 202);
    let done = running
        .wait_for(job["id"].as_str().unwrap(), Duration::from_secs(60))
        .await;
    assert_eq!(done["state"], "failed", "{done}");
    assert_eq!(
        done["failures"][0]["source"],
        "http://127.0.0.1:9/missing.xml"
    );
    assert_eq!(done["failures"][0]["stage"], "feed.fetch");
    assert!(done["error"].as_str().unwrap().contains("no feed"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_job_stops_at_an_episode_boundary() {
    // Slow transcripts keep the job running long enough to cancel it.
    let feed = FeedServer::start(6, Duration::from_millis(400)).await;
    let app = TestApp::with(Options {
        empty: true,
        ..Options::default()
    });
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;
    let (_, _, job) = running.submit(&json!({ "feeds": [feed.feed_url()] })).await;
    let id = job["id"].as_str().unwrap().to_owned();

    // Wait until it runs, then cancel.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, job) = running.get(&format!("/api/v1/jobs/{id}")).await;
        if job["state"] == "running" && job["progress"]["total"] == 6 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = running
        .client
        .delete(running.url(&format!("/api/v1/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["cancel_requested"], true);
    let (_, after) = running.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(after["cancel_requested"], true, "{after}");

    let done = running.wait_for(&id, Duration::from_secs(60)).await;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert_eq!(done["cancel_requested"], true, "{done}");
    let not_started = done["progress"]["not_started"].as_u64().unwrap();
    assert!(not_started > 0, "{done}");
    let finished = done["progress"]["finished"].as_u64().unwrap();
    assert_eq!(finished + not_started, 6, "{done}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_and_records_jobs() {
    let feed = FeedServer::start(6, Duration::from_millis(400)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("restart.db");
    let app = TestApp::with(Options {
        db: Some(db.clone()),
        ..Options::default()
    });
    let running = Running::start(&app, Duration::from_secs(30)).await;
    let (_, _, job) = running.submit(&json!({ "feeds": [feed.feed_url()] })).await;
    let id = job["id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, job) = running.get(&format!("/api/v1/jobs/{id}")).await;
        if job["state"] == "running" && job["progress"]["total"] == 6 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let addr = running.addr;
    running.stop().await;

    // The socket is closed after shutdown.
    let refused = reqwest::Client::new()
        .get(format!("http://{addr}/live"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "the listener is closed");

    // The job reached an episode boundary and recorded why it stopped.
    let job = app.state.jobs().get(&id).await.unwrap();
    assert_eq!(job.state.as_str(), "failed", "{job:?}");
    assert!(
        job.error.as_deref().unwrap().contains("shut down"),
        "{job:?}"
    );
    assert!(job.progress.not_started > 0, "{job:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_marks_interrupted_jobs_failed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("jobs.db");
    let store = podgraph_store_sqlite::SqliteStore::open(&db).unwrap();
    let now = chrono::Utc::now();
    let body = json!({
        "id": "0b6f3f7e-3c1a-4d52-9a8e-1f2d3c4b5a69", "state": "running",
        "created_at": now, "updated_at": now, "started_at": now, "finished_at": null,
        "cancel_requested": false,
        "request": { "feeds": ["https://user:secret@example.org/feed.xml"] },
        "progress": { "total": 2, "finished": 1, "processed": 1, "unchanged": 0,
                      "without_transcript": 0, "failed": 0, "not_started": 0 },
        "counts": { "segments": 3, "entities": 1, "mentions": 1, "topics": 0, "quotes": 0,
                    "insights": 0, "relationships": 0 },
        "episodes": [
            { "episode_id": "a", "title": "A", "state": "processed", "stage": null, "reason": null, "elapsed_ms": 5 },
            { "episode_id": "b", "title": "B", "state": "running", "stage": null, "reason": null, "elapsed_ms": null }
        ],
        "failures": [], "error": null
    });
    store
        .save_job(&podgraph_store_sqlite::JobRow {
            id: "0b6f3f7e-3c1a-4d52-9a8e-1f2d3c4b5a69".to_owned(),
            state: "running".to_owned(),
            created_at: now,
            updated_at: now,
            body: body.to_string(),
        })
        .await
        .unwrap();
    drop(store);

    let app = TestApp::with(Options {
        db: Some(db),
        ..Options::default()
    });
    let marked = app.state.jobs().recover().await.unwrap();
    assert_eq!(marked, 1);
    let (status, _, job) = app
        .get_json("/api/v1/jobs/0b6f3f7e-3c1a-4d52-9a8e-1f2d3c4b5a69")
        .await;
    assert_eq!(status, 200);
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("server stopped"),
        "{job}"
    );
    assert_eq!(job["episodes"][1]["state"], "not_started");
    assert_eq!(job["progress"]["not_started"], 1);
    // A stored feed URL with credentials is shown without the password.
    assert_eq!(
        job["request"]["feeds"][0],
        "https://user:***@example.org/feed.xml"
    );
    // Recovering again finds nothing left to mark.
    assert_eq!(app.state.jobs().recover().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route() {
    let app = TestApp::with(Options {
        metrics: Some(metrics()),
        config: ApiConfig::default(),
        ..Options::default()
    });
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;
    for _ in 0..3 {
        let (status, _) = running.get("/api/v1/stats").await;
        assert_eq!(status, 200);
    }
    let (status, _) = running.get("/api/v1/entities/not-an-id").await;
    assert_eq!(status, 400);

    let response = running
        .client
        .get(running.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("podgraph_http_requests_total")
                && l.contains("route=\"/api/v1/stats\"")
                && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("route=\"/api/v1/entities/{id}\"") && l.contains("status=\"400\"")),
        "the route template is the label, never the raw path"
    );
    assert!(text.contains("podgraph_http_request_duration_seconds_bucket"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_crosses_the_socket() {
    let app = TestApp::seeded();
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;
    let response = running
        .client
        .get(running.url("/api/v1/stats"))
        .header("x-request-id", "trace-me")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "trace-me");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_job_cancels_without_starting() {
    let feed = FeedServer::start(6, Duration::from_millis(400)).await;
    let app = TestApp::with(Options {
        empty: true,
        ..Options::default()
    });
    let running = Running::start(&app, DEFAULT_JOB_GRACE).await;
    let (_, _, first) = running.submit(&json!({ "feeds": [feed.feed_url()] })).await;
    let first_path = format!("/api/v1/jobs/{}", first["id"].as_str().unwrap());
    // Tasks may start in any order, so the second job is submitted once the first runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while running.get(&first_path).await.1["state"] != "running" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first job never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, second) = running.submit(&json!({ "feeds": [feed.feed_url()] })).await;
    let second_id = second["id"].as_str().unwrap().to_owned();

    let response = running
        .client
        .delete(running.url(&format!("/api/v1/jobs/{second_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let cancelled = running.wait_for(&second_id, Duration::from_secs(10)).await;
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["started_at"], Value::Null, "it never ran");
    assert_eq!(cancelled["cancel_requested"], true, "{cancelled}");

    // The first job still holds the only slot.
    let (_, first_now) = running.get(&first_path).await;
    assert_eq!(first_now["state"], "running", "{first_now}");
    running.stop().await;
}
