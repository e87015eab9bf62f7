//! `podgraph enqueue` and three `podgraph worker` processes on a real Redis server, one
//! of them killed with SIGKILL while it has claimed jobs. Every episode must end up in the
//! graph exactly once, with the same counts as a single `podgraph seed` run (within a
//! small tolerance for the counts that entity resolution makes order-dependent), and
//! the dead worker's jobs must be finished by the others once their lease ends. The same
//! proof runs with the graph in a SQLite file and in a Neo4j server.
//!
//! Runs when `REDIS_URL` names a server (`.ci/redis start`); the Neo4j proofs also need
//! `NEO4J_URI`, `NEO4J_USER` and `NEO4J_PASSWORD` (`.ci/neo4j start`). Under CI a missing
//! server fails. The Talk Python corpus part runs when `PODGRAPH_CORPUS_DIR` is set as well.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use podgraph_core::provider::GraphStore;
use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
use serde_json::Value;
use support::{
    Graph, LONG, Spawned, StaticServer, Stats, Workspace, copy_file, corpus_dir, fixture,
    redis_url, str_of,
};

/// Returns the Neo4j settings from `NEO4J_*`, or `None` after saying why the test is
/// skipped.
fn neo4j_config() -> Option<Neo4jConfig> {
    if std::env::var_os("NEO4J_URI").is_none_or(|uri| uri.is_empty()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "NEO4J_URI is not set; CI must start Neo4j with `.ci/neo4j start`"
        );
        eprintln!(
            "skipped: set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD (for example with \
             `eval \"$(.ci/neo4j start)\"`) to run this test"
        );
        return None;
    }
    Some(Neo4jConfig::from_env().unwrap_or_else(|error| panic!("{error}")))
}

/// Keeps the tests of this file that empty and fill the Neo4j database from running at
/// the same time. Other test binaries run one after another under `cargo test`, so they
/// never share the database with these tests.
static NEO4J_DATABASE: Mutex<()> = Mutex::new(());

/// Runs `future` to completion on a runtime of its own.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a Tokio runtime")
        .block_on(future)
}

/// The graph store that the reference run and the workers write to.
enum Backend {
    /// A SQLite file per run inside the workspace.
    Sqlite,
    /// The Neo4j server named by `NEO4J_URI`. Its one database holds the reference
    /// graph first and the workers' graph afterwards, emptied before each.
    Neo4j(Neo4jConfig),
}

/// Episode nodes with one id, and what hangs off the episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct EpisodeCounts {
    /// Episode nodes carrying the id; 1 when the episode was stored exactly once.
    nodes: u64,
    /// `HAS_SEGMENT` relationships to segments.
    segments: u64,
    /// Quotes taken from the episode's segments (`FROM_SEGMENT`).
    quotes: u64,
    /// `MENTIONS` relationships from the episode's segments to entities.
    mentions: u64,
}

/// What the proof compares between the reference run and the workers' run.
#[derive(Debug)]
struct Snapshot {
    /// Node and relationship counts of the whole graph.
    stats: Stats,
    /// Counts per episode id.
    episodes: BTreeMap<String, EpisodeCounts>,
}

/// Per-episode counts from the JSON-lines export of a SQLite database.
fn episode_counts_of_export(graph: &Graph) -> BTreeMap<String, EpisodeCounts> {
    let mut episodes: BTreeMap<String, EpisodeCounts> = BTreeMap::new();
    for node in graph.nodes_labelled("Episode") {
        episodes
            .entry(str_of(&node["id"]).to_owned())
            .or_default()
            .nodes += 1;
    }
    let segment_episodes = graph.segment_episodes();
    for episode in segment_episodes.values() {
        episodes.entry((*episode).to_owned()).or_default().segments += 1;
    }
    let episode_of = |segment: &Value| {
        segment_episodes
            .get(str_of(segment))
            .map(|episode| (*episode).to_owned())
    };
    for quote in graph
        .relationships_of("FROM_SEGMENT")
        .filter(|rel| rel["from_label"] == "Quote")
    {
        if let Some(episode) = episode_of(&quote["to"]) {
            episodes.entry(episode).or_default().quotes += 1;
        }
    }
    for mention in graph
        .relationships_of("MENTIONS")
        .filter(|rel| rel["from_label"] == "Segment")
    {
        if let Some(episode) = episode_of(&mention["from"]) {
            episodes.entry(episode).or_default().mentions += 1;
        }
    }
    episodes
}

