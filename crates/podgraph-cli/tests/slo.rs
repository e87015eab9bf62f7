//! `podgraph slo` and the SLO enforcement of `podgraph seed`, through the binary.
//!
//! The SLO clock is set with `PODGRAPH_SLO_NOW`, so that a test can run seeding a
//! month later without waiting. Every run starts from the shipped `config/slo.yaml`
//! unless the test writes its own spec.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;
use support::{Run, SHORT, Workspace, copy_file, fixture};

/// The SLO clock of the first run; later runs add minutes or days.
const T0: &str = "2025-06-10T12:00:00Z";

/// A transcript link to which the test server responds with 500.
const OUTAGE: &str = "/transcripts/1.vtt";

/// Path of the test webhook; it plays the part of the token a chat webhook URL carries.
const HOOK_PATH: &str = "/hooks/secret-token";

/// Writes a feed with one episode whose transcript link points at `path` on `server`.
/// Below `/transcripts/` the server responds with 500, a failure that is the provider's
/// fault and spends the budget. Elsewhere it responds with 404, which rejects the input
/// and does not.
fn feed_linking(work: &Workspace, server: &TestServer, path: &str) -> PathBuf {
    let feed = work.join("outage.xml");
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Outage Radio</title>
    <link>https://example.com/outage</link>
    <description>Episodes whose transcript host is down.</description>
    <item>
      <title>Episode 1</title>
      <guid isPermaLink="false">outage-1</guid>
      <pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate>
      <podcast:transcript url="{}" type="text/vtt"/>
    </item>
  </channel>
</rss>
"#,
        server.url(path)
    );
    std::fs::write(&feed, xml).expect("write the feed");
    feed
}

/// Creates a directory with one podcast whose only episode has an empty transcript. The
/// input is rejected, which is not podgraph's fault.
fn broken_input(work: &Workspace) -> PathBuf {
    let shows = work.join("shows");
    copy_file(
        &fixture("edge/vtt/glut23__webvtt-py/empty.vtt"),
        &shows.join("beta/empty.vtt"),
    );
    shows
}

/// Writes the shipped `config/slo.yaml` with the freeze of episode-success waiting for
/// `min_events` valid events instead of 200, and returns its path.
fn shipped_spec_with_freeze_after(work: &Workspace, min_events: u64) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/slo.yaml");
    let text = std::fs::read_to_string(&shipped).expect("read config/slo.yaml");
    let guard = "        min_events: 200\n";
    assert_eq!(
        text.matches(guard).count(),
        1,
        "config/slo.yaml should set min_events: 200 on one policy, the freeze"
    );
    let spec = work.join("slo.yaml");
    let lowered = text.replace(guard, &format!("        min_events: {min_events}\n"));
    std::fs::write(&spec, lowered).expect("write the spec");
    spec
}

/// Builds `podgraph ARGS` with the SLO clock at `now` and the configuration `config`.
fn at(work: &Workspace, now: &str, config: &Path, args: &[&str]) -> Command {
    let mut command = work.command(["--config".as_ref(), config.as_os_str()]);
    command.args(args).env("PODGRAPH_SLO_NOW", now);
    command
}

/// Runs `podgraph seed --json --allow-loopback --db DB SOURCE EXTRA` at `now`.
fn seed_at(work: &Workspace, now: &str, config: &Path, source: &Path, extra: &[&str]) -> Run {
    let mut command = at(
        work,
        now,
        config,
        &["seed", "--json", "--allow-loopback", "--db"],
    );
    command.arg(work.db()).arg(source).args(extra);
    work.run_command(command, SHORT)
}

/// Runs `podgraph slo status --json --db DB` at `now` and returns the document.
fn status_at(work: &Workspace, now: &str, config: &Path) -> Value {
    let mut command = at(work, now, config, &["slo", "status", "--json", "--db"]);
    command.arg(work.db());
    work.run_command(command, SHORT).expect_code(0).json()
}

/// Returns the report of SLO `name` in a status document.
#[track_caller]
fn slo<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["slos"]
        .as_array()
        .and_then(|slos| slos.iter().find(|slo| slo["name"] == name))
        .unwrap_or_else(|| panic!("no SLO {name} in {status}"))
}

