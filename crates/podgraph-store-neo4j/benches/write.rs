//! Write throughput of the Neo4j store: batched `UNWIND` statements against one statement
//! per row, seeding the talkpython WebVTT transcripts of `$PODGRAPH_CORPUS_DIR`.
//!
//! Every transcript is parsed, normalised and extracted before timing starts, as the
//! seed pipeline does. Each run then starts from an empty database and writes the same
//! episodes one after the other. Throughput is the nodes and relationships reported by
//! `write_episode` per second of wall time. Needs a server (`.ci/neo4j start`) and
//! erases its database:
//!
//! ```text
//! eval "$(.ci/neo4j start)"
//! PODGRAPH_CORPUS_DIR=/path/to/corpus cargo bench -p podgraph-store-neo4j --bench write
//! ```
//!
//! `PODGRAPH_BENCH_EPISODES` sets how many transcripts are written (default 20), and
//! `PODGRAPH_BENCH_ROUNDS` how many timed runs each mode gets (default 2); the fastest
//! run of each mode is compared. The modes are:
//!
//! - batched: the store's defaults, which send up to 1,000 rows per statement through
//!   the loopback relay;
//! - batched, direct: the same without the relay, where batches stay under 6 KB to
//!   avoid neo4rs's 40 ms stall on larger requests;
//! - per row: the relay and one row per statement (`batch_rows = 1`).
//!
//! The server's JIT compiler makes a cold server several times slower than a warm one,
//! and it tunes the compiled code to the statements it runs most. So each mode writes
//! every episode once untimed just before its own timed runs (see [`warm_up`]), and the
//! modes run one after the other instead of taking turns.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{Episode, EpisodeGraph, Podcast};
use podgraph_core::provider::GraphStore;
use podgraph_extract::LocalExtractor;
use podgraph_extract::resolve::resolve_episode;
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};
use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
use sha2::{Digest, Sha256};

const DEFAULT_EPISODES: usize = 20;
const DEFAULT_ROUNDS: usize = 2;
/// Episodes each mode rewrites when warming up.
const REWRITTEN_WHEN_WARMING: usize = 10;

/// Lists every `.vtt` file of `dir`, sorted by path.
fn vtt_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
        .collect();
    paths.sort();
    paths
}

/// Builds the episode graph of one transcript file as the seed pipeline does.
fn episode_graph(
    podcast: &Podcast,
    extractor: &LocalExtractor,
    path: &Path,
) -> Option<EpisodeGraph> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let episode = Episode::new(podcast.id, EpisodeKey::Guid { guid: name.clone() }, &name);
    let parsed = parse_transcript(
        &bytes,
        &TranscriptSource::named(&name),
        &TranscriptLimits::default(),
    )
    .ok()?;
    let transcript = normalize(
        &parsed.value,
        episode.id,
        &[],
        &SegmentationConfig::default(),
    )
    .value;
    let extraction = resolve_episode(extractor.extract_now(&episode, &transcript));
    Some(EpisodeGraph {
        podcast: podcast.clone(),
        episode,
        transcript,
        chapters: Vec::new(),
        extraction,
        transcript_hash: format!("{:x}", Sha256::digest(&bytes)),
        extractor_version: "local/bench".to_owned(),
    })
}

/// Totals of one mode.
struct Run {
    nodes: u64,
    relationships: u64,
    elapsed: Duration,
}

async fn empty(store: &Neo4jStore) {
    store
        .delete_all()
        .await
        .unwrap_or_else(|e| panic!("emptying the database failed: {e}"));
}

async fn connect(config: Neo4jConfig) -> Neo4jStore {
    Neo4jStore::connect(config)
        .await
        .unwrap_or_else(|e| panic!("connecting to Neo4j failed: {e}"))
}

/// Writes every episode of `graphs` untimed, then rewrites the first
/// [`REWRITTEN_WHEN_WARMING`] of them: first writes run the create statements and
/// rewrites the merge statements, so the server compiles both.
async fn warm_up(store: &Neo4jStore, graphs: &[EpisodeGraph]) {
    empty(store).await;
    let rewritten = &graphs[..graphs.len().min(REWRITTEN_WHEN_WARMING)];
    for graph in graphs.iter().chain(rewritten) {
        store
            .write_episode(graph)
            .await
            .unwrap_or_else(|e| panic!("warming up failed: {e}"));
    }
    empty(store).await;
}