/// Episode nodes by id, counted with Cypher.
const NEO4J_EPISODE_NODES: &str = "MATCH (e:Episode) RETURN e.id AS id, count(*) AS nodes";

/// Segments, quotes and mentions per episode, counted with Cypher along the same
/// relationships as [`episode_counts_of_export`].
const NEO4J_EPISODE_PARTS: &str = "MATCH (e:Episode)
RETURN e.id AS id,
  COUNT { (e)-[:HAS_SEGMENT]->(:Segment) } AS segments,
  COUNT { (e)-[:HAS_SEGMENT]->(:Segment)<-[:FROM_SEGMENT]-(:Quote) } AS quotes,
  COUNT { (e)-[:HAS_SEGMENT]->(:Segment)-[:MENTIONS]->() } AS mentions";

/// Runs `query` and returns its rows.
async fn cypher_rows(graph: &neo4rs::Graph, query: &str) -> Vec<neo4rs::Row> {
    let mut stream = graph
        .execute(neo4rs::query(query))
        .await
        .unwrap_or_else(|error| panic!("`{query}` failed: {error}"));
    let mut rows = Vec::new();
    while let Some(row) = stream
        .next()
        .await
        .unwrap_or_else(|error| panic!("reading `{query}` failed: {error}"))
    {
        rows.push(row);
    }
    rows
}

#[track_caller]
fn cypher_count(row: &neo4rs::Row, column: &str) -> u64 {
    let value: i64 = row
        .get(column)
        .unwrap_or_else(|error| panic!("column {column}: {error}"));
    u64::try_from(value).unwrap_or_else(|_| panic!("column {column} is {value}"))
}

/// Reads the graph stats and per-episode counts from Neo4j.
async fn neo4j_snapshot(config: &Neo4jConfig) -> Snapshot {
    let store = Neo4jStore::connect(config.clone())
        .await
        .unwrap_or_else(|error| panic!("connecting to Neo4j failed: {error}"));
    let stats = store
        .stats()
        .await
        .unwrap_or_else(|error| panic!("reading the Neo4j stats failed: {error}"));
    let stats = Stats {
        nodes: stats.nodes.into_iter().collect(),
        relationships: stats.relationships.into_iter().collect(),
    };

    let mut builder = neo4rs::ConfigBuilder::default()
        .uri(config.uri.as_str())
        .user(config.user.as_str())
        .password(config.password.as_str());
    if let Some(database) = &config.database {
        builder = builder.db(database.as_str());
    }
    let graph = builder
        .build()
        .and_then(neo4rs::Graph::connect)
        .unwrap_or_else(|error| panic!("connecting to Neo4j failed: {error}"));
    let mut episodes: BTreeMap<String, EpisodeCounts> = BTreeMap::new();
    for row in cypher_rows(&graph, NEO4J_EPISODE_NODES).await {
        let id: String = row.get("id").expect("an episode id");
        episodes.entry(id).or_default().nodes = cypher_count(&row, "nodes");
    }
    for row in cypher_rows(&graph, NEO4J_EPISODE_PARTS).await {
        let id: String = row.get("id").expect("an episode id");
        let counts = episodes.entry(id).or_default();
        // An id on several nodes returns one row per node. The `nodes` count already
        // fails the proof then, so only the first row's parts are kept.
        if counts.segments == 0 && counts.quotes == 0 && counts.mentions == 0 {
            counts.segments = cypher_count(&row, "segments");
            counts.quotes = cypher_count(&row, "quotes");
            counts.mentions = cypher_count(&row, "mentions");
        }
    }
    Snapshot { stats, episodes }
}

/// Deletes every node and relationship of the Neo4j database, keeping the schema.
async fn empty_neo4j(config: &Neo4jConfig) {
    let store = Neo4jStore::connect(config.clone())
        .await
        .unwrap_or_else(|error| panic!("connecting to Neo4j failed: {error}"));
    store
        .delete_all()
        .await
        .unwrap_or_else(|error| panic!("emptying the Neo4j database failed: {error}"));
}

