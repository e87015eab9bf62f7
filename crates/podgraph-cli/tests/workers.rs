//! `podgraph enqueue` and three `podgraph worker` processes on a real Redis server, one
//! of them killed with SIGKILL while it has claimed jobs. Every episode must end up in the
//! graph exactly once, with the same counts as a single `podgraph seed` run (within a
//! small tolerance for the counts that entity resolution makes order-dependent), and
//! the dead worker's jobs must be finished by the others once their lease ends.
//!
//! Runs when `REDIS_URL` names a server (`.ci/redis start`); under CI a missing server
//! fails. The Talk Python corpus part runs when `PODGRAPH_CORPUS_DIR` is set as well.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{LONG, Spawned, Stats, Workspace, copy_file, corpus_dir, redis_url};

/// Timing of one scenario. The lease must be longer than the episode deadline.
struct Timing {
    episode_deadline_secs: u64,
    lease_secs: u64,
}

/// A workspace whose `podgraph.toml` points at the test server with a key prefix of
/// its own, so that scenarios never share a queue.
struct Cluster {
    work: Workspace,
    url: String,
    prefix: String,
    timing: Timing,
}

impl Cluster {
    fn new(url: String, name: &str, timing: Timing) -> Self {
        let work = Workspace::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!("test-{name}-{}-{nanos}", std::process::id());
        let config = format!(
            "[pipeline]\nconcurrency = 2\nepisode_deadline_secs = {}\n\n[redis]\nurl = \"{url}\"\nkey_prefix = \"{prefix}\"\n",
            timing.episode_deadline_secs
        );
        std::fs::write(work.join("podgraph.toml"), config).expect("write podgraph.toml");
        Self {
            work,
            url,
            prefix,
            timing,
        }
    }

    fn stream_key(&self) -> String {
        format!("{}:{{episodes}}:stream", self.prefix)
    }

    fn redis(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|client| client.get_connection())
            .expect("connect to REDIS_URL")
    }

    fn worker_db(&self) -> PathBuf {
        self.work.join("workers.db")
    }

    fn spawn_worker(&self) -> Spawned {
        let mut command = self.work.command(["worker", "--json", "--exit-when-empty"]);
        command
            .arg("--db")
            .arg(self.worker_db())
            .arg("--lease-secs")
            .arg(self.timing.lease_secs.to_string())
            .args(["--poll-ms", "100"]);
        self.work.spawn(command)
    }

    /// Jobs claimed and not acknowledged, over all consumers.
    fn pending(&self, connection: &mut redis::Connection) -> u64 {
        let exists: bool = redis::cmd("EXISTS")
            .arg(self.stream_key())
            .query(connection)
            .expect("EXISTS");
        if !exists {
            return 0;
        }
        let summary: Vec<redis::Value> = redis::cmd("XPENDING")
            .arg(self.stream_key())
            .arg("workers")
            .query(connection)
            .expect("XPENDING");
        match summary.first() {
            Some(redis::Value::Int(count)) => u64::try_from(*count).unwrap_or(0),
            other => panic!("unexpected XPENDING reply {other:?}"),
        }
    }

    fn length(&self, connection: &mut redis::Connection, key: &str) -> u64 {
        redis::cmd("XLEN").arg(key).query(connection).expect("XLEN")
    }
}

