//! [`MemoryQueue`]: an in-process [`WorkQueue`] with leases, retries and a dead-letter list.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use podgraph_core::provider::{ClaimedJob, Job, JobId, QueueStats, WorkQueue};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use tokio::time::Instant;

use crate::clock::{Clock, TokioClock, deadline, millis};

/// Deliveries per job before it is dead-lettered, for [`MemoryQueue::default`].
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A job that failed on its last allowed attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// The id the job had in the queue.
    pub id: JobId,
    /// The job.
    pub job: Job,
    /// Deliveries made, the last one included.
    pub attempts: u32,
    /// The reason given to the last `fail`.
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    /// Waiting to be claimed.
    Ready,
    /// Claimed; `until` is `None` when the lease is too long to represent.
    Leased { until: Option<Instant> },
}

struct Entry {
    job: Job,
    enqueued_at: Instant,
    attempts: u32,
    state: JobState,
}

#[derive(Default)]
struct QueueState {
    next_id: u64,
    jobs: HashMap<JobId, Entry>,
    /// Ready job ids in arrival order; claimed ids are removed.
    ready: VecDeque<JobId>,
    /// Key of every ready or in-flight job, for deduplication.
    keys: HashMap<String, JobId>,
    dead: Vec<DeadLetter>,
}

/// An in-process work queue with at-least-once delivery.
///
/// - `enqueue` deduplicates by [`Job::key`]. While a job with the same key is ready or in
///   flight, it returns that job's id and drops the new payload. Once the job is
///   acknowledged or dead-lettered, the key can be queued again.
/// - `claim` hands out jobs whose lease expired first (oldest expiry first), then ready
///   jobs in arrival order, and counts one attempt per delivery.
/// - `ack` removes the job; acknowledging an unknown or finished job succeeds.
/// - `fail` leaves the job leased, so it is delivered again once the lease expires. On the
///   attempt that reaches the maximum, it moves to [`MemoryQueue::dead_letters`]. A `fail`
///   from an older delivery than the current one is ignored, because the job is already
///   being retried.
///
/// Time comes from a [`Clock`]: the default [`TokioClock`] follows `tokio::time::pause()`.
pub struct MemoryQueue<C = TokioClock> {
    state: Mutex<QueueState>,
    max_attempts: u32,
    clock: C,
}

impl Default for MemoryQueue {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ATTEMPTS)
    }
}

impl MemoryQueue {
    /// Creates a queue that dead-letters a job after `max_attempts` deliveries (at least 1)
    /// and reads time from the tokio clock.
    pub fn new(max_attempts: u32) -> Self {
        Self::with_clock(max_attempts, TokioClock)
    }
}

impl<C: Clock> MemoryQueue<C> {
    /// Creates a queue that dead-letters a job after `max_attempts` deliveries (at least 1)
    /// and reads time from `clock`.
    pub fn with_clock(max_attempts: u32, clock: C) -> Self {
        Self {
            state: Mutex::new(QueueState::default()),
            max_attempts: max_attempts.max(1),
            clock,
        }
    }

    /// Returns the deliveries allowed per job.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the jobs that failed on their last allowed attempt, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        match self.lock("queue.dead_letters") {
            Ok(state) => state.dead.clone(),
            Err(_) => Vec::new(),
        }
    }

    fn lock(&self, operation: &'static str) -> ProviderResult<MutexGuard<'_, QueueState>> {
        self.state.lock().map_err(|_| {
            ProviderError::new(
                ErrorKind::Unexpected,
                operation,
                "queue lock poisoned by a panicking thread; create a new queue",
            )
        })
    }
}

impl QueueState {
    /// Ids of in-flight jobs whose lease ended at or before `now`, oldest expiry first.
    fn expired_leases(&self, now: Instant) -> Vec<JobId> {
        let mut expired: Vec<(Instant, &JobId)> = self
            .jobs
            .iter()
            .filter_map(|(id, entry)| match entry.state {
                JobState::Leased { until: Some(until) } if until <= now => Some((until, id)),
                _ => None,
            })
            .collect();
        expired.sort();
        expired.into_iter().map(|(_, id)| id.clone()).collect()
    }

    fn deliver(&mut self, id: &JobId, until: Option<Instant>) -> Option<ClaimedJob> {
        let entry = self.jobs.get_mut(id)?;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.state = JobState::Leased { until };
        Some(ClaimedJob {
            id: id.clone(),
            job: entry.job.clone(),
            attempt: entry.attempts,
        })
    }

    fn remove(&mut self, id: &JobId) -> Option<Entry> {
        let entry = self.jobs.remove(id)?;
        if self.keys.get(&entry.job.key) == Some(id) {
            self.keys.remove(&entry.job.key);
        }
        self.ready.retain(|ready| ready != id);
        Some(entry)
    }
}