impl Backend {
    /// Holds the Neo4j database for the caller; SQLite files need no lock.
    fn lock(&self) -> Option<MutexGuard<'static, ()>> {
        match self {
            Self::Sqlite => None,
            Self::Neo4j(_) => Some(
                NEO4J_DATABASE
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            ),
        }
    }

    /// Empties the store that the next run writes to.
    fn prepare(&self) {
        if let Self::Neo4j(config) = self {
            block_on(empty_neo4j(config));
        }
    }

    /// Returns the `--db` value of the reference `seed` run.
    fn reference_db(&self, work: &Workspace) -> OsString {
        match self {
            Self::Sqlite => work.db().into(),
            Self::Neo4j(config) => config.uri.clone().into(),
        }
    }

    /// Returns the `--db` value of the workers.
    fn workers_db(&self, work: &Workspace) -> OsString {
        match self {
            Self::Sqlite => work.join("workers.db").into(),
            Self::Neo4j(config) => config.uri.clone().into(),
        }
    }

    /// Reads what the proof compares from the store at `db`.
    fn snapshot(&self, work: &Workspace, db: &OsString) -> Snapshot {
        match self {
            Self::Sqlite => {
                let db = Path::new(db);
                let mut export = work.command(["export", "--format", "jsonl", "--db"]);
                export.arg(db);
                let graph = Graph::parse(&work.run_command(export, LONG).expect_code(0).stdout);
                Snapshot {
                    stats: stats_of(work, db),
                    episodes: episode_counts_of_export(&graph),
                }
            }
            Self::Neo4j(config) => block_on(neo4j_snapshot(config)),
        }
    }
}

/// Timing of one scenario, and how far its order-dependent counts may drift. The lease
/// must be longer than the episode deadline.
struct Timing {
    episode_deadline_secs: u64,
    lease_secs: u64,
    /// Largest relative difference of the [`ORDER_DEPENDENT`] counts.
    order_tolerance: f64,
}

/// A workspace whose `podgraph.toml` points at the test server with a key prefix of
/// its own, so that scenarios never share a queue.
struct Cluster {
    work: Workspace,
    url: String,
    prefix: String,
    timing: Timing,
    backend: Backend,
}

impl Cluster {
    fn new(url: String, name: &str, timing: Timing, backend: Backend) -> Self {
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
            backend,
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
        let mut command =
            self.work
                .command(["worker", "--json", "--exit-when-empty", "--allow-loopback"]);
        command
            .arg("--db")
            .arg(self.backend.workers_db(&self.work))
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
        support::pending_jobs(connection, &self.stream_key())
    }

    /// Returns the consumer that owns each claimed job, by entry id (`XPENDING` with a range).
    fn pending_consumers(&self, connection: &mut redis::Connection) -> BTreeMap<String, String> {
        let entries: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg(self.stream_key())
            .arg("workers")
            .arg("-")
            .arg("+")
            .arg(10_000)
            .query(connection)
            .expect("XPENDING with a range");
        entries
            .into_iter()
            .map(|(id, consumer, _, _)| (id, consumer))
            .collect()
    }

    fn length(&self, connection: &mut redis::Connection, key: &str) -> u64 {
        redis::cmd("XLEN").arg(key).query(connection).expect("XLEN")
    }
}

/// Claimed jobs at one moment: those of the worker to kill by entry id, and how many the
/// other workers hold.
struct Holders {
    victim: BTreeSet<String>,
    others: usize,
}

impl Holders {
    fn read(cluster: &Cluster, connection: &mut redis::Connection, victim_pid: u32) -> Self {
        // Consumer names are `<host>-<pid>-<suffix>`, so XPENDING shows which process owns
        // each job.
        let tag = format!("-{victim_pid}-");
        let pending = cluster.pending_consumers(connection);
        let victim: BTreeSet<String> = pending
            .iter()
            .filter(|(_, consumer)| consumer.contains(&tag))
            .map(|(id, _)| id.clone())
            .collect();
        let others = pending.len() - victim.len();
        Self { victim, others }
    }
}