async fn seed(store: &Neo4jStore, graphs: &[EpisodeGraph]) -> Run {
    empty(store).await;

    let started = Instant::now();
    let mut run = Run {
        nodes: 0,
        relationships: 0,
        elapsed: Duration::ZERO,
    };
    for graph in graphs {
        let summary = store
            .write_episode(graph)
            .await
            .unwrap_or_else(|e| panic!("writing {} failed: {e}", graph.episode.title));
        run.nodes += summary.nodes;
        run.relationships += summary.relationships;
    }
    run.elapsed = started.elapsed();
    run
}

fn report(mode: &str, run: &Run) -> f64 {
    let seconds = run.elapsed.as_secs_f64().max(f64::EPSILON);
    let per_second = (run.nodes + run.relationships) as f64 / seconds;
    println!(
        "{mode:<22} {:>8.2} s {:>9} nodes {:>10} relationships {:>9.0} nodes/s {:>10.0} relationships/s",
        seconds,
        run.nodes,
        run.relationships,
        run.nodes as f64 / seconds,
        run.relationships as f64 / seconds,
    );
    per_second
}

fn main() {
    let (Some(_), Some(corpus)) = (
        std::env::var_os("NEO4J_URI"),
        std::env::var_os("PODGRAPH_CORPUS_DIR"),
    ) else {
        eprintln!(
            "NEO4J_URI or PODGRAPH_CORPUS_DIR is not set; skipping the Neo4j write benchmark"
        );
        return;
    };
    let limit = std::env::var("PODGRAPH_BENCH_EPISODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_EPISODES);

    let podcast = Podcast::new(None, None, "Talk Python To Me");
    let extractor = LocalExtractor::new();
    let graphs: Vec<EpisodeGraph> = vtt_files(&Path::new(&corpus).join("talkpython"))
        .iter()
        .take(limit)
        .filter_map(|path| episode_graph(&podcast, &extractor, path))
        .collect();
    if graphs.is_empty() {
        eprintln!(
            "no talkpython transcripts under {}; nothing to measure",
            corpus.to_string_lossy()
        );
        return;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the Tokio runtime: {e}"));
    // neo4rs 0.9.0-rc.11 also waits at most the connect timeout for each response, and
    // emptying a database of 100,000 nodes and relationships can take longer than the
    // default 10 s on a loaded machine.
    let base = Neo4jConfig {
        connect_timeout_secs: 300,
        ..Neo4jConfig::from_env().unwrap_or_else(|e| panic!("{e}"))
    };
    println!(
        "{} talkpython episodes, written one after the other",
        graphs.len()
    );
    let rounds = std::env::var("PODGRAPH_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS)
        .max(1);
    let modes = [
        ("batched", base.clone()),
        (
            "batched, direct",
            Neo4jConfig {
                loopback_relay: false,
                ..base.clone()
            },
        ),
        (
            "per row",
            Neo4jConfig {
                batch_rows: 1,
                ..base
            },
        ),
    ];
    // `PODGRAPH_BENCH_MODES` runs only the named modes, such as `batched,per row`.
    let selected = std::env::var("PODGRAPH_BENCH_MODES").ok();
    let modes: Vec<(&str, Neo4jConfig)> = modes
        .into_iter()
        .filter(|(mode, _)| {
            selected
                .as_deref()
                .is_none_or(|list| list.split(',').any(|name| name.trim() == *mode))
        })
        .collect();

    let fastest: Vec<(&str, f64)> = runtime.block_on(async {
        let mut fastest = Vec::new();
        for (mode, config) in modes {
            let store = connect(config).await;
            warm_up(&store, &graphs).await;
            let mut best = f64::MIN;
            for round in 1..=rounds {
                let run = seed(&store, &graphs).await;
                best = best.max(report(&format!("{mode}, round {round}"), &run));
            }
            fastest.push((mode, best));
        }
        fastest
    });
    let per_row = fastest
        .iter()
        .find(|(mode, _)| *mode == "per row")
        .map_or(f64::EPSILON, |(_, rate)| rate.max(f64::EPSILON));
    for (mode, rate) in &fastest {
        println!(
            "fastest {mode} run: {rate:.0} nodes and relationships/s, {:.1}x one statement per row",
            rate / per_row
        );
    }
}
