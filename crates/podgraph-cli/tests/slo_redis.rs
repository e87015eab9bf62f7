//! SLO budgets shared through Redis (`[slo] backend = "redis"`): `podgraph worker`,
//! `podgraph seed` and `podgraph slo status` processes count into one budget, a freeze
//! reached by one process stops another from claiming jobs, and the alert and policy
//! history passes between processes through Redis.
//!
//! Runs when `REDIS_URL` names a server (`.ci/redis start`); under CI a missing server
//! fails.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{LONG, SHORT, Spawned, Workspace, redis_url};

/// The SLO spec of these tests: episode-success with the default alerts, and a freeze
/// once two valid events have spent the budget.
const SPEC: &str = "slos:
  - name: episode-success
    sli: { event: episode.processed }
    objective: 99
    policies:
      - name: freeze-when-exhausted
        when: budget_exhausted
        action: freeze
        min_events: 2
";

/// A workspace whose configuration keeps the SLO state and the queue in Redis under a
/// key prefix of its own.
struct SharedBudget {
    work: Workspace,
    url: String,
    prefix: String,
}

impl SharedBudget {
    fn new(url: String, name: &str) -> Self {
        let work = Workspace::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!("test-slo-{name}-{}-{nanos}", std::process::id());
        let spec = work.join("slo.yaml");
        std::fs::write(&spec, SPEC).expect("write the spec");
        // One attempt per job, so that a failed episode is counted once; a one-second
        // interval, so that processes see each other's counts within seconds.
        let config = format!(
            "[pipeline]\nconcurrency = 2\nepisode_deadline_secs = 10\n\n\
             [slo]\nbackend = \"redis\"\nspec = {spec:?}\nevaluation_interval_secs = 1\n\n\
             [redis]\nurl = \"{url}\"\nkey_prefix = \"{prefix}\"\n\n\
             [redis.queue]\nmax_attempts = 1\n"
        );
        std::fs::write(work.join("podgraph.toml"), config).expect("write podgraph.toml");
        Self { work, url, prefix }
    }

    fn redis(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|client| client.get_connection())
            .expect("connect to REDIS_URL")
    }

    fn stream_key(&self) -> String {
        format!("{}:{{episodes}}:stream", self.prefix)
    }

    fn worker_db(&self) -> PathBuf {
        self.work.join("workers.db")
    }

    /// Queues every episode of `input` and returns how many were queued.
    fn enqueue(&self, input: &std::path::Path) -> u64 {
        let mut command = self.work.command(["enqueue", "--json"]);
        command.arg(input);
        let queued = self.work.run_command(command, LONG).expect_code(0).json();
        queued["queued"].as_u64().expect("queued count")
    }

    /// Starts `podgraph worker --json --allow-loopback --poll-ms 100 --db DB EXTRA`.
    fn spawn_worker(&self, extra: &[&str]) -> Spawned {
        let mut command = self.work.command([
            "worker",
            "--json",
            "--allow-loopback",
            "--poll-ms",
            "100",
            "--db",
        ]);
        command.arg(self.worker_db()).args(extra);
        self.work.spawn(command)
    }

    /// Runs `podgraph slo status --json` and returns the document.
    fn status(&self) -> Value {
        self.work
            .run(["slo", "status", "--json"])
            .expect_code(0)
            .json()
    }

    fn stream_length(&self, connection: &mut redis::Connection) -> u64 {
        redis::cmd("XLEN")
            .arg(self.stream_key())
            .query(connection)
            .expect("XLEN")
    }

    /// Jobs claimed and not acknowledged.
    fn pending(&self, connection: &mut redis::Connection) -> u64 {
        support::pending_jobs(connection, &self.stream_key())
    }
}

/// Writes a feed of `episodes` episodes whose transcript links point at a loopback port
/// with no server: each fetch fails with a refused connection, a provider failure that
/// spends the budget.
fn unreachable_transcripts_feed(work: &Workspace, episodes: usize) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free loopback port")
        .port();
    let items: String = (1..=episodes)
        .map(|n| {
            format!(
                r#"    <item>
      <title>Episode {n}</title>
      <guid isPermaLink="false">down-{n}</guid>
      <pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate>
      <podcast:transcript url="http://127.0.0.1:{port}/{n}.vtt" type="text/vtt"/>
    </item>
"#
            )
        })
        .collect();
    let feed = work.join("down.xml");
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Down Radio</title>
    <link>https://example.com/down</link>
    <description>Episodes whose transcript host is down.</description>
{items}  </channel>
</rss>
"#
    );
    std::fs::write(&feed, xml).expect("write the feed");
    feed
}

fn demo_dir() -> PathBuf {
    std::path::absolute(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo"),
    )
    .expect("absolute demo path")
}

/// Returns the report of `episode-success` in a status document.
#[track_caller]
fn episode_success(status: &Value) -> &Value {
    status["slos"]
        .as_array()
        .and_then(|slos| slos.iter().find(|slo| slo["name"] == "episode-success"))
        .unwrap_or_else(|| panic!("no episode-success in {status}"))
}

/// Returns the start time of the active freeze in a status document.
#[track_caller]
fn freeze_since(status: &Value) -> String {
    episode_success(status)["policies"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == "freeze-when-exhausted"))
        .and_then(|policy| policy["since"].as_str())
        .unwrap_or_else(|| panic!("no active freeze in {status}"))
        .to_owned()
}

