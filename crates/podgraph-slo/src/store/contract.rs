//! The behaviour every [`SloStateStore`] must have, as checks that a store's tests call
//! on a fresh, empty store. Enabled by the `contract` feature, for the test suites of
//! the stores in this crate and of stores in other crates (Redis).
//!
//! Each check panics with the store's `name` when the store breaks the contract.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::{BucketCounts, CountBatch, MergeOutcome, SloStateStore};

/// Bucket start of the checks: a fixed instant, so that failures are reproducible.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Counts of `slo` in the bucket that starts at `at`.
pub fn counts(slo: &str, at: DateTime<Utc>, good: u64, total: u64) -> BucketCounts {
    BucketCounts {
        slo: slo.to_owned(),
        bucket_start: at.timestamp(),
        good,
        total,
    }
}

/// Batch number `sequence` of `process`.
pub fn batch(process: &str, sequence: u64, counts: Vec<BucketCounts>) -> CountBatch {
    CountBatch {
        process_id: process.to_owned(),
        sequence,
        counts,
    }
}

/// Runs every check of this module, each on a new store from `fresh`.
///
/// # Panics
/// When the store breaks the contract or fails a call.
pub fn check_all(name: &str, fresh: &mut dyn FnMut(&str) -> Box<dyn SloStateStore>) {
    merge_adds_counts_of_every_process(name, &*fresh("merge"));
    same_sequence_is_applied_once(name, &*fresh("sequence"));
    load_and_prune_respect_bucket_start(name, &*fresh("prune"));
    empty_store_loads_nothing(name, &*fresh("empty"));
}

/// Checks that merges of several processes and batches add up per SLO and bucket.
///
/// # Panics
/// When the store breaks the contract or fails a call.
pub fn merge_adds_counts_of_every_process(name: &str, store: &dyn SloStateStore) {
    let at = start();
    let merges = [
        batch("a", 1, vec![counts("x", at, 3, 4)]),
        batch("b", 1, vec![counts("x", at, 1, 2)]),
        batch("a", 2, vec![counts("x", at, 1, 1), counts("y", at, 0, 5)]),
    ];
    for batch in &merges {
        merge(name, store, batch);
    }

    let loaded = load(name, store, at);
    assert_eq!(
        loaded,
        [counts("x", at, 5, 7), counts("y", at, 0, 5)],
        "{name}"
    );
}

/// Checks that a batch is applied once, and that an older batch of the same process is
/// not applied at all.
///
/// # Panics
/// When the store breaks the contract or fails a call.
pub fn same_sequence_is_applied_once(name: &str, store: &dyn SloStateStore) {
    let at = start();
    let first = batch("a", 7, vec![counts("x", at, 1, 1)]);
    let older = batch("a", 6, vec![counts("x", at, 1, 1)]);

    assert_eq!(merge(name, store, &first), MergeOutcome::Applied, "{name}");
    assert_eq!(
        merge(name, store, &first),
        MergeOutcome::AlreadyApplied,
        "{name}"
    );
    assert_eq!(
        merge(name, store, &older),
        MergeOutcome::AlreadyApplied,
        "{name}"
    );
    assert_eq!(load(name, store, at), [counts("x", at, 1, 1)], "{name}");
}

/// Checks that `load` returns buckets from a start on and `prune` removes the buckets
/// before a start.
///
/// # Panics
/// When the store breaks the contract or fails a call.
pub fn load_and_prune_respect_bucket_start(name: &str, store: &dyn SloStateStore) {
    let old = start() - TimeDelta::days(40);
    let recent = start();
    let both = batch(
        "a",
        1,
        vec![counts("x", old, 1, 1), counts("x", recent, 2, 2)],
    );
    merge(name, store, &both);

    assert_eq!(load(name, store, recent).len(), 1, "{name}");
    let pruned = store
        .prune(recent - TimeDelta::days(30))
        .unwrap_or_else(|error| panic!("{name}: prune failed: {error}"));
    assert_eq!(pruned, 1, "{name}");
    assert_eq!(
        load(name, store, old),
        [counts("x", recent, 2, 2)],
        "{name}"
    );
    assert!(
        load(name, store, recent + TimeDelta::minutes(1)).is_empty(),
        "{name}"
    );
}

/// Checks that an empty store loads nothing and accepts an empty batch once.
///
/// # Panics
/// When the store breaks the contract or fails a call.
pub fn empty_store_loads_nothing(name: &str, store: &dyn SloStateStore) {
    assert!(
        load(name, store, DateTime::<Utc>::MIN_UTC).is_empty(),
        "{name}"
    );

    let empty = batch("a", 1, Vec::new());
    assert_eq!(merge(name, store, &empty), MergeOutcome::Applied, "{name}");
    assert_eq!(
        merge(name, store, &empty),
        MergeOutcome::AlreadyApplied,
        "{name}"
    );
}

fn merge(name: &str, store: &dyn SloStateStore, batch: &CountBatch) -> MergeOutcome {
    store
        .merge(batch)
        .unwrap_or_else(|error| panic!("{name}: merge failed: {error}"))
}

fn load(name: &str, store: &dyn SloStateStore, from: DateTime<Utc>) -> Vec<BucketCounts> {
    store
        .load(from)
        .unwrap_or_else(|error| panic!("{name}: load failed: {error}"))
}
