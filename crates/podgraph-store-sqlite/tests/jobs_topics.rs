//! The jobs table of the API and the topic listing.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::interview;
use podgraph_core::provider::{GraphStore, PageRequest};
use podgraph_store_sqlite::{JobRow, SqliteStore};

fn job(id: &str, state: &str, minute: i64) -> JobRow {
    let created = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap() + Duration::minutes(minute);
    JobRow {
        id: id.to_owned(),
        state: state.to_owned(),
        created_at: created,
        updated_at: created,
        body: format!("{{\"id\":\"{id}\"}}"),
    }
}

#[tokio::test]
async fn jobs_are_saved_replaced_and_listed_newest_first() {
    let store = SqliteStore::open_in_memory().unwrap();
    for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        store.save_job(&job(id, "queued", i as i64)).await.unwrap();
    }
    let mut running = job("c", "running", 2);
    running.body = "{\"progress\":1}".to_owned();
    running.updated_at += Duration::seconds(30);
    store.save_job(&running).await.unwrap();

    let stored = store.job("c").await.unwrap().unwrap();
    assert_eq!(stored, running, "a save replaces state, time and body");
    assert_eq!(store.job("missing").await.unwrap(), None);

    let mut ids = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let result = store.jobs(&page).await.unwrap();
        ids.extend(result.items.iter().map(|j| j.id.clone()));
        match result.next {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(ids, ["e", "d", "c", "b", "a"]);

    let unfinished = store.jobs_in_states(&["running"]).await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].id, "c");
    let queued = store.jobs_in_states(&["queued", "running"]).await.unwrap();
    assert_eq!(queued.len(), 5);
    assert!(store.jobs_in_states(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn jobs_reject_a_foreign_cursor() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep-1").build())
        .await
        .unwrap();
    let entities = store
        .entities(&Default::default(), &PageRequest::first(1))
        .await
        .unwrap();
    let page = PageRequest {
        cursor: entities.next,
        limit: 10,
    };
    assert!(page.cursor.is_some());
    let error = store.jobs(&page).await.unwrap_err();
    assert!(error.message().contains("cursor"), "{error}");
}

#[tokio::test]
async fn topics_count_episodes_and_filter_by_prefix() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep-1").topic("Rust tooling", 0.4).build())
        .await
        .unwrap();
    store
        .write_episode(&interview("Show", "ep-2").build())
        .await
        .unwrap();

    let all = store.topics(None, &PageRequest::first(10)).await.unwrap();
    let phrases: Vec<(&str, u64)> = all
        .items
        .iter()
        .map(|t| (t.phrase.as_str(), t.episode_count))
        .collect();
    assert_eq!(phrases, [("systems programming", 2), ("Rust tooling", 1)]);
    assert!((all.items[0].max_weight - 0.8).abs() < 1e-6);

    let filtered = store
        .topics(Some("rust"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(filtered.items.len(), 1);
    assert_eq!(filtered.items[0].phrase, "Rust tooling");

    let first = store.topics(None, &PageRequest::first(1)).await.unwrap();
    let second = store
        .topics(
            None,
            &PageRequest {
                cursor: first.next,
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(second.items[0].phrase, "Rust tooling");
    assert_eq!(second.next, None);
}