/// Runs three workers and kills one of them with SIGKILL while it has a claimed job and
/// another worker has one too. The worker to kill starts first, so that it has claimed
/// jobs before the others can drain the queue. Returns the two survivors, the jobs the
/// killed worker left claimed by entry id, and when its claim was seen.
fn kill_one_of_three(cluster: &Cluster) -> ([Spawned; 2], BTreeSet<String>, Instant) {
    let mut connection = cluster.redis();
    let mut victim = cluster.spawn_worker();
    let pid = victim.pid();
    let deadline = Instant::now() + LONG;
    let mut survivors = None;
    loop {
        let holders = Holders::read(cluster, &mut connection, pid);
        if !holders.victim.is_empty() {
            if survivors.is_none() {
                survivors = Some([cluster.spawn_worker(), cluster.spawn_worker()]);
            } else if holders.others > 0 {
                break;
            }
        }
        assert!(
            !victim.has_exited(),
            "the worker to kill exited before all three workers held jobs"
        );
        assert!(
            Instant::now() < deadline,
            "timed out waiting until all three workers held jobs"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let claimed_at = Instant::now();
    let run = victim.kill();
    assert_eq!(run.code, None, "the worker was not ended by the signal");

    // Its entries stay pending until a survivor claims them after the lease.
    let abandoned = Holders::read(cluster, &mut connection, pid).victim;
    let survivors = survivors.expect("the survivors were started");
    (survivors, abandoned, claimed_at)
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

/// Largest relative difference allowed for the [`ORDER_DEPENDENT`] counts of the demo
/// and corpus runs.
const ORDER_TOLERANCE: f64 = 0.02;

/// Largest relative difference allowed for the [`ORDER_DEPENDENT`] counts of the loopback
/// feed.
///
/// NOTE: the feed's transcripts repeat names across episodes (two of them are the same
/// Buzzcast episode in SRT and JSON), and one entity merged differently adds about 14
/// `RELATED_TO` (1.4 %). In five runs into Neo4j the workers stored 192 or 193 entities
/// and 1,010 or 1,024 `RELATED_TO`, where one seed run stored 192 and 1,010.
const FEED_ORDER_TOLERANCE: f64 = 0.05;

/// Asserts that every count that does not depend on the write order is equal, and that
/// the others differ by at most `tolerance`, relative to the reference.
fn assert_same_stats(workers: &Stats, reference: &Stats, tolerance: f64) {
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
                difference <= expected as f64 * tolerance,
                "{name}: workers stored {count}, one seed run {expected}"
            );
        } else {
            assert_eq!(count, expected, "{name}: workers and one seed run differ");
        }
    }
}

/// Asserts that every episode is stored once, with the same segments, quotes and
/// mentions as in the reference run.
fn assert_same_episodes(workers: &Snapshot, reference: &Snapshot, expected_episodes: u64) {
    assert_eq!(
        reference.episodes.len() as u64,
        expected_episodes,
        "the reference graph has another number of episodes than `seed` reported"
    );
    for (id, counts) in &workers.episodes {
        assert_eq!(
            counts.nodes, 1,
            "episode {id} is stored {} times",
            counts.nodes
        );
    }
    let ids = |snapshot: &Snapshot| snapshot.episodes.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(ids(workers), ids(reference), "the episode ids differ");
    for (id, expected) in &reference.episodes {
        assert_eq!(
            workers.episodes.get(id),
            Some(expected),
            "episode {id}: workers and one seed run stored different parts"
        );
    }
}

