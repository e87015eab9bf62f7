//! Write throughput of the Neo4j store: batched `UNWIND` statements against one statement
//! per row, seeding the talkpython WebVTT transcripts of `$PODGRAPH_CORPUS_DIR`.
//!
//! Every transcript is parsed, normalised and extracted before timing starts, as the
//! seed pipeline does. Each mode then starts from an empty database and writes the same
//! episodes one after the other. Throughput is the nodes and relationships reported by
//! `write_episode` per second of wall time. Needs a server (`.ci/neo4j start`) and
//! erases its database:
//!
//! ```text
//! eval "$(.ci/neo4j start)"
//! PODGRAPH_CORPUS_DIR=/path/to/corpus cargo bench -p podgraph-store-neo4j --bench write
//! ```
//!
//! `PODGRAPH_BENCH_EPISODES` sets how many transcripts are written (default 20).

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

async fn seed(config: Neo4jConfig, graphs: &[EpisodeGraph]) -> Run {
    let store = Neo4jStore::connect(config)
        .await
        .unwrap_or_else(|e| panic!("connecting to Neo4j failed: {e}"));

    // Neo4j plans each statement on first use; one untimed episode, written and then
    // replaced, keeps planning out of the measured time in both modes.
    empty(&store).await;
    if let Some(first) = graphs.first() {
        for _ in 0..2 {
            store
                .write_episode(first)
                .await
                .unwrap_or_else(|e| panic!("warming up failed: {e}"));
        }
    }
    empty(&store).await;

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
    let base = Neo4jConfig::from_env().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{} talkpython episodes, written one after the other",
        graphs.len()
    );
    let batched = runtime.block_on(seed(base.clone(), &graphs));
    let batched_rate = report("batched (1000 rows)", &batched);
    let per_row = runtime.block_on(seed(
        Neo4jConfig {
            batch_rows: 1,
            ..base
        },
        &graphs,
    ));
    let per_row_rate = report("one statement per row", &per_row);
    println!(
        "batched is {:.1}x faster",
        batched_rate / per_row_rate.max(f64::EPSILON)
    );
}
