//! [`MemoryStateStore`]: a state store in memory, for tests and single-process runs
//! that need no history across restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::{BucketCounts, CountBatch, MergeOutcome, SloStateStore};
use crate::error::SloResult;

#[derive(Default)]
struct State {
    /// (SLO, bucket start) to (good, total).
    buckets: BTreeMap<(String, i64), (u64, u64)>,
    /// Process id to (highest sequence applied, newest bucket start written).
    writers: HashMap<String, (u64, i64)>,
}

/// A [`SloStateStore`] in memory with the same merge rules as the SQLite store.
#[derive(Default)]
pub struct MemoryStateStore {
    state: Mutex<State>,
}

impl MemoryStateStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // Every method changes the maps in one step under the lock, so a lock poisoned by a
    // panicking thread still guards consistent data.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SloStateStore for MemoryStateStore {
    fn load(&self, since: DateTime<Utc>) -> SloResult<Vec<BucketCounts>> {
        let since = since.timestamp();
        Ok(self
            .lock()
            .buckets
            .iter()
            .filter(|((_, start), _)| *start >= since)
            .map(|((slo, start), (good, total))| BucketCounts {
                slo: slo.clone(),
                bucket_start: *start,
                good: *good,
                total: *total,
            })
            .collect())
    }

    fn merge(&self, batch: &CountBatch) -> SloResult<MergeOutcome> {
        let mut state = self.lock();
        let newest = batch.counts.iter().map(|c| c.bucket_start).max();
        if let Some((sequence, _)) = state.writers.get(&batch.process_id)
            && *sequence >= batch.sequence
        {
            return Ok(MergeOutcome::AlreadyApplied);
        }
        for counts in &batch.counts {
            let entry = state
                .buckets
                .entry((counts.slo.clone(), counts.bucket_start))
                .or_insert((0, 0));
            entry.0 = entry.0.saturating_add(counts.good);
            entry.1 = entry.1.saturating_add(counts.total);
        }
        let writer = state
            .writers
            .entry(batch.process_id.clone())
            .or_insert((0, i64::MIN));
        writer.0 = batch.sequence;
        writer.1 = writer.1.max(newest.unwrap_or(i64::MIN));
        Ok(MergeOutcome::Applied)
    }

    fn prune(&self, before: DateTime<Utc>) -> SloResult<u64> {
        let before = before.timestamp();
        let mut state = self.lock();
        let count = state.buckets.len();
        state.buckets.retain(|(_, start), _| *start >= before);
        let removed = count - state.buckets.len();
        state.writers.retain(|_, (_, newest)| *newest >= before);
        Ok(u64::try_from(removed).unwrap_or(u64::MAX))
    }
}