#[async_trait]
impl<C: Clock> WorkQueue for MemoryQueue<C> {
    async fn enqueue(&self, job: &Job) -> ProviderResult<JobId> {
        let now = self.clock.now();
        let mut state = self.lock("queue.enqueue")?;
        if let Some(existing) = state.keys.get(&job.key) {
            return Ok(existing.clone());
        }

        state.next_id = state.next_id.saturating_add(1);
        let id = JobId(format!("job-{}", state.next_id));
        state.jobs.insert(
            id.clone(),
            Entry {
                job: job.clone(),
                enqueued_at: now,
                attempts: 0,
                state: JobState::Ready,
            },
        );
        state.keys.insert(job.key.clone(), id.clone());
        state.ready.push_back(id.clone());
        Ok(id)
    }

    async fn claim(
        &self,
        _consumer: &str,
        max: usize,
        lease: Duration,
    ) -> ProviderResult<Vec<ClaimedJob>> {
        let now = self.clock.now();
        let until = deadline(now, lease);
        let mut state = self.lock("queue.claim")?;

        let mut claimed = Vec::new();
        for id in state.expired_leases(now) {
            if claimed.len() >= max {
                break;
            }
            claimed.extend(state.deliver(&id, until));
        }
        while claimed.len() < max {
            let Some(id) = state.ready.pop_front() else {
                break;
            };
            claimed.extend(state.deliver(&id, until));
        }
        Ok(claimed)
    }

    async fn ack(&self, id: &JobId) -> ProviderResult<()> {
        self.lock("queue.ack")?.remove(id);
        Ok(())
    }

    async fn fail(&self, job: &ClaimedJob, reason: &str) -> ProviderResult<()> {
        let mut state = self.lock("queue.fail")?;
        let Some(entry) = state.jobs.get(&job.id) else {
            // Already acknowledged or dead-lettered.
            return Ok(());
        };
        if job.attempt < entry.attempts || entry.state == JobState::Ready {
            return Ok(());
        }
        if entry.attempts < self.max_attempts {
            // The lease stays as it is, so the job is claimable again once it expires.
            return Ok(());
        }

        if let Some(entry) = state.remove(&job.id) {
            state.dead.push(DeadLetter {
                id: job.id.clone(),
                job: entry.job,
                attempts: entry.attempts,
                reason: reason.to_owned(),
            });
        }
        Ok(())
    }

    async fn stats(&self) -> ProviderResult<QueueStats> {
        let now = self.clock.now();
        let state = self.lock("queue.stats")?;
        let ready = state
            .jobs
            .values()
            .filter(|entry| entry.state == JobState::Ready)
            .count();
        let in_flight = state.jobs.len().saturating_sub(ready);
        let oldest_ready_age_ms = state
            .ready
            .iter()
            .filter_map(|id| state.jobs.get(id))
            .map(|entry| millis(now.saturating_duration_since(entry.enqueued_at)))
            .max();
        Ok(QueueStats {
            ready: count(ready),
            in_flight: count(in_flight),
            dead: count(state.dead.len()),
            oldest_ready_age_ms,
        })
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const LEASE: Duration = Duration::from_secs(30);

    fn job(key: &str) -> Job {
        Job {
            key: key.to_owned(),
            payload: serde_json::json!({ "episode": key }),
        }
    }

    fn queue(max_attempts: u32) -> (MemoryQueue<ManualClock>, ManualClock) {
        let clock = ManualClock::new();
        (MemoryQueue::with_clock(max_attempts, clock.clone()), clock)
    }

    #[tokio::test]
    async fn claim_returns_jobs_in_arrival_order() {
        let (queue, _) = queue(3);
        let a = queue.enqueue(&job("a")).await.unwrap();
        let b = queue.enqueue(&job("b")).await.unwrap();

        let claimed = queue.claim("worker-1", 10, LEASE).await.unwrap();
        let ids: Vec<&JobId> = claimed.iter().map(|c| &c.id).collect();
        assert_eq!(ids, [&a, &b]);
        assert_eq!(claimed[0].attempt, 1);
        assert_eq!(claimed[0].job, job("a"));
    }

    #[tokio::test]
    async fn claim_respects_max_and_empty_queue() {
        let (queue, _) = queue(3);
        assert!(queue.claim("w", 5, LEASE).await.unwrap().is_empty());
        queue.enqueue(&job("a")).await.unwrap();
        queue.enqueue(&job("b")).await.unwrap();

        assert!(queue.claim("w", 0, LEASE).await.unwrap().is_empty());
        assert_eq!(queue.claim("w", 1, LEASE).await.unwrap().len(), 1);
        assert_eq!(queue.claim("w", 5, LEASE).await.unwrap().len(), 1);
        assert!(queue.claim("w", 5, LEASE).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn leased_job_is_not_claimed_twice_before_expiry() {
        let (queue, clock) = queue(3);
        queue.enqueue(&job("a")).await.unwrap();
        queue.claim("w1", 1, LEASE).await.unwrap();

        clock.advance(LEASE - Duration::from_millis(1));
        assert!(queue.claim("w2", 1, LEASE).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn expired_lease_is_redelivered_before_new_jobs() {
        let (queue, clock) = queue(3);
        let first = queue.enqueue(&job("first")).await.unwrap();
        queue.claim("dies", 1, LEASE).await.unwrap();
        queue.enqueue(&job("second")).await.unwrap();

        clock.advance(LEASE);
        let claimed = queue.claim("w2", 1, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].id, first);
        assert_eq!(claimed[0].attempt, 2);
    }

    #[tokio::test]
    async fn ack_is_final_and_idempotent() {
        let (queue, clock) = queue(3);
        let id = queue.enqueue(&job("a")).await.unwrap();
        queue.claim("w", 1, LEASE).await.unwrap();
        queue.ack(&id).await.unwrap();
        queue.ack(&id).await.unwrap();
        queue.ack(&JobId("job-unknown".into())).await.unwrap();

        clock.advance(LEASE * 2);
        assert!(queue.claim("w", 1, LEASE).await.unwrap().is_empty());
        assert_eq!(queue.stats().await.unwrap(), QueueStats::default());
    }

    #[tokio::test]
    async fn failed_job_is_redelivered_after_its_lease() {
        let (queue, clock) = queue(3);
        queue.enqueue(&job("a")).await.unwrap();
        let claimed = queue.claim("w", 1, LEASE).await.unwrap();
        queue
            .fail(&claimed[0], "transcript fetch timed out")
            .await
            .unwrap();

        assert!(queue.claim("w", 1, LEASE).await.unwrap().is_empty());
        clock.advance(LEASE);
        let again = queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempt, 2);
        assert!(queue.dead_letters().is_empty());
    }

    #[tokio::test]
    async fn job_is_dead_lettered_on_last_attempt() {
        let (queue, clock) = queue(2);
        let id = queue.enqueue(&job("a")).await.unwrap();

        let first = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&first[0], "first failure").await.unwrap();
        clock.advance(LEASE);
        let second = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&second[0], "store unavailable").await.unwrap();

        let dead = queue.dead_letters();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].id, id);
        assert_eq!(dead[0].attempts, 2);
        assert_eq!(dead[0].reason, "store unavailable");
        assert_eq!(dead[0].job, job("a"));