/// Waits until the standard error of `process` contains `text`.
#[track_caller]
fn wait_for_log(process: &mut Spawned, text: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !process.stderr_so_far().contains(text) {
        assert!(
            !process.has_exited(),
            "the process exited before logging {text:?}:\n{}",
            process.stderr_so_far()
        );
        assert!(
            Instant::now() < deadline,
            "no {text:?} logged within {limit:?}:\n{}",
            process.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn workers_and_seed_count_into_one_budget() {
    let Some(url) = redis_url() else {
        return;
    };
    let shared = SharedBudget::new(url, "sum");
    let work = &shared.work;
    let queued = shared.enqueue(&demo_dir());
    assert!(queued > 0, "nothing queued");

    let workers = [
        shared.spawn_worker(&["--exit-when-empty", "--concurrency", "1"]),
        shared.spawn_worker(&["--exit-when-empty", "--concurrency", "1"]),
    ];
    let summaries: Vec<Value> = workers
        .into_iter()
        .map(|worker| worker.wait(LONG).expect_code(0).json())
        .collect();
    let processed: u64 = summaries
        .iter()
        .map(|summary| summary["processed"].as_u64().expect("processed count"))
        .sum();
    assert_eq!(processed, queued, "{summaries:?}");

    // A seeding run on another database adds one failure to the same budget.
    let feed = unreachable_transcripts_feed(work, 1);
    let mut seed = work.command(["seed", "--json", "--allow-loopback", "--db"]);
    seed.arg(work.db()).arg(&feed);
    let seeded = work.run_command(seed, LONG).expect_code(3).json();
    assert_eq!(seeded["failures"].as_array().map(Vec::len), Some(1));

    let status = shared.status();
    assert_eq!(status["state_backend"], "redis");
    assert_eq!(status["state_found"], true);
    assert!(status.get("state_file").is_none(), "{status}");
    let budget = &episode_success(&status)["budget"];
    assert_eq!(
        budget["total_events"].as_u64(),
        Some(processed + 1),
        "{budget}"
    );
    assert_eq!(budget["bad_events"].as_u64(), Some(1), "{budget}");

    let slo_files: Vec<String> = std::fs::read_dir(work.path())
        .expect("read the workspace")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".slo"))
        .collect();
    assert!(slo_files.is_empty(), "SLO files written: {slo_files:?}");
}

#[test]
fn freeze_from_seed_pauses_running_worker() {
    let Some(url) = redis_url() else {
        return;
    };
    let shared = SharedBudget::new(url, "freeze");
    let work = &shared.work;

    // The worker starts on an empty queue with the budget untouched.
    let mut waiting = shared.spawn_worker(&[]);
    wait_for_log(&mut waiting, "slo evaluation started", SHORT);

    // Another process spends the budget: two failures reach the freeze's minimum.
    let feed = unreachable_transcripts_feed(work, 2);
    let mut seed = work.command(["seed", "--json", "--allow-loopback", "--db"]);
    seed.arg(work.db()).arg(&feed);
    let seeded = work.run_command(seed, LONG).expect_code(3).json();
    assert_eq!(seeded["failures"].as_array().map(Vec::len), Some(2));

    // The running worker reads the counts from Redis and stops claiming.
    wait_for_log(&mut waiting, "claiming paused", SHORT);
    let queued = shared.enqueue(&demo_dir());
    std::thread::sleep(Duration::from_secs(2));
    let mut connection = shared.redis();
    assert_eq!(
        shared.pending(&mut connection),
        0,
        "a paused worker claimed jobs"
    );
    assert_eq!(shared.stream_length(&mut connection), queued);

    let frozen = shared.status();
    assert_eq!(frozen["admission"]["decision"], "frozen", "{frozen}");
    let since = freeze_since(&frozen);
    let page = episode_success(&frozen)["alerts"]
        .as_array()
        .and_then(|alerts| alerts.iter().find(|alert| alert["state"] == "firing"))
        .unwrap_or_else(|| panic!("no firing alert in {frozen}"))
        .clone();

    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &waiting.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(stopped.success());
    let summary = waiting.wait(LONG).expect_code(0).json();
    assert_eq!(summary["processed"], 0, "{summary}");
    assert_eq!(summary["acknowledged"], 0, "{summary}");
    assert_eq!(
        shared.stream_length(&mut connection),
        queued,
        "jobs were lost"
    );

    // An operator override lets a worker through the freeze.
    let forced = shared
        .spawn_worker(&["--exit-when-empty", "--override-freeze"])
        .wait(LONG)
        .expect_code(0);
    assert_eq!(forced.json()["processed"].as_u64(), Some(queued));
    assert!(
        forced
            .stderr
            .contains("admitted despite the freeze because an operator forced it"),
        "{}",
        forced.stderr
    );

    // The freeze and the alert keep the start times of the first process that saw
    // them: every later process restored them from the snapshot in Redis.
    let after = shared.status();
    assert_eq!(after["admission"]["decision"], "frozen", "{after}");
    assert_eq!(freeze_since(&after), since);
    let page_after = episode_success(&after)["alerts"]
        .as_array()
        .and_then(|alerts| alerts.iter().find(|alert| alert["name"] == page["name"]))
        .unwrap_or_else(|| panic!("no alert {} in {after}", page["name"]))
        .clone();
    assert_eq!(page_after["state"], "firing");
    assert_eq!(page_after["since"], page["since"]);
    let budget = &episode_success(&after)["budget"];
    assert_eq!(budget["bad_events"].as_u64(), Some(2), "{budget}");
    assert_eq!(
        budget["total_events"].as_u64(),
        Some(2 + queued),
        "{budget}"
    );

    let snapshot: Option<String> = redis::cmd("GET")
        .arg(format!("{}:{{slo}}:status", shared.prefix))
        .query(&mut connection)
        .expect("GET");
    assert!(snapshot.is_some(), "no status snapshot in Redis");
}
