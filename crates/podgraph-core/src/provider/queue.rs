use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::ProviderResult;

/// Id of a queued job, assigned by the queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub String);

/// A unit of work, for example one episode to process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Deduplication key chosen by the producer, for example the episode id.
    pub key: String,
    /// Work description, opaque to the queue.
    pub payload: serde_json::Value,
}

/// A job handed to a consumer under a lease.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimedJob {
    /// Queue-assigned id; pass it to `ack` or `fail`.
    pub id: JobId,
    /// The job.
    pub job: Job,
    /// How many times the job was delivered, this delivery included.
    pub attempt: u32,
}

/// Queue counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Jobs waiting to be claimed.
    pub ready: u64,
    /// Jobs claimed and not yet acknowledged.
    pub in_flight: u64,
    /// Jobs moved to the dead-letter store.
    pub dead: u64,
    /// Age of the oldest waiting job in milliseconds.
    pub oldest_ready_age_ms: Option<u64>,
}

/// A work queue shared by workers, with at-least-once delivery.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Adds a job and returns its id.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn enqueue(&self, job: &Job) -> ProviderResult<JobId>;

    /// Claims up to `max` jobs for `consumer` under a lease of `lease`, first jobs whose
    /// lease expired (their consumer died), then new ones. Returns an empty list when
    /// there is no work; it does not wait.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn claim(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> ProviderResult<Vec<ClaimedJob>>;

    /// Acknowledges a finished job so that it is never delivered again. Acknowledging a
    /// job twice succeeds.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn ack(&self, id: &JobId) -> ProviderResult<()>;

    /// Records a failed attempt. The job is delivered again after its lease, unless
    /// `attempt` reached the queue's maximum, in which case it moves to the dead-letter
    /// store with `reason`.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn fail(&self, job: &ClaimedJob, reason: &str) -> ProviderResult<()>;

    /// Current counters.
    ///
    /// # Errors
    /// Fails when the backend cannot be reached.
    async fn stats(&self) -> ProviderResult<QueueStats>;
}
