//! Write throughput of synthetic one-hour episodes: 700 segments of two speakers with
//! 4 mentions each (2,800 mentions), 70 quotes and insights, 140 relationships, 10 topics.
//!
//! Run with `cargo bench -p podgraph-store-sqlite --bench write`.

#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use podgraph_core::provider::GraphStore;
use podgraph_store_sqlite::SqliteStore;
use tokio::runtime::Runtime;

const SEGMENTS: usize = 700;
const MENTIONS_PER_SEGMENT: usize = 4;

fn write_benchmarks(c: &mut Criterion) {
    let runtime = Runtime::new().expect("tokio runtime");
    let graph = common::long_episode("Bench Show", "hour-1", SEGMENTS, MENTIONS_PER_SEGMENT);
    let other = common::long_episode("Bench Show", "hour-2", SEGMENTS, MENTIONS_PER_SEGMENT);
    let dir = tempfile::tempdir().expect("temporary directory");

    let mut group = c.benchmark_group("write_episode_one_hour");
    group.sample_size(20);

    group.bench_function("new_episode_file", |b| {
        let mut n = 0_u32;
        b.iter_batched(
            || {
                n += 1;
                let store =
                    SqliteStore::open(dir.path().join(format!("new-{n}.db"))).expect("open store");
                runtime
                    .block_on(store.write_episode(&other))
                    .expect("seed episode");
                store
            },
            |store| {
                runtime
                    .block_on(store.write_episode(&graph))
                    .expect("write");
                store
            },
            BatchSize::PerIteration,
        );
    });

    let store = SqliteStore::open(dir.path().join("rewrite.db")).expect("open store");
    runtime
        .block_on(store.write_episode(&graph))
        .expect("first write");
    group.bench_function("rewrite_unchanged_file", |b| {
        b.iter(|| {
            runtime
                .block_on(store.write_episode(&graph))
                .expect("rewrite")
        });
    });

    let memory = SqliteStore::open_in_memory().expect("open store");
    group.bench_function("new_episode_memory", |b| {
        b.iter_batched(
            || SqliteStore::open_in_memory().expect("open store"),
            |store| {
                runtime
                    .block_on(store.write_episode(&graph))
                    .expect("write");
                store
            },
            BatchSize::PerIteration,
        );
    });
    drop(memory);
    group.finish();
}

criterion_group!(benches, write_benchmarks);
criterion_main!(benches);