/// Returns the names of the active policies of an SLO report.
fn policies(report: &Value) -> Vec<&str> {
    report["policies"]
        .as_array()
        .map(|list| list.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default()
}

/// An HTTP server on a loopback port. It records the JSON bodies POSTed to
/// [`HOOK_PATH`] and responds with 200. It responds to every `GET /transcripts/...`
/// with 500.
struct TestServer {
    address: SocketAddr,
    bodies: Arc<Mutex<Vec<Value>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let address = listener.local_addr().expect("listener address");
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let recorded = Arc::clone(&bodies);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for the webhook");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new()
                    .route(
                        HOOK_PATH,
                        axum::routing::post(move |body: axum::body::Bytes| async move {
                            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                            recorded
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(value);
                            "ok"
                        }),
                    )
                    .route(
                        "/transcripts/{file}",
                        axum::routing::get(|| async {
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR
                        }),
                    );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve the webhook");
            });
        });
        Self {
            address,
            bodies,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Returns the notifications received for `slo` in state `state`.
    fn received(&self, slo: &str, state: &str) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|body| body["slo"] == slo && body["state"] == state)
            .cloned()
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn exhausted_budget_freezes_seeding() {
    let work = Workspace::new();
    let hook = TestServer::start();
    let source = feed_linking(&work, &hook, OUTAGE);
    // The shipped freeze waits for 200 episodes; this one waits for 2.
    let spec = shipped_spec_with_freeze_after(&work, 2);
    let config = work.join("podgraph.toml");
    std::fs::write(
        &config,
        format!(
            "[slo]\nspec = {:?}\nwebhook_url = \"{}\"\n",
            spec,
            hook.url(HOOK_PATH)
        ),
    )
    .expect("write the configuration");
    let metrics = work.join("seed.prom");

    // One failed episode spends 200 times the 0.5 % budget of episode-success.
    let first = seed_at(
        &work,
        T0,
        &config,
        &source,
        &["--metrics-file", metrics.to_str().expect("UTF-8 path")],
    )
    .expect_code(3);
    assert_eq!(first.json()["failures"].as_array().map(Vec::len), Some(1));
    let firing = hook.received("episode-success", "firing");
    assert_eq!(firing.len(), 1, "one page notification: {firing:?}");
    assert_eq!(firing[0]["policy"], "notify-on-page");
    assert!(
        !first.stderr.contains("secret-token"),
        "the webhook path must not be logged:\n{}",
        first.stderr
    );
    let exposition = std::fs::read_to_string(&metrics).expect("metrics file");
    assert!(
        exposition
            .contains("podgraph_slo_error_budget_remaining_ratio{slo=\"episode-success\"} -199"),
        "{exposition}"
    );
    assert!(
        exposition.contains("podgraph_slo_events_total{slo=\"episode-success\",outcome=\"bad\"} 1"),
        "{exposition}"
    );
    assert!(
        exposition.contains("# HELP podgraph_slo_events_total Valid SLI events"),
        "{exposition}"
    );

    // One event is below the freeze's minimum: the page fires, but seeding goes on.
    let status = status_at(&work, "2025-06-10T12:00:30Z", &config);
    assert_eq!(status["admission"]["decision"], "allowed");
    let success = slo(&status, "episode-success");
    assert_eq!(success["budget"]["overspent"], true);
    assert_eq!(success["budget"]["sample_events"], 1);
    assert!(
        !policies(success).contains(&"freeze-when-exhausted"),
        "{success}"
    );
    let held_freeze = success["held_policies"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == "freeze-when-exhausted"))
        .unwrap_or_else(|| panic!("the freeze is not held in {success}"));
    assert_eq!(held_freeze["min_events"], 2);
    let mut table = at(
        &work,
        "2025-06-10T12:00:30Z",
        &config,
        &["slo", "status", "--slo", "episode-success", "--db"],
    );
    table.arg(work.db());
    let table = work.run_command(table, SHORT).expect_code(0);
    assert!(
        table.stdout.contains(
            "held policy freeze-when-exhausted (freeze): error budget exhausted, but it waits for 2 valid events in the period (1 so far)"
        ),
        "{}",
        table.stdout
    );

    // The second failure reaches the minimum, and the run's last evaluation freezes.
    seed_at(&work, "2025-06-10T12:01:00Z", &config, &source, &[]).expect_code(3);

    // The next run is rejected before it reads anything. The freeze lifts once both
    // failures have left the 30-day period.
    let rejected = seed_at(&work, "2025-06-10T12:02:00Z", &config, &source, &[]).expect_code(4);
    assert!(rejected.stdout.is_empty(), "{}", rejected.stdout);
    for expected in [
        "seeding rejected",
        "SLO episode-success",
        "error budget exhausted",
        "retry at 2025-07-10T12:01:00Z",
        "--override-freeze",
    ] {
        assert!(
            rejected.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            rejected.stderr
        );
    }

    // An operator can override the freeze; the override is logged.
    let forced = seed_at(
        &work,
        "2025-06-10T12:03:00Z",
        &config,
        &source,
        &["--override-freeze"],
    )
    .expect_code(3);
    assert!(
        forced
            .stderr
            .contains("admitted despite the freeze because an operator forced it"),
        "{}",
        forced.stderr
    );
    assert_eq!(
        hook.received("episode-success", "firing").len(),
        1,
        "a policy already announced is not announced again by later runs"
    );

    // Every failure counts, across processes.
    let status = status_at(&work, "2025-06-10T12:04:00Z", &config);
    assert_eq!(status["version"], 1);
    assert_eq!(status["state_found"], true);
    assert_eq!(status["admission"]["decision"], "frozen");
    let success = slo(&status, "episode-success");
    assert_eq!(success["budget"]["bad_events"], 3);
    assert_eq!(success["budget"]["total_events"], 3);
    assert_eq!(success["budget"]["overspent"], true);
    assert_eq!(success["budget"]["burn_rate"], 200.0);
    let held: Vec<&Value> = success["held_policies"]
        .as_array()
        .map(|list| list.iter().map(|p| &p["name"]).collect())
        .unwrap_or_default();
    assert!(
        !held.iter().any(|name| **name == "freeze-when-exhausted"),
        "{success}"
    );
    let freeze = success["policies"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == "freeze-when-exhausted"))
        .unwrap_or_else(|| panic!("no active freeze in {success}"));
    let since = freeze["since"].as_str().expect("since");
    assert!(
        since.starts_with("2025-06-10T12:01:"),
        "the freeze started with the second run: {since}"
    );
    let page_slow = success["alerts"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["name"] == "page-slow"))
        .expect("page-slow alert");
    assert_eq!(page_slow["state"], "firing");

    let mut table = at(
        &work,
        "2025-06-10T12:04:00Z",
        &config,
        &["slo", "status", "--slo", "episode-success", "--db"],
    );
    table.arg(work.db());
    let table = work.run_command(table, SHORT).expect_code(0);
    for expected in [
        "episode-success",
        "overspent",
        "freeze-when-exhausted",
        "page-slow",
    ] {
        assert!(table.stdout.contains(expected), "{}", table.stdout);
    }

    // A month later the failures have left the 30-day period: the policies are released
    // (and the release is announced) before seeding runs again, and the run's own
    // failure fires the page anew, without freezing.
    seed_at(&work, "2025-07-11T12:00:00Z", &config, &source, &[]).expect_code(3);
    let resolved = hook.received("episode-success", "resolved");
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["policy"], "notify-on-page");
    assert_eq!(hook.received("episode-success", "firing").len(), 2);
    let status = status_at(&work, "2025-07-11T12:01:00Z", &config);
    assert_eq!(status["admission"]["decision"], "allowed");
}

