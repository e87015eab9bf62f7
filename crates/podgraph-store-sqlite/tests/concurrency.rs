//! Readers during writes, and lock conflicts with other processes.

mod common;

use std::time::{Duration, Instant};

use common::{count, long_episode};
use podgraph_core::ErrorKind;
use podgraph_core::provider::{GraphStore, PageRequest};
use podgraph_store_sqlite::{SqliteOptions, SqliteStore};
use rusqlite::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_see_consistent_snapshots_during_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("graph.db")).unwrap();
    let episodes: Vec<_> = (0..12)
        .map(|i| long_episode("Show", &format!("ep{i}"), 150, 4))
        .collect();

    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for graph in &episodes {
                store.write_episode(graph).await.unwrap();
            }
        })
    };

    let mut readers = Vec::new();
    for _ in 0..3 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..40 {
                let stats = store.stats().await.unwrap();
                // Every snapshot contains whole episodes only.
                assert_eq!(count(&stats, "Segment"), 150 * count(&stats, "Episode"));
                assert_eq!(count(&stats, "HAS_SEGMENT"), count(&stats, "Segment"));
                seen.push(count(&stats, "Episode"));
                store.search("modern software", 5).await.unwrap();
                store.episodes(None, &PageRequest::first(5)).await.unwrap();
            }
            seen
        }));
    }

    writer.await.unwrap();
    for reader in readers {
        let seen = reader.await.unwrap();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    }
    assert_eq!(count(&store.stats().await.unwrap(), "Episode"), 12);
}

#[tokio::test]
async fn reads_do_not_wait_for_a_held_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");
    let options = SqliteOptions {
        busy_timeout: Duration::from_millis(200),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&path, options).unwrap();
    store
        .write_episode(&long_episode("Show", "ep0", 20, 2))
        .await
        .unwrap();

    // Another process holds the write lock with an uncommitted change.
    let other = Connection::open(&path).unwrap();
    other
        .execute_batch(
            "BEGIN IMMEDIATE;
             UPDATE episodes SET title = 'uncommitted';",
        )
        .unwrap();

    let started = Instant::now();
    let page = store.episodes(None, &PageRequest::first(5)).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_ne!(
        page.items[0].title, "uncommitted",
        "reads see committed data"
    );

    // A write waits for the busy timeout, then reports a temporary conflict.
    let error = store
        .write_episode(&long_episode("Show", "ep1", 20, 2))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert!(error.is_temporary());
    assert!(error.message().contains("graph.db"), "{error}");

    other.execute_batch("ROLLBACK").unwrap();
    store
        .write_episode(&long_episode("Show", "ep1", 20, 2))
        .await
        .unwrap();
    assert_eq!(count(&store.stats().await.unwrap(), "Episode"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_beyond_max_readers_wait_and_finish() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        max_idle_readers: 1,
        max_readers: 1,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(dir.path().join("graph.db"), options).unwrap();
    store
        .write_episode(&long_episode("Show", "ep0", 20, 2))
        .await
        .unwrap();

    let mut readers = Vec::new();
    for _ in 0..16 {
        let store = store.clone();
        readers.push(tokio::spawn(async move { store.stats().await.unwrap() }));
    }
    for reader in readers {
        let stats = reader.await.unwrap();
        assert_eq!(count(&stats, "Episode"), 1);
        assert_eq!(count(&stats, "Segment"), 20);
    }
}
