//! One contract suite for every state store, and the tracker's history across restarts
//! and processes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use common::{minutes, shipped_spec, start};
use podgraph_slo::events::API_REQUEST;
use podgraph_slo::store::contract;
use podgraph_slo::store::{
    BucketCounts, CountBatch, MemoryStateStore, MergeOutcome, SloStateStore, SqliteStateStore,
};
use podgraph_slo::{Clock, Event, ManualClock, SloError, SloResult, SloTracker, TrackerConfig};

#[test]
fn memory_store_meets_contract() {
    contract::check_all("memory", &mut |_| Box::new(MemoryStateStore::new()));
}

#[test]
fn sqlite_store_meets_contract() {
    contract::check_all("sqlite", &mut |_| {
        Box::new(SqliteStateStore::open_in_memory().unwrap())
    });
}

fn tracker(store: Arc<dyn SloStateStore>, clock: &ManualClock, process: &str) -> SloTracker {
    SloTracker::with_config(
        shipped_spec(),
        Arc::new(clock.clone()),
        TrackerConfig {
            process_id: process.to_owned(),
            ..TrackerConfig::default()
        },
        Some(store),
    )
}

fn api_total(tracker: &SloTracker, window: &str) -> Option<u64> {
    let status = tracker.evaluate();
    let api = status.slo("api-availability").unwrap();
    api.windows
        .iter()
        .find(|w| w.window == window)
        .unwrap()
        .total
}

#[test]
fn restart_keeps_history_in_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("slo.sqlite3");
    let clock = ManualClock::new(start());

    let first = tracker(
        Arc::new(SqliteStateStore::open(&path).unwrap()),
        &clock,
        "first",
    );
    first.record_outcomes(API_REQUEST, &[], 90, 10, clock.now());
    let saved = first.save().unwrap();
    assert_eq!(saved.buckets, 1);
    // Saving again sends nothing new.
    assert_eq!(first.save().unwrap().buckets, 0);
    drop(first);

    clock.advance(minutes(10));
    let second = tracker(
        Arc::new(SqliteStateStore::open(&path).unwrap()),
        &clock,
        "second",
    );
    assert_eq!(api_total(&second, "1h"), Some(0));
    assert_eq!(second.load().unwrap(), 1);
    let status = second.evaluate();
    let api = status.slo("api-availability").unwrap();
    assert_eq!(api.budget.total_events, Some(100));
    assert_eq!(api.budget.bad_events, Some(10));
}

#[test]
fn processes_sharing_a_file_see_each_other() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("slo.sqlite3");
    let clock = ManualClock::new(start());
    let a = tracker(
        Arc::new(SqliteStateStore::open(&path).unwrap()),
        &clock,
        "a",
    );
    let b = tracker(
        Arc::new(SqliteStateStore::open(&path).unwrap()),
        &clock,
        "b",
    );

    a.record_outcomes(API_REQUEST, &[], 9, 1, clock.now());
    b.record_outcomes(API_REQUEST, &[], 5, 0, clock.now());
    a.save().unwrap();
    b.save().unwrap();
    // b has not saved this one yet; it must survive the refresh.
    b.record(&Event::outcome(API_REQUEST, true));

    a.refresh(minutes(10)).unwrap();
    b.refresh(minutes(10)).unwrap();
    assert_eq!(api_total(&a, "5m"), Some(15));
    assert_eq!(api_total(&b, "5m"), Some(16));

    // Saving and refreshing again does not count anything twice.
    b.save().unwrap();
    a.refresh(minutes(10)).unwrap();
    b.refresh(minutes(10)).unwrap();
    assert_eq!(api_total(&a, "5m"), Some(16));
    assert_eq!(api_total(&b, "5m"), Some(16));
}

#[test]
fn refresh_within_one_bucket_keeps_saved_counts() {
    let store: Arc<dyn SloStateStore> = Arc::new(MemoryStateStore::new());
    let clock = ManualClock::new(start());
    let a = tracker(Arc::clone(&store), &clock, "a");
    let b = tracker(store, &clock, "b");

    a.record_outcomes(API_REQUEST, &[], 9, 1, clock.now());
    a.save().unwrap();
    // Half a minute into the one-minute bucket, a three-second window starts inside it.
    clock.advance(std::time::Duration::from_secs(30));
    a.refresh(std::time::Duration::from_secs(3)).unwrap();
    b.refresh(std::time::Duration::from_secs(3)).unwrap();
    assert_eq!(api_total(&a, "5m"), Some(10));
    assert_eq!(api_total(&b, "5m"), Some(10));
}

/// Applies a merge and then reports a failure, once, as a lost reply would.
struct LostReply {
    inner: MemoryStateStore,
    fail_next: AtomicBool,
}

impl SloStateStore for LostReply {
    fn load(&self, since: DateTime<Utc>) -> SloResult<Vec<BucketCounts>> {
        self.inner.load(since)
    }

    fn merge(&self, batch: &CountBatch) -> SloResult<MergeOutcome> {
        let outcome = self.inner.merge(batch)?;
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(SloError::CorruptState {
                location: "test".to_owned(),
                message: "reply lost".to_owned(),
            });
        }
        Ok(outcome)
    }

    fn prune(&self, before: DateTime<Utc>) -> SloResult<u64> {
        self.inner.prune(before)
    }
}

#[test]
fn retried_batch_is_not_counted_twice() {
    let clock = ManualClock::new(start());
    let store = Arc::new(LostReply {
        inner: MemoryStateStore::new(),
        fail_next: AtomicBool::new(true),
    });
    let tracker = tracker(Arc::clone(&store) as Arc<dyn SloStateStore>, &clock, "p");
    tracker.record_outcomes(API_REQUEST, &[], 3, 0, clock.now());
    assert!(tracker.save().is_err());

    tracker.record_outcomes(API_REQUEST, &[], 0, 1, clock.now());
    let report = tracker.save().unwrap();
    assert!(report.retried);
    assert!(report.already_applied);

    let stored: u64 = store.load(start()).unwrap().iter().map(|c| c.total).sum();
    assert_eq!(stored, 4);
    tracker.load().unwrap();
    assert_eq!(api_total(&tracker, "5m"), Some(4));
}

#[test]
fn newer_schema_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("slo.sqlite3");
    drop(SqliteStateStore::open(&path).unwrap());
    let connection = rusqlite_connection(&path);
    connection
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    drop(connection);
    let error = SqliteStateStore::open(&path).err().unwrap();
    assert!(
        error
            .to_string()
            .contains("schema version 99 is newer than 1"),
        "{error}"
    );
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
