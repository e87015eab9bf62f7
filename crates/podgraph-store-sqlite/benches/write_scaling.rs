//! Write cost as the database grows: writing an episode into a store that already
//! contains hundreds of episodes about the same entities should cost about as much as
//! writing one of the first episodes.
//!
//! Writes `PODGRAPH_SCALING_EPISODES` synthetic one-hour episodes (200 by default, four
//! copies of a modelled 50-episode corpus) into a new file database. For each window of
//! 50 episodes it prints the mean wall time and the mean CPU time of the process per
//! write, then the ratio of the last window to the first. CPU time is read from
//! `/proc/self/stat` (Linux), so that other work on a shared machine inflates it less
//! than the wall time; elsewhere that column is empty.
//!
//! `cargo bench -p podgraph-store-sqlite --bench write_scaling`

#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::EpisodeBuilder;
use podgraph_core::model::{EntityKind, EpisodeGraph, RelationKind};
use podgraph_core::provider::GraphStore;
use podgraph_store_sqlite::SqliteStore;

/// Segments of a one-hour episode.
const SEGMENTS: usize = 700;
/// Entities shared by all episodes, like the recurring names of one field.
const POOL: usize = 20_000;
/// Distinct episodes of the modelled corpus; later episodes are copies of these.
const ORIGINALS: usize = 50;
/// Episodes per reported window.
const WINDOW: usize = 50;

/// Builds episode `k` of its own podcast, modelled on seeding copies of one corpus:
/// episode `k` repeats the entities and relationships of original episode
/// `k % ORIGINALS`. Each of its 700 segments mentions two entities of the shared pool and
/// relates them, so every episode adds 700 RELATED_TO contributions, and the copies of
/// one original add to the same relationships.
fn copied_corpus_episode(k: usize) -> EpisodeGraph {
    let original = k % ORIGINALS;
    let mut builder = EpisodeBuilder::new(&format!("Show {k:04}"), "hour")
        .published("2024-05-01T08:00:00Z")
        .speaker("Host", "Host Person")
        .speaker("Guest", "Guest Person");
    for index in 0..SEGMENTS {
        let first = format!("Entity{:05}", (original * SEGMENTS + index) % POOL);
        let second = format!(
            "Entity{:05}",
            (original * SEGMENTS + index * 7 + POOL / 2) % POOL
        );
        let text = format!("In part {index} we compared {first} with {second} in production.");
        let speaker = if index % 2 == 0 { "Host" } else { "Guest" };
        let start = (index as u64) * 5_000;
        builder = builder
            .turn(Some(speaker), start, start + 5_000, &text)
            .mention(index, EntityKind::Product, &first, &first)
            .mention(index, EntityKind::Product, &second, &second)
            .relation(
                (EntityKind::Product, first.as_str()),
                (EntityKind::Product, second.as_str()),
                RelationKind::CoOccurs,
                1.0,
                index,
            );
    }
    for t in 0..10 {
        builder = builder.topic(&format!("topic number {t}"), 1.0 - t as f32 / 10.0);
    }
    builder.build()
}

/// User and system CPU time of this process so far, from `/proc/self/stat`.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    // NOTE: assumes the usual 100 clock ticks per second; std cannot read `_SC_CLK_TCK`.
    Some(Duration::from_millis((user + system) * 10))
}

fn per_episode(total: Duration) -> Duration {
    total / u32::try_from(WINDOW).unwrap_or(u32::MAX)
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let episodes: usize = std::env::var("PODGRAPH_SCALING_EPISODES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(200)
        .max(2 * WINDOW);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("scaling.db")).expect("open the store");

    // The first episode also creates the speaker entities every episode shares, so it is
    // written before the first window.
    runtime
        .block_on(store.write_episode(&copied_corpus_episode(episodes)))
        .expect("write the first episode");

    println!("| episodes | mean write, wall (ms) | mean write, CPU (ms) |");
    println!("|---|---|---|");
    let mut windows = Vec::new();
    for start in (0..episodes - episodes % WINDOW).step_by(WINDOW) {
        let graphs: Vec<EpisodeGraph> =
            (start..start + WINDOW).map(copied_corpus_episode).collect();
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        for graph in &graphs {
            runtime
                .block_on(store.write_episode(graph))
                .expect("write an episode");
        }
        let wall = per_episode(started.elapsed());
        let cpu = cpu_before
            .zip(process_cpu_time())
            .map(|(before, after)| per_episode(after.saturating_sub(before)));
        println!(
            "| {}..{} | {} | {} |",
            start + 1,
            start + WINDOW,
            millis(wall),
            cpu.map(millis).unwrap_or_default()
        );
        windows.push((wall, cpu));
    }

    if let (Some(first), Some(last)) = (windows.first(), windows.last()) {
        let ratio = |late: Duration, early: Duration| late.as_secs_f64() / early.as_secs_f64();
        print!(
            "last window / first window: wall {:.2}x",
            ratio(last.0, first.0)
        );
        if let (Some(late), Some(early)) = (last.1, first.1) {
            print!(", CPU {:.2}x", ratio(late, early));
        }
        println!();
    }
}