/// Seeds `inputs` once as a reference, then queues them for three workers of which one
/// is killed, and compares the graphs.
fn prove(name: &str, inputs: &[OsString], timing: Timing, backend: Backend) {
    let Some(url) = redis_url() else {
        return;
    };
    let _database = backend.lock();
    let cluster = Cluster::new(url, name, timing, backend);
    let work = &cluster.work;
    let backend = &cluster.backend;
    let started = Instant::now();

    backend.prepare();
    let reference_db = backend.reference_db(work);
    let mut seed = work.command(["seed", "--json", "--allow-loopback", "--db"]);
    seed.arg(&reference_db).args(inputs);
    let reference_run = work.run_command(seed, LONG).expect_code(0).json();
    let expected_episodes = reference_run["processed"]
        .as_u64()
        .expect("processed count");
    assert!(expected_episodes > 0, "the reference run processed nothing");
    let reference = backend.snapshot(work, &reference_db);
    let seeded_in = started.elapsed();

    backend.prepare();
    let workers_started = Instant::now();
    let mut enqueue = work.command(["enqueue", "--json", "--allow-loopback"]);
    enqueue.args(inputs);
    let queued = work.run_command(enqueue, LONG).expect_code(0).json();
    assert_eq!(queued["queued"].as_u64(), Some(expected_episodes));
    assert_eq!(queued["already_queued"].as_u64(), Some(0));

    let (survivors, abandoned, claimed_at) = kill_one_of_three(&cluster);
    assert!(
        !abandoned.is_empty(),
        "the killed worker had acknowledged its jobs before the signal arrived"
    );
    let summaries: Vec<Value> = survivors
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
    assert_eq!(total("retried"), 0, "{summaries:?}");
    assert_eq!(total("dead_lettered"), 0, "{summaries:?}");
    assert_eq!(
        total("redelivered"),
        abandoned.len() as u64,
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

    let workers = backend.snapshot(work, &backend.workers_db(work));
    let workers_took = workers_started.elapsed();
    assert_same_stats(
        &workers.stats,
        &reference.stats,
        cluster.timing.order_tolerance,
    );
    assert_same_episodes(&workers, &reference, expected_episodes);

    // The numbers that docs/scaling.md reports; visible with `--nocapture`.
    let order_dependent: Vec<String> = ORDER_DEPENDENT
        .iter()
        .map(|name| {
            let count = |stats: &Stats| stats.node(name).max(stats.relationship(name));
            format!(
                "{name} {} (one seed run {})",
                count(&workers.stats),
                count(&reference.stats)
            )
        })
        .collect();
    eprintln!("{name}: workers stored {}", order_dependent.join(", "));
    eprintln!(
        "{name}: {expected_episodes} episodes; reference seed {:.1} s; enqueue, kill and \
         two surviving workers {:.1} s; {} jobs abandoned by the killed worker and \
         re-delivered; survivors: {}",
        seeded_in.as_secs_f64(),
        workers_took.as_secs_f64(),
        abandoned.len(),
        summaries
            .iter()
            .map(|summary| format!(
                "{} acknowledged {}",
                summary["consumer"].as_str().unwrap_or("?"),
                summary["acknowledged"]
            ))
            .collect::<Vec<_>>()
            .join(", "),
    );
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo")
}

#[test]
fn workers_share_demo_after_kill() {
    let demo = std::path::absolute(demo_dir()).expect("absolute demo path");
    prove(
        "demo",
        &[demo.into()],
        Timing {
            episode_deadline_secs: 10,
            lease_secs: 12,
            order_tolerance: ORDER_TOLERANCE,
        },
        Backend::Sqlite,
    );
}

/// Transcript fixtures of the loopback feed, with the MIME type its links announce.
const FEED_TRANSCRIPTS: [(&str, &str); 11] = [
    (
        "srt/stevencrader__transcriptator/buzzcast.srt",
        "application/srt",
    ),
    (
        "srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
        "application/srt",
    ),
    (
        "srt/Podcastindex-org__podcast-namespace/example.srt",
        "application/srt",
    ),
    (
        "vtt/stevencrader__transcriptator/kde_express-16_kde_en_telegram.vtt",
        "text/vtt",
    ),
    (
        "vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt",
        "text/vtt",
    ),
    (
        "vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
        "text/vtt",
    ),
    (
        "vtt/Podcastindex-org__podcast-namespace/example.vtt",
        "text/vtt",
    ),
    (
        "json/stevencrader__transcriptator/buzzcast.json",
        "application/json",
    ),
    (
        "json/stevencrader__transcriptator/how_to_start_a_podcast.json",
        "application/json",
    ),
    (
        "json/stevencrader__transcriptator/podnews_weekly_review_2023-05-05.json",
        "application/json",
    ),
    (
        "json/stevencrader__transcriptator/podnews_weekly_review_2023-06-02.json",
        "application/json",
    ),
];

/// Serves an RSS feed at `/feed.xml` with one item per [`FEED_TRANSCRIPTS`] entry, each
/// linking its transcript on the same server, so that `seed`, `enqueue` and the workers
/// fetch everything over loopback HTTP.
fn serve_transcript_feed() -> StaticServer {
    let server = StaticServer::start();
    let mut items = String::new();
    for (index, (fixture_path, mime)) in FEED_TRANSCRIPTS.iter().enumerate() {
        let number = index + 1;
        let extension = Path::new(fixture_path)
            .extension()
            .and_then(|e| e.to_str())
            .expect("a file extension");
        let transcript_path = format!("/transcripts/{number}.{extension}");
        server.serve_file(
            &transcript_path,
            mime,
            &fixture(&format!("transcripts/{fixture_path}")),
        );
        // Items are a day apart, newest first, as feeds list them.
        let day = 28 - index;
        items.push_str(&format!(
            "<item><title>Episode {number}</title>\
             <guid isPermaLink=\"false\">loopback-proof-{number}</guid>\
             <pubDate>{day:02} Feb 2024 08:00:00 GMT</pubDate>\
             <podcast:transcript url=\"{url}\" type=\"{mime}\"/></item>\n",
            url = server.url(&transcript_path),
        ));
    }
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:podcast=\"https://podcastindex.org/namespace/1.0\">\
         <channel><title>Worker proof</title><link>{link}</link>\
         <description>Permissively licensed transcripts served on loopback</description>\n\
         {items}</channel></rss>\n",
        link = server.url("/"),
    );
    server.serve(FEED_PATH, "application/rss+xml", feed.into_bytes());
    server
}

