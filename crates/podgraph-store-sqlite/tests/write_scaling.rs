//! Write cost as the database grows: writing an episode into a store that already
//! contains hundreds of episodes about the same entities should cost about as much as
//! writing one of the first episodes.
//!
//! The test is ignored by default because it measures time and takes about a minute in
//! release mode. Run it with
//! `cargo test --release -p podgraph-store-sqlite --test write_scaling -- --ignored --nocapture`
//! and set `PODGRAPH_SCALING_EPISODES` to change the number of episodes (200 by default,
//! four copies of the modelled corpus).
//!
//! NOTE: the test still fails. Each RELATED_TO weight is recomputed from every
//! contribution to its pair, and the commit writes more distinct index pages as the
//! tables grow, so the fourth copy costs about 2.5x the first on a loaded 2-core machine.

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
/// Episodes averaged at each end of the run.
const WINDOW: usize = 20;
/// Largest accepted ratio of the late to the early mean write time.
const MAX_GROWTH: f64 = 1.5;

fn mean(durations: &[Duration]) -> Duration {
    let total: Duration = durations.iter().sum();
    total / u32::try_from(durations.len().max(1)).unwrap_or(u32::MAX)
}

/// Builds episode `k` of its own podcast, modelled on seeding copies of one corpus:
/// episode `k` repeats the entities and relationships of original episode
/// `k % ORIGINALS`. Each of its 700 segments mentions two entities of the shared pool and
/// relates them, so every episode adds 700 RELATED_TO contributions.
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

#[tokio::test(flavor = "current_thread")]
#[ignore = "measures write time; run in release mode with --ignored"]
async fn write_time_stays_flat_as_store_grows() {
    let episodes: usize = std::env::var("PODGRAPH_SCALING_EPISODES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(200);
    assert!(
        episodes >= 3 * WINDOW,
        "PODGRAPH_SCALING_EPISODES must be at least {}",
        3 * WINDOW
    );

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("scaling.db")).unwrap();

    let mut times = Vec::with_capacity(episodes);
    for k in 0..episodes {
        let graph = copied_corpus_episode(k);
        let started = Instant::now();
        store.write_episode(&graph).await.unwrap();
        times.push(started.elapsed());
        if (k + 1) % 50 == 0 {
            eprintln!(
                "episodes {:>4}..{:>4}: mean write {:?}",
                k + 1 - 50,
                k + 1,
                mean(&times[k + 1 - 50..=k])
            );
        }
    }

    // The first episode also creates the speaker entities that every episode shares,
    // so the early window starts after it.
    let early = mean(&times[1..=WINDOW]);
    let late = mean(&times[episodes - WINDOW..]);
    let growth = late.as_secs_f64() / early.as_secs_f64();
    eprintln!("early mean {early:?}, late mean {late:?}, growth {growth:.2}x");
    assert!(
        growth <= MAX_GROWTH,
        "writing episode {episodes} took {growth:.2}x as long as the early episodes \
         ({late:?} against {early:?})"
    );
}