#[test]
fn degrade_policy_lowers_concurrency() {
    let work = Workspace::new();
    let server = TestServer::start();
    let source = feed_linking(&work, &server, OUTAGE);
    let spec = work.join("slo.yaml");
    std::fs::write(
        &spec,
        "slos:
  - name: episode-success
    sli: { event: episode.processed }
    objective: 99
    policies:
      - name: one-at-a-time
        when: budget_exhausted
        action: degrade
        degrade: { max_concurrency: 1, extraction: local }
        min_events: 1
",
    )
    .expect("write the spec");
    let config = work.join("podgraph.toml");
    std::fs::write(&config, format!("[slo]\nspec = {:?}\n", spec)).expect("write the config");

    seed_at(&work, T0, &config, &source, &[]).expect_code(3);
    let second = seed_at(
        &work,
        "2025-06-10T12:01:00Z",
        &config,
        &source,
        &["--concurrency", "4"],
    )
    .expect_code(3);
    let lowered = second
        .stderr
        .lines()
        .find(|line| line.contains("concurrency lowered by an slo degrade policy"))
        .unwrap_or_else(|| panic!("no degrade log line in:\n{}", second.stderr));
    let line: Value = serde_json::from_str(lowered).expect("JSON log line");
    assert_eq!(line["concurrency"], 1, "{line}");
    assert_eq!(line["configured"], 4, "{line}");

    let status = status_at(&work, "2025-06-10T12:02:00Z", &config);
    assert_eq!(status["spec"], spec.display().to_string());
    assert_eq!(status["degradation"]["max_concurrency"], 1);
    assert_eq!(status["degradation"]["extraction"], "local");
}

