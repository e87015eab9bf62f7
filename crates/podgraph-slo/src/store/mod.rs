//! Persistence of bucket counts, so that a restart keeps the error budget's history and
//! several processes share one budget.
//!
//! Each process sends the counts it recorded since its last save as a [`CountBatch`]
//! numbered by a per-process sequence. A store adds the batch to its bucket totals
//! (merging is addition, so the order of processes does not matter) and remembers the
//! highest sequence applied per process, so a batch sent again after an unclear failure
//! is not counted twice. [`SloStateStore::load`] returns the totals of all processes.

#[cfg(feature = "contract")]
pub mod contract;
mod memory;
mod sqlite;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use memory::MemoryStateStore;
pub use sqlite::SqliteStateStore;

use crate::error::SloResult;

/// Good and total events of one SLO in one bucket.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BucketCounts {
    /// The SLO name.
    pub slo: String,
    /// Start of the bucket, in seconds since the Unix epoch.
    pub bucket_start: i64,
    /// Good events.
    pub good: u64,
    /// Valid events, good included.
    pub total: u64,
}

/// The counts one process recorded since its previous batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountBatch {
    /// Identifies the process for its whole life; a restarted process takes a new id.
    pub process_id: String,
    /// Starts at 1 and grows by one with each new batch of the process.
    pub sequence: u64,
    /// Counts to add.
    pub counts: Vec<BucketCounts>,
}

/// Outcome of a merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The counts were added.
    Applied,
    /// A batch with this sequence or a later one of the same process was applied
    /// before; nothing changed.
    AlreadyApplied,
}

/// Storage of bucket counts between restarts.
///
/// The methods block; call them from a blocking thread in async code
/// (`tokio::task::spawn_blocking`).
pub trait SloStateStore: Send + Sync {
    /// Returns the summed counts of every process for buckets starting at or after
    /// `since`, ordered by SLO and bucket start. An empty store returns an empty list.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn load(&self, since: DateTime<Utc>) -> SloResult<Vec<BucketCounts>>;

    /// Adds `batch` to the stored totals in one transaction, unless the same process
    /// already had a batch with this or a higher sequence applied. An empty batch only
    /// records the sequence.
    ///
    /// # Errors
    /// When the store cannot be written; nothing of the batch is applied then.
    fn merge(&self, batch: &CountBatch) -> SloResult<MergeOutcome>;

    /// Deletes buckets starting before `before`, and the sequence records of processes
    /// that last wrote before it. Returns the number of buckets deleted.
    ///
    /// # Errors
    /// When the store cannot be written.
    fn prune(&self, before: DateTime<Utc>) -> SloResult<u64>;
}
