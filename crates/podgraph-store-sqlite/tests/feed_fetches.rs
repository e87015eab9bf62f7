//! The validators of web feeds, kept between runs for conditional requests.

use chrono::{TimeZone, Utc};
use podgraph_core::provider::Validators;
use podgraph_store_sqlite::{FeedFetch, SqliteStore};

fn fetch(url: &str, etag: Option<&str>, last_modified: Option<&str>, hour: u32) -> FeedFetch {
    FeedFetch {
        url: url.to_owned(),
        validators: Validators {
            etag: etag.map(str::to_owned),
            last_modified: last_modified.map(str::to_owned),
        },
        fetched_at: Utc.with_ymd_and_hms(2024, 5, 1, hour, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn feed_fetch_round_trips_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feeds.db");
    let store = SqliteStore::open(&path).unwrap();
    let first = fetch("https://a.example/feed.xml", Some("\"v1\""), None, 8);
    let other = fetch(
        "https://b.example/rss",
        None,
        Some("Mon, 01 Jan 2024 00:00:00 GMT"),
        9,
    );
    store.record_feed_fetch(first.clone()).await.unwrap();
    store.record_feed_fetch(other.clone()).await.unwrap();
    assert_eq!(
        store.feed_fetches().await.unwrap(),
        vec![first.clone(), other.clone()]
    );

    let newer = fetch("https://a.example/feed.xml", Some("\"v2\""), None, 10);
    store.record_feed_fetch(newer.clone()).await.unwrap();
    drop(store);

    // The validators outlive the process that stored them.
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.feed_fetches().await.unwrap(), vec![newer, other]);
}

#[tokio::test]
async fn feed_without_validators_is_removed() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .record_feed_fetch(fetch("https://a.example/feed.xml", Some("\"v1\""), None, 8))
        .await
        .unwrap();

    store
        .record_feed_fetch(fetch("https://a.example/feed.xml", None, Some("  "), 9))
        .await
        .unwrap();

    assert!(store.feed_fetches().await.unwrap().is_empty());
}