/// Starts a worker and kills it with SIGKILL as soon as it has claimed a job. Returns how many
/// jobs it left claimed (0 when it acknowledged everything before the signal arrived)
/// and when its first claim was seen.
fn kill_worker_holding_jobs(cluster: &Cluster) -> (u64, Instant) {
    let mut connection = cluster.redis();
    let mut victim = cluster.spawn_worker();
    let deadline = Instant::now() + LONG;
    while cluster.pending(&mut connection) == 0 {
        assert!(
            !victim.has_exited(),
            "the first worker exited before it claimed a job"
        );
        assert!(
            Instant::now() < deadline,
            "the first worker claimed nothing"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let claimed_at = Instant::now();
    let run = victim.kill();
    assert_eq!(run.code, None, "the worker was not ended by the signal");
    (cluster.pending(&mut connection), claimed_at)
}

fn episode_ids(work: &Workspace, db: &Path) -> BTreeSet<String> {
    let mut command = work.command(["query", "--json", "--db"]);
    command.arg(db).args(["episodes", "--limit", "10000"]);
    let listed = work.run_command(command, LONG).expect_code(0).json();
    let items = listed
        .get("items")
        .and_then(Value::as_array)
        .or_else(|| listed.as_array())
        .unwrap_or_else(|| panic!("unexpected episode list {listed}"));
    items
        .iter()
        .map(|episode| episode["id"].as_str().expect("an episode id").to_owned())
        .collect()
}

fn stats_of(work: &Workspace, db: &Path) -> Stats {
    let mut command = work.command(["query", "--json", "--db"]);
    command.arg(db).arg("stats");
    Stats::from_json(&work.run_command(command, LONG).expect_code(0).json())
}

/// Node labels and relationship types whose counts depend on the order in which
/// episodes are written.
///
/// NOTE: entity resolution merges a new name into a canonical entity that is already
/// stored, so which names merge depends on which episode was written first. A single
/// `podgraph seed` shows the same spread: on the first 20 Talk Python episodes it stored
/// 919, 921 and 924 entities with `--concurrency` 1, 2 and 4.
const ORDER_DEPENDENT: &[&str] = &["Entity", "Person", "RELATED_TO"];

/// Largest relative difference allowed for the [`ORDER_DEPENDENT`] counts.
const ORDER_TOLERANCE: f64 = 0.02;

/// Asserts that every per-episode count is equal, and that the counts that depend on
/// the write order differ by at most [`ORDER_TOLERANCE`].
fn assert_same_graph(workers: &Stats, reference: &Stats) {
    let workers_counts = workers.nodes.iter().chain(&workers.relationships);
    let reference_counts: std::collections::BTreeMap<&String, &u64> = reference
        .nodes
        .iter()
        .chain(&reference.relationships)
        .collect();
    assert_eq!(
        workers.nodes.len() + workers.relationships.len(),
        reference_counts.len(),
        "the graphs have different labels: {workers:?} and {reference:?}"
    );
    for (name, &count) in workers_counts {
        let expected = **reference_counts
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing from the reference graph"));
        if ORDER_DEPENDENT.contains(&name.as_str()) {
            let difference = count.abs_diff(expected) as f64;
            assert!(
                difference <= expected as f64 * ORDER_TOLERANCE,
                "{name}: workers stored {count}, one seed run {expected}"
            );
        } else {
            assert_eq!(count, expected, "{name}: workers and one seed run differ");
        }
    }
}

/// Seeds `inputs` once as a reference, then queues them for three workers of which one
/// is killed, and compares the graphs.
fn prove(name: &str, inputs: &[PathBuf], timing: Timing) {
    let Some(url) = redis_url() else {
        return;
    };
    let cluster = Cluster::new(url, name, timing);
    let work = &cluster.work;

    let reference = work.seed_within(inputs, LONG).expect_code(0).json();
    let expected_episodes = reference["processed"].as_u64().expect("processed count");
    assert!(expected_episodes > 0, "the reference run processed nothing");

    let mut enqueue = work.command(["enqueue", "--json"]);
    enqueue.args(inputs);
    let queued = work.run_command(enqueue, LONG).expect_code(0).json();
    assert_eq!(queued["queued"].as_u64(), Some(expected_episodes));

    // The proof needs jobs left behind by a dead worker, so the kill is repeated in the
    // rare case that the worker acknowledged its jobs before the signal arrived.
    let (mut abandoned, mut claimed_at) = (0, Instant::now());
    for _ in 0..5 {
        (abandoned, claimed_at) = kill_worker_holding_jobs(&cluster);
        if abandoned > 0 {
            break;
        }
    }
    assert!(abandoned > 0, "no worker was killed while holding a job");

    let others = [cluster.spawn_worker(), cluster.spawn_worker()];
    let summaries: Vec<Value> = others
        .into_iter()
        .map(|worker| worker.wait(LONG).expect_code(0).json())
        .collect();
    let since_claim = claimed_at.elapsed();
    let total = |field: &str| -> u64 {
        summaries
            .iter()
            .map(|summary| summary[field].as_u64().expect("a count"))
            .sum()
    };
    assert_eq!(total("failed"), 0, "{summaries:?}");
    assert_eq!(
        total("redelivered"),
        abandoned,
        "the dead worker's jobs were not all taken over once: {summaries:?}"
    );
    // The claim is seen within milliseconds on an idle machine; the margin covers a
    // test thread that a loaded machine schedules late.
    assert!(
        since_claim + Duration::from_secs(3) >= Duration::from_secs(cluster.timing.lease_secs),
        "abandoned jobs were taken over before their lease ended ({since_claim:?})"
    );

    let mut connection = cluster.redis();
    assert_eq!(cluster.pending(&mut connection), 0, "jobs left claimed");
    assert_eq!(
        cluster.length(&mut connection, &cluster.stream_key()),
        0,
        "jobs left in the queue"
    );
    let dead_key = format!("{}:{{episodes}}:dead", cluster.prefix);
    assert_eq!(
        cluster.length(&mut connection, &dead_key),
        0,
        "dead letters"
    );

    assert_same_graph(
        &stats_of(work, &cluster.worker_db()),
        &stats_of(work, work.db()),
    );
    let episodes = episode_ids(work, &cluster.worker_db());
    assert_eq!(episodes.len() as u64, expected_episodes);
    assert_eq!(episodes, episode_ids(work, work.db()));
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo")
}

#[test]
fn workers_share_demo_after_kill() {
    let demo = std::path::absolute(demo_dir()).expect("absolute demo path");
    prove(
        "demo",
        &[demo],
        Timing {
            episode_deadline_secs: 10,
            lease_secs: 12,
        },
    );
}

#[test]
fn workers_share_talkpython_after_kill() {
    let Some(corpus) = corpus_dir("talkpython") else {
        return;
    };
    let work = Workspace::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("read the corpus")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
        .collect();
    files.sort();
    // Twenty one-hour episodes keep the run within a few minutes on two cores.
    let folder = work.join("talkpython");
    for file in files.iter().take(20) {
        let name = file.file_name().expect("a file name");
        copy_file(file, &folder.join(name));
    }
    prove(
        "talkpython",
        &[folder],
        Timing {
            episode_deadline_secs: 30,
            lease_secs: 35,
        },
    );
}

#[test]
fn worker_finishes_claimed_jobs_on_sigterm() {
    let Some(url) = redis_url() else {
        return;
    };
    let cluster = Cluster::new(
        url,
        "sigterm",
        Timing {
            episode_deadline_secs: 10,
            lease_secs: 12,
        },
    );
    let work = &cluster.work;
    let demo = std::path::absolute(demo_dir()).expect("absolute demo path");
    let mut enqueue = work.command(["enqueue", "--json"]);
    enqueue.arg(&demo);
    let queued = work.run_command(enqueue, LONG).expect_code(0).json();
    let queued = queued["queued"].as_u64().expect("queued count");

    // Without --exit-when-empty the worker would wait for more jobs for ever.
    let mut command = work.command(["worker", "--json", "--poll-ms", "100", "--db"]);
    command.arg(cluster.worker_db());
    let mut worker = work.spawn(command);
    let mut connection = cluster.redis();
    let deadline = Instant::now() + LONG;
    while cluster.pending(&mut connection) == 0 {
        assert!(
            !worker.has_exited(),
            "the worker exited before it claimed a job"
        );
        assert!(Instant::now() < deadline, "the worker claimed nothing");
        std::thread::sleep(Duration::from_millis(1));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());

    let summary = worker.wait(LONG).expect_code(0).json();
    let acknowledged = summary["acknowledged"]
        .as_u64()
        .expect("acknowledged count");
    assert!(
        acknowledged >= 1,
        "claimed jobs were not finished: {summary}"
    );
    assert_eq!(cluster.pending(&mut connection), 0, "jobs left claimed");
    assert_eq!(
        cluster.length(&mut connection, &cluster.stream_key()),
        queued - acknowledged,
        "finished jobs stayed in the queue or waiting jobs were lost"
    );
    assert_eq!(
        episode_ids(work, &cluster.worker_db()).len() as u64,
        acknowledged
    );
}