/// Path of the feed that [`serve_transcript_feed`] serves.
const FEED_PATH: &str = "/feed.xml";

#[test]
fn workers_share_loopback_feed_in_neo4j_after_kill() {
    let Some(config) = neo4j_config() else {
        return;
    };
    let server = serve_transcript_feed();
    prove(
        "feed-neo4j",
        &[server.url(FEED_PATH).into()],
        Timing {
            episode_deadline_secs: 20,
            lease_secs: 25,
            order_tolerance: FEED_ORDER_TOLERANCE,
        },
        Backend::Neo4j(config),
    );

    // Every transcript went over the loopback server at least once.
    let requested = server.requests();
    for number in 1..=FEED_TRANSCRIPTS.len() {
        let prefix = format!("/transcripts/{number}.");
        assert!(
            requested.iter().any(|path| path.starts_with(&prefix)),
            "transcript {number} was never requested: {requested:?}"
        );
    }
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
        &[folder.into()],
        Timing {
            episode_deadline_secs: 30,
            lease_secs: 35,
            order_tolerance: ORDER_TOLERANCE,
        },
        Backend::Sqlite,
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
            order_tolerance: ORDER_TOLERANCE,
        },
        Backend::Sqlite,
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

#[test]
fn enqueue_reports_already_queued_episodes() {
    let Some(url) = redis_url() else {
        return;
    };
    let cluster = Cluster::new(
        url,
        "requeue",
        Timing {
            episode_deadline_secs: 10,
            lease_secs: 12,
            order_tolerance: ORDER_TOLERANCE,
        },
        Backend::Sqlite,
    );
    let work = &cluster.work;
    let demo = std::path::absolute(demo_dir()).expect("absolute demo path");
    let enqueue = || {
        let mut command = work.command(["enqueue", "--json"]);
        command.arg(&demo);
        work.run_command(command, LONG).expect_code(0).json()
    };

    let first = enqueue();
    let episodes = first["episodes"].as_u64().expect("episode count");
    assert!(episodes > 0, "{first}");
    assert_eq!(first["queued"].as_u64(), Some(episodes), "{first}");
    assert_eq!(first["already_queued"].as_u64(), Some(0), "{first}");

    // Nothing consumed the jobs, so every episode is still waiting under its first id.
    let second = enqueue();
    assert_eq!(second["queued"].as_u64(), Some(0), "{second}");
    assert_eq!(
        second["already_queued"].as_u64(),
        Some(episodes),
        "{second}"
    );
    let listed = second["already_queued_episodes"]
        .as_array()
        .expect("already queued episodes");
    assert_eq!(listed.len() as u64, episodes);
    let mut connection = cluster.redis();
    let ids: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg(cluster.stream_key())
        .arg("-")
        .arg("+")
        .query(&mut connection)
        .expect("XRANGE");
    let stream_ids: BTreeSet<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    for episode in listed {
        let job_id = episode["job_id"].as_str().expect("a job id");
        assert!(stream_ids.contains(job_id), "{job_id} is not in the stream");
        assert!(episode["episode_id"].as_str().is_some(), "{episode}");
    }
    assert_eq!(
        cluster.length(&mut connection, &cluster.stream_key()),
        episodes,
        "the second run added jobs"
    );

    let mut text = work.command(["enqueue"]);
    text.arg(&demo);
    let printed = work.run_command(text, LONG).expect_code(0).stdout;
    assert!(printed.contains("queued 0 episodes"), "{printed}");
    assert!(
        printed.contains(&format!(
            "already queued, not added again: {episodes} episodes"
        )),
        "{printed}"
    );
}