        clock.advance(LEASE * 2);
        assert!(queue.claim("w", 1, LEASE).await.unwrap().is_empty());
        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.dead, 1);
        assert_eq!(stats.in_flight, 0);
    }

    #[tokio::test]
    async fn stale_fail_from_an_older_delivery_is_ignored() {
        let (queue, clock) = queue(2);
        queue.enqueue(&job("a")).await.unwrap();
        let stale = queue.claim("slow", 1, LEASE).await.unwrap();
        clock.advance(LEASE);
        let current = queue.claim("w2", 1, LEASE).await.unwrap();
        assert_eq!(current[0].attempt, 2);

        queue.fail(&stale[0], "late report").await.unwrap();
        assert!(queue.dead_letters().is_empty());
        assert_eq!(queue.stats().await.unwrap().in_flight, 1);
    }

    #[tokio::test]
    async fn duplicate_key_is_deduplicated() {
        let (queue, _) = queue(3);
        let first = queue.enqueue(&job("episode-1")).await.unwrap();
        assert_eq!(queue.enqueue(&job("episode-1")).await.unwrap(), first);
        assert_eq!(queue.stats().await.unwrap().ready, 1);

        queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(queue.enqueue(&job("episode-1")).await.unwrap(), first);

        queue.ack(&first).await.unwrap();
        let again = queue.enqueue(&job("episode-1")).await.unwrap();
        assert_ne!(again, first);
    }

    #[tokio::test]
    async fn key_is_free_again_after_dead_letter() {
        let (queue, _) = queue(1);
        let first = queue.enqueue(&job("a")).await.unwrap();
        let claimed = queue.claim("w", 1, LEASE).await.unwrap();
        queue.fail(&claimed[0], "bad payload").await.unwrap();
        assert_ne!(queue.enqueue(&job("a")).await.unwrap(), first);
    }

    #[tokio::test]
    async fn stats_count_ready_in_flight_and_oldest_age() {
        let (queue, clock) = queue(3);
        queue.enqueue(&job("a")).await.unwrap();
        clock.advance(Duration::from_millis(1500));
        queue.enqueue(&job("b")).await.unwrap();
        queue.enqueue(&job("c")).await.unwrap();
        clock.advance(Duration::from_millis(500));

        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.ready, 3);
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.oldest_ready_age_ms, Some(2000));

        queue.claim("w", 1, LEASE).await.unwrap();
        let stats = queue.stats().await.unwrap();
        assert_eq!(stats.ready, 2);
        assert_eq!(stats.in_flight, 1);
        assert_eq!(stats.oldest_ready_age_ms, Some(500));
    }

    #[tokio::test(start_paused = true)]
    async fn default_queue_follows_paused_tokio_time() {
        let queue = MemoryQueue::default();
        assert_eq!(queue.max_attempts(), DEFAULT_MAX_ATTEMPTS);
        queue.enqueue(&job("a")).await.unwrap();
        queue.claim("w", 1, LEASE).await.unwrap();

        tokio::time::advance(LEASE).await;
        let again = queue.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempt, 2);
    }

    #[tokio::test]
    async fn zero_max_attempts_means_one_delivery() {
        let (queue, _) = queue(0);
        assert_eq!(queue.max_attempts(), 1);
    }
}