#[test]
fn rejected_input_does_not_spend_the_budget() {
    let work = Workspace::new();
    let source = broken_input(&work);
    let config = work.join("podgraph.toml");
    std::fs::write(&config, "").expect("write the configuration");

    // Both runs skip the empty transcript (its episode is stored without facts), and
    // neither is rejected.
    seed_at(&work, T0, &config, &source, &[]).expect_code(0);
    seed_at(&work, "2025-06-10T12:01:00Z", &config, &source, &[]).expect_code(0);

    // Nor does a transcript link that returns 404.
    let server = TestServer::start();
    let missing = feed_linking(&work, &server, "/missing.vtt");
    let run = seed_at(&work, "2025-06-10T12:01:30Z", &config, &missing, &[]).expect_code(3);
    let failures = run.json()["failures"].clone();
    assert_eq!(failures[0]["stage"], "transcript.fetch", "{failures}");

    let status = status_at(&work, "2025-06-10T12:02:00Z", &config);
    let success = slo(&status, "episode-success");
    assert_eq!(success["budget"]["total_events"], 0, "{success}");
    assert_eq!(success["budget"]["remaining_ratio"], 1.0);
    assert_eq!(status["admission"]["decision"], "allowed");
}

#[test]
fn status_without_state_creates_nothing() {
    let work = Workspace::new();
    let config = work.join("podgraph.toml");
    std::fs::write(&config, "").expect("write the configuration");

    let status = status_at(&work, T0, &config);
    assert_eq!(status["state_found"], false);
    assert_eq!(status["spec"], "<embedded>");
    assert_eq!(status["admission"]["decision"], "allowed");
    assert_eq!(status["slos"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        slo(&status, "api-availability")["budget"]["remaining_ratio"],
        1.0
    );
    assert!(
        !work.join("podgraph.slo.db").exists(),
        "status created the state file"
    );
}

#[test]
fn rules_output_equals_committed_files() {
    let work = Workspace::new();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/prometheus");
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
    };

    let out = work.join("rules");
    work.run(["slo", "rules", "--out", out.to_str().expect("UTF-8 path")])
        .expect_code(0);
    work.run([
        "slo",
        "rules",
        "--kubernetes",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ])
    .expect_code(0);
    for name in [
        "slo-recording-rules.yaml",
        "slo-alerting-rules.yaml",
        "slo-prometheusrule.yaml",
    ] {
        assert!(
            read(out.join(name)) == read(committed.join(name)),
            "{name} written by `podgraph slo rules` differs from config/prometheus/{name}"
        );
    }

    let printed = work.run(["slo", "rules", "--kubernetes"]).expect_code(0);
    assert!(printed.stdout == read(committed.join("slo-prometheusrule.yaml")));
}

#[test]
fn check_names_slo_and_field() {
    let work = Workspace::new();
    let valid = work.run(["slo", "check"]).expect_code(0);
    assert!(
        valid.stdout.contains("<embedded>: valid, 10 SLOs"),
        "{}",
        valid.stdout
    );

    let broken = work.join("broken.yaml");
    std::fs::write(
        &broken,
        "slos:
  - name: too-ambitious
    sli: { event: episode.processed }
    objective: 150
  - name: misspelt
    sli: { event: episode.procesed }
    objective: 99
",
    )
    .expect("write the spec");
    let run = work
        .run([
            "slo",
            "check",
            "--spec",
            broken.to_str().expect("UTF-8 path"),
        ])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("slo \"too-ambitious\", field objective: 150 must be a percentage"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("slo \"misspelt\", field sli.event: unknown event \"episode.procesed\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 problems"), "{}", run.stderr);
}

#[test]
fn status_with_neo4j_uri_reads_seed_state() {
    let work = Workspace::new();
    let config = work.join("podgraph.toml");
    std::fs::write(&config, "").expect("write the configuration");
    let data = work.join("data");
    let feed = work.join("quiet.xml");
    std::fs::write(
        &feed,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Quiet Radio</title>
    <link>https://example.com/quiet</link>
    <item>
      <title>Episode 1</title>
      <guid isPermaLink="false">quiet-1</guid>
    </item>
  </channel>
</rss>
"#,
    )
    .expect("write the feed");

    // Without --db, seed writes the graph and the SLO state to the data directory.
    let mut seed = at(&work, T0, &config, &["seed", "--json"]);
    seed.arg(&feed).env("XDG_DATA_HOME", &data);
    work.run_command(seed, SHORT).expect_code(0);
    let state_file = data.join("podgraph").join("podgraph.slo.db");
    assert!(
        state_file.is_file(),
        "seed wrote no {}",
        state_file.display()
    );

    // A Neo4j graph keeps its SLO state at the same default place, so status must read it.
    let mut status = at(
        &work,
        T0,
        &config,
        &["slo", "status", "--json", "--db", "bolt://127.0.0.1:7687"],
    );
    status.env("XDG_DATA_HOME", &data);
    let status = work.run_command(status, SHORT).expect_code(0).json();
    assert_eq!(status["state_found"], true, "{status}");
    assert_eq!(
        status["state_file"],
        state_file.display().to_string(),
        "{status}"
    );
}