#[test]
fn missing_transcripts_are_dead_lettered_at_once() {
    let Some(url) = redis_url() else {
        return;
    };
    let cluster = Cluster::new(
        url,
        "not-found",
        Timing {
            episode_deadline_secs: 5,
            lease_secs: 6,
            order_tolerance: ORDER_TOLERANCE,
        },
        Backend::Sqlite,
    );
    // The feed links two transcripts that the server does not have, so both return 404.
    let server = StaticServer::start();
    let mut items = String::new();
    for number in 1..=2 {
        items.push_str(&format!(
            "<item><title>Missing {number}</title>\
             <guid isPermaLink=\"false\">missing-{number}</guid>\
             <podcast:transcript url=\"{url}\" type=\"text/vtt\"/></item>\n",
            url = server.url(&format!("/transcripts/missing-{number}.vtt")),
        ));
    }
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:podcast=\"https://podcastindex.org/namespace/1.0\">\
         <channel><title>Missing transcripts</title><link>{link}</link>\
         <description>Transcripts that answer 404</description>\n\
         {items}</channel></rss>\n",
        link = server.url("/"),
    );
    server.serve(FEED_PATH, "application/rss+xml", feed.into_bytes());

    let work = &cluster.work;
    let mut enqueue = work.command(["enqueue", "--json", "--allow-loopback"]);
    enqueue.arg(server.url(FEED_PATH));
    let queued = work.run_command(enqueue, LONG).expect_code(0).json();
    assert_eq!(queued["queued"].as_u64(), Some(2), "{queued}");

    let started = Instant::now();
    let mut command = work.command(["worker", "--json", "--exit-when-empty", "--allow-loopback"]);
    command
        .arg("--db")
        .arg(cluster.worker_db())
        .args(["--lease-secs", "6", "--poll-ms", "100"])
        .env("RUST_LOG", "podgraph=info");
    let output = work.spawn(command).wait(LONG).expect_code(0);
    let summary = output.json();
    assert_eq!(summary["dead_lettered"].as_u64(), Some(2), "{summary}");
    assert_eq!(summary["retried"].as_u64(), Some(0), "{summary}");
    assert_eq!(summary["redelivered"].as_u64(), Some(0), "{summary}");
    assert_eq!(summary["processed"].as_u64(), Some(0), "{summary}");
    // A retry would have waited for the lease of 6 s at least once.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the worker waited for a lease: {:?}",
        started.elapsed()
    );

    let mut connection = cluster.redis();
    let dead_key = format!("{}:{{episodes}}:dead", cluster.prefix);
    let letters: Vec<(String, BTreeMap<String, String>)> = redis::cmd("XRANGE")
        .arg(&dead_key)
        .arg("-")
        .arg("+")
        .query(&mut connection)
        .expect("XRANGE of the dead-letter stream");
    assert_eq!(letters.len(), 2, "{letters:?}");
    for (_, fields) in &letters {
        assert_eq!(fields.get("kind").map(String::as_str), Some("not_found"));
        assert_eq!(fields.get("attempts").map(String::as_str), Some("1"));
        let reason = fields.get("reason").cloned().unwrap_or_default();
        assert!(reason.contains("404"), "{reason}");
    }
    assert_eq!(cluster.pending(&mut connection), 0, "jobs left claimed");

    // One WARN line per failed attempt and one INFO line per finished job.
    let stderr = &output.stderr;
    assert_eq!(stderr.matches("job attempt failed").count(), 2, "{stderr}");
    assert_eq!(stderr.matches("job finished").count(), 2, "{stderr}");
    assert!(stderr.contains("dead_lettered"), "{stderr}");
    assert!(stderr.contains("Missing 1"), "{stderr}");
}
